// The content sync functions of the C ABI: argument checks, option validation, ownership of the
// report strings, and import / delete on an embedded store (no PDS needed for those).
#include <gtest/gtest.h>

#include <string>

#include "acidentity/acidentity.h"
#include "support/temp_dir.h"

namespace {

struct SyncClient {
  acid_client *ptr = nullptr;
  explicit SyncClient(const std::string &uri) {
    acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
    opts.store_uri = uri.c_str();
    EXPECT_EQ(acid_client_create(&ptr, &opts), ACID_OK) << acid_error_last()->message;
  }
  ~SyncClient() { acid_client_destroy(ptr); }
};

void no_progress(const char *, void *) {}

TEST(CApiSync, ArgumentsAreChecked) {
  acid::testing::TempDir dir;
  SyncClient c(dir.sqlite_uri());
  char *report = reinterpret_cast<char *>(1);
  EXPECT_EQ(acid_sync_records(nullptr, nullptr, nullptr, nullptr, &report), ACID_EINVAL);
  EXPECT_EQ(acid_sync_records(c.ptr, nullptr, no_progress, nullptr, nullptr), ACID_EINVAL);
  EXPECT_EQ(acid_sync_verify(nullptr, nullptr, &report), ACID_EINVAL);
  EXPECT_EQ(acid_sync_verify(c.ptr, nullptr, nullptr), ACID_EINVAL);
  EXPECT_EQ(acid_content_import(nullptr, "", 0, &report), ACID_EINVAL);
  EXPECT_EQ(acid_content_import(c.ptr, nullptr, 3, &report), ACID_EINVAL);
  EXPECT_EQ(report, nullptr);  // out-parameters are cleared before any other check fails
  EXPECT_EQ(acid_content_import(c.ptr, "", 0, nullptr), ACID_EINVAL);
  EXPECT_EQ(acid_content_delete(nullptr, "moods", "x"), ACID_EINVAL);
  EXPECT_EQ(acid_content_delete(c.ptr, nullptr, "x"), ACID_EINVAL);
  EXPECT_EQ(acid_content_delete(c.ptr, "moods", nullptr), ACID_EINVAL);
}

TEST(CApiSync, OptionsAreValidatedBeforeAnythingRuns) {
  acid::testing::TempDir dir;
  SyncClient c(dir.sqlite_uri());
  for (const char *bad : {"not json", "[]", R"({"collection":"news"})", R"({"fix":1})",
                          R"({"user":["a"]})", R"({"unknown":true})"}) {
    char *report = nullptr;
    EXPECT_EQ(acid_sync_records(c.ptr, bad, nullptr, nullptr, &report), ACID_EINVAL) << bad;
    EXPECT_EQ(report, nullptr);
    EXPECT_NE(std::string(acid_error_last()->message).find("acid_sync_records"), std::string::npos);
    EXPECT_EQ(acid_sync_verify(c.ptr, bad, &report), ACID_EINVAL) << bad;
    EXPECT_EQ(report, nullptr);
  }
}

TEST(CApiSync, ImportAndDelete) {
  acid::testing::TempDir dir;
  SyncClient c(dir.sqlite_uri());
  const std::string good =
      R"({"collection":"moods","_id":"m1","user":"auth0|x","mood":"calm","when":"2025-10-14T00:00:00.000Z"})"
      "\n";
  const std::string bad = good + R"({"collection":"moods","_id":"m2"})" + "\n";
  char *report = nullptr;
  EXPECT_EQ(acid_content_import(c.ptr, bad.data(), bad.size(), &report), ACID_EINVAL);
  EXPECT_EQ(report, nullptr);
  EXPECT_STREQ(acid_error_last()->detail_json, R"({"line":2})");
  // Nothing of the file was written: m1 cannot be deleted.
  EXPECT_EQ(acid_content_delete(c.ptr, "moods", "m1"), ACID_ENOTFOUND);

  ASSERT_EQ(acid_content_import(c.ptr, good.data(), good.size(), &report), ACID_OK)
      << acid_error_last()->message;
  ASSERT_NE(report, nullptr);
  EXPECT_NE(std::string(report).find("\"changed\":1"), std::string::npos) << report;
  acid_free(report);
  EXPECT_EQ(acid_content_delete(c.ptr, "moods", "m1"), ACID_OK);
  EXPECT_EQ(acid_content_delete(c.ptr, "moods", "m1"), ACID_OK);  // already deleted: fine
  EXPECT_EQ(acid_content_delete(c.ptr, "news", "m1"), ACID_EINVAL);
}

// acid_sync_document without a PDS configured: what it can decide from the store alone.
TEST(CApiSync, DocumentNowFromTheStore) {
  acid::testing::TempDir dir;
  SyncClient c(dir.sqlite_uri());
  char *report = reinterpret_cast<char *>(1);
  EXPECT_EQ(acid_sync_document(nullptr, "moods", "m1", &report), ACID_EINVAL);
  EXPECT_EQ(report, nullptr);
  EXPECT_EQ(acid_sync_document(c.ptr, nullptr, "m1", &report), ACID_EINVAL);
  EXPECT_EQ(acid_sync_document(c.ptr, "moods", nullptr, &report), ACID_EINVAL);
  EXPECT_EQ(acid_sync_document(c.ptr, "moods", "m1", nullptr), ACID_EINVAL);
  EXPECT_EQ(acid_sync_document(c.ptr, "news", "m1", &report), ACID_EINVAL);
  EXPECT_EQ(acid_sync_document(c.ptr, "moods", "m1", &report), ACID_ENOTFOUND);
  EXPECT_EQ(report, nullptr);
  const std::string mood =
      R"({"collection":"moods","_id":"m1","user":"auth0|nobody","mood":"calm","when":"2025-10-14T00:00:00.000Z"})";
  ASSERT_EQ(acid_content_import(c.ptr, mood.data(), mood.size(), &report), ACID_OK);
  acid_free(report);
  // The person has no PDS account: skipped (a normal outcome), nothing needed from the PDS.
  ASSERT_EQ(acid_sync_document(c.ptr, "moods", "m1", &report), ACID_OK)
      << acid_error_last()->message;
  EXPECT_NE(std::string(report).find(R"("action":"skipped")"), std::string::npos) << report;
  acid_free(report);
}

}  // namespace
