// The Auth0 Management API client against the local Auth0 HTTP fixture.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "auth0/management.h"
#include "core/percent_encode.h"
#include "core/time.h"
#include "support/auth0_fixture.h"

namespace acid::auth0 {
namespace {

using testing::Auth0Endpoint;
using testing::Auth0Fixture;
using testing::Auth0FixtureUser;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Time that only moves when the client sleeps (or the test says so); every wait is recorded.
struct FakeTime {
  std::atomic<std::int64_t> steady{1'000'000};
  std::atomic<std::int64_t> unix_ms{1'700'000'000'000};
  std::mutex mu;
  std::vector<std::int64_t> sleeps;

  ManagementClock clock() {
    ManagementClock c;
    c.steady_ms = [this] { return steady.load(); };
    c.unix_ms = [this] { return unix_ms.load(); };
    c.sleep_ms = [this](std::int64_t ms) {
      {
        std::lock_guard lock(mu);
        sleeps.push_back(ms);
      }
      steady += ms;
      unix_ms += ms;
    };
    c.uniform = [](std::uint64_t bound) { return bound; };  // the longest jittered wait
    return c;
  }
  std::vector<std::int64_t> recorded() {
    std::lock_guard lock(mu);
    return sleeps;
  }
  void advance(std::int64_t ms) {
    steady += ms;
    unix_ms += ms;
  }
};

ManagementConfig config_for(const Auth0Fixture &fixture, FakeTime *time) {
  ManagementConfig config;
  config.base_url = fixture.base_url();
  config.client_id = fixture.client_id();
  config.client_secret = fixture.client_secret();
  config.connect_timeout_ms = 2'000;
  config.request_timeout_ms = 5'000;
  config.initial_backoff_ms = 100;
  config.max_backoff_ms = 1'000;
  if (time) config.clock = time->clock();
  return config;
}

std::unique_ptr<ManagementClient> make_client(ManagementConfig config) {
  auto client = ManagementClient::create(std::move(config));
  EXPECT_TRUE(client.is_ok()) << (client ? "" : client.error().message);
  if (!client) return nullptr;
  return std::move(*client);
}

// "2025-01-01T00:00:00.000Z" plus `minutes`.
std::string iso_minutes(int minutes) {
  return format_iso8601(*parse_timestamp("2025-01-01T00:00:00Z") + minutes * 60'000LL);
}

std::vector<Auth0FixtureUser> numbered_users(int n) {
  std::vector<Auth0FixtureUser> users;
  for (int i = 0; i < n; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "auth0|u%04d", i);
    users.push_back(
        {id, "user" + std::to_string(i) + "@example.com", i % 2 == 0, iso_minutes(i), false});
  }
  return users;
}

// Every bearer token the fixture saw (to prove none leaks into an error).
std::vector<std::string> seen_tokens(const Auth0Fixture &fixture) {
  std::vector<std::string> tokens;
  for (const auto &r : fixture.log()) {
    if (r.authorization.rfind("Bearer ", 0) == 0) tokens.push_back(r.authorization.substr(7));
  }
  return tokens;
}

void expect_no_secrets(const Error &error, const Auth0Fixture &fixture) {
  EXPECT_THAT(error.message, Not(HasSubstr(fixture.client_secret())));
  EXPECT_THAT(error.detail_json, Not(HasSubstr(fixture.client_secret())));
  for (const auto &token : seen_tokens(fixture)) {
    EXPECT_THAT(error.message, Not(HasSubstr(token)));
    EXPECT_THAT(error.detail_json, Not(HasSubstr(token)));
  }
}

// --- configuration -------------------------------------------------------------------------

TEST(Auth0MgmtConfig, RefusesBadUrlsAndMissingCredentials) {
  ManagementConfig base;
  base.client_id = "id";
  base.client_secret = "very-secret-value";
  for (const char *url : {"", "ftp://x.example", "http://aesthetic.us.auth0.com",
                          "http://10.0.0.1:80", "https://x.example/api", "https://u:p@x.example",
                          "https://x.example:0", "https://x.example:99999", "https://x.example?a",
                          "http://127.0.0.1.evil.example", "https://x.example:"}) {
    ManagementConfig config = base;
    config.base_url = url;
    auto client = ManagementClient::create(config);
    ASSERT_FALSE(client.is_ok()) << url;
    EXPECT_EQ(client.code(), Code::config) << url;
    EXPECT_THAT(client.error().message, Not(HasSubstr("very-secret-value")));
  }
  for (const char *url : {"https://aesthetic.us.auth0.com", "https://aesthetic.us.auth0.com/",
                          "http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"}) {
    ManagementConfig config = base;
    config.base_url = url;
    EXPECT_TRUE(ManagementClient::create(config).is_ok()) << url;
  }
  ManagementConfig no_secret = base;
  no_secret.base_url = "https://aesthetic.us.auth0.com";
  no_secret.client_secret.clear();
  no_secret.client_id_variable = "SOTCE_AUTH0_M2M_CLIENT_ID";
  auto refused = ManagementClient::create(no_secret);
  ASSERT_EQ(refused.code(), Code::config);
  EXPECT_THAT(refused.error().message, HasSubstr("SOTCE_AUTH0_M2M_CLIENT_ID"));
  EXPECT_THAT(refused.error().detail_json, HasSubstr("SOTCE_AUTH0_M2M_CLIENT_ID"));
}

TEST(Auth0MgmtConfig, PercentEncodesEverythingButUnreserved) {
  EXPECT_EQ(percent_encode("auth0|abc"), "auth0%7Cabc");
  EXPECT_EQ(percent_encode("google-oauth2|1.2_3~x"), "google-oauth2%7C1.2_3~x");
  EXPECT_EQ(percent_encode("a/b?c#d e%"), "a%2Fb%3Fc%23d%20e%25");
  EXPECT_EQ(percent_encode("\xc3\xa9"), "%C3%A9");
}

TEST(Auth0MgmtConfig, CreatingContactsNobody) {
  Auth0Fixture fixture;
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  EXPECT_EQ(fixture.log().size(), 0u);
}

// --- get_user and tokens -------------------------------------------------------------------

TEST(Auth0MgmtUser, GetsUserWithEncodedIdAndBearer) {
  Auth0Fixture fixture;
  fixture.set_users(
      {{"auth0|abc", "abc@example.com", true, "2025-10-14T08:30:00.123Z", true},
       {"auth0|other", std::nullopt, std::nullopt, "2025-01-01T00:00:00.000Z", false}});
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);

