// The documents behind fenced, renewed leases, the failure that keeps a rerun request, and the
// adoption of a DID other code wrote (issue 13 item 4, issue 14 item 3). No server needed: the
// exact filter and update each sends, as canonical extended JSON.
#include <gtest/gtest.h>

#include "store/mongo/mongo_commands.h"
#include "store/mongo/mongo_read.h"
#include "support/mongo_test_json.h"

namespace acid::store::mongo {
namespace {

using test::D;
using test::J;
using test::kNow;

TEST(MongoLeases, ARenewalMatchesTheLeaseTokenOfAnOpenJob) {
  const Commands c;
  EXPECT_EQ(c.renew_lease(7, "tok1", 5000).to_json(),
            J(R"({"op":"update_one","collection":"acid_jobs",
                  "filter":{"_id":@L:7@,"leaseToken":"tok1","status":"open"},
                  "update":{"$set":{"leaseUntil":@D:5000@}},
                  "options":{"writeConcern":@WC@}})"));
}

// fail_job refuses a job asked for again while leased (rerun: true); this second update then
// keeps the request: open, due as moved by the request, attempts counted afresh.
TEST(MongoLeases, FailingKeepsARerunRequest) {
  const Commands c;
  EXPECT_EQ(c.fail_job_keep_rerun(7, "tok1", R"({"e":2})").to_json(),
            J(R"({"op":"update_one","collection":"acid_jobs",
                  "filter":{"_id":@L:7@,"leaseToken":"tok1","rerun":true},
                  "update":{"$set":{"attempts":0,"lastError":"{\"e\":2}","leaseUntil":@D:0@},
                            "$unset":{"leaseOwner":"","leaseToken":"","rerun":""}},
                  "options":{"writeConcern":@WC@}})"));
}

// A DID on the users document, nested or legacy flat, whoever wrote it: a pending, creating or
// failed account becomes active at the version read; the atproto fields are not touched.
TEST(MongoLeases, AdoptingADidWrittenByOtherCode) {
  const Commands c;
  EXPECT_EQ(c.adopt_existing_account("auth0|1", "did:plc:x", 4, kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","acid.version":@L:4@,
                            "acid.state":{"$in":["pending","creating","failed"]},
                            "$or":[{"atproto.did":"did:plc:x"},{"atproto_did":"did:plc:x"}]},
                  "update":{"$set":{"acid.state":"active","acid.lastError":"",
                                    "acid.updatedAt":@NOW@},
                            "$unset":{"acid.intent":""},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
}

// What the provision job sees when other code wrote the DID after the library recorded the
// person as pending: the DID (nested or legacy flat) next to the library's own state, so the
// job adopts it instead of creating.
TEST(MongoLeases, AForeignDidIsReadBesideThePendingState) {
  for (const char *doc : {
           R"({"_id":"auth0|a","code":"ac25xadeh","acid":{"state":"pending","version":@L:3@},
               "atproto":{"did":"did:plc:nested","handle":"a.at.aesthetic.computer",
                          "password":"pw","created":"2025-10-14T01:02:03.000Z"}})",
           R"({"_id":"auth0|a","code":"ac25xadeh","acid":{"state":"failed","version":@L:3@},
               "atproto_did":"did:plc:flat","atproto_handle":"a.at.aesthetic.computer",
               "atproto_password":"pw"})",
       }) {
    Doc users = D(doc);
    auto a = read_account("auth0|a", users.get(), nullptr, nullptr);
    ASSERT_TRUE(a.is_ok()) << a.error().message;
    ASSERT_TRUE(a->did.has_value());
    EXPECT_TRUE(*a->did == "did:plc:nested" || *a->did == "did:plc:flat");
    EXPECT_NE(a->state, AccountState::active);  // the library's state, which then follows
    EXPECT_EQ(a->version, 3);
    EXPECT_EQ(a->password, "pw");
  }
}

}  // namespace
}  // namespace acid::store::mongo
