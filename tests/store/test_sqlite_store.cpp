// SQLite-specific behaviour: URIs, migrations, persistence, refusal of newer schemas.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/store.h"
#include "support/temp_dir.h"

namespace acid::store {
namespace {

TEST(SqliteStore, DataSurvivesReopening) {
  testing::TempDir dir;
  {
    auto s = open_store(dir.sqlite_uri());
    ASSERT_TRUE(s.is_ok());
    ASSERT_TRUE((*s)->insert_user({"auth0|1", std::string("ac25babab"), 7}).is_ok());
  }
  auto s = open_store(dir.sqlite_uri());
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ((*s)->get_user("auth0|1")->code, "ac25babab");
}

TEST(SqliteStore, AcceptsDoubleSlashForm) {
  testing::TempDir dir;
  auto s = open_store("sqlite://" + dir.file("x.db"));
  ASSERT_TRUE(s.is_ok()) << s.error().message;
  EXPECT_EQ((*s)->backend(), "sqlite");
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

}  // namespace
}  // namespace acid::store
