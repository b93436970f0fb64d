// The embedded store: content documents and sync cursors.
#include "store/lease_token.h"
#include "store/sqlite/adapter.h"
#include "store/sqlite/sqlite_dead_letters.h"
#include "store/sqlite/sqlite_transitions.h"

namespace acid::store::sqlite {

Result<bool> SqliteStore::upsert_content(const ContentDoc &doc) {
  auto table = content_table(doc.collection);
  if (!table) return std::move(table).error();
  const ContentTable &t = **table;
  if (doc.id.empty()) return Error(Code::invalid, "a content document needs a non-empty _id");
  for (const auto &[name, value] : doc.fields) {
    if (t.column_of(name).empty()) {
      return Error(Code::invalid, "field \"" + name + "\" is not part of " + doc.collection);
    }
  }
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto existing = read_content_row(t, doc.id);
  if (!existing) return std::move(existing).error();
  if (*existing && (*existing)->user != doc.user && (*existing)->atproto.rkey) {
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
  auto stmt =
      conn_.prepare("INSERT INTO " + std::string(t.table) + " (" + columns +
                    ", version, synced_version, updated_ms) VALUES (" + values + ", 1, 0, " +
                    now_param + ") ON CONFLICT (id) DO UPDATE SET " + set +
                    ", version = version + 1, updated_ms = excluded.updated_ms WHERE " + changed);
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, doc.id)
      .bind(2, doc.user)
      .bind(3, doc.when)
      .bind(4, static_cast<std::int64_t>(doc.deleted ? 1 : 0));
  index = 5;
  for (const auto &[field, column] : t.fields) {
    auto it = doc.fields.find(std::string(field));
    if (it == doc.fields.end()) {
      stmt->bind_null(index++);
    } else {
      stmt->bind(index++, it->second);
    }
  }
  stmt->bind(index, now_unix_ms());
  Status st = stmt->run();
  if (!st && st.code() == Code::conflict) {
    return Error(
        Code::conflict,
        doc.collection + " " + doc.id + " clashes with another document: " + st.error().message,
        st.error().detail_json);
  }
  ACID_TRY(st);
  const bool did_change = sqlite3_changes(conn_.raw()) > 0;
  ACID_TRY(tx->commit());
  return did_change;
}

Result<ContentDoc> SqliteStore::get_content(std::string_view collection, std::string_view id) {
  auto table = content_table(collection);
  if (!table) return std::move(table).error();
  std::lock_guard lock(mu_);
  auto row = read_content_row(**table, id);
  if (!row) return std::move(row).error();
  if (!*row) return content_missing(collection, id);
  return std::move(**row);
}

Result<bool> SqliteStore::set_content_deleted(std::string_view collection, std::string_view id,
                                              bool deleted) {
  auto table = content_table(collection);
  if (!table) return std::move(table).error();
  const std::string del((*table)->deleted_column);
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto stmt = conn_.prepare("UPDATE " + std::string((*table)->table) + " SET " + del +
                            " = ?2, version = version + 1, updated_ms = ?3 WHERE id = ?1 AND " +
                            del + " <> ?2");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(stmt->bind(1, id)
               .bind(2, static_cast<std::int64_t>(deleted ? 1 : 0))
               .bind(3, now_unix_ms())
               .run());
  const bool changed = sqlite3_changes(conn_.raw()) > 0;
  if (!changed) {
    auto row = read_content_row(**table, id);
    if (!row) return std::move(row).error();
    if (!*row) return content_missing(collection, id);
  }
  ACID_TRY(tx->commit());
  return changed;
}

Result<std::vector<ContentDoc>> SqliteStore::list_content(std::string_view collection,
                                                          std::string_view user,
                                                          std::string_view after_id,
                                                          std::size_t limit) {
  auto table = content_table(collection);
  if (!table) return std::move(table).error();
  std::lock_guard lock(mu_);
  auto stmt = conn_.prepare(content_select(**table) +
                            " WHERE (?1 = '' OR user_sub = ?1) AND id > ?2 ORDER BY id LIMIT ?3");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, user).bind(2, after_id).bind(3, static_cast<std::int64_t>(limit));
  std::vector<ContentDoc> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    out.push_back(read_content(**table, *stmt));
  }
  return out;
}

Result<std::vector<std::string>> SqliteStore::content_users(std::string_view collection,
                                                            std::string_view after_user,
                                                            std::size_t limit, bool needing_sync) {
  auto table = content_table(collection);
  if (!table) return std::move(table).error();
  const std::string del((*table)->deleted_column);
  std::lock_guard lock(mu_);
  // The SQL twin of content_need(): deleted with a key, or live and not (fully) written.
  auto stmt = conn_.prepare("SELECT DISTINCT user_sub FROM " + std::string((*table)->table) +
                            " WHERE user_sub > ?1 AND (?3 = 0 OR (" + del +
                            " = 1 AND rkey IS NOT NULL) OR (" + del +
                            " = 0 AND (rkey IS NULL OR uri IS NULL OR synced_version < version))) "
                            "ORDER BY user_sub LIMIT ?2");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, after_user)
      .bind(2, static_cast<std::int64_t>(limit))
      .bind(3, static_cast<std::int64_t>(needing_sync ? 1 : 0));
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    out.push_back(stmt->column_text(0));
  }
  return out;
}

Result<std::string> SqliteStore::claim_content_rkey(std::string_view collection,
                                                    std::string_view id, std::string_view rkey) {
  auto table = content_table(collection);
  if (!table) return std::move(table).error();
  if (rkey.empty()) return Error(Code::invalid, "an empty record key");
  std::lock_guard lock(mu_);
  auto stmt = conn_.prepare("UPDATE " + std::string((*table)->table) +
                            " SET rkey = COALESCE(rkey, ?2), updated_ms = ?3 WHERE id = ?1 "
                            "RETURNING rkey");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, id).bind(2, rkey).bind(3, now_unix_ms());
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return content_missing(collection, id);
  std::string held = stmt->column_text(0);
  ACID_TRY(stmt->run());
  return held;
}

