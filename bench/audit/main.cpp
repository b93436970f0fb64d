// The audit benchmark (issue 6 §2): a store of 100,000 users, 2,000 of them with real accounts
// on the local PDS, audited with --all by the library (one joined store scan, listRepos pages,
// getAccountInfos in batches of 100), against, in the same run, the deployed approach: per
// user one read per collection (users, verifications, the atproto part) and one PDS call
// (getAccountInfo) for each user with a DID. Prints seconds for both, the ratio and peak RSS.
//
//   bench_audit --pds-env DIR/env [--users N] [--accounts M] [--threads T] [--work-dir D]
//
// The M PDS accounts are created once with T threads and remembered in DIR/bench-audit-accounts
// (did, handle, password per line), so later runs against the same PDS reuse them. The other
// users are written straight into the SQLite file in one transaction (through the library they
// would take minutes, and the audit reads them the same way).
#include <sqlite3.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "audit/audit.h"
#include "audit/engine_parts.h"
#include "code/user_code.h"
#include "common.h"
#include "core/seal.h"
#include "provision/engine.h"
#include "provision/provisioner.h"
#include "support/store_reader.h"

namespace fs = std::filesystem;
using namespace acid;
using acid::bench::die;

namespace {

struct PdsAccount {
  std::string did, handle, password;
};

double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

std::vector<PdsAccount> load_or_create_accounts(pds::XrpcClient &pds, const std::string &domain,
                                                const fs::path &cache, std::size_t count,
                                                int threads) {
  std::vector<PdsAccount> accounts;
  {
    std::ifstream in(cache);
    PdsAccount a;
    while (in >> a.did >> a.handle >> a.password) accounts.push_back(a);
  }
  // Keep only the ones the PDS still has (another run's audit may have deleted some).
  if (!accounts.empty()) {
    std::vector<PdsAccount> alive;
    for (std::size_t i = 0; i < accounts.size(); i += 100) {
      std::vector<std::string> batch;
      for (std::size_t j = i; j < accounts.size() && j < i + 100; ++j) {
        batch.push_back(accounts[j].did);
      }
      auto infos = pds.get_account_infos(batch);
      if (!infos) die("getAccountInfos", infos.error());
      std::set<std::string> known;
      for (const auto &info : *infos) known.insert(info.did);
      for (std::size_t j = i; j < accounts.size() && j < i + 100; ++j) {
        if (known.contains(accounts[j].did)) alive.push_back(accounts[j]);
      }
    }
    accounts = std::move(alive);
  }
  if (accounts.size() >= count) {
    accounts.resize(count);
    std::fprintf(stderr, "reusing %zu PDS accounts from %s\n", count, cache.c_str());
    return accounts;
  }
  const std::size_t missing = count - accounts.size();
  std::fprintf(stderr, "creating %zu PDS accounts with %d threads...\n", missing, threads);
  const std::string tag = bench::random_label(5);
  std::mutex mu;
  std::atomic<std::size_t> next{0};
  const auto start = bench::Clock::now();
  std::ofstream out(cache, std::ios::app);
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= missing) return;
      PdsAccount a;
      a.handle = "b" + tag + std::to_string(i) + "." + domain;
      a.password = "bench-" + bench::random_label(20);
      for (int attempt = 0;; ++attempt) {
        auto invite = pds.create_invite_code(1);
        if (!invite) die("createInviteCode", invite.error());
        auto s = pds.create_account(
            {a.handle, "b" + tag + std::to_string(i) + "@example.com", a.password, *invite});
        if (s) {
          a.did = s->did;
          break;
        }
        if (attempt >= 5 || !pds::is_transient(s.error())) die("createAccount", s.error());
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
      std::lock_guard lock(mu);
      accounts.push_back(a);
      out << a.did << ' ' << a.handle << ' ' << a.password << '\n';
      out.flush();
      if (accounts.size() % 200 == 0) {
        std::fprintf(stderr, "  %zu/%zu (%.1f s)\n", accounts.size(), count,
                     std::chrono::duration<double>(bench::Clock::now() - start).count());
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto &t : pool) t.join();
  std::fprintf(stderr, "created in %.1f s\n",
               std::chrono::duration<double>(bench::Clock::now() - start).count());
  return accounts;
}

void exec(sqlite3 *db, const char *sql) {
  char *err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    die(std::string("sqlite: ") + (err ? err : "?") + " in " + sql);
  }
}

}  // namespace

