// libFuzzer target for the XRPC response side of the PDS client: header lines, rate-limit and
// Retry-After parsing, the error body parser and classifier, every typed response parser, the
// record JSON check, and the error -> detail_json -> inspect round trip.
//
// Input format (so seeds stay readable; any bytes are accepted):
//   <HTTP status>\n
//   <header line>\n ...
//   \n
//   <body>
//
// Build and run (see fuzz/CMakeLists.txt):
//   CC=clang CXX=clang++ cmake -S fuzz -B build-fuzz -G Ninja && cmake --build build-fuzz
//   build-fuzz/fuzz_xrpc_response -max_total_time=30 -max_len=65536 fuzz/corpus/xrpc
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "pds/pds_error.h"
#include "pds/xrpc_parse.h"

namespace {

using namespace acid;
using namespace acid::pds;

// Reaching this is a finding: libFuzzer reports the crash and saves the input.
[[noreturn]] void fail(const char *what) {
  (void)what;
  __builtin_trap();
}

void check_error(const Error &e, const std::vector<std::string_view> &secrets) {
  // Every error detail is valid JSON that inspect() reads back, and carries no secret.
  auto doc = json::parse(e.detail_json);
  if (!doc || !doc->IsObject()) fail("detail_json is not a JSON object");
  const ErrorInfo info = inspect(e);
  if (info.kind == ErrorKind::unknown) fail("kind lost in the round trip");
  if (kind_code(info.kind) != e.code) fail("code does not match the kind");
  for (auto secret : secrets) {
    if (e.message.find(secret) != std::string::npos) fail("secret in message");
    if (e.detail_json.find(secret) != std::string::npos) fail("secret in detail");
  }
}

template <typename R>
void check_result(const R &r) {
  if (!r.is_ok()) {
    check_error(r.error(), {});
    if (r.error().code != Code::pds) fail("a response parser failed with another code");
    if (inspect(r.error()).kind != ErrorKind::invalid_response) fail("not invalid_response");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char *>(data), size);
  HttpReply reply;
  std::size_t pos = input.find('\n');
  const std::string_view status_line = input.substr(0, pos);
  int status = 0;
  for (char c : status_line.substr(0, 3)) {
    if (c < '0' || c > '9') break;
    status = status * 10 + (c - '0');
  }
  reply.status = status;
  pos = pos == std::string_view::npos ? input.size() : pos + 1;
  while (pos < input.size()) {
    std::size_t eol = input.find('\n', pos);
    if (eol == std::string_view::npos) eol = input.size();
    const std::string_view line = input.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line == "\r") break;
    if (auto header = parse_header_line(line)) reply.headers.push_back(std::move(*header));
  }
  if (pos < input.size()) reply.body = std::string(input.substr(pos));

  // Errors: classification, rate limits, redaction.
  const std::int64_t now = 1'760'000'000'000;
  const Failure f = failure_from_reply("com.atproto.fuzz", reply, now);
  if (f.retry_after_ms && *f.retry_after_ms < 0) fail("negative retry delay");
  const std::string secret = "fuzz-secret-value";
  check_error(to_error(f, {secret}), {secret});
  if (auto ra = reply.header("retry-after")) {
    auto ms = parse_retry_after_ms(*ra, now);
    if (ms && *ms < 0) fail("negative Retry-After");
  }
  (void)parse_rate_limit(reply);

  // Every typed parser on the body.
  check_result(parse_server_description(reply.body));
  check_result(parse_invite_code(reply.body));
  check_result(parse_session("com.atproto.server.createSession", reply.body));
  check_result(parse_session_info(reply.body));
  check_result(parse_resolved_did(reply.body));
  check_result(parse_record_ref("com.atproto.repo.createRecord", reply.body));
  check_result(parse_record(reply.body));
  check_result(parse_record_page(reply.body));
  check_result(parse_apply_writes(reply.body));
  check_result(parse_repo_page(reply.body));
  check_result(parse_account_info(reply.body));
  check_result(parse_account_infos(reply.body));
  check_result(parse_empty_output("com.atproto.fuzz", reply.body));

  // The record check: what it accepts it accepts again unchanged.
  auto record = prepare_record_json("com.atproto.repo.createRecord", reply.body, "c.o");
  if (record) {
    auto again = prepare_record_json("com.atproto.repo.createRecord", *record, "c.o");
    if (!again || *again != *record) fail("prepare_record_json is not idempotent");
  } else {
    check_error(record.error(), {});
    if (record.error().code != Code::invalid) fail("record refusal is not Code::invalid");
  }

  const std::string clean = sanitize_text(reply.body, 64);
  if (clean.size() > 64 + 3) fail("sanitize_text exceeded its bound");
  return 0;
}
