// libFuzzer target for the Auth0 log-stream webhook: parse_log_stream over arbitrary bodies (both
// tenants, default and tight limits) and check_authorization over arbitrary header/token splits.
//
// Input: the raw POST body. Seeds in fuzz/corpus/log_stream.
//
// Build and run (see the log_stream block in fuzz/CMakeLists.txt):
//   CC=clang CXX=clang++ cmake -S fuzz -B build-fuzz -G Ninja && cmake --build build-fuzz
//   build-fuzz/fuzz_log_stream -max_total_time=60 -max_len=65536 <scratch dir>
//   fuzz/corpus/log_stream
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "auth0/log_stream.h"

namespace {

using namespace acid;
using namespace acid::auth0;

// Reaching this is a finding: libFuzzer reports the crash and saves the input.
[[noreturn]] void fail(const char *what) {
  (void)what;
  __builtin_trap();
}

bool has_control(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

const std::set<std::string> kReasons = {"empty",        "too_large", "invalid_json",    "bad_shape",
                                        "invalid_utf8", "too_deep",  "too_many_entries"};

// Returns the outcome so the two tenants can be compared.
Result<ParsedBatch> check_parse(std::string_view body, Tenant tenant, const ParseLimits &limits) {
  Result<ParsedBatch> r = parse_log_stream(body, tenant, limits);
  if (!r) {
    if (r.code() != Code::invalid) fail("body error is not Code::invalid");
    const std::string &detail = r.error().detail_json;
    const std::string prefix = "{\"reason\":\"";
    if (detail.rfind(prefix, 0) != 0 || detail.size() < prefix.size() + 2) fail("bad detail");
    const std::string reason = detail.substr(prefix.size(), detail.size() - prefix.size() - 2);
    if (kReasons.count(reason) == 0) fail("unknown reason");
    if (r.error().message.empty()) fail("empty message");
    return r;
  }
  const ParsedBatch &b = *r;
  if (b.events.size() + b.rejected.size() + b.ignored + b.duplicates_in_batch != b.total) {
    fail("entries not accounted for");
  }
  if (b.total > limits.max_entries) fail("more entries than the limit");
  if (body.size() > limits.max_body_bytes) fail("body over the limit accepted");
  std::size_t by_type = 0;
  for (const auto &[type, n] : b.ignored_by_type) {
    if (type.empty() || is_handled_type(type) || n == 0) fail("bad ignored_by_type");
    by_type += n;
  }
  if (by_type != b.ignored) fail("ignored_by_type does not sum to ignored");
  std::set<std::string> ids;
  for (const LogEvent &e : b.events) {
    if (e.sub.empty() || e.log_id.empty() || e.user_id.empty()) fail("empty id in an event");
    if (!is_handled_type(e.type)) fail("event of an unhandled type");
    if (e.sub != stored_sub(tenant, e.user_id)) fail("sub is not the stored form of user_id");
    if (e.log_id.size() > 255 || e.user_id.size() > 255) fail("over-long id");
    if (has_control(e.log_id) || has_control(e.user_id)) fail("control character in an id");
    if (!ids.insert(e.log_id).second) fail("duplicate log_id among events");
    if (e.email) {
      const std::string &m = *e.email;
      if (m.size() > 254 || m.find('@') == std::string::npos || m.find('@') != m.rfind('@') ||
          m.find(' ') != std::string::npos) {
        fail("email that doesn't look like one");
      }
    }
  }
  std::size_t previous = 0;
  for (std::size_t i = 0; i < b.rejected.size(); ++i) {
    const RejectedEntry &rej = b.rejected[i];
    if (rej.index >= b.total) fail("rejected index out of range");
    if (i > 0 && rej.index <= previous) fail("rejected indices not increasing");
    previous = rej.index;
    if (rej.reason.empty()) fail("rejection without a reason");
    if (rej.log_id && (rej.log_id->empty() || has_control(*rej.log_id))) fail("bad rejected id");
  }
  return r;
}

void check_body(std::string_view body, const ParseLimits &limits) {
  const Result<ParsedBatch> a = check_parse(body, Tenant::aesthetic, limits);
  const Result<ParsedBatch> s = check_parse(body, Tenant::sotce, limits);
  // The tenant never changes the body's verdict or its entry count. Per entry it changes the sub
  // and whether a tenant_name is foreign (then rejected, which can also turn a later copy of the
  // same log_id from a duplicate into a kept entry), so without any tenant_name (no escapes
  // either, which could spell the key) the outcomes are otherwise identical.
  if (a.is_ok() != s.is_ok()) fail("tenants disagree on the body");
  if (!a.is_ok()) {
    if (a.error().detail_json != s.error().detail_json) fail("tenants disagree on the error");
    return;
  }
  if (a->total != s->total) fail("tenants disagree on the entry count");
  if (body.find("tenant") != std::string_view::npos || body.find('\\') != std::string_view::npos) {
    return;
  }
  if (a->ignored != s->ignored || a->duplicates_in_batch != s->duplicates_in_batch ||
      a->rejected.size() != s->rejected.size() || a->events.size() != s->events.size()) {
    fail("tenants disagree without a tenant_name");
  }
  for (std::size_t i = 0; i < a->events.size(); ++i) {
    const LogEvent &x = a->events[i];
    const LogEvent &y = s->events[i];
    if (x.log_id != y.log_id || x.user_id != y.user_id || x.date != y.date || x.email != y.email ||
        y.sub != "sotce-" + x.user_id || x.sub != x.user_id) {
      fail("tenants disagree on an event");
    }
  }
}

void check_auth(std::string_view data) {
  // Split the input at the first newline: header, then token.
  const std::size_t nl = data.find('\n');
  const std::string_view header = data.substr(0, nl);
  const std::string_view token = nl == std::string_view::npos ? "" : data.substr(nl + 1);
  const AuthResult r = check_authorization(header, token);
  if (token.empty()) {
    if (r != AuthResult::not_configured) fail("empty token accepted a request");
  } else if (header.empty()) {
    if (r != AuthResult::missing) fail("empty header not reported missing");
  } else {
    const bool bare = header == token;
    std::string lower(header.substr(0, 7));
    for (char &c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const bool bearer = lower == "bearer " && header.substr(7) == token;
    if ((r == AuthResult::ok) != (bare || bearer)) fail("authorization disagrees with equality");
  }
  if (!token.empty()) {
    if (check_authorization(token, token) != AuthResult::ok) fail("token refused");
    if (check_authorization("Bearer " + std::string(token), token) != AuthResult::ok) {
      fail("Bearer token refused");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char *>(data), size);
  check_body(body, ParseLimits{});
  ParseLimits tight;
  tight.max_body_bytes = 4096;
  tight.max_entries = 3;
  tight.max_depth = 4;
  tight.max_string_bytes = 16;
  check_body(body, tight);
  check_auth(body);
  return 0;
}
