// SQLite-specific behaviour: URIs, migrations, persistence, refusal of newer schemas.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/store.h"
#include "support/store_reader.h"
#include "support/temp_dir.h"

namespace acid::store {
namespace {

TEST(SqliteStore, DataSurvivesReopening) {
  testing::TempDir dir;
  {
    auto s = open_store(dir.sqlite_uri());
    ASSERT_TRUE(s.is_ok());
    ASSERT_TRUE(
        acid::testing::inspect(**s).insert_user({"auth0|1", std::string("ac25babab"), 7}).is_ok());
  }
  auto s = open_store(dir.sqlite_uri());
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ((*s)->get_user("auth0|1")->code, "ac25babab");
}

TEST(SqliteStore, AcceptsDoubleSlashForm) {
  testing::TempDir dir;
  auto s = open_store("sqlite://" + dir.file("x.db"));
  ASSERT_TRUE(s.is_ok()) << s.error().message;
  EXPECT_EQ(acid::testing::inspect(**s).backend(), "sqlite");
}

TEST(SqliteStore, RefusesUnknownAndEmptyUris) {
  EXPECT_EQ(open_store("sqlite:").code(), Code::config);
  EXPECT_EQ(open_store("/tmp/plain/path.db").code(), Code::config);
  auto secret = open_store("postgres://user:hunter2@host/db");
  ASSERT_FALSE(secret.is_ok());
  EXPECT_EQ(secret.error().message.find("hunter2"), std::string::npos);
}

TEST(SqliteStore, AcceptsKnownOptionsAndRefusesOthers) {
  testing::TempDir dir;
  EXPECT_TRUE(open_store(dir.sqlite_uri() + "?synchronous=normal&busy_timeout_ms=50").is_ok());
  EXPECT_TRUE(open_store(dir.sqlite_uri() + "?synchronous=full").is_ok());
  EXPECT_EQ(open_store(dir.sqlite_uri() + "?synchronous=off").code(), Code::config);
  EXPECT_EQ(open_store(dir.sqlite_uri() + "?busy_timeout_ms=-1").code(), Code::config);
  EXPECT_EQ(open_store(dir.sqlite_uri() + "?journal=delete").code(), Code::config);
}

TEST(SqliteStore, UnopenablePathIsAStoreError) {
  auto s = open_store("sqlite:/nonexistent-dir/sub/x.db");
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), Code::store);
}

TEST(SqliteStore, RefusesASchemaNewerThanTheLibrary) {
  testing::TempDir dir;
  { ASSERT_TRUE(open_store(dir.sqlite_uri()).is_ok()); }
  sqlite3 *db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("store.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=999", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = open_store(dir.sqlite_uri());
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), Code::store);
  EXPECT_NE(s.error().message.find("newer than this library"), std::string::npos);
}

TEST(SqliteStore, UsesWalJournaling) {
  testing::TempDir dir;
  { ASSERT_TRUE(open_store(dir.sqlite_uri()).is_ok()); }
  sqlite3 *db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("store.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt *stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(SqliteStore, HandleWritesKeepCreatedAtAndUpdatedAt) {
  // As the deployed handle.mjs writes @handles: createdAt on the first write, updatedAt on each.
  testing::TempDir dir;
  {
    auto s = open_store(dir.sqlite_uri());
    ASSERT_TRUE(s.is_ok());
    ASSERT_TRUE((*s)->set_handle("auth0|1", "jeffrey").is_ok());
  }
  auto times = [&] {
    sqlite3 *db = nullptr;
    EXPECT_EQ(sqlite3_open(dir.file("store.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt *stmt = nullptr;
    EXPECT_EQ(
        sqlite3_prepare_v2(db, "SELECT created_ms, updated_ms FROM handles WHERE sub = 'auth0|1'",
                           -1, &stmt, nullptr),
        SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    const std::pair<std::int64_t, std::int64_t> out{sqlite3_column_int64(stmt, 0),
                                                    sqlite3_column_int64(stmt, 1)};
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  };
  const auto [created, updated] = times();
  EXPECT_GT(created, 1'700'000'000'000);
  EXPECT_EQ(updated, created);
  sqlite3 *db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("store.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE handles SET created_ms = 1, updated_ms = 1", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto s = open_store(dir.sqlite_uri());
  ASSERT_TRUE(s.is_ok());
  ASSERT_TRUE((*s)->set_handle("auth0|1", "Jeffrey").is_ok());
  const auto [created2, updated2] = times();
  EXPECT_EQ(created2, 1);  // kept
  EXPECT_GT(updated2, 1'700'000'000'000);
}

}  // namespace
}  // namespace acid::store
