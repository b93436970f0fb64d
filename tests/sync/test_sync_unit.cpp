// The pieces of the mirror that need no PDS: TIDs, the mapping table, the options, and the
// content operations of the embedded store.
#include <gtest/gtest.h>

#include <set>

#include "store/store.h"
#include "support/temp_dir.h"
#include "sync/content_import.h"
#include "sync/mapping.h"
#include "sync/mirror.h"
#include "sync/tid.h"

namespace acid::sync {
namespace {

TEST(Tid, FormatAndOrder) {
  EXPECT_EQ(encode_tid(0, 0), "2222222222222");
  // The top bit is always 0: the largest value starts with 'b' (the syntax allows up to 'j').
  EXPECT_EQ(encode_tid((std::uint64_t{1} << 53) - 1, 1023), "bzzzzzzzzzzzz");
  EXPECT_TRUE(is_tid("3jzfcijpj2z2a"));  // the example in the atproto specification
  EXPECT_FALSE(is_tid("kzzzzzzzzzzzz"));
  EXPECT_FALSE(is_tid("3jzfcijpj2z2"));
  EXPECT_FALSE(is_tid("3jzfcijpj2z21"));
  auto clock = TidClock::create();
  ASSERT_TRUE(clock);
  std::string last;
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    const std::string t = clock->next();
    ASSERT_TRUE(is_tid(t)) << t;
    ASSERT_GT(t, last);
    ASSERT_TRUE(seen.insert(t).second);
    last = t;
  }
  // Microseconds since the epoch: a TID made now starts with '3' (2022-2039).
  EXPECT_EQ(last[0], '3');
}

TEST(Mapping, RecordsFollowTheLexicons) {
  auto mood = mapping_for("moods");
  ASSERT_TRUE(mood);
  EXPECT_EQ((*mood)->nsid, "computer.aesthetic.mood");
  store::ContentDoc d;
  d.collection = "moods";
  d.id = "66f0c0ffee0000000000abcd";
  d.user = "auth0|x";
  d.fields = {{"mood", "calm \"ok\""}};
  d.when = 1760400000123;
  auto rec = record_json(**mood, d);
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_EQ(
      *rec,
      R"({"$type":"computer.aesthetic.mood","mood":"calm \"ok\"","when":"2025-10-14T00:00:00.123Z","ref":"66f0c0ffee0000000000abcd"})");
  EXPECT_EQ(record_ref(*rec), d.id);
  EXPECT_EQ(record_ref(R"({"mongoId":"old"})"), "old");
  EXPECT_EQ(record_ref(R"({"mood":"none"})"), "");

  auto painting = mapping_for("paintings");
  ASSERT_TRUE(painting);
  store::ContentDoc p;
  p.collection = "paintings";
  p.id = "abc";
  p.fields = {{"slug", "2025.10.14.x"},
              {"code", "pab"},
              {"imageUrl", "https://aesthetic.computer/media/x.png"},
              {"bucket", "user-aesthetic-computer"}};
  auto prec = record_json(**painting, p);
  ASSERT_TRUE(prec) << prec.error().message;
  EXPECT_EQ(prec->find("bucket"), std::string::npos) << *prec;  // kept in the store only
  EXPECT_NE(prec->find(R"("imageUrl":"https://aesthetic.computer/media/x.png")"),
            std::string::npos);
  p.id = std::string(25, 'a');  // ref is at most 24
  EXPECT_EQ(record_json(**painting, p).code(), Code::invalid);
  EXPECT_EQ(mapping_for("tapes").code(), Code::invalid);
}

TEST(Options, ParsedStrictly) {
  auto all = parse_sync_options("");
  ASSERT_TRUE(all);
  EXPECT_FALSE(all->apply);
  EXPECT_TRUE(all->collections.empty());
  auto one = parse_sync_options(R"({"collection":"paintings","user":"auth0|x","fix":true})");
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->apply);
  ASSERT_EQ(one->collections.size(), 1u);
  EXPECT_EQ(one->collections[0], "paintings");
  EXPECT_EQ(one->user, "auth0|x");
  for (const char *bad :
       {"[]", "{", R"({"collection":"tapes"})", R"({"fix":"yes"})", R"({"user":3})",
        R"({"colection":"moods"})", R"({"fix":true,"dry_run":true})"}) {
    EXPECT_EQ(parse_sync_options(bad).code(), Code::invalid) << bad;
    EXPECT_EQ(parse_verify_options(bad).code(), Code::invalid) << bad;
  }
}

