// The C ABI's contract: statuses, the thread-local error, ownership, options versions.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <thread>

#include "acidentity/acidentity.h"
#include "support/temp_dir.h"

namespace {

using acid::testing::TempDir;

struct Client {
  acid_client *ptr = nullptr;
  explicit Client(const std::string &uri) {
    acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
    opts.store_uri = uri.c_str();
    EXPECT_EQ(acid_client_create(&ptr, &opts), ACID_OK) << acid_error_last()->message;
  }
  ~Client() { acid_client_destroy(ptr); }
};

constexpr int64_t kOct2025 = 1760400000000;  // 2025-10-14T00:00:00Z

TEST(CApi, VersionMatchesTheHeader) {
  int major = -1, minor = -1, patch = -1;
  const char *text = acid_version(&major, &minor, &patch);
  EXPECT_EQ(major, ACID_VERSION_MAJOR);
  EXPECT_EQ(minor, ACID_VERSION_MINOR);
  EXPECT_EQ(patch, ACID_VERSION_PATCH);
  EXPECT_STREQ(text, ACID_VERSION_STRING);
  EXPECT_STREQ(acid_version(nullptr, nullptr, nullptr), ACID_VERSION_STRING);
}

TEST(CApi, ErrorObjectIsNeverNullAndCarriesDetail) {
  acid_error_clear();
  const acid_error *err = acid_error_last();
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->code, ACID_OK);
  EXPECT_STREQ(err->message, "");
  EXPECT_STREQ(err->detail_json, "{}");
  EXPECT_EQ(acid_user_code_check(nullptr), ACID_EINVAL);
  err = acid_error_last();
  EXPECT_EQ(err->code, ACID_EINVAL);
  EXPECT_NE(std::string(err->message).find("NULL"), std::string::npos);
  EXPECT_STREQ(acid_status_name(err->code), "ACID_EINVAL");
  EXPECT_STREQ(acid_status_name(12345), "ACID_EUNKNOWN");
}

TEST(CApi, ErrorsAreThreadLocal) {
  acid_error_clear();
  std::thread([] { EXPECT_EQ(acid_user_code_check("nope"), ACID_EINVAL); }).join();
  EXPECT_EQ(acid_error_last()->code, ACID_OK);
}

TEST(CApi, OptionsVersionsAreChecked) {
  acid_client_options opts;
  std::memset(&opts, 0xff, sizeof opts);
  EXPECT_EQ(acid_client_options_init(&opts, ACID_CLIENT_OPTIONS_VERSION), ACID_OK);
  EXPECT_EQ(opts.version, static_cast<unsigned>(ACID_CLIENT_OPTIONS_VERSION));
  EXPECT_EQ(opts.store_uri, nullptr);
  EXPECT_EQ(acid_client_options_init(&opts, 99), ACID_EVERSION);
  EXPECT_EQ(acid_client_options_init(nullptr, 1), ACID_EINVAL);

  opts.version = 99;
  acid_client *client = reinterpret_cast<acid_client *>(0x1);
  EXPECT_EQ(acid_client_create(&client, &opts), ACID_EVERSION);
  EXPECT_EQ(client, nullptr);
}

TEST(CApi, CreateRejectsBadStoresWithoutLeakingAHandle) {
  acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
  opts.store_uri = "nosuch://x";
  acid_client *client = nullptr;
  EXPECT_EQ(acid_client_create(&client, &opts), ACID_ECONFIG);
  EXPECT_EQ(client, nullptr);
  EXPECT_EQ(acid_client_create(nullptr, &opts), ACID_EINVAL);
  acid_client_destroy(nullptr);  // NULL-safe
}

TEST(CApi, CodeCheckAndParse) {
  EXPECT_EQ(acid_user_code_check("ac25xadeh"), ACID_OK);
  EXPECT_EQ(acid_user_code_check("ac25XADEH"), ACID_EINVAL);
  char out[ACID_USER_CODE_SIZE];
  const char text[] = "see https://aesthetic.computer/AC25XADEH now";
  ASSERT_EQ(acid_user_code_parse(text, std::strlen(text), out), ACID_OK);
  EXPECT_STREQ(out, "ac25xadeh");
  EXPECT_EQ(acid_user_code_parse("nothing", 7, out), ACID_ENOTFOUND);
  EXPECT_STREQ(out, "");
  EXPECT_EQ(acid_user_code_parse(nullptr, 0, out), ACID_ENOTFOUND);
  EXPECT_EQ(acid_user_code_parse(nullptr, 3, out), ACID_EINVAL);
  // Only `len` bytes are read: the code past it is not seen.
  EXPECT_EQ(acid_user_code_parse("xx ac25xadeh", 3, out), ACID_ENOTFOUND);
}

TEST(CApi, GenerateIsAValidPreviewOfTheYear) {
  char out[ACID_USER_CODE_SIZE];
  ASSERT_EQ(acid_user_code_generate(kOct2025, out), ACID_OK);
  EXPECT_EQ(std::strncmp(out, "ac25", 4), 0);
  EXPECT_EQ(acid_user_code_check(out), ACID_OK);
  EXPECT_EQ(acid_user_code_generate(kOct2025, nullptr), ACID_EINVAL);
}

TEST(CApi, AllocatesUniqueCodesThroughTheStore) {
  TempDir dir;
  Client c(dir.sqlite_uri());
  std::set<std::string> codes;
  for (int i = 0; i < 500; ++i) {
    char out[ACID_USER_CODE_SIZE];
    ASSERT_EQ(acid_user_code_allocate(c.ptr, kOct2025, out), ACID_OK);
    EXPECT_EQ(acid_user_code_check(out), ACID_OK) << out;
    EXPECT_EQ(std::strncmp(out, "ac25", 4), 0);
    codes.insert(out);
  }
  EXPECT_EQ(codes.size(), 500u);
  char *json = nullptr;
  ASSERT_EQ(acid_user_code_stats(c.ptr, 25, &json), ACID_OK);
  ASSERT_NE(json, nullptr);
  const std::string stats(json);
  acid_free(json);
  EXPECT_NE(stats.find("\"allocated\":500"), std::string::npos) << stats;
  EXPECT_EQ(acid_user_code_stats(c.ptr, 100, &json), ACID_EINVAL);
  EXPECT_EQ(acid_user_code_allocate(nullptr, kOct2025, nullptr), ACID_EINVAL);
}

TEST(CApi, TheKeyPersistsSoReopeningContinuesTheSameSequence) {
  TempDir dir;
  std::set<std::string> codes;
  for (int round = 0; round < 3; ++round) {
    Client c(dir.sqlite_uri());
    for (int i = 0; i < 50; ++i) {
      char out[ACID_USER_CODE_SIZE];
      ASSERT_EQ(acid_user_code_allocate(c.ptr, kOct2025, out), ACID_OK);
      codes.insert(out);
    }
  }
  EXPECT_EQ(codes.size(), 150u);
}

}  // namespace
