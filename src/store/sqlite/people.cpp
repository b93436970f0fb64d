// The embedded store: users, verifications and @handles.
#include "store/lease_token.h"
#include "store/sqlite/adapter.h"
#include "store/sqlite/sqlite_dead_letters.h"
#include "store/sqlite/sqlite_transitions.h"

namespace acid::store::sqlite {

Status SqliteStore::insert_user(const UserRecord &user) {
  if (user.sub.empty()) return Error(Code::invalid, "a user needs a non-empty sub");
  std::lock_guard lock(mu_);
  return in_transaction(conn_, [&]() -> Status {
    if (user.code) {
      // A code the allocator handed to someone else is taken even before their users row
      // exists.
      ACID_ASSIGN_OR_RETURN(auto claimed,
                            conn_.query("SELECT EXISTS (SELECT 1 FROM code_claims WHERE code = ?1 "
                                        "AND (sub IS NULL OR sub <> ?2))",
                                        *user.code, user.sub));
      ACID_ASSIGN_OR_RETURN(const bool found, claimed.step());
      if (found && claimed.column_int(0) != 0) return code_taken(*user.code);
    }
    Status st = conn_.run("INSERT INTO users (sub, code, when_ms) VALUES (?1, ?2, ?3)", user.sub,
                          user.code, user.when);
    if (!st && st.code() == Code::conflict) {
      // Tell "this person exists" from "this code is someone else's".
      const bool sub_clash = st.error().detail_json.find(
                                 std::to_string(SQLITE_CONSTRAINT_PRIMARYKEY)) != std::string::npos;
      if (sub_clash) return Error(Code::exists, "user " + user.sub + " already exists");
      return code_taken(user.code.value_or(""));
    }
    return st;
  });
}

Result<UserRecord> SqliteStore::get_user(std::string_view sub) {
  std::lock_guard lock(mu_);
  ACID_ASSIGN_OR_RETURN(auto stmt,
                        conn_.query("SELECT sub, code, when_ms FROM users WHERE sub = ?1", sub));
  ACID_TRY(stmt.expect_row(Error(Code::not_found, "no user " + std::string(sub))));
  UserRecord user;
  user.sub = stmt.column_text(0);
  if (!stmt.column_is_null(1)) user.code = stmt.column_text(1);
  if (!stmt.column_is_null(2)) user.when = stmt.column_int(2);
  return user;
}

Result<std::string> SqliteStore::find_code_owner(std::string_view code) {
  std::lock_guard lock(mu_);
  return conn_.query_value<std::string>(
      Error(Code::not_found, "no user has code " + std::string(code)),
      "SELECT sub FROM users WHERE code = ?1", code);
}

Result<bool> SqliteStore::ensure_verifications(std::string_view sub) {
  if (sub.empty()) return Error(Code::invalid, "empty sub");
  std::lock_guard lock(mu_);
  ACID_ASSIGN_OR_RETURN(const int inserted, conn_.run_counting_changes(kEnsureVerifications, sub));
  return inserted > 0;
}

Result<std::int64_t> SqliteStore::increment_verifications(std::string_view sub) {
  if (sub.empty()) return Error(Code::invalid, "empty sub");
  std::lock_guard lock(mu_);
  ACID_ASSIGN_OR_RETURN(auto stmt,
                        conn_.query("INSERT INTO verifications (sub, count) VALUES (?1, 1) "
                                    "ON CONFLICT (sub) DO UPDATE SET count = count + 1 "
                                    "RETURNING count",
                                    sub));
  ACID_TRY(stmt.expect_row(Error(Code::internal, "increment returned no row")));
  const std::int64_t count = stmt.column_int(0);
  ACID_TRY(stmt.run());
  return count;
}

Result<std::int64_t> SqliteStore::get_verifications(std::string_view sub) {
  std::lock_guard lock(mu_);
  return conn_.query_value<std::int64_t>(
      Error(Code::not_found, "no verifications record for " + std::string(sub)),
      "SELECT count FROM verifications WHERE sub = ?1", sub);
}

Status SqliteStore::set_handle(std::string_view sub, std::string_view handle) {
  if (sub.empty() || handle.empty()) return Error(Code::invalid, "empty sub or handle");
  std::lock_guard lock(mu_);
  Status st = conn_.run(
      "INSERT INTO handles (sub, handle, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?3) "
      "ON CONFLICT (sub) DO UPDATE SET handle = excluded.handle, updated_ms = "
      "excluded.updated_ms",
      sub, handle, now_unix_ms());
  if (!st && st.code() == Code::conflict) {
    return Error(Code::conflict, "handle " + std::string(handle) + " is taken",
                 "{\"index\":\"handle\"}");
  }
  return st;
}

Result<std::string> SqliteStore::get_handle(std::string_view sub) {
  std::lock_guard lock(mu_);
  return conn_.query_value<std::string>(Error(Code::not_found, "no handle for " + std::string(sub)),
                                        "SELECT handle FROM handles WHERE sub = ?1", sub);
}

}  // namespace acid::store::sqlite
