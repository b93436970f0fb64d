// The embedded store: content documents and sync cursors.
#include "store/lease_token.h"
#include "store/sqlite/adapter.h"
#include "store/sqlite/sqlite_dead_letters.h"
#include "store/sqlite/sqlite_transitions.h"

namespace acid::store::sqlite {

Result<bool> SqliteStore::upsert_content(const ContentDoc &doc) {
  ACID_ASSIGN_OR_RETURN(const ContentTable *table, content_table(doc.collection));
  const ContentTable &t = *table;
  if (doc.id.empty()) return Error(Code::invalid, "a content document needs a non-empty _id");
  for (const auto &[name, value] : doc.fields) {
    if (t.column_of(name).empty()) {
      return Error(Code::invalid, "field \"" + name + "\" is not part of " + doc.collection);
    }
  }
  std::lock_guard lock(mu_);
  return in_transaction(conn_, [&] { return upsert_content_in_tx(t, doc); });
}

Result<bool> SqliteStore::upsert_content_in_tx(const ContentTable &t, const ContentDoc &doc) {
  ACID_ASSIGN_OR_RETURN(const auto existing, read_content_row(t, doc.id));
  if (existing && existing->user != doc.user && existing->atproto.rkey) {
    return Error(Code::conflict, doc.collection + " " + doc.id +
                                     " has a record in the repo of its user: its user cannot "
                                     "change (delete it and import a new document)");
  }
  std::string columns = "id, user_sub, when_ms, " + std::string(t.deleted_column);
  std::string values = "?1, ?2, ?3, ?4";
  std::string set = "user_sub = excluded.user_sub, when_ms = excluded.when_ms, " +
                    std::string(t.deleted_column) + " = excluded." + std::string(t.deleted_column);
  std::string changed = "user_sub IS NOT excluded.user_sub OR when_ms IS NOT excluded.when_ms OR " +
                        std::string(t.deleted_column) + " IS NOT excluded." +
                        std::string(t.deleted_column);
  int index = 5;
  for (const auto &[field, column] : t.fields) {
    const std::string col(column);
    columns += ", " + col;
    values += ", ?" + std::to_string(index++);
    set += ", " + col + " = excluded." + col;
    changed += " OR " + col + " IS NOT excluded." + col;
  }
  const std::string now_param = "?" + std::to_string(index);
  ACID_ASSIGN_OR_RETURN(
      auto stmt,
      conn_.cached("INSERT INTO " + std::string(t.table) + " (" + columns +
                   ", version, synced_version, updated_ms) VALUES (" + values + ", 1, 0, " +
                   now_param + ") ON CONFLICT (id) DO UPDATE SET " + set +
                   ", version = version + 1, updated_ms = excluded.updated_ms WHERE " + changed));
  stmt.bind_all(doc.id, doc.user, doc.when, doc.deleted);
  index = 5;
  for (const auto &[field, column] : t.fields) {
    auto it = doc.fields.find(std::string(field));
    if (it == doc.fields.end()) {
      stmt.bind_null(index++);
    } else {
      stmt.bind(index++, it->second);
    }
  }
  stmt.bind(index, now_unix_ms());
  Status st = stmt.run();
  if (!st && st.code() == Code::conflict) {
    return Error(
        Code::conflict,
        doc.collection + " " + doc.id + " clashes with another document: " + st.error().message,
        st.error().detail_json);
  }
  ACID_TRY(st);
  return sqlite3_changes(conn_.raw()) > 0;
}

Result<ContentDoc> SqliteStore::get_content(std::string_view collection, std::string_view id) {
  ACID_ASSIGN_OR_RETURN(const ContentTable *table, content_table(collection));
  std::lock_guard lock(mu_);
  ACID_ASSIGN_OR_RETURN(auto row, read_content_row(*table, id));
  if (!row) return content_missing(collection, id);
  return std::move(*row);
}

Result<bool> SqliteStore::set_content_deleted(std::string_view collection, std::string_view id,
                                              bool deleted) {
  ACID_ASSIGN_OR_RETURN(const ContentTable *table, content_table(collection));
  const std::string del(table->deleted_column);
  std::lock_guard lock(mu_);
  const std::string sql = "UPDATE " + std::string(table->table) + " SET " + del +
                          " = ?2, version = version + 1, updated_ms = ?3 WHERE id = ?1 AND " + del +
                          " <> ?2";
  return in_transaction(conn_, [&]() -> Result<bool> {
    ACID_ASSIGN_OR_RETURN(const int changed,
                          conn_.run_counting_changes(sql, id, deleted, now_unix_ms()));
    if (changed > 0) return true;
    ACID_ASSIGN_OR_RETURN(const auto row, read_content_row(*table, id));
    if (!row) return content_missing(collection, id);
    return false;
  });
}

Result<std::vector<ContentDoc>> SqliteStore::list_content(std::string_view collection,
                                                          std::string_view user,
                                                          std::string_view after_id,
                                                          std::size_t limit) {
  ACID_ASSIGN_OR_RETURN(const ContentTable *table, content_table(collection));
  std::lock_guard lock(mu_);
  ACID_ASSIGN_OR_RETURN(
      auto stmt,
      conn_.query(content_select(*table) +
                      " WHERE (?1 = '' OR user_sub = ?1) AND id > ?2 ORDER BY id LIMIT ?3",
                  user, after_id, limit));
  std::vector<ContentDoc> out;
  ACID_TRY(
      stmt.for_each_row([&](const Statement &row) { out.push_back(read_content(*table, row)); }));
  return out;
}

Result<std::vector<std::string>> SqliteStore::content_users(std::string_view collection,
                                                            std::string_view after_user,
                                                            std::size_t limit, bool needing_sync) {
  ACID_ASSIGN_OR_RETURN(const ContentTable *table, content_table(collection));
  const std::string del(table->deleted_column);
  std::lock_guard lock(mu_);
  // The SQL twin of content_need(): deleted with a key, or live and not (fully) written.
  ACID_ASSIGN_OR_RETURN(
      auto stmt,
      conn_.query("SELECT DISTINCT user_sub FROM " + std::string(table->table) +
                      " WHERE user_sub > ?1 AND (?3 = 0 OR (" + del +
                      " = 1 AND rkey IS NOT NULL) OR (" + del +
                      " = 0 AND (rkey IS NULL OR uri IS NULL OR synced_version < version))) "
                      "ORDER BY user_sub LIMIT ?2",
                  after_user, limit, needing_sync));
  std::vector<std::string> out;
  ACID_TRY(stmt.for_each_row([&](const Statement &row) { out.push_back(row.column_text(0)); }));
  return out;
}

Result<std::string> SqliteStore::claim_content_rkey(std::string_view collection,
                                                    std::string_view id, std::string_view rkey) {
  ACID_ASSIGN_OR_RETURN(const ContentTable *table, content_table(collection));
  std::lock_guard lock(mu_);
  return claim_rkey(*table, id, rkey, now_unix_ms());
}

Status SqliteStore::mark_content_synced(std::string_view collection, std::string_view id,
                                        std::string_view rkey, std::string_view uri,
                                        std::string_view cid, std::int64_t version) {
  ACID_ASSIGN_OR_RETURN(const ContentTable *table, content_table(collection));
  std::lock_guard lock(mu_);
  ACID_ASSIGN_OR_RETURN(const bool matched,
                        mark_synced(*table,
                                    SyncedRecord{std::string(id), std::string(rkey),
                                                 std::string(uri), std::string(cid), version},
                                    now_unix_ms()));
  if (!matched) return rkey_moved(collection, id, rkey);
  return Status::ok();
}

Result<std::vector<std::string>> SqliteStore::claim_content_rkeys(
    std::string_view collection, const std::vector<RkeyClaim> &claims) {
  ACID_ASSIGN_OR_RETURN(const ContentTable *table, content_table(collection));
  std::lock_guard lock(mu_);
  const UnixMillis now = now_unix_ms();
  return collect_in_transaction<std::string>(
      conn_, claims, [&](const RkeyClaim &c) { return claim_rkey(*table, c.id, c.rkey, now); });
}

Result<std::vector<bool>> SqliteStore::mark_contents_synced(
    std::string_view collection, const std::vector<SyncedRecord> &records) {
  ACID_ASSIGN_OR_RETURN(const ContentTable *table, content_table(collection));
  std::lock_guard lock(mu_);
  const UnixMillis now = now_unix_ms();
  return collect_in_transaction<bool>(
      conn_, records, [&](const SyncedRecord &r) { return mark_synced(*table, r, now); });
}

Status SqliteStore::clear_content_record(std::string_view collection, std::string_view id,
                                         std::string_view rkey) {
  ACID_ASSIGN_OR_RETURN(const ContentTable *table, content_table(collection));
  std::lock_guard lock(mu_);
  return conn_.run_changing_rows(
      rkey_moved(collection, id, rkey),
      "UPDATE " + std::string(table->table) +
          " SET rkey = NULL, uri = NULL, cid = NULL, synced_version = 0, "
          "updated_ms = ?3 WHERE id = ?1 AND rkey = ?2",
      id, rkey, now_unix_ms());
}

Status SqliteStore::mark_content_unsynced(std::string_view collection, std::string_view id) {
  ACID_ASSIGN_OR_RETURN(const ContentTable *table, content_table(collection));
  std::lock_guard lock(mu_);
  return conn_.run_changing_rows(
      content_missing(collection, id),
      "UPDATE " + std::string(table->table) +
          " SET uri = NULL, cid = NULL, synced_version = 0, updated_ms = ?2 "
          "WHERE id = ?1",
      id, now_unix_ms());
}

Result<std::string> SqliteStore::get_sync_cursor(std::string_view name) {
  std::lock_guard lock(mu_);
  ACID_ASSIGN_OR_RETURN(auto stmt,
                        conn_.query("SELECT value FROM sync_cursors WHERE name = ?1", name));
  ACID_ASSIGN_OR_RETURN(const bool found, stmt.step());
  if (!found) return std::string();
  return stmt.column_text(0);
}

Status SqliteStore::set_sync_cursor(std::string_view name, std::string_view value) {
  if (name.empty()) return Error(Code::invalid, "a sync cursor needs a name");
  std::lock_guard lock(mu_);
  if (value.empty()) return conn_.run("DELETE FROM sync_cursors WHERE name = ?1", name);
  return conn_.run(
      "INSERT INTO sync_cursors (name, value, updated_ms) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
      "updated_ms = excluded.updated_ms",
      name, value, now_unix_ms());
}

Result<std::string> SqliteStore::claim_rkey(const ContentTable &t, std::string_view id,
                                            std::string_view rkey, UnixMillis now) {
  if (rkey.empty()) return Error(Code::invalid, "an empty record key");
  ACID_ASSIGN_OR_RETURN(auto stmt,
                        conn_.query("UPDATE " + std::string(t.table) +
                                        " SET rkey = COALESCE(rkey, ?2), updated_ms = ?3 WHERE "
                                        "id = ?1 RETURNING rkey",
                                    id, rkey, now));
  ACID_TRY(stmt.expect_row(content_missing(t.collection, id)));
  std::string held = stmt.column_text(0);
  ACID_TRY(stmt.run());
  return held;
}

Result<bool> SqliteStore::mark_synced(const ContentTable &t, const SyncedRecord &record,
                                      UnixMillis now) {
  ACID_ASSIGN_OR_RETURN(
      const int matched,
      conn_.run_counting_changes(
          "UPDATE " + std::string(t.table) +
              " SET uri = ?3, cid = ?4, synced_version = MAX(synced_version, ?5), updated_ms = ?6 "
              "WHERE id = ?1 AND rkey = ?2",
          record.id, record.rkey, record.uri, record.cid, record.version, now));
  return matched > 0;
}

}  // namespace acid::store::sqlite
