// The statement cache of the SQLite layer: reuse, nested use of the same SQL, and that a
// released statement keeps no read snapshot open (which would hide other writers' commits).
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

}  // namespace
}  // namespace acid::store::sqlite
