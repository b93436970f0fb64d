#include "store/mongo/mongo_bson.h"

#include <cmath>
#include <limits>
#include <utility>

namespace acid::store::mongo {

namespace {

int key_len(std::string_view key) {
  return static_cast<int>(key.size());
}

std::string take(char *text, std::size_t len) {
  if (text == nullptr) return {};
  std::string out(text, len);
  bson_free(text);
  return out;
}

}  // namespace

Doc::Doc() : b_(bson_new()) {}

Doc::~Doc() {
  if (b_ != nullptr) bson_destroy(b_);
}

Doc::Doc(const Doc &other) : b_(bson_copy(other.b_)), valid_(other.valid_) {}

Doc &Doc::operator=(const Doc &other) {
  if (this != &other) {
    bson_t *copy = bson_copy(other.b_);
    bson_destroy(b_);
    b_ = copy;
    valid_ = other.valid_;
  }
  return *this;
}

Doc::Doc(Doc &&other) noexcept : b_(std::exchange(other.b_, bson_new())), valid_(other.valid_) {}

Doc &Doc::operator=(Doc &&other) noexcept {
  std::swap(b_, other.b_);
  std::swap(valid_, other.valid_);
  return *this;
}

Result<Doc> Doc::from_json(std::string_view json) {
  bson_error_t error;
  bson_t *parsed = bson_new_from_json(reinterpret_cast<const std::uint8_t *>(json.data()),
                                      static_cast<ssize_t>(json.size()), &error);
  if (parsed == nullptr) {
    return Error(Code::invalid, std::string("not extended JSON: ") + error.message);
  }
  Doc d;
  bson_destroy(d.b_);
  d.b_ = parsed;
  return d;
}

Doc Doc::copy_of(const bson_t *doc) {
  Doc d;
  if (doc != nullptr) {
    bson_destroy(d.b_);
    d.b_ = bson_copy(doc);
  }
  return d;
}

bool Doc::empty() const {
  return bson_empty(b_);
}

Doc &Doc::str(std::string_view key, std::string_view value) {
  check(
      bson_append_utf8(b_, key.data(), key_len(key), value.data(), static_cast<int>(value.size())));
  return *this;
}

Doc &Doc::i32(std::string_view key, std::int32_t value) {
  check(bson_append_int32(b_, key.data(), key_len(key), value));
  return *this;
}

Doc &Doc::i64(std::string_view key, std::int64_t value) {
  check(bson_append_int64(b_, key.data(), key_len(key), value));
  return *this;
}

Doc &Doc::boolean(std::string_view key, bool value) {
  check(bson_append_bool(b_, key.data(), key_len(key), value));
  return *this;
}

Doc &Doc::date(std::string_view key, UnixMillis value) {
  check(bson_append_date_time(b_, key.data(), key_len(key), value));
  return *this;
}

Doc &Doc::null(std::string_view key) {
  check(bson_append_null(b_, key.data(), key_len(key)));
  return *this;
}

Doc &Doc::doc(std::string_view key, const Doc &value) {
  check(value.valid_ && bson_append_document(b_, key.data(), key_len(key), value.b_));
  return *this;
}

Doc &Doc::arr(std::string_view key, const Arr &value) {
  check(value.valid() && bson_append_array(b_, key.data(), key_len(key), value.get()));
  return *this;
}

std::string Doc::canonical_json() const {
  return mongo::canonical_json(b_);
}
std::string Doc::relaxed_json() const {
  return mongo::relaxed_json(b_);
}

Arr &Arr::str(std::string_view value) {
  d_.str(next_key(), value);
  return *this;
}

Arr &Arr::i32(std::int32_t value) {
  d_.i32(next_key(), value);
  return *this;
}

Arr &Arr::doc(const Doc &value) {
  d_.doc(next_key(), value);
  return *this;
}

std::string canonical_json(const bson_t *doc) {
  std::size_t len = 0;
  char *text = bson_as_canonical_extended_json(doc, &len);
  return take(text, len);
}

std::string relaxed_json(const bson_t *doc) {
  std::size_t len = 0;
  char *text = bson_as_relaxed_extended_json(doc, &len);
  return take(text, len);
}

std::string canonicalize_json(std::string_view json) {
  auto parsed = Doc::from_json(json);
  if (!parsed) return {};
  return parsed->canonical_json();
}

Field Field::find(const bson_t *doc, std::string_view dotted_path) {
  Field f;
  if (doc == nullptr) return f;
  bson_iter_t top;
  if (!bson_iter_init(&top, doc)) return f;
  const std::string path(dotted_path);
  f.present_ = bson_iter_find_descendant(&top, path.c_str(), &f.iter_);
  return f;
}

const char *Field::type_name() const {
  switch (type()) {
    case BSON_TYPE_EOD:
      return "missing";
    case BSON_TYPE_DOUBLE:
      return "double";
    case BSON_TYPE_UTF8:
      return "string";
    case BSON_TYPE_DOCUMENT:
      return "object";
    case BSON_TYPE_ARRAY:
      return "array";
    case BSON_TYPE_BINARY:
      return "binData";
    case BSON_TYPE_OID:
      return "objectId";
    case BSON_TYPE_BOOL:
      return "bool";
    case BSON_TYPE_DATE_TIME:
      return "date";
    case BSON_TYPE_NULL:
      return "null";
    case BSON_TYPE_INT32:
      return "int";
    case BSON_TYPE_TIMESTAMP:
      return "timestamp";
    case BSON_TYPE_INT64:
      return "long";
    case BSON_TYPE_DECIMAL128:
      return "decimal";
    default:
      return "other";
  }
}

std::optional<std::string> Field::as_string() const {
  if (type() != BSON_TYPE_UTF8) return std::nullopt;
  std::uint32_t len = 0;
  const char *s = bson_iter_utf8(&iter_, &len);
  return std::string(s, len);
}

std::optional<std::int64_t> Field::as_int() const {
  switch (type()) {
    case BSON_TYPE_INT32:
      return bson_iter_int32(&iter_);
    case BSON_TYPE_INT64:
      return bson_iter_int64(&iter_);
    case BSON_TYPE_DOUBLE: {
      const double d = bson_iter_double(&iter_);
      // Integral and exactly representable: what a JavaScript driver writes for a number.
      if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= 9007199254740992.0) {
        return static_cast<std::int64_t>(d);
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::optional<bool> Field::as_bool() const {
  if (type() == BSON_TYPE_BOOL) return bson_iter_bool(&iter_);
  if (auto n = as_number()) return *n != 0.0;
  return std::nullopt;
}

std::optional<double> Field::as_number() const {
  switch (type()) {
    case BSON_TYPE_INT32:
      return static_cast<double>(bson_iter_int32(&iter_));
    case BSON_TYPE_INT64:
      return static_cast<double>(bson_iter_int64(&iter_));
    case BSON_TYPE_DOUBLE:
      return bson_iter_double(&iter_);
    default:
      return std::nullopt;
  }
}

std::optional<UnixMillis> Field::as_date() const {
  if (type() != BSON_TYPE_DATE_TIME) return std::nullopt;
  return bson_iter_date_time(&iter_);
}

std::optional<Doc> Field::as_doc() const {
  if (type() != BSON_TYPE_DOCUMENT && type() != BSON_TYPE_ARRAY) return std::nullopt;
  std::uint32_t len = 0;
  const std::uint8_t *data = nullptr;
  if (type() == BSON_TYPE_DOCUMENT) {
    bson_iter_document(&iter_, &len, &data);
  } else {
    bson_iter_array(&iter_, &len, &data);
  }
  bson_t view;
  if (!bson_init_static(&view, data, len)) return std::nullopt;
  return Doc::copy_of(&view);
}

}  // namespace acid::store::mongo
