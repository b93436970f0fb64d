// The index comparison over listIndexes output: accepted under any name, conflicting options are
// an error with the fix, missing ones are created, nothing is ignored by error code.
#include <gtest/gtest.h>

#include "core/json.h"
#include "store/mongo/mongo_indexes.h"
#include "support/mongo_test_json.h"

namespace acid::store::mongo {
namespace {

using test::D;
using test::J;

Doc id_index() {
  return D(R"({"v":2,"key":{"_id":1},"name":"_id_"})");
}

const IndexCheck &check_named(const IndexReport &report, std::string_view name) {
  for (const auto &c : report.checks) {
    if (c.spec.name == name) return c;
  }
  static const IndexCheck none{};
  ADD_FAILURE() << "no check for " << name;
  return none;
}

IndexReport compare(std::string_view collection, std::vector<Doc> listed) {
  IndexReport report;
  compare_indexes(collection, listed, required_indexes(), report);
  return report;
}

TEST(MongoIndexes, TheRequiredSet) {
  const auto specs = required_indexes();
  std::vector<std::string> names;
  for (const auto &s : specs) names.push_back(s.collection + "." + s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"users.code_unique", "users.acid_atproto_did_unique",
                                             "users.acid_owed_at", "@handles.acid_handle_ci_unique",
                                             "acid_jobs.acid_jobs_open_unique",
                                             "acid_jobs.acid_jobs_due", "acid_jobs.acid_jobs_sub",
                                             "acid_code_claims.acid_claims_yy"}));
  EXPECT_EQ(indexed_collections(specs),
            (std::vector<std::string>{"users", "@handles", "acid_jobs", "acid_code_claims"}));
}

