// The job machinery against the real local PDS + PLC and a real SQLite store, with the
// fault-injecting proxy in front of the PDS (it counts calls and delays or rewrites answers):
// leases renewed while a slow createAccount runs, a stale holder's result dropped and counted,
// a DID other code wrote adopted without a createAccount call (or reported when the PDS does
// not know it), and an unreadable 2xx createAccount answer settled by the ownership proof.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <array>
#include <atomic>
#include <chrono>
#include <thread>

#include "core/base64.h"
#include "core/random.h"
#include "pds/xrpc_client.h"
#include "pds/xrpc_fault_proxy.h"
#include "provision/engine.h"
#include "support/local_pds.h"
#include "support/temp_dir.h"

namespace acid::provision {
namespace {

constexpr const char *kToken = "leases-webhook-token";
constexpr std::string_view kCreateAccount = "com.atproto.server.createAccount";

class LeasesLive : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = pds::test::load_pds_env();
    ASSERT_TRUE(env) << env.error().message;
    env_ = *env;
    proxy_ = std::make_unique<pds::test::FaultProxy>(env_.port);
    ASSERT_TRUE(proxy_->start());
    pds::ClientOptions o;
    o.base_url = env_.url;
    o.admin_password = env_.admin_password;
    auto c = pds::XrpcClient::create(o);
    ASSERT_TRUE(c) << c.error().message;
    pds_ = std::move(*c);
    run_ = pds::test::unique_label(6);
  }
  void TearDown() override { proxy_->stop(); }

  // An engine on the test's store whose PDS is the proxy.
  std::unique_ptr<Engine> make_engine(std::int64_t lease_ms = 120'000,
                                      const std::string &max_attempts = "3") {
    std::array<std::uint8_t, 32> key{};
    EXPECT_TRUE(random_bytes(key).is_ok());
    if (key_.empty()) key_ = base64::encode(std::span<const std::uint8_t>(key));
    auto config = Config::from_env(env_from_map({
        {"ACID_STORE", dir_.sqlite_uri()},
        {"PDS_URL", proxy_->url()},
        {"PDS_ADMIN_PASSWORD", env_.admin_password},
        {"ACID_PDS_HANDLE_DOMAIN", env_.handle_domain},
        {"AUTH0_LOG_TOKEN", kToken},
        {"ACID_CREDENTIALS_KEY", key_},
        {"ACID_MAX_ATTEMPTS", max_attempts},
    }));
    EXPECT_TRUE(config) << config.error().message;
    if (!config) return nullptr;
    EngineOptions opts;
    opts.config = std::move(*config);
    opts.lease_ms = lease_ms;
    opts.alert = [this](std::string_view json) {
      std::lock_guard lock(mu_);
      alerts_.emplace_back(json);
    };
    auto engine = Engine::create(std::move(opts));
    EXPECT_TRUE(engine) << engine.error().message;
    return engine ? std::move(*engine) : nullptr;
  }

  std::string sub(const std::string &name) { return "auth0|" + run_ + name; }

  // Signup and verification of `name`: a pending account with a provision job.
  void verify(Engine &engine, const std::string &name) {
    const std::string s = sub(name), mail = run_ + name + "@example.com";
    std::string body = "[";
    for (const char *type : {"ss", "sv"}) {
      if (body.size() > 1) body += ",";
      body += R"({"log_id":")" + run_ + type + name + R"(","data":{"type":")" + type +
              R"(","date":"2025-10-14T08:30:00Z","user_id":")" + s + R"(","user_name":")" + mail +
              R"("}})";
    }
    const HttpAnswer r =
        engine.handle_log_stream(Tenant::aesthetic, std::string_view(kToken), body + "]");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  void drain(Engine &engine) {
    for (int i = 0; i < 20; ++i) {
      auto summary = engine.run_jobs(60'000, 100);
      ASSERT_TRUE(summary) << summary.error().message;
      if (summary->ran == 0) return;
    }
  }

  store::Account account(Engine &engine, const std::string &s) {
    auto a = engine.store().get_account(s);
    EXPECT_TRUE(a) << a.error().message;
    return a ? *a : store::Account{};
  }

  // A real account on the PDS made by someone else (as the deployed createAtprotoAccount does).
  pds::Session foreign_account(const std::string &name) {
    auto invite = pds_->create_invite_code(1);
    EXPECT_TRUE(invite) << invite.error().message;
    pds::CreateAccountInput in{run_ + name + "." + env_.handle_domain,
                               run_ + name + "-other@example.com", "foreign-password-1234",
                               invite ? std::optional<std::string>(*invite) : std::nullopt};
    auto created = pds_->create_account(in);
    EXPECT_TRUE(created) << created.error().message;
    return created ? *created : pds::Session{};
  }

  // Writes users.atproto the way other code does, straight into the store, leaving the
  // library's own state (pending) as it was.
  void write_atproto(const std::string &s, const std::string &did, const std::string &handle) {
    sqlite3 *db = nullptr;
    ASSERT_EQ(sqlite3_open(dir_.file("store.db").c_str(), &db), SQLITE_OK);
    const std::string sql = "UPDATE accounts SET did = '" + did + "', pds_handle = '" + handle +
                            "', password = 'foreign-password-1234' WHERE sub = '" + s + "'";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_close(db);
  }

  testing::TempDir dir_;
  pds::test::PdsEnv env_;
  std::unique_ptr<pds::test::FaultProxy> proxy_;
  std::unique_ptr<pds::XrpcClient> pds_;
  std::string run_;
  std::string key_;
  std::mutex mu_;
  std::vector<std::string> alerts_;
};

