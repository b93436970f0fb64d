// A person's PDS credentials, and cached PDS sessions, for the rest of aesthetic.computer: the
// deployed code that writes moods, paintings and handles logs in with users.atproto.password,
// which it can no longer read once the password is sealed (docs/migrating.md).
//
//   pds_credentials(store, config, sub)  -> {did, handle, password (opened), service}
//   PdsSessions::session(sub)            -> {did, handle, accessJwt, refreshJwt} from a cache
//                                           that logs in once and refreshes before expiry
//
// Errors: Code::not_found for a sub the store does not know; Code::no_account when the person
// has no usable PDS account (none yet, being deleted or deleted, no stored password); and
// Code::sealed when the stored value cannot be opened (no ACID_CREDENTIALS_KEY, a key id that
// is not in the ring, or a value that fails authentication). None of them carries the secret.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/status.h"
#include "pds/session_cache.h"
#include "pds/xrpc_client.h"
#include "store/account_reader.h"

namespace acid::provision {

struct PdsCredentials {
  std::string did;
  std::string handle;    // the PDS handle the store knows ("" if none recorded)
  std::string password;  // in clear
  std::string service;   // PDS_URL
};

// Reads and opens the stored credentials of `sub`.
Result<PdsCredentials> pds_credentials(store::AccountReader &store, const Config &config,
                                       std::string_view sub);

// Opens a stored password (legacy plaintext as it is). Code::sealed when it cannot be opened.
Result<std::string> open_stored_password(const Config &config, std::string_view sub,
                                         std::string_view stored);

// {"did","handle","password","service"}
std::string to_json(const PdsCredentials &credentials);
// {"did","handle","service","accessJwt","refreshJwt"}
std::string session_json(const pds::Session &session, std::string_view service);

// Sessions per sub for one client. Logs in with the stored credentials (no admin secret
// needed: only PDS_URL), refreshes before expiry, single flight per sub (pds/session_cache.h).
class PdsSessions {
 public:
  // Code::config when PDS_URL is not set or invalid.
  static Result<std::unique_ptr<PdsSessions>> create(store::AccountReader &store,
                                                     const Config &config);

  Result<pds::Session> session(std::string_view sub) { return cache_->get(sub); }
  void forget(std::string_view sub) { cache_->forget(sub); }
  pds::SessionCacheStats stats() const { return cache_->stats(); }
  const std::string &service() const { return service_; }

 private:
  PdsSessions() = default;

  std::string service_;
  std::unique_ptr<pds::XrpcClient> client_;
  std::unique_ptr<pds::SessionCache> cache_;
};

}  // namespace acid::provision
