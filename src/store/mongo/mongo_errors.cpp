#include "store/mongo/mongo_errors.h"

#include <mongoc/mongoc.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "core/enum_names.h"
#include "core/json.h"
#include "store/mongo/mongo_bson.h"

namespace acid::store::mongo {

namespace {

// Server codes after which the operation may be retried (the retryable reads/writes
// specifications' list, plus WriteConflict): the primary is changing or unreachable.
constexpr std::array<int, 14> kRetryableCodes = {
    6,      // HostUnreachable
    7,      // HostNotFound
    89,     // NetworkTimeout
    91,     // ShutdownInProgress
    112,    // WriteConflict
    189,    // PrimarySteppedDown
    262,    // ExceededTimeLimit
    9001,   // SocketException
    10107,  // NotWritablePrimary
    11600,  // InterruptedAtShutdown
    11602,  // InterruptedDueToReplStateChange
    13435,  // NotPrimaryNoSecondaryOk
    13436,  // NotPrimaryOrSecondary
    134,    // ReadConcernMajorityNotAvailableYet
};

constexpr std::array<std::string_view, 4> kRetryableLabels = {
    "RetryableWriteError", "TransientTransactionError", "NetworkError",
    "UnknownTransactionCommitResult"};

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The first key of the document at `path` in `reply`, or "".
std::string first_key_at(const bson_t *reply, const char *path) {
  Field f = Field::find(reply, path);
  if (!f.is_document()) return {};
  bson_iter_t child;
  if (!bson_iter_recurse(&f.iter(), &child) || !bson_iter_next(&child)) return {};
  return bson_iter_key(&child);
}

void collect_labels(const bson_t *reply, const char *path, std::vector<std::string> &out) {
  Field f = Field::find(reply, path);
  if (!f.is_array()) return;
  bson_iter_t child;
  if (!bson_iter_recurse(&f.iter(), &child)) return;
  while (bson_iter_next(&child)) {
    if (bson_iter_type(&child) != BSON_TYPE_UTF8) continue;
    std::string label = bson_iter_utf8(&child, nullptr);
    if (std::find(out.begin(), out.end(), label) == out.end()) out.push_back(std::move(label));
  }
}

std::string labels_json(const std::vector<std::string> &labels) {
  std::string out = "[";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += json::quote(labels[i]);
  }
  return out + "]";
}

}  // namespace

const char *to_string(IndexRole role) {
  using enum IndexRole;
  static constexpr EnumName<IndexRole> kNames[] = {
      {id, "_id"},        {code, "code"},         {did, "did"},
      {handle, "handle"}, {open_job, "open_job"}, {other, "other"}};
  static_assert(in_declaration_order(kNames));
  return name_of(kNames, role, "other");
}

bool is_duplicate_key(const bson_error_t &error) {
  if (error.domain != MONGOC_ERROR_SERVER && error.domain != MONGOC_ERROR_COMMAND &&
      error.domain != MONGOC_ERROR_COLLECTION && error.domain != MONGOC_ERROR_QUERY) {
    return false;
  }
  return error.code == kDuplicateKey || error.code == kDuplicateKeyLegacy ||
         error.code == kDuplicateKeyCapped;
}

IndexRole role_of_key(std::string_view collection, std::string_view first_field) {
  if (first_field == "_id") return IndexRole::id;
  if (collection == "users") {
    if (first_field == "code") return IndexRole::code;
    if (first_field == "atproto.did") return IndexRole::did;
  } else if (collection == "@handles") {
    if (first_field == "handle") return IndexRole::handle;
  } else if (collection == "acid_jobs") {
    if (first_field == "sub") return IndexRole::open_job;
  }
  return IndexRole::other;
}

IndexRole role_of_index_name(std::string_view collection, std::string_view name) {
  if (name == "_id_") return IndexRole::id;
  if (collection == "users") {
    if (name == "code_unique" || name == "code_1") return IndexRole::code;
    if (name == "acid_atproto_did_unique" || name == "atproto.did_1") return IndexRole::did;
  } else if (collection == "@handles") {
    if (name == "acid_handle_ci_unique" || name == "handle_1") return IndexRole::handle;
  } else if (collection == "acid_jobs") {
    if (name == "acid_jobs_open_unique") return IndexRole::open_job;
  }
  return IndexRole::other;
}

