#include "core/tenant.h"

namespace acid {

std::string_view tenant_name(Tenant tenant) noexcept {
  return tenant == Tenant::sotce ? "sotce" : "aesthetic";
}

std::optional<Tenant> parse_tenant(std::string_view name) noexcept {
  if (name == "aesthetic") return Tenant::aesthetic;
  if (name == "sotce") return Tenant::sotce;
  return std::nullopt;
}

Tenant tenant_of_sub(std::string_view sub) noexcept {
  return is_sotce_sub(sub) ? Tenant::sotce : Tenant::aesthetic;
}

std::string stored_sub(Tenant tenant, std::string_view auth0_user_id) {
  std::string sub;
  if (tenant == Tenant::sotce) sub = kSotceSubPrefix;
  sub += auth0_user_id;
  return sub;
}

std::string_view auth0_user_id_of(std::string_view sub) noexcept {
  return is_sotce_sub(sub) ? sub.substr(kSotceSubPrefix.size()) : sub;
}

}  // namespace acid