  auto user = client->get_user("auth0|abc");
  ASSERT_TRUE(user.is_ok()) << user.error().message;
  EXPECT_EQ(user->user_id, "auth0|abc");
  EXPECT_EQ(user->email, "abc@example.com");
  EXPECT_EQ(user->email_verified, true);
  EXPECT_EQ(user->created_at, *parse_timestamp("2025-10-14T08:30:00.123Z"));
  EXPECT_EQ(user->blocked, true);

  auto other = client->get_user("auth0|other");
  ASSERT_TRUE(other.is_ok()) << other.error().message;
  EXPECT_FALSE(other->email.has_value());
  EXPECT_FALSE(other->email_verified.has_value());
  EXPECT_FALSE(other->blocked.has_value());

  const auto calls = fixture.log(Auth0Endpoint::user);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].target, "/api/v2/users/auth0%7Cabc");
  EXPECT_EQ(calls[0].method, "GET");
  EXPECT_THAT(calls[0].authorization, StartsWith("Bearer eyJ"));
  EXPECT_EQ(calls[0].status, 200);

  const auto token_calls = fixture.log(Auth0Endpoint::token);
  ASSERT_EQ(token_calls.size(), 1u);
  EXPECT_EQ(token_calls[0].method, "POST");
  EXPECT_THAT(token_calls[0].body, HasSubstr("\"grant_type\":\"client_credentials\""));
  EXPECT_THAT(token_calls[0].body, HasSubstr("\"audience\":\"" + fixture.audience() + "\""));
}

TEST(Auth0MgmtUser, UnknownUserIsNotFound) {
  Auth0Fixture fixture;
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  auto user = client->get_user("auth0|nobody");
  ASSERT_EQ(user.code(), Code::not_found);
  EXPECT_THAT(user.error().message, HasSubstr("auth0|nobody"));
  EXPECT_THAT(user.error().detail_json, HasSubstr("\"http_status\":404"));
  EXPECT_THAT(user.error().detail_json, HasSubstr("inexistent_user"));
  EXPECT_EQ(fixture.requests(Auth0Endpoint::user), 1);  // a 404 is not retried
}

TEST(Auth0MgmtUser, RefusesBadIdsWithoutSending) {
  Auth0Fixture fixture;
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  EXPECT_EQ(client->get_user("").code(), Code::invalid);
  EXPECT_EQ(client->get_user(std::string(513, 'a')).code(), Code::invalid);
  EXPECT_EQ(client->get_user("auth0|a\nb").code(), Code::invalid);
  EXPECT_EQ(fixture.log().size(), 0u);
}

TEST(Auth0MgmtToken, CachedAcrossCalls) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(3));
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client->get_user("auth0|u0001").is_ok());
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 1);
  EXPECT_EQ(fixture.requests(Auth0Endpoint::user), 5);
  const auto stats = client->stats();
  EXPECT_EQ(stats.token_requests, 1u);
  EXPECT_EQ(stats.api_requests, 5u);
  EXPECT_EQ(stats.retries, 0u);
}

