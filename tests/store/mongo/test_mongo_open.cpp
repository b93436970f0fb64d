// Opening on production data: a unique index the existing documents do not allow (a case-variant
// duplicate handle, a DID shared by two documents) must not stop the store; only an index the
// store cannot be correct without does. The server's replies are the shapes MongoDB 7 sends for
// a failed index build; the decision and the problems reported are the ones open_mongo_store
// uses (no server needed).
#include <gtest/gtest.h>
#include <mongoc/mongoc.h>

#include "store/mongo/mongo_indexes.h"
#include "support/mongo_test_json.h"

namespace acid::store::mongo {
namespace {

using test::D;

const std::vector<std::string> kNoSecrets;

IndexCheck *named(IndexReport &report, std::string_view name) {
  for (auto &c : report.checks) {
    if (c.spec.name == name) return &c;
  }
  ADD_FAILURE() << "no check for " << name;
  return nullptr;
}

// What libmongoc returns when createIndexes fails on existing duplicates (error API 2).
Status failed_build(std::string_view collection, std::string_view index, std::string_view key,
                    std::string_view value) {
  const std::string message =
      "Index build failed: 4b0c4b1e-9a5b-4ef5-8b1a-3f0d6c1e2a77: Collection aesthetic." +
      std::string(collection) +
      " ( 6f1c3c1e-0d0a-4d52-9a53-4b4d5e6f7a8b ) :: caused by :: "
      "E11000 duplicate key error collection: aesthetic." +
      std::string(collection) + " index: " + std::string(index) + " dup key: { " +
      std::string(key) + ": \"" + std::string(value) + "\" }";
  bson_error_t error;
  bson_set_error(&error, MONGOC_ERROR_SERVER, 11000, "%s", message.c_str());
  const Doc reply =
      D(R"({"ok":0,"code":11000,"codeName":"DuplicateKey","keyPattern":{")" + std::string(key) +
        R"(":1},"keyValue":{")" + std::string(key) + R"(":")" + std::string(value) + R"("}})");
  return classify_error(error, reply.get(), "createIndexes on " + std::string(collection),
                        collection, kNoSecrets);
}

// The deployed database: @handles has handle.mjs's case-sensitive handle_1, users has the
// deployed code index; none of the library's own indexes exist yet.
IndexReport production_report() {
  IndexReport report;
  const auto specs = required_indexes();
  compare_indexes(
      "users",
      {D(R"({"v":2,"key":{"_id":1},"name":"_id_"})"),
       D(R"({"v":2,"key":{"code":1},"name":"code_unique","unique":true,"sparse":true})")},
      specs, report);
  compare_indexes("@handles",
                  {D(R"({"v":2,"key":{"_id":1},"name":"_id_"})"),
                   D(R"({"v":2,"key":{"handle":1},"name":"handle_1","unique":true})")},
                  specs, report);
  compare_indexes("acid_jobs", {}, specs, report);
  compare_indexes("acid_code_claims", {}, specs, report);
  return report;
}

TEST(MongoOpen, OnlyTheOpenJobIndexIsRequired) {
  for (const IndexSpec &spec : required_indexes()) {
    EXPECT_EQ(spec.required, spec.name == "acid_jobs_open_unique") << spec.name;
  }
}

TEST(MongoOpen, ACaseVariantDuplicateHandleAndASharedDidOpenTheStoreAndAreReported) {
  // @handles holds "Jeffrey" and "jeffrey" (two people; the deployed regex check let it happen),
  // users holds one DID on two documents: the two unique indexes cannot be built.
  IndexReport report = production_report();
  ASSERT_EQ(named(report, "code_unique")->status, IndexStatus::found);
  for (IndexCheck &check : report.checks) {
    if (check.status != IndexStatus::missing) continue;
    Status created;
    if (check.spec.name == "acid_handle_ci_unique") {
      created = failed_build("@handles", "acid_handle_ci_unique", "handle", "jeffrey");
    } else if (check.spec.name == "acid_atproto_did_unique") {
      created = failed_build("users", "acid_atproto_did_unique", "atproto.did", "did:plc:shared");
    }
    ASSERT_TRUE(record_creation(check, created).is_ok()) << check.spec.name;
  }
  EXPECT_EQ(named(report, "acid_handle_ci_unique")->status, IndexStatus::create_failed);
  EXPECT_EQ(named(report, "acid_atproto_did_unique")->status, IndexStatus::create_failed);
  EXPECT_EQ(named(report, "acid_jobs_open_unique")->status, IndexStatus::created);
  EXPECT_FALSE(report.ready());  // the doctor fails until the data is fixed

  auto missing = open_decision("aesthetic", report);
  ASSERT_TRUE(missing) << missing.error().message;  // the store opens: signups keep flowing
  ASSERT_EQ(missing->size(), 2u);
  std::vector<std::string> lines;
  for (const IndexCheck &c : *missing) lines.push_back(problem_line(c));
  // Each problem names the index, the duplicate, and the query that lists the documents to fix.
  EXPECT_EQ(lines[0].rfind("users.acid_atproto_did_unique create_failed: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("did:plc:shared"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("$group"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1].rfind("@handles.acid_handle_ci_unique create_failed: ", 0), 0u) << lines[1];
  EXPECT_NE(lines[1].find("$toLower"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("acidentity doctor --fix"), std::string::npos) << lines[1];
  // The guarded operations check in software while these are missing.
  EXPECT_EQ((*missing)[0].spec.role, IndexRole::did);
  EXPECT_EQ((*missing)[1].spec.role, IndexRole::handle);
}

TEST(MongoOpen, ANonUniqueDeployedCodeIndexOpensDegradedToo) {
  // Allocation is guarded by acid_code_claims' _id, so a code_1 that is not unique is reported,
  // not fatal (the October 2025 incident must not happen the other way round).
  IndexReport report;
  compare_indexes("users", {D(R"({"v":2,"key":{"code":1},"name":"code_1"})")}, required_indexes(),
                  report);
  auto missing = open_decision("aesthetic", report);
  ASSERT_TRUE(missing) << missing.error().message;
  ASSERT_EQ(missing->size(), 1u);
  EXPECT_EQ((*missing)[0].status, IndexStatus::conflicting);
  EXPECT_NE(problem_line((*missing)[0]).find("dropIndex(\"code_1\")"), std::string::npos);
}

TEST(MongoOpen, ARequiredIndexThatCannotBeBuiltRefusesToOpen) {
  IndexReport report;
  compare_indexes("acid_jobs",
                  {D(R"({"v":2,"key":{"sub":1,"kind":1},"name":"open","unique":true})")},
                  required_indexes(), report);
  ASSERT_EQ(named(report, "acid_jobs_open_unique")->status, IndexStatus::conflicting);
  auto missing = open_decision("aesthetic", report);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.code(), Code::config);
  EXPECT_NE(missing.error().message.find("acid_jobs_open_unique"), std::string::npos);
}

TEST(MongoOpen, AServerFailureWhileBuildingIsAnErrorNotAProblemWithTheData) {
  IndexReport report = production_report();
  IndexCheck *check = named(report, "acid_handle_ci_unique");
  ASSERT_NE(check, nullptr);
  bson_error_t error;
  bson_set_error(&error, MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET, "%s",
                 "Failed to read 4 bytes: socket error or timeout");
  const Status down =
      classify_error(error, nullptr, "createIndexes on @handles", "@handles", kNoSecrets);
  const Status recorded = record_creation(*check, down);
  EXPECT_EQ(recorded.code(), Code::unavailable);
  EXPECT_EQ(check->status, IndexStatus::missing);
}

}  // namespace
}  // namespace acid::store::mongo
