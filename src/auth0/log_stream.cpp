#include "auth0/log_stream.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <rapidjson/document.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <unordered_set>

#include "auth0/log_stream_body.h"
#include "core/ascii.h"

namespace acid::auth0 {

namespace {

using rapidjson::SizeType;
using rapidjson::Value;

constexpr std::size_t kMaxIdBytes = 255;     // log_id, user_id, tenant_name
constexpr std::size_t kMaxEmailBytes = 254;  // RFC 5321 path limit
constexpr std::size_t kMaxTypeBytes = 64;    // Auth0 type codes are a few characters

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

// The optional fields (tenant_name, the email sources) into `event`. One that is present but
// unusable is dropped and listed, never a reason to lose the person's event; the Reason returned
// (the entry is rejected) is only for an ambiguous entry or a tenant_name naming the other tenant.
std::optional<Reason> read_optional_fields(const Value &data, Tenant tenant,
                                           const ParseLimits &limits, LogEvent &event) {
  auto drop = [&](std::string field, std::string reason) {
    event.dropped.push_back(DroppedField{std::move(field), std::move(reason)});
  };
  const StringField tenant_field =
      string_member(data, "tenant_name", "data.tenant_name", true, limits);
  std::optional<Reason> tenant_problem = tenant_field.problem;
  if (!tenant_problem && tenant_field.text) {
    tenant_problem = identifier_problem(*tenant_field.text, "data.tenant_name", kMaxIdBytes);
  }
  if (tenant_problem) {
    drop("data.tenant_name", *tenant_problem);
  } else if (tenant_field.text) {
    // A log from the other known tenant posted to this tenant's stream would get the wrong sub.
    const std::optional<Tenant> named = parse_tenant(*tenant_field.text);
    if (named && *named != tenant) {
      return Reason("data.tenant_name \"" + std::string(*tenant_field.text) +
                    "\" is not this stream's tenant \"" + std::string(tenant_name(tenant)) + "\"");
    }
    event.tenant_name = std::string(*tenant_field.text);
  }

  // Email: data.details.body.email first (what the deployed handler read). details and body are
  // opaque containers: when they are not objects there is simply no body email.
  std::optional<std::string_view> email;
  const Member details = find_member(data, "details");
  if (details.duplicate) return Reason(duplicate_reason("data.details"));
  if (details.value != nullptr && details.value->IsObject()) {
    const Member body = find_member(*details.value, "body");
    if (body.duplicate) return Reason(duplicate_reason("data.details.body"));
    if (body.value != nullptr && body.value->IsObject()) {
      const StringField e =
          string_member(*body.value, "email", "data.details.body.email", true, limits);
      if (e.problem) {
        drop("data.details.body.email", *e.problem);
      } else if (e.text && !looks_like_email(*e.text)) {
        drop("data.details.body.email", "data.details.body.email is not an email address");
      } else if (e.text) {
        email = e.text;
      }
    }
  }
  const StringField user_name = string_member(data, "user_name", "data.user_name", true, limits);
  if (user_name.problem) drop("data.user_name", *user_name.problem);
  if (!email && user_name.text && looks_like_email(*user_name.text)) email = user_name.text;
  if (email) event.email = std::string(*email);
  return std::nullopt;
}

struct Classified {
  bool handled = false;
  LogEvent event;  // log_id and type always set; the rest only when handled
};

struct Rejection {
  std::optional<std::string> log_id;
  Reason reason;
  const char *kind = "invalid_field";
};

// Validates one entry. Returns the classified entry, or fills `rejection` and returns nullopt.
std::optional<Classified> classify(const Value &entry, Tenant tenant, const ParseLimits &limits,
                                   Rejection &rejection) {
  auto reject = [&](Reason reason) -> std::optional<Classified> {
    rejection.reason = std::move(reason);
    return std::nullopt;
  };
  if (!entry.IsObject()) {
    rejection.kind = "not_object";
    return reject(std::string("entry is not an object (") + kind_name(entry) + ")");
  }

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

  if (auto problem = read_optional_fields(data, tenant, limits, out.event)) return reject(*problem);
  out.event.user_id = std::string(*user_id.text);
  out.event.sub = stored_sub(tenant, *user_id.text);
  out.event.date = *when;
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

}  // namespace

bool is_handled_type(std::string_view type) {
  return type == "ss" || type == "sv" || type == "sce" || type == "sdu";
}

Result<ParsedBatch> parse_log_stream(std::string_view body, Tenant tenant,
                                     const ParseLimits &limits) {
  ACID_ASSIGN_OR_RETURN(const body::Scan scanned, body::scan(body, limits));
  const std::string_view text = scanned.text(body);

  ParsedBatch batch;
  batch.total = scanned.entries.size();
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < scanned.entries.size(); ++i) {
    const body::EntrySpan &span = scanned.entries[i];
    auto reject = [&](std::optional<std::string> log_id, std::string reason, std::string kind) {
      // The original bytes: a marked lone surrogate is kept as it was posted.
      batch.rejected.push_back(
          RejectedEntry{i, std::move(log_id), std::move(reason), std::move(kind),
                        std::string(body.substr(span.begin, span.end - span.begin))});
    };
    rapidjson::Document entry;
    if (auto problem = body::parse_entry(text.substr(span.begin, span.end - span.begin),
                                         span.enclosing, limits, entry)) {
      reject(std::nullopt, std::move(problem->reason), std::move(problem->kind));
      continue;
    }
    Rejection rejection;
    std::optional<Classified> c = classify(entry, tenant, limits, rejection);
    if (!c) {
      reject(std::move(rejection.log_id), std::move(rejection.reason), rejection.kind);
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

std::string_view type_label(std::string_view type) {
  // Handled types, then the common Auth0 codes a tenant's stream carries (logins, failures,
  // password changes, API operations, ...). Anything else counts as "other".
  static constexpr std::string_view kKnown[] = {"ss",
                                                "sv",
                                                "sce",
                                                "sdu",
                                                "s",
                                                "f",
                                                "fp",
                                                "fu",
                                                "fs",
                                                "fsa",
                                                "ssa",
                                                "slo",
                                                "flo",
                                                "scp",
                                                "fcp",
                                                "scpr",
                                                "fcpr",
                                                "sapi",
                                                "fapi",
                                                "seccft",
                                                "feccft",
                                                "seacft",
                                                "feacft",
                                                "sens",
                                                "fens",
                                                "du",
                                                "fn",
                                                "sd",
                                                "fd",
                                                "limit_wc",
                                                "limit_mu",
                                                "pwd_leak",
                                                "w",
                                                "cls",
                                                "cs",
                                                "gd_auth_succeed",
                                                "gd_auth_failed",
                                                "mgmt_api_read"};
  for (std::string_view known : kKnown) {
    if (known == type) return known;
  }
  return "other";
}

std::string stored_log_id(Tenant tenant, std::string_view log_id) {
  return "auth0:" + std::string(tenant_name(tenant)) + ":" + std::string(log_id);
}

bool is_utf8(std::string_view text) {
  return body::valid_utf8(text.data(), text.size());
}

bool is_too_large(const Error &error) {
  return error.code == Code::invalid && error.detail_json == R"({"reason":"too_large"})";
}

AuthResult check_authorization(std::optional<std::string_view> header,
                               std::optional<std::string_view> configured_token) {
  if (!configured_token || configured_token->empty()) return AuthResult::not_configured;
  if (!header || header->empty()) return AuthResult::missing;

  // Equal-length SHA-256 digests compared with CRYPTO_memcmp: the time taken depends neither on
  // where the header and the token differ nor on the token's length. Both forms (bare and
  // "Bearer <token>") are always computed and compared, and combined without short-circuit.
  constexpr std::string_view kScheme = "bearer ";
  const bool bearer = starts_with_ignoring_case(*header, kScheme);
  const std::string_view rest = bearer ? header->substr(kScheme.size()) : *header;
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
