// SessionCache: one login per key, refresh before expiry (read from the JWT's exp), fallbacks
// when a refresh fails, and single flight per key under real thread contention. Login and
// refresh are functions here, so the test controls timing and outcomes; the live tests
// (tests/capi/test_capi_credentials_live.cpp, tests/node) run it against the real PDS.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/base64.h"
#include "pds/pds_error.h"
#include "pds/session_cache.h"

namespace acid::pds {
namespace {

constexpr UnixMillis kStart = 1'760'000'000'000;  // 2025-10-09
constexpr std::int64_t kHour = 3'600'000;

// An unsigned JWT whose payload carries iat/exp (seconds), as the PDS's access tokens do.
std::string jwt(UnixMillis iat, UnixMillis exp, const std::string &tag) {
  const std::string payload = R"({"scope":"com.atproto.access","sub":"did:plc:x","iat":)" +
                              std::to_string(iat / 1000) + R"(,"exp":)" +
                              std::to_string(exp / 1000) + R"(,"jti":")" + tag + R"("})";
  return base64::encode_url(std::string_view(R"({"alg":"HS256","typ":"at+jwt"})")) + "." +
         base64::encode_url(std::string_view(payload)) + ".c2lnbmF0dXJl";
}

Error failure(ErrorKind kind, int http_status, const char *xrpc_error) {
  Failure f;
  f.method = "com.atproto.server.refreshSession";
  f.http_status = http_status;
  f.xrpc_error = xrpc_error;
  f.kind = kind;
  return to_error(f, {});
}

// A fake clock and PDS: tokens live two hours from the clock's "now".
struct FakePds {
  std::atomic<UnixMillis> now{kStart};
  std::atomic<int> logins{0}, refreshes{0};
  std::optional<Error> refresh_error;
  std::optional<Error> login_error;

