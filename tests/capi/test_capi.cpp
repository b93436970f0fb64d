// The C ABI's contract: statuses, the thread-local error, ownership, options versions.
#include <gtest/gtest.h>

#include <cstddef>
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

// A client that reads nothing from the environment: the store in `uri`, Auth0 deliveries
// authorised by "webhook" and handle changes by "handles".
struct IsolatedClient {
  acid_client *ptr = nullptr;
  explicit IsolatedClient(const std::string &uri) {
    acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
    opts.store_uri = uri.c_str();
    opts.auth0_log_token = "webhook";
    opts.handle_changed_token = "handles";
    opts.use_environment = 0;
    EXPECT_EQ(acid_client_create(&ptr, &opts), ACID_OK) << acid_error_last()->message;
  }
  IsolatedClient(const IsolatedClient &) = delete;
  IsolatedClient &operator=(const IsolatedClient &) = delete;
  ~IsolatedClient() { acid_client_destroy(ptr); }
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
  // A version 1 caller's struct ends before handle_changed_token: nothing past it is written.
  union {
    acid_client_options opts;
    unsigned char bytes[sizeof(acid_client_options)];
  } v1;
  std::memset(v1.bytes, 0xAB, sizeof v1.bytes);
  EXPECT_EQ(acid_client_options_init(&v1.opts, 1), ACID_OK);
  EXPECT_EQ(v1.opts.version, 1u);
  EXPECT_EQ(v1.opts.use_environment, 1);
  for (std::size_t i = offsetof(acid_client_options, handle_changed_token); i < sizeof v1.bytes;
       ++i) {
    ASSERT_EQ(v1.bytes[i], 0xAB) << "byte " << i << " written past a version 1 struct";
  }

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

// The identity-sync entry points: arguments are checked before anything is touched, and the
// HTTP form answers with statuses while the plain forms return them.
TEST(CApi, HandleChangeAndDeletionThroughTheCAbi) {
  TempDir dir;
  const IsolatedClient client(dir.sqlite_uri());
  acid_client *c = client.ptr;
  ASSERT_NE(c, nullptr);

  EXPECT_EQ(acid_handle_changed(nullptr, "auth0|a", "x"), ACID_EINVAL);
  EXPECT_NE(std::string(acid_error_last()->message).find("acid_handle_changed"), std::string::npos);
  EXPECT_EQ(acid_handle_changed(c, nullptr, "x"), ACID_EINVAL);
  EXPECT_EQ(acid_handle_changed(c, "", "x"), ACID_EINVAL);
  EXPECT_EQ(acid_handle_changed(c, "auth0|a", nullptr), ACID_EINVAL);
  EXPECT_EQ(acid_user_delete(nullptr, "auth0|a"), ACID_EINVAL);
  EXPECT_EQ(acid_user_delete(c, nullptr), ACID_EINVAL);
  EXPECT_EQ(acid_user_delete(c, ""), ACID_EINVAL);
  int status = -1;
  char *body = nullptr;
  EXPECT_EQ(acid_handle_changed_request(c, "handles", "{}", 2, nullptr, &body), ACID_EINVAL);
  EXPECT_EQ(acid_handle_changed_request(c, "handles", "{}", 2, &status, nullptr), ACID_EINVAL);
  EXPECT_EQ(acid_handle_changed_request(c, "handles", nullptr, 5, &status, &body), ACID_EINVAL);
  EXPECT_EQ(acid_user_delete(c, "auth0|nobody"), ACID_ENOTFOUND);

  const std::string signup = R"([{"log_id":"c1","data":{"type":"ss","date":"2025-10-14T08:30:00Z",)"
                             R"("user_id":"auth0|a","user_name":"a@example.com"}}])";
  ASSERT_EQ(acid_handle_log_stream(c, ACID_TENANT_AESTHETIC, "webhook", signup.data(),
                                   signup.size(), &status, &body),
            ACID_OK);
  EXPECT_EQ(status, 200) << body;
  acid_free(body);

  const std::string change = R"({"sub":"auth0|a","handle":"jeffrey"})";
  ASSERT_EQ(acid_handle_changed_request(c, "Bearer handles", change.data(), change.size(), &status,
                                        &body),
            ACID_OK);
  EXPECT_EQ(status, 200);
  EXPECT_STREQ(body, R"({"sub":"auth0|a","handle":"jeffrey"})");
  acid_free(body);
  ASSERT_EQ(
      acid_handle_changed_request(c, "Bearer nope", change.data(), change.size(), &status, &body),
      ACID_OK);
  EXPECT_EQ(status, 403);
  acid_free(body);
  EXPECT_EQ(acid_handle_changed(c, "auth0|a", "bad handle!"), ACID_EINVAL);
  EXPECT_EQ(acid_handle_changed(c, "auth0|a", "jeffrey2"), ACID_OK);
  // The deprecated first name does the same.
  EXPECT_EQ(acid_user_set_handle(c, "auth0|a", "bad handle!"), ACID_EINVAL);
  EXPECT_EQ(acid_user_set_handle(c, nullptr, "x"), ACID_EINVAL);
  EXPECT_EQ(acid_user_set_handle(c, "auth0|a", "jeffrey3"), ACID_OK);
  char *renamed = nullptr;
  ASSERT_EQ(acid_user_get(c, "auth0|a", &renamed), ACID_OK);
  EXPECT_NE(std::string(renamed).find("jeffrey3"), std::string::npos) << renamed;
  acid_free(renamed);

  ASSERT_EQ(acid_user_delete(c, "auth0|a"), ACID_OK);
  char *user = nullptr;
  ASSERT_EQ(acid_user_get(c, "auth0|a", &user), ACID_OK);
  EXPECT_NE(std::string(user).find(R"("state":"deleted")"), std::string::npos) << user;
  EXPECT_NE(std::string(user).find(R"("code":"ac25)"), std::string::npos) << user;
  acid_free(user);
}

// A refused entry is kept as a dead letter; the listing's options are checked by the core, and a
// bad one is refused by name without touching the store.
TEST(CApi, DeadLettersAreListedWithCheckedOptions) {
  TempDir dir;
  const IsolatedClient client(dir.sqlite_uri());
  acid_client *c = client.ptr;
  ASSERT_NE(c, nullptr);
  const std::string batch = R"([{"log_id":"d1","data":{"type":"fp","user_name":"\ud83d"}},)"
                            R"({"log_id":"d2","data":{"type":"fp","user_name":"\ud83e"}}])";
  int status = 0;
  char *body = nullptr;
  ASSERT_EQ(acid_handle_log_stream(c, ACID_TENANT_AESTHETIC, "webhook", batch.data(), batch.size(),
                                   &status, &body),
            ACID_OK);
  EXPECT_EQ(status, 200) << body;
  acid_free(body);

  const auto listed = [&](const char *options) {
    char *list = nullptr;
    EXPECT_EQ(acid_dead_letters_list(c, options, &list), ACID_OK) << acid_error_last()->message;
    std::size_t letters = 0;
    for (const char *p = list; (p = std::strstr(p, "\"kind\":\"invalid_text\"")) != nullptr; ++p) {
      ++letters;
    }
    acid_free(list);
    return letters;
  };
  EXPECT_EQ(listed("{}"), 2u);
  EXPECT_EQ(listed(R"({"limit":1,"include_replayed":true})"), 1u);

  char *list = nullptr;
  EXPECT_EQ(acid_dead_letters_list(c, R"({"limit":0})", &list), ACID_EINVAL);
  EXPECT_EQ(list, nullptr);
  EXPECT_NE(std::string(acid_error_last()->message).find("\"limit\" is unknown or out of range"),
            std::string::npos)
      << acid_error_last()->message;
  EXPECT_EQ(acid_dead_letters_list(c, "[1]", &list), ACID_EINVAL);
  EXPECT_EQ(acid_dead_letters_list(c, nullptr, &list), ACID_EINVAL);
  EXPECT_EQ(listed("{}"), 2u);  // the refusals changed nothing
}

}  // namespace
