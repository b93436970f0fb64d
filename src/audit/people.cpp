#include "audit/people.h"

#include <algorithm>
#include <queue>
#include <vector>

#include "core/time.h"
#include "pds/handle.h"

namespace acid::audit {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

// A users record by signup time; the min-heap below keeps the newest `limit` of them.
struct Dated {
  UnixMillis when = 0;
  std::string sub;
  bool operator>(const Dated &o) const { return when != o.when ? when > o.when : sub > o.sub; }
};

}  // namespace

std::optional<ServiceAccountSeen> service_account_seen(const ServiceAccounts &accounts,
                                                       const store::Account &account) {
  const auto did = account.did ? std::optional<std::string_view>(*account.did) : std::nullopt;
  auto why = accounts.reason(account.sub, did);
  if (!why) return std::nullopt;
  return ServiceAccountSeen{account.sub, account.did, account.pds_handle, std::move(*why)};
}

std::optional<Finding> ac_handle_finding(const std::string &sub, const std::string &did,
                                         std::string_view ac_handle, std::string_view code,
                                         std::string_view on_pds, std::string_view domain) {
  auto choice = pds::choose_pds_handle(ac_handle, code, domain);
  if (!choice || lower(on_pds) == lower(choice->handle)) return std::nullopt;
  return Finding{Kind::ac_handle_differs,
                 sub,
                 did,
                 "AC handle @" + std::string(pds::strip_leading_at(ac_handle)) + " gives " +
                     choice->handle + ", the PDS has " + std::string(on_pds),
                 Action::resync_handle,
                 "an update_handle job moves the PDS handle to the AC handle's (the code handle "
                 "when the PDS refuses it)"};
}

Status find_users_without_auth0(const Sources &sources, Tenant tenant, std::size_t limit,
                                const std::unordered_set<std::string> &listed, Report &report) {
  std::priority_queue<Dated, std::vector<Dated>, std::greater<>> newest;
  store::AccountScanFilter filter;
  filter.tenant = tenant == Tenant::sotce ? store::SubFilter::sotce : store::SubFilter::aesthetic;
  const ServiceAccounts &service = sources.service_accounts;
  ACID_TRY(sources.scan.scan_accounts(filter, [&](const store::AuditRow &row) -> Status {
    const store::Account &a = row.account;
    if (!row.has_user || !a.when || a.deleted_at || listed.contains(a.sub)) return Status::ok();
    if (service_account_seen(service, a)) return Status::ok();
    newest.push(Dated{*a.when, a.sub});
    if (newest.size() > limit) newest.pop();
    return Status::ok();
  }));
  std::vector<Dated> docs;
  for (; !newest.empty(); newest.pop()) docs.push_back(newest.top());
  for (const Dated &doc : docs) {
    auto user = sources.auth0_user(doc.sub);
    if (user) continue;  // Auth0 has it, older than its newest users: not an orphan
    if (user.code() != Code::not_found) {
      ++report.unchecked;
      report.notes.push_back(doc.sub + ": the Auth0 lookup failed (" + user.error().message + ")");
      continue;
    }
    report.findings.push_back(Finding{
        Kind::users_without_auth0, doc.sub, std::nullopt,
        "users record signed up " + format_iso8601(doc.when) + ", Auth0 has no such user",
        Action::manual,
        "if the person deleted their account, record it (`acidentity user delete SUB`: the PDS "
        "account goes, the code is kept); a document written by other code is an operator's to "
        "remove"});
  }
  return Status::ok();
}

}  // namespace acid::audit
