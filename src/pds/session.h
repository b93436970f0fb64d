// Session tokens per DID, with single-flight refresh.
//
//   SessionManager sessions(client);
//   sessions.put(*client.create_session(handle, password));
//   auto ref = sessions.with_session(did, [&](std::string_view jwt) {
//     return client.create_record(jwt, write);
//   });
//
// with_session() runs the call with the DID's access token; when the PDS answers ExpiredToken it
// refreshes the session and runs the call once more. However many threads hit the expired token
// together, the refresh happens once per DID: the first caller refreshes, the others wait for it
// and reuse its result (or its error). A caller holding a token that was already replaced gets
// the new one without a refresh. Refresh tokens rotate, so set_on_refresh() lets the owner
// persist each new pair.
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
#include <type_traits>

#include "core/status.h"
#include "pds/pds_error.h"
#include "pds/xrpc_types.h"

namespace acid::pds {

class XrpcClient;

class SessionManager {
 public:
  // Exchanges a refresh token for a new session (XrpcClient::refresh_session by default).
  using Refresher = std::function<Result<Session>(std::string_view refresh_jwt)>;

  explicit SessionManager(XrpcClient &client);
  explicit SessionManager(Refresher refresher);
  SessionManager(const SessionManager &) = delete;
  SessionManager &operator=(const SessionManager &) = delete;

  // Stores (or replaces) the tokens of session.did.
  void put(const Session &session);
  std::optional<Session> get(std::string_view did) const;
  void erase(std::string_view did);

  // Called after every successful refresh, outside the manager's lock, with the new tokens.
  void set_on_refresh(std::function<void(const Session &)> callback);

  // Refreshes the DID's session unless its access token is no longer `stale_access_jwt` (someone
  // refreshed already); concurrent callers share one refresh. (with_session() tracks a
  // generation number instead of comparing tokens.) Fails with Code::invalid when no
  // session is held for the DID, or with the refresh's own error (e.g. ExpiredToken "Token has
  // been revoked": the caller must create a new session with the password).
  Result<Session> refresh(std::string_view did, std::string_view stale_access_jwt);

  // Runs fn(access_jwt); on ExpiredToken refreshes (single flight) and runs fn once more.
  // fn returns acid::Status or acid::Result<T>.
  template <typename F>
  std::invoke_result_t<F &, std::string_view> with_session(std::string_view did, F &&fn) {
    using R = std::invoke_result_t<F &, std::string_view>;
    const std::optional<Snapshot> held = snapshot(did);
    if (!held) return R(no_session(did));
    R first = fn(std::string_view(held->session.access_jwt));
    if (first.is_ok() || kind_of(first.error()) != ErrorKind::expired_token) return first;
    Result<Session> fresh = refresh_from(did, held->generation);
    if (!fresh) return R(std::move(fresh).error());
    return fn(std::string_view(fresh->access_jwt));
  }

  // Refreshes performed (not waited for) since construction.
  std::uint64_t refresh_count() const;

 private:
  struct Entry {
    Session session;
    // Bumped whenever the tokens are replaced (put or refresh). Tokens alone cannot tell: a
    // refresh within the same second can hand back an identical access JWT.
    std::uint64_t generation = 0;
    bool refreshing = false;
    std::uint64_t attempt = 0;        // refreshes started
    std::optional<Error> last_error;  // of the last finished refresh, when it failed
    std::condition_variable done;
  };

  struct Snapshot {
    Session session;
    std::uint64_t generation = 0;
  };
  std::optional<Snapshot> snapshot(std::string_view did) const;
  // Refreshes unless the tokens were replaced since `seen_generation`.
  Result<Session> refresh_from(std::string_view did, std::uint64_t seen_generation);
  static Error no_session(std::string_view did);

  Refresher refresher_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;
  std::function<void(const Session &)> on_refresh_;
  std::uint64_t refreshes_ = 0;
};

}  // namespace acid::pds
