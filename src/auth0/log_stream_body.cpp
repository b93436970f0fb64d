#include "auth0/log_stream_body.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cstdint>

#include "core/json.h"

namespace acid::auth0::body {

namespace {

using rapidjson::SizeType;

// Iterative parsing keeps deep nesting off the call stack. Encoding is checked by the handlers
// (strictly, per string), not by the reader, so that bad text costs only its entry. Nothing
// lenient (comments, NaN, trailing commas) is enabled.
constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag;

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_blank(std::string_view text) {
  for (char c : text) {
    if (!is_json_space(c)) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of "\uXXXX" starting at text[at] (the backslash), or -1.
long escape_unit(std::string_view text, std::size_t at) {
  if (at + 6 > text.size() || text[at] != '\\' || text[at + 1] != 'u') return -1;
  long unit = 0;
  for (std::size_t k = 2; k < 6; ++k) {
    const int h = hex_value(text[at + k]);
    if (h < 0) return -1;
    unit = unit * 16 + h;
  }
  return unit;
}

// See Scan::marked. Walks the strings of the body (outside them nothing is an escape).
bool mark_lone_high_surrogates(std::string_view body, std::string &marked) {
  bool in_string = false;
  bool changed = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (!in_string) {
      in_string = c == '"';
      continue;
    }
    if (c == '"') {
      in_string = false;
      continue;
    }
    if (c != '\\') continue;
    const long unit = escape_unit(body, i);
    if (unit < 0xD800 || unit > 0xDBFF) {
      ++i;  // the escaped character (a quote or backslash is not an end of string)
      continue;
    }
    const long next = escape_unit(body, i + 6);
    if (next >= 0xDC00 && next <= 0xDFFF) {
      i += 11;  // a proper pair
      continue;
    }
    if (!changed) marked.assign(body);
    changed = true;
    marked.replace(i + 2, 4, "DC00");
    i += 5;
  }
  return changed;
}

// Pass one: the structure of the whole body, no limits but the entry count. Records where each
// entry of the top array (or of the "logs" array) starts and ends.
class StructureScanner {
 public:
  StructureScanner(std::string_view text, const rapidjson::MemoryStream &stream,
                   std::size_t max_entries)
      : text_(text), stream_(stream), max_entries_(max_entries) {}

  enum class Top { none, array, object, scalar };
  Top top() const { return top_; }
  int logs_members() const { return logs_members_; }
  const char *logs_kind() const { return logs_kind_; }
  bool too_many() const { return too_many_; }
  std::vector<EntrySpan> &entries() { return entries_; }

  bool Null() { return scalar("null"); }
  bool Bool(bool) { return scalar("boolean"); }
  bool Int(int) { return scalar("number"); }
  bool Uint(unsigned) { return scalar("number"); }
  bool Int64(std::int64_t) { return scalar("number"); }
  bool Uint64(std::uint64_t) { return scalar("number"); }
  bool Double(double) { return scalar("number"); }
  bool RawNumber(const char *, SizeType, bool) { return scalar("number"); }
  bool String(const char *, SizeType, bool) { return scalar("string"); }
  bool Key(const char *s, SizeType n, bool) {
    if (depth_ == 1 && top_ == Top::object) {
      awaiting_logs_ = std::string_view(s, n) == "logs";
      if (awaiting_logs_) ++logs_members_;
    }
    return true;
  }
  // The iterative reader calls StartX before taking '{' / '[' and EndX before taking '}' / ']'.
  bool StartObject() { return open(false); }
  bool StartArray() { return open(true); }
  bool EndObject(SizeType) { return close(); }
  bool EndArray(SizeType) { return close(); }

 private:
  bool open(bool array) {
    const std::size_t at = stream_.Tell();
    if (depth_ == 0) {
      top_ = array ? Top::array : Top::object;
      if (array) begin_entries(at + 1, 1);
    } else if (depth_ == 1 && awaiting_logs_) {
      logs_kind_ = array ? "array" : "object";
      if (array && logs_members_ == 1) begin_entries(at + 1, 2);
      awaiting_logs_ = false;
    }
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    if (in_entries_ && depth_ + 1 == level_) {
      in_entries_ = false;  // the container of the entries ended
      return true;
    }
    if (in_entries_ && depth_ == level_) return entry_done(stream_.Tell() + 1);
    return true;
  }
  bool scalar(const char *kind) {
    if (depth_ == 0) top_ = Top::scalar;
    if (depth_ == 1 && awaiting_logs_) {
      logs_kind_ = kind;
      awaiting_logs_ = false;
    }
    if (in_entries_ && depth_ == level_) return entry_done(stream_.Tell());
    return true;
  }
  void begin_entries(std::size_t cursor, std::size_t level) {
    in_entries_ = true;
    level_ = level;
    cursor_ = cursor;
  }
  // The entry is what lies between the previous entry (or the opening bracket) and `end`, less
  // the separating comma and whitespace.
  bool entry_done(std::size_t end) {
    if (entries_.size() == max_entries_) {
      too_many_ = true;
      return false;
    }
    std::size_t begin = cursor_;
    while (begin < end && (is_json_space(text_[begin]) || text_[begin] == ',')) ++begin;
    entries_.push_back(EntrySpan{begin, end, level_});
    cursor_ = end;
    return true;
  }

  std::string_view text_;
  const rapidjson::MemoryStream &stream_;
  std::size_t max_entries_;
  std::vector<EntrySpan> entries_;
  Top top_ = Top::none;
  std::size_t depth_ = 0;
  bool in_entries_ = false;
  std::size_t level_ = 0;
  std::size_t cursor_ = 0;
  bool awaiting_logs_ = false;
  int logs_members_ = 0;
  const char *logs_kind_ = nullptr;
  bool too_many_ = false;
};

Error too_many(std::size_t max_entries) {
  return malformed("too_many_entries", "more than " + std::to_string(max_entries) + " entries");
}

// Runs pass one over `text` (one JSON value). nullopt when it is well formed.
std::optional<rapidjson::ParseResult> scan_value(std::string_view text, StructureScanner *&scanner,
                                                 std::optional<StructureScanner> &storage,
                                                 std::size_t max_entries) {
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(text.data(), text.size());
  storage.emplace(text, stream, max_entries);
  scanner = &*storage;
  const rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, *scanner);
  if (result.IsError()) return result;
  return std::nullopt;
}

std::string parse_error_text(const rapidjson::ParseResult &r) {
  return "invalid JSON at offset " + std::to_string(r.Offset()) + ": " +
         rapidjson::GetParseError_En(r.Code());
}

// JSON lines: every non-blank line is one JSON value and one entry (whatever its type: a line
// that is not an object is that entry's problem).
Result<std::vector<EntrySpan>> scan_lines(std::string_view text, const ParseLimits &limits) {
  std::vector<EntrySpan> entries;
  std::size_t line_no = 0;
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++line_no;
    const std::string_view line = text.substr(start, end - start);
    if (!is_blank(line)) {
      if (entries.size() == limits.max_entries) return too_many(limits.max_entries);
      StructureScanner *scanner = nullptr;
      std::optional<StructureScanner> storage;
      if (auto failure = scan_value(line, scanner, storage, SIZE_MAX)) {
        return malformed("invalid_json", parse_error_text(*failure))
            .context("line " + std::to_string(line_no));
      }
      std::size_t b = start, e = end;
      while (b < e && is_json_space(text[b])) ++b;
      while (e > b && is_json_space(text[e - 1])) --e;
      entries.push_back(EntrySpan{b, e, 0});
    }
    start = end + 1;
  }
  return entries;
}

}  // namespace

