// Small JSON helpers over RapidJSON, shared by every concern that builds or reads JSON.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/status.h"

namespace acid::json {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// A JSON string literal for `text` (quoted and escaped).
std::string quote(std::string_view text);

// One member of the object being written, "key": value, in one call instead of two. Integers
// keep their signedness; a const char * or string is written as a string.
inline void member(Writer &w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
inline void member(Writer &w, std::string_view key, const char *value) {
  member(w, key, std::string_view(value));
}
inline void member(Writer &w, std::string_view key, const std::string &value) {
  member(w, key, std::string_view(value));
}
template <std::integral T>
void member(Writer &w, std::string_view key, T value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  if constexpr (std::is_same_v<T, bool>) {
    w.Bool(value);
  } else if constexpr (std::is_signed_v<T>) {
    w.Int64(static_cast<std::int64_t>(value));
  } else {
    w.Uint64(static_cast<std::uint64_t>(value));
  }
}

template <std::floating_point T>
void member(Writer &w, std::string_view key, T value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.Double(static_cast<double>(value));
}

// "key": the value, or null when there is none.
template <typename T>
void member(Writer &w, std::string_view key, const std::optional<T> &value) {
  if (value) {
    member(w, key, *value);
  } else {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.Null();
  }
}

// "key": an array of the strings in `items`.
template <typename Range>
void string_array(Writer &w, std::string_view key, const Range &items) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.StartArray();
  for (std::string_view item : items) {
    w.String(item.data(), static_cast<rapidjson::SizeType>(item.size()));
  }
  w.EndArray();
}

// A member whose value is JSON text already written elsewhere (one complete object).
inline void raw_member(Writer &w, std::string_view key, std::string_view object_json) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.RawValue(object_json.data(), object_json.size(), rapidjson::kObjectType);
}

// The text of one JSON object whose members `body(w)` writes.
template <std::invocable<Writer &> Body>
std::string object(Body &&body) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  std::forward<Body>(body)(w);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// "key": an array of one object per item, whose members `body(w, item)` writes.
template <typename Range, typename Body>
void object_array(Writer &w, std::string_view key, const Range &items, Body &&body) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.StartArray();
  for (const auto &item : items) {
    w.StartObject();
    body(w, item);
    w.EndObject();
  }
  w.EndArray();
}

// {"error": message}: the body of a refused request.
inline std::string error_body(std::string_view message) {
  return object([&](Writer &w) { member(w, "error", message); });
}

// "code", "message" and "detail" of an error, as log lines, reports and stored errors carry it.
inline void error_members(Writer &w, const Error &e) {
  member(w, "code", code_name(e.code));
  member(w, "message", e.message);
  raw_member(w, "detail", e.detail_json.empty() ? std::string_view("{}") : e.detail_json);
}
inline std::string error_json(const Error &e) {
  return object([&](Writer &w) { error_members(w, e); });
}

// One flat JSON object written member by member, as a chain (request bodies); an empty optional
// leaves its member out (json::member above writes it as null).
//   std::string body = json::Object().member("handle", h).member("inviteCode", code).text();
// writer() continues the same object by hand (nested arrays, raw values).
class Object {
 public:
  Object() : writer_(buffer_) { writer_.StartObject(); }
  Object(const Object &) = delete;
  Object &operator=(const Object &) = delete;

  template <typename T>
  Object &member(std::string_view key, const T &value) {
    json::member(writer_, key, value);
    return *this;
  }
  template <typename T>
  Object &member(std::string_view key, const std::optional<T> &value) {
    if (value) json::member(writer_, key, *value);
    return *this;
  }
  Writer &writer() { return writer_; }
  // Closes the object and returns its text.
  std::string text() {
    writer_.EndObject();
    return std::string(buffer_.GetString(), buffer_.GetSize());
  }

 private:
  rapidjson::StringBuffer buffer_;
  Writer writer_;
};

// Nesting allowed by parse() unless told otherwise: far above any document the library reads
// (Auth0 and PDS answers, options, import lines), far below what a recursive walk can survive.
inline constexpr std::size_t kMaxDepth = 64;

// The handler that builds a Document from a rapidjson::Reader's events (Document::Populate),
// refusing nesting deeper than `max_depth` and any string or key that `text_ok` refuses (nullptr:
// only the reader's own encoding checks). A refusal stops the reader (kParseErrorTermination);
// stop() says which one it was.
class LimitedBuilder {
 public:
  enum class Stop { none, too_deep, bad_text };
  using TextCheck = bool (*)(const char *text, std::size_t size);

  LimitedBuilder(rapidjson::Document &doc, std::size_t max_depth, TextCheck text_ok = nullptr)
      : doc_(doc), max_depth_(max_depth), text_ok_(text_ok) {}
  Stop stop() const { return stop_; }

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(std::int64_t i) { return doc_.Int64(i); }
  bool Uint64(std::uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char *s, rapidjson::SizeType n, bool copy) {
    return doc_.RawNumber(s, n, copy);
  }
  bool String(const char *s, rapidjson::SizeType n, bool copy) {
    return text_accepted(s, n) && doc_.String(s, n, copy);
  }
  bool Key(const char *s, rapidjson::SizeType n, bool copy) {
    return text_accepted(s, n) && doc_.Key(s, n, copy);
  }
  bool StartObject() { return enter() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return doc_.EndObject(members);
  }
  bool StartArray() { return enter() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return doc_.EndArray(elements);
  }

 private:
  bool enter() {
    if (depth_ >= max_depth_) {
      stop_ = Stop::too_deep;
      return false;
    }
    ++depth_;
    return true;
  }
  bool text_accepted(const char *s, rapidjson::SizeType n) {
    if (text_ok_ == nullptr || text_ok_(s, n)) return true;
    stop_ = Stop::bad_text;
    return false;
  }

  rapidjson::Document &doc_;
  std::size_t max_depth_;
  TextCheck text_ok_;
  std::size_t depth_ = 0;
  Stop stop_ = Stop::none;
};

// Parses a complete JSON document (exactly one value, UTF-8 validated) without recursion
// (RapidJSON's iterative parser), refusing nesting deeper than `max_depth` with Code::invalid:
// the documents it returns are later written and walked recursively.
Result<rapidjson::Document> parse(std::string_view text, std::size_t max_depth = kMaxDepth);

// Serialises a value compactly.
std::string to_string(const rapidjson::Value &value);

// Typed member lookups: nullopt when the member is missing or has another type.
std::optional<std::string_view> get_string(const rapidjson::Value &obj, const char *name);
std::optional<std::int64_t> get_int(const rapidjson::Value &obj, const char *name);
std::optional<bool> get_bool(const rapidjson::Value &obj, const char *name);
const rapidjson::Value *get_object(const rapidjson::Value &obj, const char *name);
const rapidjson::Value *get_array(const rapidjson::Value &obj, const char *name);

}  // namespace acid::json