int main(int argc, char **argv) {
  std::size_t users = 100'000, with_accounts = 2'000;
  int threads = 8;
  std::optional<fs::path> env_file;
  fs::path work = fs::temp_directory_path() / ("bench-audit-" + bench::random_label(6));
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--pds-env") {
      env_file = value();
    } else if (a == "--users") {
      users = std::stoul(value());
    } else if (a == "--accounts") {
      with_accounts = std::stoul(value());
    } else if (a == "--threads") {
      threads = std::stoi(value());
    } else if (a == "--work-dir") {
      work = value();
    } else {
      die("usage: bench_audit --pds-env DIR/env [--users N] [--accounts M] [--threads T] "
          "[--work-dir D]");
    }
  }
  if (!env_file) die("--pds-env DIR/env is required (scripts/pds start DIR)");
  if (with_accounts > users) die("--accounts must not exceed --users");
  auto env = bench::load_pds_env(*env_file);
  if (!env) die("reading " + env_file->string(), env.error());
  fs::create_directories(work);
  const fs::path db_path = work / "store.db";
  fs::remove(db_path);

  pds::ClientOptions po;
  po.base_url = env->url;
  po.admin_password = env->admin_password;
  auto pds = pds::XrpcClient::create(po);
  if (!pds) die("PDS client", pds.error());

  // PDS accounts that exist before (other runs, tests): the audit ignores them, as an operator
  // lists accounts that belong to no user.
  std::vector<std::string> ignore;
  auto accounts = load_or_create_accounts(**pds, env->handle_domain,
                                          env_file->parent_path() / "bench-audit-accounts",
                                          with_accounts, threads);
  std::set<std::string> ours;
  for (const auto &a : accounts) ours.insert(a.did);
  for (std::optional<std::string> cursor;;) {
    auto page = (*pds)->list_repos(1000, cursor);
    if (!page) die("listRepos", page.error());
    for (const auto &r : page->repos) {
      if (!ours.contains(r.did)) ignore.push_back(r.did);
    }
    if (!page->cursor || page->repos.empty()) break;
    cursor = page->cursor;
  }

  const std::string key = bench::fresh_credentials_key();
  auto config = Config::from_env(env_from_map({{"ACID_STORE", "sqlite:" + db_path.string()},
                                               {"PDS_URL", env->url},
                                               {"PDS_ADMIN_PASSWORD", env->admin_password},
                                               {"ACID_PDS_HANDLE_DOMAIN", env->handle_domain},
                                               {"ACID_CREDENTIALS_KEY", key}}));
  if (!config) die("config", config.error());
  auto ring = seal::KeyRing::parse(key);
  if (!ring) die("key", ring.error());
  provision::EngineOptions eo;
  eo.config = std::move(*config);
  auto engine = provision::Engine::create(std::move(eo));
  if (!engine) die("engine", engine.error());

  // The store: `users` people with codes and verifications; the first `with_accounts` verified
  // with their PDS account (sealed password), the rest signed up only.
  const auto fill_start = bench::Clock::now();
  std::vector<std::string> subs;
  subs.reserve(users);
  {
    sqlite3 *db = nullptr;
    if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) die("opening the store file");
    sqlite3_busy_timeout(db, 10'000);
    exec(db, "BEGIN IMMEDIATE");
    sqlite3_stmt *u = nullptr, *v = nullptr, *a = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO users (sub, code, when_ms) VALUES (?1, ?2, ?3)", -1, &u,
                       nullptr);
    sqlite3_prepare_v2(db, "INSERT INTO verifications (sub, count) VALUES (?1, ?2)", -1, &v,
                       nullptr);
    sqlite3_prepare_v2(db,
                       "INSERT INTO accounts (sub, signed_up_ms, verified_ms, email, state, did, "
                       "pds_handle, password, pds_created_at, updated_ms) VALUES (?1, ?2, ?3, ?4, "
                       "?5, ?6, ?7, ?8, ?9, ?2)",
                       -1, &a, nullptr);
    const std::int64_t when = 1'760'000'000'000;  // 2025
    for (std::size_t i = 0; i < users; ++i) {
      char id[40];
      std::snprintf(id, sizeof id, "auth0|bench%018zu", i);
      subs.emplace_back(id);
      const std::string code = code::format_code(25, static_cast<std::uint32_t>(i));
      const bool has_account = i < accounts.size();
      sqlite3_bind_text(u, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(u, 2, code.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(u, 3, when + static_cast<std::int64_t>(i));
      if (sqlite3_step(u) != SQLITE_DONE) die(std::string("insert users: ") + sqlite3_errmsg(db));
      sqlite3_reset(u);
      sqlite3_bind_text(v, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(v, 2, has_account ? 1 : 0);
      if (sqlite3_step(v) != SQLITE_DONE) die("insert verifications");
      sqlite3_reset(v);
      sqlite3_bind_text(a, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(a, 2, when + static_cast<std::int64_t>(i));
      const std::string email = std::string(id + 6) + "@example.com";
      sqlite3_bind_text(a, 4, email.c_str(), -1, SQLITE_TRANSIENT);
      if (has_account) {
        const PdsAccount &acc = accounts[i];
        auto sealed = seal::seal(*ring, acc.password, provision::password_aad(id));
        if (!sealed) die("seal", sealed.error());
        sqlite3_bind_int64(a, 3, when + static_cast<std::int64_t>(i) + 60'000);
        sqlite3_bind_text(a, 5, "active", -1, SQLITE_STATIC);
        sqlite3_bind_text(a, 6, acc.did.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(a, 7, acc.handle.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(a, 8, sealed->c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(a, 9, "2025-10-09T08:53:20.000Z", -1, SQLITE_STATIC);
      } else {
        sqlite3_bind_null(a, 3);
        sqlite3_bind_text(a, 5, "none", -1, SQLITE_STATIC);
        for (int c = 6; c <= 9; ++c) sqlite3_bind_null(a, c);
      }
      if (sqlite3_step(a) != SQLITE_DONE)
        die(std::string("insert accounts: ") + sqlite3_errmsg(db));
      sqlite3_reset(a);
      sqlite3_clear_bindings(a);
    }
    sqlite3_finalize(u);
    sqlite3_finalize(v);
    sqlite3_finalize(a);
    exec(db, "COMMIT");
    sqlite3_close(db);
  }
  std::fprintf(stderr, "store filled: %zu users (%zu with PDS accounts) in %.1f s\n", users,
               accounts.size(),
               std::chrono::duration<double>(bench::Clock::now() - fill_start).count());

  // The library: audit --all.
  audit::Options options;
  options.scope = audit::Scope::all;
  options.ignore_dids = ignore;
  const double rss_before = peak_rss_mib();
  const auto lib_start = bench::Clock::now();
  auto report = audit::run_audit(audit::audit_sources(**engine), options);
  const double lib_s = std::chrono::duration<double>(bench::Clock::now() - lib_start).count();
  if (!report) die("audit", report.error());
  const double rss_after = peak_rss_mib();

  // The deployed approach: per user, one read per collection and one PDS call for a DID.
  store::Store &st = (*engine)->store();
  std::size_t base_findings = 0, base_pds_calls = 0;
  const auto base_start = bench::Clock::now();
  for (const std::string &s : subs) {
    auto u = st.get_user(s);
    if (!u && u.code() != Code::not_found) die("get_user", u.error());
    auto v = acid::testing::inspect(st).get_verifications(s);
    if (!v && v.code() != Code::not_found) die("get_verifications", v.error());
    auto acc = st.get_account(s);  // the users document's atproto part
    if (!acc) die("get_account", acc.error());
    if (!u || !v) ++base_findings;
    if (acc->did) {
      ++base_pds_calls;
      auto info = (*pds)->get_account_info(*acc->did);
      if (!info) ++base_findings;
    }
  }
  const double base_s = std::chrono::duration<double>(bench::Clock::now() - base_start).count();

  std::printf("audit --all of %zu users (%zu with PDS accounts, %llu repos on the PDS)\n", users,
              accounts.size(), static_cast<unsigned long long>(report->pds_accounts));
  std::printf(
      "  library:  %.3f s (store %.3f s, PDS %.3f s), %zu findings, %llu DIDs in %llu "
      "getAccountInfos calls\n",
      lib_s, report->store_seconds, report->pds_seconds, report->findings.size(),
      static_cast<unsigned long long>(report->pds_dids_checked),
      static_cast<unsigned long long>((report->pds_dids_checked + 99) / 100));
  std::printf("  deployed: %.3f s, %zu findings, %zu store reads + %zu PDS calls\n", base_s,
              base_findings, subs.size() * 3, base_pds_calls);
  std::printf("  ratio:    %.1fx (target >= 20x); library under 10 s: %s\n", base_s / lib_s,
              lib_s < 10 ? "yes" : "NO");
  std::printf(
      "  peak RSS: %.1f MiB before the library audit, %.1f MiB after it (setup "
      "included), %.1f MiB at the end\n",
      rss_before, rss_after, peak_rss_mib());
  if (!report->findings.empty()) {
    std::printf("  unexpected findings: %s\n", audit::to_json(*report).substr(0, 2000).c_str());
    return 1;
  }
  fs::remove_all(work);
  return 0;
}
