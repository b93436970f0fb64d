#include "pds/session.h"

#include <utility>

#include "pds/xrpc_client.h"

namespace acid::pds {

SessionManager::SessionManager(XrpcClient &client)
    : refresher_([&client](std::string_view refresh_jwt) {
        return client.refresh_session(refresh_jwt);
      }) {}

SessionManager::SessionManager(Refresher refresher) : refresher_(std::move(refresher)) {}

Error SessionManager::no_session(std::string_view did) {
  return invalid_input("session", "no session held for " + std::string(did));
}

void SessionManager::put(const Session &session) {
  std::lock_guard lock(mutex_);
  auto &entry = entries_[session.did];
  if (!entry) entry = std::make_shared<Entry>();
  entry->session = session;
  ++entry->generation;
  entry->last_error.reset();
  entry->done.notify_all();
}

std::optional<SessionManager::Snapshot> SessionManager::snapshot(std::string_view did) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(did);
  if (it == entries_.end()) return std::nullopt;
  return Snapshot{it->second->session, it->second->generation};
}

std::optional<Session> SessionManager::get(std::string_view did) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(did);
  if (it == entries_.end()) return std::nullopt;
  return it->second->session;
}

void SessionManager::erase(std::string_view did) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(did);
  if (it != entries_.end()) entries_.erase(it);
}

void SessionManager::set_on_refresh(std::function<void(const Session &)> callback) {
  std::lock_guard lock(mutex_);
  on_refresh_ = std::move(callback);
}

std::uint64_t SessionManager::refresh_count() const {
  std::lock_guard lock(mutex_);
  return refreshes_;
}

Result<Session> SessionManager::refresh(std::string_view did, std::string_view stale_access_jwt) {
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(did);
    if (it == entries_.end()) return no_session(did);
    if (it->second->session.access_jwt != stale_access_jwt) return it->second->session;
    generation = it->second->generation;
  }
  return refresh_from(did, generation);
}

Result<Session> SessionManager::refresh_from(std::string_view did, std::uint64_t seen_generation) {
  std::unique_lock lock(mutex_);
  auto it = entries_.find(did);
  if (it == entries_.end()) return no_session(did);
  const std::shared_ptr<Entry> entry = it->second;

  if (entry->generation != seen_generation) return entry->session;  // already replaced
  if (entry->refreshing) {
    // Someone is refreshing this DID right now: wait for that one refresh and share its outcome.
    const std::uint64_t joined = entry->attempt;
    entry->done.wait(lock, [&] { return !entry->refreshing || entry->attempt != joined; });
    if (entry->generation != seen_generation) return entry->session;
    if (entry->last_error) return *entry->last_error;
    return Error(Code::internal, "session refresh finished without a result");
  }

  entry->refreshing = true;
  ++entry->attempt;
  ++refreshes_;
  const std::string refresh_jwt = entry->session.refresh_jwt;
  lock.unlock();

  Result<Session> fresh = refresher_(refresh_jwt);
  if (fresh && fresh->did != did) {
    fresh = invalid_input("com.atproto.server.refreshSession",
                          "the refreshed session belongs to another DID");
  }

  lock.lock();
  entry->refreshing = false;
  std::function<void(const Session &)> callback;
  std::optional<Session> updated;
  if (fresh) {
    Session merged = *fresh;
    // refreshSession does not return the email; keep what createSession told us.
    if (!merged.email) merged.email = entry->session.email;
    if (!merged.email_confirmed) merged.email_confirmed = entry->session.email_confirmed;
    entry->session = merged;
    ++entry->generation;
    entry->last_error.reset();
    updated = std::move(merged);
    callback = on_refresh_;
  } else {
    entry->last_error = fresh.error();
  }
  entry->done.notify_all();
  lock.unlock();

  if (!updated) return std::move(fresh).error();
  if (callback) callback(*updated);
  return *std::move(updated);
}

}  // namespace acid::pds
