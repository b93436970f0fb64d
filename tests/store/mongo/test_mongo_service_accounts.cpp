// Service accounts in the deployed MongoDB data: users/art-guest (the guest art account's
// credentials, read by media-atproto.mjs) as the deployed code wrote it is read as a document
// that is not a person, so the audit lists it apart and nothing gives it a code or moves it.
#include <gtest/gtest.h>

#include "audit/people.h"
#include "core/service_accounts.h"
#include "store/mongo/mongo_read.h"
#include "support/mongo_test_json.h"

namespace acid::store::mongo {
namespace {

using test::D;

TEST(MongoServiceAccounts, ArtGuestAsDeployedIsListedNotAudited) {
  // No code, no signup date, no verifications record: a person shaped like this would be three
  // findings (missing_users_record, missing_verifications, plaintext_credentials).
  const Doc users = D(R"({"_id":"art-guest",
                          "atproto":{"did":"did:plc:tliuubv7lyv2uiknsjbf4ppw",
                                     "handle":"art.at.aesthetic.computer",
                                     "password":"plaintext-art-pw"}})");
  auto a = read_account("art-guest", users.get(), nullptr, nullptr);
  ASSERT_TRUE(a.is_ok()) << a.error().message;
  EXPECT_FALSE(a->code.has_value());
  auto seen = audit::service_account_seen(ServiceAccounts{}, *a);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->sub, "art-guest");
  EXPECT_EQ(seen->did, "did:plc:tliuubv7lyv2uiknsjbf4ppw");
  EXPECT_EQ(seen->pds_handle, "art.at.aesthetic.computer");
  EXPECT_NE(seen->reason.find("not an Auth0 user id"), std::string::npos) << seen->reason;
}

TEST(MongoServiceAccounts, AListedDidMakesAnyDocumentAServiceAccount) {
  const Doc users = D(R"({"_id":"auth0|operator","code":"ac25babab","when":@D:1760400000000@,
                          "atproto":{"did":"did:plc:bot","handle":"bot.at.aesthetic.computer",
                                     "password":"pw"}})");
  auto a = read_account("auth0|operator", users.get(), nullptr, nullptr);
  ASSERT_TRUE(a.is_ok()) << a.error().message;
  EXPECT_FALSE(audit::service_account_seen(ServiceAccounts{}, *a).has_value());  // a person
  auto listed = ServiceAccounts::parse("did:plc:bot");
  ASSERT_TRUE(listed.is_ok());
  auto seen = audit::service_account_seen(*listed, *a);
  ASSERT_TRUE(seen.has_value());
  EXPECT_NE(seen->reason.find("DID is listed"), std::string::npos);
}

TEST(MongoServiceAccounts, PeopleAreAuth0UserIdsOfAnyProvider) {
  for (const char *sub : {"auth0|64f1c2", "google-oauth2|1170264463", "email|65a1", "apple|001.x",
                          "sotce-auth0|64f1c2", "sotce-google-oauth2|1"}) {
    EXPECT_TRUE(is_person_sub(sub)) << sub;
  }
  for (const char *sub : {"art-guest", "", "|x", "auth0|", "sotce-", "sotce-art-guest",
                          "bad provider|1", "did:plc:abc"}) {
    EXPECT_FALSE(is_person_sub(sub)) << sub;
  }
}

TEST(MongoServiceAccounts, ConfigurationListsIdsAndDids) {
  auto listed = ServiceAccounts::parse(" auth0|bot , did:plc:tliuubv7lyv2uiknsjbf4ppw");
  ASSERT_TRUE(listed.is_ok());
  EXPECT_EQ(listed->ids(), std::vector<std::string>{"auth0|bot"});
  EXPECT_EQ(listed->dids(), std::vector<std::string>{"did:plc:tliuubv7lyv2uiknsjbf4ppw"});
  EXPECT_TRUE(listed->is_service_sub("auth0|bot"));
  EXPECT_FALSE(listed->is_service_sub("auth0|person"));
  EXPECT_EQ(ServiceAccounts::parse("a,,b").code(), Code::invalid);
  EXPECT_EQ(ServiceAccounts::parse("a,\nb").code(), Code::invalid);
}

}  // namespace
}  // namespace acid::store::mongo
