#include "auth0/log_stream.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <unordered_set>

namespace acid::auth0 {

namespace {

using rapidjson::SizeType;
using rapidjson::Value;

constexpr std::size_t kMaxIdBytes = 255;     // log_id, user_id, tenant_name
constexpr std::size_t kMaxEmailBytes = 254;  // RFC 5321 path limit
constexpr std::size_t kMaxTypeBytes = 64;    // Auth0 type codes are a few characters

// Iterative parsing keeps deep nesting off the call stack; encoding validation rejects invalid raw
// UTF-8. Nothing lenient (comments, NaN, trailing commas) is enabled.
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// ---------------------------------------------------------------------------------------------
// Body-level parsing

Error malformed(std::string_view reason, const std::string &message) {
  return Error(Code::invalid, "malformed log stream body: " + message,
               "{\"reason\":\"" + std::string(reason) + "\"}");
}

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_blank(std::string_view text) {
  for (char c : text) {
    if (!is_json_space(c)) return false;
  }
  return true;
}

// Strict UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
// RapidJSON validates the raw bytes, but it turns a lone low-surrogate escape ("\udc00") into
// bytes that are not UTF-8; every decoded string and key passes through here as well.
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

// Forwards SAX events into a Document while enforcing the nesting limit and strict UTF-8 on every
// decoded string. Returning false stops the reader (kParseErrorTermination).
class LimitedHandler {
 public:
  enum class Stop { none, too_deep, bad_utf8 };

  LimitedHandler(rapidjson::Document &doc, std::size_t max_depth)
      : doc_(doc), max_depth_(max_depth) {}

  Stop stop() const { return stop_; }

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(std::int64_t i) { return doc_.Int64(i); }
  bool Uint64(std::uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char *s, SizeType n, bool copy) { return doc_.RawNumber(s, n, copy); }
  bool String(const char *s, SizeType n, bool copy) {
    return text_ok(s, n) && doc_.String(s, n, copy);
  }
  bool Key(const char *s, SizeType n, bool copy) { return text_ok(s, n) && doc_.Key(s, n, copy); }
  bool StartObject() { return enter() && doc_.StartObject(); }
  bool EndObject(SizeType members) {
    --depth_;
    return doc_.EndObject(members);
  }
  bool StartArray() { return enter() && doc_.StartArray(); }
  bool EndArray(SizeType elements) {
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
  bool text_ok(const char *s, SizeType n) {
    if (valid_utf8(s, n)) return true;
    stop_ = Stop::bad_utf8;
    return false;
  }

  rapidjson::Document &doc_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
  Stop stop_ = Stop::none;
};

struct JsonFailure {
  bool root_not_singular = false;  // one complete value followed by more text
  Error error;
};

// Parses exactly one JSON value spanning all of `text` into `handler`. nullopt on success.
std::optional<JsonFailure> run_reader(std::string_view text, LimitedHandler &handler,
                                      const ParseLimits &limits) {
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(text.data(), text.size());
  const rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, handler);
  if (!result.IsError()) {
    // MemoryStream reports '\0' at its end; the caller rejects NUL bytes, so the value must have
    // consumed everything. Checked anyway so that no text is ever silently skipped.
    if (stream.Tell() != text.size()) {
      return JsonFailure{false, malformed("invalid_json", "unexpected text at offset " +
                                                              std::to_string(stream.Tell()))};
    }
    return std::nullopt;
  }
  switch (handler.stop()) {
    case LimitedHandler::Stop::too_deep:
      return JsonFailure{
          false, malformed("too_deep",
                           "nesting deeper than " + std::to_string(limits.max_depth) + " levels")};
    case LimitedHandler::Stop::bad_utf8:
      return JsonFailure{false,
                         malformed("invalid_utf8", "a string is not valid UTF-8 (near offset " +
                                                       std::to_string(result.Offset()) + ")")};
    case LimitedHandler::Stop::none:
      break;
  }
  const std::string where = "invalid JSON at offset " + std::to_string(result.Offset()) + ": " +
                            rapidjson::GetParseError_En(result.Code());
  switch (result.Code()) {
    case rapidjson::kParseErrorStringInvalidEncoding:
    case rapidjson::kParseErrorStringUnicodeSurrogateInvalid:
      return JsonFailure{false, malformed("invalid_utf8", where)};
    case rapidjson::kParseErrorDocumentRootNotSingular:
      return JsonFailure{true, malformed("invalid_json", where)};
    default:
      return JsonFailure{false, malformed("invalid_json", where)};
  }
}

// The whole body as one JSON value.
Result<rapidjson::Document> parse_single(std::string_view body, const ParseLimits &limits,
                                         bool &root_not_singular) {
  root_not_singular = false;
  rapidjson::Document doc;
  std::optional<JsonFailure> failure;
  auto generate = [&](rapidjson::Document &target) {
    LimitedHandler handler(target, limits.max_depth);
    failure = run_reader(body, handler, limits);
    return !failure.has_value();
  };
  doc.Populate(generate);
  if (failure) {
    root_not_singular = failure->root_not_singular;
    return std::move(failure->error);
  }
  return doc;
}

// JSON lines: every non-blank line is one JSON object. Built as one array document (one
// allocator for the whole batch). Any line that isn't a JSON object makes the body malformed.
Result<rapidjson::Document> parse_lines(std::string_view body, const ParseLimits &limits) {
  std::vector<std::string_view> lines;
  std::vector<std::size_t> line_numbers;
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    ++line_no;
    const std::string_view line = body.substr(start, end - start);
    if (!is_blank(line)) {
      if (lines.size() == limits.max_entries) {
        return malformed("too_many_entries",
                         "more than " + std::to_string(limits.max_entries) + " entries");
      }
      lines.push_back(line);
      line_numbers.push_back(line_no);
    }
    start = end + 1;
  }

