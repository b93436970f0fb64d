// Auth0 custom-webhook log streams: the request authorization check and the batch parser.
//
// Pure functions (no store, no network). The engine calls check_authorization() first, then
// parse_log_stream(), and only then touches the store. A body that is malformed as a whole is an
// error (the caller answers 400, or 413 when it is too large, and writes nothing); anything wrong
// inside one entry of a well-formed body (invalid text, too deep, not an object, a bad field) is
// reported in ParsedBatch::rejected with the entry's bytes and does not block the others.
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

// The largest log-stream body accepted, by the library and by the daemon alike (Auth0 sends
// batches far smaller; the daemon reads it through acid_webhook_max_body_bytes). A larger body
// is refused whole: 413.
inline constexpr std::size_t kMaxLogStreamBodyBytes = std::size_t{1} << 20;  // 1 MiB

// An optional field that was present but unusable (wrong type, not an address, ...): the event
// is kept without it, so the person is still recorded.
struct DroppedField {
  std::string field;  // the field's path, e.g. "data.details.body.email"
  std::string reason;
};

// One log of a handled type (ss signup, sv email verified, sce email changed, sdu user deleted).
struct LogEvent {
  std::string log_id;
  std::string type;
  std::string user_id;  // the raw Auth0 id, e.g. "auth0|abc"
  std::string sub;      // stored form: stored_sub(tenant, user_id)
  UnixMillis date = 0;
  std::optional<std::string> email;        // data.details.body.email, else an email-like user_name
  std::optional<std::string> tenant_name;  // data.tenant_name when present
  std::vector<DroppedField> dropped;       // optional fields left out, and why
};

// A malformed entry: its 0-based position among the batch's entries (for JSON lines, among the
// non-blank lines), its log_id when one could be read and is well formed, why, and the entry
// exactly as posted (kept as a dead letter).
struct RejectedEntry {
  std::size_t index = 0;
  std::optional<std::string> log_id;
  std::string reason;
  // One of: "invalid_text" (a string is not UTF-8 or holds a lone surrogate), "too_deep",
  // "not_object", "invalid_field" (a required field is missing or unusable, or the entry is
  // ambiguous). A fixed set, fit for a metric label.
  std::string kind;
  std::string text;
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
  std::size_t max_body_bytes = kMaxLogStreamBodyBytes;  // whole body
  std::size_t max_entries = 1000;                       // log entries in one body
  std::size_t max_depth = 32;                           // array/object nesting, anywhere
  std::size_t max_string_bytes = 4096;                  // any string field the parser reads
};

// Log types this library acts on.
bool is_handled_type(std::string_view type);

// The metric label of a log type: the type itself when it is one of a fixed set of Auth0 codes
// (the handled ones and the common ignored ones), else "other", so posted text never grows the
// number of label values.
std::string_view type_label(std::string_view type);

// The key under which a posted log id is recorded as processed: "auth0:<tenant>:<log_id>". Each
// tenant has its own namespace, and no posted id can take the form of the library's synthetic
// ids, which start with "acid:" (e.g. "acid:delete:<sub>", see provision::Engine::delete_user).
std::string stored_log_id(Tenant tenant, std::string_view log_id);

// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_utf8(std::string_view text);

// Whether a parse error is the body-size limit (answered 413 rather than 400).
bool is_too_large(const Error &error);

// Parses one POST body of an Auth0 log stream: a JSON array of logs, JSON lines (one log object per
// non-blank line), or {"logs": [...]}. Each log is {"log_id": ..., "data": {"type", "date",
// "user_id", "user_name", "details", "tenant_name", "log_id", ...}}.
//
// Code::invalid (with detail_json {"reason": "..."}) and no events when the body as a whole is
// malformed: empty, larger than max_body_bytes ("too_large"), not JSON (for JSON lines: a line
// that is not JSON), not one of the three shapes, or holding more than max_entries entries.
// Within a well-formed body, each entry stands alone: invalid UTF-8 in any string or key (raw
// bytes, overlong forms, or a lone surrogate escape such as "\ud83d"), nesting deeper than
// max_depth (counted from the body's top), a JSON line that is not an object, or a bad required
// field rejects that entry only. An unusable optional field (user_name, tenant_name,
// details.body.email) is dropped and listed in LogEvent::dropped.
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
