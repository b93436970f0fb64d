// Reading every document shape the deployed system has produced (bson -> port types).
#include <gtest/gtest.h>

#include "store/mongo/mongo_read.h"
#include "support/mongo_test_json.h"

namespace acid::store::mongo {
namespace {

using test::D;

constexpr UnixMillis kWhen = 1760400000000;  // 2025-10-14T00:00:00Z

Result<Account> account(std::string_view users, std::string_view verifications = "",
                        std::string_view handles = "", std::string_view sub = "auth0|a") {
  Doc u = users.empty() ? Doc() : D(users);
  Doc v = verifications.empty() ? Doc() : D(verifications);
  Doc h = handles.empty() ? Doc() : D(handles);
  return read_account(sub, users.empty() ? nullptr : u.get(),
                      verifications.empty() ? nullptr : v.get(),
                      handles.empty() ? nullptr : h.get());
}

TEST(MongoRead, CurrentDeployedShape) {
  // users + verifications + @handles as the deployed functions write them.
  auto a = account(
      R"({"_id":"auth0|a","code":"ac25xadeh","when":@D:1760400000000@,
          "atproto":{"did":"did:plc:abc","handle":"jeffrey.at.aesthetic.computer",
                     "password":"plaintext-pw","createdAt":"2025-10-14T01:02:03.000Z",
                     "syncedAt":"2025-10-15T00:00:00.000Z"}})",
      R"({"_id":"auth0|a","count":1})", R"({"_id":"auth0|a","handle":"jeffrey"})");
  ASSERT_TRUE(a.is_ok()) << a.error().message;
  EXPECT_EQ(a->sub, "auth0|a");
  EXPECT_EQ(a->code, "ac25xadeh");
  EXPECT_EQ(a->when, kWhen);
  EXPECT_TRUE(a->has_verifications);
  EXPECT_EQ(a->verification_count, 1);
  EXPECT_EQ(a->ac_handle, "jeffrey");
  EXPECT_EQ(a->did, "did:plc:abc");
  EXPECT_EQ(a->pds_handle, "jeffrey.at.aesthetic.computer");
  EXPECT_EQ(a->password, "plaintext-pw");
  EXPECT_EQ(a->pds_created_at, "2025-10-14T01:02:03.000Z");
  EXPECT_EQ(a->synced_at, "2025-10-15T00:00:00.000Z");
  // No acid.state: the deployed system created the PDS account, so it is active.
  EXPECT_EQ(a->state, AccountState::active);
  EXPECT_EQ(a->version, 0);
  EXPECT_FALSE(a->intent.has_value());
}

TEST(MongoRead, LegacyFlatAtprotoFields) {
  auto a = account(R"({"_id":"auth0|a","code":"ac24bacad","when":@D:5@,
                       "atproto_did":"did:plc:flat","atproto_handle":"old.pds.aesthetic.computer",
                       "atproto_password":"pw","atproto_created_at":"2024-03-01T00:00:00Z"})");
  ASSERT_TRUE(a.is_ok()) << a.error().message;
  EXPECT_EQ(a->did, "did:plc:flat");
  EXPECT_EQ(a->pds_handle, "old.pds.aesthetic.computer");
  EXPECT_EQ(a->password, "pw");
  EXPECT_EQ(a->pds_created_at, "2024-03-01T00:00:00Z");
  EXPECT_EQ(a->state, AccountState::active);
  EXPECT_FALSE(a->has_verifications);
}

TEST(MongoRead, NestedFieldsWinOverFlatOnesFieldByField) {
  auto a = account(R"({"_id":"auth0|a","atproto":{"did":null,"password":"new"},
                       "atproto_did":"did:plc:flat","atproto_password":"old",
                       "atproto_handle":"flat.handle"})");
  ASSERT_TRUE(a.is_ok()) << a.error().message;
  EXPECT_EQ(a->did, "did:plc:flat");  // nested null falls back to the flat field
  EXPECT_EQ(a->password, "new");
  EXPECT_EQ(a->pds_handle, "flat.handle");
}

