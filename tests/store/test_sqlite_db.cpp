// The SQLite layer: the statement cache (reuse, nested use of the same SQL, and that a released
// statement keeps no read snapshot open, which would hide other writers' commits), and the
// helpers the adapter is written with (binding, rows, counted writes, transactions).
#include <gtest/gtest.h>

#include "store/sqlite/sqlite_db.h"
#include "support/temp_dir.h"

namespace acid::store::sqlite {
namespace {

Connection open_db(const std::string &path) {
  auto conn = Connection::open(path, 1000, true);
  EXPECT_TRUE(conn.is_ok()) << conn.error().message;
  return std::move(*conn);
}

TEST(SqliteStatementCache, ReusesTheCompiledStatement) {
  testing::TempDir dir;
  Connection conn = open_db(dir.file("c.db"));
  sqlite3_stmt *first = nullptr;
  for (int i = 0; i < 3; ++i) {
    auto stmt = conn.cached("SELECT ?1 + 1");
    ASSERT_TRUE(stmt.is_ok());
    stmt->bind(1, std::int64_t{i});
    auto row = stmt->step();
    ASSERT_TRUE(row.is_ok() && *row);
    EXPECT_EQ(stmt->column_int(0), i + 1);
    // The same sqlite3_stmt each time: the SQL was compiled once.
    sqlite3_stmt *now = sqlite3_next_stmt(conn.raw(), nullptr);
    if (first == nullptr) first = now;
    EXPECT_EQ(now, first);
  }
}

TEST(SqliteStatementCache, NestedUseOfTheSameSqlGetsAnIndependentStatement) {
  testing::TempDir dir;
  Connection conn = open_db(dir.file("c.db"));
  ASSERT_TRUE(conn.exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2), (3)"));
  const char *sql = "SELECT v FROM t WHERE v >= ?1 ORDER BY v";
  auto outer = conn.cached(sql);
  ASSERT_TRUE(outer.is_ok());
  outer->bind(1, std::int64_t{1});
  std::vector<std::int64_t> pairs;
  for (;;) {
    auto row = outer->step();
    ASSERT_TRUE(row.is_ok());
    if (!*row) break;
    const std::int64_t v = outer->column_int(0);
    auto inner = conn.cached(sql);  // in use by `outer`: must not reset it
    ASSERT_TRUE(inner.is_ok());
    inner->bind(1, v);
    std::int64_t count = 0;
    for (;;) {
      auto r = inner->step();
      ASSERT_TRUE(r.is_ok());
      if (!*r) break;
      ++count;
    }
    pairs.push_back(count);
  }
  EXPECT_EQ(pairs, (std::vector<std::int64_t>{3, 2, 1}));
}

TEST(SqliteStatementCache, AReleasedStatementHoldsNoReadSnapshot) {
  testing::TempDir dir;
  Connection reader = open_db(dir.file("c.db"));
  Connection writer = open_db(dir.file("c.db"));
  ASSERT_TRUE(writer.exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2)"));
  const auto count = [&]() -> std::int64_t {
    auto stmt = reader.cached("SELECT v FROM t");  // left mid-iteration on purpose
    EXPECT_TRUE(stmt.is_ok());
    auto row = stmt->step();
    EXPECT_TRUE(row.is_ok() && *row);
    auto all = reader.cached("SELECT count(*) FROM t");
    EXPECT_TRUE(all.is_ok());
    auto r = all->step();
    EXPECT_TRUE(r.is_ok() && *r);
    return all->column_int(0);
  };
  EXPECT_EQ(count(), 2);
  ASSERT_TRUE(writer.exec("INSERT INTO t VALUES (3)"));
  // Had the half-read statement not been reset, the reader would still see its old snapshot.
  EXPECT_EQ(count(), 3);
}

TEST(SqliteHelpers, BindAllBindsInOrderWithEmptyOptionalsAsNull) {
  testing::TempDir dir;
  Connection conn = open_db(dir.file("c.db"));
  const std::optional<std::string> absent;
  const std::optional<std::int64_t> present = 7;
  auto stmt =
      conn.query("SELECT ?1, ?2, ?3, ?4, typeof(?5), ?6, typeof(?7)", std::string("text"),
                 std::uint32_t{42}, true, present, absent, std::string_view("view"), std::nullopt);
  ASSERT_TRUE(stmt.is_ok()) << stmt.error().message;
  ASSERT_TRUE(stmt->expect_row(Error(Code::not_found, "no row")));
  EXPECT_EQ(stmt->column_text(0), "text");
  EXPECT_EQ(stmt->column_int(1), 42);
  EXPECT_EQ(stmt->column_int(2), 1);
  EXPECT_EQ(stmt->column_int(3), 7);
  EXPECT_EQ(stmt->column_text(4), "null");
  EXPECT_EQ(stmt->column_text(5), "view");
  EXPECT_EQ(stmt->column_text(6), "null");
}

TEST(SqliteHelpers, ExpectRowReturnsTheGivenErrorWhenThereIsNone) {
  testing::TempDir dir;
  Connection conn = open_db(dir.file("c.db"));
  ASSERT_TRUE(conn.exec("CREATE TABLE t (v INTEGER)"));
  auto stmt = conn.query("SELECT v FROM t WHERE v = ?1", 1);
  ASSERT_TRUE(stmt.is_ok());
  Status none = stmt->expect_row(Error(Code::not_found, "no v 1", "{\"v\":1}"));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.code(), Code::not_found);
  EXPECT_EQ(none.error().message, "no v 1");
  EXPECT_EQ(none.error().detail_json, "{\"v\":1}");
}

TEST(SqliteHelpers, ExpectRowPassesOnAFailedStep) {
  testing::TempDir dir;
  Connection conn = open_db(dir.file("c.db"));
  ASSERT_TRUE(conn.exec("CREATE TABLE t (v INTEGER NOT NULL)"));
  auto stmt = conn.query("INSERT INTO t (v) VALUES (?1) RETURNING v", std::nullopt);
  ASSERT_TRUE(stmt.is_ok());
  Status failed = stmt->expect_row(Error(Code::not_found, "no row"));
  EXPECT_EQ(failed.code(), Code::conflict) << failed.error().message;
}

TEST(SqliteHelpers, ForEachRowVisitsEveryRowAndStopsAtTheFirstFailure) {
  testing::TempDir dir;
  Connection conn = open_db(dir.file("c.db"));
  ASSERT_TRUE(conn.exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (3), (1), (2)"));
  std::vector<std::int64_t> seen;
  auto all = conn.query("SELECT v FROM t ORDER BY v");
  ASSERT_TRUE(all.is_ok());
  ASSERT_TRUE(all->for_each_row([&](const Statement &row) { seen.push_back(row.column_int(0)); }));
  EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2, 3}));

  seen.clear();
  auto some = conn.query("SELECT v FROM t ORDER BY v");
  ASSERT_TRUE(some.is_ok());
  Status stopped = some->for_each_row([&](const Statement &row) -> Status {
    seen.push_back(row.column_int(0));
    if (row.column_int(0) == 2) return Error(Code::invalid, "two");
    return Status::ok();
  });
  EXPECT_EQ(stopped.code(), Code::invalid);
  EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2}));
}

