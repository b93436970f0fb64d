// The embedded store: secrets and the per-year code counters.
#include "store/lease_token.h"
#include "store/sqlite/adapter.h"
#include "store/sqlite/sqlite_dead_letters.h"
#include "store/sqlite/sqlite_transitions.h"

namespace acid::store::sqlite {

Result<std::string> SqliteStore::get_or_put_secret(std::string_view name,
                                                   std::string_view value_if_absent) {
  std::lock_guard lock(mu_);
  return in_transaction(conn_, [&]() -> Result<std::string> {
    ACID_TRY(
        conn_.run("INSERT INTO meta (name, value) VALUES (?1, ?2) "
                  "ON CONFLICT (name) DO NOTHING",
                  name, value_if_absent));
    ACID_ASSIGN_OR_RETURN(auto select, conn_.query("SELECT value FROM meta WHERE name = ?1", name));
    ACID_TRY(
        select.expect_row(Error(Code::internal, "secret vanished inside its own transaction")));
    return select.column_text(0);
  });
}

Result<ClaimedCode> SqliteStore::claim_next_code(int yy, std::uint32_t capacity,
                                                 const CodeCandidate &candidate,
                                                 std::string_view sub) {
  if (yy < 0 || yy > 99) return Error(Code::invalid, "two-digit year out of range");
  std::lock_guard lock(mu_);
  // Committed even when the year turns out exhausted: the counter moved, so the skips are not
  // redone.
  ACID_ASSIGN_OR_RETURN(auto claimed, in_transaction(conn_, [&] {
                          return claim_in_tx(yy, capacity, candidate, sub);
                        }));
  if (!claimed) return exhausted(yy);
  return std::move(*claimed);
}

Result<std::vector<CodeYearState>> SqliteStore::code_year_states(std::optional<int> yy) {
  std::lock_guard lock(mu_);
  ACID_ASSIGN_OR_RETURN(auto stmt,
                        conn_.query("SELECT c.yy, c.next_position, c.skipped, "
                                    "  (SELECT count(*) FROM code_claims k WHERE k.yy = c.yy) "
                                    "FROM code_counters c WHERE ?1 IS NULL OR c.yy = ?1 "
                                    "ORDER BY c.yy",
                                    yy));
  std::vector<CodeYearState> out;
  ACID_TRY(stmt.for_each_row([&](const Statement &row) {
    out.push_back(CodeYearState{static_cast<int>(row.column_int(0)),
                                static_cast<std::uint32_t>(row.column_int(1)),
                                static_cast<std::uint32_t>(row.column_int(2)),
                                static_cast<std::uint64_t>(row.column_int(3))});
  }));
  return out;
}

Result<std::vector<std::string>> SqliteStore::legacy_codes(int yy) {
  if (yy < 0 || yy > 99) return Error(Code::invalid, "two-digit year out of range");
  std::lock_guard lock(mu_);
  // A range scan on the unique code index: every code of the year sorts between "acYY" and
  // "acYY{" ('{' follows 'z').
  const std::string prefix = year_prefix(yy);
  ACID_ASSIGN_OR_RETURN(
      auto stmt,
      conn_.query("SELECT u.code FROM users u WHERE u.code >= ?1 AND u.code < ?2 AND NOT EXISTS "
                  "(SELECT 1 FROM code_claims k WHERE k.code = u.code) ORDER BY u.code",
                  prefix, prefix + "{"));
  std::vector<std::string> out;
  ACID_TRY(stmt.for_each_row([&](const Statement &row) { out.push_back(row.column_text(0)); }));
  return out;
}

}  // namespace acid::store::sqlite