  rapidjson::Document doc;
  std::optional<Error> failure;
  auto generate = [&](rapidjson::Document &target) {
    target.StartArray();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      LimitedHandler handler(target, limits.max_depth);
      if (auto f = run_reader(lines[i], handler, limits)) {
        failure = std::move(f->error);
        failure->context("line " + std::to_string(line_numbers[i]));
        return false;
      }
    }
    return target.EndArray(static_cast<SizeType>(lines.size()));
  };
  doc.Populate(generate);
  if (failure) return std::move(*failure);
  for (SizeType i = 0; i < doc.Size(); ++i) {
    if (!doc[i].IsObject()) {
      return malformed("bad_shape", "JSON lines: line " + std::to_string(line_numbers[i]) +
                                        " is not a JSON object");
    }
  }
  return doc;
}

// ---------------------------------------------------------------------------------------------
// Entry-level validation

const char *kind_name(const Value &v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "boolean";
    case rapidjson::kObjectType:
      return "object";
    case rapidjson::kArrayType:
      return "array";
    case rapidjson::kStringType:
      return "string";
    case rapidjson::kNumberType:
      return "number";
  }
  return "unknown";
}

// A member looked up strictly: a name given twice is ambiguous, so it is an error rather than
// "the first one wins" (parsers disagree on that, and the entry would mean two things).
struct Member {
  const Value *value = nullptr;
  bool duplicate = false;
};

Member find_member(const Value &object, std::string_view name) {
  Member found;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    const std::string_view key(it->name.GetString(), it->name.GetStringLength());
    if (key != name) continue;
    if (found.value != nullptr) return Member{nullptr, true};
    found.value = &it->value;
  }
  return found;
}

// Reason an entry is rejected.
using Reason = std::string;

Reason duplicate_reason(std::string_view path) {
  return std::string(path) + " appears more than once";
}

