#include "sync/repo_access.h"

#include "provision/provisioner.h"
#include "store/records.h"

namespace acid::sync {

RepoAccess::RepoAccess(store::AccountReader &accounts, RemoteSource remote)
    : accounts_(accounts),
      remote_(std::move(remote)),
      sessions_(
          [this](std::string_view refresh_jwt) { return pds_->refresh_session(refresh_jwt); }) {}

Status RepoAccess::connect() {
  std::lock_guard lock(mu_);
  if (pds_ != nullptr) return Status::ok();
  ACID_ASSIGN_OR_RETURN(auto remote, remote_());
  pds_ = remote.pds;
  provisioner_ = remote.provisioner;
  return Status::ok();
}

std::uint64_t RepoAccess::pds_calls() const {
  std::lock_guard lock(mu_);
  return pds_ == nullptr ? 0 : pds_->stats().calls;
}

Result<std::optional<std::string>> RepoAccess::writable_did(const std::string &owner,
                                                            std::string &reason) {
  auto account = accounts_.get_account(owner);
  if (!account) {
    if (account.code() != Code::not_found) return std::move(account).error();
    reason =
        owner == kArtGuestSub ? "the art account (art-guest) is not in the store" : "unknown user";
    return std::optional<std::string>();
  }
  const bool usable = account->did && account->password &&
                      (owner == kArtGuestSub || account->state == store::AccountState::active);
  if (!usable) {
    reason = std::string("no active PDS account (state ") + store::to_string(account->state) + ")";
    return std::optional<std::string>();
  }
  return std::optional<std::string>(*account->did);
}

Result<std::string> RepoAccess::login(const std::string &owner, const std::string &did) {
  {
    std::lock_guard lock(mu_);
    auto known = logged_in_.find(owner);
    if (known != logged_in_.end() && sessions_.get(known->second)) return known->second;
  }
  ACID_ASSIGN_OR_RETURN(auto account, accounts_.get_account(owner));
  if (!account.password) return Error(Code::not_found, "no stored PDS password for " + owner);
  ACID_ASSIGN_OR_RETURN(auto password, provisioner_->open_password(owner, *account.password));
  ACID_ASSIGN_OR_RETURN(auto session, pds_->create_session(did, password));
  sessions_.put(session);
  std::lock_guard lock(mu_);
  logged_in_[owner] = session.did;
  return session.did;
}

Result<UploadedBlob> RepoAccess::upload(std::string_view repo, std::string_view bytes,
                                        std::string_view mime) {
  return with_session(repo,
                      [&](std::string_view jwt) { return upload_blob(*pds_, jwt, bytes, mime); });
}

Result<pds::RecordRef> RepoAccess::put_record(const pds::RecordWrite &write) {
  return with_session(write.repo,
                      [&](std::string_view jwt) { return pds_->put_record(jwt, write); });
}

Status RepoAccess::delete_record(std::string_view repo, std::string_view nsid,
                                 std::string_view rkey) {
  return with_session(
      repo, [&](std::string_view jwt) { return pds_->delete_record(jwt, repo, nsid, rkey); });
}

Result<std::string> RepoAccess::next_tid() {
  std::lock_guard lock(mu_);
  if (!tids_) {
    ACID_ASSIGN_OR_RETURN(auto clock, TidClock::create());
    tids_.emplace(std::move(clock));
  }
  return tids_->next();
}

}  // namespace acid::sync
