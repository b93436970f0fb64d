// One structured log line of the CLI and the daemon, written with RapidJSON's writer: every value
// is escaped by the writer (no text is interpolated into JSON), invalid UTF-8 is replaced by
// U+FFFD, and the line goes out through the client's log path, where the library's one
// redaction pass runs over it (acid_log_write).
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

#include "acidentity/acidentity.h"

namespace acid::cli {

class JsonLine {
 public:
  explicit JsonLine(std::string_view event);
  JsonLine &str(std::string_view key, std::string_view value);
  JsonLine &num(std::string_view key, long long value);
  JsonLine &flag(std::string_view key, bool value);
  // A JSON value (e.g. an alert the library produced), re-written by the writer; text that does
  // not parse as JSON is written as a string instead.
  JsonLine &json(std::string_view key, std::string_view json_text);
  // Closes the object and returns the line (without a newline). Call once.
  std::string finish();

 private:
  void key(std::string_view k);
  rapidjson::StringBuffer buf_;
  rapidjson::Writer<rapidjson::StringBuffer> w_;
};

// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

// Writes the line through `client`'s log path (redacted; nothing under --quiet), or to stderr
// when there is no client yet. A line the library refuses is counted in the return value: false.
bool write_line(acid_client *client, JsonLine &line);

}  // namespace acid::cli