// A string member. nullopt when absent (or null, if null_is_absent); a Reason when it has another
// type, appears twice or is too long.
struct StringField {
  std::optional<std::string_view> text;
  std::optional<Reason> problem;
};

StringField string_member(const Value &object, std::string_view name, std::string_view path,
                          bool null_is_absent, const ParseLimits &limits) {
  const Member m = find_member(object, name);
  if (m.duplicate) return {std::nullopt, duplicate_reason(path)};
  if (m.value == nullptr) return {};
  if (null_is_absent && m.value->IsNull()) return {};
  if (!m.value->IsString()) {
    return {std::nullopt, std::string(path) + " is not a string (" + kind_name(*m.value) + ")"};
  }
  const std::string_view text(m.value->GetString(), m.value->GetStringLength());
  if (text.size() > limits.max_string_bytes) {
    return {std::nullopt, std::string(path) + " is longer than " +
                              std::to_string(limits.max_string_bytes) + " bytes"};
  }
  return {text, std::nullopt};
}

// C0 controls, DEL and the C1 controls (U+0080..U+009F, encoded C2 80..C2 9F).
bool has_control(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

std::optional<Reason> identifier_problem(std::string_view text, std::string_view path,
                                         std::size_t max_bytes) {
  if (text.empty()) return std::string(path) + " is empty";
  if (text.size() > max_bytes) {
    return std::string(path) + " is longer than " + std::to_string(max_bytes) + " bytes";
  }
  if (has_control(text)) return std::string(path) + " contains control characters";
  return std::nullopt;
}

bool looks_like_email(std::string_view text) {
  if (text.empty() || text.size() > kMaxEmailBytes) return false;
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == text.size()) return false;
  if (text.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return false;
  }
  return !has_control(text);
}

struct Classified {
  bool handled = false;
  LogEvent event;  // log_id and type always set; the rest only when handled
};

struct Rejection {
  std::optional<std::string> log_id;
  Reason reason;
};

