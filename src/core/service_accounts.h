// Documents of the users collection that are not people: the guest/art account (`art-guest`,
// whose credentials the deployed media-atproto.mjs logs in with), and any other id or DID an
// operator lists. They are never assigned a code, provisioned, resealed or moved, and the audit
// lists them in their own section instead of reporting them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace acid {

// Whether a stored sub is a person's: an Auth0 user id as Auth0 makes them, "{identity provider
// id}|{unique id in the provider}" (auth0|..., google-oauth2|..., email|..., apple|...), with the
// "sotce-" prefix for the sotce tenant. "art-guest" and any other id without that shape is not.
bool is_person_sub(std::string_view sub) noexcept;

class ServiceAccounts {
 public:
  // ACID_SERVICE_ACCOUNTS: a comma-separated list of stored ids and DIDs ("did:..."), e.g.
  // "did:plc:tliuubv7lyv2uiknsjbf4ppw,auth0|operator-bot". Spaces around entries are ignored;
  // an empty entry or one with control characters is Code::invalid.
  static Result<ServiceAccounts> parse(std::string_view text);

  // Why `sub` (holding `did`, when it has one) is a service account; nullopt for a person.
  std::optional<std::string> reason(std::string_view sub,
                                    std::optional<std::string_view> did = std::nullopt) const;
  // The same by sub alone (where the DID is not at hand, e.g. a webhook event).
  bool is_service_sub(std::string_view sub) const { return reason(sub).has_value(); }

  const std::vector<std::string> &ids() const { return ids_; }
  const std::vector<std::string> &dids() const { return dids_; }

 private:
  std::vector<std::string> ids_;
  std::vector<std::string> dids_;
};

}  // namespace acid
