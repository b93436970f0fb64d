#include "core/service_accounts.h"

#include <algorithm>

#include "core/tenant.h"

namespace acid {

namespace {

constexpr std::size_t kMaxProviderBytes = 128;

bool provider_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

bool is_person_sub(std::string_view sub) noexcept {
  const std::string_view id = auth0_user_id_of(sub);
  const std::size_t bar = id.find('|');
  if (bar == std::string_view::npos || bar == 0 || bar > kMaxProviderBytes) return false;
  if (bar + 1 == id.size()) return false;  // no id in the provider
  const std::string_view provider = id.substr(0, bar);
  return std::all_of(provider.begin(), provider.end(), provider_char);
}

Result<ServiceAccounts> ServiceAccounts::parse(std::string_view text) {
  ServiceAccounts out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view entry = trim(text.substr(start, comma - start));
    if (entry.empty()) return Error(Code::invalid, "an entry of the list is empty");
    if (std::any_of(entry.begin(), entry.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
      return Error(Code::invalid, "an entry holds a control character");
    }
    if (entry.starts_with("did:")) {
      out.dids_.emplace_back(entry);
    } else {
      out.ids_.emplace_back(entry);
    }
    start = comma + 1;
  }
  return out;
}

std::optional<std::string> ServiceAccounts::reason(std::string_view sub,
                                                   std::optional<std::string_view> did) const {
  if (std::find(ids_.begin(), ids_.end(), sub) != ids_.end()) {
    return "its id is listed in ACID_SERVICE_ACCOUNTS";
  }
  if (did && std::find(dids_.begin(), dids_.end(), *did) != dids_.end()) {
    return "its DID is listed in ACID_SERVICE_ACCOUNTS";
  }
  if (!is_person_sub(sub)) return "its id is not an Auth0 user id (provider|id)";
  return std::nullopt;
}

}  // namespace acid