TEST(SqliteHelpers, RunCountingChangesSaysHowManyRowsChanged) {
  testing::TempDir dir;
  Connection conn = open_db(dir.file("c.db"));
  ASSERT_TRUE(conn.exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (1), (2)"));
  auto two = conn.run_counting_changes("UPDATE t SET v = ?2 WHERE v = ?1", 1, 5);
  ASSERT_TRUE(two.is_ok());
  EXPECT_EQ(*two, 2);
  auto none = conn.run_counting_changes("UPDATE t SET v = ?2 WHERE v = ?1", 9, 5);
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(*none, 0);
  Status bad = conn.run("INSERT INTO missing VALUES (?1)", 1);
  EXPECT_EQ(bad.code(), Code::store);
}

TEST(SqliteHelpers, InTransactionCommitsOnSuccessAndRollsBackOnFailure) {
  testing::TempDir dir;
  Connection conn = open_db(dir.file("c.db"));
  ASSERT_TRUE(conn.exec("CREATE TABLE t (v INTEGER)"));
  auto kept = in_transaction(conn, [&]() -> Result<int> {
    ACID_TRY(conn.run("INSERT INTO t VALUES (?1)", 1));
    return 10;
  });
  ASSERT_TRUE(kept.is_ok());
  EXPECT_EQ(*kept, 10);
  Status undone = in_transaction(conn, [&]() -> Status {
    ACID_TRY(conn.run("INSERT INTO t VALUES (?1)", 2));
    return Error(Code::conflict, "changed my mind");
  });
  EXPECT_EQ(undone.code(), Code::conflict);
  EXPECT_EQ(undone.error().message, "changed my mind");
  std::vector<std::int64_t> rows;
  auto all = conn.query("SELECT v FROM t ORDER BY v");
  ASSERT_TRUE(all.is_ok());
  ASSERT_TRUE(all->for_each_row([&](const Statement &row) { rows.push_back(row.column_int(0)); }));
  EXPECT_EQ(rows, (std::vector<std::int64_t>{1}));
}

TEST(SqliteHelpers, RunChangingRowsReturnsTheGivenErrorWhenNoRowChanged) {
  testing::TempDir dir;
  Connection conn = open_db(dir.file("c.db"));
  ASSERT_TRUE(conn.exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)"));
  EXPECT_TRUE(conn.run_changing_rows(Error(Code::not_found, "no 1"),
                                     "UPDATE t SET v = ?2 WHERE v = ?1", 1, 2));
  Status missed = conn.run_changing_rows(Error(Code::not_found, "no 1"),
                                         "UPDATE t SET v = ?2 WHERE v = ?1", 1, 2);
  EXPECT_EQ(missed.code(), Code::not_found);
  EXPECT_EQ(missed.error().message, "no 1");
}

TEST(SqliteHelpers, QueryValueReadsTheFirstColumnOrReturnsTheGivenError) {
  testing::TempDir dir;
  Connection conn = open_db(dir.file("c.db"));
  ASSERT_TRUE(conn.exec("CREATE TABLE t (k TEXT, n INTEGER); INSERT INTO t VALUES ('a', 5)"));
  auto text = conn.query_value<std::string>(Error(Code::not_found, "none"),
                                            "SELECT k FROM t WHERE n = ?1", 5);
  ASSERT_TRUE(text.is_ok());
  EXPECT_EQ(*text, "a");
  auto number = conn.query_value<std::int64_t>(Error(Code::not_found, "none"),
                                               "SELECT n FROM t WHERE k = ?1", "a");
  ASSERT_TRUE(number.is_ok());
  EXPECT_EQ(*number, 5);
  auto missing = conn.query_value<std::int64_t>(Error(Code::not_found, "no b"),
                                                "SELECT n FROM t WHERE k = ?1", "b");
  EXPECT_EQ(missing.code(), Code::not_found);
  EXPECT_EQ(missing.error().message, "no b");
}

TEST(SqliteHelpers, CollectInTransactionKeepsAllOrNothing) {
  testing::TempDir dir;
  Connection conn = open_db(dir.file("c.db"));
  ASSERT_TRUE(conn.exec("CREATE TABLE t (v INTEGER)"));
  const auto insert = [&](int v) -> Result<int> {
    if (v < 0) return Error(Code::invalid, "negative");
    ACID_TRY(conn.run("INSERT INTO t VALUES (?1)", v));
    return v * 10;
  };
  auto all = collect_in_transaction<int>(conn, std::vector<int>{1, 2}, insert);
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(*all, (std::vector<int>{10, 20}));
  auto none = collect_in_transaction<int>(conn, std::vector<int>{3, -1, 4}, insert);
  EXPECT_EQ(none.code(), Code::invalid);
  std::vector<std::int64_t> rows;
  auto stmt = conn.query("SELECT v FROM t ORDER BY v");
  ASSERT_TRUE(stmt.is_ok());
  ASSERT_TRUE(stmt->for_each_row([&](const Statement &row) { rows.push_back(row.column_int(0)); }));
  EXPECT_EQ(rows, (std::vector<std::int64_t>{1, 2}));  // 3 was rolled back with the failure
}

TEST(SqliteHelpers, InTransactionRunsNothingOnABrokenConnection) {
  testing::TempDir dir;
  Connection conn = open_db(dir.file("c.db"));
  conn.mark_broken("rollback failed");
  bool ran = false;
  Status refused = in_transaction(conn, [&]() -> Status {
    ran = true;
    return Status::ok();
  });
  EXPECT_EQ(refused.code(), Code::store);
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace acid::store::sqlite
