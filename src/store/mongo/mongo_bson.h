// Owned BSON documents and typed field lookups over libbson, for the MongoDB store adapter.
// Documents are built in call order (BSON is ordered) and compared as canonical extended JSON.
#pragma once

#include <bson/bson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"

namespace acid::store::mongo {

class Arr;

// An owned BSON document. An append that fails (the document would exceed libbson's size limit)
// marks the document invalid instead of being lost; the adapter refuses to send invalid ones.
class Doc {
 public:
  Doc();
  ~Doc();
  Doc(const Doc &other);
  Doc &operator=(const Doc &other);
  Doc(Doc &&other) noexcept;
  Doc &operator=(Doc &&other) noexcept;

  // Parses (canonical or relaxed) extended JSON.
  static Result<Doc> from_json(std::string_view json);
  // A copy of a document owned elsewhere (a cursor's current document, a reply).
  static Doc copy_of(const bson_t *doc);

  const bson_t *get() const { return b_; }
  bson_t *get() { return b_; }
  bool valid() const { return valid_; }
  bool empty() const;

  Doc &str(std::string_view key, std::string_view value);
  Doc &i32(std::string_view key, std::int32_t value);
  Doc &i64(std::string_view key, std::int64_t value);
  Doc &boolean(std::string_view key, bool value);
  Doc &date(std::string_view key, UnixMillis value);
  Doc &null(std::string_view key);
  Doc &doc(std::string_view key, const Doc &value);
  Doc &arr(std::string_view key, const Arr &value);

  std::string canonical_json() const;
  std::string relaxed_json() const;

 private:
  friend class Arr;
  void check(bool appended) { valid_ = valid_ && appended; }

  bson_t *b_;
  bool valid_ = true;
};

// A BSON array under construction (a document keyed "0", "1", ...).
class Arr {
 public:
  Arr &str(std::string_view value);
  Arr &i32(std::int32_t value);
  Arr &doc(const Doc &value);

  const bson_t *get() const { return d_.get(); }
  bool valid() const { return d_.valid(); }

 private:
  std::string next_key() { return std::to_string(n_++); }

  Doc d_;
  std::uint32_t n_ = 0;
};

// Canonical extended JSON of any document (the form tests compare).
std::string canonical_json(const bson_t *doc);
std::string relaxed_json(const bson_t *doc);

// Re-emits extended JSON as canonical extended JSON ("" when it does not parse), so expected
// documents can be written compactly and compared exactly, types included.
std::string canonicalize_json(std::string_view json);

// A field of a document, looked up by dotted path ("atproto.did"). Missing when the path does
// not exist; the document must outlive the Field.
class Field {
 public:
  static Field find(const bson_t *doc, std::string_view dotted_path);

  bool present() const { return present_; }
  bson_type_t type() const { return present_ ? bson_iter_type(&iter_) : BSON_TYPE_EOD; }
  // Missing or BSON null: the two ways legacy documents say "no value".
  bool absent() const { return !present_ || type() == BSON_TYPE_NULL; }
  const char *type_name() const;

  std::optional<std::string> as_string() const;  // UTF-8 only
  // int32, int64, or a double holding an integer (what JavaScript drivers write).
  std::optional<std::int64_t> as_int() const;
  std::optional<bool> as_bool() const;        // bool, or a number (non-zero = true)
  std::optional<double> as_number() const;    // any numeric type
  std::optional<UnixMillis> as_date() const;  // BSON date only
  std::optional<Doc> as_doc() const;          // embedded document (or array) copied out
  bool is_document() const { return type() == BSON_TYPE_DOCUMENT; }
  bool is_array() const { return type() == BSON_TYPE_ARRAY; }

  const bson_iter_t &iter() const { return iter_; }

 private:
  bson_iter_t iter_{};
  bool present_ = false;
};

}  // namespace acid::store::mongo
