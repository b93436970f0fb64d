#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace acid::store {

struct SqliteOptions {
  // "full" (default): every commit is fsynced before it returns, so an acknowledged write
  // survives power loss. "normal": WAL commits survive a crash of the process but not of the
  // machine; much faster on slow disks.
  bool synchronous_full = true;
  int busy_timeout_ms = 10000;
};

// Parses the query of "sqlite:PATH?synchronous=full|normal&busy_timeout_ms=N".
Result<SqliteOptions> parse_sqlite_options(std::string_view query);

// Opens or creates the SQLite store at `path` and applies pending schema migrations.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string &path,
                                                 const SqliteOptions &options = {});

}  // namespace acid::store
