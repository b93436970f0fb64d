// Errors of the PDS client, as values.
//
// Every failed call returns an acid::Error whose code says how to react in general
// (Code::rate_limited, Code::unavailable and Code::timeout are transient; Code::auth and
// Code::pds are permanent; Code::invalid means the request was refused locally and nothing was
// sent) and whose detail_json carries the machine-readable facts:
//
//   {"method":"com.atproto.server.createAccount","kind":"handle_taken","transient":false,
//    "http_status":400,"xrpc_error":"InvalidRequest","xrpc_message":"Handle already taken: x",
//    "attempts":1,"retry_after_ms":1200,"retry_at_unix_ms":1760000000000,
//    "ratelimit":{"limit":30,"remaining":0,"reset":1760000000,"policy":"30;w=300"},
//    "curl_code":28}
//
// (fields that are not known are left out). Provisioning branches on ErrorKind through
// kind_of()/inspect(), never on message text. Messages and details never contain a password,
// a JWT or the admin secret: every request's secrets are scrubbed from them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "net/http_transport.h"

namespace acid::pds {

// What went wrong, in the terms the provisioning and sync logic branch on.
enum class ErrorKind : int {
  unknown = 0,  // not a PDS client error (or an unrecognised detail)
  // Transient: retrying later may succeed.
  network,       // connection refused or reset, DNS failure, broken transfer
  timeout,       // the connect or total timeout passed
  server_error,  // HTTP 5xx (the PDS also reports a duplicate rkey as 500)
  rate_limited,  // HTTP 429; retry_after_ms says when
  // Permanent.
  tls,                  // certificate verification or TLS setup failed
  config,               // the client is misconfigured (bad URL, no admin password)
  invalid_input,        // refused locally before sending (e.g. a float in a record)
  invalid_response,     // the PDS answered 2xx with a body that does not match the lexicon
  handle_taken,         // "Handle already taken" (InvalidRequest on createAccount,
                        // HandleNotAvailable on updateHandle)
  email_taken,          // "Email already taken"
  invalid_handle,       // bad syntax, too short/long, bad characters, disallowed TLD
  reserved_handle,      // HandleNotAvailable "Reserved handle"
  handle_unavailable,   // HandleNotAvailable with any other message
  unsupported_domain,   // UnsupportedDomain
  invalid_invite_code,  // InvalidInviteCode (missing, unknown or used up)
  invalid_email,        // missing, malformed or refused email address
  invalid_password,     // InvalidPassword, password too long
  auth_failed,          // 401: wrong password, wrong admin secret, missing auth, untrusted issuer
  expired_token,        // ExpiredToken (expired or revoked)
  invalid_token,        // InvalidToken (garbage, wrong type)
  account_not_found,    // AccountNotFound, NotFound "Account not found",
                        // "Could not find user info for account"
  account_takedown,     // AccountTakedown
  account_deactivated,  // AccountDeactivated
  repo_not_found,       // RepoNotFound, "Could not find repo"
  record_not_found,     // RecordNotFound
  handle_not_found,     // HandleNotFound, "Unable to resolve handle"
  invalid_swap,         // InvalidSwap (swapRecord / swapCommit mismatch)
  payload_too_large,    // HTTP 413
  invalid_request,      // any other refusal (HTTP 4xx)
};

// "handle_taken", ...; stable strings (they appear in detail_json).
const char *kind_name(ErrorKind kind) noexcept;
std::optional<ErrorKind> kind_from_name(std::string_view name) noexcept;

// Whether an error of this kind may succeed when retried later.
bool kind_is_transient(ErrorKind kind) noexcept;

// The acid::Code an error of this kind is reported with.
Code kind_code(ErrorKind kind) noexcept;

// How far a failure of this kind reaches: only the request that met it, every request for the
// same account (its session or the account itself is gone), or every request to this PDS for now
// (unreachable, rate-limited, misconfigured). A timeout and a 5xx stay with their request: the
// PDS answers a duplicate record key with 500, and a large upload may time out alone.
enum class ErrorReach { request, account, service };
ErrorReach kind_reach(ErrorKind kind) noexcept;

// Whether the PDS refused the handle asked for (taken, malformed, reserved, unavailable, or not
// of a domain it serves), so another handle may succeed where this one did not.
bool kind_refuses_handle(ErrorKind kind) noexcept;

// Maps an HTTP status and XRPC error body to a kind. Matches the error names and messages of
// @atproto/pds 0.4 and 0.5 (reference/pds.md).
ErrorKind classify_http(int http_status, std::string_view xrpc_error,
                        std::string_view xrpc_message) noexcept;

// The rate-limit headers of one response.
struct RateLimit {
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> remaining;
  std::optional<std::int64_t> reset_epoch_s;  // RateLimit-Reset: epoch seconds
  std::string policy;                         // RateLimit-Policy, e.g. "30;w=300"
  bool empty() const { return !limit && !remaining && !reset_epoch_s && policy.empty(); }
};

// Everything known about one failed call, before it becomes an acid::Error.
struct Failure {
  std::string method;  // NSID, e.g. "com.atproto.server.createSession"
  ErrorKind kind = ErrorKind::unknown;
  int http_status = 0;  // 0 when no HTTP response arrived
  int curl_code = 0;    // 0 unless libcurl failed
  std::string xrpc_error;
  std::string xrpc_message;   // as sent by the PDS (sanitised and truncated)
  std::string local_message;  // for failures without an HTTP response
  RateLimit rate_limit;
  std::optional<std::int64_t> retry_after_ms;    // from Retry-After or, on 429, RateLimit-Reset
  std::optional<std::int64_t> retry_at_unix_ms;  // the same as an instant
  bool request_sent = true;  // false when the request provably never reached the server
  int attempts = 1;
};

// Builds the acid::Error for a failure. Every string in `secrets` (passwords, JWTs, the admin
// secret) is replaced by "[redacted]" in the message and the detail.
Error to_error(const Failure &failure, const std::vector<std::string_view> &secrets);

// Replaces every occurrence of each non-empty secret in `text` with "[redacted]".
std::string redact(std::string text, const std::vector<std::string_view> &secrets);

// Makes server-provided text safe to embed in a message: control characters become spaces and
// the result is cut (at a UTF-8 boundary) to at most max_bytes.
std::string sanitize_text(std::string_view text, std::size_t max_bytes = 512);

// The PDS facts carried by an acid::Error made by this client (see the detail_json above).
struct ErrorInfo {
  ErrorKind kind = ErrorKind::unknown;
  int http_status = 0;
  std::string xrpc_error;
  bool transient = false;
  std::optional<std::int64_t> retry_after_ms;
  std::optional<std::int64_t> retry_at_unix_ms;
  int attempts = 0;
};
ErrorInfo inspect(const Error &error);
ErrorKind kind_of(const Error &error);

// The kind of a transfer that failed before a complete HTTP reply arrived.
ErrorKind kind_of(net::TransferError transfer);
inline bool is_transient(const Error &error) {
  return inspect(error).transient;
}

// A failure decided before anything was sent (no attempt made): a bad argument, a missing
// setting. `method` may be empty when no call is concerned (the client's own options).
Error local_failure(std::string_view method, ErrorKind kind, std::string message);

// An error refused locally (Code::invalid, kind invalid_input; nothing was sent).
inline Error invalid_input(std::string_view method, std::string message) {
  return local_failure(method, ErrorKind::invalid_input, std::move(message));
}

}  // namespace acid::pds
