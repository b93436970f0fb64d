// The MongoDB content documents, checked without a server: what is sent, and how deployed
// documents are read.
#include <gtest/gtest.h>

#include "store/mongo/mongo_content.h"
#include "store/store.h"

namespace acid::store::mongo {
namespace {

// The MongoDB documents, checked without a server: what is sent, and how deployed documents
// (ObjectId ids, Date `when`, an rkey without a URI, no acid fields) are read.
TEST(MongoContent, DocumentsSent) {
  Commands commands;
  const ContentCommands cc(commands);
  ContentDoc d;
  d.collection = "moods";
  d.id = "66f0c0ffee0000000000abcd";
  d.user = "auth0|x";
  d.fields = {{"mood", "calm"}};
  d.when = 1760400000000;
  auto insert = cc.insert(d);
  ASSERT_TRUE(insert) << insert.error().message;
  const std::string inserted = insert->filter.relaxed_json();
  EXPECT_NE(inserted.find(R"("_id" : { "$oid" : "66f0c0ffee0000000000abcd" })"), std::string::npos)
      << inserted;
  EXPECT_NE(inserted.find(R"("deleted" : false)"), std::string::npos) << inserted;
  d.id = "not-an-object-id";
  auto by_string = cc.find("moods", d.id);
  ASSERT_TRUE(by_string);
  EXPECT_NE(by_string->filter.relaxed_json().find(R"("_id" : "not-an-object-id")"),
            std::string::npos);
  auto claim = cc.claim_rkey("paintings", "p1", "3aaaaaaaaaaa2");
  ASSERT_TRUE(claim);
  EXPECT_NE(
      claim->filter.relaxed_json().find(R"("atproto.rkey" : { "$not" : { "$type" : "string" } })"),
      std::string::npos)
      << claim->filter.relaxed_json();
  EXPECT_NE(claim->update.relaxed_json().find(R"("$set" : { "atproto.rkey" : "3aaaaaaaaaaa2" })"),
            std::string::npos);
  auto next = cc.next_user("paintings", "auth0|a", true);
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_NE(next->filter.relaxed_json().find(R"("nuked" : true)"), std::string::npos)
      << next->filter.relaxed_json();
  for (auto op :
       {cc.list("moods", "u", "", 10), cc.set_deleted("moods", "x", true),
        cc.mark_synced("moods", "x", "k", "at://u", "c", 2), cc.clear_record("moods", "x", "k"),
        cc.mark_unsynced("moods", "x"), cc.update_content(d, 3, true)}) {
    ASSERT_TRUE(op) << op.error().message;
    EXPECT_TRUE(op->valid());
  }
  EXPECT_EQ(cc.find("news", "x").code(), Code::invalid);
  // The other kinds: tapes and pieces are nuked like paintings (track-media.mjs PUT); kidlisp
  // documents have no deployed soft-delete flag, so the library's own is "deleted".
  for (auto [collection, flag] : {std::pair{"tapes", "nuked"}, std::pair{"pieces", "nuked"},
                                  std::pair{"kidlisp", "deleted"}}) {
    auto del = cc.set_deleted(collection, "x", true);
    ASSERT_TRUE(del) << collection;
    EXPECT_NE(del->update.relaxed_json().find("\"" + std::string(flag) + "\" : true"),
              std::string::npos)
        << collection << ": " << del->update.relaxed_json();
  }
}

// The other kinds as the deployed code stores them (extra fields such as hash, hits,
// lastAccessed are left alone), guests without a user.
TEST(MongoContent, DeployedKindsAreRead) {
  auto kid = Doc::from_json(
      R"j({"_id":{"$oid":"66f0c0ffee0000000000abce"},"code":"kc1","source":"(wipe blue)",)j"
      R"("hash":"h","hits":3,"lastAccessed":{"$date":"2025-10-15T00:00:00Z"},)"
      R"("when":{"$date":"2025-10-14T00:00:00Z"}})");
  ASSERT_TRUE(kid);
  auto k = read_content("kidlisp", kid->get());
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->user, "");  // a guest's: the art account's repo
  EXPECT_EQ(k->fields.at("source"), "(wipe blue)");
  EXPECT_EQ(k->fields.count("hash"), 0u);
  auto tape = Doc::from_json(
      R"({"_id":"t","user":"auth0|x","code":"tc1","slug":"wand-1","bucket":"user-aesthetic-computer",)"
      R"("when":{"$date":"2025-10-14T00:00:00Z"},"nuked":true})");
  ASSERT_TRUE(tape);
  auto t = read_content("tapes", tape->get());
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(t->deleted);
  EXPECT_EQ(t->fields.at("slug"), "wand-1");
  auto piece = Doc::from_json(
      R"({"_id":"p","user":"auth0|x","code":"pc1","slug":"wand","name":"Wand","bucket":"b",)"
      R"("when":{"$date":"2025-10-14T00:00:00Z"}})");
  ASSERT_TRUE(piece);
  auto pc = read_content("pieces", piece->get());
  ASSERT_TRUE(pc) << pc.error().message;
  EXPECT_EQ(pc->fields.at("name"), "Wand");
  EXPECT_EQ(content_need(*pc), ContentNeed::create);
}

TEST(MongoContent, DeployedDocumentsAreRead) {
  auto legacy = Doc::from_json(
      R"({"_id":{"$oid":"66f0c0ffee0000000000abcd"},"user":"auth0|x","mood":"hi",)"
      R"("when":{"$date":"2025-10-14T00:00:00Z"},"atproto":{"rkey":"3abcabcabcab2"},)"
      R"("bluesky":{"uri":"at://b","cid":"c","rkey":"r"}})");
  ASSERT_TRUE(legacy) << legacy.error().message;
  auto d = read_content("moods", legacy->get());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->id, "66f0c0ffee0000000000abcd");
  EXPECT_EQ(d->when, 1760400000000);
  EXPECT_FALSE(d->deleted);
  EXPECT_EQ(d->version, 0);
  EXPECT_EQ(d->fields.at("mood"), "hi");
  // Written by the deployed createRecord path, URI never stored: written again at that key.
  EXPECT_EQ(content_need(*d), ContentNeed::retry_create);
  auto nuked = Doc::from_json(
      R"({"_id":"p","slug":"s","code":"c","when":{"$date":"2025-10-14T00:00:00Z"},"nuked":true})");
  ASSERT_TRUE(nuked);
  auto p = read_content("paintings", nuked->get());
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->deleted);
  EXPECT_EQ(p->user, "");
  EXPECT_EQ(content_need(*p), ContentNeed::none);
  auto bad = Doc::from_json(R"({"_id":1,"user":"u"})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(read_content("moods", bad->get()).code(), Code::store);
}

}  // namespace
}  // namespace acid::store::mongo