// Validates one entry. Returns the classified entry, or fills `rejection` and returns nullopt.
std::optional<Classified> classify(const Value &entry, Tenant tenant, const ParseLimits &limits,
                                   Rejection &rejection) {
  auto reject = [&](Reason reason) -> std::optional<Classified> {
    rejection.reason = std::move(reason);
    return std::nullopt;
  };
  if (!entry.IsObject())
    return reject(std::string("entry is not an object (") + kind_name(entry) + ")");

  const StringField top_id = string_member(entry, "log_id", "log_id", false, limits);
  if (top_id.problem) return reject(*top_id.problem);

  const Member data_member = find_member(entry, "data");
  if (data_member.duplicate) return reject(duplicate_reason("data"));
  if (data_member.value == nullptr) return reject("data is missing");
  if (!data_member.value->IsObject()) {
    return reject(std::string("data is not an object (") + kind_name(*data_member.value) + ")");
  }
  const Value &data = *data_member.value;

  const StringField data_id = string_member(data, "log_id", "data.log_id", false, limits);
  if (data_id.problem) return reject(*data_id.problem);
  if (!top_id.text && !data_id.text) return reject("log_id is missing");
  if (top_id.text && data_id.text && *top_id.text != *data_id.text) {
    return reject("log_id and data.log_id disagree");
  }
  const std::string_view log_id = top_id.text ? *top_id.text : *data_id.text;
  if (auto p = identifier_problem(log_id, "log_id", kMaxIdBytes)) return reject(*p);
  rejection.log_id = std::string(log_id);

  const StringField type = string_member(data, "type", "data.type", false, limits);
  if (type.problem) return reject(*type.problem);
  if (!type.text) return reject("data.type is missing");
  if (auto p = identifier_problem(*type.text, "data.type", kMaxTypeBytes)) return reject(*p);

  Classified out;
  out.event.log_id = std::string(log_id);
  out.event.type = std::string(*type.text);
  out.handled = is_handled_type(*type.text);
  if (!out.handled) return out;

  const StringField user_id = string_member(data, "user_id", "data.user_id", false, limits);
  if (user_id.problem) return reject(*user_id.problem);
  if (!user_id.text) return reject("data.user_id is missing");
  if (auto p = identifier_problem(*user_id.text, "data.user_id", kMaxIdBytes)) return reject(*p);
  // "sotce-" marks sotce subs in the store; an aesthetic id carrying it would alias a sotce user.
  if (user_id.text->starts_with(kSotceSubPrefix)) {
    return reject("data.user_id starts with the reserved prefix \"sotce-\"");
  }

  const StringField date = string_member(data, "date", "data.date", false, limits);
  if (date.problem) return reject(*date.problem);
  if (!date.text) return reject("data.date is missing");
  Result<UnixMillis> when = parse_timestamp(*date.text);
  if (!when) return reject("data.date is not an ISO 8601 timestamp");

  const StringField tenant_field =
      string_member(data, "tenant_name", "data.tenant_name", true, limits);
  if (tenant_field.problem) return reject(*tenant_field.problem);
  if (tenant_field.text) {
    if (auto p = identifier_problem(*tenant_field.text, "data.tenant_name", kMaxIdBytes)) {
      return reject(*p);
    }
    // A log from the other known tenant posted to this tenant's stream would get the wrong sub.
    const std::optional<Tenant> named = parse_tenant(*tenant_field.text);
    if (named && *named != tenant) {
      return reject("data.tenant_name \"" + std::string(*tenant_field.text) +
                    "\" is not this stream's tenant \"" + std::string(tenant_name(tenant)) + "\"");
    }
    out.event.tenant_name = std::string(*tenant_field.text);
  }

  // Email: data.details.body.email first (what the deployed handler read). details and body are
  // opaque containers: when they are not objects there is simply no body email. The email itself
  // must be a string that looks like an address.
  std::optional<std::string_view> email;
  const Member details = find_member(data, "details");
  if (details.duplicate) return reject(duplicate_reason("data.details"));
  if (details.value != nullptr && details.value->IsObject()) {
    const Member body = find_member(*details.value, "body");
    if (body.duplicate) return reject(duplicate_reason("data.details.body"));
    if (body.value != nullptr && body.value->IsObject()) {
      const StringField e =
          string_member(*body.value, "email", "data.details.body.email", true, limits);
      if (e.problem) return reject(*e.problem);
      if (e.text) {
        if (!looks_like_email(*e.text)) {
          return reject("data.details.body.email is not an email address");
        }
        email = e.text;
      }
    }
  }
  const StringField user_name = string_member(data, "user_name", "data.user_name", true, limits);
  if (user_name.problem) return reject(*user_name.problem);
  if (!email && user_name.text && looks_like_email(*user_name.text)) email = user_name.text;

  out.event.user_id = std::string(*user_id.text);
  out.event.sub = stored_sub(tenant, *user_id.text);
  out.event.date = *when;
  if (email) out.event.email = std::string(*email);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Authorization

using Digest = std::array<unsigned char, 32>;

bool sha256(std::string_view text, Digest &out) {
  unsigned int len = 0;
  return EVP_Digest(text.data(), text.size(), out.data(), &len, EVP_sha256(), nullptr) == 1 &&
         len == out.size();
}

bool starts_with_bearer(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return false;
  }
  return true;
}

}  // namespace

bool is_handled_type(std::string_view type) {
  return type == "ss" || type == "sv" || type == "sce" || type == "sdu";
}

