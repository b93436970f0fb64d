// Benchmark of the XRPC client against the local PDS (scripts/pds), in one run:
//  - 200 createRecord calls one by one vs the same 200 records in one applyWrites;
//  - 50 createAccount calls sequentially vs 50 with 8 concurrent workers.
// Prints per-call latency (median, p90) and the ratios. Accounts it creates are deleted at the end.
//
//   pds_client_bench [ENV_FILE]
// ENV_FILE is what `scripts/pds start DIR` writes (DIR/env). Without it: $ACID_PDS_ENV_FILE, else
// $PDS_URL + $PDS_ADMIN_PASSWORD (+ $PDS_HANDLE_DOMAIN, default at.aesthetic.test).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/random.h"
#include "pds/xrpc_client.h"

namespace {

using acid::pds::XrpcClient;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Env {
  std::string url, admin_password, domain = "at.aesthetic.test";
};

bool load_env(int argc, char **argv, Env &env) {
  std::string path;
  if (argc > 1) {
    path = argv[1];
  } else if (const char *p = std::getenv("ACID_PDS_ENV_FILE")) {
    path = p;
  }
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) {
      std::fprintf(stderr, "cannot read %s (start a PDS with scripts/pds start DIR)\n",
                   path.c_str());
      return false;
    }
    std::map<std::string, std::string> kv;
    for (std::string line; std::getline(in, line);) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
    }
    env.url = kv["PDS_URL"];
    env.admin_password = kv["PDS_ADMIN_PASSWORD"];
    if (!kv["PDS_HANDLE_DOMAIN"].empty()) env.domain = kv["PDS_HANDLE_DOMAIN"];
  } else {
    if (const char *v = std::getenv("PDS_URL")) env.url = v;
    if (const char *v = std::getenv("PDS_ADMIN_PASSWORD")) env.admin_password = v;
    if (const char *v = std::getenv("PDS_HANDLE_DOMAIN")) env.domain = v;
  }
  if (env.url.empty() || env.admin_password.empty()) {
    std::fprintf(stderr,
                 "usage: pds_client_bench ENV_FILE (or set PDS_URL and PDS_ADMIN_PASSWORD)\n");
    return false;
  }
  return true;
}

std::string label() {
  auto first = acid::random_string(1, "abcdefghijklmnopqrstuvwxyz");
  auto rest = acid::random_string(11, "abcdefghijklmnopqrstuvwxyz0123456789");
  if (!first || !rest) {
    std::fprintf(stderr, "CSPRNG failed\n");
    std::exit(1);
  }
  return *first + *rest;
}

struct Summary {
  double median, p90, max, total;
};

Summary summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  Summary s{};
  if (v.empty()) return s;
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  s.p90 = v[std::min(v.size() - 1, static_cast<std::size_t>(0.9 * static_cast<double>(v.size())))];
  s.max = v.back();
  for (double x : v) s.total += x;
  return s;
}

void print(const char *name, const Summary &s, std::size_t n) {
  std::printf("%-34s n=%-4zu median %7.2f ms  p90 %7.2f ms  max %7.2f ms  sum %8.1f ms\n", name, n,
              s.median, s.p90, s.max, s.total);
}

