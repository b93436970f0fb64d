// The audit's streaming reads over the whole store: a few queries for the whole
// audit, never one per user per collection.
#pragma once

#include "store/records.h"

namespace acid::store {

class AuditScan {
 public:
  virtual ~AuditScan() = default;

  // A few queries for the whole audit, never one per user per collection.

  // Calls `visit` once per sub known to users, verifications or provisioning (the union; the
  // same joined view get_account gives, plus which records exist), each exactly once, in no
  // particular order (MongoDB: ascending), filtered by `filter`. The store stays locked/borrowed
  // while it runs: `visit` must not call the store. A failed `visit` stops the scan and is
  // returned.
  virtual Status scan_accounts(const AccountScanFilter &filter, const AccountVisitor &visit) = 0;
  // Codes held by more than one users record, compared case-insensitively (the users index
  // makes exact duplicates impossible in SQLite; a non-unique MongoDB index does not).
  virtual Result<std::vector<DuplicateCode>> duplicate_codes() = 0;
};

}  // namespace acid::store
