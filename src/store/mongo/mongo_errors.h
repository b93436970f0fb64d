// Classification of MongoDB failures (libmongoc's bson_error_t plus the server's reply) into the
// library's error codes. Pure functions: the unit tests build the inputs by hand.
#pragma once

#include <bson/bson.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace acid::store::mongo {

// Which of the library's unique indexes a duplicate-key error came from.
enum class IndexRole {
  id,        // _id: the document exists
  code,      // users.code: the user code is taken
  did,       // users.atproto.did: the DID belongs to someone else
  handle,    // @handles.handle: the AC handle is taken
  open_job,  // acid_jobs (sub, kind) while open: an open job exists
  other,     // some other unique index (reported, never guessed at)
};
const char *to_string(IndexRole role);

// Server error codes the adapter names.
inline constexpr int kDuplicateKey = 11000;
inline constexpr int kDuplicateKeyLegacy = 11001;
inline constexpr int kDuplicateKeyCapped = 12582;
inline constexpr int kIndexOptionsConflict = 85;
inline constexpr int kIndexKeySpecsConflict = 86;
inline constexpr int kNamespaceNotFound = 26;

// What an E11000 error says: the index name (from "index: NAME" in the message, or the older
// "index: db.coll.$NAME"), the first field of the duplicated key (from the reply's keyPattern
// when the server sends one, else from "dup key: { FIELD: ..."), and the role these map to.
struct DuplicateKey {
  std::string index;
  std::string field;
  IndexRole role = IndexRole::other;
  std::string message;  // the server's message, credentials redacted
};

bool is_duplicate_key(const bson_error_t &error);

// The role of an index on `collection` whose key starts with `first_field`.
IndexRole role_of_key(std::string_view collection, std::string_view first_field);

// The role of an index known by name: the library's names and the deployed ones (code_1 and
// code_unique, handle_1, _id_).
IndexRole role_of_index_name(std::string_view collection, std::string_view name);

// Parses a duplicate-key failure on `collection`: the role comes from the key's first field
// when known, else from the index name. `reply` may be null.
DuplicateKey parse_duplicate_key(std::string_view collection, std::string_view message,
                                 const bson_t *reply);

// The errorLabels of a reply (top level, and those of a writeConcernError).
std::vector<std::string> error_labels(const bson_t *reply);

// Turns a libmongoc failure into an Error. `what` names the operation ("update on users").
// `secrets` (the URI's password, raw and decoded) are removed from the message, as are the
// credentials of any URI in it. Mapping:
//   labels RetryableWriteError, TransientTransactionError, NetworkError, or a network / server
//   selection failure, or a "not primary" / shutdown / stepdown code -> Code::unavailable
//   authentication failures (code 18, SASL/SCRAM, client auth) -> Code::auth
//   13 Unauthorized (missing privilege), 85 IndexOptionsConflict, 86 IndexKeySpecsConflict,
//   write concerns the deployment cannot satisfy, a server too old -> Code::config
//   11000 duplicate key -> Code::conflict, detail naming the index
//   50 MaxTimeMSExpired, 64 WriteConcernFailed (wtimeout) -> Code::timeout
//   invalid documents (libmongoc refused to send them) -> Code::invalid
//   anything else -> Code::store
// detail_json: {"mongo_domain":N,"mongo_code":N,"labels":[...]} (+ "index" for 11000).
Error classify_error(const bson_error_t &error, const bson_t *reply, std::string_view what,
                     std::string_view collection, const std::vector<std::string> &secrets);

// Replaces each secret, and the password (or password-less userinfo) of any URI, in a text with
// "[redacted]".
std::string redact_text(std::string_view text, const std::vector<std::string> &secrets);

}  // namespace acid::store::mongo
