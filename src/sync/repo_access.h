// What both content mirrors (the batch Mirror and the write-time DocumentMirror) need to write
// into people's repos: the remote (asked for on first use, so a dry run needs no PDS), one login
// per repo owner for the object's lifetime, the repo sessions (refreshed when the PDS says the
// token expired), the owners' accounts and fresh record keys. Safe to share between threads.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "pds/session.h"
#include "pds/xrpc_client.h"
#include "store/account_reader.h"
#include "sync/blob.h"
#include "sync/mirror.h"
#include "sync/tid.h"

namespace acid::sync {

class RepoAccess {
 public:
  RepoAccess(store::AccountReader &accounts, RemoteSource remote);

  // Asks for the remote once; later calls return at once.
  Status connect();
  // PDS calls made so far (0 before connect()).
  std::uint64_t pds_calls() const;
  // After connect(): the PDS client.
  pds::XrpcClient &pds() { return *pds_; }

  // The DID of `owner`'s repo when it may be written (an active account with a DID and stored
  // password; the art account "art-guest" is a service account: DID and password are enough),
  // or nullopt with the reason in `reason`. Store errors other than not_found are returned.
  Result<std::optional<std::string>> writable_did(const std::string &owner, std::string &reason);

  // Logs in as `owner` (repo `did`) with the stored credentials once; returns the session's DID.
  Result<std::string> login(const std::string &owner, const std::string &did);

  // Runs fn(access_jwt) with the repo's session (refreshing it once on ExpiredToken).
  template <typename F>
  auto with_session(std::string_view did, F &&fn) {
    return sessions_.with_session(did, std::forward<F>(fn));
  }

  Result<UploadedBlob> upload(std::string_view repo, std::string_view bytes, std::string_view mime);
  Result<pds::RecordRef> put_record(const pds::RecordWrite &write);
  Status delete_record(std::string_view repo, std::string_view nsid, std::string_view rkey);

  // A fresh record key (a TID), strictly increasing within this process.
  Result<std::string> next_tid();

 private:
  store::AccountReader &accounts_;
  RemoteSource remote_;
  pds::SessionManager sessions_;

  mutable std::mutex mu_;  // guards the members below
  pds::XrpcClient *pds_ = nullptr;
  const provision::Provisioner *provisioner_ = nullptr;
  std::optional<TidClock> tids_;
  std::map<std::string, std::string> logged_in_;  // owner sub -> session DID
};

}  // namespace acid::sync
