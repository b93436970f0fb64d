// Pure parsing and validation for the XRPC client: response headers, error bodies, typed
// response bodies, and record JSON checks. No I/O here, so all of it is unit-tested and fuzzed
// (fuzz/fuzz_xrpc_response.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "net/http_reply.h"
#include "pds/pds_error.h"
#include "pds/xrpc_types.h"

namespace acid::pds {

using net::HttpReply;
using net::parse_header_line;

// RateLimit-Limit / -Remaining / -Reset / -Policy.
RateLimit parse_rate_limit(const HttpReply &reply);

// Retry-After as milliseconds from now: delta-seconds ("120") or an IMF-fixdate
// ("Wed, 21 Oct 2015 07:28:00 GMT", relative to now_unix_ms). nullopt when absent or malformed.
std::optional<std::int64_t> parse_retry_after_ms(std::string_view value, std::int64_t now_unix_ms);

// Turns a non-2xx reply into a Failure: status, XRPC error name and message (when the body is
// the {"error","message"} JSON; any other body is tolerated), kind, rate-limit headers and the
// delay to honour: Retry-After when present, else RateLimit-Reset on a 429.
Failure failure_from_reply(std::string_view method, const HttpReply &reply,
                           std::int64_t now_unix_ms);

// Typed parsers of 2xx bodies. They fail with ErrorKind::invalid_response (Code::pds).
Result<ServerDescription> parse_server_description(std::string_view body);
Result<std::string> parse_invite_code(std::string_view body);
Result<Session> parse_session(std::string_view method, std::string_view body);
Result<SessionInfo> parse_session_info(std::string_view body);
Result<std::string> parse_resolved_did(std::string_view body);
Result<RecordRef> parse_record_ref(std::string_view method, std::string_view body);
Result<Record> parse_record(std::string_view body);
Result<RecordPage> parse_record_page(std::string_view body);
Result<ApplyWritesResult> parse_apply_writes(std::string_view body);
Result<RepoPage> parse_repo_page(std::string_view body);
Result<AccountInfo> parse_account_info(std::string_view body);
Result<std::vector<AccountInfo>> parse_account_infos(std::string_view body);
// For calls with no output: an empty body or any JSON object.
Status parse_empty_output(std::string_view method, std::string_view body);

// Checks a record for the AT data model and returns it re-serialised compactly with "$type"
// filled in from `collection` when missing. Fails with Code::invalid (ErrorKind::invalid_input)
// on: not JSON, not an object, a float anywhere, an integer outside int64, nesting deeper than
// kMaxRecordDepth, a "$type" that is not a non-empty string.
inline constexpr int kMaxRecordDepth = 64;
Result<std::string> prepare_record_json(std::string_view method, std::string_view record_json,
                                        std::string_view collection);

}  // namespace acid::pds
