// The dead-letter role on MongoDB: the exact documents sent (acid_dead_letters, one atomic
// upsert per letter) and the reading of stored ones, including entries that are not UTF-8.
#include <gtest/gtest.h>

#include "store/mongo/mongo_dead_letters.h"
#include "support/mongo_test_json.h"

namespace acid::store::mongo {
namespace {

using test::D;
using test::J;
using test::kNow;

DeadLetter letter(std::string entry) {
  DeadLetter d;
  d.id = dead_letter_id("aesthetic", entry);
  d.tenant = "aesthetic";
  d.kind = "invalid_text";
  d.reason = "a string is not valid UTF-8";
  d.entry = std::move(entry);
  return d;
}

class MongoDeadLetters : public ::testing::Test {
 protected:
  Commands c;
  DeadLetterCommands dl{c};
};

TEST_F(MongoDeadLetters, RecordIsOneUpsertCountingDeliveries) {
  DeadLetter d = letter(R"({"log_id":"9","data":{"type":"fp"}})");
  d.log_id = "9";
  EXPECT_EQ(dl.record(d, kNow).to_json(),
            J(R"({"op":"update_one","collection":"acid_dead_letters","filter":{"_id":")" + d.id +
              R"("},"update":{"$setOnInsert":{"tenant":"aesthetic","kind":"invalid_text",
                  "reason":"a string is not valid UTF-8","logId":"9",
                  "entry":"{\"log_id\":\"9\",\"data\":{\"type\":\"fp\"}}","firstSeen":@NOW@},
                  "$set":{"lastSeen":@NOW@},"$inc":{"deliveries":@L:1@}},
                  "options":{"upsert":true,"writeConcern":@WC@}})"));
}

TEST_F(MongoDeadLetters, BytesThatAreNotUtf8AreKeptAsBase64) {
  const DeadLetter d = letter("[\"\xff\xfe\"]");
  EXPECT_EQ(dl.record(d, kNow).to_json(),
            J(R"({"op":"update_one","collection":"acid_dead_letters","filter":{"_id":")" + d.id +
              R"("},"update":{"$setOnInsert":{"tenant":"aesthetic","kind":"invalid_text",
                  "reason":"a string is not valid UTF-8","entryBase64":"WyL//iJd",
                  "firstSeen":@NOW@},"$set":{"lastSeen":@NOW@},"$inc":{"deliveries":@L:1@}},
                  "options":{"upsert":true,"writeConcern":@WC@}})"));
  const Doc stored = D(R"({"_id":")" + d.id +
                       R"(","tenant":"aesthetic","kind":"invalid_text","reason":"r",
                           "entryBase64":"WyL//iJd","firstSeen":@NOW@,"lastSeen":@D:1760400000500@,
                           "deliveries":@L:3@})");
  auto read = read_dead_letter(stored.get());
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->entry, d.entry);
  EXPECT_EQ(read->deliveries, 3);
  EXPECT_EQ(read->last_seen, kNow + 500);
  EXPECT_FALSE(read->replayed_at.has_value());
  EXPECT_FALSE(read->log_id.has_value());
}

TEST_F(MongoDeadLetters, ListGetAndReplay) {
  EXPECT_EQ(dl.list({}).to_json(), J(R"({"op":"find","collection":"acid_dead_letters",
                  "filter":{"replayedAt":{"$exists":false}},
                  "options":{"sort":{"firstSeen":-1,"_id":1},"limit":@L:100@,"readConcern":@RC@}})"));
  EXPECT_EQ(dl.list({true, 5}).to_json(),
            J(R"({"op":"find","collection":"acid_dead_letters","filter":{},
                  "options":{"sort":{"firstSeen":-1,"_id":1},"limit":@L:5@,"readConcern":@RC@}})"));
  EXPECT_EQ(dl.get("0123456789abcdef0123").to_json(),
            J(R"({"op":"find_one","collection":"acid_dead_letters",
                  "filter":{"_id":"0123456789abcdef0123"},
                  "options":{"limit":@L:1@,"readConcern":@RC@}})"));
  EXPECT_EQ(dl.record_replay("0123456789abcdef0123", kNow, true, R"({"applied":true})").to_json(),
            J(R"({"op":"update_one","collection":"acid_dead_letters",
                  "filter":{"_id":"0123456789abcdef0123"},
                  "update":{"$set":{"replayOutcome":"{\"applied\":true}","replayedAt":@NOW@}},
                  "options":{"writeConcern":@WC@}})"));
  // A refused replay records its outcome only.
  EXPECT_EQ(dl.record_replay("0123456789abcdef0123", kNow, false, "{}").to_json(),
            J(R"({"op":"update_one","collection":"acid_dead_letters",
                  "filter":{"_id":"0123456789abcdef0123"},
                  "update":{"$set":{"replayOutcome":"{}"}},"options":{"writeConcern":@WC@}})"));
}

TEST_F(MongoDeadLetters, UnexpectedTypesAreAStoreError) {
  for (const char *doc :
       {R"({"_id":"x","tenant":5,"kind":"k","reason":"r","entry":"e","firstSeen":@NOW@,
            "lastSeen":@NOW@,"deliveries":1})",
        R"({"_id":"x","tenant":"t","kind":"k","reason":"r","entry":"e","firstSeen":"today",
            "lastSeen":@NOW@,"deliveries":1})",
        R"({"_id":"x","tenant":"t","kind":"k","reason":"r","entryBase64":"!!","firstSeen":@NOW@,
            "lastSeen":@NOW@,"deliveries":1})"}) {
    const Doc d = D(doc);
    EXPECT_EQ(read_dead_letter(d.get()).code(), Code::store) << doc;
  }
}

TEST(DeadLetterIds, SameBytesSameTenantSameId) {
  EXPECT_EQ(dead_letter_id("aesthetic", "x").size(), 20u);
  EXPECT_EQ(dead_letter_id("aesthetic", "x"), dead_letter_id("aesthetic", "x"));
  EXPECT_NE(dead_letter_id("aesthetic", "x"), dead_letter_id("sotce", "x"));
  EXPECT_NE(dead_letter_id("aesthetic", "x"), dead_letter_id("aesthetic", "y"));
}

}  // namespace
}  // namespace acid::store::mongo