Error malformed(std::string_view reason, const std::string &message) {
  return Error(Code::invalid, "malformed log stream body: " + message,
               "{\"reason\":\"" + std::string(reason) + "\"}");
}

bool valid_utf8(const char *data, std::size_t size) {
  const auto *s = reinterpret_cast<const unsigned char *>(data);
  std::size_t i = 0;
  while (i < size) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
      min = 0x10000;
    } else {
      return false;
    }
    if (size - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const unsigned char cc = s[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

Result<Scan> scan(std::string_view body, const ParseLimits &limits) {
  if (body.size() > limits.max_body_bytes) {
    return malformed("too_large", "the body is " + std::to_string(body.size()) +
                                      " bytes, over the limit of " +
                                      std::to_string(limits.max_body_bytes));
  }
  if (is_blank(body)) return malformed("empty", "the body is empty");
  // MemoryStream reads '\0' as its end: a NUL would silently cut the body short.
  if (body.find('\0') != std::string_view::npos) {
    return malformed("invalid_json", "the body contains a NUL byte");
  }
  Scan out;
  out.uses_marked = mark_lone_high_surrogates(body, out.marked);
  const std::string_view text = out.text(body);

  StructureScanner *scanner = nullptr;
  std::optional<StructureScanner> storage;
  if (auto failure = scan_value(text, scanner, storage, limits.max_entries)) {
    if (scanner->too_many()) return too_many(limits.max_entries);
    if (failure->Code() != rapidjson::kParseErrorDocumentRootNotSingular) {
      return malformed("invalid_json", parse_error_text(*failure));
    }
    // One complete value followed by more text: JSON lines.
    ACID_ASSIGN_OR_RETURN(out.entries, scan_lines(text, limits));
    return out;
  }
  switch (scanner->top()) {
    case StructureScanner::Top::array:
      out.entries = std::move(scanner->entries());
      return out;
    case StructureScanner::Top::object:
      if (scanner->logs_members() > 1) {
        return malformed("bad_shape", "\"logs\" appears more than once");
      }
      if (scanner->logs_members() == 0) {  // a one-line JSON lines body
        std::size_t b = 0, e = text.size();
        while (b < e && is_json_space(text[b])) ++b;
        while (e > b && is_json_space(text[e - 1])) --e;
        out.entries.push_back(EntrySpan{b, e, 0});
        return out;
      }
      if (std::string_view(scanner->logs_kind()) != "array") {
        return malformed("bad_shape",
                         std::string("\"logs\" is not an array (") + scanner->logs_kind() + ")");
      }
      out.entries = std::move(scanner->entries());
      return out;
    case StructureScanner::Top::scalar:
    case StructureScanner::Top::none:
      break;
  }
  return malformed("bad_shape",
                   "expected a JSON array, JSON lines or an object with a \"logs\" array");
}

std::optional<EntryProblem> parse_entry(std::string_view text, std::size_t enclosing,
                                        const ParseLimits &limits, rapidjson::Document &doc) {
  const std::size_t max_depth = limits.max_depth > enclosing ? limits.max_depth - enclosing : 0;
  // Strict UTF-8 on every decoded string and key: bad text costs only its entry.
  json::LimitedBuilder::Stop stop = json::LimitedBuilder::Stop::none;
  std::optional<rapidjson::ParseResult> failure;
  auto generate = [&](rapidjson::Document &target) {
    json::LimitedBuilder handler(target, max_depth, valid_utf8);
    rapidjson::Reader reader;
    rapidjson::MemoryStream stream(text.data(), text.size());
    const rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, handler);
    stop = handler.stop();
    if (result.IsError()) failure = result;
    return !result.IsError();
  };
  doc.Populate(generate);
  if (!failure) return std::nullopt;
  switch (stop) {
    case json::LimitedBuilder::Stop::too_deep:
      return EntryProblem{"too_deep",
                          "nesting deeper than " + std::to_string(limits.max_depth) + " levels"};
    case json::LimitedBuilder::Stop::bad_text:
      return EntryProblem{"invalid_text",
                          "a string is not valid UTF-8 (an invalid byte sequence or a lone "
                          "surrogate escape), near offset " +
                              std::to_string(failure->Offset())};
    case json::LimitedBuilder::Stop::none:
      break;
  }
  // Pass one accepted the body, so this is not expected; it still costs only the entry.
  return EntryProblem{"invalid_json", parse_error_text(*failure)};
}

}  // namespace acid::auth0::body
