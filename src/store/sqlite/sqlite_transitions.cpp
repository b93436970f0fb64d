#include "store/sqlite/sqlite_transitions.h"

namespace acid::store::sqlite {

Result<std::optional<StoredFacts>> read_account_facts(Connection &conn, std::string_view sub) {
  ACID_ASSIGN_OR_RETURN(auto read,
                        conn.query("SELECT state, did, intent_handle IS NOT NULL, "
                                   "deleted_ms IS NOT NULL, version FROM accounts WHERE sub = ?1",
                                   sub));
  ACID_ASSIGN_OR_RETURN(const bool found, read.step());
  if (!found) return std::optional<StoredFacts>();
  auto state = parse_account_state(read.column_text(0));
  if (!state) return Error(Code::store, "unknown account state \"" + read.column_text(0) + "\"");
  StoredFacts out;
  if (!read.column_is_null(1)) out.did = read.column_text(1);
  out.facts = provision::AccountFacts{*state, out.did.has_value(), read.column_int(2) != 0,
                                      read.column_int(3) != 0};
  out.version = read.column_int(4);
  return std::optional<StoredFacts>(std::move(out));
}

Status write_decision(Connection &conn, std::string_view sub,
                      const provision::AccountDecision &decision) {
  if (decision.refused) return Error(Code::internal, "a refused decision has nothing to write");
  if (decision.drop_open_jobs) {
    ACID_TRY(conn.run(
        "DELETE FROM jobs WHERE sub = ?1 AND status = 'open' AND kind <> 'delete_account'", sub));
  }
  if (decision.new_state) {
    ACID_TRY(conn.run("UPDATE accounts SET state = ?2 WHERE sub = ?1", sub,
                      to_string(*decision.new_state)));
  }
  return Status::ok();
}

}  // namespace acid::store::sqlite