  Session make(const std::string &key, const std::string &tag) {
    Session s;
    s.did = "did:plc:" + key;
    s.handle = key + ".test";
    s.access_jwt = jwt(now, now + 2 * kHour, tag);
    s.refresh_jwt = "refresh-" + tag;
    return s;
  }
  SessionCache cache() {
    SessionCacheOptions o;
    o.now = [this] { return now.load(); };
    return SessionCache(
        [this](std::string_view key) -> Result<Session> {
          const int n = ++logins;
          if (login_error) return *login_error;
          return make(std::string(key), "login" + std::to_string(n));
        },
        [this](std::string_view refresh_jwt) -> Result<Session> {
          const int n = ++refreshes;
          if (refresh_error) return *refresh_error;
          EXPECT_TRUE(refresh_jwt.starts_with("refresh-"));
          return make("a", "refresh" + std::to_string(n));
        },
        o);
  }
};

TEST(JwtTimes, ReadsExpAndIatAndIgnoresGarbage) {
  const JwtTimes t = jwt_times(jwt(kStart, kStart + kHour, "x"));
  EXPECT_EQ(t.issued_at, kStart);
  EXPECT_EQ(t.expires_at, kStart + kHour);
  for (const char *bad : {"", "abc", "a.b", "a.!!!.c", "e30.e30.e30", "a.WzFd.c"}) {
    const JwtTimes none = jwt_times(bad);
    EXPECT_FALSE(none.expires_at) << bad;
    EXPECT_FALSE(none.issued_at) << bad;
  }
}

TEST(SessionCacheTest, LogsInOnceAndServesTheCachedSession) {
  FakePds pds;
  SessionCache cache = pds.cache();
  auto first = cache.get("a");
  ASSERT_TRUE(first) << first.error().message;
  auto second = cache.get("a");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->access_jwt, first->access_jwt);
  EXPECT_EQ(pds.logins, 1);
  EXPECT_EQ(cache.stats().hits, 1u);
  // Another key is another login.
  ASSERT_TRUE(cache.get("b"));
  EXPECT_EQ(pds.logins, 2);
  // forget() drops it: the next call logs in again.
  cache.forget("a");
  ASSERT_TRUE(cache.get("a"));
  EXPECT_EQ(pds.logins, 3);
}

TEST(SessionCacheTest, RefreshesShortlyBeforeExpiryNotEarlier) {
  FakePds pds;
  SessionCache cache = pds.cache();
  auto first = cache.get("a");
  ASSERT_TRUE(first);
  pds.now = kStart + 2 * kHour - 6 * 60'000;  // six minutes left: still cached
  EXPECT_EQ(cache.get("a")->access_jwt, first->access_jwt);
  EXPECT_EQ(pds.refreshes, 0);
  pds.now = kStart + 2 * kHour - 4 * 60'000;  // four minutes left: refreshed
  auto refreshed = cache.get("a");
  ASSERT_TRUE(refreshed);
  EXPECT_NE(refreshed->access_jwt, first->access_jwt);
  EXPECT_EQ(pds.refreshes, 1);
  EXPECT_EQ(pds.logins, 1);
  EXPECT_EQ(cache.get("a")->access_jwt, refreshed->access_jwt);  // and cached again
  EXPECT_EQ(pds.refreshes, 1);
}

TEST(SessionCacheTest, ARefusedRefreshLogsInAgain) {
  FakePds pds;
  SessionCache cache = pds.cache();
  ASSERT_TRUE(cache.get("a"));
  pds.refresh_error = failure(ErrorKind::expired_token, 400, "ExpiredToken");
  pds.now = kStart + 3 * kHour;  // everything expired
  auto again = cache.get("a");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(pds.refreshes, 1);
  EXPECT_EQ(pds.logins, 2);
}

TEST(SessionCacheTest, ATransientRefreshFailureKeepsAStillValidToken) {
  FakePds pds;
  SessionCache cache = pds.cache();
  auto first = cache.get("a");
  ASSERT_TRUE(first);
  pds.refresh_error = failure(ErrorKind::server_error, 502, "");
  pds.now = kStart + 2 * kHour - 60'000;  // due for refresh, one minute of life left
  auto kept = cache.get("a");
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(kept->access_jwt, first->access_jwt);
  EXPECT_EQ(pds.logins, 1);
  // The retry waits a little instead of hitting the PDS on every call.
  ASSERT_TRUE(cache.get("a"));
  EXPECT_EQ(pds.refreshes, 1);
  // Once the token has expired, the transient failure is the answer (no login: the PDS is down).
  pds.now = kStart + 2 * kHour + 1;
  auto failed = cache.get("a");
  ASSERT_FALSE(failed);
  EXPECT_TRUE(is_transient(failed.error()));
  EXPECT_EQ(pds.logins, 1);
  // When the PDS is back, the refresh succeeds.
  pds.refresh_error.reset();
  ASSERT_TRUE(cache.get("a"));
  EXPECT_EQ(pds.logins, 1);
}

TEST(SessionCacheTest, ConcurrentFirstCallsShareOneLogin) {
  constexpr int kThreads = 16;
  std::atomic<int> logins{0};
  SessionCache cache(
      [&](std::string_view key) -> Result<Session> {
        ++logins;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        Session s;
        s.did = "did:plc:" + std::string(key);
        s.access_jwt = jwt(now_unix_ms(), now_unix_ms() + 2 * kHour, "one");
        s.refresh_jwt = "refresh-one";
        return s;
      },
      [](std::string_view) -> Result<Session> { return Error(Code::internal, "no refresh"); });
  std::barrier start(kThreads);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto s = cache.get("a");
      if (s && s->did == "did:plc:a") ++ok;
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(ok, kThreads);
  EXPECT_EQ(logins, 1);
  EXPECT_EQ(cache.stats().logins, 1u);
}

TEST(SessionCacheTest, AFailedLoginIsSharedByItsWaitersAndRetriedLater) {
  constexpr int kThreads = 8;
  std::atomic<int> logins{0};
  std::atomic<bool> fail{true};
  SessionCache cache(
      [&](std::string_view) -> Result<Session> {
        ++logins;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (fail) return Error(Code::no_account, "no PDS account yet");
        Session s;
        s.did = "did:plc:a";
        s.access_jwt = jwt(now_unix_ms(), now_unix_ms() + 2 * kHour, "late");
        s.refresh_jwt = "refresh-late";
        return s;
      },
      [](std::string_view) -> Result<Session> { return Error(Code::internal, "no refresh"); });
  std::barrier start(kThreads);
  std::atomic<int> no_account{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto s = cache.get("a");
      if (!s && s.code() == Code::no_account) ++no_account;
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(no_account, kThreads);
  // Threads arriving after the flight ended may start their own: at most a few, never one each.
  EXPECT_LE(logins, 2);
  fail = false;
  const int before = logins;
  ASSERT_TRUE(cache.get("a"));  // the error is not cached
  EXPECT_EQ(logins, before + 1);
}

TEST(SessionCacheTest, OneSlowUserDoesNotBlockAnother) {
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  SessionCache cache(
      [&](std::string_view key) -> Result<Session> {
        if (key == "slow") {
          std::unique_lock lock(m);
          cv.wait(lock, [&] { return release; });
        }
        Session s;
        s.did = "did:plc:" + std::string(key);
        s.access_jwt = jwt(now_unix_ms(), now_unix_ms() + 2 * kHour, std::string(key));
        s.refresh_jwt = "r";
        return s;
      },
      [](std::string_view) -> Result<Session> { return Error(Code::internal, "no refresh"); });
  std::thread slow([&] { EXPECT_TRUE(cache.get("slow")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto fast = cache.get("fast");  // must not wait for "slow"
  EXPECT_TRUE(fast);
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  slow.join();
}

}  // namespace
}  // namespace acid::pds
