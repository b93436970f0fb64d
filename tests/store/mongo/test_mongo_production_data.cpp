// The MongoDB store opened on production-shaped data that its unique indexes cannot cover: two
// people whose handles differ only in case and one DID on two users documents. Runs against a
// real server only (ACID_TEST_MONGODB_URI; MongoConformance.NotConfigured reports the skip);
// the decision itself is unit-tested without a server in test_mongo_open.cpp.
#include <gtest/gtest.h>
#include <mongoc/mongoc.h>

#include <string>
#include <vector>

#include "store/mongo/mongo_bson.h"
#include "store/store.h"
#include "support/mongo_test_backend.h"

namespace acid::store {
namespace {

// Inserts raw documents as the deployed code (or an old migration) left them.
void insert_raw(const std::string &uri_text, const char *collection,
                const std::vector<std::string> &documents) {
  mongoc_init();
  bson_error_t error;
  mongoc_uri_t *uri = mongoc_uri_new_with_error(uri_text.c_str(), &error);
  ASSERT_NE(uri, nullptr) << error.message;
  mongoc_client_t *client = mongoc_client_new_from_uri_with_error(uri, &error);
  ASSERT_NE(client, nullptr) << error.message;
  mongoc_collection_t *coll =
      mongoc_client_get_collection(client, mongoc_uri_get_database(uri), collection);
  for (const std::string &json : documents) {
    auto doc = mongo::Doc::from_json(json);
    ASSERT_TRUE(doc.is_ok()) << json;
    EXPECT_TRUE(mongoc_collection_insert_one(coll, doc->get(), nullptr, nullptr, &error))
        << error.message;
  }
  mongoc_collection_destroy(coll);
  mongoc_client_destroy(client);
  mongoc_uri_destroy(uri);
}

TEST(MongoProductionData, ACaseVariantDuplicateHandleAndASharedDidOpenAndAreReported) {
  if (!testing::mongo_test_uri()) {
    GTEST_SKIP() << "ACID_TEST_MONGODB_URI is not set (see MongoConformance.NotConfigured)";
  }
  const std::string uri = testing::fresh_mongo_uri();
  insert_raw(
      uri, "@handles",
      {R"({"_id":"auth0|a","handle":"Jeffrey"})", R"({"_id":"auth0|b","handle":"jeffrey"})"});
  insert_raw(uri, "users",
             {R"({"_id":"auth0|a","code":"ac25babab","atproto":{"did":"did:plc:shared"}})",
              R"({"_id":"auth0|b","code":"ac25babeb","atproto":{"did":"did:plc:shared"}})",
              R"({"_id":"auth0|c","code":"ac25babib"})"});

  auto store = open_store(uri);
  ASSERT_TRUE(store) << store.error().message;  // signups keep flowing
  const std::vector<std::string> problems = (*store)->open_problems();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].rfind("users.acid_atproto_did_unique create_failed", 0), 0u) << problems[0];
  EXPECT_EQ(problems[1].rfind("@handles.acid_handle_ci_unique create_failed", 0), 0u)
      << problems[1];

  // While the indexes are missing the guarded writes check first.
  EXPECT_EQ((*store)->set_handle("auth0|c", "JEFFREY").code(), Code::conflict);
  EXPECT_TRUE((*store)->set_handle("auth0|c", "someone").is_ok());
  EXPECT_EQ((*store)
                ->mark_account_created("auth0|c", "did:plc:shared", "c.at.aesthetic.computer", "pw",
                                       "2025-10-14T00:00:00.000Z")
                .code(),
            Code::conflict);
}

}  // namespace
}  // namespace acid::store