TEST(MongoRead, CreatedIsAnIsoStringOrADate) {
  // create-account.mjs wrote atproto.created as an ISO string...
  auto s =
      account(R"({"_id":"auth0|a","atproto":{"did":"d","created":"2025-01-02T03:04:05.000Z"}})");
  ASSERT_TRUE(s.is_ok()) << s.error().message;
  EXPECT_EQ(s->pds_created_at, "2025-01-02T03:04:05.000Z");
  // ...migrate-atproto-to-nested.mjs as a Date.
  auto d = account(R"({"_id":"auth0|a","atproto":{"did":"d","created":@D:1760400000000@}})");
  ASSERT_TRUE(d.is_ok()) << d.error().message;
  EXPECT_EQ(d->pds_created_at, "2025-10-14T00:00:00.000Z");
  // createdAt (at.mjs) is preferred when both exist.
  auto both = account(R"({"_id":"auth0|a","atproto":{"did":"d","createdAt":"A","created":"B"}})");
  ASSERT_TRUE(both.is_ok());
  EXPECT_EQ(both->pds_created_at, "A");
  // syncedAt as a Date is formatted too.
  auto synced = account(R"({"_id":"auth0|a","atproto":{"did":"d","syncedAt":@D:0@}})");
  ASSERT_TRUE(synced.is_ok());
  EXPECT_EQ(synced->synced_at, "1970-01-01T00:00:00.000Z");
}

TEST(MongoRead, WhenAsAnIsoString) {
  auto a = account(R"({"_id":"auth0|a","code":"ac25xadeh","when":"2025-10-14T00:00:00Z"})");
  ASSERT_TRUE(a.is_ok()) << a.error().message;
  EXPECT_EQ(a->when, kWhen);
  auto bad = account(R"({"_id":"auth0|a","when":"yesterday"})");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.code(), Code::store);
  EXPECT_NE(bad.error().message.find("when"), std::string::npos);
}

TEST(MongoRead, SotcePrefixedSubsAreReadAsStored) {
  auto a = account(R"({"_id":"sotce-auth0|s1","code":"ac25sotce","when":@D:9@})",
                   R"({"_id":"sotce-auth0|s1","count":0})",
                   R"({"_id":"sotce-auth0|s1","handle":"amelia"})", "sotce-auth0|s1");
  ASSERT_TRUE(a.is_ok()) << a.error().message;
  EXPECT_EQ(a->sub, "sotce-auth0|s1");
  EXPECT_EQ(a->code, "ac25sotce");
  EXPECT_EQ(a->ac_handle, "amelia");
  EXPECT_EQ(a->state, AccountState::none);
}

TEST(MongoRead, CountsWrittenByJavaScriptAreDoubles) {
  EXPECT_EQ(*read_count(D(R"({"_id":"x","count":3.0})").get()), 3);
  EXPECT_EQ(*read_count(D(R"({"_id":"x","count":{"$numberLong":"4"}})").get()), 4);
  EXPECT_EQ(*read_count(D(R"({"_id":"x","count":5})").get()), 5);
  EXPECT_EQ(*read_count(D(R"({"_id":"x"})").get()), 0);
  EXPECT_EQ(read_count(D(R"({"_id":"x","count":2.5})").get()).code(), Code::store);
  EXPECT_EQ(read_count(D(R"({"_id":"x","count":"7"})").get()).code(), Code::store);
}