Status SqliteStore::mark_content_synced(std::string_view collection, std::string_view id,
                                        std::string_view rkey, std::string_view uri,
                                        std::string_view cid, std::int64_t version) {
  auto table = content_table(collection);
  if (!table) return std::move(table).error();
  std::lock_guard lock(mu_);
  auto stmt = conn_.prepare(
      "UPDATE " + std::string((*table)->table) +
      " SET uri = ?3, cid = ?4, synced_version = MAX(synced_version, ?5), updated_ms = ?6 "
      "WHERE id = ?1 AND rkey = ?2");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(stmt->bind(1, id)
               .bind(2, rkey)
               .bind(3, uri)
               .bind(4, cid)
               .bind(5, version)
               .bind(6, now_unix_ms())
               .run());
  if (sqlite3_changes(conn_.raw()) == 0) return rkey_moved(collection, id, rkey);
  return Status::ok();
}

Result<std::vector<std::string>> SqliteStore::claim_content_rkeys(
    std::string_view collection, const std::vector<RkeyClaim> &claims) {
  auto table = content_table(collection);
  if (!table) return std::move(table).error();
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto stmt = conn_.prepare("UPDATE " + std::string((*table)->table) +
                            " SET rkey = COALESCE(rkey, ?2), updated_ms = ?3 WHERE id = ?1 "
                            "RETURNING rkey");
  if (!stmt) return std::move(stmt).error();
  std::vector<std::string> held;
  held.reserve(claims.size());
  const UnixMillis now = now_unix_ms();
  for (const RkeyClaim &c : claims) {
    if (c.rkey.empty()) return Error(Code::invalid, "an empty record key");
    ACID_TRY(stmt->reset());
    stmt->bind(1, c.id).bind(2, c.rkey).bind(3, now);
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return content_missing(collection, c.id);
    held.push_back(stmt->column_text(0));
    ACID_TRY(stmt->run());
  }
  ACID_TRY(tx->commit());
  return held;
}

Result<std::vector<bool>> SqliteStore::mark_contents_synced(
    std::string_view collection, const std::vector<SyncedRecord> &records) {
  auto table = content_table(collection);
  if (!table) return std::move(table).error();
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto stmt = conn_.prepare("UPDATE " + std::string((*table)->table) +
                            " SET uri = ?3, cid = ?4, synced_version = MAX(synced_version, ?5), "
                            "updated_ms = ?6 WHERE id = ?1 AND rkey = ?2");
  if (!stmt) return std::move(stmt).error();
  std::vector<bool> matched;
  matched.reserve(records.size());
  const UnixMillis now = now_unix_ms();
  for (const SyncedRecord &r : records) {
    ACID_TRY(stmt->reset());
    ACID_TRY(stmt->bind(1, r.id)
                 .bind(2, r.rkey)
                 .bind(3, r.uri)
                 .bind(4, r.cid)
                 .bind(5, r.version)
                 .bind(6, now)
                 .run());
    matched.push_back(sqlite3_changes(conn_.raw()) > 0);
  }
  ACID_TRY(tx->commit());
  return matched;
}

Status SqliteStore::clear_content_record(std::string_view collection, std::string_view id,
                                         std::string_view rkey) {
  auto table = content_table(collection);
  if (!table) return std::move(table).error();
  std::lock_guard lock(mu_);
  auto stmt = conn_.prepare("UPDATE " + std::string((*table)->table) +
                            " SET rkey = NULL, uri = NULL, cid = NULL, synced_version = 0, "
                            "updated_ms = ?3 WHERE id = ?1 AND rkey = ?2");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(stmt->bind(1, id).bind(2, rkey).bind(3, now_unix_ms()).run());
  if (sqlite3_changes(conn_.raw()) == 0) return rkey_moved(collection, id, rkey);
  return Status::ok();
}

Status SqliteStore::mark_content_unsynced(std::string_view collection, std::string_view id) {
  auto table = content_table(collection);
  if (!table) return std::move(table).error();
  std::lock_guard lock(mu_);
  auto stmt = conn_.prepare("UPDATE " + std::string((*table)->table) +
                            " SET uri = NULL, cid = NULL, synced_version = 0, updated_ms = ?2 "
                            "WHERE id = ?1");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(stmt->bind(1, id).bind(2, now_unix_ms()).run());
  if (sqlite3_changes(conn_.raw()) == 0) return content_missing(collection, id);
  return Status::ok();
}

Result<std::string> SqliteStore::get_sync_cursor(std::string_view name) {
  std::lock_guard lock(mu_);
  auto stmt = conn_.prepare("SELECT value FROM sync_cursors WHERE name = ?1");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, name);
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return std::string();
  return stmt->column_text(0);
}

Status SqliteStore::set_sync_cursor(std::string_view name, std::string_view value) {
  if (name.empty()) return Error(Code::invalid, "a sync cursor needs a name");
  std::lock_guard lock(mu_);
  auto stmt = value.empty()
                  ? conn_.prepare("DELETE FROM sync_cursors WHERE name = ?1")
                  : conn_.prepare(
                        "INSERT INTO sync_cursors (name, value, updated_ms) VALUES (?1, ?2, ?3) "
                        "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
                        "updated_ms = excluded.updated_ms");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, name);
  if (!value.empty()) stmt->bind(2, value).bind(3, now_unix_ms());
  return stmt->run();
}

}  // namespace acid::store::sqlite