TEST(Auth0MgmtToken, SingleFlightAcrossEightThreads) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(8));
  // A slow token endpoint keeps every thread waiting for the same token.
  fixture.delay_next(Auth0Endpoint::token, std::chrono::milliseconds(300));
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);

  constexpr int kThreads = 8;
  std::barrier start(kThreads);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      char id[40];
      std::snprintf(id, sizeof id, "auth0|u%04d", t);
      if (client->get_user(id).is_ok()) ++ok;
    });
  }
  for (auto &th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 1);
  EXPECT_EQ(fixture.max_concurrent(Auth0Endpoint::token), 1);
  EXPECT_EQ(fixture.requests(Auth0Endpoint::user), kThreads);
  EXPECT_EQ(client->stats().token_requests, 1u);
}

TEST(Auth0MgmtToken, FailedFlightIsSharedByItsWaiters) {
  Auth0Fixture fixture;
  // Wrong secret, slow refusal: all eight threads get the one refusal.
  fixture.delay_next(Auth0Endpoint::token, std::chrono::milliseconds(300));
  ManagementConfig config = config_for(fixture, nullptr);
  config.client_secret = "wrong-secret-0f9e8d";
  auto client = make_client(config);
  ASSERT_TRUE(client);
  constexpr int kThreads = 8;
  std::barrier start(kThreads);
  std::atomic<int> auth_errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      if (client->get_user("auth0|x").code() == Code::auth) ++auth_errors;
    });
  }
  for (auto &th : threads) th.join();
  EXPECT_EQ(auth_errors.load(), kThreads);
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 1);
  EXPECT_EQ(fixture.requests(Auth0Endpoint::user), 0);
}

TEST(Auth0MgmtToken, RefreshedShortlyBeforeExpiry) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(1));
  fixture.set_token_lifetime_s(3600);  // renewed min(60 s, 360 s) = 60 s early
  FakeTime time;
  auto client = make_client(config_for(fixture, &time));
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->get_user("auth0|u0000").is_ok());
  time.advance(3'540'000 - 1);
  ASSERT_TRUE(client->get_user("auth0|u0000").is_ok());
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 1);
  time.advance(1);
  ASSERT_TRUE(client->get_user("auth0|u0000").is_ok());
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 2);
  const auto calls = fixture.log(Auth0Endpoint::user);
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].authorization, calls[1].authorization);
  EXPECT_NE(calls[1].authorization, calls[2].authorization);
}

TEST(Auth0MgmtToken, ShortLivedTokensRenewedBeforeTheFixtureRejectsThem) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(1));
  fixture.set_token_lifetime_s(1);  // real time: renewed 100 ms early
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->get_user("auth0|u0000").is_ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(950));
  ASSERT_TRUE(client->get_user("auth0|u0000").is_ok());
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 2);
  EXPECT_EQ(fixture.answers(Auth0Endpoint::user, 401), 0);
}

TEST(Auth0MgmtToken, Api401DropsTokenAndRetriesOnce) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(1));
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->get_user("auth0|u0000").is_ok());
  fixture.revoke_tokens();
  auto user = client->get_user("auth0|u0000");
  ASSERT_TRUE(user.is_ok()) << user.error().message;
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 2);
  EXPECT_EQ(fixture.answers(Auth0Endpoint::user, 401), 1);
  EXPECT_EQ(fixture.requests(Auth0Endpoint::user), 3);
  // The new token is kept.
  ASSERT_TRUE(client->get_user("auth0|u0000").is_ok());
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 2);
}

TEST(Auth0MgmtToken, Persistent401IsAuthAfterOneRetoken) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(1));
  testing::Auth0Scripted unauthorized;
  unauthorized.status = 401;
  unauthorized.body = R"({"statusCode":401,"error":"Unauthorized","message":"Invalid token"})";
  fixture.script(Auth0Endpoint::user, unauthorized, 5);
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  auto user = client->get_user("auth0|u0000");
  ASSERT_EQ(user.code(), Code::auth);
  EXPECT_THAT(user.error().message, HasSubstr("AUTH0_M2M_CLIENT_ID"));
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 2);
  EXPECT_EQ(fixture.requests(Auth0Endpoint::user), 2);
  expect_no_secrets(user.error(), fixture);
}

TEST(Auth0MgmtToken, ForbiddenScopeIsAuthWithoutRetry) {
  Auth0Fixture fixture;
  fixture.raw_next(Auth0Endpoint::user, 403,
                   R"({"statusCode":403,"error":"Forbidden","message":"Insufficient scope, )"
                   R"(expected any of: read:users","errorCode":"insufficient_scope"})");
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  auto user = client->get_user("auth0|x");
  ASSERT_EQ(user.code(), Code::auth);
  EXPECT_THAT(user.error().message, HasSubstr("Insufficient scope"));
  EXPECT_EQ(fixture.requests(Auth0Endpoint::user), 1);
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 1);
}

