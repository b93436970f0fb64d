#include "pds/session_cache.h"

#include <algorithm>
#include <utility>

#include "core/base64.h"
#include "core/json.h"
#include "pds/pds_error.h"

namespace acid::pds {

JwtTimes jwt_times(std::string_view jwt) {
  JwtTimes times;
  const std::size_t first = jwt.find('.');
  if (first == std::string_view::npos) return times;
  const std::size_t second = jwt.find('.', first + 1);
  if (second == std::string_view::npos) return times;
  auto payload = base64::decode_url(jwt.substr(first + 1, second - first - 1));
  if (!payload) return times;
  auto doc = json::parse(*payload);
  if (!doc || !doc->IsObject()) return times;
  // NumericDate: seconds since the epoch. Anything outside a sane range is ignored.
  constexpr std::int64_t kMaxSeconds = std::int64_t{1} << 40;
  if (auto exp = json::get_int(*doc, "exp"); exp && *exp > 0 && *exp < kMaxSeconds) {
    times.expires_at = *exp * 1000;
  }
  if (auto iat = json::get_int(*doc, "iat"); iat && *iat > 0 && *iat < kMaxSeconds) {
    times.issued_at = *iat * 1000;
  }
  return times;
}

SessionCache::SessionCache(Login login, Refresh refresh, SessionCacheOptions options)
    : login_(std::move(login)), refresh_(std::move(refresh)), options_(std::move(options)) {
  if (!options_.now) options_.now = now_unix_ms;
}

SessionCacheStats SessionCache::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void SessionCache::forget(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end()) entries_.erase(it);
}

void SessionCache::remember(Entry &entry, const Session &session) const {
  const UnixMillis now = options_.now();
  const JwtTimes times = jwt_times(session.access_jwt);
  const UnixMillis expires = times.expires_at.value_or(now + options_.unknown_lifetime_ms);
  const std::int64_t lifetime = std::max<std::int64_t>(0, expires - times.issued_at.value_or(now));
  const std::int64_t margin = std::min(options_.refresh_margin_ms, lifetime / 2);
  entry.session = session;
  entry.expires_at = expires;
  entry.refresh_at = expires - margin;
  entry.error.reset();
}

Result<Session> SessionCache::get(std::string_view key) {
  std::unique_lock lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end())
    it = entries_.emplace(std::string(key), std::make_shared<Entry>()).first;
  const std::shared_ptr<Entry> entry = it->second;
  for (;;) {
    if (entry->session && options_.now() < entry->refresh_at) {
      ++stats_.hits;
      return *entry->session;
    }
    if (!entry->busy) return fly(it->first, entry, lock);
    // Someone is logging in or refreshing this key: share that one flight's outcome.
    const std::uint64_t joined = entry->flight;
    entry->done.wait(lock, [&] { return !entry->busy || entry->flight != joined; });
    if (entry->failed_flight == joined && entry->error) return *entry->error;
  }
}

// Runs one login or refresh for `key` with the lock released, then publishes the outcome to
// the waiters. Called with `lock` held and entry->busy false; returns with it held.
Result<Session> SessionCache::fly(const std::string &key, const std::shared_ptr<Entry> &entry,
                                  std::unique_lock<std::mutex> &lock) {
  entry->busy = true;
  const std::uint64_t flight = ++entry->flight;
  const std::optional<Session> held = entry->session;
  const bool held_usable = held && options_.now() < entry->expires_at;
  // A copy: `key` lives in the map, which may change while unlocked.
  const std::string name = key;  // NOLINT(performance-unnecessary-copy-initialization)
  lock.unlock();

  bool refreshed = false;
  bool logged_in = false;
  std::optional<Result<Session>> fresh;
  if (held) {
    fresh.emplace(refresh_(held->refresh_jwt));
    refreshed = true;
    if (*fresh && (*fresh)->did != held->did) {
      fresh.emplace(invalid_input("com.atproto.server.refreshSession",
                                  "the refreshed session belongs to another DID"));
    }
  }
  // No session yet, or the PDS refused the refresh (expired or revoked): log in again.
  if (!fresh || (!*fresh && !is_transient(fresh->error()))) {
    fresh.emplace(login_(name));
    logged_in = true;
  }

  lock.lock();
  entry->busy = false;
  if (refreshed) ++stats_.refreshes;
  if (logged_in) ++stats_.logins;
  std::optional<Result<Session>> answer;
  if (*fresh) {
    remember(*entry, **fresh);
    answer.emplace(*entry->session);
  } else if (!logged_in && held_usable) {
    // A transient refresh failure while the access token still works: keep using it, and try
    // the refresh again a little later rather than on every call.
    const UnixMillis now = options_.now();
    entry->refresh_at = now + std::min<std::int64_t>(30'000, (entry->expires_at - now) / 2);
    answer.emplace(*held);
  } else {
    ++stats_.failures;
    entry->failed_flight = flight;
    entry->error = fresh->error();
    if (!is_transient(fresh->error())) entry->session.reset();
    answer.emplace(fresh->error());
  }
  entry->done.notify_all();
  return std::move(*answer);
}

}  // namespace acid::pds