TEST(MongoRead, LibraryFields) {
  auto a = account(R"({"_id":"auth0|a","code":"ac25babab","when":@D:1@,
                       "acid":{"signedUpAt":@D:10@,"verifiedAt":@D:20@,"deletedAt":@D:30@,
                               "email":"a@e.com","state":"creating","attempts":2,
                               "lastError":"{\"m\":1}",
                               "intent":{"handle":"a.test","password":"sealed","email":"a@e.com",
                                         "attempt":2,"at":@D:40@},
                               "version":@L:7@,"applied":["l1","l2"]}})",
                   R"({"_id":"auth0|a","count":1,"acid":{"applied":["l2"]}})");
  ASSERT_TRUE(a.is_ok()) << a.error().message;
  EXPECT_EQ(a->signed_up_at, 10);
  EXPECT_EQ(a->verified_at, 20);
  EXPECT_EQ(a->deleted_at, 30);
  EXPECT_EQ(a->email, "a@e.com");
  EXPECT_EQ(a->state, AccountState::creating);
  EXPECT_EQ(a->attempts, 2);
  EXPECT_EQ(a->last_error, R"({"m":1})");
  ASSERT_TRUE(a->intent.has_value());
  EXPECT_EQ(a->intent->handle, "a.test");
  EXPECT_EQ(a->intent->sealed_password, "sealed");
  EXPECT_EQ(a->intent->email, "a@e.com");
  EXPECT_EQ(a->intent->attempt, 2);
  EXPECT_EQ(a->intent->at, 40);
  EXPECT_EQ(a->version, 7);
  EXPECT_EQ(a->verification_count, 1);
}

TEST(MongoRead, StatesAreDerivedForLegacyDocuments) {
  EXPECT_EQ(*read_state(D(R"({"_id":"a"})").get()), AccountState::none);
  EXPECT_EQ(*read_state(D(R"({"_id":"a","atproto":{"did":"did:plc:x"}})").get()),
            AccountState::active);
  EXPECT_EQ(*read_state(D(R"({"_id":"a","atproto_did":"did:plc:x"})").get()), AccountState::active);
  EXPECT_EQ(*read_state(D(R"({"_id":"a","atproto":{"did":null}})").get()), AccountState::none);
  EXPECT_EQ(*read_state(D(R"({"_id":"a","atproto":{"did":"x"},"acid":{"state":"deleted"}})").get()),
            AccountState::deleted);
  EXPECT_EQ(read_state(D(R"({"_id":"a","acid":{"state":"weird"}})").get()).code(), Code::store);
  EXPECT_EQ(read_state(D(R"({"_id":"a","acid":{"state":3}})").get()).code(), Code::store);
}

TEST(MongoRead, NotFoundOnlyWithoutUsersAndVerifications) {
  EXPECT_EQ(account("").code(), Code::not_found);
  EXPECT_EQ(account("", "", R"({"_id":"auth0|a","handle":"x"})").code(), Code::not_found);
  auto only_v = account("", R"({"_id":"auth0|a","count":0})");
  ASSERT_TRUE(only_v.is_ok());
  EXPECT_TRUE(only_v->has_verifications);
  EXPECT_FALSE(only_v->code.has_value());
  EXPECT_EQ(only_v->state, AccountState::none);
}

TEST(MongoRead, WrongTypesAreErrorsNamingTheField) {
  auto code = account(R"({"_id":"auth0|a","code":12345})");
  ASSERT_FALSE(code.is_ok());
  EXPECT_EQ(code.code(), Code::store);
  EXPECT_NE(code.error().message.find("code"), std::string::npos);
  EXPECT_NE(code.error().message.find("auth0|a"), std::string::npos);
  EXPECT_EQ(account(R"({"_id":"auth0|a","atproto":"yes"})").code(), Code::store);
  EXPECT_EQ(account(R"({"_id":"auth0|a","atproto":{"did":5}})").code(), Code::store);
  EXPECT_EQ(account(R"({"_id":"auth0|a","acid":{"intent":"x"}})").code(), Code::store);
  EXPECT_EQ(account(R"({"_id":"auth0|a"})", "", R"({"_id":"auth0|a","handle":7})").code(),
            Code::store);
}

