// Crash safety, for real: `acidentity work` processes are killed with SIGKILL at random points
// while they provision 100 verified users on the local PDS; then a worker finishes the job. Every
// verified user must end with exactly one PDS account, and the PDS must hold no account the
// store does not know (its repo list is compared before and after).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "pds/xrpc_client.h"
#include "provision/engine.h"
#include "support/local_pds.h"
#include "support/temp_dir.h"

namespace acid::provision {
namespace {

constexpr int kUsers = 100;
constexpr const char *kToken = "crash-token";

Result<std::set<std::string>> all_repos(pds::XrpcClient &client) {
  std::set<std::string> dids;
  std::optional<std::string> cursor;
  for (int page = 0; page < 1000; ++page) {
    auto repos = client.list_repos(500, cursor);
    if (!repos) return std::move(repos).error();
    for (const auto &r : repos->repos) dids.insert(r.did);
    if (!repos->cursor || repos->repos.empty()) return dids;
    cursor = repos->cursor;
  }
  return Error(Code::internal, "listRepos did not end");
}

class CrashLive : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = pds::test::load_pds_env();
    ASSERT_TRUE(env) << env.error().message;
    env_ = *env;
    key_ = "mbhUPg0YxcYeg1TmXPIk+4rJ4W6uq+jY1uL5J6gdnJM=";  // a fixed test key (32 bytes)
    vars_ = {{"ACID_STORE", dir_.sqlite_uri()},
             {"PDS_URL", env_.url},
             {"PDS_ADMIN_PASSWORD", env_.admin_password},
             {"ACID_PDS_HANDLE_DOMAIN", env_.handle_domain},
             {"AUTH0_LOG_TOKEN", kToken},
             {"ACID_CREDENTIALS_KEY", key_},
             {"ACID_MAX_ATTEMPTS", "50"},
             {"ACID_JOB_LEASE_MS", "1500"}};
    pds::ClientOptions o;
    o.base_url = env_.url;
    o.admin_password = env_.admin_password;
    auto c = pds::XrpcClient::create(o);
    ASSERT_TRUE(c) << c.error().message;
    pds_ = std::move(*c);
  }

  // Starts `acidentity work` in a child process with the test's environment.
  pid_t spawn_worker() {
    const pid_t pid = fork();
    if (pid == 0) {
      for (const auto &[k, v] : vars_) setenv(k.c_str(), v.c_str(), 1);
      const int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) {
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
      }
      execl(ACID_CLI_PATH, ACID_CLI_PATH, "--quiet", "work", "--until-idle", nullptr);
      _exit(127);
    }
    return pid;
  }

  testing::TempDir dir_;
  pds::test::PdsEnv env_;
  std::string key_;
  std::map<std::string, std::string, std::less<>> vars_;
  std::unique_ptr<pds::XrpcClient> pds_;
};

TEST_F(CrashLive, KilledWorkersLeaveExactlyOneAccountPerVerifiedUser) {
  auto before = all_repos(*pds_);
  ASSERT_TRUE(before) << before.error().message;

  auto config = Config::from_env(env_from_map(vars_));
  ASSERT_TRUE(config) << config.error().message;
  EngineOptions opts;
  opts.config = std::move(*config);
  auto engine = Engine::create(std::move(opts));
  ASSERT_TRUE(engine) << engine.error().message;
  const std::string run = pds::test::unique_label(6);
  std::vector<std::string> subs;
  // Signed up in a year drawn from 2001-2013, years no other test uses: their code handles
  // (ac01... to ac13...) cannot collide with accounts other tests left on the shared local PDS
  // (user codes of one year are only 109,744, and each store draws its own permutation; a
  // collision reads as "handle taken"). The draw keeps earlier runs of this test, whose accounts
  // a long-lived build folder's PDS still holds, from filling one year.
  std::random_device entropy;
  const int year = std::uniform_int_distribution<int>(2001, 2013)(entropy);
  for (int batch = 0; batch < kUsers / 25; ++batch) {
    std::string body = "[";
    for (int i = 0; i < 25; ++i) {
      const int n = batch * 25 + i;
      const std::string user = "auth0|" + run + "k" + std::to_string(n);
      subs.push_back(user);
      const std::string mail = run + "k" + std::to_string(n) + "@example.com";
      for (const char *type : {"ss", "sv"}) {
        if (body.size() > 1) body += ",";
        body += R"({"log_id":")" + run + type + std::to_string(n) + R"(","data":{"type":")" + type +
                R"(","date":")" + std::to_string(year) + R"(-10-14T08:30:00Z","user_id":")" + user +
                R"(","user_name":")" + mail + R"("}})";
      }
    }
    const HttpAnswer r =
        (*engine)->handle_log_stream(Tenant::aesthetic, std::string_view(kToken), body + "]");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // Kill workers at random points while they work.
  std::mt19937 rng(static_cast<unsigned>(::getpid()));
  std::uniform_int_distribution<int> delay_ms(50, 700);
  int kills = 0;
  for (int round = 0; round < 10; ++round) {
    const pid_t a = spawn_worker();
    const pid_t b = spawn_worker();
    ASSERT_GT(a, 0);
    ASSERT_GT(b, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    for (pid_t pid : {a, b}) {
      if (::kill(pid, SIGKILL) == 0) ++kills;
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
    }
  }
  EXPECT_GT(kills, 0);

  // Then let workers finish (killed leases expire after ACID_JOB_LEASE_MS).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(4);
  for (;;) {
    const pid_t pid = spawn_worker();
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "worker failed: " << status;
    int active = 0;
    for (const auto &s : subs) {
      auto acc = (*engine)->store().get_account(s);
      ASSERT_TRUE(acc) << acc.error().message;
      ASSERT_NE(acc->state, store::AccountState::failed) << s << ": " << acc->last_error;
      if (acc->state == store::AccountState::active) ++active;
    }
    if (active == kUsers) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << active << " of " << kUsers;
    std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  }

  std::set<std::string> ours;
  for (const auto &s : subs) {
    auto acc = (*engine)->store().get_account(s);
    ASSERT_TRUE(acc && acc->did);
    EXPECT_TRUE(ours.insert(*acc->did).second) << "two users share " << *acc->did;
  }
  EXPECT_EQ(ours.size(), static_cast<std::size_t>(kUsers));
  auto after = all_repos(*pds_);
  ASSERT_TRUE(after) << after.error().message;
  std::set<std::string> created;
  for (const auto &did : *after) {
    if (!before->count(did)) created.insert(did);
  }
  // Every new PDS account belongs to exactly one of our users: none lost, none duplicated,
  // no orphan.
  EXPECT_EQ(created, ours);
  std::printf("[crash test] %d workers killed; %zu accounts, %zu new repos on the PDS\n", kills,
              ours.size(), created.size());
}

}  // namespace
}  // namespace acid::provision
