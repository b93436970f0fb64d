#include "support/local_pds.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "core/json.h"
#include "core/random.h"

namespace acid::pds::test {
namespace {

std::map<std::string, std::string> read_kv(const std::string &path) {
  std::map<std::string, std::string> kv;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos || line.empty() || line[0] == '#') continue;
    kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

}  // namespace

Result<PdsEnv> load_pds_env() {
  std::string path;
  if (const char *override_path = std::getenv("ACID_TEST_PDS_ENV_FILE")) path = override_path;
#ifdef ACID_TEST_PDS_ENV_FILE
  if (path.empty()) path = ACID_TEST_PDS_ENV_FILE;
#endif
  if (path.empty()) return Error(Code::config, "no PDS env file configured");
  std::ifstream probe(path);
  if (!probe) {
    return Error(
        Code::config,
        "PDS env file " + path +
            " is missing: run these tests through ctest (the pds fixture starts the PDS) "
            "or start one with `scripts/pds start DIR` and set ACID_TEST_PDS_ENV_FILE=DIR/env");
  }
  auto kv = read_kv(path);
  PdsEnv env;
  env.env_file = path;
  env.url = kv["PDS_URL"];
  env.admin_password = kv["PDS_ADMIN_PASSWORD"];
  env.handle_domain = kv["PDS_HANDLE_DOMAIN"];
  if (env.url.empty() || env.admin_password.empty() || env.handle_domain.empty()) {
    return Error(Code::config, "PDS env file " + path +
                                   " lacks PDS_URL, PDS_ADMIN_PASSWORD or PDS_HANDLE_DOMAIN");
  }
  const auto colon = env.url.rfind(':');
  if (colon != std::string::npos) env.port = std::atoi(env.url.c_str() + colon + 1);
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  env.jwt_secret = read_kv(dir + "/secrets")["JWT_SECRET"];
  return env;
}

std::string unique_label(std::size_t length) {
  auto first = random_string(1, "abcdefghijklmnopqrstuvwxyz");
  auto rest = random_string(length - 1, "abcdefghijklmnopqrstuvwxyz0123456789");
  if (!first || !rest) std::abort();  // the CSPRNG failing makes every test meaningless
  return *first + *rest;
}

int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) std::abort();
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0) std::abort();
  ::close(fd);
  return ntohs(addr.sin_port);
}

RetryClock FakeClock::clock() {
  RetryClock c;
  c.steady_ms = [this] {
    std::lock_guard lock(mutex);
    return now;
  };
  c.unix_ms = [this] {
    std::lock_guard lock(mutex);
    return unix_now;
  };
  c.sleep_ms = [this](std::int64_t ms) {
    std::lock_guard lock(mutex);
    sleeps.push_back(ms);
    now += ms;
    unix_now += ms;
  };
  c.uniform = [this](std::uint64_t bound) {
    std::lock_guard lock(mutex);
    jitter_bounds.push_back(bound);
    return bound;
  };
  return c;
}

RetryClock RecordingClock::clock() {
  RetryClock c = RetryClock::system();
  auto real_sleep = c.sleep_ms;
  c.sleep_ms = [this, real_sleep](std::int64_t ms) {
    {
      std::lock_guard lock(mutex);
      sleeps.push_back(ms);
    }
    real_sleep(ms);
  };
  return c;
}

std::string base64url(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                                reinterpret_cast<const unsigned char *>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char &c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

Result<std::string> base64url_decode(std::string_view data) {
  std::string in(data);
  for (char &c : in) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (in.size() % 4 != 0) in += '=';
  std::string out(in.size() / 4 * 3 + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                                reinterpret_cast<const unsigned char *>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return Error(Code::invalid, "bad base64url");
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (std::size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) --len;
  out.resize(len);
  return out;
}

Result<std::string> resign_jwt(std::string_view jwt, std::string_view secret, std::int64_t iat,
                               std::int64_t exp) {
  const auto dot1 = jwt.find('.');
  const auto dot2 = jwt.find('.', dot1 + 1);
  if (dot1 == std::string_view::npos || dot2 == std::string_view::npos) {
    return Error(Code::invalid, "not a compact JWT");
  }
  auto payload_text = base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload_text) return payload_text.error();
  auto payload = json::parse(*payload_text);
  if (!payload || !payload->IsObject()) return Error(Code::invalid, "JWT payload is not JSON");
  auto &alloc = payload->GetAllocator();
  payload->RemoveMember("iat");
  payload->RemoveMember("exp");
  payload->AddMember("iat", rapidjson::Value(iat), alloc);
  payload->AddMember("exp", rapidjson::Value(exp), alloc);
  const std::string signing_input =
      std::string(jwt.substr(0, dot1)) + "." + base64url(json::to_string(*payload));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char *>(signing_input.data()), signing_input.size(),
            mac, &mac_len)) {
    return Error(Code::internal, "HMAC failed");
  }
  return signing_input + "." +
         base64url(std::string_view(reinterpret_cast<const char *>(mac), mac_len));
}

}  // namespace acid::pds::test
