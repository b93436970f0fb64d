// `acidentity audit` / `acidentity backfill` as an operator runs them, against the real local
// PDS: exit statuses (0 clean, 1 findings, 2 could not run, 64 usage), and a backfill --fix
// killed with SIGKILL while it provisions, then re-run: it converges with exactly one PDS
// account per user (a duplicate would be an orphan, which the final audit --all reports).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "core/config.h"
#include "pds/xrpc_client.h"
#include "provision/engine.h"
#include "support/local_pds.h"
#include "support/temp_dir.h"

namespace acid::audit {
namespace {

constexpr int kUsers = 40;

class BackfillCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = pds::test::load_pds_env();
    ASSERT_TRUE(env) << env.error().message;
    env_ = *env;
    vars_ = {{"ACID_STORE", dir_.sqlite_uri()},
             {"PDS_URL", env_.url},
             {"PDS_ADMIN_PASSWORD", env_.admin_password},
             {"ACID_PDS_HANDLE_DOMAIN", env_.handle_domain},
             {"AUTH0_LOG_TOKEN", "cli-token"},
             {"ACID_CREDENTIALS_KEY", "mbhUPg0YxcYeg1TmXPIk+4rJ4W6uq+jY1uL5J6gdnJM="},
             {"ACID_MAX_ATTEMPTS", "50"},
             {"ACID_JOB_LEASE_MS", "1500"}};
    pds::ClientOptions o;
    o.base_url = env_.url;
    o.admin_password = env_.admin_password;
    auto c = pds::XrpcClient::create(o);
    ASSERT_TRUE(c) << c.error().message;
    pds_ = std::move(*c);
    // Accounts on the shared PDS from other tests are not this store's orphans.
    std::optional<std::string> cursor;
    for (;;) {
      auto page = pds_->list_repos(1000, cursor);
      ASSERT_TRUE(page) << page.error().message;
      for (const auto &r : page->repos) {
        ignore_args_.push_back("--ignore-did");
        ignore_args_.push_back(r.did);
      }
      if (!page->cursor || page->repos.empty()) break;
      cursor = page->cursor;
    }
  }

