// The store's content operations (the mirror's mapping rows, versions, record keys and
// cursors) on every backend: SQLite always, MongoDB when ACID_TEST_MONGODB_URI names a server.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "store/store.h"
#include "support/backends.h"
#include "support/temp_dir.h"

namespace acid::store {
namespace {

class ContentStore : public ::testing::TestWithParam<conformance::Backend> {
 protected:
  void SetUp() override {
    auto s = open_store(GetParam().uri(dir_));
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  ContentDoc mood(const std::string &id, const std::string &user, const std::string &text) {
    ContentDoc d;
    d.collection = "moods";
    d.id = id;
    d.user = user;
    d.fields = {{"mood", text}};
    d.when = 1760400000000;
    return d;
  }
  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(ContentStore, VersionsKeysAndCursors) {
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
  EXPECT_EQ(content_need(*d), ContentNeed::create);

  // The first key stored wins; a second claim gets it back.
  auto k1 = s.claim_content_rkey("moods", "m1", "3aaaaaaaaaaa2");
  ASSERT_TRUE(k1);
  EXPECT_EQ(*k1, "3aaaaaaaaaaa2");
  auto k2 = s.claim_content_rkey("moods", "m1", "3bbbbbbbbbbb2");
  ASSERT_TRUE(k2);
  EXPECT_EQ(*k2, "3aaaaaaaaaaa2");
  EXPECT_EQ(content_need(*s.get_content("moods", "m1")), ContentNeed::retry_create);
  EXPECT_EQ(s.mark_content_synced("moods", "m1", "3bbbbbbbbbbb2", "at://x", "cid", 1).code(),
            Code::conflict);
  ASSERT_TRUE(s.mark_content_synced("moods", "m1", "3aaaaaaaaaaa2", "at://x", "cid", 1).is_ok());
  EXPECT_EQ(content_need(*s.get_content("moods", "m1")), ContentNeed::none);

  // An edit bumps the version: an update is due. The user cannot move once a record exists.
  ASSERT_TRUE(*s.upsert_content(mood("m1", "u1", "b")));
  EXPECT_EQ(content_need(*s.get_content("moods", "m1")), ContentNeed::update);
  EXPECT_EQ(s.upsert_content(mood("m1", "u2", "b")).code(), Code::conflict);

  // Deleted: the record must go; once cleared, nothing is due; undeleted: a create.
  ASSERT_TRUE(*s.set_content_deleted("moods", "m1", true));
  EXPECT_FALSE(*s.set_content_deleted("moods", "m1", true));
  EXPECT_EQ(content_need(*s.get_content("moods", "m1")), ContentNeed::remove);
  ASSERT_TRUE(s.clear_content_record("moods", "m1", "3aaaaaaaaaaa2").is_ok());
  EXPECT_EQ(content_need(*s.get_content("moods", "m1")), ContentNeed::none);
  ASSERT_TRUE(*s.set_content_deleted("moods", "m1", false));
  EXPECT_EQ(content_need(*s.get_content("moods", "m1")), ContentNeed::create);
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
  EXPECT_EQ(s.get_content("news", "x").code(), Code::invalid);

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

// Every kind the mirror maps has its table (SQLite) / collection (MongoDB): the fields the
// deployed code stores come back, keys and deletes work, guest documents keep an empty user.
TEST_P(ContentStore, EveryKindRoundTrips) {
  auto &s = *store_;
  const std::map<std::string, std::map<std::string, std::string>> kinds = {
      {"kidlisp", {{"code", "kc1"}, {"source", "(wipe blue)"}}},
      {"tapes", {{"code", "tc1"}, {"slug", "wand-1"}, {"bucket", "user-aesthetic-computer"}}},
      {"pieces", {{"code", "pc1"}, {"slug", "wand"}, {"name", "Wand"}, {"bucket", "b"}}},
  };
  for (const auto &[collection, fields] : kinds) {
    for (const std::string user : {"u1", ""}) {
      ContentDoc d;
      d.collection = collection;
      d.id = collection + "-" + (user.empty() ? "guest" : user);
      d.user = user;
      d.fields = fields;
      d.when = 1760400000000;
      auto up = s.upsert_content(d);
      ASSERT_TRUE(up) << collection << ": " << up.error().message;
      auto back = s.get_content(collection, d.id);
      ASSERT_TRUE(back) << collection;
      EXPECT_EQ(back->fields, fields) << collection;
      EXPECT_EQ(back->user, user) << collection;
      EXPECT_EQ(content_need(*back), ContentNeed::create);
      auto k = s.claim_content_rkey(collection, d.id, "3aaaaaaaaaaa2");
      ASSERT_TRUE(k) << collection;
      ASSERT_TRUE(s.mark_content_synced(collection, d.id, *k, "at://x", "cid", 1).is_ok());
      EXPECT_EQ(content_need(*s.get_content(collection, d.id)), ContentNeed::none);
      ASSERT_TRUE(*s.set_content_deleted(collection, d.id, true));
      EXPECT_EQ(content_need(*s.get_content(collection, d.id)), ContentNeed::remove);
    }
    auto mine = s.list_content(collection, "u1", "", 10);
    ASSERT_TRUE(mine);
    EXPECT_EQ(mine->size(), 1u) << collection;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ContentStore, ::testing::ValuesIn(conformance::backends()),
                         [](const auto &param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace acid::store
