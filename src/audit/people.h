// The audit's checks of who a users document is and whether its handles agree:
// service accounts listed apart, a person's AC handle against their PDS handle, and users records
// Auth0 does not know (the deployed audit's "orphans"). Pure where they can be, so they are
// unit-tested without a PDS.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "audit/audit.h"
#include "core/service_accounts.h"
#include "core/tenant.h"
#include "store/records.h"

namespace acid::audit {

// The account as the audit's service-accounts section lists it, or nullopt for a person.
std::optional<ServiceAccountSeen> service_account_seen(const ServiceAccounts &accounts,
                                                       const store::Account &account);

// ac_handle_differs, when the PDS handle `on_pds` is not the one the AC handle gives
// (pds::choose_pds_handle: `<label>.<domain>`, or the code handle when the AC handle gives no
// usable label). Compared case-insensitively. nullopt when they agree.
std::optional<Finding> ac_handle_finding(const std::string &sub, const std::string &did,
                                         std::string_view ac_handle, std::string_view code,
                                         std::string_view on_pds, std::string_view domain);

// The deployed audit's "orphans" check, made exact: of the `limit` newest users records (by
// signup time) of `tenant`, those not among the newest Auth0 users (`listed`, stored subs) are
// looked up in Auth0 one by one, and each 404 is a users_without_auth0 finding. Deletions the
// library recorded and service accounts are expected to have no Auth0 user. A failed lookup is
// counted in report.unchecked with a note.
Status find_users_without_auth0(const Sources &sources, Tenant tenant, std::size_t limit,
                                const std::unordered_set<std::string> &listed, Report &report);

}  // namespace acid::audit
