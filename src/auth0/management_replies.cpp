#include "auth0/management_replies.h"

#include <algorithm>
#include <optional>

#include "core/time.h"

namespace acid::auth0::management_detail {
namespace {

constexpr std::size_t kMaxEmailBytes = 512;
constexpr std::size_t kMaxTokenBytes = std::size_t{16} * 1024;
constexpr std::int64_t kMaxTokenLifetimeS = 30LL * 24 * 3600;  // Auth0's own maximum

std::optional<std::size_t> get_count(const rapidjson::Value &obj, const char *name) {
  const auto v = json::get_int(obj, name);
  if (!v || *v < 0) return std::nullopt;
  return static_cast<std::size_t>(*v);
}

}  // namespace

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f;
  });
}

std::string detail_object(std::initializer_list<std::pair<const char *, std::string>> members) {
  std::string out = "{";
  for (const auto &[name, value] : members) {
    if (value.empty()) continue;
    if (out.size() > 1) out.push_back(',');
    out += json::quote(name);
    out.push_back(':');
    out += value;
  }
  out.push_back('}');
  return out;
}

Error unexpected(std::string_view endpoint, std::string_view what, int http_status) {
  return Error(
      Code::internal,
      std::string(kUnexpected) + " from " + std::string(endpoint) + ": " + std::string(what),
      detail_object(
          {{"http_status", std::to_string(http_status)}, {"endpoint", json::quote(endpoint)}}));
}

ErrorBody parse_error_body(std::string_view body) {
  ErrorBody out;
  auto doc = json::parse(body);
  if (!doc || !doc->IsObject()) return out;
  if (auto v = json::get_string(*doc, "error")) out.error = std::string(*v);
  if (auto v = json::get_string(*doc, "error_description")) out.message = std::string(*v);
  if (auto v = json::get_string(*doc, "message")) out.message = std::string(*v);
  if (auto v = json::get_string(*doc, "errorCode")) out.error_code = std::string(*v);
  return out;
}

Result<Token> parse_token(std::string_view body, int status) {
  const std::string_view ep = "/oauth/token";
  auto doc = json::parse(body);
  if (!doc) return unexpected(ep, "the body is not JSON", status);
  if (!doc->IsObject()) return unexpected(ep, "the body is not a JSON object", status);
  const auto token = json::get_string(*doc, "access_token");
  if (!token) return unexpected(ep, "access_token is missing or not a string", status);
  if (token->empty() || token->size() > kMaxTokenBytes) {
    return unexpected(ep, "access_token is empty or too long", status);
  }
  // It goes into an Authorization header: visible ASCII only (a JWT is base64url and dots).
  for (const char ch : *token) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e) return unexpected(ep, "access_token holds invalid bytes", status);
  }
  const auto expires = json::get_int(*doc, "expires_in");
  if (!expires) return unexpected(ep, "expires_in is missing or not an integer", status);
  if (*expires < 1 || *expires > kMaxTokenLifetimeS) {
    return unexpected(ep, "expires_in is out of range", status);
  }
  const auto type = json::get_string(*doc, "token_type");
  if (!type) return unexpected(ep, "token_type is missing or not a string", status);
  std::string lower(*type);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch; });
  if (lower != "bearer") return unexpected(ep, "token_type is not Bearer", status);
  if (doc->HasMember("scope") && !(*doc)["scope"].IsString()) {
    return unexpected(ep, "scope is not a string", status);
  }
  return Token{std::string(*token), *expires};
}

Result<User> parse_user(const rapidjson::Value &value, std::string_view ep, int status) {
  if (!value.IsObject()) return unexpected(ep, "a user is not a JSON object", status);
  User user;
  const auto id = json::get_string(value, "user_id");
  if (!id) return unexpected(ep, "user_id is missing or not a string", status);
  if (id->empty() || id->size() > kMaxUserIdBytes || has_control(*id)) {
    return unexpected(ep, "user_id is empty, too long or holds control characters", status);
  }
  user.user_id = std::string(*id);
  if (value.HasMember("email")) {
    const auto email = json::get_string(value, "email");
    if (!email) return unexpected(ep, "email is not a string", status);
    if (email->size() > kMaxEmailBytes || has_control(*email)) {
      return unexpected(ep, "email is too long or holds control characters", status);
    }
    user.email = std::string(*email);
  }
  if (value.HasMember("email_verified")) {
    const auto verified = json::get_bool(value, "email_verified");
    if (!verified) return unexpected(ep, "email_verified is not a boolean", status);
    user.email_verified = *verified;
  }
  if (value.HasMember("created_at")) {
    const auto created = json::get_string(value, "created_at");
    if (!created) return unexpected(ep, "created_at is not a string", status);
    auto when = parse_timestamp(*created);
    if (!when) return unexpected(ep, "created_at is not an ISO 8601 timestamp", status);
    user.created_at = *when;
  }
  if (value.HasMember("blocked")) {
    const auto blocked = json::get_bool(value, "blocked");
    if (!blocked) return unexpected(ep, "blocked is not a boolean", status);
    user.blocked = *blocked;
  }
  return user;
}

Result<UsersPage> parse_users_page(std::string_view body, const ListUsersQuery &query, int status) {
  const std::string_view ep = "/api/v2/users";
  auto doc = json::parse(body);
  if (!doc) return unexpected(ep, "the body is not JSON", status);
  if (!doc->IsObject()) {
    return unexpected(ep, "the body is not a JSON object (include_totals ignored?)", status);
  }
  const rapidjson::Value *users = json::get_array(*doc, "users");
  if (!users) return unexpected(ep, "users is missing or not an array", status);
  const auto start = get_count(*doc, "start");
  const auto limit = get_count(*doc, "limit");
  const auto length = get_count(*doc, "length");
  const auto total = get_count(*doc, "total");
  if (!start || !limit || !length || !total) {
    return unexpected(ep, "start, limit, length or total is missing or not a count", status);
  }
  const std::size_t n = users->Size();
  if (n > query.per_page) return unexpected(ep, "more users than per_page", status);
  if (*length != n) return unexpected(ep, "length does not match the users array", status);
  if (*start != query.page * query.per_page) {
    return unexpected(ep, "start does not match the page requested", status);
  }
  UsersPage page;
  page.start = *start;
  page.limit = *limit;
  page.total = *total;
  page.users.reserve(n);
  for (const auto &item : users->GetArray()) {
    ACID_ASSIGN_OR_RETURN(User user, parse_user(item, ep, status));
    page.users.push_back(std::move(user));
  }
  return page;
}

}  // namespace acid::auth0::management_detail