TEST(Auth0MgmtToken, BadCredentialsAreAuthAndNeverShowTheSecret) {
  Auth0Fixture fixture;
  ManagementConfig config = config_for(fixture, nullptr);
  config.client_secret = "wrong-secret-7c1d2e";
  config.client_id_variable = "SOTCE_AUTH0_M2M_CLIENT_ID";
  auto client = make_client(config);
  ASSERT_TRUE(client);
  auto user = client->get_user("auth0|abc");
  ASSERT_EQ(user.code(), Code::auth);
  EXPECT_THAT(user.error().message, HasSubstr("SOTCE_AUTH0_M2M_CLIENT_ID"));
  EXPECT_THAT(user.error().message, HasSubstr("access_denied"));
  EXPECT_THAT(user.error().detail_json, HasSubstr("\"http_status\":401"));
  EXPECT_THAT(user.error().message, Not(HasSubstr("wrong-secret-7c1d2e")));
  EXPECT_THAT(user.error().detail_json, Not(HasSubstr("wrong-secret-7c1d2e")));
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 1);  // refusals are not retried
  EXPECT_EQ(fixture.requests(Auth0Endpoint::user), 0);
  EXPECT_EQ(client->warm_up().code(), Code::auth);
}

TEST(Auth0MgmtToken, WrongAudienceIsAuth) {
  Auth0Fixture fixture;
  ManagementConfig config = config_for(fixture, nullptr);
  config.audience = "https://elsewhere.example/api/v2/";
  auto client = make_client(config);
  ASSERT_TRUE(client);
  auto status = client->warm_up();
  ASSERT_EQ(status.code(), Code::auth);
  EXPECT_THAT(status.error().message, HasSubstr("Service not found"));
  EXPECT_THAT(status.error().detail_json, HasSubstr("\"http_status\":403"));
}

TEST(Auth0MgmtToken, HostileServerEchoingSecretsIsRedacted) {
  Auth0Fixture fixture;
  // A token endpoint that echoes the secret back in its refusal.
  fixture.raw_next(Auth0Endpoint::token, 401,
                   R"({"error":"access_denied","error_description":"bad secret )" +
                       fixture.client_secret() + R"("})");
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  auto refused = client->warm_up();
  ASSERT_EQ(refused.code(), Code::auth);
  EXPECT_THAT(refused.error().message, HasSubstr("[redacted]"));
  expect_no_secrets(refused.error(), fixture);

  // An API that echoes the bearer token in its errors.
  ASSERT_TRUE(client->warm_up().is_ok());
  ASSERT_TRUE(client->get_user("auth0|none").code() == Code::not_found);
  const std::string token = seen_tokens(fixture).at(0);
  fixture.raw_next(Auth0Endpoint::user, 400,
                   R"({"statusCode":400,"error":"Bad Request","message":"bad token )" + token +
                       R"(","errorCode":"x"})");
  auto bad = client->get_user("auth0|none");
  ASSERT_EQ(bad.code(), Code::invalid);
  EXPECT_THAT(bad.error().message, HasSubstr("[redacted]"));
  expect_no_secrets(bad.error(), fixture);
}

// --- listing -------------------------------------------------------------------------------

TEST(Auth0MgmtList, PagesNewestFirstWithDocumentedParameters) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(250));
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);

  ListUsersQuery query;
  query.per_page = 100;
  auto first = client->list_users(query);
  ASSERT_TRUE(first.is_ok()) << first.error().message;
  EXPECT_EQ(first->total, 250u);
  EXPECT_EQ(first->start, 0u);
  EXPECT_EQ(first->limit, 100u);
  ASSERT_EQ(first->users.size(), 100u);
  EXPECT_EQ(first->users[0].user_id, "auth0|u0249");
  EXPECT_EQ(first->users[99].user_id, "auth0|u0150");
  EXPECT_EQ(first->users[0].created_at, *parse_timestamp(iso_minutes(249)));
  EXPECT_EQ(first->users[0].email, "user249@example.com");
  EXPECT_EQ(first->users[0].email_verified, false);
  EXPECT_EQ(first->users[1].email_verified, true);

  query.page = 2;
  auto last = client->list_users(query);
  ASSERT_TRUE(last.is_ok()) << last.error().message;
  EXPECT_EQ(last->start, 200u);
  ASSERT_EQ(last->users.size(), 50u);
  EXPECT_EQ(last->users.back().user_id, "auth0|u0000");

  const auto calls = fixture.log(Auth0Endpoint::users);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].target,
            "/api/v2/users?sort=created_at:-1&fields=user_id,email,email_verified,created_at"
            "&include_fields=true&page=0&per_page=100&include_totals=true&search_engine=v3");
  EXPECT_THAT(calls[1].target, HasSubstr("&page=2&per_page=100&"));
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 1);
}

