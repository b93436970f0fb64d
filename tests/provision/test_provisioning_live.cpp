// Provisioning end to end against the real local PDS + PLC and a real SQLite store: webhook
// batches in, jobs run, accounts checked on the PDS itself.
#include <gtest/gtest.h>

#include <array>
#include <set>
#include <thread>

#include "core/base64.h"
#include "core/json.h"
#include "core/random.h"
#include "core/seal.h"
#include "pds/xrpc_client.h"
#include "provision/engine.h"
#include "provision/provisioner.h"
#include "provision/sealing.h"
#include "support/auth0_fixture.h"
#include "support/local_pds.h"
#include "support/temp_dir.h"

namespace acid::provision {
namespace {

constexpr const char *kToken = "test-webhook-token";

std::string random_key_b64() {
  std::array<std::uint8_t, 32> key{};
  EXPECT_TRUE(random_bytes(key).is_ok());
  return base64::encode(std::span<const std::uint8_t>(key));
}

class ProvisioningLive : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = pds::test::load_pds_env();
    ASSERT_TRUE(env) << env.error().message;
    env_ = *env;
    key_ = random_key_b64();
    engine_ = make_engine();
    ASSERT_TRUE(engine_);
    pds::ClientOptions o;
    o.base_url = env_.url;
    o.admin_password = env_.admin_password;
    auto c = pds::XrpcClient::create(o);
    ASSERT_TRUE(c) << c.error().message;
    pds_ = std::move(*c);
    run_ = pds::test::unique_label(6);
  }