class ContentStore : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_store(dir_.sqlite_uri());
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  store::ContentDoc mood(const std::string &id, const std::string &user, const std::string &text) {
    store::ContentDoc d;
    d.collection = "moods";
    d.id = id;
    d.user = user;
    d.fields = {{"mood", text}};
    d.when = 1760400000000;
    return d;
  }
  acid::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(ContentStore, VersionsKeysAndCursors) {
  auto &s = *store_;
  auto first = s.upsert_content(mood("m1", "u1", "a"));
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  auto same = s.upsert_content(mood("m1", "u1", "a"));
  ASSERT_TRUE(same);
  EXPECT_FALSE(*same);
  auto d = s.get_content("moods", "m1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->version, 1);
  EXPECT_EQ(store::content_need(*d), store::ContentNeed::create);

  // The first key stored wins; a second claim gets it back.
  auto k1 = s.claim_content_rkey("moods", "m1", "3aaaaaaaaaaa2");
  ASSERT_TRUE(k1);
  EXPECT_EQ(*k1, "3aaaaaaaaaaa2");
  auto k2 = s.claim_content_rkey("moods", "m1", "3bbbbbbbbbbb2");
  ASSERT_TRUE(k2);
  EXPECT_EQ(*k2, "3aaaaaaaaaaa2");
  EXPECT_EQ(store::content_need(*s.get_content("moods", "m1")), store::ContentNeed::retry_create);
  EXPECT_EQ(s.mark_content_synced("moods", "m1", "3bbbbbbbbbbb2", "at://x", "cid", 1).code(),
            Code::conflict);
  ASSERT_TRUE(s.mark_content_synced("moods", "m1", "3aaaaaaaaaaa2", "at://x", "cid", 1).is_ok());
  EXPECT_EQ(store::content_need(*s.get_content("moods", "m1")), store::ContentNeed::none);

  // An edit bumps the version: an update is due. The user cannot move once a record exists.
  ASSERT_TRUE(*s.upsert_content(mood("m1", "u1", "b")));
  EXPECT_EQ(store::content_need(*s.get_content("moods", "m1")), store::ContentNeed::update);
  EXPECT_EQ(s.upsert_content(mood("m1", "u2", "b")).code(), Code::conflict);

  // Deleted: the record must go; once cleared, nothing is due; undeleted: a create.
  ASSERT_TRUE(*s.set_content_deleted("moods", "m1", true));
  EXPECT_FALSE(*s.set_content_deleted("moods", "m1", true));
  EXPECT_EQ(store::content_need(*s.get_content("moods", "m1")), store::ContentNeed::remove);
  ASSERT_TRUE(s.clear_content_record("moods", "m1", "3aaaaaaaaaaa2").is_ok());
  EXPECT_EQ(store::content_need(*s.get_content("moods", "m1")), store::ContentNeed::none);
  ASSERT_TRUE(*s.set_content_deleted("moods", "m1", false));
  EXPECT_EQ(store::content_need(*s.get_content("moods", "m1")), store::ContentNeed::create);
  EXPECT_EQ(s.set_content_deleted("moods", "nope", true).code(), Code::not_found);

  ASSERT_TRUE(*s.upsert_content(mood("m2", "u2", "c")));
  ASSERT_TRUE(*s.upsert_content(mood("m3", "u3", "c")));
  ASSERT_TRUE(s.claim_content_rkey("moods", "m3", "3ccccccccccc2").is_ok());
  ASSERT_TRUE(s.mark_content_synced("moods", "m3", "3ccccccccccc2", "at://y", "cid", 1).is_ok());
  auto needing = s.content_users("moods", "", 10, true);
  ASSERT_TRUE(needing);
  EXPECT_EQ(*needing, (std::vector<std::string>{"u1", "u2"}));
  auto all = s.content_users("moods", "u1", 10, false);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, (std::vector<std::string>{"u2", "u3"}));
  auto listed = s.list_content("moods", "", "m1", 10);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "m2");

  EXPECT_EQ(*s.get_sync_cursor("records:moods"), "");
  ASSERT_TRUE(s.set_sync_cursor("records:moods", "u2").is_ok());
  EXPECT_EQ(*s.get_sync_cursor("records:moods"), "u2");
  ASSERT_TRUE(s.set_sync_cursor("records:moods", "").is_ok());
  EXPECT_EQ(*s.get_sync_cursor("records:moods"), "");
  EXPECT_EQ(s.get_content("tapes", "x").code(), Code::invalid);

  // The batch forms: the held key per claim, and which write-backs matched their key.
  ASSERT_TRUE(*s.upsert_content(mood("m4", "u4", "d")));
  auto held = s.claim_content_rkeys("moods", {{"m4", "3ddddddddddd2"}, {"m3", "3eeeeeeeeeee2"}});
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(*held, (std::vector<std::string>{"3ddddddddddd2", "3ccccccccccc2"}));
  EXPECT_EQ(s.claim_content_rkeys("moods", {{"nope", "3fffffffffff2"}}).code(), Code::not_found);
  auto matched = s.mark_contents_synced("moods", {{"m4", "3ddddddddddd2", "at://z", "cid", 1},
                                                  {"m3", "3eeeeeeeeeee2", "at://w", "c", 1}});
  ASSERT_TRUE(matched);
  EXPECT_EQ(*matched, (std::vector<bool>{true, false}));
  EXPECT_EQ(s.get_content("moods", "m4")->atproto.uri.value_or(""), "at://z");
  EXPECT_EQ(s.get_content("moods", "m3")->atproto.uri.value_or(""), "at://y");
}

}  // namespace
}  // namespace acid::sync
