// PDS sessions per user, for code that writes to a person's repo often: it logs in once
// (createSession) and refreshes the tokens shortly before the access token expires, so a caller
// never spends the PDS's createSession rate limit (30 per 5 minutes, 300 a day per account) on
// every request.
//
//   SessionCache cache(login, refresh);
//   auto session = cache.get("auth0|abc");   // first call: login("auth0|abc")
//   auto again = cache.get("auth0|abc");     // cached: no PDS call
//
// Thread-safe and single-flight per key: however many threads ask for the same user at once,
// one of them logs in (or refreshes) and the others wait for it and share its session, or its
// error. Different keys never wait for each other.
//
// Expiry comes from the access token's `exp` claim (read, not verified: the token is the PDS's
// business). A session is refreshed once less than `refresh_margin_ms` of its life is left (or
// half of it, for short-lived tokens). A refresh the PDS refuses (refresh token expired or
// revoked, account gone) falls back to a new login; a transient refresh failure keeps handing
// out the old access token while it is still valid.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "pds/xrpc_types.h"

namespace acid::pds {

// The `exp` and `iat` claims of a JWT, in milliseconds; nullopt when absent or unreadable.
struct JwtTimes {
  std::optional<UnixMillis> expires_at;
  std::optional<UnixMillis> issued_at;
};
JwtTimes jwt_times(std::string_view jwt);

struct SessionCacheOptions {
  // Refresh when less than this is left of the access token's life.
  std::int64_t refresh_margin_ms = std::int64_t{5} * 60'000;
  // Life assumed for an access token without a readable `exp` claim.
  std::int64_t unknown_lifetime_ms = std::int64_t{10} * 60'000;
  std::function<UnixMillis()> now = now_unix_ms;  // injectable for tests
};

struct SessionCacheStats {
  std::uint64_t hits = 0;       // answered from the cache
  std::uint64_t logins = 0;     // createSession calls made
  std::uint64_t refreshes = 0;  // refreshSession calls made
  std::uint64_t failures = 0;   // flights that ended in an error
};

class SessionCache {
 public:
  // Logs `key` in with its stored credentials (createSession).
  using Login = std::function<Result<Session>(std::string_view key)>;
  // Exchanges a refresh token for new tokens (refreshSession).
  using Refresh = std::function<Result<Session>(std::string_view refresh_jwt)>;

  SessionCache(Login login, Refresh refresh, SessionCacheOptions options = {});
  SessionCache(const SessionCache &) = delete;
  SessionCache &operator=(const SessionCache &) = delete;

  // A session for `key` whose access token is not about to expire.
  Result<Session> get(std::string_view key);

  // Drops the cached session of `key` (the next get logs in again).
  void forget(std::string_view key);

  SessionCacheStats stats() const;

 private:
  struct Entry {
    std::optional<Session> session;
    UnixMillis refresh_at = 0;  // refresh from then on
    UnixMillis expires_at = 0;  // the access token is no longer accepted from then on
    bool busy = false;          // a login or refresh is in flight
    std::uint64_t flight = 0;   // flights started
    std::uint64_t failed_flight = 0;
    std::optional<Error> error;  // of flight `failed_flight`
    std::condition_variable done;
  };

  Result<Session> fly(const std::string &key, const std::shared_ptr<Entry> &entry,
                      std::unique_lock<std::mutex> &lock);
  void remember(Entry &entry, const Session &session) const;

  Login login_;
  Refresh refresh_;
  SessionCacheOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;
  SessionCacheStats stats_;
};

}  // namespace acid::pds