[[noreturn]] void die(const char *what, const acid::Error &e) {
  std::fprintf(stderr, "%s failed: %s\n", what, e.message.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char **argv) {
  Env env;
  if (!load_env(argc, argv, env)) return 2;
  acid::pds::ClientOptions options;
  options.base_url = env.url;
  options.admin_password = env.admin_password;
  auto made = XrpcClient::create(options);
  if (!made) die("client", made.error());
  XrpcClient &client = **made;
  auto server = client.server_description();
  if (!server) die("describeServer", server.error());

  std::vector<std::string> created_dids;
  std::mutex created_mutex;
  const auto invite = [&](int uses) -> std::optional<std::string> {
    if (!server->invite_code_required) return std::nullopt;
    auto code = client.create_invite_code(uses);
    if (!code) die("createInviteCode", code.error());
    return *code;
  };
  const auto new_account = [&](const std::optional<std::string> &code) {
    const std::string l = label();
    return client.create_account({l + "." + env.domain, l + "@example.com", "pw-" + label(), code});
  };

  std::printf("PDS %s (invite required: %s)\n", env.url.c_str(),
              server->invite_code_required ? "yes" : "no");

  // --- 200 createRecord vs one applyWrites of 200 ---
  constexpr int kRecords = 200;
  auto owner = new_account(invite(1));
  if (!owner) die("createAccount", owner.error());
  created_dids.push_back(owner->did);
  std::vector<double> record_ms;
  const auto records_t0 = Clock::now();
  for (int i = 0; i < kRecords; ++i) {
    acid::pds::RecordWrite w;
    w.repo = owner->did;
    w.collection = "computer.aesthetic.mood";
    w.rkey = "one-" + std::to_string(1000 + i);
    w.record_json =
        "{\"mood\":\"bench " + std::to_string(i) + "\",\"n\":" + std::to_string(i) + "}";
    const auto t0 = Clock::now();
    auto r = client.create_record(owner->access_jwt, w);
    record_ms.push_back(ms_since(t0));
    if (!r) die("createRecord", r.error());
  }
  const double records_wall = ms_since(records_t0);
  acid::pds::ApplyWritesInput batch;
  batch.repo = owner->did;
  for (int i = 0; i < kRecords; ++i) {
    batch.writes.push_back(
        {acid::pds::WriteOp::create, "computer.aesthetic.mood", "batch-" + std::to_string(1000 + i),
         "{\"mood\":\"bench " + std::to_string(i) + "\",\"n\":" + std::to_string(i) + "}"});
  }
  const auto batch_t0 = Clock::now();
  auto applied = client.apply_writes(owner->access_jwt, batch);
  const double batch_ms = ms_since(batch_t0);
  if (!applied) die("applyWrites", applied.error());
  if (applied->results.size() != kRecords) {
    std::fprintf(stderr, "applyWrites returned %zu results\n", applied->results.size());
    return 1;
  }
  const Summary rec = summarize(record_ms);
  std::printf("\n200 records\n");
  print("createRecord (one by one)", rec, record_ms.size());
  std::printf("%-34s wall %8.1f ms\n", "createRecord x200", records_wall);
  std::printf("%-34s wall %8.1f ms  (%.2f ms per record)\n", "applyWrites x1 (200 creates)",
              batch_ms, batch_ms / kRecords);
  std::printf("ratio: 200 createRecord wall / 1 applyWrites = %.1fx\n", records_wall / batch_ms);
  std::printf("ratio: createRecord median / applyWrites per record = %.1fx\n",
              rec.median / (batch_ms / kRecords));

  // --- 50 createAccount: sequential vs 8 workers ---
  constexpr int kAccounts = 50;
  constexpr int kWorkers = 8;
  const auto code = invite(2 * kAccounts);
  std::vector<double> seq_ms;
  const auto seq_t0 = Clock::now();
  for (int i = 0; i < kAccounts; ++i) {
    const auto t0 = Clock::now();
    auto s = new_account(code);
    seq_ms.push_back(ms_since(t0));
    if (!s) die("createAccount", s.error());
    created_dids.push_back(s->did);
  }
  const double seq_wall = ms_since(seq_t0);

  std::vector<double> conc_ms;
  std::mutex conc_mutex;
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  const auto conc_t0 = Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      while (next.fetch_add(1) < kAccounts) {
        const auto t0 = Clock::now();
        auto s = new_account(code);
        const double took = ms_since(t0);
        std::lock_guard lock(conc_mutex);
        conc_ms.push_back(took);
        if (!s) {
          std::fprintf(stderr, "createAccount failed: %s\n", s.error().message.c_str());
          failed = true;
          continue;
        }
        std::lock_guard lock2(created_mutex);
        created_dids.push_back(s->did);
      }
    });
  }
  for (auto &t : workers) t.join();
  const double conc_wall = ms_since(conc_t0);
  if (failed) return 1;
  const Summary seq = summarize(seq_ms);
  const Summary conc = summarize(conc_ms);
  std::printf("\n50 accounts\n");
  print("createAccount sequential", seq, seq_ms.size());
  print("createAccount 8 workers", conc, conc_ms.size());
  std::printf("%-34s wall %8.1f ms  (%.1f accounts/s)\n", "sequential", seq_wall,
              kAccounts / seq_wall * 1000);
  std::printf("%-34s wall %8.1f ms  (%.1f accounts/s)\n", "8 workers", conc_wall,
              kAccounts / conc_wall * 1000);
  std::printf("ratio: sequential wall / 8-worker wall = %.2fx\n", seq_wall / conc_wall);
  std::printf("ratio: 8-worker median latency / sequential median = %.2fx\n",
              conc.median / seq.median);

  const auto stats = client.stats();
  std::printf("\nclient: %llu calls, %llu attempts, %llu new connections\n",
              static_cast<unsigned long long>(stats.calls),
              static_cast<unsigned long long>(stats.attempts),
              static_cast<unsigned long long>(stats.new_connections));

  // Leave the PDS as we found it.
  int cleanup_failures = 0;
  for (const auto &did : created_dids) {
    if (!client.delete_account(did)) ++cleanup_failures;
  }
  if (cleanup_failures) {
    std::fprintf(stderr, "%d accounts could not be deleted\n", cleanup_failures);
    return 1;
  }
  return 0;
}
