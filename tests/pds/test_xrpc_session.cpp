// SessionManager: single-flight refresh per DID under real thread contention. The refresher here
// is a function, so the test controls timing; the live test does the same against the real PDS.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <thread>
#include <vector>

#include "pds/pds_error.h"
#include "pds/session.h"

namespace acid::pds {
namespace {

Error expired() {
  Failure f;
  f.method = "com.atproto.repo.createRecord";
  f.http_status = 400;
  f.xrpc_error = "ExpiredToken";
  f.xrpc_message = "Token has expired";
  f.kind = ErrorKind::expired_token;
  return to_error(f, {});
}

Session session(const std::string &did, int generation) {
  Session s;
  s.did = did;
  s.handle = "h.test";
  s.access_jwt = "access-" + std::to_string(generation);
  s.refresh_jwt = "refresh-" + std::to_string(generation);
  s.email = "e@x.org";
  return s;
}

TEST(SessionManagerTest, ConcurrentExpiredCallersShareOneRefresh) {
  constexpr int kThreads = 16;
  std::atomic<int> refresh_calls{0};
  SessionManager sessions([&](std::string_view refresh_jwt) -> Result<Session> {
    EXPECT_EQ(refresh_jwt, "refresh-0");
    ++refresh_calls;
    // Slow enough that every thread arrives while this refresh is in flight.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Session s = session("did:plc:a", 1);
    s.email.reset();  // refreshSession carries no email
    return s;
  });
  sessions.put(session("did:plc:a", 0));
  std::vector<Session> persisted;
  std::mutex persisted_mutex;
  sessions.set_on_refresh([&](const Session &s) {
    std::lock_guard lock(persisted_mutex);
    persisted.push_back(s);
  });

  std::atomic<int> calls_with_old{0}, calls_with_new{0}, ok{0};
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      Result<int> r = sessions.with_session("did:plc:a", [&](std::string_view jwt) -> Result<int> {
        if (jwt == "access-0") {
          ++calls_with_old;
          return expired();
        }
        EXPECT_EQ(jwt, "access-1");
        ++calls_with_new;
        return 7;
      });
      if (r && *r == 7) ++ok;
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(refresh_calls.load(), 1);
  EXPECT_EQ(sessions.refresh_count(), 1u);
  EXPECT_EQ(ok.load(), kThreads);
  // Every caller that met the expired token retried exactly once, with the new token.
  EXPECT_GE(calls_with_old.load(), 1);
  EXPECT_LE(calls_with_old.load(), kThreads);
  EXPECT_EQ(calls_with_new.load(), kThreads);
  ASSERT_EQ(persisted.size(), 1u);
  EXPECT_EQ(persisted[0].refresh_jwt, "refresh-1");
  EXPECT_EQ(persisted[0].email, "e@x.org");  // kept from the first session
  EXPECT_EQ(sessions.get("did:plc:a")->access_jwt, "access-1");
}

TEST(SessionManagerTest, IdenticalTokensAfterRefreshStillCountAsRefreshed) {
  // The PDS can hand back a byte-identical access JWT when a refresh happens in the same second
  // as the login (same claims, deterministic HS256). Waiters must not take that for a failure.
  constexpr int kThreads = 8;
  std::atomic<int> refresh_calls{0};
  SessionManager sessions([&](std::string_view) -> Result<Session> {
    ++refresh_calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return session("did:plc:a", 0);  // the very same tokens
  });
  sessions.put(session("did:plc:a", 0));
  std::atomic<int> ok{0};
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      bool first = true;
      start.arrive_and_wait();
      Status s = sessions.with_session("did:plc:a", [&](std::string_view) -> Status {
        if (first) {
          first = false;
          return expired();
        }
        return Status::ok();
      });
      if (s) ++ok;
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(refresh_calls.load(), 1);
}

TEST(SessionManagerTest, LateCallerWithStaleTokenDoesNotRefreshAgain) {
  int refresh_calls = 0;
  SessionManager sessions([&](std::string_view) -> Result<Session> {
    ++refresh_calls;
    return session("did:plc:a", refresh_calls);
  });
  sessions.put(session("did:plc:a", 0));
  ASSERT_TRUE(sessions.refresh("did:plc:a", "access-0"));
  auto again = sessions.refresh("did:plc:a", "access-0");  // stale token: already replaced
  ASSERT_TRUE(again);
  EXPECT_EQ(again->access_jwt, "access-1");
  EXPECT_EQ(refresh_calls, 1);
  ASSERT_TRUE(sessions.refresh("did:plc:a", "access-1"));  // current token: refreshes
  EXPECT_EQ(refresh_calls, 2);
}

TEST(SessionManagerTest, RefreshFailureReachesEveryWaiterAndKeepsTheSession) {
  constexpr int kThreads = 8;
  std::atomic<int> refresh_calls{0};
  SessionManager sessions([&](std::string_view) -> Result<Session> {
    ++refresh_calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Failure f;
    f.method = "com.atproto.server.refreshSession";
    f.http_status = 400;
    f.xrpc_error = "ExpiredToken";
    f.xrpc_message = "Token has been revoked";
    f.kind = ErrorKind::expired_token;
    return to_error(f, {});
  });
  sessions.put(session("did:plc:a", 0));
  std::atomic<int> auth_errors{0};
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      Status s =
          sessions.with_session("did:plc:a", [](std::string_view) -> Status { return expired(); });
      if (s.code() == Code::auth && kind_of(s.error()) == ErrorKind::expired_token) ++auth_errors;
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(auth_errors.load(), kThreads);
  // Waiters share the failed refresh; a thread arriving after it finished may try once more,
  // but never one refresh per thread.
  EXPECT_LT(refresh_calls.load(), kThreads);
  EXPECT_GE(refresh_calls.load(), 1);
  EXPECT_EQ(sessions.get("did:plc:a")->access_jwt, "access-0");
}

TEST(SessionManagerTest, OtherErrorsDoNotRefresh) {
  int refresh_calls = 0;
  SessionManager sessions([&](std::string_view) -> Result<Session> {
    ++refresh_calls;
    return session("did:plc:a", 1);
  });
  sessions.put(session("did:plc:a", 0));
  int calls = 0;
  Status s = sessions.with_session("did:plc:a", [&](std::string_view) -> Status {
    ++calls;
    return Error(Code::pds, "x", R"({"kind":"invalid_token"})");
  });
  EXPECT_EQ(s.code(), Code::pds);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(refresh_calls, 0);
}

TEST(SessionManagerTest, UnknownDidIsAnError) {
  SessionManager sessions([](std::string_view) -> Result<Session> { return session("x", 1); });
  Status s = sessions.with_session("did:plc:none", [](std::string_view) { return Status::ok(); });
  EXPECT_EQ(s.code(), Code::invalid);
  EXPECT_EQ(sessions.refresh("did:plc:none", "t").code(), Code::invalid);
}

TEST(SessionManagerTest, RefreshForAnotherDidIsRefused) {
  SessionManager sessions(
      [](std::string_view) -> Result<Session> { return session("did:plc:other", 1); });
  sessions.put(session("did:plc:a", 0));
  auto r = sessions.refresh("did:plc:a", "access-0");
  ASSERT_FALSE(r);
  EXPECT_EQ(sessions.get("did:plc:a")->access_jwt, "access-0");
}

TEST(SessionManagerTest, DidsRefreshIndependently) {
  std::atomic<int> refresh_calls{0};
  SessionManager sessions([&](std::string_view refresh_jwt) -> Result<Session> {
    ++refresh_calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string did = std::string(refresh_jwt.substr(0, refresh_jwt.find('|')));
    Session s = session(did, 1);
    s.access_jwt = did + "|new";
    s.refresh_jwt = did + "|r1";
    return s;
  });
  for (const char *did : {"did:plc:a", "did:plc:b"}) {
    Session s = session(did, 0);
    s.access_jwt = std::string(did) + "|old";
    s.refresh_jwt = std::string(did) + "|r0";
    sessions.put(s);
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      const std::string did = i % 2 ? "did:plc:a" : "did:plc:b";
      Status s = sessions.with_session(did, [&](std::string_view jwt) -> Status {
        if (jwt.ends_with("|old")) return expired();
        return Status::ok();
      });
      EXPECT_TRUE(s) << s.error().message;
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(refresh_calls.load(), 2);
}

}  // namespace
}  // namespace acid::pds
