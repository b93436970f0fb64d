// Faults injected by a local proxy in front of the REAL PDS: 500s, 429 with RateLimit-Reset and
// Retry-After, a response slower than the timeout, connection resets before and after the PDS
// handled the request, and a server echoing secrets.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <thread>

#include "core/json.h"
#include "pds/session.h"
#include "xrpc_fault_proxy.h"
#include "xrpc_live_fixture.h"

namespace acid::pds::test {
namespace {

constexpr const char *kMood = "computer.aesthetic.mood";

class XrpcFaultTest : public LiveTest {
 protected:
  void SetUp() override {
    LiveTest::SetUp();
    if (HasFatalFailure()) return;
    proxy_ = std::make_unique<FaultProxy>(env_.port);
    Status started = proxy_->start();
    ASSERT_TRUE(started) << started.error().message;
  }
  void TearDown() override {
    if (proxy_) proxy_->stop();
  }

  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(XrpcFaultTest, ProxyForwardsToTheRealPds) {
  auto c = make_client(proxy_->url());
  auto d = c->describe_server();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->did, "did:web:localhost");
  EXPECT_EQ(proxy_->count("com.atproto.server.describeServer"), 1);
}

TEST_F(XrpcFaultTest, ServerErrorsAreRetriedForIdempotentCalls) {
  FakeClock fake;
  auto c = make_client(proxy_->url(), fake.clock());
  proxy_->set_rule([](const ProxyRequest &, int nth) {
    return nth <= 2 ? xrpc_error(500, "InternalServerError", "Internal Server Error") : forward();
  });
  auto d = c->describe_server();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(proxy_->count("com.atproto.server.describeServer"), 3);
  EXPECT_EQ(c->stats().retries, 2u);
  // Full jitter with the fake clock's maximal draw: the cap of each backoff.
  EXPECT_EQ(fake.sleeps, (std::vector<std::int64_t>{20, 40}));
}

TEST_F(XrpcFaultTest, PersistentServerErrorsEndAsTransientErrors) {
  FakeClock fake;
  auto c = make_client(proxy_->url(), fake.clock());
  proxy_->set_rule(
      [](const ProxyRequest &, int) { return xrpc_error(503, "NotEnoughResources", "busy"); });
  auto r = c->list_repos(10);
  ASSERT_FALSE(r);
  expect_pds_error(r.error(), ErrorKind::server_error, Code::unavailable, 503,
                   "NotEnoughResources");
  EXPECT_TRUE(is_transient(r.error()));
  EXPECT_EQ(inspect(r.error()).attempts, fast_policy().max_attempts);
  EXPECT_EQ(proxy_->count("com.atproto.sync.listRepos"), fast_policy().max_attempts);
}

TEST_F(XrpcFaultTest, CreateRecordIsNotRetriedAfterA500) {
  TestAccount a = new_account();
  FakeClock fake;
  auto c = make_client(proxy_->url(), fake.clock());
  proxy_->set_rule([](const ProxyRequest &r, int) {
    return r.nsid == "com.atproto.repo.createRecord"
               ? xrpc_error(500, "InternalServerError", "Internal Server Error")
               : forward();
  });
  RecordWrite w;
  w.repo = a.session.did;
  w.collection = kMood;
  w.record_json = "{\"mood\":\"x\"}";
  auto r = c->create_record(a.session.access_jwt, w);
  ASSERT_FALSE(r);
  expect_pds_error(r.error(), ErrorKind::server_error, Code::unavailable, 500);
  EXPECT_EQ(proxy_->count("com.atproto.repo.createRecord"), 1);
  EXPECT_TRUE(fake.sleeps.empty());
}

TEST_F(XrpcFaultTest, RateLimitResetIsHonoured) {
  TestAccount a = new_account();
  FakeClock fake;
  auto c = make_client(proxy_->url(), fake.clock());
  const std::int64_t reset_s = fake.unix_now / 1000 + 3;  // epoch seconds, 3 s from "now"
  proxy_->set_rule([&](const ProxyRequest &, int nth) {
    if (nth > 1) return forward();
    return xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded",
                      {{"RateLimit-Limit", "30"},
                       {"RateLimit-Remaining", "0"},
                       {"RateLimit-Reset", std::to_string(reset_s)},
                       {"RateLimit-Policy", "30;w=300"}});
  });
  auto s = c->create_session(a.handle, a.password);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->did, a.session.did);
  EXPECT_EQ(fake.sleeps, std::vector<std::int64_t>{3000});  // exactly until the reset
  EXPECT_TRUE(fake.jitter_bounds.empty());                  // no backoff drawn
  EXPECT_EQ(proxy_->count("com.atproto.server.createSession"), 2);
}