TEST(MongoIndexes, TheIncidentCodeIndexNamedCode1IsAccepted) {
  // The October 2025 incident: the migration's unnamed {code:1} unique sparse index ("code_1")
  // and ensureUserCodeIndex's "code_unique" are the same index.
  auto report = compare("users", {id_index(), D(R"({"v":2,"key":{"code":1},"name":"code_1",
                                                   "unique":true,"sparse":true})")});
  const IndexCheck &code = check_named(report, "code_unique");
  EXPECT_EQ(code.status, IndexStatus::found);
  EXPECT_EQ(code.existing_name, "code_1");
  EXPECT_TRUE(report.extra.empty());
  auto named = compare("users", {id_index(), D(R"({"v":2,"key":{"code":1},"name":"code_unique",
                                                  "unique":true,"sparse":true})")});
  EXPECT_EQ(check_named(named, "code_unique").status, IndexStatus::found);
  EXPECT_EQ(check_named(named, "code_unique").existing_name, "code_unique");
}

TEST(MongoIndexes, KeyDirectionsCompareByValue) {
  for (const char *key : {R"({"code":1.0})", R"({"code":{"$numberLong":"1"}})"}) {
    auto report = compare("users", {D(std::string(R"({"v":2,"key":)") + key +
                                      R"(,"name":"c","unique":true,"sparse":true})")});
    EXPECT_EQ(check_named(report, "code_unique").status, IndexStatus::found) << key;
  }
  // A descending index is another key: ours is missing, theirs is left alone.
  auto desc = compare("users", {D(R"({"v":2,"key":{"code":-1},"name":"code_-1","unique":true})")});
  EXPECT_EQ(check_named(desc, "code_unique").status, IndexStatus::missing);
  ASSERT_EQ(desc.extra.size(), 1u);
  EXPECT_EQ(desc.extra[0].name, "code_-1");
}

TEST(MongoIndexes, ANonUniqueCodeIndexIsAConflictWithItsFix) {
  auto report = compare("users", {id_index(), D(R"({"v":2,"key":{"code":1},"name":"code_1"})")});
  const IndexCheck &code = check_named(report, "code_unique");
  ASSERT_EQ(code.status, IndexStatus::conflicting);
  EXPECT_EQ(code.existing_name, "code_1");
  EXPECT_NE(code.problem.find("unique: false (needs true)"), std::string::npos) << code.problem;
  EXPECT_NE(code.problem.find("sparse: false (needs true)"), std::string::npos) << code.problem;
  EXPECT_NE(code.fix.find(R"(db.getCollection("users").dropIndex("code_1"))"), std::string::npos)
      << code.fix;
  EXPECT_NE(code.fix.find("$group"), std::string::npos) << code.fix;  // find duplicates first
  EXPECT_NE(code.fix.find("acidentity doctor --fix"), std::string::npos);
  EXPECT_FALSE(report.ready());

  const Error e = conflicts_error("aesthetic", report);
  EXPECT_EQ(e.code, Code::config);
  EXPECT_NE(e.message.find("code_1"), std::string::npos);
  EXPECT_NE(e.message.find("dropIndex"), std::string::npos);
  EXPECT_NE(e.detail_json.find(R"("existing_name":"code_1")"), std::string::npos);
}

TEST(MongoIndexes, UniqueButNotSparseIsAConflictToo) {
  auto report = compare("users", {D(R"({"v":2,"key":{"code":1},"name":"code_1","unique":true})")});
  const IndexCheck &code = check_named(report, "code_unique");
  ASSERT_EQ(code.status, IndexStatus::conflicting);
  EXPECT_EQ(code.problem.find("unique:"), std::string::npos);
  EXPECT_NE(code.problem.find("sparse: false (needs true)"), std::string::npos);
}

TEST(MongoIndexes, MissingCollectionsNeedEveryIndex) {
  IndexReport report;
  for (const char *c : {"users", "@handles", "acid_jobs", "acid_code_claims"}) {
    compare_indexes(c, {}, required_indexes(), report);
  }
  EXPECT_EQ(report.checks.size(), required_indexes().size());
  EXPECT_EQ(report.count(IndexStatus::missing), required_indexes().size());
  EXPECT_TRUE(report.ready());  // missing indexes are created, not errors
}

TEST(MongoIndexes, DidIndexIsPartialOnStrings) {
  auto found = compare("users", {D(R"({"v":2,"key":{"atproto.did":1},"name":"did",
                                       "unique":true,
                                       "partialFilterExpression":{"atproto.did":{"$type":"string"}}})")});
  EXPECT_EQ(check_named(found, "acid_atproto_did_unique").status, IndexStatus::found);
  // Sparse would still index atproto.did: null (which exists in the deployed data).
  auto sparse = compare("users", {D(R"({"v":2,"key":{"atproto.did":1},"name":"did",
                                        "unique":true,"sparse":true})")});
  const IndexCheck &c = check_named(sparse, "acid_atproto_did_unique");
  ASSERT_EQ(c.status, IndexStatus::conflicting);
  EXPECT_NE(c.problem.find("partialFilterExpression: none"), std::string::npos) << c.problem;
}

TEST(MongoIndexes, PartialFilterEqualityForms) {
  // {status: "open"} and {status: {$eq: "open"}} are the same filter.
  auto report = compare("acid_jobs", {D(R"({"v":2,"key":{"sub":1,"kind":1},"name":"open",
                                            "unique":true,
                                            "partialFilterExpression":{"status":{"$eq":"open"}}})")});
  EXPECT_EQ(check_named(report, "acid_jobs_open_unique").status, IndexStatus::found);
  auto other = compare("acid_jobs", {D(R"({"v":2,"key":{"sub":1,"kind":1},"name":"open",
                                           "unique":true,
                                           "partialFilterExpression":{"status":"failed"}})")});
  EXPECT_EQ(check_named(other, "acid_jobs_open_unique").status, IndexStatus::conflicting);
}

TEST(MongoIndexes, HandlesNeedACaseInsensitiveIndexBesideTheDeployedOne) {
  // handle.mjs creates {handle:1} unique (case-sensitive) on every POST. That is another index
  // (another collation): kept as is, and the library's case-insensitive one is created.
  const Doc deployed = D(R"({"v":2,"key":{"handle":1},"name":"handle_1","unique":true})");
  auto before = compare("@handles", {id_index(), deployed});
  EXPECT_EQ(check_named(before, "acid_handle_ci_unique").status, IndexStatus::missing);
  ASSERT_EQ(before.extra.size(), 1u);
  EXPECT_EQ(before.extra[0].name, "handle_1");

  // listIndexes returns the collation with every ICU attribute spelled out.
  const Doc ci = D(R"({"v":2,"key":{"handle":1},"name":"acid_handle_ci_unique","unique":true,
                       "collation":{"locale":"en","caseLevel":false,"caseFirst":"off",
                                    "strength":2,"numericOrdering":false,
                                    "alternate":"non-ignorable","maxVariable":"punct",
                                    "normalization":false,"backwards":false,"version":"57.1"}})");
  auto after = compare("@handles", {id_index(), deployed, ci});
  EXPECT_EQ(check_named(after, "acid_handle_ci_unique").status, IndexStatus::found);
  EXPECT_EQ(after.extra.size(), 1u);

  // Same collation, not unique: a conflict. Another strength: a distinct index.
  const Doc ci_not_unique = D(R"({"v":2,"key":{"handle":1},"name":"h_ci",
                                  "collation":{"locale":"en","strength":2}})");
  EXPECT_EQ(check_named(compare("@handles", {ci_not_unique}), "acid_handle_ci_unique").status,
            IndexStatus::conflicting);
  const Doc strength1 = D(R"({"v":2,"key":{"handle":1},"name":"h1","unique":true,
                              "collation":{"locale":"en","strength":1}})");
  EXPECT_EQ(check_named(compare("@handles", {strength1}), "acid_handle_ci_unique").status,
            IndexStatus::missing);
}

TEST(MongoIndexes, TtlOrHiddenOnANeededKeyIsAConflict) {
  auto ttl = compare("acid_code_claims",
                     {D(R"({"v":2,"key":{"yy":1},"name":"yy_1","expireAfterSeconds":3600})")});
  const IndexCheck &c = check_named(ttl, "acid_claims_yy");
  ASSERT_EQ(c.status, IndexStatus::conflicting);
  EXPECT_NE(c.problem.find("expireAfterSeconds: 3600 (needs none)"), std::string::npos);
  auto hidden =
      compare("acid_code_claims", {D(R"({"v":2,"key":{"yy":1},"name":"yy_1","hidden":true})")});
  EXPECT_EQ(check_named(hidden, "acid_claims_yy").status, IndexStatus::conflicting);
}

TEST(MongoIndexes, CreateIndexesCommand) {
  const auto specs = required_indexes();
  std::vector<const IndexSpec *> users;
  for (const auto &s : specs) {
    if (s.collection == "users") users.push_back(&s);
  }
  EXPECT_EQ(create_indexes_command("users", users).canonical_json(),
            J(R"({"createIndexes":"users","indexes":[
                   {"key":{"code":1},"name":"code_unique","unique":true,"sparse":true},
                   {"key":{"atproto.did":1},"name":"acid_atproto_did_unique","unique":true,
                    "partialFilterExpression":{"atproto.did":{"$type":"string"}}},
                   {"key":{"acid.owed.at":1},"name":"acid_owed_at","sparse":true}]})"));
  std::vector<const IndexSpec *> handles;
  for (const auto &s : specs) {
    if (s.collection == "@handles") handles.push_back(&s);
  }
  EXPECT_EQ(create_indexes_command("@handles", handles).canonical_json(),
            J(R"({"createIndexes":"@handles","indexes":[
                   {"key":{"handle":1},"name":"acid_handle_ci_unique","unique":true,
                    "collation":{"locale":"en","strength":2}}]})"));
}

TEST(MongoIndexes, DoctorReport) {
  IndexReport report;
  compare_indexes("users", {id_index(), D(R"({"v":2,"key":{"code":1},"name":"code_1"})")},
                  required_indexes(), report);
  compare_indexes("@handles",
                  {id_index(), D(R"({"v":2,"key":{"handle":1},"name":"handle_1","unique":true})")},
                  required_indexes(), report);
  auto doc = json::parse(doctor_json("aesthetic", false, report));
  ASSERT_TRUE(doc.is_ok()) << doctor_json("aesthetic", false, report);
  const auto &d = *doc;
  EXPECT_EQ(*json::get_string(d, "database"), "aesthetic");
  EXPECT_FALSE(*json::get_bool(d, "ready"));
  const auto *summary = json::get_object(d, "summary");
  ASSERT_NE(summary, nullptr);
  EXPECT_EQ(*json::get_int(*summary, "expected"), 4);
  EXPECT_EQ(*json::get_int(*summary, "found"), 0);
  EXPECT_EQ(*json::get_int(*summary, "conflicting"), 1);
  EXPECT_EQ(*json::get_int(*summary, "would_create"), 3);
  const auto *indexes = json::get_array(d, "indexes");
  ASSERT_NE(indexes, nullptr);
  ASSERT_EQ(indexes->Size(), 4u);
  const auto &first = (*indexes)[0];
  EXPECT_EQ(*json::get_string(first, "name"), "code_unique");
  EXPECT_EQ(*json::get_string(first, "status"), "conflicting");
  EXPECT_EQ(*json::get_string(first, "existing_name"), "code_1");
  EXPECT_TRUE(json::get_string(first, "fix").has_value());
  const auto *key = json::get_object(first, "key");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(*json::get_int(*key, "code"), 1);
  const auto *extra = json::get_array(d, "extra");
  ASSERT_NE(extra, nullptr);
  ASSERT_EQ(extra->Size(), 1u);
  EXPECT_EQ(*json::get_string((*extra)[0], "name"), "handle_1");
}

}  // namespace
}  // namespace acid::store::mongo
