// The XRPC error parser and classifier: every error of reference/pds.md maps to the right kind
// and acid::Code, rate-limit headers are read, and secrets never reach a message.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "pds/pds_error.h"
#include "pds/xrpc_parse.h"

namespace acid::pds {
namespace {

HttpReply reply(int status, std::string body,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpReply r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::string xrpc_body(const std::string &error, const std::string &message) {
  return "{\"error\":" + json::quote(error) + ",\"message\":" + json::quote(message) + "}";
}

struct Case {
  int status;
  const char *error;
  const char *message;
  ErrorKind kind;
  Code code;
};

// The rows of reference/pds.md "Error mapping", for 0.4 and 0.5.
const Case kCases[] = {
    // createAccount
    {400, "InvalidRequest", "Handle already taken: alice.test", ErrorKind::handle_taken, Code::pds},
    {400, "InvalidRequest", "Email already taken: ALICE@example.com", ErrorKind::email_taken,
     Code::pds},
    {400, "InvalidRequest", "Invalid handle (got \"bad_handle.test\") at $.handle",
     ErrorKind::invalid_handle, Code::pds},
    {400, "InvalidHandle", "Invalid characters in handle", ErrorKind::invalid_handle, Code::pds},
    {400, "InvalidHandle", "Handle too short", ErrorKind::invalid_handle, Code::pds},
    {400, "InvalidHandle", "Handle too long", ErrorKind::invalid_handle, Code::pds},
    {400, "InvalidHandle", "Handle TLD is invalid or disallowed", ErrorKind::invalid_handle,
     Code::pds},
    {400, "HandleNotAvailable", "Reserved handle", ErrorKind::reserved_handle, Code::pds},
    {400, "UnsupportedDomain", "Not a supported handle domain", ErrorKind::unsupported_domain,
     Code::pds},
    {400, "InvalidInviteCode", "No invite code provided", ErrorKind::invalid_invite_code,
     Code::pds},
    {400, "InvalidInviteCode", "Provided invite code not available", ErrorKind::invalid_invite_code,
     Code::pds},
    {400, "InvalidRequest", "Email is required", ErrorKind::invalid_email, Code::pds},
    {400, "InvalidRequest", "This email address is not supported, please use a different email.",
     ErrorKind::invalid_email, Code::pds},
    {400, "InvalidRequest", "Missing required key \"handle\" at $", ErrorKind::invalid_request,
     Code::pds},
    {400, "InvalidRequest", "Password too long. Maximum length is 256 characters.",
     ErrorKind::invalid_password, Code::pds},
    {400, "SyntaxError", "Unexpected token 'n', \"not json\" is not valid JSON",
     ErrorKind::invalid_request, Code::pds},
    // auth and sessions
    {401, "AuthenticationRequired", "Invalid identifier or password", ErrorKind::auth_failed,
     Code::auth},
    {401, "AuthMissing", "Authentication Required", ErrorKind::auth_failed, Code::auth},
    {400, "InvalidToken", "Token could not be verified", ErrorKind::invalid_token, Code::auth},
    {400, "InvalidToken", "Invalid token type", ErrorKind::invalid_token, Code::auth},
    {400, "ExpiredToken", "Token has expired", ErrorKind::expired_token, Code::auth},
    {401, "ExpiredToken", "Token has expired", ErrorKind::expired_token, Code::auth},
    {400, "ExpiredToken", "Token has been revoked", ErrorKind::expired_token, Code::auth},
    {401, "AuthenticationRequired", "Authentication Required", ErrorKind::auth_failed, Code::auth},
    {401, "UntrustedIss", "Untrusted issuer", ErrorKind::auth_failed, Code::auth},
    {400, "InvalidRequest", "Could not find user info for account: did:plc:abc",
     ErrorKind::account_not_found, Code::pds},
    {403, "AccountNotFound", "Account not found", ErrorKind::account_not_found, Code::pds},
    // handles
    {400, "HandleNotAvailable", "Handle already taken: bob.test", ErrorKind::handle_taken,
     Code::pds},
    {400, "InvalidRequest", "Handle already taken: bob.test", ErrorKind::handle_taken, Code::pds},
    {400, "InvalidRequest", "Unable to resolve handle", ErrorKind::handle_not_found, Code::pds},
    {400, "HandleNotFound", "Unable to resolve handle", ErrorKind::handle_not_found, Code::pds},
    {400, "InvalidRequest",
     "Invalid com.atproto.identity.resolveHandle params: Invalid handle (got \"bad_handle\")",
     ErrorKind::invalid_handle, Code::pds},
    {500, "InternalServerError",
     "Invalid com.atproto.identity.resolveHandle params: Invalid handle (got \"bad_handle\")",
     ErrorKind::server_error, Code::unavailable},
    // records and sync
    {500, "InternalServerError", "Internal Server Error", ErrorKind::server_error,
     Code::unavailable},
    {400, "InvalidRequest", "Invalid record key (got \"bad rkey\") at $.rkey",
     ErrorKind::invalid_request, Code::pds},
    {400, "InvalidRequest", "Invalid NSID (got \"not-an-nsid\") at $.collection",
     ErrorKind::invalid_request, Code::pds},
    {400, "InvalidSwap", "Record was at bafyabc", ErrorKind::invalid_swap, Code::pds},
    {400, "InvalidSwap", "Commit was at bafyabc", ErrorKind::invalid_swap, Code::pds},
    {400, "RecordNotFound", "Could not locate record: at://did:plc:x/c.o/r",
     ErrorKind::record_not_found, Code::pds},
    {400, "InvalidRequest", "Too many writes. Max: 200", ErrorKind::invalid_request, Code::pds},
    {400, "InvalidRequest", "Could not find repo: nobody.test", ErrorKind::repo_not_found,
     Code::pds},
    {400, "InvalidRequest",
     "Invalid com.atproto.repo.listRecords params: integer too big (maximum 100, got 101)",
     ErrorKind::invalid_request, Code::pds},
    {413, "PayloadTooLargeError", "request entity too large", ErrorKind::payload_too_large,
     Code::pds},
    {400, "RepoNotFound", "Could not find repo for DID: did:plc:abc", ErrorKind::repo_not_found,
     Code::pds},
    {400, "NotFound", "Account not found", ErrorKind::account_not_found, Code::pds},
    // rate limits and the rest
    {429, "RateLimitExceeded", "Rate Limit Exceeded", ErrorKind::rate_limited, Code::rate_limited},
    {502, "", "", ErrorKind::server_error, Code::unavailable},
    {503, "NotEnoughResources", "busy", ErrorKind::server_error, Code::unavailable},
    {501, "MethodNotImplemented", "Method Not Implemented", ErrorKind::invalid_request, Code::pds},
    {400, "AccountTakedown", "Account has been taken down", ErrorKind::account_takedown, Code::pds},
    {400, "InvalidPassword", "bad", ErrorKind::invalid_password, Code::pds},
    {400, "HandleNotAvailable", "Handle not available", ErrorKind::handle_unavailable, Code::pds},
};

TEST(XrpcErrorTest, ClassifiesEveryReferenceError) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(std::to_string(c.status) + " " + c.error + " " + c.message);
    const Failure f =
        failure_from_reply("com.atproto.test", reply(c.status, xrpc_body(c.error, c.message)), 0);
    EXPECT_EQ(f.kind, c.kind) << kind_name(f.kind);
    EXPECT_EQ(f.xrpc_error, c.error);
    EXPECT_EQ(f.xrpc_message, c.message);
    const Error e = to_error(f, {});
    EXPECT_EQ(e.code, c.code) << code_name(e.code);
    const ErrorInfo info = inspect(e);
    EXPECT_EQ(info.kind, c.kind);
    EXPECT_EQ(info.http_status, c.status);
    EXPECT_EQ(info.xrpc_error, c.error);
    EXPECT_EQ(info.transient, c.code == Code::unavailable || c.code == Code::rate_limited);
    EXPECT_EQ(kind_of(e), c.kind);
  }
}

TEST(XrpcErrorTest, DetailJsonCarriesTheFacts) {
  const Failure f = failure_from_reply(
      "com.atproto.server.createAccount",
      reply(400, xrpc_body("InvalidRequest", "Handle already taken: x.at.aesthetic.test")), 0);
  const Error e = to_error(f, {});
  auto doc = json::parse(e.detail_json);
  ASSERT_TRUE(doc) << e.detail_json;
  EXPECT_EQ(json::get_int(*doc, "http_status"), 400);
  EXPECT_EQ(json::get_string(*doc, "xrpc_error"), "InvalidRequest");
  EXPECT_EQ(json::get_string(*doc, "kind"), "handle_taken");
  EXPECT_EQ(json::get_string(*doc, "method"), "com.atproto.server.createAccount");
  EXPECT_EQ(json::get_bool(*doc, "transient"), false);
  EXPECT_EQ(json::get_int(*doc, "attempts"), 1);
  EXPECT_FALSE(json::get_int(*doc, "retry_after_ms"));
  EXPECT_EQ(e.message,
            "com.atproto.server.createAccount: HTTP 400 InvalidRequest: Handle already taken: "
            "x.at.aesthetic.test");
}

TEST(XrpcErrorTest, RateLimitResetIsEpochSecondsOn429) {
  const std::int64_t now_ms = 1'760'000'000'000;
  const Failure f =
      failure_from_reply("com.atproto.server.createSession",
                         reply(429, xrpc_body("RateLimitExceeded", "Rate Limit Exceeded"),
                               {{"ratelimit-limit", "30"},
                                {"ratelimit-remaining", "0"},
                                {"ratelimit-reset", "1760000042"},
                                {"ratelimit-policy", "30;w=300"}}),
                         now_ms);
  EXPECT_EQ(f.kind, ErrorKind::rate_limited);
  EXPECT_EQ(f.rate_limit.limit, 30);
  EXPECT_EQ(f.rate_limit.remaining, 0);
  EXPECT_EQ(f.rate_limit.reset_epoch_s, 1760000042);
  EXPECT_EQ(f.rate_limit.policy, "30;w=300");
  EXPECT_EQ(f.retry_after_ms, 42'000);
  EXPECT_EQ(f.retry_at_unix_ms, now_ms + 42'000);
  const Error e = to_error(f, {});
  EXPECT_EQ(e.code, Code::rate_limited);
  auto doc = json::parse(e.detail_json);
  ASSERT_TRUE(doc);
  EXPECT_EQ(json::get_int(*doc, "retry_after_ms"), 42'000);
  const auto *rl = json::get_object(*doc, "ratelimit");
  ASSERT_NE(rl, nullptr);
  EXPECT_EQ(json::get_int(*rl, "reset"), 1760000042);
  EXPECT_EQ(json::get_string(*rl, "policy"), "30;w=300");
  EXPECT_EQ(inspect(e).retry_after_ms, 42'000);
}

TEST(XrpcErrorTest, RetryAfterWinsOverRateLimitReset) {
  const Failure f = failure_from_reply(
      "m", reply(429, "", {{"retry-after", "3"}, {"ratelimit-reset", "2000000000"}}), 0);
  EXPECT_EQ(f.retry_after_ms, 3000);
}

TEST(XrpcErrorTest, RateLimitResetIgnoredWhenNotLimited) {
  // Every response carries RateLimit-Reset; only a 429 means "wait until then".
  const Failure f = failure_from_reply(
      "m", reply(500, xrpc_body("InternalServerError", "x"), {{"ratelimit-reset", "2000000000"}}),
      1'000);
  EXPECT_EQ(f.kind, ErrorKind::server_error);
  EXPECT_FALSE(f.retry_after_ms);
  EXPECT_EQ(f.rate_limit.reset_epoch_s, 2000000000);
}

TEST(XrpcErrorTest, ResetInThePastMeansNoWait) {
  const Failure f = failure_from_reply("m", reply(429, "", {{"ratelimit-reset", "10"}}), 50'000);
  EXPECT_EQ(f.retry_after_ms, 0);
}

TEST(XrpcErrorTest, RetryAfterForms) {
  EXPECT_EQ(parse_retry_after_ms("120", 0), 120'000);
  EXPECT_EQ(parse_retry_after_ms(" 0 ", 0), 0);
  EXPECT_FALSE(parse_retry_after_ms("-5", 0));
  EXPECT_FALSE(parse_retry_after_ms("soon", 0));
  EXPECT_FALSE(parse_retry_after_ms("", 0));
  // 2015-10-21T07:28:00Z is 1445412480 s.
  EXPECT_EQ(parse_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1'445'412'470'000), 10'000);
  EXPECT_EQ(parse_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1'445'412'490'000), 0);
  EXPECT_FALSE(parse_retry_after_ms("Wed, 21 Foo 2015 07:28:00 GMT", 0));
  EXPECT_FALSE(parse_retry_after_ms("Wed, 21 Oct 2015 07:28:00 UTC", 0));
  // Absurd values are clamped to a week instead of overflowing.
  EXPECT_EQ(parse_retry_after_ms("99999999999999", 0), 7LL * 24 * 3600 * 1000);
}

TEST(XrpcErrorTest, HeaderLines) {
  auto h = parse_header_line("RateLimit-Remaining:  7 \r\n");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->first, "ratelimit-remaining");
  EXPECT_EQ(h->second, "7");
  EXPECT_FALSE(parse_header_line("HTTP/1.1 200 OK\r\n"));
  EXPECT_FALSE(parse_header_line("\r\n"));
  EXPECT_FALSE(parse_header_line(": no name\r\n"));
  EXPECT_FALSE(parse_header_line("bad name: x\r\n"));
  HttpReply r = reply(200, "", {{"a", "1"}, {"a", "2"}});
  EXPECT_EQ(r.header("a"), "2");
  EXPECT_FALSE(r.header("b"));
}

TEST(XrpcErrorTest, NonJsonErrorBodiesAreTolerated) {
  for (const char *body : {"<html>Bad Gateway</html>", "", "{\"error\":5}", "[1,2]", "\xff\xfe",
                           "{\"error\":\"InvalidRequest\",\"message\":7}"}) {
    SCOPED_TRACE(body);
    const Failure f = failure_from_reply("m", reply(400, body), 0);
    EXPECT_EQ(f.kind, ErrorKind::invalid_request);
    const Error e = to_error(f, {});
    EXPECT_EQ(e.code, Code::pds);
    EXPECT_TRUE(json::parse(e.detail_json)) << e.detail_json;
  }
  const Failure bad_gateway = failure_from_reply("m", reply(502, "<html>"), 0);
  EXPECT_EQ(bad_gateway.kind, ErrorKind::server_error);
  EXPECT_EQ(to_error(bad_gateway, {}).code, Code::unavailable);
}

TEST(XrpcErrorTest, SecretsAreRedactedFromMessageAndDetail) {
  const std::string password = "hunter2-Very-Secret";
  const std::string jwt = "eyJhbGciOiJIUzI1NiJ9.payload.sig";
  const Failure f = failure_from_reply(
      "com.atproto.server.createSession",
      reply(400, xrpc_body("InvalidRequest", "echo " + password + " and " + jwt + " end")), 0);
  const Error e = to_error(f, {password, jwt});
  EXPECT_EQ(e.message.find(password), std::string::npos) << e.message;
  EXPECT_EQ(e.detail_json.find(password), std::string::npos) << e.detail_json;
  EXPECT_EQ(e.message.find(jwt), std::string::npos);
  EXPECT_EQ(e.detail_json.find(jwt), std::string::npos);
  EXPECT_NE(e.message.find("echo [redacted] and [redacted] end"), std::string::npos) << e.message;
}

TEST(XrpcErrorTest, RedactionHappensBeforeTruncation) {
  // A secret straddling the truncation point must not leave a prefix behind.
  const std::string secret = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const std::string message = std::string(500, 'x') + secret;
  Failure f;
  f.method = "m";
  f.http_status = 400;
  f.xrpc_message = message;
  f.kind = ErrorKind::invalid_request;
  const Error e = to_error(f, {secret});
  EXPECT_EQ(e.message.find("ABCDEFGH"), std::string::npos) << e.message;
}

TEST(XrpcErrorTest, SanitizeText) {
  EXPECT_EQ(sanitize_text("a\nb\tc\x01"), "a b c ");
  EXPECT_EQ(sanitize_text("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(sanitize_text("bad \xc3 utf8 \xff"), "bad ? utf8 ?");
  EXPECT_EQ(sanitize_text("\xed\xa0\x80"), "???");  // a surrogate is not UTF-8
  const std::string cut = sanitize_text(std::string(10, 'a') + "\xc3\xa9", 11);
  EXPECT_EQ(cut, std::string(10, 'a') + "...");  // never splits a character
}

TEST(XrpcErrorTest, KindNamesRoundTrip) {
  for (int k = 0; k <= static_cast<int>(ErrorKind::invalid_request); ++k) {
    const auto kind = static_cast<ErrorKind>(k);
    EXPECT_EQ(kind_from_name(kind_name(kind)), kind) << k;
  }
  EXPECT_FALSE(kind_from_name("nope"));
}

// Every kind's facts. The mirror ends a user's pass on a failure that reaches past its request; the
// provisioner tries the code handle when the PDS refused the one asked for.
TEST(XrpcErrorTest, EachKindsCodeReachAndHandleRefusal) {
  const std::vector<ErrorKind> account = {
      ErrorKind::auth_failed,       ErrorKind::expired_token,    ErrorKind::invalid_token,
      ErrorKind::account_not_found, ErrorKind::account_takedown, ErrorKind::account_deactivated,
      ErrorKind::repo_not_found};
  const std::vector<ErrorKind> service = {ErrorKind::network, ErrorKind::rate_limited,
                                          ErrorKind::tls, ErrorKind::config};
  const std::vector<ErrorKind> refuses_handle = {
      ErrorKind::handle_taken, ErrorKind::invalid_handle, ErrorKind::reserved_handle,
      ErrorKind::handle_unavailable, ErrorKind::unsupported_domain};
  const auto among = [](const std::vector<ErrorKind> &kinds, ErrorKind kind) {
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
  };
  // Every other kind is Code::pds.
  const std::vector<std::pair<Code, std::vector<ErrorKind>>> codes = {
      {Code::rate_limited, {ErrorKind::rate_limited}},
      {Code::unavailable, {ErrorKind::network, ErrorKind::server_error}},
      {Code::timeout, {ErrorKind::timeout}},
      {Code::auth, {ErrorKind::auth_failed, ErrorKind::expired_token, ErrorKind::invalid_token}},
      {Code::config, {ErrorKind::config}},
      {Code::invalid, {ErrorKind::invalid_input}},
      {Code::internal, {ErrorKind::unknown}}};
  const auto expected_code = [&](ErrorKind kind) {
    for (const auto &[code, kinds] : codes) {
      if (among(kinds, kind)) return code;
    }
    return Code::pds;
  };
  for (int k = 0; k <= static_cast<int>(ErrorKind::invalid_request); ++k) {
    const auto kind = static_cast<ErrorKind>(k);
    SCOPED_TRACE(kind_name(kind));
    const ErrorReach reach = among(account, kind)   ? ErrorReach::account
                             : among(service, kind) ? ErrorReach::service
                                                    : ErrorReach::request;
    EXPECT_EQ(kind_reach(kind), reach);
    EXPECT_EQ(kind_refuses_handle(kind), among(refuses_handle, kind));
    EXPECT_EQ(kind_code(kind), expected_code(kind)) << code_name(kind_code(kind));
    const Code code = kind_code(kind);
    EXPECT_EQ(kind_is_transient(kind),
              code == Code::unavailable || code == Code::rate_limited || code == Code::timeout);
  }
  // A number outside the enum has the facts of `unknown`.
  const auto foreign = static_cast<ErrorKind>(999);
  EXPECT_STREQ(kind_name(foreign), "unknown");
  EXPECT_EQ(kind_code(foreign), Code::internal);
  EXPECT_EQ(kind_reach(foreign), ErrorReach::request);
  EXPECT_FALSE(kind_is_transient(foreign));
}

TEST(XrpcErrorTest, InspectIgnoresForeignErrors) {
  EXPECT_EQ(kind_of(Error(Code::store, "disk full")), ErrorKind::unknown);
  EXPECT_EQ(kind_of(Error(Code::store, "x", "not json")), ErrorKind::unknown);
  EXPECT_FALSE(is_transient(Error(Code::store, "x", "{\"kind\":5}")));
}

TEST(XrpcErrorTest, InvalidInputIsCodeInvalid) {
  const Error e = invalid_input("com.atproto.repo.createRecord", "floats are not allowed");
  EXPECT_EQ(e.code, Code::invalid);
  EXPECT_EQ(kind_of(e), ErrorKind::invalid_input);
  EXPECT_FALSE(is_transient(e));
  EXPECT_EQ(e.message, "com.atproto.repo.createRecord: floats are not allowed");
}

}  // namespace
}  // namespace acid::pds
