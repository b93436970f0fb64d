// Auth0 custom-webhook log streams: the request authorization check and the batch parser.
//
// Pure functions (no store, no network). The engine calls check_authorization() first, then
// parse_log_stream(), and only then touches the store. A body that is malformed as a whole is an
// error (the caller answers 400 and writes nothing); a malformed entry inside a well-formed body is
// reported in ParsedBatch::rejected and does not block the others.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tenant.h"
#include "core/time.h"

namespace acid::auth0 {

// Each tenant (core/tenant.h) has its own stream endpoint and token.
using acid::Tenant;

// One log of a handled type (ss signup, sv email verified, sce email changed, sdu user deleted).
struct LogEvent {
  std::string log_id;
  std::string type;
  std::string user_id;  // the raw Auth0 id, e.g. "auth0|abc"
  std::string sub;      // stored form: stored_sub(tenant, user_id)
  UnixMillis date = 0;
  std::optional<std::string> email;        // data.details.body.email, else an email-like user_name
  std::optional<std::string> tenant_name;  // data.tenant_name when present
};

// A malformed entry: its 0-based position among the batch's entries (for JSON lines, among the
// non-blank lines), its log_id when one could be read and is well formed, and why.
struct RejectedEntry {
  std::size_t index = 0;
  std::optional<std::string> log_id;
  std::string reason;
};

struct ParsedBatch {
  std::vector<LogEvent> events;         // handled types only, in batch order
  std::vector<RejectedEntry> rejected;  // malformed entries, in batch order
  std::size_t ignored = 0;              // well-formed entries of types this library doesn't handle
  std::size_t duplicates_in_batch = 0;  // well-formed entries whose log_id appeared earlier
  std::size_t total = 0;                // entries in the body
  std::map<std::string, std::size_t> ignored_by_type;
  // Invariant: events.size() + rejected.size() + ignored + duplicates_in_batch == total.
};

struct ParseLimits {
  std::size_t max_body_bytes = std::size_t{1} << 20;  // whole body (1 MiB)
  std::size_t max_entries = 1000;                     // log entries in one body
  std::size_t max_depth = 32;                         // array/object nesting, anywhere
  std::size_t max_string_bytes = 4096;                // any string field the parser reads
};

// The one limit on a webhook body, in the library and in the daemon (acid_webhook_max_body_bytes).
inline constexpr std::size_t kMaxBodyBytes = ParseLimits{}.max_body_bytes;

// Log types this library acts on.
bool is_handled_type(std::string_view type);

// Parses one POST body of an Auth0 log stream: a JSON array of logs, JSON lines (one log object per
// non-blank line), or {"logs": [...]}. Each log is {"log_id": ..., "data": {"type", "date",
// "user_id", "user_name", "details", "tenant_name", "log_id", ...}}.
//
// Code::invalid (with detail_json {"reason": "..."}) and no events when the body as a whole is
// malformed: empty, larger than max_body_bytes, not JSON, not one of the three shapes, invalid
// UTF-8 anywhere (raw bytes, overlong forms, or a lone surrogate escape such as "\udc00"), nested
// deeper than max_depth, or holding more than max_entries entries.
Result<ParsedBatch> parse_log_stream(std::string_view body, Tenant tenant,
                                     const ParseLimits &limits = {});

enum class AuthResult {
  ok,
  missing,         // no (or an empty) Authorization header
  invalid,         // a header that doesn't carry the token
  not_configured,  // no token configured: every request is refused (fail closed)
};

// The Authorization header must be the configured token, either bare (Auth0 sends the stream's
// token verbatim) or as "Bearer <token>" (scheme case-insensitive, exactly one space). The
// comparison is constant time: it doesn't depend on where the values differ nor on their lengths.
AuthResult check_authorization(std::optional<std::string_view> header,
                               std::optional<std::string_view> configured_token);

}  // namespace acid::auth0