  std::unique_ptr<Engine> make_engine(std::map<std::string, std::string, std::less<>> extra = {}) {
    std::map<std::string, std::string, std::less<>> vars = {
        {"ACID_STORE", dir_.sqlite_uri()},
        {"PDS_URL", env_.url},
        {"PDS_ADMIN_PASSWORD", env_.admin_password},
        {"ACID_PDS_HANDLE_DOMAIN", env_.handle_domain},
        {"AUTH0_LOG_TOKEN", kToken},
        {"SOTCE_AUTH0_LOG_TOKEN", kToken},
        {"ACID_CREDENTIALS_KEY", key_},
        {"ACID_MAX_ATTEMPTS", "3"},
    };
    for (auto &[k, v] : extra) vars[k] = v;
    auto config = Config::from_env(env_from_map(vars));
    EXPECT_TRUE(config) << config.error().message;
    if (!config) return nullptr;
    EngineOptions opts;
    opts.config = std::move(*config);
    // These tests are about where the data comes from, not the webhook's time budget
    // (test_intake_entries.cpp): a slow sanitizer build must not fall back to the event date.
    opts.intake_lookup_budget_ms = 30000;
    opts.log = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      log_.emplace_back(line);
    };
    opts.alert = [this](std::string_view json) {
      std::lock_guard lock(log_mu_);
      alerts_.emplace_back(json);
    };
    auto engine = Engine::create(std::move(opts));
    EXPECT_TRUE(engine) << engine.error().message;
    return engine ? std::move(*engine) : nullptr;
  }

  // A unique Auth0 user for this test run.
  std::string sub(const std::string &name) { return "auth0|" + run_ + name; }
  std::string email(const std::string &name) { return run_ + name + "@example.com"; }

  static std::string entry(const std::string &log_id, const std::string &type,
                           const std::string &user_id, const std::string &user_name,
                           const std::string &date = "2025-10-14T08:30:00.000Z") {
    return R"({"log_id":")" + log_id + R"(","data":{"type":")" + type + R"(","date":")" + date +
           R"(","user_id":")" + user_id + R"(","user_name":")" + user_name + R"(","log_id":")" +
           log_id + R"("}})";
  }

  HttpAnswer post(const std::string &body, Tenant tenant = Tenant::aesthetic) {
    return engine_->handle_log_stream(tenant, std::string_view(kToken), body);
  }

  // Runs jobs until none is due (bounded).
  void drain() {
    for (int i = 0; i < 20; ++i) {
      auto summary = engine_->run_jobs(60'000, 100);
      ASSERT_TRUE(summary) << summary.error().message;
      if (summary->ran == 0) return;
    }
  }

  // A person with an active PDS account (signup + verification, jobs run).
  std::string active_user(const std::string &name) {
    const std::string s = sub(name);
    const HttpAnswer r = post("[" + entry(run_ + "-s" + name, "ss", s, email(name)) + "," +
                              entry(run_ + "-v" + name, "sv", s, email(name)) + "]");
    EXPECT_EQ(r.status, 200) << r.body;
    drain();
    const store::Account a = account(s);
    EXPECT_EQ(a.state, store::AccountState::active) << a.last_error;
    return s;
  }

  // A verified person whose worker persisted an intent for the code handle with `password`
  // (sealed) and then died: the state a crash leaves. Returns the sub and the handle.
  std::pair<std::string, std::string> verified_with_intent(const std::string &name,
                                                           const std::string &password) {
    const std::string s = sub(name);
    EXPECT_EQ(post("[" + entry(run_ + "-s" + name, "ss", s, email(name)) + "," +
                   entry(run_ + "-v" + name, "sv", s, email(name)) + "]")
                  .status,
              200);
    const store::Account a = account(s);
    auto ring = seal::KeyRing::parse(key_);
    EXPECT_TRUE(ring);
    auto sealed = seal::seal(*ring, password, password_aad(s));
    EXPECT_TRUE(sealed);
    const std::string handle = a.code.value_or("") + "." + env_.handle_domain;
    EXPECT_TRUE(engine_->store()
                    .save_intent(s, {handle, sealed ? *sealed : "", email(name), 1, now_unix_ms()},
                                 a.version)
                    .is_ok());
    return {s, handle};
  }

  // A PDS account made directly (with an invite), as a worker's createAccount would.
  Result<pds::Session> create_on_pds(const std::string &handle, const std::string &mail,
                                     const std::string &password) {
    ACID_ASSIGN_OR_RETURN(auto invite, pds_->create_invite_code(1));
    return pds_->create_account({handle, mail, password, invite});
  }

  store::Account account(const std::string &s) {
    auto a = engine_->store().get_account(s);
    EXPECT_TRUE(a) << a.error().message;
    return a ? *a : store::Account{};
  }

  std::string password_of(const store::Account &a) {
    auto ring = seal::KeyRing::parse(key_);
    EXPECT_TRUE(ring);
    auto plain = seal::unseal(*ring, *a.password, password_aad(a.sub));
    EXPECT_TRUE(plain) << plain.error().message;
    return plain ? *plain : "";
  }

  testing::TempDir dir_;
  pds::test::PdsEnv env_;
  std::string key_;
  std::string run_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<pds::XrpcClient> pds_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
  std::vector<std::string> alerts_;
};

TEST_F(ProvisioningLive, SignupThenVerificationCreatesOnePdsAccount) {
  const std::string s = sub("happy");
  auto r = post("[" + entry(run_ + "-1", "ss", s, email("happy")) + "," +
                entry(run_ + "-2", "sv", s, email("happy")) + "]");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"applied\":2"), std::string::npos) << r.body;
  drain();
  const store::Account a = account(s);
  EXPECT_EQ(a.state, store::AccountState::active) << a.last_error;
  ASSERT_TRUE(a.did.has_value());
  ASSERT_TRUE(a.code.has_value());
  // No AC handle: the code handle.
  EXPECT_EQ(*a.pds_handle, *a.code + "." + env_.handle_domain);
  ASSERT_TRUE(a.password.has_value());
  EXPECT_TRUE(seal::is_sealed(*a.password));
  // The stored credentials really log in, and the PDS knows the DID.
  auto session = pds_->create_session(*a.pds_handle, password_of(a));
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(session->did, *a.did);
  auto info = pds_->get_account_info(*a.did);
  ASSERT_TRUE(info) << info.error().message;
  // The user JSON never carries the password.
  auto user = engine_->user(s);
  ASSERT_TRUE(user);
  const std::string shown = provision::to_json(*user);
  EXPECT_EQ(shown.find(password_of(a)), std::string::npos);
  EXPECT_NE(shown.find("\"state\":\"active\""), std::string::npos) << shown;
}

