#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "auth0/log_stream.h"

namespace {

using acid::auth0::AuthResult;
using acid::auth0::check_authorization;

struct AuthCase {
  const char *name;
  std::optional<std::string_view> header;
  std::optional<std::string_view> token;
  AuthResult expected;
};

constexpr std::string_view kToken = "s3cret-Token_value";

TEST(Auth0Authorization, Table) {
  using namespace std::string_view_literals;
  const std::string long_header(100000, 'a');
  const AuthCase cases[] = {
      {"bare token", "s3cret-Token_value"sv, kToken, AuthResult::ok},
      {"Bearer token", "Bearer s3cret-Token_value"sv, kToken, AuthResult::ok},
      {"lower-case scheme", "bearer s3cret-Token_value"sv, kToken, AuthResult::ok},
      {"upper-case scheme", "BEARER s3cret-Token_value"sv, kToken, AuthResult::ok},
      {"mixed-case scheme", "bEaReR s3cret-Token_value"sv, kToken, AuthResult::ok},
      {"two spaces after scheme", "Bearer  s3cret-Token_value"sv, kToken, AuthResult::invalid},
      {"tab after scheme", "Bearer\ts3cret-Token_value"sv, kToken, AuthResult::invalid},
      {"scheme only", "Bearer "sv, kToken, AuthResult::invalid},
      {"scheme without space", "Bearer"sv, kToken, AuthResult::invalid},
      {"other scheme", "Basic s3cret-Token_value"sv, kToken, AuthResult::invalid},
      {"wrong token", "not-the-token"sv, kToken, AuthResult::invalid},
      {"prefix of the token", "s3cret-Token_valu"sv, kToken, AuthResult::invalid},
      {"token plus suffix", "s3cret-Token_valueX"sv, kToken, AuthResult::invalid},
      {"trailing space", "s3cret-Token_value "sv, kToken, AuthResult::invalid},
      {"leading space", " s3cret-Token_value"sv, kToken, AuthResult::invalid},
      {"token case differs", "S3CRET-TOKEN_VALUE"sv, kToken, AuthResult::invalid},
      {"Bearer wrong token", "Bearer s3cret-Token_valuf"sv, kToken, AuthResult::invalid},
      {"embedded NUL", std::string_view("s3cret-Token_value\0x", 20), kToken, AuthResult::invalid},
      {"missing header", std::nullopt, kToken, AuthResult::missing},
      {"empty header", ""sv, kToken, AuthResult::missing},
      // Fail closed: the deployed handler let a header-less request through when the token was
      // unset (undefined !== undefined is false).
      {"token unset, no header", std::nullopt, std::nullopt, AuthResult::not_configured},
      {"token unset, empty header", ""sv, std::nullopt, AuthResult::not_configured},
      {"token unset, any header", "anything"sv, std::nullopt, AuthResult::not_configured},
      {"token empty, empty header", ""sv, ""sv, AuthResult::not_configured},
      {"token empty, no header", std::nullopt, ""sv, AuthResult::not_configured},
      {"token empty, Bearer empty", "Bearer "sv, ""sv, AuthResult::not_configured},
      // A configured value that itself carries the scheme still matches the header verbatim.
      {"configured with scheme", "Bearer abc"sv, "Bearer abc"sv, AuthResult::ok},
      {"configured with scheme, bare header", "abc"sv, "Bearer abc"sv, AuthResult::invalid},
      {"long header", std::string_view(long_header), kToken, AuthResult::invalid},
  };
  for (const AuthCase &c : cases) {
    EXPECT_EQ(check_authorization(c.header, c.token), c.expected) << c.name;
  }
}

TEST(Auth0Authorization, LongTokensCompareWholly) {
  // Tokens longer than a digest block, differing only in the last byte.
  std::string token(300, 'k');
  std::string header = token;
  EXPECT_EQ(check_authorization(header, token), AuthResult::ok);
  header.back() = 'j';
  EXPECT_EQ(check_authorization(header, token), AuthResult::invalid);
  EXPECT_EQ(check_authorization("Bearer " + token, token), AuthResult::ok);
}

}  // namespace
