// The audit's streaming reads on MongoDB (docs/audit.md): cursor-based, one pass per collection.
//
// scan_accounts merges three cursors sorted by _id (users, verifications, @handles) on the one
// primary, so the whole store is read in three streaming queries whatever its size, holding
// one document per collection in memory. Reads use read concern majority like every other read
// of the adapter. The three cursors are not one snapshot: a user written during the scan may
// be seen in one collection and not yet in another (the audit reports such a user, and a
// second audit settles it). Documents whose _id is not a string (not a sub) are not visited.
#pragma once

#include <mongoc/mongoc.h>

#include <string>
#include <vector>

#include "store/store.h"

namespace acid::store::mongo {

// What the scans borrow from the adapter's connection.
struct ScanContext {
  mongoc_client_pool_t *pool = nullptr;
  std::string database;
  const mongoc_read_prefs_t *primary = nullptr;
  const std::vector<std::string> *secrets = nullptr;  // scrubbed from error messages
};

Status scan_accounts(const ScanContext &ctx, const AccountScanFilter &filter,
                     const AccountVisitor &visit);

// users grouped by the lower-cased code ($group with allowDiskUse), holders of more than one.
Result<std::vector<DuplicateCode>> duplicate_codes(const ScanContext &ctx);

}  // namespace acid::store::mongo