TEST(MongoRead, UserRecords) {
  auto u =
      read_user_record("auth0|a", D(R"({"_id":"auth0|a","code":"ac25babab","when":@D:5@})").get());
  ASSERT_TRUE(u.is_ok());
  EXPECT_EQ(u->code, "ac25babab");
  EXPECT_EQ(u->when, 5);
  auto no_code = read_user_record("auth0|a", D(R"({"_id":"auth0|a","when":@D:5@})").get());
  ASSERT_TRUE(no_code.is_ok());
  EXPECT_FALSE(no_code->code.has_value());
  // createAtprotoAccount's upsert could create a users document with only atproto; documents
  // the library creates from events hold only acid: neither is a users record.
  EXPECT_EQ(
      read_user_record("auth0|a", D(R"({"_id":"auth0|a","atproto":{"did":"d"}})").get()).code(),
      Code::not_found);
  EXPECT_EQ(
      read_user_record("auth0|a", D(R"({"_id":"auth0|a","acid":{"state":"none"}})").get()).code(),
      Code::not_found);
  EXPECT_EQ(read_user_record("auth0|a", nullptr).code(), Code::not_found);
}

TEST(MongoRead, Jobs) {
  auto open = read_job(D(R"({"_id":@L:7@,"sub":"auth0|j","kind":"provision","status":"open",
                             "due":@D:50@,"attempts":1,"leaseUntil":@D:1150@,"leaseOwner":"w1",
                             "lastError":"{}","createdAt":@D:1@})")
                           .get());
  ASSERT_TRUE(open.is_ok()) << open.error().message;
  EXPECT_EQ(open->id, 7);
  EXPECT_EQ(open->sub, "auth0|j");
  EXPECT_EQ(open->kind, JobKind::provision);
  EXPECT_FALSE(open->failed);
  EXPECT_EQ(open->due_at, 50);
  EXPECT_EQ(open->attempts, 1);
  EXPECT_EQ(open->lease_owner, "w1");
  EXPECT_EQ(open->lease_until, 1150);
  EXPECT_EQ(open->last_error, "{}");
  auto failed = read_job(D(R"({"_id":8,"sub":"s","kind":"delete_account","status":"failed",
                               "due":@D:5@,"attempts":3,"leaseUntil":@D:0@,"lastError":"x"})")
                             .get());
  ASSERT_TRUE(failed.is_ok());
  EXPECT_TRUE(failed->failed);
  EXPECT_EQ(failed->kind, JobKind::delete_account);
  EXPECT_EQ(failed->lease_owner, "");
  EXPECT_EQ(failed->lease_until, 0);
  EXPECT_EQ(read_job(D(R"({"_id":1,"sub":"s","kind":"mystery","status":"open"})").get()).code(),
            Code::store);
  EXPECT_EQ(read_job(D(R"({"_id":1,"sub":"s","kind":"provision","status":"done"})").get()).code(),
            Code::store);
  EXPECT_EQ(read_job(D(R"({"_id":"x","sub":"s","kind":"provision","status":"open"})").get()).code(),
            Code::store);
}

TEST(MongoRead, OwedMarkers) {
  auto none = read_owed(D(R"({"_id":"a"})").get());
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->has_value());
  auto owed = read_owed(
      D(R"({"_id":"a","acid":{"owed":{"kind":"delete_account","due":@D:5@,"at":@D:6@,"by":"l9"}}})")
          .get());
  ASSERT_TRUE(owed.is_ok());
  ASSERT_TRUE(owed->has_value());
  EXPECT_EQ((*owed)->kind, "delete_account");
  EXPECT_EQ((*owed)->due, 5);
  EXPECT_EQ((*owed)->at, 6);
  EXPECT_EQ((*owed)->by, "l9");
  EXPECT_EQ(read_owed(D(R"({"_id":"a","acid":{"owed":{"kind":"party"}}})").get()).code(),
            Code::store);
}

}  // namespace
}  // namespace acid::store::mongo
