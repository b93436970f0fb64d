#include "pds/pds_error.h"

#include <utility>

#include "core/enum_names.h"
#include "core/json.h"

namespace acid::pds {
namespace {

// Everything the client knows of each kind, a row each: its stable name, the Code it is
// reported with, how far it reaches, and whether a retry may succeed or another handle may.
constexpr unsigned kNone = 0;
constexpr unsigned kTransient = 1;
constexpr unsigned kRefusesHandle = 2;
struct KindFacts {
  ErrorKind value;
  const char *name;
  Code code;
  ErrorReach reach;
  unsigned flags;
};
using K = ErrorKind;
using R = ErrorReach;
constexpr KindFacts kKinds[] = {
    {K::unknown, "unknown", Code::internal, R::request, kNone},
    {K::network, "network", Code::unavailable, R::service, kTransient},
    {K::timeout, "timeout", Code::timeout, R::request, kTransient},
    {K::server_error, "server_error", Code::unavailable, R::request, kTransient},
    {K::rate_limited, "rate_limited", Code::rate_limited, R::service, kTransient},
    {K::tls, "tls", Code::pds, R::service, kNone},
    {K::config, "config", Code::config, R::service, kNone},
    {K::invalid_input, "invalid_input", Code::invalid, R::request, kNone},
    {K::invalid_response, "invalid_response", Code::pds, R::request, kNone},
    {K::handle_taken, "handle_taken", Code::pds, R::request, kRefusesHandle},
    {K::email_taken, "email_taken", Code::pds, R::request, kNone},
    {K::invalid_handle, "invalid_handle", Code::pds, R::request, kRefusesHandle},
    {K::reserved_handle, "reserved_handle", Code::pds, R::request, kRefusesHandle},
    {K::handle_unavailable, "handle_unavailable", Code::pds, R::request, kRefusesHandle},
    {K::unsupported_domain, "unsupported_domain", Code::pds, R::request, kRefusesHandle},
    {K::invalid_invite_code, "invalid_invite_code", Code::pds, R::request, kNone},
    {K::invalid_email, "invalid_email", Code::pds, R::request, kNone},
    {K::invalid_password, "invalid_password", Code::pds, R::request, kNone},
    {K::auth_failed, "auth_failed", Code::auth, R::account, kNone},
    {K::expired_token, "expired_token", Code::auth, R::account, kNone},
    {K::invalid_token, "invalid_token", Code::auth, R::account, kNone},
    {K::account_not_found, "account_not_found", Code::pds, R::account, kNone},
    {K::account_takedown, "account_takedown", Code::pds, R::account, kNone},
    {K::account_deactivated, "account_deactivated", Code::pds, R::account, kNone},
    {K::repo_not_found, "repo_not_found", Code::pds, R::account, kNone},
    {K::record_not_found, "record_not_found", Code::pds, R::request, kNone},
    {K::handle_not_found, "handle_not_found", Code::pds, R::request, kNone},
    {K::invalid_swap, "invalid_swap", Code::pds, R::request, kNone},
    {K::payload_too_large, "payload_too_large", Code::pds, R::request, kNone},
    {K::invalid_request, "invalid_request", Code::pds, R::request, kNone},
};
static_assert(in_declaration_order(kKinds));

// A kind outside the table (a cast from a foreign number) has the facts of `unknown`.
const KindFacts &facts(ErrorKind kind) noexcept {
  const KindFacts *row = row_of(kKinds, kind);
  return row != nullptr ? *row : kKinds[0];
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}
bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not valid.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  std::size_t len = 0;
  std::uint32_t min = 0;
  std::uint32_t cp = 0;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

const char *kind_name(ErrorKind kind) noexcept {
  return name_of(kKinds, kind);
}

std::optional<ErrorKind> kind_from_name(std::string_view name) noexcept {
  return value_named(kKinds, name);
}

bool kind_is_transient(ErrorKind kind) noexcept {
  return (facts(kind).flags & kTransient) != 0;
}

Code kind_code(ErrorKind kind) noexcept {
  return facts(kind).code;
}

ErrorReach kind_reach(ErrorKind kind) noexcept {
  return facts(kind).reach;
}

bool kind_refuses_handle(ErrorKind kind) noexcept {
  return (facts(kind).flags & kRefusesHandle) != 0;
}

ErrorKind classify_http(int status, std::string_view error, std::string_view message) noexcept {
  if (status == 429 || error == "RateLimitExceeded") return ErrorKind::rate_limited;
  if (status == 413 || error == "PayloadTooLargeError") return ErrorKind::payload_too_large;
  if (status >= 500 && status != 501) return ErrorKind::server_error;

  // Named XRPC errors first: they mean the same whatever the status.
  if (error == "ExpiredToken") return ErrorKind::expired_token;
  if (error == "InvalidToken") return ErrorKind::invalid_token;
  if (error == "AuthenticationRequired" || error == "AuthMissing" || error == "UntrustedIss" ||
      error == "BadJwt" || error == "BadJwtSignature" || error == "BadJwtAudience") {
    return ErrorKind::auth_failed;
  }
  if (error == "HandleNotAvailable") {
    if (contains(message, "already taken")) return ErrorKind::handle_taken;
    if (starts_with(message, "Reserved handle")) return ErrorKind::reserved_handle;
    return ErrorKind::handle_unavailable;
  }
  if (error == "InvalidHandle") return ErrorKind::invalid_handle;
  if (error == "UnsupportedDomain") return ErrorKind::unsupported_domain;
  if (error == "InvalidInviteCode") return ErrorKind::invalid_invite_code;
  if (error == "InvalidPassword") return ErrorKind::invalid_password;
  if (error == "AccountNotFound") return ErrorKind::account_not_found;
  if (error == "AccountTakedown") return ErrorKind::account_takedown;
  if (error == "AccountDeactivated") return ErrorKind::account_deactivated;
  if (error == "RepoNotFound") return ErrorKind::repo_not_found;
  if (error == "RecordNotFound") return ErrorKind::record_not_found;
  if (error == "HandleNotFound") return ErrorKind::handle_not_found;
  if (error == "InvalidSwap") return ErrorKind::invalid_swap;

  // Refusals that arrive as a generic InvalidRequest/NotFound and differ only by message.
  if (starts_with(message, "Handle already taken")) return ErrorKind::handle_taken;
  if (starts_with(message, "Email already taken")) return ErrorKind::email_taken;
  if (contains(message, "Invalid handle")) return ErrorKind::invalid_handle;
  if (starts_with(message, "Email is required") ||
      starts_with(message, "This email address is not supported") ||
      starts_with(message, "Invalid email")) {
    return ErrorKind::invalid_email;
  }
  if (starts_with(message, "Password too long")) return ErrorKind::invalid_password;
  if (starts_with(message, "Account not found") ||
      starts_with(message, "Could not find user info for account")) {
    return ErrorKind::account_not_found;
  }
  if (starts_with(message, "Could not find repo")) return ErrorKind::repo_not_found;
  if (starts_with(message, "Unable to resolve handle")) return ErrorKind::handle_not_found;
  if (starts_with(message, "Could not locate record")) return ErrorKind::record_not_found;

  if (status == 401 || status == 403) return ErrorKind::auth_failed;
  if (status >= 400 && status < 600) return ErrorKind::invalid_request;
  return ErrorKind::invalid_response;
}

std::string redact(std::string text, const std::vector<std::string_view> &secrets) {
  static constexpr std::string_view kMask = "[redacted]";
  for (const auto secret : secrets) {
    if (secret.empty()) continue;
    std::size_t pos = 0;
    while ((pos = text.find(secret, pos)) != std::string::npos) {
      text.replace(pos, secret.size(), kMask);
      pos += kMask.size();
    }
  }
  return text;
}

std::string sanitize_text(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(text.size() < max_bytes ? text.size() : max_bytes);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    std::size_t len = utf8_sequence_length(text, i);
    std::string_view piece;
    if (len == 0) {
      piece = "?";  // not UTF-8: never let it into JSON
      len = 1;
    } else if (len == 1 && (b < 0x20 || b == 0x7F)) {
      piece = " ";
    } else {
      piece = text.substr(i, len);
    }
    if (out.size() + piece.size() > max_bytes) {
      out += "...";
      break;
    }
    out += piece;
    i += len;
  }
  return out;
}

Error to_error(const Failure &f, const std::vector<std::string_view> &secrets) {
  const auto clean = [&](std::string_view text) {
    return sanitize_text(redact(std::string(text), secrets));
  };
  const std::string method = clean(f.method);
  const std::string xrpc_error = clean(f.xrpc_error);
  const std::string xrpc_message = clean(f.xrpc_message);
  const std::string local_message = clean(f.local_message);

  std::string message = method.empty() ? std::string("PDS") : method;
  message += ": ";
  if (f.http_status != 0) {
    message += "HTTP " + std::to_string(f.http_status);
    if (!xrpc_error.empty()) message += " " + xrpc_error;
    if (!xrpc_message.empty()) message += ": " + xrpc_message;
    if (!local_message.empty()) message += " (" + local_message + ")";
  } else {
    message += local_message.empty() ? std::string(kind_name(f.kind)) : local_message;
  }
  if (f.attempts > 1) message += " (after " + std::to_string(f.attempts) + " attempts)";
  if (f.retry_after_ms) message += " (retry after " + std::to_string(*f.retry_after_ms) + " ms)";

  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  if (!method.empty()) {
    json::member(w, "method", method);
  }
  json::member(w, "kind", kind_name(f.kind));
  json::member(w, "transient", kind_is_transient(f.kind));
  if (f.http_status != 0) {
    json::member(w, "http_status", f.http_status);
  }
  if (!xrpc_error.empty()) {
    json::member(w, "xrpc_error", xrpc_error);
  }
  if (!xrpc_message.empty()) {
    json::member(w, "xrpc_message", xrpc_message);
  }
  if (f.curl_code != 0) {
    json::member(w, "curl_code", f.curl_code);
  }
  if (!f.request_sent) {
    json::member(w, "request_sent", false);
  }
  json::member(w, "attempts", f.attempts);
  if (f.retry_after_ms) {
    json::member(w, "retry_after_ms", *f.retry_after_ms);
  }
  if (f.retry_at_unix_ms) {
    json::member(w, "retry_at_unix_ms", *f.retry_at_unix_ms);
  }
  if (!f.rate_limit.empty()) {
    w.Key("ratelimit");
    w.StartObject();
    if (f.rate_limit.limit) {
      json::member(w, "limit", *f.rate_limit.limit);
    }
    if (f.rate_limit.remaining) {
      json::member(w, "remaining", *f.rate_limit.remaining);
    }
    if (f.rate_limit.reset_epoch_s) {
      json::member(w, "reset", *f.rate_limit.reset_epoch_s);
    }
    if (!f.rate_limit.policy.empty()) {
      json::member(w, "policy", clean(f.rate_limit.policy));
    }
    w.EndObject();
  }
  w.EndObject();
  return Error(kind_code(f.kind), std::move(message), std::string(buf.GetString(), buf.GetSize()));
}

ErrorInfo inspect(const Error &error) {
  ErrorInfo info;
  auto doc = json::parse(error.detail_json);
  if (!doc || !doc->IsObject()) return info;
  const auto kind = json::get_string(*doc, "kind");
  if (!kind) return info;
  info.kind = kind_from_name(*kind).value_or(ErrorKind::unknown);
  info.transient = json::get_bool(*doc, "transient").value_or(false);
  info.http_status = static_cast<int>(json::get_int(*doc, "http_status").value_or(0));
  info.xrpc_error = std::string(json::get_string(*doc, "xrpc_error").value_or(""));
  info.retry_after_ms = json::get_int(*doc, "retry_after_ms");
  info.retry_at_unix_ms = json::get_int(*doc, "retry_at_unix_ms");
  info.attempts = static_cast<int>(json::get_int(*doc, "attempts").value_or(0));
  return info;
}

ErrorKind kind_of(const Error &error) {
  return inspect(error).kind;
}

Error local_failure(std::string_view method, ErrorKind kind, std::string message) {
  Failure f;
  f.method = std::string(method);
  f.kind = kind;
  f.local_message = std::move(message);
  f.request_sent = false;
  f.attempts = 0;
  return to_error(f, {});
}

ErrorKind kind_of(net::TransferError transfer) {
  switch (transfer) {
    case net::TransferError::timeout:
      return ErrorKind::timeout;
    case net::TransferError::tls:
      return ErrorKind::tls;
    case net::TransferError::config:
      return ErrorKind::config;
    case net::TransferError::invalid_response:
      return ErrorKind::invalid_response;
    case net::TransferError::network:
      break;
  }
  return ErrorKind::network;
}

}  // namespace acid::pds
