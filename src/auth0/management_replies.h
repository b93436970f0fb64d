// Internal to the Management API client (management.cpp): reading Auth0's replies (tokens,
// users, pages of users, error bodies) strictly, and the errors that describe a bad one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "auth0/management.h"
#include "core/json.h"
#include "core/status.h"

namespace acid::auth0::management_detail {

inline constexpr std::string_view kUnexpected = "Auth0 returned an unexpected response";
inline constexpr std::size_t kMaxUserIdBytes = 512;

// True when `text` holds an ASCII control character.
bool has_control(std::string_view text);

// {"k":v,...} from parts that are already JSON values (empty ones are left out).
std::string detail_object(std::initializer_list<std::pair<const char *, std::string>> members);

// Code::internal: `endpoint` answered something this client does not accept.
Error unexpected(std::string_view endpoint, std::string_view what, int http_status);

// The error members of a non-2xx body: Management API {"statusCode","error","message",
// "errorCode"} or token endpoint {"error","error_description"}. Anything else is tolerated.
struct ErrorBody {
  std::string error;    // "access_denied", "Not Found", ...
  std::string message;  // error_description / message
  std::string error_code;
};
ErrorBody parse_error_body(std::string_view body);

struct Token {
  std::string access_token;
  std::int64_t expires_in_s = 0;
};
Result<Token> parse_token(std::string_view body, int status);

Result<User> parse_user(const rapidjson::Value &value, std::string_view ep, int status);
Result<UsersPage> parse_users_page(std::string_view body, const ListUsersQuery &query, int status);

}  // namespace acid::auth0::management_detail
