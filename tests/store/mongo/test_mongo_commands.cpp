// The exact documents the MongoDB adapter sends for each port operation, as canonical extended
// JSON: filter, update and options (write concern majority on every write, read concern majority
// on every read). No server needed.
#include <gtest/gtest.h>

#include "store/mongo/mongo_commands.h"
#include "store/mongo/mongo_transitions.h"
#include "support/mongo_test_json.h"

namespace acid::store::mongo {
namespace {

using provision::AccountEvent;
using test::J;
using test::kNow;

// The groups of an event's cells the store applies, in order (see mongo_transitions.h).
provision::DecisionGroup group(AccountEvent event, std::size_t index) {
  const auto groups = groups_to_apply(event);
  EXPECT_LT(index, groups.size()) << to_string(event);
  return index < groups.size() ? groups[index] : provision::DecisionGroup{};
}

class MongoCommands : public ::testing::Test {
 protected:
  Commands c;
};

TEST_F(MongoCommands, WriteAndReadConcerns) {
  EXPECT_EQ(c.write_concern().canonical_json(), J(R"({"w":"majority"})"));
  EXPECT_EQ(Commands(2500).write_concern().canonical_json(),
            J(R"({"w":"majority","wtimeout":@L:2500@})"));
  EXPECT_EQ(Commands::read_concern().canonical_json(), J(R"({"level":"majority"})"));
  // The URI's wtimeoutMS reaches every write.
  EXPECT_EQ(Commands(2500).ensure_verifications("auth0|1").to_json(),
            J(R"({"op":"update_one","collection":"verifications","filter":{"_id":"auth0|1"},
                  "update":{"$setOnInsert":{"count":0}},
                  "options":{"upsert":true,"writeConcern":{"w":"majority","wtimeout":@L:2500@}}})"));
}

TEST_F(MongoCommands, Secrets) {
  EXPECT_EQ(c.get_or_put_secret("code_key", "v1", kNow).to_json(),
            J(R"({"op":"find_and_modify","collection":"acid_meta",
                  "filter":{"_id":"secret/code_key"},
                  "update":{"$setOnInsert":{"value":"v1","createdAt":@NOW@}},
                  "options":{"fields":{"value":1},"upsert":true,"new":true,"writeConcern":@WC@}})"));
}

TEST_F(MongoCommands, CodeAllocation) {
  EXPECT_EQ(c.counter_step(25, 109744, 2).to_json(),
            J(R"({"op":"find_and_modify","collection":"acid_code_counters",
                  "filter":{"_id":25,"next":{"$lt":@L:109744@}},
                  "update":{"$inc":{"next":@L:1@,"skipped":@L:2@}},
                  "options":{"fields":{"next":1,"skipped":1},"upsert":true,"new":true,
                             "writeConcern":@WC@}})"));
  EXPECT_EQ(c.read_counter(25).to_json(),
            J(R"({"op":"find_one","collection":"acid_code_counters","filter":{"_id":25},
                  "options":{"projection":{"next":1,"skipped":1},"limit":@L:1@,"readConcern":@RC@}})"));
  EXPECT_EQ(c.add_skipped(25, 3).to_json(),
            J(R"({"op":"update_one","collection":"acid_code_counters","filter":{"_id":25},
                  "update":{"$inc":{"skipped":@L:3@}},"options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.code_in_users("ac25babab").to_json(),
            J(R"({"op":"find_one","collection":"users","filter":{"code":"ac25babab"},
                  "options":{"projection":{"_id":1},"limit":@L:1@,"readConcern":@RC@}})"));
  EXPECT_EQ(c.insert_allocated_claim("ac25babab", 25, 7, "auth0|a", kNow).to_json(),
            J(R"({"op":"insert_one","collection":"acid_code_claims",
                  "filter":{"_id":"ac25babab","yy":25,"position":@L:7@,"sub":"auth0|a","at":@NOW@},
                  "options":{"writeConcern":@WC@}})"));
  // A claim without a user (the CLI's "allocate a code") has no sub field.
  EXPECT_EQ(c.insert_allocated_claim("ac25babab", 25, 7, "", kNow).to_json(),
            J(R"({"op":"insert_one","collection":"acid_code_claims",
                  "filter":{"_id":"ac25babab","yy":25,"position":@L:7@,"at":@NOW@},
                  "options":{"writeConcern":@WC@}})"));
}

TEST_F(MongoCommands, CodeStatistics) {
  EXPECT_EQ(c.list_counters(std::nullopt).to_json(),
            J(R"({"op":"find","collection":"acid_code_counters","filter":{},
                  "options":{"sort":{"_id":1},"readConcern":@RC@}})"));
  EXPECT_EQ(c.list_counters(25).to_json(),
            J(R"({"op":"find","collection":"acid_code_counters","filter":{"_id":25},
                  "options":{"sort":{"_id":1},"readConcern":@RC@}})"));
  EXPECT_EQ(c.count_allocated(25).to_json(),
            J(R"({"op":"count","collection":"acid_code_claims","filter":{"yy":25},
                  "options":{"readConcern":@RC@}})"));
  // Year 05: the code range of the year, a range scan on the code index.
  EXPECT_EQ(c.year_codes_in_users(5).to_json(),
            J(R"({"op":"find","collection":"users","filter":{"code":{"$gte":"ac05","$lt":"ac05{"}},
                  "options":{"projection":{"code":1,"_id":0},"sort":{"code":1},
                             "readConcern":@RC@}})"));
  EXPECT_EQ(c.allocated_claims_of_year(25).to_json(),
            J(R"({"op":"find","collection":"acid_code_claims","filter":{"yy":25},
                  "options":{"projection":{"_id":1},"readConcern":@RC@}})"));
}

TEST_F(MongoCommands, Users) {
  EXPECT_EQ(c.insert_external_claim("ac25babab", "auth0|1", kNow).to_json(),
            J(R"({"op":"insert_one","collection":"acid_code_claims",
                  "filter":{"_id":"ac25babab","sub":"auth0|1","at":@NOW@},
                  "options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.read_claim("ac25babab").to_json(),
            J(R"({"op":"find_one","collection":"acid_code_claims","filter":{"_id":"ac25babab"},
                  "options":{"projection":{"sub":1,"yy":1},"limit":@L:1@,"readConcern":@RC@}})"));
  // Only an external claim of this user is removed, never an allocated one.
  EXPECT_EQ(c.delete_external_claim("ac25babab", "auth0|1").to_json(),
            J(R"({"op":"delete_one","collection":"acid_code_claims",
                  "filter":{"_id":"ac25babab","sub":"auth0|1","yy":{"$exists":false}},
                  "options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.insert_user({"auth0|1", std::string("ac25babab"), 5}).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","code":{"$exists":false},"when":{"$exists":false}},
                  "update":{"$set":{"code":"ac25babab","when":@D:5@}},
                  "options":{"upsert":true,"writeConcern":@WC@}})"));
  EXPECT_EQ(c.insert_user({"auth0|2", std::nullopt, std::nullopt}).to_json(),
            J(R"({"op":"insert_one","collection":"users","filter":{"_id":"auth0|2"},
                  "options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.get_user("auth0|1").to_json(),
            J(R"({"op":"find_one","collection":"users","filter":{"_id":"auth0|1"},
                  "options":{"projection":{"code":1,"when":1},"limit":@L:1@,"readConcern":@RC@}})"));
  EXPECT_EQ(c.find_code_owner("ac25babab").to_json(),
            J(R"({"op":"find_one","collection":"users","filter":{"code":"ac25babab"},
                  "options":{"projection":{"_id":1},"limit":@L:1@,"readConcern":@RC@}})"));
}

TEST_F(MongoCommands, UserInputIsOnlyEverAValue) {
  // Strings that look like operators or paths stay plain string values.
  EXPECT_EQ(c.get_user("{\"$ne\":1}.x").to_json(),
            J(R"({"op":"find_one","collection":"users","filter":{"_id":"{\"$ne\":1}.x"},
                  "options":{"projection":{"code":1,"when":1},"limit":@L:1@,"readConcern":@RC@}})"));
  EXPECT_EQ(c.set_handle("sotce-auth0|x", "$where", kNow).to_json(),
            J(R"({"op":"update_one","collection":"@handles","filter":{"_id":"sotce-auth0|x"},
                  "update":{"$set":{"handle":"$where","updatedAt":@NOW@},
                            "$setOnInsert":{"createdAt":@NOW@}},
                  "options":{"upsert":true,"writeConcern":@WC@}})"));
}

TEST_F(MongoCommands, VerificationsAndHandles) {
  EXPECT_EQ(c.ensure_verifications("auth0|1").to_json(),
            J(R"({"op":"update_one","collection":"verifications","filter":{"_id":"auth0|1"},
                  "update":{"$setOnInsert":{"count":0}},
                  "options":{"upsert":true,"writeConcern":@WC@}})"));
  EXPECT_EQ(c.increment_verifications("auth0|1").to_json(),
            J(R"({"op":"find_and_modify","collection":"verifications","filter":{"_id":"auth0|1"},
                  "update":{"$inc":{"count":1}},
                  "options":{"fields":{"count":1},"upsert":true,"new":true,"writeConcern":@WC@}})"));
  EXPECT_EQ(c.get_verifications("auth0|1").to_json(),
            J(R"({"op":"find_one","collection":"verifications","filter":{"_id":"auth0|1"},
                  "options":{"projection":{"count":1},"limit":@L:1@,"readConcern":@RC@}})"));
  EXPECT_EQ(c.get_handle("auth0|1").to_json(),
            J(R"({"op":"find_one","collection":"@handles","filter":{"_id":"auth0|1"},
                  "options":{"projection":{"handle":1},"limit":@L:1@,"readConcern":@RC@}})"));
}

TEST_F(MongoCommands, HandleWritesKeepCreatedAtAndUpdatedAtAsTheDeployedFunctionDoes) {
  // handle.mjs inserts {_id, handle, createdAt, updatedAt} and $sets {handle, updatedAt} (Dates):
  // the library's write keeps both fields, createdAt only on the first write.
  EXPECT_EQ(c.set_handle("auth0|1", "jeffrey", kNow).to_json(),
            J(R"({"op":"update_one","collection":"@handles","filter":{"_id":"auth0|1"},
                  "update":{"$set":{"handle":"jeffrey","updatedAt":@NOW@},
                            "$setOnInsert":{"createdAt":@NOW@}},
                  "options":{"upsert":true,"writeConcern":@WC@}})"));
}

TEST_F(MongoCommands, ChecksUsedOnlyWhileAUniqueIndexIsMissing) {
  // acid_handle_ci_unique could not be built: another person's handle is looked for with the
  // index's own collation (case-insensitive), never by a regex built from the handle.
  EXPECT_EQ(c.handle_held_by_other("auth0|1", "Jeff.rey").to_json(),
            J(R"({"op":"find_one","collection":"@handles",
                  "filter":{"handle":"Jeff.rey","_id":{"$ne":"auth0|1"}},
                  "options":{"projection":{"_id":1},"collation":{"locale":"en","strength":2},
                             "limit":@L:1@,"readConcern":@RC@}})"));
  EXPECT_EQ(c.did_held_by_other("auth0|1", "did:plc:abc").to_json(),
            J(R"({"op":"find_one","collection":"users",
                  "filter":{"atproto.did":"did:plc:abc","_id":{"$ne":"auth0|1"}},
                  "options":{"projection":{"_id":1},"limit":@L:1@,"readConcern":@RC@}})"));
}

EventFact event(std::string log_id, EventType type, std::optional<std::string> email = {}) {
  EventFact e;
  e.log_id = std::move(log_id);
  e.type = type;
  e.sub = "auth0|1";
  e.date = 1000;
  e.code_time = 1000;
  e.email = std::move(email);
  return e;
}

TEST_F(MongoCommands, ApplyEventSteps) {
  EXPECT_EQ(c.event_seen("l1").to_json(),
            J(R"({"op":"find_one","collection":"acid_events","filter":{"_id":"l1"},
                  "options":{"projection":{"_id":1},"limit":@L:1@,"readConcern":@RC@}})"));
  EXPECT_EQ(c.set_code("auth0|1", "ac25babab", kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","code":{"$exists":false}},
                  "update":{"$set":{"code":"ac25babab"},"$setOnInsert":{"when":@NOW@}},
                  "options":{"upsert":true,"writeConcern":@WC@}})"));
  EXPECT_EQ(c.set_when_if_missing("auth0|1", kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","when":{"$exists":false}},
                  "update":{"$set":{"when":@NOW@}},"options":{"writeConcern":@WC@}})"));
  // The verification count moves once per log id: the guard and the bounded list of applied
  // log ids are one atomic update.
  EXPECT_EQ(c.verified_increment("auth0|1", "l2").to_json(),
            J(R"({"op":"update_one","collection":"verifications",
                  "filter":{"_id":"auth0|1","acid.applied":{"$ne":"l2"}},
                  "update":{"$inc":{"count":1},
                            "$push":{"acid.applied":{"$each":["l2"],"$slice":-32}}},
                  "options":{"upsert":true,"writeConcern":@WC@}})"));
  EXPECT_EQ(c.verifications_applied("auth0|1", "l2").to_json(),
            J(R"({"op":"find_one","collection":"verifications",
                  "filter":{"_id":"auth0|1","acid.applied":"l2"},
                  "options":{"projection":{"_id":1},"limit":@L:1@,"readConcern":@RC@}})"));
  EXPECT_EQ(c.account_applied("auth0|1", "l2").to_json(),
            J(R"({"op":"find_one","collection":"users",
                  "filter":{"_id":"auth0|1","acid.applied":"l2"},
                  "options":{"projection":{"_id":1},"limit":@L:1@,"readConcern":@RC@}})"));
  EXPECT_EQ(c.record_event(event("l1", EventType::signup), kNow).to_json(),
            J(R"({"op":"insert_one","collection":"acid_events",
                  "filter":{"_id":"l1","sub":"auth0|1","type":"ss","at":@NOW@},
                  "options":{"writeConcern":@WC@}})"));
}

TEST_F(MongoCommands, FactsPerEventType) {
  EXPECT_EQ(c.record_facts(event("l1", EventType::signup, "a@e.com"), kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","acid.applied":{"$ne":"l1"}},
                  "update":{"$min":{"acid.signedUpAt":@D:1000@},
                            "$set":{"acid.email":"a@e.com","acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@},
                            "$push":{"acid.applied":{"$each":["l1"],"$slice":-32}}},
                  "options":{"upsert":true,"writeConcern":@WC@}})"));
  EXPECT_EQ(c.record_facts(event("l2", EventType::verified), kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","acid.applied":{"$ne":"l2"}},
                  "update":{"$min":{"acid.verifiedAt":@D:1000@},
                            "$set":{"acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@},
                            "$push":{"acid.applied":{"$each":["l2"],"$slice":-32}}},
                  "options":{"upsert":true,"writeConcern":@WC@}})"));
  EXPECT_EQ(c.record_facts(event("l3", EventType::email_changed, "n@e.com"), kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","acid.applied":{"$ne":"l3"}},
                  "update":{"$set":{"acid.email":"n@e.com","acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@},
                            "$push":{"acid.applied":{"$each":["l3"],"$slice":-32}}},
                  "options":{"upsert":true,"writeConcern":@WC@}})"));
  EXPECT_EQ(c.record_facts(event("l4", EventType::deleted), kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","acid.applied":{"$ne":"l4"}},
                  "update":{"$min":{"acid.deletedAt":@D:1000@},
                            "$set":{"acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@},
                            "$push":{"acid.applied":{"$each":["l4"],"$slice":-32}}},
                  "options":{"upsert":true,"writeConcern":@WC@}})"));
}

TEST_F(MongoCommands, StateTransitionsCarryTheJobTheyOwe) {
  const Owed provision{"provision", kNow, kNow, "l2"};
  // verified: none -> pending. acid.state "none", or no acid.state and no DID (a legacy account
  // with a DID is active).
  ASSERT_EQ(groups_to_apply(AccountEvent::verified).size(), 1U);
  EXPECT_EQ(c.transition("auth0|1", group(AccountEvent::verified, 0), &provision, kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","$or":[
                     {"acid.state":"none"},
                     {"acid.state":{"$exists":false},
                      "atproto.did":{"$not":{"$type":"string"}},
                      "atproto_did":{"$not":{"$type":"string"}}}]},
                  "update":{"$set":{"acid.state":"pending",
                                    "acid.owed":{"kind":"provision","due":@NOW@,"at":@NOW@,"by":"l2"},
                                    "acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
  // deleted: nothing may exist on the PDS (none, pending or failed without a DID or an intent;
  // a legacy document without state and DID is none) -> deleted, cancelling the open jobs ...
  ASSERT_EQ(groups_to_apply(AccountEvent::deleted).size(), 2U);
  const Owed cancel{"cancel", kNow, kNow, "l4"};
  EXPECT_EQ(c.transition("auth0|1", group(AccountEvent::deleted, 0), &cancel, kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","$or":[
                     {"acid.state":{"$in":["none","pending","failed"]},
                      "atproto.did":{"$not":{"$type":"string"}},
                      "atproto_did":{"$not":{"$type":"string"}},
                      "acid.intent":{"$not":{"$type":"object"}}},
                     {"acid.state":{"$exists":false},
                      "atproto.did":{"$not":{"$type":"string"}},
                      "atproto_did":{"$not":{"$type":"string"}},
                      "acid.intent":{"$not":{"$type":"object"}}}]},
                  "update":{"$set":{"acid.state":"deleted",
                                    "acid.owed":{"kind":"cancel","due":@NOW@,"at":@NOW@,"by":"l4"},
                                    "acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
  // ... else (an intent, a DID, creating or active; a legacy document with a DID is active)
  // -> deleting, owing the delete job. Exactly the other cells not already deleting/deleted.
  const Owed del{"delete_account", kNow, kNow, "l4"};
  EXPECT_EQ(c.transition("auth0|1", group(AccountEvent::deleted, 1), &del, kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","$or":[
                     {"acid.state":{"$in":["none","pending","failed"]},
                      "atproto.did":{"$not":{"$type":"string"}},
                      "atproto_did":{"$not":{"$type":"string"}},
                      "acid.intent":{"$type":"object"}},
                     {"acid.state":{"$exists":false},
                      "atproto.did":{"$not":{"$type":"string"}},
                      "atproto_did":{"$not":{"$type":"string"}},
                      "acid.intent":{"$type":"object"}},
                     {"acid.state":{"$in":["none","pending","failed"]},
                      "$or":[{"atproto.did":{"$type":"string"}},{"atproto_did":{"$type":"string"}}]},
                     {"acid.state":{"$in":["creating","active"]}},
                     {"acid.state":{"$exists":false},
                      "$or":[{"atproto.did":{"$type":"string"}},{"atproto_did":{"$type":"string"}}]}]},
                  "update":{"$set":{"acid.state":"deleting",
                                    "acid.owed":{"kind":"delete_account","due":@NOW@,"at":@NOW@,"by":"l4"},
                                    "acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
  // signup and email changes move no state.
  EXPECT_TRUE(groups_to_apply(AccountEvent::signup).empty());
  EXPECT_TRUE(groups_to_apply(AccountEvent::email_changed).empty());
  EXPECT_EQ(c.read_state("auth0|1").to_json(),
            J(R"({"op":"find_one","collection":"users","filter":{"_id":"auth0|1"},
                  "options":{"projection":{"acid.state":1,"acid.intent":1,"acid.deletedAt":1,
                                           "atproto.did":1,"atproto_did":1},
                             "limit":@L:1@,"readConcern":@RC@}})"));
}

TEST_F(MongoCommands, OwedJobs) {
  const Owed owed{"provision", kNow, kNow, "l2"};
  EXPECT_EQ(c.read_owed("auth0|1").to_json(),
            J(R"({"op":"find_one","collection":"users","filter":{"_id":"auth0|1"},
                  "options":{"projection":{"acid.owed":1},"limit":@L:1@,"readConcern":@RC@}})"));
  EXPECT_EQ(c.drop_open_jobs_except_delete("auth0|1").to_json(),
            J(R"({"op":"delete_many","collection":"acid_jobs",
                  "filter":{"sub":"auth0|1","status":"open","kind":{"$ne":"delete_account"}},
                  "options":{"writeConcern":@WC@}})"));
  // Cleared only if it is still the marker that was acted on.
  EXPECT_EQ(c.clear_owed("auth0|1", owed).to_json(), J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","acid.owed.kind":"provision","acid.owed.at":@NOW@,
                            "acid.owed.by":"l2"},
                  "update":{"$unset":{"acid.owed":""}},"options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.stale_owed(kNow - 60000, 16).to_json(), J(R"({"op":"find","collection":"users",
                  "filter":{"acid.owed.at":{"$lte":@D:1760399940000@}},
                  "options":{"projection":{"acid.owed":1},"sort":{"acid.owed.at":1},"limit":16,
                             "readConcern":@RC@}})"));
}

TEST_F(MongoCommands, Account) {
  EXPECT_EQ(c.get_account_user("auth0|1").to_json(),
            J(R"({"op":"find_one","collection":"users","filter":{"_id":"auth0|1"},
                  "options":{"projection":{"acid.applied":0},"limit":@L:1@,"readConcern":@RC@}})"));
  EXPECT_EQ(c.save_intent("auth0|1", {"i.test", "sealed", "i@e.com", 1, 42}, 3).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","acid.version":@L:3@,
                            "acid.state":{"$in":["pending","creating"]}},
                  "update":{"$set":{"acid.intent":{"handle":"i.test","password":"sealed",
                                                   "email":"i@e.com","attempt":1,"at":@D:42@},
                                    "acid.state":"creating","acid.updatedAt":@D:42@},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
  // Created: active unless a deletion was recorded (whatever the state).
  ASSERT_EQ(groups_to_apply(AccountEvent::created_on_pds).size(), 2U);
  EXPECT_EQ(
      c.mark_account_created("auth0|1", "did:plc:i", "i.test", "sealed", "2025-10-14T00:00:00.000Z",
                             kNow, group(AccountEvent::created_on_pds, 0))
          .to_json(),
      J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","acid.deletedAt":{"$exists":false}},
                  "update":{"$set":{"atproto":{"did":"did:plc:i","handle":"i.test",
                                               "password":"sealed",
                                               "createdAt":"2025-10-14T00:00:00.000Z",
                                               "syncedAt":"2025-10-14T00:00:00.000Z"},
                                    "acid.state":"active","acid.lastError":"",
                                    "acid.updatedAt":@NOW@},
                            "$unset":{"acid.intent":""},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
  // Deleted while createAccount was in flight: recorded, and a delete job is owed.
  const Owed del{"delete_account", kNow, kNow, "created-after-deletion"};
  EXPECT_EQ(c.mark_account_created("auth0|1", "did:plc:i", "i.test", "sealed", "t", kNow,
                                   group(AccountEvent::created_on_pds, 1), &del)
                .to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","acid.deletedAt":{"$exists":true}},
                  "update":{"$set":{"atproto":{"did":"did:plc:i","handle":"i.test",
                                               "password":"sealed","createdAt":"t",
                                               "syncedAt":"t"},
                                    "acid.state":"deleting",
                                    "acid.owed":{"kind":"delete_account","due":@NOW@,"at":@NOW@,
                                                 "by":"created-after-deletion"},
                                    "acid.lastError":"","acid.updatedAt":@NOW@},
                            "$unset":{"acid.intent":""},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
  // Guarded: a stale worker's failure never reaches an active or deleting account (nor a
  // legacy document with a DID, which is active).
  EXPECT_EQ(c.record_attempt_failure("auth0|1", 8, R"({"m":"y"})", true, kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","$or":[
                     {"acid.state":{"$in":["none","pending","creating","failed","deleted"]}},
                     {"acid.state":{"$exists":false},
                      "atproto.did":{"$not":{"$type":"string"}},
                      "atproto_did":{"$not":{"$type":"string"}}}]},
                  "update":{"$set":{"acid.attempts":8,"acid.lastError":"{\"m\":\"y\"}",
                                    "acid.state":"failed","acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.record_attempt_failure("auth0|1", 1, "{}", false, kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","$or":[
                     {"acid.state":{"$in":["none","pending","creating","failed","deleted"]}},
                     {"acid.state":{"$exists":false},
                      "atproto.did":{"$not":{"$type":"string"}},
                      "atproto_did":{"$not":{"$type":"string"}}}]},
                  "update":{"$set":{"acid.attempts":1,"acid.lastError":"{}",
                                    "acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
}

TEST_F(MongoCommands, ResetAndDeletion) {
  const Owed provision{"provision", 7, kNow, "reset"};
  ASSERT_EQ(groups_to_apply(AccountEvent::reset_failed).size(), 2U);
  EXPECT_EQ(
      c.reset_failed("auth0|1", group(AccountEvent::reset_failed, 0), provision, kNow).to_json(),
      J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","acid.state":"failed","acid.deletedAt":{"$exists":false}},
                  "update":{"$set":{"acid.state":"pending","acid.attempts":0,
                                    "acid.owed":{"kind":"provision","due":@D:7@,"at":@NOW@,"by":"reset"},
                                    "acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
  const Owed del{"delete_account", 7, kNow, "reset"};
  EXPECT_EQ(c.reset_failed("auth0|1", group(AccountEvent::reset_failed, 1), del, kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","acid.state":"failed","acid.deletedAt":{"$exists":true}},
                  "update":{"$set":{"acid.state":"deleting","acid.attempts":0,
                                    "acid.owed":{"kind":"delete_account","due":@D:7@,"at":@NOW@,"by":"reset"},
                                    "acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
  // The PDS account is gone: atproto (and the legacy flat fields) removed, the code kept.
  EXPECT_EQ(c.mark_account_deleted("auth0|1", kNow).to_json(),
            J(R"({"op":"update_one","collection":"users","filter":{"_id":"auth0|1"},
                  "update":{"$set":{"acid.state":"deleted","acid.lastError":"",
                                    "acid.updatedAt":@NOW@},
                            "$unset":{"atproto":"","atproto_did":"","atproto_handle":"",
                                      "atproto_password":"","atproto_created_at":"",
                                      "acid.intent":""},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
}

TEST_F(MongoCommands, HandlesAndPasswords) {
  // Only an active account (a legacy document with a DID and no acid.state is active).
  EXPECT_EQ(c.set_pds_handle("auth0|1", "person.test", "t2", kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","$or":[{"acid.state":"active"},
                    {"acid.state":{"$exists":false},
                     "$or":[{"atproto.did":{"$type":"string"}},{"atproto_did":{"$type":"string"}}]}]},
                  "update":{"$set":{"atproto.handle":"person.test","atproto.syncedAt":"t2",
                                    "acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.replace_password_nested("auth0|1", "plain", "sealed", kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","atproto.password":"plain"},
                  "update":{"$set":{"atproto.password":"sealed","acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.replace_password_flat("auth0|1", "plain", "sealed", kNow).to_json(),
            J(R"({"op":"update_one","collection":"users",
                  "filter":{"_id":"auth0|1","atproto.password":{"$exists":false},
                            "atproto_password":"plain"},
                  "update":{"$set":{"atproto_password":"sealed","acid.updatedAt":@NOW@},
                            "$inc":{"acid.version":@L:1@}},
                  "options":{"writeConcern":@WC@}})"));
}

TEST_F(MongoCommands, Jobs) {
  EXPECT_EQ(c.move_open_job_earlier("auth0|j1", JobKind::provision, 50).to_json(),
            J(R"({"op":"update_one","collection":"acid_jobs",
                  "filter":{"sub":"auth0|j1","kind":"provision","status":"open"},
                  "update":{"$min":{"due":@D:50@},"$set":{"rerun":true}},
                  "options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.next_job_id().to_json(),
            J(R"({"op":"find_and_modify","collection":"acid_meta","filter":{"_id":"seq/jobs"},
                  "update":{"$inc":{"n":@L:1@}},
                  "options":{"fields":{"n":1},"upsert":true,"new":true,"writeConcern":@WC@}})"));
  EXPECT_EQ(c.insert_job(7, "auth0|j1", JobKind::provision, 50, kNow).to_json(),
            J(R"({"op":"insert_one","collection":"acid_jobs",
                  "filter":{"_id":@L:7@,"sub":"auth0|j1","kind":"provision","status":"open",
                            "due":@D:50@,"attempts":0,"leaseUntil":@D:0@,"lastError":"",
                            "createdAt":@NOW@},
                  "options":{"writeConcern":@WC@}})"));
  // One findAndModify takes the job due first whose lease is free or expired, under a fresh
  // fencing token; every later call on the lease matches the token, never the owner.
  EXPECT_EQ(c.lease_job("w1", "tok1", 150, 1000).to_json(),
            J(R"({"op":"find_and_modify","collection":"acid_jobs",
                  "filter":{"status":"open","due":{"$lte":@D:150@},"leaseUntil":{"$lte":@D:150@}},
                  "update":{"$set":{"leaseOwner":"w1","leaseToken":"tok1","leaseUntil":@D:1150@},
                            "$unset":{"rerun":""}},
                  "options":{"sort":{"due":1,"_id":1},"upsert":false,"new":true,
                             "writeConcern":@WC@}})"));
  EXPECT_EQ(c.complete_job(7, "tok1").to_json(), J(R"({"op":"delete_one","collection":"acid_jobs",
                  "filter":{"_id":@L:7@,"leaseToken":"tok1","rerun":{"$ne":true}},
                  "options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.requeue_job(7, "tok1").to_json(), J(R"({"op":"update_one","collection":"acid_jobs",
                  "filter":{"_id":@L:7@,"leaseToken":"tok1"},
                  "update":{"$set":{"leaseUntil":@D:0@},
                            "$unset":{"leaseOwner":"","leaseToken":"","rerun":""}},
                  "options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.reschedule_job(7, "tok2", 5000, R"({"e":1})").to_json(),
            J(R"({"op":"update_one","collection":"acid_jobs",
                  "filter":{"_id":@L:7@,"leaseToken":"tok2"},
                  "update":{"$set":{"due":@D:5000@,"lastError":"{\"e\":1}","leaseUntil":@D:0@},
                            "$inc":{"attempts":1},"$unset":{"leaseOwner":"","leaseToken":""}},
                  "options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.fail_job(7, "tok3", "{}").to_json(), J(R"({"op":"update_one","collection":"acid_jobs",
                  "filter":{"_id":@L:7@,"leaseToken":"tok3","rerun":{"$ne":true}},
                  "update":{"$set":{"status":"failed","lastError":"{}","leaseUntil":@D:0@},
                            "$inc":{"attempts":1},"$unset":{"leaseOwner":"","leaseToken":""}},
                  "options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.release_job(7, "tok3").to_json(), J(R"({"op":"update_one","collection":"acid_jobs",
                  "filter":{"_id":@L:7@,"leaseToken":"tok3"},
                  "update":{"$set":{"leaseUntil":@D:0@},"$unset":{"leaseOwner":"","leaseToken":""}},
                  "options":{"writeConcern":@WC@}})"));
  EXPECT_EQ(c.list_jobs("").to_json(), J(R"({"op":"find","collection":"acid_jobs","filter":{},
                  "options":{"sort":{"_id":1},"readConcern":@RC@}})"));
  EXPECT_EQ(c.list_jobs("auth0|j1").to_json(),
            J(R"({"op":"find","collection":"acid_jobs","filter":{"sub":"auth0|j1"},
                  "options":{"sort":{"_id":1},"readConcern":@RC@}})"));
}

TEST_F(MongoCommands, YearPrefix) {
  EXPECT_EQ(year_prefix(5), "ac05");
  EXPECT_EQ(year_prefix(25), "ac25");
  EXPECT_EQ(year_prefix(99), "ac99");
}

TEST(MongoBson, CanonicalTypesAndInvalidDocuments) {
  Doc d;
  d.i32("a", 1).i64("b", 1).date("c", 0).boolean("d", true).null("e").str("f", "x");
  EXPECT_EQ(d.canonical_json(),
            J(R"({"a":{"$numberInt":"1"},"b":@L:1@,"c":@D:0@,"d":true,"e":null,"f":"x"})"));
  EXPECT_TRUE(d.valid());
  EXPECT_FALSE(Doc::from_json("{not json").is_ok());
  // An op carrying an unparseable expected document can never compare equal.
  EXPECT_EQ(canonicalize_json("{"), "");
}

}  // namespace
}  // namespace acid::store::mongo
