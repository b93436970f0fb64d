// The retry policy (pure decisions) and the client's retry loop with an injected clock: no test
// here sleeps for real.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "pds/retry.h"
#include "pds/xrpc_client.h"
#include "support/local_pds.h"

namespace acid::pds {
namespace {

using test::closed_port;
using test::FakeClock;

std::uint64_t max_jitter(std::uint64_t bound) {
  return bound;
}
std::uint64_t zero_jitter(std::uint64_t) {
  return 0;
}

AttemptOutcome transient(bool may_repeat = true, std::optional<std::int64_t> server = {}) {
  AttemptOutcome o;
  o.transient = true;
  o.may_repeat = may_repeat;
  o.server_delay_ms = server;
  return o;
}

TEST(RetryPolicyTest, BackoffDoublesUpToTheCap) {
  RetryPolicy p;
  p.initial_backoff_ms = 100;
  p.max_backoff_ms = 1'000;
  EXPECT_EQ(backoff_cap_ms(p, 1), 100);
  EXPECT_EQ(backoff_cap_ms(p, 2), 200);
  EXPECT_EQ(backoff_cap_ms(p, 3), 400);
  EXPECT_EQ(backoff_cap_ms(p, 4), 800);
  EXPECT_EQ(backoff_cap_ms(p, 5), 1'000);
  EXPECT_EQ(backoff_cap_ms(p, 60), 1'000);  // no overflow for large attempt numbers
}

TEST(RetryPolicyTest, FullJitterDrawsBetweenZeroAndTheCap) {
  RetryPolicy p;
  p.max_attempts = 10;
  p.initial_backoff_ms = 100;
  p.max_backoff_ms = 10'000;
  p.total_deadline_ms = 1'000'000;
  std::vector<std::uint64_t> bounds;
  const auto recording = [&](std::uint64_t bound) {
    bounds.push_back(bound);
    return bound / 2;
  };
  for (int attempt = 1; attempt <= 4; ++attempt) {
    const RetryDecision d = decide_retry(p, attempt, 0, transient(), recording);
    EXPECT_TRUE(d.retry);
    EXPECT_EQ(d.delay_ms, backoff_cap_ms(p, attempt) / 2);
  }
  EXPECT_EQ(bounds, (std::vector<std::uint64_t>{100, 200, 400, 800}));
  EXPECT_EQ(decide_retry(p, 3, 0, transient(), zero_jitter).delay_ms, 0);
  EXPECT_EQ(decide_retry(p, 3, 0, transient(), max_jitter).delay_ms, 400);
  // A jitter source returning too much is clamped to the cap.
  EXPECT_EQ(decide_retry(p, 1, 0, transient(), [](std::uint64_t) { return 1'000'000u; }).delay_ms,
            100);
}

TEST(RetryPolicyTest, PermanentAndUnrepeatableFailuresAreNotRetried) {
  RetryPolicy p;
  AttemptOutcome permanent;
  EXPECT_FALSE(decide_retry(p, 1, 0, permanent, max_jitter).retry);
  EXPECT_EQ(decide_retry(p, 1, 0, permanent, max_jitter).why, RetryDecision::Why::permanent);
  const RetryDecision d = decide_retry(p, 1, 0, transient(false), max_jitter);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.why, RetryDecision::Why::not_repeatable);
}

TEST(RetryPolicyTest, AttemptsAreBounded) {
  RetryPolicy p;
  p.max_attempts = 3;
  EXPECT_TRUE(decide_retry(p, 2, 0, transient(), zero_jitter).retry);
  const RetryDecision d = decide_retry(p, 3, 0, transient(), zero_jitter);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.why, RetryDecision::Why::attempts);
  p.max_attempts = 1;
  EXPECT_FALSE(decide_retry(p, 1, 0, transient(), zero_jitter).retry);
}

TEST(RetryPolicyTest, TotalDeadlineStopsRetries) {
  RetryPolicy p;
  p.max_attempts = 100;
  p.initial_backoff_ms = 1'000;
  p.total_deadline_ms = 5'000;
  EXPECT_TRUE(decide_retry(p, 1, 3'000, transient(), max_jitter).retry);       // 3000 + 1000 < 5000
  const RetryDecision d = decide_retry(p, 2, 3'500, transient(), max_jitter);  // 3500 + 2000
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.why, RetryDecision::Why::deadline);
}

TEST(RetryPolicyTest, ServerDelayIsHonouredInFull) {
  RetryPolicy p;
  p.max_backoff_ms = 1'000;
  p.total_deadline_ms = 60'000;
  // Retry-After / RateLimit-Reset replace the backoff and are not capped by max_backoff_ms.
  RetryDecision d = decide_retry(p, 1, 0, transient(true, 7'000), max_jitter);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay_ms, 7'000);
  // A server asking for more than the deadline leaves: no retry, the delay is reported.
  d = decide_retry(p, 1, 0, transient(true, 24LL * 3600 * 1000), max_jitter);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.why, RetryDecision::Why::deadline);
  EXPECT_EQ(d.delay_ms, 24LL * 3600 * 1000);
  // Retry-After: 0 means now.
  d = decide_retry(p, 1, 0, transient(true, 0), max_jitter);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay_ms, 0);
}

TEST(ClientRetryTest, ConnectionRefusedIsRetriedWithBackoffThenReported) {
  FakeClock fake;
  ClientOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(closed_port());
  o.retry.max_attempts = 5;
  o.retry.initial_backoff_ms = 100;
  o.retry.max_backoff_ms = 300;
  o.retry.total_deadline_ms = 100'000;
  o.clock = fake.clock();
  auto client = XrpcClient::create(o);
  ASSERT_TRUE(client) << client.error().message;
  auto r = (*client)->describe_server();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::unavailable) << r.error().message;
  const ErrorInfo info = inspect(r.error());
  EXPECT_EQ(info.kind, ErrorKind::network);
  EXPECT_TRUE(info.transient);
  EXPECT_EQ(info.attempts, 5);
  EXPECT_EQ(fake.jitter_bounds, (std::vector<std::uint64_t>{100, 200, 300, 300}));
  EXPECT_EQ(fake.sleeps, (std::vector<std::int64_t>{100, 200, 300, 300}));
  EXPECT_EQ((*client)->stats().attempts, 5u);
  EXPECT_EQ((*client)->stats().retries, 4u);
  EXPECT_NE(r.error().message.find("after 5 attempts"), std::string::npos) << r.error().message;
}

TEST(ClientRetryTest, UnsentRequestsAreRetriedEvenForCreateAccount) {
  // Connection refused: the request never left, so repeating createAccount is harmless.
  FakeClock fake;
  ClientOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(closed_port());
  o.retry.max_attempts = 3;
  o.clock = fake.clock();
  auto client = XrpcClient::create(o);
  ASSERT_TRUE(client);
  auto r = (*client)->create_account({"abc.at.aesthetic.test", "a@example.com", "pw", {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(inspect(r.error()).attempts, 3);
  EXPECT_NE(r.error().detail_json.find("\"request_sent\":false"), std::string::npos)
      << r.error().detail_json;
}

TEST(ClientRetryTest, TotalDeadlineBoundsTheLoop) {
  FakeClock fake;
  ClientOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(closed_port());
  o.retry.max_attempts = 1000;
  o.retry.initial_backoff_ms = 1'000;
  o.retry.max_backoff_ms = 1'000;
  o.retry.total_deadline_ms = 4'500;
  o.clock = fake.clock();
  auto client = XrpcClient::create(o);
  ASSERT_TRUE(client);
  auto r = (*client)->list_repos(10);
  ASSERT_FALSE(r);
  // Waits of 1000 ms at 0, 1000, 2000, 3000 elapsed; the fifth would end at 5000 > 4500.
  EXPECT_EQ(fake.sleeps.size(), 4u);
  EXPECT_EQ(inspect(r.error()).attempts, 5);
}

TEST(ClientRetryTest, NoRetryWhenPolicySaysOneAttempt) {
  FakeClock fake;
  ClientOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(closed_port());
  o.retry.max_attempts = 1;
  o.clock = fake.clock();
  auto client = XrpcClient::create(o);
  ASSERT_TRUE(client);
  auto r = (*client)->get_record("did:plc:x", "computer.aesthetic.mood", "a");
  ASSERT_FALSE(r);
  EXPECT_TRUE(fake.sleeps.empty());
  EXPECT_EQ(inspect(r.error()).attempts, 1);
}

}  // namespace
}  // namespace acid::pds