TEST(Auth0MgmtList, QueryIsEncodedAndApplied) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(10));
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  ListUsersQuery query;
  query.q = "email_verified:true AND email:\"user4@example.com\"";
  query.sort = "created_at:1";
  auto page = client->list_users(query);
  ASSERT_TRUE(page.is_ok()) << page.error().message;
  ASSERT_EQ(page->users.size(), 1u);
  EXPECT_EQ(page->users[0].user_id, "auth0|u0004");
  EXPECT_EQ(page->total, 1u);
  EXPECT_THAT(fixture.log(Auth0Endpoint::users).at(0).target,
              HasSubstr("&q=email_verified:true%20AND%20email:%22user4%40example.com%22"));
}

TEST(Auth0MgmtList, RefusesQueriesAuth0WouldRefuseWithoutSending) {
  Auth0Fixture fixture;
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  ListUsersQuery query;
  query.per_page = 0;
  EXPECT_EQ(client->list_users(query).code(), Code::invalid);
  query.per_page = 101;
  EXPECT_EQ(client->list_users(query).code(), Code::invalid);
  query.per_page = 100;
  query.page = 10;  // users 1000..1099: past Auth0's 1000-result window
  auto past = client->list_users(query);
  ASSERT_EQ(past.code(), Code::invalid);
  EXPECT_THAT(past.error().message, HasSubstr("1000"));
  query.page = 9;
  query.sort = "created_at";
  EXPECT_EQ(client->list_users(query).code(), Code::invalid);
  query.sort = "created_at:2";
  EXPECT_EQ(client->list_users(query).code(), Code::invalid);
  query.sort = "created_at:-1&x=1:1";
  EXPECT_EQ(client->list_users(query).code(), Code::invalid);
  EXPECT_EQ(client->list_recent_users(1001).code(), Code::invalid);
  EXPECT_EQ(fixture.log().size(), 0u);
}

TEST(Auth0MgmtList, Auth0PagingLimitAnswerIsInvalid) {
  // What Auth0 answers past the window (the client normally refuses first): a 400.
  Auth0Fixture fixture;
  fixture.raw_next(Auth0Endpoint::users, 400,
                   R"({"statusCode":400,"error":"Bad Request","message":"You can only page )"
                   R"(through the first 1000 records."})");
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  auto page = client->list_users({});
  ASSERT_EQ(page.code(), Code::invalid);
  EXPECT_THAT(page.error().message, HasSubstr("first 1000 records"));
}

TEST(Auth0MgmtList, RecentUsersPagesAsNeeded) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(250));
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);

  auto none = client->list_recent_users(0);
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(fixture.requests(Auth0Endpoint::users), 0);

  auto thirty = client->list_recent_users(30);
  ASSERT_TRUE(thirty.is_ok()) << thirty.error().message;
  ASSERT_EQ(thirty->size(), 30u);
  EXPECT_EQ(thirty->front().user_id, "auth0|u0249");
  EXPECT_EQ(thirty->back().user_id, "auth0|u0220");
  EXPECT_EQ(fixture.requests(Auth0Endpoint::users), 1);
  EXPECT_THAT(fixture.log(Auth0Endpoint::users).back().target, HasSubstr("&per_page=30&"));

  auto some = client->list_recent_users(150);
  ASSERT_TRUE(some.is_ok()) << some.error().message;
  ASSERT_EQ(some->size(), 150u);
  EXPECT_EQ(some->at(149).user_id, "auth0|u0100");
  EXPECT_EQ(fixture.requests(Auth0Endpoint::users), 3);

  auto all = client->list_recent_users(1000);
  ASSERT_TRUE(all.is_ok()) << all.error().message;
  ASSERT_EQ(all->size(), 250u);  // fewer exist: stops at the short page
  for (std::size_t i = 1; i < all->size(); ++i) {
    ASSERT_GT(*(*all)[i - 1].created_at, *(*all)[i].created_at);
  }
  EXPECT_EQ(fixture.requests(Auth0Endpoint::users), 6);
}

TEST(Auth0MgmtList, RecentUsersStopAtAuth0sWindow) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(1200));
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  auto users = client->list_recent_users(1000);
  ASSERT_TRUE(users.is_ok()) << users.error().message;
  ASSERT_EQ(users->size(), 1000u);
  EXPECT_EQ(users->front().user_id, "auth0|u1199");
  EXPECT_EQ(users->back().user_id, "auth0|u0200");
  EXPECT_EQ(fixture.requests(Auth0Endpoint::users), 10);
  EXPECT_EQ(fixture.answers(Auth0Endpoint::users, 400), 0);
}

