// The body level of the Auth0 log-stream parser (internal to src/auth0): finds the entries of a
// body in any of the three shapes without judging them, then parses one entry at a time with
// the nesting and text limits. A problem inside one entry is that entry's alone; only a body
// that is not JSON, not one of the shapes, empty or too large is refused as a whole.
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth0/log_stream.h"
#include "core/status.h"

namespace acid::auth0::body {

// One entry of a body: its bytes [begin, end) and how many containers of the body enclose it
// (0 for a JSON line or a single object, 1 in an array, 2 in {"logs": [...]}).
struct EntrySpan {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t enclosing = 0;
};

struct Scan {
  std::vector<EntrySpan> entries;
  // The text the entries are parsed from: the body itself, or a copy of the same length in
  // which every lone high-surrogate escape ("\ud83d" without its pair) reads "\udc00", an
  // escape that parses and then fails the UTF-8 check of its own entry. RapidJSON stops the
  // whole body at a lone high surrogate; the copy keeps that problem inside its entry.
  std::string marked;
  bool uses_marked = false;
  std::string_view text(std::string_view body) const { return uses_marked ? marked : body; }
};

// Code::invalid with detail {"reason": ...} when the body as a whole is malformed: too_large
// (over limits.max_body_bytes), empty, invalid_json (not JSON, a NUL byte, a JSON line that is
// not JSON), bad_shape, too_many_entries.
Result<Scan> scan(std::string_view body, const ParseLimits &limits);

// Why one entry could not be read: a kind (a fixed word, fit for a metric label) and a reason.
struct EntryProblem {
  std::string kind;
  std::string reason;
};

// Parses one entry's text into `doc`: nesting within limits.max_depth counted from the body's
// top (the entry's enclosing containers count), strict UTF-8 in every string and key.
std::optional<EntryProblem> parse_entry(std::string_view text, std::size_t enclosing,
                                        const ParseLimits &limits, rapidjson::Document &doc);

// The malformed-body error: Code::invalid, message "malformed log stream body: ...".
Error malformed(std::string_view reason, const std::string &message);

// Strict UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
bool valid_utf8(const char *data, std::size_t size);

}  // namespace acid::auth0::body
