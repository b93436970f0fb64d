// No C++ exception may cross the C ABI. This binary replaces the global operator new so a test
// can make the N-th allocation inside the library throw std::bad_alloc, then sweeps N over every
// allocation a call makes: each call must return a status (ACID_ENOMEM or another), never
// terminate the process.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "acidentity/acidentity.h"
#include "support/temp_dir.h"

namespace {
std::atomic<long> g_fail_after{-1};  // -1: never fail
std::atomic<long> g_failures{0};
}  // namespace

// The replacement pairs malloc with free by design; GCC cannot see that both halves are ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void *operator new(std::size_t size) {
  const long n = g_fail_after.load();
  if (n >= 0) {
    if (n == 0) {
      g_fail_after.store(-1);
      g_failures.fetch_add(1);
      throw std::bad_alloc();
    }
    g_fail_after.store(n - 1);
  }
  void *p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void *p) noexcept {
  std::free(p);
}
void operator delete(void *p, std::size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace {

constexpr int64_t kOct2025 = 1760400000000;

// Runs `call` with the N-th allocation failing, for N = 0, 1, 2, ... until a run completes
// without hitting the failure. Returns how many failure points were exercised.
template <typename Call>
long sweep(Call call) {
  long n = 0;
  for (;; ++n) {
    const long before = g_failures.load();
    g_fail_after.store(n);
    const int rc = call();
    g_fail_after.store(-1);
    const bool injected = g_failures.load() != before;
    if (!injected) {
      EXPECT_EQ(rc, ACID_OK) << acid_error_last()->message;
      return n;
    }
    EXPECT_LT(rc, 0) << "a failed allocation was reported as success at point " << n;
    EXPECT_EQ(acid_error_last()->code, rc);
    EXPECT_NE(acid_error_last()->message, nullptr);
    if (n > 100000) {
      ADD_FAILURE() << "sweep did not terminate";
      return n;
    }
  }
}

TEST(CApiBoundary, ClientCreationSurvivesEveryAllocationFailure) {
  acid::testing::TempDir dir;
  const std::string uri = dir.sqlite_uri();
  long points = sweep([&] {
    acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
    opts.store_uri = uri.c_str();
    acid_client *client = nullptr;
    const int rc = acid_client_create(&client, &opts);
    if (rc != ACID_OK) {
      EXPECT_EQ(client, nullptr);
    }
    acid_client_destroy(client);
    return rc;
  });
  EXPECT_GT(points, 0);
}

TEST(CApiBoundary, AllocationAndStatsSurviveEveryAllocationFailure) {
  acid::testing::TempDir dir;
  const std::string uri = dir.sqlite_uri();
  acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
  opts.store_uri = uri.c_str();
  acid_client *client = nullptr;
  ASSERT_EQ(acid_client_create(&client, &opts), ACID_OK);
  long points = sweep([&] {
    char out[ACID_USER_CODE_SIZE];
    return acid_user_code_allocate(client, kOct2025, out);
  });
  EXPECT_GT(points, 0);
  points = sweep([&] {
    char *json = nullptr;
    const int rc = acid_user_code_stats(client, 25, &json);
    acid_free(json);
    return rc;
  });
  EXPECT_GT(points, 0);
  acid_client_destroy(client);
}

TEST(CApiBoundary, CredentialsStatusAndSealSurviveEveryAllocationFailure) {
  acid::testing::TempDir dir;
  const std::string uri = dir.sqlite_uri();
  acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
  opts.store_uri = uri.c_str();
  opts.credentials_key = "mbhUPg0YxcYeg1TmXPIk+4rJ4W6uq+jY1uL5J6gdnJM=";
  opts.use_environment = 0;
  acid_client *client = nullptr;
  ASSERT_EQ(acid_client_create(&client, &opts), ACID_OK);
  long points = sweep([&] {
    char *json = nullptr;
    const int rc = acid_credentials_status(client, &json);
    acid_free(json);
    return rc;
  });
  EXPECT_GT(points, 0);
  points = sweep([&] {
    char *json = nullptr;
    const int rc = acid_credentials_seal(client, R"({"all":true,"dry_run":true})", &json);
    acid_free(json);
    return rc;
  });
  EXPECT_GT(points, 0);
  acid_client_destroy(client);
}

TEST(CApiBoundary, PureHelpersSurviveEveryAllocationFailure) {
  long points = sweep([] {
    char out[ACID_USER_CODE_SIZE];
    return acid_user_code_generate(kOct2025, out);
  });
  EXPECT_GE(points, 0);
  points = sweep([] { return acid_user_code_check("ac25xadeh"); });
  EXPECT_GE(points, 0);
}

}  // namespace
