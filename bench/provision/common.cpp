#include "common.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "core/base64.h"
#include "core/json.h"
#include "core/random.h"
#include "core/time.h"

namespace acid::bench {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void die(const std::string &what, const Error &error) {
  std::fprintf(stderr, "bench_provision: %s: %s %s\n", what.c_str(), error.message.c_str(),
               error.detail_json.c_str());
  std::exit(1);
}

void die(const std::string &what) {
  std::fprintf(stderr, "bench_provision: %s\n", what.c_str());
  std::exit(1);
}

std::string random_label(std::size_t length) {
  auto first = random_string(1, "abcdefghijklmnopqrstuvwxyz");
  auto rest = random_string(length - 1, "abcdefghijklmnopqrstuvwxyz0123456789");
  if (!first) die("CSPRNG", first.error());
  if (!rest) die("CSPRNG", rest.error());
  return *first + *rest;
}

std::vector<Person> make_people(std::size_t count, const std::string &tag) {
  std::vector<Person> people;
  people.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto hex = random_string(24, "0123456789abcdef");
    if (!hex) die("CSPRNG", hex.error());
    // Auth0 database users: "auth0|" + a 24-hex-digit object id.
    people.push_back({"auth0|" + *hex, "bench." + tag + "." + std::to_string(i) + "@example.com"});
  }
  return people;
}

std::string auth0_batch(const std::vector<Person> &people, std::size_t first, std::size_t count,
                        const char *type, std::int64_t base_unix_ms, std::uint64_t &seq) {
  const bool signup = std::string_view(type) == "ss";
  std::string body = "[";
  for (std::size_t i = first; i < first + count && i < people.size(); ++i) {
    const Person &p = people[i];
    // Signups 37 ms apart; each verification 90 s after its signup.
    const std::int64_t at =
        base_unix_ms + static_cast<std::int64_t>(i) * 37 + (signup ? 0 : 90'000);
    char log_id[64];
    std::snprintf(log_id, sizeof log_id, "90020250601%045" PRIu64, ++seq);
    if (body.size() > 1) body += ",";
    body += "{\"log_id\":\"";
    body += log_id;
    body += "\",\"data\":{\"date\":" + json::quote(format_iso8601(at)) + ",\"type\":\"" + type +
            "\",\"description\":\"" +
            (signup ? std::string() : std::string("Successful verification")) +
            "\",\"connection\":\"Username-Password-Authentication\","
            "\"connection_id\":\"con_3Fh1kQv8Zp2LmN0a\",\"client_id\":"
            "\"LVdZaMbyXctkGfZDnpzDATB5nR0ZhmMt\",\"client_name\":\"aesthetic\","
            "\"ip\":\"203.0.113.7\",\"user_agent\":\"Mozilla/5.0 (X11; Linux x86_64) "
            "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36\",\"details\":";
    if (signup) {
      body +=
          "{\"body\":{\"tenant\":\"aesthetic\",\"client_id\":"
          "\"LVdZaMbyXctkGfZDnpzDATB5nR0ZhmMt\",\"connection\":"
          "\"Username-Password-Authentication\",\"email\":" +
          json::quote(p.email) + "}}";
    } else {
      body += "{\"query\":{\"tenant\":\"aesthetic\",\"email\":" + json::quote(p.email) + "}}";
    }
    body += ",\"user_id\":" + json::quote(p.user_id) + ",\"user_name\":" + json::quote(p.email) +
            ",\"strategy\":\"auth0\",\"strategy_type\":\"database\",\"log_id\":\"" + log_id +
            "\",\"tenant_name\":\"aesthetic\"}}";
  }
  body += "]";
  return body;
}

std::vector<std::string> signup_and_verify_batches(const std::vector<Person> &people,
                                                   std::size_t per_batch,
                                                   std::int64_t base_unix_ms) {
  std::vector<std::string> bodies;
  std::uint64_t seq = 0;
  for (std::size_t first = 0; first < people.size(); first += per_batch) {
    bodies.push_back(auth0_batch(people, first, per_batch, "ss", base_unix_ms, seq));
    bodies.push_back(auth0_batch(people, first, per_batch, "sv", base_unix_ms, seq));
  }
  return bodies;
}

Summary summarize(std::vector<double> ms) {
  Summary s;
  s.n = ms.size();
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  s.median = ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
  s.p90 =
      ms[std::min(ms.size() - 1, static_cast<std::size_t>(0.9 * static_cast<double>(ms.size())))];
  s.max = ms.back();
  return s;
}

Result<PdsEnv> load_pds_env(const std::filesystem::path &file) {
  std::ifstream in(file);
  if (!in) {
    return Error(Code::config, "cannot read " + file.string() +
                                   " (start a PDS with scripts/pds start DIR; it writes DIR/env)");
  }
  std::map<std::string, std::string> kv;
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  PdsEnv env;
  env.url = kv["PDS_URL"];
  env.admin_password = kv["PDS_ADMIN_PASSWORD"];
  if (!kv["PDS_HANDLE_DOMAIN"].empty()) env.handle_domain = kv["PDS_HANDLE_DOMAIN"];
  if (env.url.empty() || env.admin_password.empty()) {
    return Error(Code::config, file.string() + " lacks PDS_URL or PDS_ADMIN_PASSWORD");
  }
  return env;
}

std::string fresh_credentials_key() {
  std::uint8_t key[32];
  if (Status st = random_bytes(key); !st) die("CSPRNG", st.error());
  return base64::encode(std::span<const std::uint8_t>(key, sizeof key));
}

}  // namespace acid::bench