TEST_F(ProvisioningLive, DuplicatesAndVerificationBeforeSignupConverge) {
  const std::string s = sub("order");
  const std::string sv = entry(run_ + "-v", "sv", s, email("order"));
  const std::string ss = entry(run_ + "-s", "ss", s, email("order"));
  ASSERT_EQ(post("[" + sv + "]").status, 200);
  ASSERT_EQ(post("[" + sv + "," + sv + "]").status, 200);  // redelivered
  ASSERT_EQ(post(ss + "\n" + ss + "\n").status, 200);      // JSON lines, twice
  drain();
  drain();
  const store::Account a = account(s);
  EXPECT_EQ(a.state, store::AccountState::active) << a.last_error;
  EXPECT_EQ(a.verification_count, 1);
  ASSERT_TRUE(a.did.has_value());
  // Exactly one account on the PDS for this person: the email logs into the same DID.
  auto by_email = pds_->create_session(email("order"), password_of(a));
  ASSERT_TRUE(by_email) << by_email.error().message;
  EXPECT_EQ(by_email->did, *a.did);
}

TEST_F(ProvisioningLive, HandleFallbacks) {
  // Too short for the PDS (the deployed "@43" case), reserved, and taken by someone else.
  struct Case {
    std::string name, handle;
  };
  const std::string taken_label = "t" + run_;
  auto invite = pds_->create_invite_code(1);
  ASSERT_TRUE(invite);
  auto other = pds_->create_account({taken_label + "." + env_.handle_domain,
                                     run_ + "other@example.com", "other-password-123", *invite});
  ASSERT_TRUE(other) << other.error().message;
  const std::vector<Case> cases = {
      {"short", "43"}, {"reserved", "admin"}, {"taken", taken_label}, {"fine", "p" + run_}};
  std::string batch = "[";
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (i) batch += ",";
    batch += entry(run_ + "-s" + cases[i].name, "ss", sub(cases[i].name), email(cases[i].name));
  }
  batch += "]";
  ASSERT_EQ(post(batch).status, 200);
  for (const auto &c : cases) {
    ASSERT_TRUE(engine_->set_handle(sub(c.name), c.handle).is_ok()) << c.name;
  }
  std::string verify = "[";
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (i) verify += ",";
    verify += entry(run_ + "-v" + cases[i].name, "sv", sub(cases[i].name), email(cases[i].name));
  }
  ASSERT_EQ(post(verify + "]").status, 200);
  drain();
  for (const auto &c : cases) {
    const store::Account a = account(sub(c.name));
    ASSERT_EQ(a.state, store::AccountState::active) << c.name << ": " << a.last_error;
    const std::string code_handle = *a.code + "." + env_.handle_domain;
    if (c.name == "fine") {
      EXPECT_EQ(*a.pds_handle, c.handle + "." + env_.handle_domain);
    } else {
      EXPECT_EQ(*a.pds_handle, code_handle) << c.name;
    }
  }
}

TEST_F(ProvisioningLive, ACrashAfterCreateAccountIsAdoptedNotDuplicated) {
  // Simulate a worker that persisted its intent, created the account, then died before
  // recording it: write the intent, call createAccount ourselves, and leave the store as is.
  const std::string password = "crash-password-0123456789abcdef";
  const auto [s, handle] = verified_with_intent("crash", password);
  auto created = create_on_pds(handle, email("crash"), password);
  ASSERT_TRUE(created) << created.error().message;

  drain();
  const store::Account a = account(s);
  EXPECT_EQ(a.state, store::AccountState::active) << a.last_error;
  EXPECT_EQ(a.did, created->did);  // adopted, not a second account
  EXPECT_EQ(a.pds_handle, handle);
  bool adopted = false;
  for (const auto &line : log_) adopted = adopted || line.find("adopted") != std::string::npos;
  EXPECT_TRUE(adopted);
}

