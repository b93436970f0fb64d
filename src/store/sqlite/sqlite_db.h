// A thin RAII layer over the SQLite C API: connections, prepared statements, transactions, and
// the mapping of SQLite result codes to acid::Error, plus the few shapes every adapter query
// takes (bind in order, one row or an error, every row, a counted write, all in one
// transaction). No SQL semantics are re-implemented here.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/status.h"

namespace acid::store::sqlite {

namespace detail {
template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
}  // namespace detail

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

  // Binds `args` to ?1, ?2, ... in order: text (anything a string_view takes), integers and
  // bools (as 0/1), and std::optional of those, an empty one (or std::nullopt) as NULL.
  template <typename... Args>
  Statement &bind_all(const Args &...args) {
    int index = 0;
    (bind_value(++index, args), ...);
    return *this;
  }

  // SQLITE_ROW -> true, SQLITE_DONE -> false, anything else -> error.
  Result<bool> step();
  // Steps to the first row: `if_none` when there is none.
  Status expect_row(Error if_none);
  // Steps through every row, calling `visit(*this)` on each. `visit` returns void or Status; a
  // failed Status stops the walk and is returned.
  template <typename Visit>
  Status for_each_row(Visit &&visit) {
    for (;;) {
      ACID_ASSIGN_OR_RETURN(const bool more, step());
      if (!more) return Status::ok();
      if constexpr (std::is_void_v<std::invoke_result_t<Visit &, Statement &>>) {
        visit(*this);
      } else {
        ACID_TRY(visit(*this));
      }
    }
  }
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
  template <typename T>
  void bind_value(int index, const T &value) {
    if constexpr (std::is_same_v<T, std::nullopt_t>) {
      bind_null(index);
    } else if constexpr (detail::IsOptional<T>::value) {
      if (value) {
        bind_value(index, *value);
      } else {
        bind_null(index);
      }
    } else if constexpr (std::is_same_v<T, bool>) {
      bind(index, std::int64_t{value ? 1 : 0});
    } else if constexpr (std::is_integral_v<T>) {
      bind(index, static_cast<std::int64_t>(value));
    } else {
      bind(index, std::string_view(value));
    }
  }

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
  template <typename... Args>
  Statement &bind_all(const Args &...args) {
    return get().bind_all(args...);
  }
  Result<bool> step() { return get().step(); }
  Status expect_row(Error if_none) { return get().expect_row(std::move(if_none)); }
  template <typename Visit>
  Status for_each_row(Visit &&visit) {
    return get().for_each_row(std::forward<Visit>(visit));
  }
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

  // The cached statement for `sql` with `args` bound to ?1, ?2, ... (see Statement::bind_all).
  template <typename... Args>
  Result<CachedStatement> query(std::string_view sql, const Args &...args) {
    ACID_ASSIGN_OR_RETURN(CachedStatement stmt, cached(sql));
    stmt.bind_all(args...);
    return stmt;
  }
  // Runs `sql`, a statement that returns no rows, with `args` bound.
  template <typename... Args>
  Status run(std::string_view sql, const Args &...args) {
    ACID_ASSIGN_OR_RETURN(CachedStatement stmt, query(sql, args...));
    return stmt.run();
  }
  // As run(), and returns how many rows it inserted, updated or deleted.
  template <typename... Args>
  Result<int> run_counting_changes(std::string_view sql, const Args &...args) {
    ACID_TRY(run(sql, args...));
    return sqlite3_changes(db_);
  }
  // As run(), and `if_unchanged` when the statement inserted, updated or deleted no row.
  template <typename... Args>
  Status run_changing_rows(Error if_unchanged, std::string_view sql, const Args &...args) {
    ACID_ASSIGN_OR_RETURN(const int changed, run_counting_changes(sql, args...));
    if (changed == 0) return if_unchanged;
    return Status::ok();
  }
  // The first column (T: std::string or std::int64_t) of the first row `sql` returns with
  // `args` bound, or `if_none` when it returns no row.
  template <typename T, typename... Args>
  Result<T> query_value(Error if_none, std::string_view sql, const Args &...args) {
    static_assert(std::is_same_v<T, std::string> || std::is_same_v<T, std::int64_t>);
    ACID_ASSIGN_OR_RETURN(CachedStatement stmt, query(sql, args...));
    ACID_TRY(stmt.expect_row(std::move(if_none)));
    if constexpr (std::is_same_v<T, std::string>) {
      return stmt.column_text(0);
    } else {
      return stmt.column_int(0);
    }
  }
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

// Runs `body` (returning Status or Result<T>) in one transaction: committed when it succeeds,
// rolled back when it fails. Returns what `body` returned, or the error of BEGIN or COMMIT.
template <typename Body>
auto in_transaction(Connection &conn, Body &&body) -> std::invoke_result_t<Body &> {
  ACID_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(conn));
  auto result = body();
  if (result) {
    ACID_TRY(tx.commit());
  }
  return result;
}

// Runs `each` (returning Result<T>) on every item of `items` in one transaction and collects the
// values: all of them committed, or at the first failure none (rolled back) and that failure.
template <typename T, typename Items, typename Each>
Result<std::vector<T>> collect_in_transaction(Connection &conn, const Items &items, Each &&each) {
  return in_transaction(conn, [&]() -> Result<std::vector<T>> {
    std::vector<T> out;
    out.reserve(std::size(items));
    for (const auto &item : items) {
      ACID_ASSIGN_OR_RETURN(T value, each(item));
      out.push_back(std::move(value));
    }
    return out;
  });
}

}  // namespace acid::store::sqlite