TEST_F(XrpcFaultTest, RateLimitedCreateAccountIsRetriedBecauseNothingHappened) {
  RecordingClock clock;
  auto c = make_client(proxy_->url(), clock.clock());
  proxy_->set_rule([](const ProxyRequest &r, int nth) {
    if (r.nsid == "com.atproto.server.createAccount" && nth == 1) {
      return xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", {{"Retry-After", "1"}});
    }
    return forward();
  });
  const std::string label = unique_label();
  const auto t0 = std::chrono::steady_clock::now();
  auto s = c->create_account({handle_for(label), label + "@example.com", "pw-" + label, invite()});
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(proxy_->count("com.atproto.server.createAccount"), 2);
  EXPECT_EQ(clock.sleeps, std::vector<std::int64_t>{1000});
  EXPECT_GE(waited, std::chrono::milliseconds(1000));
}

TEST_F(XrpcFaultTest, RateLimitBeyondTheDeadlineIsReturnedWithItsDelay) {
  FakeClock fake;
  auto c = make_client(proxy_->url(), fake.clock());
  const std::int64_t reset_s = fake.unix_now / 1000 + 24 * 3600;
  proxy_->set_rule([&](const ProxyRequest &, int) {
    return xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded",
                      {{"RateLimit-Reset", std::to_string(reset_s)}, {"RateLimit-Remaining", "0"}});
  });
  auto s = c->create_session("someone." + env_.handle_domain, "pw");
  ASSERT_FALSE(s);
  expect_pds_error(s.error(), ErrorKind::rate_limited, Code::rate_limited, 429,
                   "RateLimitExceeded");
  const ErrorInfo info = inspect(s.error());
  EXPECT_EQ(info.retry_after_ms, 24LL * 3600 * 1000);
  EXPECT_EQ(info.retry_at_unix_ms, reset_s * 1000);
  EXPECT_EQ(info.attempts, 1);
  EXPECT_TRUE(fake.sleeps.empty());
}

