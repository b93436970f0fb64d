// The SQLite adapter's side of the transition table (provision/account_transitions.h): it reads
// the facts the rules use and writes a decision's state and dropped jobs generically, inside the
// caller's transaction. No state rule lives here or in the SQL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "provision/account_transitions.h"
#include "store/sqlite/sqlite_db.h"

namespace acid::store::sqlite {

// One accounts row as the rules see it, plus the guards the job-side moves compare.
struct StoredFacts {
  provision::AccountFacts facts;
  std::int64_t version = 0;
  std::optional<std::string> did;
};

// nullopt when the sub has no accounts row.
Result<std::optional<StoredFacts>> read_account_facts(Connection &conn, std::string_view sub);

// Drops the open jobs other than delete_account when the decision says so, then writes the new
// state (if any). The job to schedule is the caller's (it owns the job rules).
Status write_decision(Connection &conn, std::string_view sub,
                      const provision::AccountDecision &decision);

}  // namespace acid::store::sqlite
