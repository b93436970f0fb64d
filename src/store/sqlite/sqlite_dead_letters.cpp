#include "store/sqlite/sqlite_dead_letters.h"

namespace acid::store::sqlite {

namespace {

constexpr std::string_view kColumns =
    "id, tenant, kind, reason, log_id, entry, first_seen_ms, last_seen_ms, deliveries, "
    "replayed_ms, replay_outcome";

DeadLetter read_row(const Statement &row) {
  DeadLetter d;
  d.id = row.column_text(0);
  d.tenant = row.column_text(1);
  d.kind = row.column_text(2);
  d.reason = row.column_text(3);
  if (!row.column_is_null(4)) d.log_id = row.column_text(4);
  d.entry = row.column_text(5);
  d.first_seen = row.column_int(6);
  d.last_seen = row.column_int(7);
  d.deliveries = row.column_int(8);
  if (!row.column_is_null(9)) d.replayed_at = row.column_int(9);
  d.replay_outcome = row.column_text(10);
  return d;
}

}  // namespace

Status record_dead_letters(Connection &conn, std::span<const DeadLetter> letters, UnixMillis now) {
  if (letters.empty()) return Status::ok();
  for (const DeadLetter &letter : letters) ACID_TRY(validate_dead_letter(letter));
  return in_transaction(conn, [&]() -> Status {
    ACID_ASSIGN_OR_RETURN(
        auto upsert,
        conn.cached("INSERT INTO dead_letters (id, tenant, kind, reason, log_id, entry, "
                    "first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) "
                    "ON CONFLICT (id) DO UPDATE SET deliveries = deliveries + 1, last_seen_ms = "
                    "excluded.last_seen_ms"));
    for (const DeadLetter &letter : letters) {
      ACID_TRY(upsert
                   .bind_all(letter.id, letter.tenant, letter.kind, letter.reason, letter.log_id,
                             letter.entry, now)
                   .run());
      ACID_TRY(upsert.reset());
    }
    return Status::ok();
  });
}

Result<std::vector<DeadLetter>> list_dead_letters(Connection &conn, const DeadLetterQuery &query) {
  const std::string sql = "SELECT " + std::string(kColumns) + " FROM dead_letters" +
                          (query.include_replayed ? "" : " WHERE replayed_ms IS NULL") +
                          " ORDER BY first_seen_ms DESC, id LIMIT ?1";
  ACID_ASSIGN_OR_RETURN(auto stmt, conn.query(sql, query.limit));
  std::vector<DeadLetter> out;
  ACID_TRY(stmt.for_each_row([&](const Statement &row) { out.push_back(read_row(row)); }));
  return out;
}

Result<DeadLetter> get_dead_letter(Connection &conn, std::string_view id) {
  ACID_ASSIGN_OR_RETURN(
      auto stmt,
      conn.query("SELECT " + std::string(kColumns) + " FROM dead_letters WHERE id = ?1", id));
  ACID_TRY(stmt.expect_row(Error(Code::not_found, "no dead letter " + std::string(id))));
  return read_row(stmt);
}

Status record_dead_letter_replay(Connection &conn, std::string_view id, UnixMillis at, bool applied,
                                 std::string_view outcome_json) {
  return conn.run_changing_rows(Error(Code::not_found, "no dead letter " + std::string(id)),
                                "UPDATE dead_letters SET replay_outcome = ?2, "
                                "replayed_ms = CASE WHEN ?3 THEN ?4 ELSE replayed_ms END "
                                "WHERE id = ?1",
                                id, outcome_json, applied, at);
}

}  // namespace acid::store::sqlite