TEST(Auth0MgmtList, RecentUsersKeepEachUserOnce) {
  // A signup between two pages shifts the listing by one: the boundary user comes twice.
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(150));
  fixture.delay_next(Auth0Endpoint::users, std::chrono::milliseconds(0));
  fixture.delay_next(Auth0Endpoint::users, std::chrono::milliseconds(400));
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  std::optional<Result<std::vector<User>>> users;
  std::thread lister([&] { users.emplace(client->list_recent_users(140)); });
  while (fixture.requests(Auth0Endpoint::users) < 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // The second page is being served (it waits 400 ms before reading the user list).
  fixture.add_user({"auth0|late", "late@example.com", false, iso_minutes(10'000), false});
  lister.join();
  ASSERT_TRUE(users.has_value());
  ASSERT_TRUE(users->is_ok()) << users->error().message;
  const auto &list = users->value();
  ASSERT_EQ(list.size(), 140u);
  std::set<std::string> ids;
  for (const auto &u : list) EXPECT_TRUE(ids.insert(u.user_id).second) << u.user_id;
  EXPECT_EQ(list.front().user_id, "auth0|u0149");
  EXPECT_EQ(list.back().user_id, "auth0|u0010");  // u0050 came twice and was kept once
  EXPECT_EQ(fixture.requests(Auth0Endpoint::users), 2);
}

// --- rate limits, server errors, network ---------------------------------------------------

TEST(Auth0MgmtRetry, RateLimitWaitsUntilReset) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(1));
  FakeTime time;
  const std::int64_t reset_s = time.unix_ms / 1000 + 7;
  fixture.rate_limit_next(Auth0Endpoint::user, reset_s);
  auto client = make_client(config_for(fixture, &time));
  ASSERT_TRUE(client);
  auto user = client->get_user("auth0|u0000");
  ASSERT_TRUE(user.is_ok()) << user.error().message;
  EXPECT_EQ(time.recorded(), std::vector<std::int64_t>{7'000});
  EXPECT_EQ(fixture.requests(Auth0Endpoint::user), 2);
  const auto stats = client->stats();
  EXPECT_EQ(stats.rate_limited, 1u);
  EXPECT_EQ(stats.retries, 1u);
  EXPECT_EQ(stats.ratelimit_limit, 1000);
  ASSERT_TRUE(stats.ratelimit_remaining.has_value());  // from the answer after the wait
  EXPECT_GT(*stats.ratelimit_remaining, 0);
  EXPECT_LE(*stats.ratelimit_remaining, 1000);
}

TEST(Auth0MgmtRetry, RateLimitOnTheTokenEndpointToo) {
  Auth0Fixture fixture;
  FakeTime time;
  fixture.rate_limit_next(Auth0Endpoint::token, time.unix_ms / 1000 + 2, 2);
  auto client = make_client(config_for(fixture, &time));
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->warm_up().is_ok());
  // The second 429 comes 2 s later: its reset (same second) is now past, so a backoff is used.
  const auto sleeps = time.recorded();
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_EQ(sleeps[0], 2'000);
  EXPECT_EQ(sleeps[1], 200);  // backoff cap of the 2nd wait
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 3);
}

TEST(Auth0MgmtRetry, RateLimitBeyondMaxWaitIsReported) {
  Auth0Fixture fixture;
  FakeTime time;
  fixture.rate_limit_next(Auth0Endpoint::user, time.unix_ms / 1000 + 3600);
  ManagementConfig config = config_for(fixture, &time);
  config.max_rate_limit_wait_ms = 30'000;
  auto client = make_client(config);
  ASSERT_TRUE(client);
  auto user = client->get_user("auth0|u0000");
  ASSERT_EQ(user.code(), Code::rate_limited);
  EXPECT_THAT(user.error().detail_json, HasSubstr("\"retry_after_ms\":3600000"));
  EXPECT_TRUE(time.recorded().empty());
  EXPECT_EQ(client->stats().ratelimit_remaining, 0);
}

TEST(Auth0MgmtRetry, RateLimitRetriesAreBounded) {
  Auth0Fixture fixture;
  FakeTime time;
  fixture.rate_limit_next(Auth0Endpoint::user, time.unix_ms / 1000 + 1, 10);
  ManagementConfig config = config_for(fixture, &time);
  config.max_rate_limit_retries = 2;
  auto client = make_client(config);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->get_user("auth0|u0000").code(), Code::rate_limited);
  EXPECT_EQ(fixture.requests(Auth0Endpoint::user), 3);
  EXPECT_EQ(client->stats().rate_limited, 3u);
}

TEST(Auth0MgmtRetry, ServerErrorsRetriedWithBackoffThenUnavailable) {
  Auth0Fixture fixture;
  FakeTime time;
  fixture.server_error_next(Auth0Endpoint::user, 10);
  auto client = make_client(config_for(fixture, &time));  // max_attempts 4
  ASSERT_TRUE(client);
  auto user = client->get_user("auth0|u0000");
  ASSERT_EQ(user.code(), Code::unavailable);
  EXPECT_THAT(user.error().message, HasSubstr("HTTP 500"));
  EXPECT_THAT(user.error().detail_json, HasSubstr("\"attempts\":4"));
  EXPECT_EQ(fixture.requests(Auth0Endpoint::user), 4);
  EXPECT_EQ(time.recorded(), (std::vector<std::int64_t>{100, 200, 400}));
}

TEST(Auth0MgmtRetry, TransientServerErrorsRecover) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(1));
  FakeTime time;
  fixture.server_error_next(Auth0Endpoint::token, 1, 503);
  fixture.server_error_next(Auth0Endpoint::user, 2, 502);
  auto client = make_client(config_for(fixture, &time));
  ASSERT_TRUE(client);
  auto user = client->get_user("auth0|u0000");
  ASSERT_TRUE(user.is_ok()) << user.error().message;
  EXPECT_EQ(fixture.requests(Auth0Endpoint::token), 2);
  EXPECT_EQ(fixture.requests(Auth0Endpoint::user), 3);
  EXPECT_EQ(client->stats().retries, 3u);
}

