#include "store/sqlite/sqlite_transitions.h"

namespace acid::store::sqlite {

Result<std::optional<StoredFacts>> read_account_facts(Connection &conn, std::string_view sub) {
  auto read = conn.cached(
      "SELECT state, did, intent_handle IS NOT NULL, deleted_ms IS NOT NULL, version "
      "FROM accounts WHERE sub = ?1");
  if (!read) return std::move(read).error();
  read->bind(1, sub);
  auto row = read->step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<StoredFacts>();
  auto state = parse_account_state(read->column_text(0));
  if (!state) return Error(Code::store, "unknown account state \"" + read->column_text(0) + "\"");
  StoredFacts out;
  if (!read->column_is_null(1)) out.did = read->column_text(1);
  out.facts = provision::AccountFacts{*state, out.did.has_value(), read->column_int(2) != 0,
                                      read->column_int(3) != 0};
  out.version = read->column_int(4);
  return std::optional<StoredFacts>(std::move(out));
}

Status write_decision(Connection &conn, std::string_view sub,
                      const provision::AccountDecision &decision) {
  if (decision.refused) return Error(Code::internal, "a refused decision has nothing to write");
  if (decision.drop_open_jobs) {
    auto drop = conn.cached(
        "DELETE FROM jobs WHERE sub = ?1 AND status = 'open' AND kind <> 'delete_account'");
    if (!drop) return std::move(drop).error();
    ACID_TRY(drop->bind(1, sub).run());
  }
  if (decision.new_state) {
    auto stmt = conn.cached("UPDATE accounts SET state = ?2 WHERE sub = ?1");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, sub).bind(2, std::string_view(to_string(*decision.new_state))).run());
  }
  return Status::ok();
}

}  // namespace acid::store::sqlite
