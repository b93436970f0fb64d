// Says, loudly, whether the store conformance suites ran against MongoDB: no mongod can run on
// the machines this project is built on (reference/mongodb-here.md), so the suites run against
// MongoDB only when ACID_TEST_MONGODB_URI names a real server. Registered in test_store only
// (a test name must be unique across the ctest run).
#include <gtest/gtest.h>

#include <iostream>

#include "store/mongo/mongo_errors.h"
#include "store/store.h"
#include "support/mongo_test_backend.h"
#include "support/store_reader.h"

namespace acid::testing {
namespace {

class NotConfigured : public ::testing::Test {
 public:
  void TestBody() override {
    std::cout << "\n"
              << "************************************************************************\n"
              << "*  MONGODB CONFORMANCE RUN SKIPPED                                     *\n"
              << "*  ACID_TEST_MONGODB_URI is not set, so the store conformance suites   *\n"
              << "*  ran against SQLite only. No mongod can run on this machine (see     *\n"
              << "*  reference/mongodb-here.md). To run them against MongoDB:            *\n"
              << "*    docker run -d -p 27017:27017 mongo:7                              *\n"
              << "*    ACID_TEST_MONGODB_URI=mongodb://127.0.0.1:27017 (build and ctest) *\n"
              << "************************************************************************\n"
              << std::endl;
    RecordProperty("mongodb_conformance", "SKIPPED: ACID_TEST_MONGODB_URI is not set");
    // The suites were instantiated without a MongoDB backend for exactly this reason.
    EXPECT_FALSE(mongo_test_uri().has_value());
  }
};

class Configured : public ::testing::Test {
 public:
  void TestBody() override {
    const auto uri = mongo_test_uri();
    ASSERT_TRUE(uri.has_value());
    std::cout << "[mongodb] conformance suites run against " << store::mongo::redact_text(*uri, {})
              << " (a fresh database per test)" << std::endl;
    RecordProperty("mongodb_conformance", "RUN against " + store::mongo::redact_text(*uri, {}));
    auto store = store::open_store(fresh_mongo_uri());
    ASSERT_TRUE(store.is_ok()) << store.error().message;
    EXPECT_EQ(acid::testing::inspect(**store).backend(), "mongodb");
  }
};

const bool g_registered = [] {
  if (mongo_test_uri()) {
    ::testing::RegisterTest("MongoConformance", "Configured", nullptr, nullptr, __FILE__, __LINE__,
                            []() -> ::testing::Test * { return new Configured; });
  } else {
    ::testing::RegisterTest("MongoConformance", "NotConfigured", nullptr, nullptr, __FILE__,
                            __LINE__, []() -> ::testing::Test * { return new NotConfigured; });
  }
  return true;
}();

}  // namespace
}  // namespace acid::testing
