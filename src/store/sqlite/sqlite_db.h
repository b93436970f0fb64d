// A thin RAII layer over the SQLite C API: connections, prepared statements, transactions, and
// the mapping of SQLite result codes to acid::Error. No SQL semantics are re-implemented here.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace acid::store::sqlite {

// Maps a SQLite result code (with the connection's message) to an Error.
Error to_error(sqlite3 *db, int rc, std::string_view what);

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3 *db, sqlite3_stmt *stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement &&other) noexcept;
  Statement &operator=(Statement &&other) noexcept;
  ~Statement();

  Statement &bind(int index, std::string_view text);
  Statement &bind(int index, std::int64_t value);
  Statement &bind_null(int index);

  // SQLITE_ROW -> true, SQLITE_DONE -> false, anything else -> error.
  Result<bool> step();
  // Runs to completion (for statements returning no rows).
  Status run();
  // Makes the statement ready to run again (bindings are kept until re-bound).
  Status reset();

  std::int64_t column_int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool column_is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string column_text(int col) const;

  // Ends a use of a cached statement: resets it (so it holds no read snapshot) and clears its
  // bindings. Any error of the last step was already returned by step()/run().
  void release() noexcept;

 private:
  sqlite3 *db_ = nullptr;
  sqlite3_stmt *stmt_ = nullptr;
  int bind_rc_ = SQLITE_OK;  // first binding failure, reported by step()
};

// A statement taken from the connection's cache for one use; released when it goes out of scope.
// When the same SQL is already in use (a nested call), the lease owns a fresh statement instead.
class CachedStatement {
 public:
  explicit CachedStatement(Statement *borrowed, bool *in_use)
      : borrowed_(borrowed), in_use_(in_use) {}
  explicit CachedStatement(Statement owned) : owned_(std::move(owned)) {}
  CachedStatement(CachedStatement &&other) noexcept;
  CachedStatement &operator=(CachedStatement &&) = delete;
  CachedStatement(const CachedStatement &) = delete;
  ~CachedStatement();
  Statement &get() { return borrowed_ != nullptr ? *borrowed_ : owned_; }
  operator Statement &() { return get(); }  // NOLINT(google-explicit-constructor): a lease is one

  // The statement's interface, so a lease reads like the statement it lends.
  Statement &bind(int index, std::string_view text) { return get().bind(index, text); }
  Statement &bind(int index, std::int64_t value) { return get().bind(index, value); }
  Statement &bind_null(int index) { return get().bind_null(index); }
  Result<bool> step() { return get().step(); }
  Status run() { return get().run(); }
  Status reset() { return get().reset(); }
  std::int64_t column_int(int col) { return get().column_int(col); }
  bool column_is_null(int col) { return get().column_is_null(col); }
  std::string column_text(int col) { return get().column_text(col); }

 private:
  Statement *borrowed_ = nullptr;
  bool *in_use_ = nullptr;
  Statement owned_;
};

class Connection {
 public:
  // Opens (creating if needed) with WAL, foreign keys, a busy timeout and full durability.
  static Result<Connection> open(const std::string &path, int busy_timeout_ms,
                                 bool synchronous_full);
  Connection(Connection &&other) noexcept;
  Connection &operator=(Connection &&other) noexcept;
  ~Connection();

  Result<Statement> prepare(std::string_view sql);
  // The statement for `sql`, compiled once per connection and reused: the store's hot paths run
  // the same dozen statements for every event, and compiling them was most of their CPU time.
  Result<CachedStatement> cached(std::string_view sql);
  Status exec(std::string_view sql);  // statements without parameters or results
  sqlite3 *raw() const { return db_; }

  // Set when a rollback failed: the connection may still be inside a transaction, so every
  // later transaction on it is refused with Code::store instead of running in a stale state.
  void mark_broken(std::string reason) { broken_ = std::move(reason); }
  const std::optional<std::string> &broken() const { return broken_; }

 private:
  explicit Connection(sqlite3 *db) : db_(db) {}
  struct CacheEntry {
    Statement statement;
    bool in_use = false;
  };
  sqlite3 *db_ = nullptr;
  std::optional<std::string> broken_;
  // Finalized before the connection closes (see the destructor).
  std::map<std::string, std::unique_ptr<CacheEntry>, std::less<>> cache_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back on destruction unless committed. IMMEDIATE takes the
// write lock up front, so two processes never both read-then-write the same counter.
class Transaction {
 public:
  static Result<Transaction> begin(Connection &conn);
  Transaction(Transaction &&other) noexcept;
  Transaction &operator=(Transaction &&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Connection *conn) : conn_(conn) {}
  Connection *conn_ = nullptr;
};

}  // namespace acid::store::sqlite
