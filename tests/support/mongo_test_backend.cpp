#include "support/mongo_test_backend.h"

#include <gtest/gtest.h>
#include <mongoc/mongoc.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <vector>

#include "store/mongo/mongo_errors.h"
#include "store/store.h"

namespace acid::testing {

namespace {

std::mutex g_mu;
std::vector<std::string> g_databases;  // handed out, dropped at exit

// Drops the databases the conformance run created.
class DropDatabases : public ::testing::Environment {
 public:
  void TearDown() override {
    const auto base = mongo_test_uri();
    if (!base) return;
    std::lock_guard lock(g_mu);
    if (g_databases.empty()) return;
    mongoc_init();
    bson_error_t error;
    mongoc_client_t *client = nullptr;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(base->c_str(), &error);
    if (uri != nullptr) client = mongoc_client_new_from_uri_with_error(uri, &error);
    if (client == nullptr) {
      std::cout << "[mongodb] could not connect to drop the test databases: "
                << store::mongo::redact_text(error.message, {}) << "\n";
    } else {
      for (const auto &name : g_databases) {
        mongoc_database_t *db = mongoc_client_get_database(client, name.c_str());
        if (!mongoc_database_drop_with_opts(db, nullptr, &error)) {
          std::cout << "[mongodb] dropping test database " << name
                    << " failed: " << store::mongo::redact_text(error.message, {}) << "\n";
        }
        mongoc_database_destroy(db);
      }
      mongoc_client_destroy(client);
    }
    if (uri != nullptr) mongoc_uri_destroy(uri);
    g_databases.clear();
  }
};

const bool g_registered = [] {
  ::testing::AddGlobalTestEnvironment(new DropDatabases);
  return true;
}();

}  // namespace

std::optional<std::string> mongo_test_uri() {
  const char *v = std::getenv("ACID_TEST_MONGODB_URI");
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::string fresh_mongo_uri() {
  static std::atomic<int> counter{0};
  const auto base = mongo_test_uri();
  if (!base) return "mongodb://127.0.0.1:1/acid_test_not_configured";
  std::random_device rd;
  const std::string name = "acid_test_" + std::to_string(::getpid()) + "_" +
                           std::to_string(counter.fetch_add(1)) + "_" +
                           std::to_string(rd() % 1000000);
  {
    std::lock_guard lock(g_mu);
    g_databases.push_back(name);
  }
  return with_database(*base, name);
}

}  // namespace acid::testing
