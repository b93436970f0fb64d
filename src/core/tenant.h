// The two Auth0 tenants aesthetic.computer serves, and the one rule that ties a stored sub to its
// tenant: sotce users are stored as "sotce-<Auth0 id>", aesthetic users under their Auth0 id.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace acid {

enum class Tenant { aesthetic, sotce };

// "aesthetic" or "sotce" (a view of a literal, so `==` compares text, never addresses).
std::string_view tenant_name(Tenant tenant) noexcept;

// Exact, lower-case names only ("aesthetic", "sotce"); anything else is nullopt.
std::optional<Tenant> parse_tenant(std::string_view name) noexcept;

// The prefix that marks a sotce sub in the store (the deployed system's convention).
inline constexpr std::string_view kSotceSubPrefix = "sotce-";
// Subs with the prefix sort in [kSotceSubPrefix, kSotceSubUpperBound): '.' follows '-' in ASCII.
inline constexpr std::string_view kSotceSubUpperBound = "sotce.";

// The tenant a stored sub belongs to.
Tenant tenant_of_sub(std::string_view sub) noexcept;
inline bool is_sotce_sub(std::string_view sub) noexcept {
  return sub.starts_with(kSotceSubPrefix);
}

// The sub stored for an Auth0 user id of `tenant`.
std::string stored_sub(Tenant tenant, std::string_view auth0_user_id);

// The Auth0 user id behind a stored sub (the prefix removed for sotce).
std::string_view auth0_user_id_of(std::string_view sub) noexcept;

}  // namespace acid