  // Runs the CLI with the test's environment; returns the child's pid (not waited for).
  pid_t spawn(std::vector<std::string> args, const std::string &out_file) {
    const pid_t pid = fork();
    if (pid == 0) {
      for (const auto &[k, v] : vars_) setenv(k.c_str(), v.c_str(), 1);
      const int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (out >= 0) {
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
      }
      std::vector<char *> argv;
      argv.push_back(const_cast<char *>(ACID_CLI_PATH));
      argv.push_back(const_cast<char *>("--quiet"));
      for (auto &a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(ACID_CLI_PATH, argv.data());
      _exit(127);
    }
    return pid;
  }

  int run(std::vector<std::string> args) {
    const pid_t pid = spawn(std::move(args), dir_.file("out.txt"));
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string output() {
    std::string text;
    FILE *f = std::fopen(dir_.file("out.txt").c_str(), "rb");
    if (f == nullptr) return text;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
    std::fclose(f);
    return text;
  }

  std::vector<std::string> audit_all() {
    std::vector<std::string> a = {"audit", "--all"};
    a.insert(a.end(), ignore_args_.begin(), ignore_args_.end());
    return a;
  }

  int count_active() {
    sqlite3 *db = nullptr;
    if (sqlite3_open(dir_.file("store.db").c_str(), &db) != SQLITE_OK) return -1;
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM accounts WHERE state = 'active'", -1, &st,
                       nullptr);
    int n = -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  }

  testing::TempDir dir_;
  pds::test::PdsEnv env_;
  std::map<std::string, std::string, std::less<>> vars_;
  std::vector<std::string> ignore_args_;
  std::unique_ptr<pds::XrpcClient> pds_;
};

TEST_F(BackfillCli, ExitStatusesAndAKilledBackfillConverges) {
  // Verified users whose provision jobs were lost: the incident's shape, at a small scale.
  auto config = Config::from_env(env_from_map(vars_));
  ASSERT_TRUE(config) << config.error().message;
  provision::EngineOptions opts;
  opts.config = std::move(*config);
  auto engine = provision::Engine::create(std::move(opts));
  ASSERT_TRUE(engine) << engine.error().message;
  EXPECT_EQ(run(audit_all()), 0) << "an empty store is clean";

  const std::string label = pds::test::unique_label(6);
  // The PDS is shared with other tests' stores, which may hand out the same codes (code handles
  // taken): a signup year per run (2000-2024; other tests use 2025) makes that unlikely.
  unsigned h = 0;
  for (char c : label) h = h * 31 + static_cast<unsigned char>(c);
  const std::string year = std::to_string(2000 + h % 25);
  std::string body = "[";
  for (int n = 0; n < kUsers; ++n) {
    const std::string user = "auth0|" + label + "b" + std::to_string(n);
    for (const char *type : {"ss", "sv"}) {
      if (body.size() > 1) body += ",";
      body += R"({"log_id":")" + label + type + std::to_string(n) + R"(","data":{"type":")" + type +
              R"(","date":")" + year + R"(-10-14T08:30:00Z","user_id":")" + user +
              R"(","user_name":")" + label + "b" + std::to_string(n) + R"(@example.com"}})";
    }
  }
  const auto r =
      (*engine)->handle_log_stream(Tenant::aesthetic, std::string_view("cli-token"), body + "]");
  ASSERT_EQ(r.status, 200) << r.body;
  engine->reset();
  {
    sqlite3 *db = nullptr;
    ASSERT_EQ(sqlite3_open(dir_.file("store.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DELETE FROM jobs", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  EXPECT_EQ(run(audit_all()), 1) << "lost jobs are findings";
  EXPECT_EQ(run({"audit"}), 64) << "no scope is a usage error";
  EXPECT_EQ(run({"--store", "sqlite:" + dir_.file("missing/dir/store.db"), "audit", "--all"}), 2)
      << "a store that cannot open: the audit could not run";
  // Dry run: a plan, nothing done.
  std::vector<std::string> dry = {"backfill", "--all"};
  dry.insert(dry.end(), ignore_args_.begin(), ignore_args_.end());
  EXPECT_EQ(run(dry), 1);
  EXPECT_EQ(count_active(), 0);

  // --fix, killed with SIGKILL once some accounts exist.
  std::vector<std::string> fix = dry;
  fix.push_back("--fix");
  fix.push_back("--concurrency");
  fix.push_back("4");
  const pid_t pid = spawn(fix, dir_.file("killed.txt"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (count_active() < 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const int active_at_kill = count_active();
  EXPECT_GE(active_at_kill, 5);
  EXPECT_LT(active_at_kill, kUsers) << "killed too late to interrupt anything";

  // Re-run: resumes (expired leases, crash-safe intents) and converges.
  EXPECT_EQ(run(fix), 0) << output();
  EXPECT_EQ(count_active(), kUsers);
  // Clean, and no orphan: no account was created twice.
  EXPECT_EQ(run(audit_all()), 0) << output();
  EXPECT_EQ(run(dry), 0) << "nothing left to plan";

  // An orphan: listed before anything is deleted, then deleted only with --delete-orphans.
  auto invite = pds_->create_invite_code(1);
  ASSERT_TRUE(invite);
  auto orphan =
      pds_->create_account({"o" + label + "." + env_.handle_domain, label + "orphan@example.com",
                            "orphan-password-123", *invite});
  ASSERT_TRUE(orphan) << orphan.error().message;
  EXPECT_EQ(run(fix), 1) << "without --delete-orphans the orphan stays";
  ASSERT_TRUE(pds_->get_account_info(orphan->did));
  std::vector<std::string> purge = fix;
  purge.push_back("--delete-orphans");
  EXPECT_EQ(run(purge), 0);
  const std::string printed = output();
  const std::size_t listed = printed.find("orphan to delete: " + orphan->did);
  EXPECT_NE(listed, std::string::npos) << printed;
  EXPECT_LT(listed, printed.find("fixed 1, failed 0")) << printed;
  EXPECT_FALSE(pds_->get_account_info(orphan->did));
  EXPECT_EQ(run(audit_all()), 0);
}

// The credentials commands as an operator runs them: `user credentials` hides the password
// unless --reveal; a plaintext password (the deployed format) survives `backfill --fix`, and
// only `credentials seal` seals it (after a --dry-run that writes nothing).
TEST_F(BackfillCli, CredentialsAreSealedOnlyByTheSealCommand) {
  auto config = Config::from_env(env_from_map(vars_));
  ASSERT_TRUE(config) << config.error().message;
  provision::EngineOptions opts;
  opts.config = std::move(*config);
  auto engine = provision::Engine::create(std::move(opts));
  ASSERT_TRUE(engine) << engine.error().message;
  const std::string label = pds::test::unique_label(6);
  const std::string user = "auth0|" + label + "cred";
  std::string body = "[";
  for (const char *type : {"ss", "sv"}) {
    if (body.size() > 1) body += ",";
    body += R"({"log_id":")" + label + type + R"(","data":{"type":")" + type +
            R"(","date":"2031-10-14T08:30:00Z","user_id":")" + user + R"(","user_name":")" + label +
            R"(cred@example.com"}})";
  }
  ASSERT_EQ((*engine)
                ->handle_log_stream(Tenant::aesthetic, std::string_view("cli-token"), body + "]")
                .status,
            200);
  ASSERT_TRUE((*engine)->run_jobs(60'000, 10));
  auto account = (*engine)->store().get_account(user);
  ASSERT_TRUE(account && account->did && account->password);
  auto provisioner = (*engine)->provisioner();
  ASSERT_TRUE(provisioner);
  auto password = (*provisioner)->open_password(user, *account->password);
  ASSERT_TRUE(password) << password.error().message;
  ASSERT_TRUE((*engine)->store().replace_password(user, *account->password, *password).is_ok());
  engine->reset();

  EXPECT_EQ(run({"user", "credentials", user}), 0) << output();
  EXPECT_NE(output().find(*account->did), std::string::npos) << output();
  EXPECT_EQ(output().find(*password), std::string::npos) << "printed without --reveal";
  EXPECT_EQ(run({"user", "credentials", user, "--reveal"}), 0);
  EXPECT_NE(output().find("password  " + *password), std::string::npos) << output();
  EXPECT_EQ(run({"user", "credentials", "auth0|" + label + "nobody"}), 1);
  EXPECT_EQ(run({"credentials", "status"}), 0);
  EXPECT_NE(output().find("plaintext  1"), std::string::npos) << output();

  std::vector<std::string> fix = {"backfill", "--all", "--fix"};
  fix.insert(fix.end(), ignore_args_.begin(), ignore_args_.end());
  EXPECT_EQ(run(fix), 1) << output();  // the plaintext finding stays: it is not automatic
  std::vector<std::string> audit_json = audit_all();
  audit_json.push_back("--json");
  EXPECT_EQ(run(audit_json), 1);
  EXPECT_NE(output().find("\"kind\":\"plaintext_credentials\""), std::string::npos) << output();
  EXPECT_NE(output().find("credentials seal --user " + user), std::string::npos) << output();
  EXPECT_EQ(run({"credentials", "seal", "--all", "--dry-run"}), 0);
  EXPECT_NE(output().find("would seal 1"), std::string::npos) << output();
  EXPECT_EQ(run({"credentials", "status"}), 0);
  EXPECT_NE(output().find("plaintext  1"), std::string::npos) << output();

  EXPECT_EQ(run({"credentials", "seal", "--all"}), 0) << output();
  EXPECT_NE(output().find("sealed 1"), std::string::npos) << output();
  EXPECT_EQ(run({"credentials", "status"}), 0);
  EXPECT_NE(output().find("plaintext  0"), std::string::npos) << output();
  EXPECT_NE(output().find("sealed     1"), std::string::npos) << output();
  std::vector<std::string> audit = audit_all();
  EXPECT_EQ(run(audit), 0) << output();
  // Still the same password, now sealed.
  EXPECT_EQ(run({"user", "credentials", user, "--reveal"}), 0);
  EXPECT_NE(output().find("password  " + *password), std::string::npos) << output();
  EXPECT_TRUE(pds_->create_session(*account->did, *password));
}

}  // namespace
}  // namespace acid::audit
