// The embedded store: secrets and the per-year code counters.
#include "store/lease_token.h"
#include "store/sqlite/adapter.h"
#include "store/sqlite/sqlite_dead_letters.h"
#include "store/sqlite/sqlite_transitions.h"

namespace acid::store::sqlite {

Result<std::string> SqliteStore::get_or_put_secret(std::string_view name,
                                                   std::string_view value_if_absent) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto insert = conn_.cached(
      "INSERT INTO meta (name, value) VALUES (?1, ?2) "
      "ON CONFLICT (name) DO NOTHING");
  if (!insert) return std::move(insert).error();
  ACID_TRY(insert->bind(1, name).bind(2, value_if_absent).run());
  auto select = conn_.cached("SELECT value FROM meta WHERE name = ?1");
  if (!select) return std::move(select).error();
  select->bind(1, name);
  auto row = select->step();
  if (!row) return std::move(row).error();
  if (!*row) return Error(Code::internal, "secret vanished inside its own transaction");
  std::string value = select->column_text(0);
  ACID_TRY(tx->commit());
  return value;
}

Result<ClaimedCode> SqliteStore::claim_next_code(int yy, std::uint32_t capacity,
                                                 const CodeCandidate &candidate,
                                                 std::string_view sub) {
  if (yy < 0 || yy > 99) return Error(Code::invalid, "two-digit year out of range");
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto claimed = claim_in_tx(yy, capacity, candidate, sub);
  if (!claimed) return std::move(claimed).error();
  // The counter moves even when the year turns out exhausted, so the skips are not redone.
  ACID_TRY(tx->commit());
  if (!*claimed) return exhausted(yy);
  return std::move(**claimed);
}

Result<std::vector<CodeYearState>> SqliteStore::code_year_states(std::optional<int> yy) {
  std::lock_guard lock(mu_);
  auto stmt = conn_.cached(
      "SELECT c.yy, c.next_position, c.skipped, "
      "  (SELECT count(*) FROM code_claims k WHERE k.yy = c.yy) "
      "FROM code_counters c WHERE ?1 IS NULL OR c.yy = ?1 ORDER BY c.yy");
  if (!stmt) return std::move(stmt).error();
  if (yy) {
    stmt->bind(1, static_cast<std::int64_t>(*yy));
  } else {
    stmt->bind_null(1);
  }
  std::vector<CodeYearState> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    out.push_back(CodeYearState{static_cast<int>(stmt->column_int(0)),
                                static_cast<std::uint32_t>(stmt->column_int(1)),
                                static_cast<std::uint32_t>(stmt->column_int(2)),
                                static_cast<std::uint64_t>(stmt->column_int(3))});
  }
  return out;
}

Result<std::vector<std::string>> SqliteStore::legacy_codes(int yy) {
  if (yy < 0 || yy > 99) return Error(Code::invalid, "two-digit year out of range");
  std::lock_guard lock(mu_);
  // A range scan on the unique code index: every code of the year sorts between "acYY" and
  // "acYY{" ('{' follows 'z').
  auto stmt = conn_.cached(
      "SELECT u.code FROM users u WHERE u.code >= ?1 AND u.code < ?2 AND NOT EXISTS "
      "(SELECT 1 FROM code_claims k WHERE k.code = u.code) ORDER BY u.code");
  if (!stmt) return std::move(stmt).error();
  const std::string prefix = year_prefix(yy);
  stmt->bind(1, prefix).bind(2, prefix + "{");
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    out.push_back(stmt->column_text(0));
  }
  return out;
}

}  // namespace acid::store::sqlite