// A worker that sent this intent's createAccount died while the PDS was still creating the
// account: the handle is taken, the intent's password does not open it yet. The account has the
// intent's email, so the job waits for it instead of giving up (the code handle is the intent's
// handle already, so there is no fallback). Simulated with the intent's handle and email under
// another password; before the fix the account ended `failed`.
TEST_F(ProvisioningLive, ATakenHandleUnderTheIntentsEmailIsWaitedForNotGivenUp) {
  const auto [s, handle] = verified_with_intent("inflight", "the-intents-password-0123456789");
  ASSERT_TRUE(create_on_pds(handle, email("inflight"), "a-password-not-yet-the-intents-0123"));

  auto ran = engine_->run_jobs(60'000, 1);
  ASSERT_TRUE(ran) << ran.error().message;
  EXPECT_EQ(ran->retried, 1);
  EXPECT_EQ(ran->failed, 0);
  const store::Account a = account(s);
  EXPECT_EQ(a.state, store::AccountState::creating) << a.last_error;
  EXPECT_NE(a.last_error.find("being created under this intent's email"), std::string::npos)
      << a.last_error;
  ASSERT_TRUE(a.intent);
  EXPECT_EQ(a.intent->handle, handle);  // no fallback intent
}

TEST_F(ProvisioningLive, SotceEmailTakenRetriesWithThePlusSotceAddress) {
  // Someone else already holds the person's email on the PDS.
  auto invite = pds_->create_invite_code(1);
  ASSERT_TRUE(invite);
  ASSERT_TRUE(pds_->create_account(
      {"e" + run_ + "." + env_.handle_domain, email("sotce"), "someone-elses-password", *invite}));
  const std::string raw = "auth0|" + run_ + "sotce";
  ASSERT_EQ(post("[" + entry(run_ + "-ss", "ss", raw, email("sotce")) + "," +
                     entry(run_ + "-sv", "sv", raw, email("sotce")) + "]",
                 Tenant::sotce)
                .status,
            200);
  drain();
  const store::Account a = account("sotce-" + raw);
  ASSERT_EQ(a.state, store::AccountState::active) << a.last_error;
  const std::string plus = run_ + "sotce+sotce@example.com";
  auto session = pds_->create_session(plus, password_of(a));
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(session->did, *a.did);
}

TEST_F(ProvisioningLive, DeletionRemovesThePdsAccountAndKeepsTheCode) {
  const std::string s = sub("gone");
  ASSERT_EQ(post("[" + entry(run_ + "-s", "ss", s, email("gone")) + "," +
                 entry(run_ + "-v", "sv", s, email("gone")) + "]")
                .status,
            200);
  drain();
  const store::Account before = account(s);
  ASSERT_EQ(before.state, store::AccountState::active) << before.last_error;
  ASSERT_EQ(post("[" + entry(run_ + "-d", "sdu", s, email("gone")) + "]").status, 200);
  drain();
  const store::Account after = account(s);
  EXPECT_EQ(after.state, store::AccountState::deleted) << after.last_error;
  EXPECT_EQ(after.code, before.code);
  auto info = pds_->get_account_info(*before.did);
  ASSERT_FALSE(info);
  EXPECT_EQ(pds::kind_of(info.error()), pds::ErrorKind::account_not_found);
}

// The deletion API (acid_user_delete) takes the sdu path: PDS account gone, code kept.
TEST_F(ProvisioningLive, DeleteUserRemovesThePdsAccountAndKeepsTheCode) {
  const std::string s = active_user("apidel");
  const store::Account before = account(s);
  ASSERT_TRUE(engine_->delete_user(s).is_ok());
  drain();
  const store::Account after = account(s);
  EXPECT_EQ(after.state, store::AccountState::deleted) << after.last_error;
  EXPECT_EQ(after.code, before.code);
  EXPECT_FALSE(after.did.has_value());
  auto info = pds_->get_account_info(*before.did);
  ASSERT_FALSE(info);
  EXPECT_EQ(pds::kind_of(info.error()), pds::ErrorKind::account_not_found);
  ASSERT_TRUE(engine_->delete_user(s).is_ok());  // repeating it changes nothing
  EXPECT_EQ(account(s).state, store::AccountState::deleted);
}

// A handle change moves the PDS handle (logged in with the stored credentials); the same change
// again costs no PDS call; a handle the PDS refuses falls back to the code handle.
TEST_F(ProvisioningLive, HandleChangesFollowOnThePdsOnceAndFallBack) {
  const std::string s = active_user("rename");
  const std::string wanted = "n" + run_;
  ASSERT_TRUE(engine_->set_handle(s, wanted).is_ok());
  drain();
  store::Account a = account(s);
  EXPECT_EQ(a.pds_handle, wanted + "." + env_.handle_domain) << a.last_error;
  auto resolved = pds_->resolve_handle(wanted + "." + env_.handle_domain);
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(*resolved, *a.did);

  auto client = engine_->pds_client();
  ASSERT_TRUE(client);
  const auto calls_before = (*client)->stats().calls;
  ASSERT_TRUE(engine_->set_handle(s, wanted).is_ok());  // the same handle again
  drain();
  EXPECT_EQ((*client)->stats().calls, calls_before) << "an unchanged handle reached the PDS";

  // Taken on the PDS by someone else: the code handle, as at creation.
  const std::string taken = "x" + run_;
  auto invite = pds_->create_invite_code(1);
  ASSERT_TRUE(invite);
  ASSERT_TRUE(pds_->create_account({taken + "." + env_.handle_domain, run_ + "holder@example.com",
                                    "holder-password-123", *invite}));
  ASSERT_TRUE(engine_->set_handle(s, taken).is_ok());
  drain();
  a = account(s);
  EXPECT_EQ(a.pds_handle, *a.code + "." + env_.handle_domain) << a.last_error;
  auto jobs = engine_->store().list_jobs(s);
  ASSERT_TRUE(jobs);
  EXPECT_TRUE(jobs->empty()) << "a handle job was left open or failed";
}

// The person renames while their account is being created with the old handle (the intent is
// persisted): whichever job runs first, the PDS ends with the newest handle.
TEST_F(ProvisioningLive, AHandleChangeRacingCreationEndsWithTheNewestHandle) {
  const std::string s = sub("race");
  const std::string first = "f" + run_, second = "s" + run_;
  ASSERT_EQ(post("[" + entry(run_ + "-s", "ss", s, email("race")) + "]").status, 200);
  ASSERT_TRUE(engine_->set_handle(s, first).is_ok());
  ASSERT_EQ(post("[" + entry(run_ + "-v", "sv", s, email("race")) + "]").status, 200);
  // A worker persisted its intent with the first handle and is about to call createAccount.
  store::Account a = account(s);
  auto ring = seal::KeyRing::parse(key_);
  ASSERT_TRUE(ring);
  auto sealed = seal::seal(*ring, "race-password-0123456789abcdef", password_aad(s));
  ASSERT_TRUE(sealed);
  ASSERT_TRUE(
      engine_->store()
          .save_intent(s,
                       {first + "." + env_.handle_domain, *sealed, email("race"), 1, now_unix_ms()},
                       a.version)
          .is_ok());
  ASSERT_TRUE(engine_->set_handle(s, second).is_ok());  // the rename lands meanwhile
  drain();
  a = account(s);
  ASSERT_EQ(a.state, store::AccountState::active) << a.last_error;
  EXPECT_EQ(a.pds_handle, second + "." + env_.handle_domain);
  auto resolved = pds_->resolve_handle(second + "." + env_.handle_domain);
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(*resolved, *a.did);
}

TEST_F(ProvisioningLive, AnUnreachablePdsRetriesThenFailsLoudly) {
  auto engine =
      make_engine({{"PDS_URL", "http://127.0.0.1:" + std::to_string(pds::test::closed_port())},
                   {"ACID_MAX_ATTEMPTS", "2"}});
  ASSERT_TRUE(engine);
  engine_ = std::move(engine);
  const std::string s = sub("down");
  ASSERT_EQ(post("[" + entry(run_ + "-v", "sv", s, email("down")) + "]").status, 200);
  auto first = engine_->run_jobs(30'000, 10);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->retried, 1) << provision::to_json(*first);
  // The intent was persisted before the call; the retry will reuse it.
  EXPECT_EQ(account(s).state, store::AccountState::creating);
  EXPECT_TRUE(account(s).intent.has_value());
  // Make the retry due now, run again: the second attempt gives up.
  auto jobs = engine_->store().list_jobs(s);
  ASSERT_EQ(jobs->size(), 1u);
  auto lease = engine_->store().lease_job("test", (*jobs)[0].due_at + 1, 1000);
  ASSERT_TRUE(lease && lease->has_value());
  ASSERT_TRUE(engine_->store().reschedule_job(**lease, "test", 0, "{}").is_ok());
  auto second = engine_->run_jobs(30'000, 10);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->failed, 1) << provision::to_json(*second);
  const store::Account a = account(s);
  EXPECT_EQ(a.state, store::AccountState::failed);
  EXPECT_NE(a.last_error.find("network"), std::string::npos) << a.last_error;
  ASSERT_EQ(alerts_.size(), 1u);
  EXPECT_NE(alerts_[0].find(s), std::string::npos);
  EXPECT_EQ(
      engine_->metrics().get("acid_jobs_total", {{"kind", "provision"}, {"outcome", "failed"}}),
      1u);
  // retry resets it.
  ASSERT_TRUE(engine_->retry_user(s).is_ok());
  EXPECT_EQ(account(s).state, store::AccountState::pending);
}

TEST_F(ProvisioningLive, TwoEnginesRacingOnTheSameUsersCreateOneAccountEach) {
  auto second = make_engine();
  ASSERT_TRUE(second);
  std::string batch = "[";
  for (int i = 0; i < 6; ++i) {
    if (i) batch += ",";
    batch += entry(run_ + "-r" + std::to_string(i), "sv", sub("race" + std::to_string(i)),
                   email("race" + std::to_string(i)));
  }
  ASSERT_EQ(post(batch + "]").status, 200);
  std::thread a([&] { ASSERT_TRUE(engine_->run_jobs(60'000, 100)); });
  std::thread b([&] { ASSERT_TRUE(second->run_jobs(60'000, 100)); });
  a.join();
  b.join();
  drain();
  std::set<std::string> dids;
  for (int i = 0; i < 6; ++i) {
    const store::Account acc = account(sub("race" + std::to_string(i)));
    ASSERT_EQ(acc.state, store::AccountState::active) << acc.last_error;
    dids.insert(*acc.did);
  }
  EXPECT_EQ(dids.size(), 6u);
}

// A legacy account with a plaintext password (as the deployed code stored it, and as it still
// reads it) stays plaintext through every job; only `credentials seal` seals it, and it still
// logs in afterwards.
TEST_F(ProvisioningLive, LegacyPlaintextPasswordsStayPlaintextUntilSealed) {
  const std::string s = sub("legacy");
  ASSERT_EQ(post("[" + entry(run_ + "-v", "sv", s, email("legacy")) + "]").status, 200);
  store::Account a = account(s);
  const std::string handle = *a.code + "." + env_.handle_domain;
  const std::string plaintext = "legacy-plaintext-password-123";
  auto invite = pds_->create_invite_code(1);
  ASSERT_TRUE(invite);
  auto created = pds_->create_account({handle, email("legacy"), plaintext, *invite});
  ASSERT_TRUE(created) << created.error().message;
  ASSERT_TRUE(
      engine_->store().mark_account_created(s, created->did, handle, plaintext, "t").is_ok());
  auto user = engine_->user(s);
  ASSERT_TRUE(user);
  const std::string shown = provision::to_json(*user);
  EXPECT_NE(shown.find("\"credentials\":\"plaintext\""), std::string::npos) << shown;

  // Every job kind that touches an active account runs; the password is not rewritten.
  ASSERT_TRUE(engine_->store().schedule_job(s, store::JobKind::provision, 0).is_ok());
  ASSERT_TRUE(engine_->set_handle(s, "l" + run_).is_ok());
  drain();
  a = account(s);
  EXPECT_EQ(a.state, store::AccountState::active) << a.last_error;
  EXPECT_EQ(a.password, plaintext);
  EXPECT_EQ(a.pds_handle, "l" + run_ + "." + env_.handle_domain);

  SealOptions dry;
  dry.user = s;
  dry.dry_run = true;
  auto planned = seal_credentials(engine_->store(), engine_->store(), engine_->config(), dry);
  ASSERT_TRUE(planned) << planned.error().message;
  EXPECT_NE(planned->find("\"would_seal\":1"), std::string::npos) << *planned;
  EXPECT_EQ(account(s).password, plaintext);

  SealOptions seal_one;
  seal_one.user = s;
  auto report = seal_credentials(engine_->store(), engine_->store(), engine_->config(), seal_one);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_NE(report->find("\"sealed\":1"), std::string::npos) << *report;
  a = account(s);
  ASSERT_TRUE(a.password.has_value());
  EXPECT_TRUE(seal::is_sealed(*a.password));
  EXPECT_EQ(password_of(a), plaintext);
  auto session = pds_->create_session(*a.did, password_of(a));
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(session->did, created->did);
  // A second seal finds nothing to do.
  auto again = seal_credentials(engine_->store(), engine_->store(), engine_->config(), seal_one);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_NE(again->find("\"already_sealed\":1"), std::string::npos) << *again;
}

// A verification seen before any signup, without an email in the event: the Auth0 Management
// API (the local fixture with Auth0's response shapes) gives the email and the signup year.
TEST_F(ProvisioningLive, VerificationOnlyUsersTakeEmailAndYearFromAuth0) {
  testing::Auth0Fixture auth0;
  const std::string s = sub("mgmt");
  auth0.set_users({{s, email("mgmt"), true, "2024-12-31T23:00:00.000Z", false}});
  engine_ = make_engine({{"ACID_AUTH0_BASE_URL", auth0.base_url()},
                         {"AUTH0_M2M_CLIENT_ID", auth0.client_id()},
                         {"AUTH0_M2M_SECRET", auth0.client_secret()}});
  ASSERT_TRUE(engine_);
  const std::string body = R"([{"log_id":")" + run_ +
                           R"(-m","data":{"type":"sv","date":"2025-10-14T08:30:00Z","user_id":")" +
                           s + R"("}}])";
  const HttpAnswer r = post(body);
  ASSERT_EQ(r.status, 200) << r.body;
  drain();
  const store::Account a = account(s);
  ASSERT_EQ(a.state, store::AccountState::active) << a.last_error;
  EXPECT_EQ(a.code->substr(0, 4), "ac24");  // Auth0's created_at year, not the event's
  auto session = pds_->create_session(email("mgmt"), password_of(a));
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(session->did, *a.did);
}

}  // namespace
}  // namespace acid::provision