DuplicateKey parse_duplicate_key(std::string_view collection, std::string_view message,
                                 const bson_t *reply) {
  DuplicateKey dup;
  dup.message = std::string(message);

  // "... index: NAME dup key: ..." (4.x+) or "... index: db.coll.$NAME dup key ..." (older).
  constexpr std::string_view kIndex = "index: ";
  if (const std::size_t at = message.find(kIndex); at != std::string_view::npos) {
    std::string_view rest = message.substr(at + kIndex.size());
    std::string_view name = rest.substr(0, rest.find(' '));
    if (const std::size_t dollar = name.rfind(".$"); dollar != std::string_view::npos) {
      name.remove_prefix(dollar + 2);
    }
    dup.index = std::string(name);
  }

  // The key: the reply's keyPattern is exact; the message's "dup key: { FIELD: ... }" is the
  // fallback (empty in the oldest servers' "{ : value }" form).
  if (reply != nullptr) {
    dup.field = first_key_at(reply, "keyPattern");
    if (dup.field.empty()) dup.field = first_key_at(reply, "writeErrors.0.keyPattern");
  }
  if (dup.field.empty()) {
    constexpr std::string_view kDupKey = "dup key: {";
    if (const std::size_t at = message.find(kDupKey); at != std::string_view::npos) {
      std::string_view rest = message.substr(at + kDupKey.size());
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      const std::size_t end = rest.find_first_of(": ");
      std::string_view field = rest.substr(0, end);
      if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
        field = field.substr(1, field.size() - 2);
      }
      dup.field = std::string(field);
    }
  }

  if (!dup.field.empty()) dup.role = role_of_key(collection, dup.field);
  if (dup.role == IndexRole::other) dup.role = role_of_index_name(collection, dup.index);
  return dup;
}

std::vector<std::string> error_labels(const bson_t *reply) {
  std::vector<std::string> labels;
  if (reply == nullptr) return labels;
  collect_labels(reply, "errorLabels", labels);
  collect_labels(reply, "writeConcernError.errorLabels", labels);
  return labels;
}

std::string redact_text(std::string_view text, const std::vector<std::string> &secrets) {
  constexpr std::string_view kRedacted = "[redacted]";
  std::string out(text);
  for (const std::string &secret : secrets) {
    if (secret.empty()) continue;
    for (std::size_t at = out.find(secret); at != std::string::npos;
         at = out.find(secret, at + kRedacted.size())) {
      out.replace(at, secret.size(), kRedacted);
    }
  }
  // The credentials of any URI in the text ("scheme://user:pass@host"): the password (or a
  // userinfo without one) is hidden. The userinfo ends at the URI's last '@', so a password
  // holding '/', '?' or '@' is hidden whole (at worst more is).
  constexpr std::string_view kEnd = " \t\r\n\"'<>`";
  for (std::size_t scheme = out.find("://"); scheme != std::string::npos;
       scheme = out.find("://", scheme + 3)) {
    const std::size_t start = scheme + 3;
    const std::size_t end = std::min(out.find_first_of(kEnd, start), out.size());
    const std::size_t at = std::string_view(out).substr(start, end - start).rfind('@');
    if (at == std::string_view::npos) continue;
    const std::string_view userinfo = std::string_view(out).substr(start, at);
    const std::size_t colon = userinfo.find(':');
    const std::size_t from = colon == std::string_view::npos ? start : start + colon + 1;
    const std::size_t len = start + at - from;
    if (std::string_view(out).substr(from, len) != kRedacted) out.replace(from, len, kRedacted);
  }
  return out;
}

