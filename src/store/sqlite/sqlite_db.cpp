#include "store/sqlite/sqlite_db.h"

#include <utility>

namespace acid::store::sqlite {

Error to_error(sqlite3 *db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  std::string msg(what);
  msg += ": ";
  msg += (db != nullptr && sqlite3_errcode(db) == rc) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string detail = "{\"sqlite_code\":" + std::to_string(rc) + "}";
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error(Code::unavailable, std::move(msg), detail);
    case SQLITE_CONSTRAINT:
      return Error(Code::conflict, std::move(msg), detail);
    case SQLITE_NOMEM:
      return Error(Code::no_memory, std::move(msg), detail);
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return Error(Code::internal, std::move(msg), detail);
    default:
      return Error(Code::store, std::move(msg), detail);
  }
}

Statement::Statement(Statement &&other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_rc_(other.bind_rc_) {}

Statement &Statement::operator=(Statement &&other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_rc_ = other.bind_rc_;
  }
  return *this;
}

void Statement::release() noexcept {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);  // returns the last step's error again; step() already reported it
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement &Statement::bind(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement &Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement &Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) return to_error(db_, bind_rc_, "binding a parameter");
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return to_error(db_, sqlite3_extended_errcode(db_), "executing SQL");
}

Status Statement::expect_row(Error if_none) {
  ACID_ASSIGN_OR_RETURN(const bool found, step());
  if (!found) return if_none;
  return Status::ok();
}

Status Statement::run() {
  for (;;) {
    ACID_ASSIGN_OR_RETURN(const bool more, step());
    if (!more) return Status::ok();
  }
}

Status Statement::reset() {
  bind_rc_ = SQLITE_OK;
  // sqlite3_reset repeats the last step's error, which step() already reported.
  sqlite3_reset(stmt_);
  return Status::ok();
}

std::string Statement::column_text(int col) const {
  const auto *text = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char *>(text), static_cast<std::size_t>(n));
}

Result<Connection> Connection::open(const std::string &path, int busy_timeout_ms,
                                    bool synchronous_full) {
  sqlite3 *db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error err = to_error(db, rc, "opening SQLite database \"" + path + "\"");
    sqlite3_close(db);
    return err;
  }
  Connection conn(db);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // WAL lets readers run beside the writer and several processes share the file; FULL makes
  // every commit durable (fsynced) before we acknowledge anything that depends on it.
  ACID_ASSIGN_OR_RETURN(Statement mode, conn.prepare("PRAGMA journal_mode=WAL"));
  ACID_ASSIGN_OR_RETURN(const bool found, mode.step());
  if (!found || mode.column_text(0) != "wal") {
    return Error(Code::store, "SQLite database \"" + path + "\" cannot use WAL journaling");
  }
  ACID_TRY(conn.exec(synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  ACID_TRY(conn.exec("PRAGMA foreign_keys=ON"));
  return conn;
}

Connection::Connection(Connection &&other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      broken_(std::move(other.broken_)),
      cache_(std::move(other.cache_)) {}

Connection &Connection::operator=(Connection &&other) noexcept {
  if (this != &other) {
    cache_.clear();
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    broken_ = std::move(other.broken_);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Connection::~Connection() {
  cache_.clear();  // finalize the cached statements first, so the close is not deferred
  sqlite3_close_v2(db_);
}

Result<CachedStatement> Connection::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto entry = std::make_unique<CacheEntry>();
    ACID_ASSIGN_OR_RETURN(entry->statement, prepare(sql));
    it = cache_.emplace(std::string(sql), std::move(entry)).first;
  }
  CacheEntry &entry = *it->second;
  if (entry.in_use) {
    ACID_ASSIGN_OR_RETURN(Statement fresh, prepare(sql));
    return CachedStatement(std::move(fresh));
  }
  entry.in_use = true;
  return CachedStatement(&entry.statement, &entry.in_use);
}

CachedStatement::CachedStatement(CachedStatement &&other) noexcept
    : borrowed_(std::exchange(other.borrowed_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      owned_(std::move(other.owned_)) {}

CachedStatement::~CachedStatement() {
  if (borrowed_ != nullptr) {
    borrowed_->release();
    *in_use_ = false;
  }
}

Result<Statement> Connection::prepare(std::string_view sql) {
  sqlite3_stmt *stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return to_error(db_, rc, "preparing SQL");
  return Statement(db_, stmt);
}

Status Connection::exec(std::string_view sql) {
  const std::string text(sql);
  char *errmsg = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &errmsg);
  sqlite3_free(errmsg);  // the same text is available through sqlite3_errmsg
  if (rc != SQLITE_OK) return to_error(db_, sqlite3_extended_errcode(db_), "executing SQL");
  return Status::ok();
}

Result<Transaction> Transaction::begin(Connection &conn) {
  if (conn.broken()) {
    return Error(Code::store,
                 "SQLite connection unusable after a failed rollback: " + *conn.broken());
  }
  ACID_TRY(conn.exec("BEGIN IMMEDIATE"));
  return Transaction(&conn);
}

Transaction::Transaction(Transaction &&other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)) {}

Transaction::~Transaction() {
  if (conn_ != nullptr) {
    // Uncommitted: undo. If even that fails the connection is poisoned (see mark_broken), so
    // the failure surfaces on the next use instead of vanishing in a destructor.
    Status rolled_back = conn_->exec("ROLLBACK");
    if (!rolled_back && sqlite3_get_autocommit(conn_->raw()) == 0) {
      conn_->mark_broken(rolled_back.error().message);
    }
  }
}

Status Transaction::commit() {
  if (conn_ == nullptr) return Error(Code::internal, "commit on a finished transaction");
  Status st = conn_->exec("COMMIT");
  if (st) conn_ = nullptr;
  return st;
}

}  // namespace acid::store::sqlite