TEST(Auth0MgmtRetry, JitterStaysWithinTheBackoffCap) {
  Auth0Fixture fixture;
  FakeTime time;
  fixture.server_error_next(Auth0Endpoint::user, 10);
  ManagementConfig config = config_for(fixture, &time);
  config.clock->uniform = [](std::uint64_t) { return std::uint64_t{0}; };  // shortest draws
  config.max_attempts = 6;
  auto client = make_client(config);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->get_user("auth0|u0000").code(), Code::unavailable);
  // Half of min(1000, 100 * 2^(n-1)).
  EXPECT_EQ(time.recorded(), (std::vector<std::int64_t>{50, 100, 200, 400, 500}));
}

TEST(Auth0MgmtRetry, UnreachableHostIsUnavailable) {
  std::string dead_url;
  {
    Auth0Fixture gone;
    dead_url = gone.base_url();
  }  // nothing listens there any more
  FakeTime time;
  ManagementConfig config;
  config.base_url = dead_url;
  config.client_id = "id";
  config.client_secret = "secret-never-shown";
  config.max_attempts = 3;
  config.clock = time.clock();
  auto client = make_client(config);
  ASSERT_TRUE(client);
  auto status = client->warm_up();
  ASSERT_EQ(status.code(), Code::unavailable);
  EXPECT_THAT(status.error().detail_json, HasSubstr("\"attempts\":3"));
  EXPECT_THAT(status.error().message, Not(HasSubstr("secret-never-shown")));
  EXPECT_EQ(time.recorded().size(), 2u);
}

TEST(Auth0MgmtRetry, SlowAnswersTimeOut) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(1));
  fixture.delay_next(Auth0Endpoint::user, std::chrono::milliseconds(1500), 2);
  ManagementConfig config = config_for(fixture, nullptr);
  config.request_timeout_ms = 300;
  config.max_attempts = 2;
  config.initial_backoff_ms = 10;
  auto client = make_client(config);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->warm_up().is_ok());
  auto user = client->get_user("auth0|u0000");
  ASSERT_EQ(user.code(), Code::unavailable);
  EXPECT_THAT(user.error().message, HasSubstr("timed out"));
  EXPECT_THAT(user.error().detail_json, HasSubstr("\"kind\":\"timeout\""));
}

// --- strict validation of responses --------------------------------------------------------

struct Malformed {
  Auth0Endpoint endpoint;
  std::string body;
};

class Auth0MgmtMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(Auth0MgmtMalformed, IsRefused) {
  Auth0Fixture fixture;
  fixture.set_users(numbered_users(3));
  const Malformed &m = GetParam();
  fixture.raw_next(m.endpoint, 200, m.body);
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  Error error;
  if (m.endpoint == Auth0Endpoint::users) {
    ListUsersQuery query;
    query.per_page = 2;
    auto page = client->list_users(query);
    ASSERT_FALSE(page.is_ok());
    error = page.error();
  } else {
    auto user = client->get_user("auth0|u0001");
    ASSERT_FALSE(user.is_ok());
    error = user.error();
  }
  EXPECT_EQ(error.code, Code::internal);
  EXPECT_THAT(error.message, StartsWith("Auth0 returned an unexpected response"));
  expect_no_secrets(error, fixture);
}