Error classify_error(const bson_error_t &error, const bson_t *reply, std::string_view what,
                     std::string_view collection, const std::vector<std::string> &secrets) {
  const std::string message = redact_text(error.message, secrets);
  const std::vector<std::string> labels = error_labels(reply);
  const auto domain = static_cast<int>(error.domain);
  const auto code = static_cast<int>(error.code);
  std::string detail = "{\"mongo_domain\":" + std::to_string(domain) +
                       ",\"mongo_code\":" + std::to_string(code) +
                       ",\"labels\":" + labels_json(labels);
  auto make = [&](Code c, std::string_view hint) {
    std::string text = "MongoDB " + std::string(what) + ": " + message;
    if (!hint.empty()) text += " (" + std::string(hint) + ")";
    return Error(c, std::move(text), detail + "}");
  };

  const bool retryable_label = std::any_of(labels.begin(), labels.end(), [](const auto &l) {
    return std::find(kRetryableLabels.begin(), kRetryableLabels.end(), l) != kRetryableLabels.end();
  });

  if (is_duplicate_key(error)) {
    const DuplicateKey dup = parse_duplicate_key(collection, message, reply);
    detail +=
        ",\"index\":" + json::quote(dup.index) + ",\"role\":" + json::quote(to_string(dup.role));
    return make(Code::conflict, "duplicate key on index " + dup.index);
  }
  if (retryable_label) return make(Code::unavailable, "retryable; try again");

  switch (error.domain) {
    case MONGOC_ERROR_STREAM:
      return make(Code::unavailable, "network error");
    case MONGOC_ERROR_SERVER_SELECTION:
      if (code == MONGOC_ERROR_SERVER_SELECTION_BAD_WIRE_VERSION) {
        return make(Code::config, "the server's version is not supported by libmongoc");
      }
      return make(Code::unavailable, "no suitable server");
    case MONGOC_ERROR_PROTOCOL:
      if (code == MONGOC_ERROR_PROTOCOL_BAD_WIRE_VERSION) {
        return make(Code::config, "the server's version is not supported by libmongoc");
      }
      return make(Code::unavailable, "protocol error");
    case MONGOC_ERROR_SASL:
    case MONGOC_ERROR_SCRAM:
      return make(Code::auth, "authentication failed: check the user and password of the URI");
    case MONGOC_ERROR_CLIENT:
      if (code == MONGOC_ERROR_CLIENT_AUTHENTICATE) {
        return make(Code::auth, "authentication failed: check the user and password of the URI");
      }
      if (code == MONGOC_ERROR_CLIENT_TOO_BIG) return make(Code::invalid, "document too large");
      return make(Code::store, "");
    case MONGOC_ERROR_BSON:
      return make(Code::invalid, "invalid document");
    case MONGOC_ERROR_COMMAND:
      if (code == MONGOC_ERROR_COMMAND_INVALID_ARG) {
        return make(Code::invalid, "libmongoc refused the document");
      }
      break;
    default:
      break;
  }

  // A server code (error API version 2 reports them in MONGOC_ERROR_SERVER and
  // MONGOC_ERROR_WRITE_CONCERN; older domains are accepted too).
  if (std::find(kRetryableCodes.begin(), kRetryableCodes.end(), code) != kRetryableCodes.end()) {
    return make(Code::unavailable, "the primary is changing or unreachable; try again");
  }
  if (contains(message, "not master") || contains(message, "not primary") ||
      contains(message, "node is recovering")) {
    return make(Code::unavailable, "the primary is changing; try again");
  }
  switch (code) {
    case 18:  // AuthenticationFailed
      return make(Code::auth, "authentication failed: check the user and password of the URI");
    case 13:  // Unauthorized
      return make(Code::config,
                  "the database user lacks a privilege: grant it readWrite on the database");
    case kIndexOptionsConflict:
      return make(Code::config,
                  "IndexOptionsConflict: an index on the same key exists with other options or "
                  "another name; run `acidentity doctor`");
    case kIndexKeySpecsConflict:
      return make(Code::config,
                  "IndexKeySpecsConflict: an index of that name exists on another key; run "
                  "`acidentity doctor`");
    case 50:  // MaxTimeMSExpired
      return make(Code::timeout, "the operation's time limit expired");
    case 64:  // WriteConcernFailed
      return make(Code::timeout,
                  "the write was not confirmed by a majority in time; it may still apply");
    case 79:   // UnknownReplWriteConcern
    case 100:  // UnsatisfiableWriteConcern
      return make(Code::config, "the deployment cannot satisfy write concern majority");
    case kNamespaceNotFound:
      return make(Code::store, "namespace not found");
    default:
      break;
  }
  return make(Code::store, "");
}

}  // namespace acid::store::mongo
