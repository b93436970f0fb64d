// The indexes the MongoDB adapter needs, and the exact comparison with what a database has
// (the output of listIndexes). Pure functions, unit-tested without a server.
//
// Identity: MongoDB keeps apart indexes on the same key only when their collations differ, so
// an expected index is looked for among the existing ones with the same key (same fields, same
// order, same directions/types; 1 == 1.0 == NumberLong(1)) and the same collation (explicit
// ICU attributes or their defaults; {locale:"simple"} == none). Among those:
//   - same semantic options (unique, sparse, partialFilterExpression with {f: v} == {f: {$eq: v}},
//     expireAfterSeconds, hidden), under any name          -> found (code_1 == code_unique)
//   - other options                                        -> conflicting, with the fix to run
//   - none                                                 -> missing: created (safe)
// Existing indexes the library does not need are listed as extra and left alone.
//
// Opening: only a *required* index (one the store cannot be correct without) that is conflicting
// or cannot be built stops the store from opening. Any other problem (a case-variant duplicate
// handle or a DID shared by two documents in the production data makes the unique index
// unbuildable) opens the store degraded: the operations that index guarded check first instead,
// and the problem is reported (doctor failure, metric, alert) until someone cleans the data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/mongo/mongo_bson.h"
#include "store/mongo/mongo_errors.h"

namespace acid::store::mongo {

struct IndexSpec {
  std::string collection;
  std::string name;  // the name the library creates it under
  IndexRole role = IndexRole::other;
  Doc key;
  Doc options;          // unique / sparse / partialFilterExpression / collation, as created
  std::string purpose;  // one line: why the library needs it
  std::string check;    // for unique indexes: a shell query listing the documents violating it
  // The store cannot be correct without it (docs/mongodb.md says why for each index): a problem
  // with it refuses to open. Every other index is guarded in software or only speeds reads up.
  bool required = false;
};

// Every index the adapter needs, in creation order.
std::vector<IndexSpec> required_indexes();

// The collections those indexes live on (each listed once, in order).
std::vector<std::string> indexed_collections(const std::vector<IndexSpec> &specs);

enum class IndexStatus { found, missing, conflicting, created, create_failed };
const char *to_string(IndexStatus status);

struct IndexCheck {
  IndexSpec spec;
  IndexStatus status = IndexStatus::missing;
  std::string existing_name;  // found / conflicting
  Doc existing;               // the listIndexes entry (found / conflicting)
  std::string problem;        // conflicting: what differs; create_failed: the error
  std::string fix;            // conflicting / create_failed: what to run
};

struct ExtraIndex {
  std::string collection;
  std::string name;
  Doc key;
};

struct IndexReport {
  std::vector<IndexCheck> checks;
  std::vector<ExtraIndex> extra;

  std::size_t count(IndexStatus status) const;
  bool ready() const {  // nothing conflicting, nothing that failed to be created
    return count(IndexStatus::conflicting) == 0 && count(IndexStatus::create_failed) == 0;
  }
};

// Compares the listIndexes output of `collection` with the specs for that collection (specs of
// other collections are ignored). Appends to `report`.
void compare_indexes(std::string_view collection, const std::vector<Doc> &listed,
                     const std::vector<IndexSpec> &specs, IndexReport &report);

// The createIndexes command creating `specs` (all on `collection`).
Doc create_indexes_command(std::string_view collection,
                           const std::vector<const IndexSpec *> &specs);

// One startup error (Code::config) describing every conflicting / failed index and its fix.
Error conflicts_error(std::string_view database, const IndexReport &report);

// Records what creating the missing index of `check` gave: created, or create_failed with the
// problem and the fix (e.g. a duplicate key: existing documents violate the unique index). A
// failure of the server itself (unavailable, auth, timeout) says nothing about the data and is
// returned instead.
Status record_creation(IndexCheck &check, const Status &created);

// The problems (conflicting / create_failed checks) of a report.
std::vector<const IndexCheck *> index_problems(const IndexReport &report);

// Whether a store with this report may open: Code::config (conflicts_error) when a required
// index has a problem; otherwise the problems it opens with (empty when everything is in place).
Result<std::vector<IndexCheck>> open_decision(std::string_view database, const IndexReport &report);

// One line per problem for logs, metrics and alerts: "@handles.acid_handle_ci_unique: ...".
std::string problem_line(const IndexCheck &check);

// The doctor's JSON report:
// {"database":..., "fix":bool, "ready":bool,
//  "summary":{"expected":N,"found":N,"conflicting":N,"would_create":N,"created":N,"create_failed":N},
//  "indexes":[{"collection","name","key","options","purpose","status",
//              "existing_name"?,"existing"?,"problem"?,"fix"?}...],
//  "extra":[{"collection","name","key"}...]}
std::string doctor_json(std::string_view database, bool fix, const IndexReport &report);

}  // namespace acid::store::mongo