const std::string kUser0 = R"({"user_id":"auth0|u0001","email":"a@b.c","email_verified":true,)"
                           R"("created_at":"2025-01-01T00:00:00.000Z"})";

INSTANTIATE_TEST_SUITE_P(
    Bodies, Auth0MgmtMalformed,
    ::testing::Values(
        Malformed{Auth0Endpoint::token, "not json"}, Malformed{Auth0Endpoint::token, "[]"},
        Malformed{Auth0Endpoint::token, R"({"expires_in":86400,"token_type":"Bearer"})"},
        Malformed{Auth0Endpoint::token,
                  R"({"access_token":"","expires_in":86400,"token_type":"Bearer"})"},
        Malformed{Auth0Endpoint::token,
                  R"({"access_token":"a\nb","expires_in":86400,"token_type":"Bearer"})"},
        Malformed{Auth0Endpoint::token,
                  R"({"access_token":"abc","expires_in":"86400","token_type":"Bearer"})"},
        Malformed{Auth0Endpoint::token,
                  R"({"access_token":"abc","expires_in":0,"token_type":"Bearer"})"},
        Malformed{Auth0Endpoint::token,
                  R"({"access_token":"abc","expires_in":86400.5,"token_type":"Bearer"})"},
        Malformed{Auth0Endpoint::token,
                  R"({"access_token":"abc","expires_in":86400,"token_type":"mac"})"},
        Malformed{Auth0Endpoint::token, R"({"access_token":"abc","expires_in":86400})"},
        Malformed{Auth0Endpoint::token,
                  R"({"access_token":"abc","expires_in":86400,"token_type":"Bearer"} x)"},
        Malformed{Auth0Endpoint::user, "<html>oops</html>"},
        Malformed{Auth0Endpoint::user, R"({"user_id":5})"},
        Malformed{Auth0Endpoint::user, R"({"user_id":"auth0|someone-else"})"},
        Malformed{Auth0Endpoint::user, R"({"user_id":"auth0|u0001","email_verified":"yes"})"},
        Malformed{Auth0Endpoint::user, R"({"user_id":"auth0|u0001","email":null})"},
        Malformed{Auth0Endpoint::user, R"({"user_id":"auth0|u0001","created_at":"yesterday"})"},
        Malformed{Auth0Endpoint::user, R"({"user_id":"auth0|u0001","blocked":1})"},
        Malformed{Auth0Endpoint::users, "[" + kUser0 + "]"},  // include_totals ignored
        Malformed{Auth0Endpoint::users,
                  R"({"start":0,"limit":2,"length":1,"users":[)" + kUser0 + "]}"},
        Malformed{Auth0Endpoint::users,
                  R"({"start":0,"limit":2,"length":2,"total":5,"users":[)" + kUser0 + "]}"},
        Malformed{Auth0Endpoint::users, R"({"start":0,"limit":2,"length":3,"total":5,"users":[)" +
                                            kUser0 + "," + kUser0 + "," + kUser0 + "]}"},
        Malformed{Auth0Endpoint::users,
                  R"({"start":4,"limit":2,"length":1,"total":5,"users":[)" + kUser0 + "]}"},
        Malformed{Auth0Endpoint::users,
                  R"({"start":0,"limit":2,"length":1,"total":-1,"users":[)" + kUser0 + "]}"},
        Malformed{Auth0Endpoint::users, R"({"start":0,"limit":2,"length":0,"total":0,"users":{}})"},
        Malformed{Auth0Endpoint::users,
                  R"({"start":0,"limit":2,"length":1,"total":1,"users":[{"email":"x"}]})"}));

TEST(Auth0MgmtMalformedMore, OversizedTokenBodyIsRefused) {
  Auth0Fixture fixture;
  fixture.raw_next(Auth0Endpoint::token, 200, std::string(70'000, ' ') + "{}");
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  auto status = client->warm_up();
  ASSERT_EQ(status.code(), Code::internal);
  EXPECT_THAT(status.error().message, StartsWith("Auth0 returned an unexpected response"));
  EXPECT_THAT(status.error().message, HasSubstr("larger than"));
}

TEST(Auth0MgmtMalformedMore, UnexpectedStatusIsRefused) {
  Auth0Fixture fixture;
  fixture.raw_next(Auth0Endpoint::user, 302, "");
  auto client = make_client(config_for(fixture, nullptr));
  ASSERT_TRUE(client);
  auto user = client->get_user("auth0|u0001");
  ASSERT_EQ(user.code(), Code::internal);
  EXPECT_THAT(user.error().message, HasSubstr("HTTP status 302"));
}

}  // namespace
}  // namespace acid::auth0
