#include "cli/json_line.h"

#include <rapidjson/document.h>

#include <cstdio>

#include "core/time.h"

namespace acid::cli {

namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

JsonLine::JsonLine(std::string_view event) : w_(buf_) {
  w_.StartObject();
  str("ts", format_iso8601(now_unix_ms()));
  str("event", event);
}

void JsonLine::key(std::string_view k) {
  w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

JsonLine &JsonLine::str(std::string_view k, std::string_view value) {
  key(k);
  const std::string clean = valid_utf8(value);
  w_.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
  return *this;
}

JsonLine &JsonLine::num(std::string_view k, long long value) {
  key(k);
  w_.Int64(value);
  return *this;
}

JsonLine &JsonLine::flag(std::string_view k, bool value) {
  key(k);
  w_.Bool(value);
  return *this;
}

JsonLine &JsonLine::json(std::string_view k, std::string_view json_text) {
  rapidjson::Document doc;
  doc.Parse(json_text.data(), json_text.size());
  if (doc.HasParseError()) return str(k, json_text);
  key(k);
  doc.Accept(w_);
  return *this;
}

std::string JsonLine::finish() {
  w_.EndObject();
  return std::string(buf_.GetString(), buf_.GetSize());
}

bool write_line(acid_client *client, JsonLine &line) {
  const std::string text = line.finish();
  if (client != nullptr) return acid_log_write(client, text.c_str()) == ACID_OK;
  const std::string out = text + "\n";
  return std::fwrite(out.data(), 1, out.size(), stderr) == out.size();
}

}  // namespace acid::cli