// createAccount answers after 3 s while the lease lasts 1 s. Another thread of the same engine
// (same worker id) keeps asking for work meanwhile: the renewed lease is never taken, so the
// account is created once and nobody runs the job twice.
TEST_F(LeasesLive, ARunningJobRenewsItsLease) {
  auto engine = make_engine(1000);
  ASSERT_TRUE(engine);
  verify(*engine, "slow");
  proxy_->set_rule([](const pds::test::ProxyRequest &req, int) {
    pds::test::Fault f;
    if (req.nsid == kCreateAccount) {
      f.action = pds::test::Fault::Action::delay_then_forward;
      f.delay_ms = 3000;
    }
    return f;
  });
  std::thread worker([&] {
    auto summary = engine->run_jobs(60'000, 1);
    EXPECT_TRUE(summary) << summary.error().message;
  });
  int taken_twice = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2800);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  while (std::chrono::steady_clock::now() < until) {
    auto other = engine->run_jobs(60'000, 1);
    ASSERT_TRUE(other) << other.error().message;
    if (other->ran != 0) ++taken_twice;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  worker.join();
  drain(*engine);
  EXPECT_EQ(taken_twice, 0) << "a second thread took the job while it ran";
  EXPECT_EQ(proxy_->count(kCreateAccount), 1);
  EXPECT_EQ(account(*engine, sub("slow")).state, store::AccountState::active);
  EXPECT_GE(engine->metrics().get("acid_lease_renewals_total", {{"kind", "provision"}}), 2u);
}

// A deletion arrives while createAccount runs: it replaces the provision job, so the running
// holder's "done" no longer belongs to any lease. It is dropped and counted; the account it
// created is recorded and deleted by the delete job (nothing orphaned).
TEST_F(LeasesLive, AStaleHoldersResultIsDroppedAndCounted) {
  auto engine = make_engine();
  ASSERT_TRUE(engine);
  verify(*engine, "gone");
  proxy_->set_rule([](const pds::test::ProxyRequest &req, int) {
    pds::test::Fault f;
    if (req.nsid == kCreateAccount) {
      f.action = pds::test::Fault::Action::delay_then_forward;
      f.delay_ms = 1500;
    }
    return f;
  });
  std::thread worker([&] { EXPECT_TRUE(engine->run_jobs(60'000, 1)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::string body = R"([{"log_id":")" + run_ + R"(sdu","data":{"type":"sdu",)" +
                           R"("date":"2025-10-15T08:30:00Z","user_id":")" + sub("gone") + R"("}}])";
  const HttpAnswer r = engine->handle_log_stream(Tenant::aesthetic, std::string_view(kToken), body);
  ASSERT_EQ(r.status, 200) << r.body;
  worker.join();
  EXPECT_EQ(engine->metrics().get("acid_stale_results_dropped_total", {{"kind", "provision"}}), 1u);
  EXPECT_EQ(engine->metrics().get("acid_jobs_total", {{"kind", "provision"}, {"outcome", "done"}}),
            0u);
  const store::Account mid = account(*engine, sub("gone"));
  ASSERT_TRUE(mid.did.has_value());
  const std::string did = *mid.did;
  drain(*engine);
  EXPECT_EQ(account(*engine, sub("gone")).state, store::AccountState::deleted);
  EXPECT_FALSE(pds_->get_account_info(did)) << "the account created meanwhile was orphaned";
}

// The finding of issue 13: a worker whose job was taken over by another thread of the same
// process (same worker id) gives up after the account became active. Its failure is dropped:
// the account is not marked failed (before, it was: the write was by sub, in any state, ahead
// of the owner-matched job update), no alert goes out, and the drop is counted.
TEST_F(LeasesLive, AStaleWorkerCannotMarkAnActiveAccountFailed) {
  auto engine = make_engine(120'000, "1");  // the first failure gives up
  ASSERT_TRUE(engine);
  verify(*engine, "late");
  proxy_->set_rule([](const pds::test::ProxyRequest &req, int) {
    pds::test::Fault f;
    if (req.nsid == kCreateAccount) {
      f.action = pds::test::Fault::Action::delay_then_forward;
      f.delay_ms = 1500;
      f.rewrite = [](pds::test::ProxyResponse &resp) {
        resp.status = 400;
        resp.body = R"({"error":"InvalidRequest","message":"This email address is not )"
                    R"(supported, please use a different email."})";
      };
    }
    return f;
  });
  std::thread worker([&] { EXPECT_TRUE(engine->run_jobs(60'000, 1)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // createAccount in flight
  // Another thread of the same process takes the job over, as after an expired lease (its
  // clock is past the lease), and finishes the account.
  store::Store &store = engine->store();
  auto stolen = store.lease_job(engine->worker_id(), now_unix_ms() + 600'000, 120'000);
  ASSERT_TRUE(stolen && stolen->has_value());
  auto did = random_string(24, "abcdefghijklmnopqrstuvwxyz234567");
  ASSERT_TRUE(did);
  ASSERT_TRUE(store.mark_account_created(sub("late"), "did:plc:" + *did, "late.test", "pw", "t"));
  ASSERT_TRUE(store.complete_job(**stolen, engine->worker_id()));
  worker.join();

  const store::Account a = account(*engine, sub("late"));
  EXPECT_EQ(a.state, store::AccountState::active);
  EXPECT_EQ(a.last_error, "");
  EXPECT_EQ(a.attempts, 0);
  EXPECT_EQ(engine->metrics().get("acid_stale_results_dropped_total", {{"kind", "provision"}}), 1u);
  std::lock_guard lock(mu_);
  EXPECT_TRUE(alerts_.empty()) << alerts_.front();
}

// Other code (the deployed createAtprotoAccount) created the PDS account and wrote its DID while
// the library's state still says pending: the provision job adopts it, with no createAccount.
TEST_F(LeasesLive, ADidWrittenByOtherCodeIsAdoptedWithoutCreateAccount) {
  auto engine = make_engine();
  ASSERT_TRUE(engine);
  verify(*engine, "adopt");
  const pds::Session existing = foreign_account("adopt");
  ASSERT_FALSE(existing.did.empty());
  write_atproto(sub("adopt"), existing.did, existing.handle);
  ASSERT_EQ(account(*engine, sub("adopt")).state, store::AccountState::pending);
  drain(*engine);
  const store::Account a = account(*engine, sub("adopt"));
  EXPECT_EQ(a.state, store::AccountState::active) << a.last_error;
  EXPECT_EQ(a.did, existing.did);
  EXPECT_EQ(a.password, "foreign-password-1234") << "other code's credentials were rewritten";
  EXPECT_EQ(proxy_->count(kCreateAccount), 0);
  EXPECT_GE(proxy_->count("com.atproto.admin.getAccountInfos"), 1);
}

// A DID on the account that the PDS does not know: no second account is created; the job gives
// up with an error that says so (the audit lists the DID as did_unknown_to_pds).
TEST_F(LeasesLive, ADidThePdsDoesNotKnowIsReportedNotReplaced) {
  auto engine = make_engine();
  ASSERT_TRUE(engine);
  verify(*engine, "ghost");
  auto suffix = random_string(24, "abcdefghijklmnopqrstuvwxyz234567");  // a well-formed did:plc
  ASSERT_TRUE(suffix);
  write_atproto(sub("ghost"), "did:plc:" + *suffix, "ghost.invalid");
  drain(*engine);
  const store::Account a = account(*engine, sub("ghost"));
  EXPECT_EQ(a.state, store::AccountState::failed);
  EXPECT_NE(a.last_error.find("unknown to the PDS"), std::string::npos) << a.last_error;
  EXPECT_EQ(proxy_->count(kCreateAccount), 0);
  std::lock_guard lock(mu_);
  ASSERT_EQ(alerts_.size(), 1u);
  EXPECT_NE(alerts_[0].find(sub("ghost")), std::string::npos);
}

// The PDS creates the account but its 2xx answer cannot be parsed: the outcome is unknown, not
// a permanent invalid_response. The ownership proof (createSession with the intent's password)
// finds the account, and the person ends active with exactly one account.
TEST_F(LeasesLive, AnUnreadableCreateAccountAnswerEndsActiveAfterTheProof) {
  auto engine = make_engine();
  ASSERT_TRUE(engine);
  verify(*engine, "mangled");
  proxy_->set_rule([](const pds::test::ProxyRequest &req, int) {
    pds::test::Fault f;
    if (req.nsid == kCreateAccount) {
      f.rewrite = [](pds::test::ProxyResponse &resp) {
        if (resp.status / 100 == 2) resp.body = R"({"did":42,"handle":)";
      };
    }
    return f;
  });
  drain(*engine);
  const store::Account a = account(*engine, sub("mangled"));
  EXPECT_EQ(a.state, store::AccountState::active) << a.last_error;
  ASSERT_TRUE(a.did.has_value());
  EXPECT_EQ(proxy_->count(kCreateAccount), 1);
  EXPECT_GE(proxy_->count("com.atproto.server.createSession"), 1);
  auto info = pds_->get_account_info(*a.did);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->handle, a.pds_handle);
}

}  // namespace
}  // namespace acid::provision
