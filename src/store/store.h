// The store port: the domain operations the library needs from its database, nothing generic,
// as one interface per role (each consumer takes only the roles it uses):
//   code_store.h       secrets and per-year code counters (the allocator)
//   account_reader.h   people and their accounts, read-only (mirror, audit, credentials)
//   account_store.h    log events and the provisioning moves (intake, provisioner)
//   job_store.h        the job queue and its fenced leases (engine, audit)
//   audit_scan.h       the audit's streaming reads
//   content_store.h    content documents and sync cursors (the mirror)
//   dead_letter_store.h  webhook entries refused one by one
// The records they exchange are in records.h. Adapters: SQLite (embedded, src/store/sqlite/)
// and MongoDB (the deployed database shared with aesthetic.computer's own code,
// src/store/mongo/; docs/mongodb.md). Every operation is atomic on its own; no caller ever does
// check-then-insert across two calls. What only tests use is in inspection.h, outside the port.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/account_store.h"
#include "store/audit_scan.h"
#include "store/code_store.h"
#include "store/content_store.h"
#include "store/dead_letter_store.h"
#include "store/job_store.h"

namespace acid::store {

// A whole store: every role, as the engine (the one place that opens a store) holds it.
class Store : public CodeStore,
              public AccountStore,
              public JobStore,
              public AuditScan,
              public ContentStore,
              public DeadLetterStore {
 public:
  Store() = default;
  ~Store() override = default;
  Store(const Store &) = delete;
  Store &operator=(const Store &) = delete;

  // What the store opened without (a MongoDB index the existing data does not allow, e.g. a
  // case-variant duplicate handle): one line each, naming it, what it guards and the fix. The
  // store stays correct without them (the guarded operations check first instead); the engine
  // counts, logs and alerts each one. The embedded store owns its schema: it has none.
  virtual std::vector<std::string> open_problems() const { return {}; }
};

// Opens a store from a URI: "sqlite:PATH" (created and migrated on first use). A bare path is
// refused so a typo never silently creates a database somewhere unexpected.
Result<std::unique_ptr<Store>> open_store(std::string_view uri);

}  // namespace acid::store