Result<ParsedBatch> parse_log_stream(std::string_view body, Tenant tenant,
                                     const ParseLimits &limits) {
  if (body.size() > limits.max_body_bytes) {
    return malformed("too_large", "the body is " + std::to_string(body.size()) +
                                      " bytes, over the limit of " +
                                      std::to_string(limits.max_body_bytes));
  }
  if (is_blank(body)) return malformed("empty", "the body is empty");
  if (body.find('\0') != std::string_view::npos) {
    return malformed("invalid_json", "the body contains a NUL byte");
  }

  // One JSON value (array, {"logs": [...]}, or a single log object, i.e. one JSON line) or, when
  // a complete value is followed by more text, JSON lines.
  bool root_not_singular = false;
  Result<rapidjson::Document> parsed = parse_single(body, limits, root_not_singular);
  if (!parsed && root_not_singular) parsed = parse_lines(body, limits);
  if (!parsed) return parsed.error();
  const rapidjson::Document &doc = *parsed;

  const Value *entries = nullptr;
  bool single = false;
  if (doc.IsArray()) {
    entries = &doc;
  } else if (doc.IsObject()) {
    const Member logs = find_member(doc, "logs");
    if (logs.duplicate) return malformed("bad_shape", "\"logs\" appears more than once");
    if (logs.value == nullptr) {
      single = true;  // a one-line JSON lines body
    } else if (logs.value->IsArray()) {
      entries = logs.value;
    } else {
      return malformed("bad_shape",
                       std::string("\"logs\" is not an array (") + kind_name(*logs.value) + ")");
    }
  } else {
    return malformed("bad_shape", std::string("expected a JSON array, JSON lines or an object "
                                              "with a \"logs\" array, got ") +
                                      kind_name(doc));
  }

  const std::size_t count = single ? 1 : entries->Size();
  if (count > limits.max_entries) {
    return malformed("too_many_entries", std::to_string(count) + " entries, over the limit of " +
                                             std::to_string(limits.max_entries));
  }

  ParsedBatch batch;
  batch.total = count;
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < count; ++i) {
    const Value &entry =
        single ? static_cast<const Value &>(doc) : (*entries)[static_cast<SizeType>(i)];
    Rejection rejection;
    std::optional<Classified> c = classify(entry, tenant, limits, rejection);
    if (!c) {
      batch.rejected.push_back(
          RejectedEntry{i, std::move(rejection.log_id), std::move(rejection.reason)});
      continue;
    }
    if (!seen.insert(c->event.log_id).second) {
      ++batch.duplicates_in_batch;
      continue;
    }
    if (c->handled) {
      batch.events.push_back(std::move(c->event));
    } else {
      ++batch.ignored;
      ++batch.ignored_by_type[c->event.type];
    }
  }
  return batch;
}

AuthResult check_authorization(std::optional<std::string_view> header,
                               std::optional<std::string_view> configured_token) {
  if (!configured_token || configured_token->empty()) return AuthResult::not_configured;
  if (!header || header->empty()) return AuthResult::missing;

  // Equal-length SHA-256 digests compared with CRYPTO_memcmp: the time taken depends neither on
  // where the header and the token differ nor on the token's length. Both forms (bare and
  // "Bearer <token>") are always computed and compared, and combined without short-circuit.
  const bool bearer = starts_with_bearer(*header);
  const std::string_view rest = bearer ? header->substr(7) : *header;
  Digest token_digest{}, bare_digest{}, rest_digest{};
  if (!sha256(*configured_token, token_digest) || !sha256(*header, bare_digest) ||
      !sha256(rest, rest_digest)) {
    return AuthResult::invalid;  // a digest failure can't prove the token: refuse (fail closed)
  }
  const unsigned bare_equal =
      CRYPTO_memcmp(token_digest.data(), bare_digest.data(), token_digest.size()) == 0 ? 1u : 0u;
  const unsigned rest_equal =
      CRYPTO_memcmp(token_digest.data(), rest_digest.data(), token_digest.size()) == 0 ? 1u : 0u;
  const unsigned match = bare_equal | (rest_equal & (bearer ? 1u : 0u));
  return match != 0 ? AuthResult::ok : AuthResult::invalid;
}

}  // namespace acid::auth0
