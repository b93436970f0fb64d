// What the session cache saves the code that writes to a person's repo (issue 14), against the
// local PDS (scripts/pds), in one run:
//  - baseline, the deployed pattern: every write reads the credentials (pds_credentials: store
//    read + unseal), logs in (createSession), then createRecord;
//  - library: every write takes PdsSessions::session (cached: one login in total), then
//    createRecord;
//  - the same two without the write: what a write pays before it can start;
//  - 8 threads asking for a fresh person's session at once: how many logins.
// Prints per-write latency (median, p90), totals, logins, and the ratios.
//
//   credentials_bench ENV_FILE [WRITES]      (ENV_FILE: what `scripts/pds start DIR` writes)
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/base64.h"
#include "core/config.h"
#include "core/random.h"
#include "provision/credentials.h"
#include "provision/engine.h"

namespace {

using Clock = std::chrono::steady_clock;
using acid::provision::Engine;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Stats {
  double median = 0, p90 = 0, total = 0;
};

Stats stats(std::vector<double> v) {
  Stats s;
  for (double x : v) s.total += x;
  std::sort(v.begin(), v.end());
  s.median = v[v.size() / 2];
  s.p90 = v[v.size() * 9 / 10];
  return s;
}

std::map<std::string, std::string, std::less<>> read_env(const char *path) {
  std::map<std::string, std::string, std::less<>> kv;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

// A person with a PDS account, provisioned by the engine (signup + verification + jobs).
bool provision(Engine &engine, const std::string &sub, const std::string &label) {
  std::string body = "[";
  for (const char *type : {"ss", "sv"}) {
    if (body.size() > 1) body += ",";
    body += R"({"log_id":")" + label + type + R"(","data":{"type":")" + type +
            R"(","date":"2032-10-14T08:30:00Z","user_id":")" + sub + R"(","user_name":")" + label +
            R"(@example.com"}})";
  }
  if (engine.handle_log_stream(acid::Tenant::aesthetic, std::string_view("bench"), body + "]")
          .status != 200) {
    return false;
  }
  for (int i = 0; i < 10; ++i) {
    auto summary = engine.run_jobs(60'000, 10);
    if (!summary || summary->ran == 0) break;
  }
  auto account = engine.store().get_account(sub);
  return account && account->did.has_value();
}

acid::pds::RecordWrite mood(const std::string &did, int i) {
  acid::pds::RecordWrite w;
  w.repo = did;
  w.collection = "computer.aesthetic.mood";
  w.record_json = R"({"$type":"computer.aesthetic.mood","mood":"bench )" + std::to_string(i) +
                  R"(","when":"2032-10-14T08:30:00.000Z","ref":"bench"})";
  return w;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: credentials_bench ENV_FILE [WRITES]\n");
    return 64;
  }
  const int writes = argc > 2 ? std::max(10, std::atoi(argv[2])) : 100;
  auto env = read_env(argv[1]);
  char dir_template[] = "/tmp/acid-credentials-bench-XXXXXX";
  const char *dir = mkdtemp(dir_template);
  std::array<std::uint8_t, 32> key{};
  if (dir == nullptr || !acid::random_bytes(key)) return 2;
  std::map<std::string, std::string, std::less<>> vars = {
      {"ACID_STORE", std::string("sqlite:") + dir + "/store.db"},
      {"PDS_URL", env["PDS_URL"]},
      {"PDS_ADMIN_PASSWORD", env["PDS_ADMIN_PASSWORD"]},
      {"ACID_PDS_HANDLE_DOMAIN", env["PDS_HANDLE_DOMAIN"]},
      {"AUTH0_LOG_TOKEN", "bench"},
      {"ACID_CREDENTIALS_KEY", acid::base64::encode(std::span<const std::uint8_t>(key))}};
  auto config = acid::Config::from_env(acid::env_from_map(vars));
  if (!config) {
    std::fprintf(stderr, "config: %s\n", config.error().message.c_str());
    return 2;
  }
  acid::provision::EngineOptions options;
  options.config = std::move(*config);
  auto engine = Engine::create(std::move(options));
  if (!engine) return 2;
  Engine &e = **engine;
  const std::string label = "b" + std::to_string(Clock::now().time_since_epoch().count() % 1000000);
  const std::string sub = "auth0|" + label, many = "auth0|" + label + "m";
  if (!provision(e, sub, label) || !provision(e, many, label + "m")) {
    std::fprintf(stderr, "provisioning failed\n");
    return 2;
  }
  auto did = e.store().get_account(sub)->did.value();
  auto client = e.pds_client();
  auto sessions = acid::provision::PdsSessions::create(e.store(), e.config());
  if (!client || !sessions) return 2;

  std::vector<double> base, lib, base_auth, lib_auth;
  for (int i = 0; i < writes; ++i) {
    auto t0 = Clock::now();
    auto creds = acid::provision::pds_credentials(e.store(), e.config(), sub);
    auto s = creds ? (*client)->create_session(creds->did, creds->password)
                   : acid::Result<acid::pds::Session>(creds.error());
    base_auth.push_back(ms_since(t0));
    if (!s || !(*client)->create_record(s->access_jwt, mood(did, i))) return 3;
    base.push_back(ms_since(t0));

    t0 = Clock::now();
    auto cached = (*sessions)->session(sub);
    lib_auth.push_back(ms_since(t0));
    if (!cached || !(*client)->create_record(cached->access_jwt, mood(did, i))) return 3;
    lib.push_back(ms_since(t0));
  }
  // A fresh person, 8 threads at once: one login.
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) threads.emplace_back([&] { (void)(*sessions)->session(many); });
  for (auto &t : threads) t.join();

  const Stats b = stats(base), l = stats(lib), ba = stats(base_auth), la = stats(lib_auth);
  std::printf("%d writes (createRecord) for one person, alternating, on %s\n", writes,
              env["PDS_URL"].c_str());
  std::printf(
      "  login per write (deployed): median %.2f ms, p90 %.2f ms, total %.0f ms, %d logins\n",
      b.median, b.p90, b.total, writes);
  std::printf(
      "  cached session (library):   median %.2f ms, p90 %.2f ms, total %.0f ms, %llu login(s)\n",
      l.median, l.p90, l.total, static_cast<unsigned long long>((*sessions)->stats().logins - 1));
  std::printf("  ratio (deployed / library): %.2fx per write\n", b.total / l.total);
  std::printf(
      "  before the write can start: login %.3f ms median vs cached %.4f ms median (%.0fx)\n",
      ba.median, la.median, ba.median / std::max(la.median, 1e-6));
  std::printf("  8 threads, fresh person: %llu login(s) in total for both people\n",
              static_cast<unsigned long long>((*sessions)->stats().logins));
  return 0;
}