TEST_F(XrpcFaultTest, SlowResponsesTimeOut) {
  RetryPolicy p = fast_policy();
  p.max_attempts = 2;
  ClientOptions o;
  o.base_url = proxy_->url();
  o.request_timeout_ms = 300;
  o.retry = p;
  auto made = XrpcClient::create(o);
  ASSERT_TRUE(made);
  XrpcClient &c = **made;
  proxy_->set_rule([](const ProxyRequest &, int) {
    Fault f;
    f.action = Fault::Action::delay_then_forward;
    f.delay_ms = 1500;
    return f;
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.describe_server();
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  expect_pds_error(r.error(), ErrorKind::timeout, Code::timeout);
  EXPECT_TRUE(is_transient(r.error()));
  EXPECT_EQ(inspect(r.error()).attempts, 2);
  EXPECT_LT(took, std::chrono::milliseconds(1400));  // never waited for the slow answer

  // Slow once, then fine: the retry succeeds.
  proxy_->clear();
  proxy_->set_rule([](const ProxyRequest &, int nth) {
    Fault f;
    if (nth == 1) {
      f.action = Fault::Action::delay_then_forward;
      f.delay_ms = 1500;
    }
    return f;
  });
  auto ok = c.describe_server();
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(proxy_->count("com.atproto.server.describeServer"), 2);
}

TEST_F(XrpcFaultTest, ConnectionResetIsRetriedForIdempotentCalls) {
  TestAccount a = new_account();
  auto c = make_client(proxy_->url());
  proxy_->set_rule([](const ProxyRequest &r, int nth) {
    Fault f;
    if (r.nsid == "com.atproto.repo.listRecords" && nth <= 2) f.action = Fault::Action::reset;
    return f;
  });
  ListRecordsQuery q;
  q.repo = a.session.did;
  q.collection = kMood;
  auto page = c->list_records(q);
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_TRUE(page->records.empty());
  EXPECT_EQ(proxy_->count("com.atproto.repo.listRecords"), 3);

  proxy_->set_rule([](const ProxyRequest &, int) {
    Fault f;
    f.action = Fault::Action::reset;
    return f;
  });
  auto failed = c->get_session(a.session.access_jwt);
  ASSERT_FALSE(failed);
  expect_pds_error(failed.error(), ErrorKind::network, Code::unavailable);
  EXPECT_TRUE(is_transient(failed.error()));
  EXPECT_EQ(inspect(failed.error()).attempts, fast_policy().max_attempts);
}

TEST_F(XrpcFaultTest, LostCreateAccountReplyIsProvenWithCreateSession) {
  // The PDS creates the account but the reply never arrives: the client must not repeat
  // createAccount on its own. The caller's retry meets "handle taken", and createSession with
  // the same password proves the account is ours (the provisioning flow).
  auto c = make_client(proxy_->url());
  proxy_->set_rule([](const ProxyRequest &r, int) {
    Fault f;
    if (r.nsid == "com.atproto.server.createAccount") f.action = Fault::Action::forward_then_reset;
    return f;
  });
  const std::string label = unique_label();
  const CreateAccountInput input{handle_for(label), label + "@example.com", "pw-" + label,
                                 invite(2)};
  auto lost = c->create_account(input);
  ASSERT_FALSE(lost);
  expect_pds_error(lost.error(), ErrorKind::network, Code::unavailable);
  EXPECT_EQ(inspect(lost.error()).attempts, 1);
  EXPECT_EQ(proxy_->count("com.atproto.server.createAccount"), 1);

  proxy_->set_rule(nullptr);
  auto again = c->create_account(input);
  ASSERT_FALSE(again);
  EXPECT_EQ(kind_of(again.error()), ErrorKind::handle_taken) << again.error().message;
  auto proof = c->create_session(input.handle, input.password);
  ASSERT_TRUE(proof) << proof.error().message;
  EXPECT_EQ(proof->handle, input.handle);
  EXPECT_EQ(client_->get_account_info(proof->did)->email, input.email);
}

TEST_F(XrpcFaultTest, InviteCodeIsSentOnlyWhenRequired) {
  auto c = make_client(proxy_->url());
  const std::string code = invite();
  const std::string label = unique_label();
  // The real PDS requires invites: the code goes out.
  auto made = c->create_account({handle_for(label), label + "@example.com", "pw-" + label, code});
  ASSERT_TRUE(made) << made.error().message;
  auto sent = proxy_->requests();
  ASSERT_FALSE(sent.empty());
  EXPECT_NE(sent.back().body.find("\"inviteCode\""), std::string::npos);

  // A server saying none is required gets none, even when the caller has one.
  proxy_->clear();
  proxy_->set_rule([](const ProxyRequest &r, int) {
    Fault f;
    if (r.nsid == "com.atproto.server.describeServer") {
      f.rewrite = [](ProxyResponse &resp) {
        const std::string from = "\"inviteCodeRequired\":true";
        const auto at = resp.body.find(from);
        if (at != std::string::npos)
          resp.body.replace(at, from.size(), "\"inviteCodeRequired\":false");
      };
    }
    return f;
  });
  auto c2 = make_client(proxy_->url());
  const std::string label2 = unique_label();
  auto r =
      c2->create_account({handle_for(label2), label2 + "@example.com", "pw-" + label2, invite()});
  ASSERT_FALSE(r);
  // The real PDS (which does require one) says none was provided: proof nothing was sent.
  expect_pds_error(r.error(), ErrorKind::invalid_invite_code, Code::pds, 400, "InvalidInviteCode");
  EXPECT_NE(r.error().message.find("No invite code provided"), std::string::npos);
  bool saw_create = false;
  for (const auto &req : proxy_->requests()) {
    if (req.nsid != "com.atproto.server.createAccount") continue;
    saw_create = true;
    EXPECT_EQ(req.body.find("inviteCode"), std::string::npos) << req.body;
  }
  EXPECT_TRUE(saw_create);
}

TEST_F(XrpcFaultTest, EchoedSecretsAreRedacted) {
  // A server that echoes the Authorization header and the request body in its error message.
  proxy_->set_rule([](const ProxyRequest &r, int) {
    return xrpc_error(400, "InvalidRequest",
                      "echo auth=" + r.header("authorization").value_or("") + " body=" + r.body);
  });
  const std::string admin_secret = "admin-" + unique_label(24);
  ClientOptions o;
  o.base_url = proxy_->url();
  o.admin_password = admin_secret;
  auto made = XrpcClient::create(o);
  ASSERT_TRUE(made);
  XrpcClient &c = **made;
  const std::string password = "pw-" + unique_label(24);
  const std::string jwt = "eyJ." + unique_label(40) + "." + unique_label(20);
  std::vector<Error> errors;
  const auto collect = [&](auto &&result) {
    ASSERT_FALSE(result.is_ok());
    errors.push_back(result.error());
  };
  collect(c.create_account({"abc." + env_.handle_domain, "a@example.com", password, std::nullopt}));
  collect(c.create_session("abc", password));
  collect(c.refresh_session(jwt));
  collect(c.get_session(jwt));
  collect(c.delete_session(jwt));
  collect(c.update_handle(jwt, "abc." + env_.handle_domain));
  RecordWrite w;
  w.repo = "did:plc:abc";
  w.collection = kMood;
  w.rkey = "k";
  w.record_json = "{}";
  collect(c.create_record(jwt, w));
  collect(c.put_record(jwt, w));
  collect(c.delete_record(jwt, "did:plc:abc", kMood, "k"));
  ApplyWritesInput in;
  in.repo = "did:plc:abc";
  collect(c.apply_writes(jwt, in));
  collect(c.create_invite_code());
  collect(c.get_account_info("did:plc:abc"));
  collect(c.get_account_infos({"did:plc:abc"}));
  collect(c.delete_account("did:plc:abc"));
  const std::string basic = "YWRtaW46";  // base64 "admin:" prefix of the Basic credentials
  for (const Error &e : errors) {
    EXPECT_NE(e.message.find("echo auth="), std::string::npos) << e.message;  // echo reached us
    for (const std::string &secret : {password, jwt, admin_secret}) {
      EXPECT_EQ(e.message.find(secret), std::string::npos) << e.message;
      EXPECT_EQ(e.detail_json.find(secret), std::string::npos) << e.detail_json;
    }
    EXPECT_EQ(e.message.find(basic), std::string::npos) << e.message;
  }
  EXPECT_EQ(errors.size(), 14u);
}

TEST_F(XrpcFaultTest, SingleFlightRefreshAgainstTheRealPds) {
  // The proxy makes the first request of each thread look expired (as the PDS answers for an
  // expired token); the refresh itself goes to the real PDS, exactly once.
  TestAccount a = new_account();
  // Access JWTs carry second-resolution claims only: a refresh in the same second as the login
  // would return the very same token, which this proxy rule would then refuse again.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto c = make_client(proxy_->url());
  const std::string stale = a.session.access_jwt;
  proxy_->set_rule([stale](const ProxyRequest &r, int) {
    if (r.header("authorization") == "Bearer " + stale) {
      return xrpc_error(400, "ExpiredToken", "Token has expired");
    }
    return forward();
  });
  SessionManager sessions(*c);
  sessions.put(a.session);
  constexpr int kThreads = 10;
  std::barrier start(kThreads);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto info = sessions.with_session(a.session.did,
                                        [&](std::string_view jwt) { return c->get_session(jwt); });
      if (info && info->did == a.session.did) ++ok;
      if (!info) ADD_FAILURE() << info.error().message;
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(proxy_->count("com.atproto.server.refreshSession"), 1);
  EXPECT_EQ(sessions.refresh_count(), 1u);
  EXPECT_NE(sessions.get(a.session.did)->access_jwt, stale);
}

}  // namespace
}  // namespace acid::pds::test
