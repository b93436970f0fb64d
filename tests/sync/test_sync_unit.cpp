// The pieces of the mirror that need no PDS: TIDs, the mapping table, the options, the store's
// content operations (SQLite; MongoDB too when ACID_TEST_MONGODB_URI is set) and the MongoDB
// documents.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <ostream>
#include <set>

#include "store/mongo/mongo_test_backend.h"
#include "store/mongo_content.h"
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

Code import_content_lines_check(std::string_view line) {
  return parse_content_lines(line).code();
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
  EXPECT_EQ(mapping_for("news").code(), Code::invalid);  // not mirrored per person

  // Strings must be well-formed UTF-8: a JSON "\udc00" escape decodes to a lone surrogate
  // (found by fuzz_content_import), which no record may carry.
  EXPECT_TRUE(is_utf8("plain \xc3\xa9 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_utf8("\xed\xb3\x8c"));      // U+DCCC
  EXPECT_FALSE(is_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(is_utf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(is_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  d.fields["mood"] = "\xed\xb3\x8c";
  EXPECT_EQ(record_json(**mood, d).code(), Code::invalid);
  auto lone = import_content_lines_check(
      R"({"collection":"moods","_id":"a","user":"u","mood":"\udccc","when":"2025-10-14"})");
  EXPECT_EQ(lone, Code::invalid);
}

// Paintings as track-media.mjs stores them ({code, slug, when, bucket, user?}): the record's
// imageUrl (and, for a slug with a recording, recordingUrl) are derived from the media base.
TEST(Mapping, PaintingUrlsDerivedAsTheDeployedCodeDoes) {
  auto painting = mapping_for("paintings");
  ASSERT_TRUE(painting);
  store::ContentDoc p;
  p.collection = "paintings";
  p.id = "66f0c0ffee0000000000abcd";
  p.fields = {{"slug", "2025.10.14.08.30.00.000"}, {"code", "pab"}, {"bucket", "x"}};
  EXPECT_TRUE(validate(**painting, p));  // no imageUrl: fine in the store
  auto rec = record_json(**painting, p);
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_NE(rec->find(R"("imageUrl":"https://aesthetic.computer/media/paintings/pab.png")"),
            std::string::npos)
      << *rec;
  EXPECT_EQ(rec->find("recordingUrl"), std::string::npos) << *rec;

  p.fields["slug"] = "2025.10.14.08.30.00.000:2025.10.14.08.31.00.000";
  RecordInputs in;
  in.media_base = "http://127.0.0.1:9/m";
  in.blobs["thumbnail"] =
      R"({"$type":"blob","ref":{"$link":"bafkrei"},"mimeType":"image/png","size":3})";
  rec = record_json(**painting, p, in);
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_NE(rec->find(R"("imageUrl":"http://127.0.0.1:9/m/paintings/pab.png")"), std::string::npos);
  EXPECT_NE(rec->find(R"("recordingUrl":"http://127.0.0.1:9/m/paintings/pab.zip")"),
            std::string::npos);
  EXPECT_NE(rec->find(R"("thumbnail":{"$type":"blob")"), std::string::npos) << *rec;

  // A stored imageUrl (the older import shape) is kept; a derived one is checked like any.
  p.fields["imageUrl"] = "https://example.org/x.png";
  rec = record_json(**painting, p);
  ASSERT_TRUE(rec);
  EXPECT_NE(rec->find(R"("imageUrl":"https://example.org/x.png")"), std::string::npos);
  p.fields.erase("imageUrl");
  in.media_base = "http://h/" + std::string(600, 'a');
  EXPECT_EQ(record_json(**painting, p, in).code(), Code::invalid);  // > 512 bytes

  // Guests: the art account's repo for paintings, nobody's for moods.
  EXPECT_EQ(repo_owner(**painting, p), std::string(kArtGuestSub));
  p.user = "auth0|x";
  EXPECT_EQ(repo_owner(**painting, p), "auth0|x");
  auto mood = mapping_for("moods");
  store::ContentDoc m;
  EXPECT_EQ(repo_owner(**mood, m), "");

  // Imported exactly as stored: no imageUrl needed.
  EXPECT_EQ(
      import_content_lines_check(
          R"({"collection":"paintings","_id":"a","slug":"s","code":"c","bucket":"art-aesthetic-computer","when":"2025-10-14T00:00:00.000Z"})"),
      Code::ok);
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
       {"[]", "{", R"({"collection":"news"})", R"({"fix":"yes"})", R"({"user":3})",
        R"({"colection":"moods"})", R"({"fix":true,"dry_run":true})"}) {
    EXPECT_EQ(parse_sync_options(bad).code(), Code::invalid) << bad;
    EXPECT_EQ(parse_verify_options(bad).code(), Code::invalid) << bad;
  }
}

// The store's content operations on every backend: SQLite always, MongoDB when
// ACID_TEST_MONGODB_URI names a server (a fresh database per test).
struct Backend {
  const char *name;
  std::string (*uri)(const acid::testing::TempDir &);
};

void PrintTo(const Backend &backend, std::ostream *os) {
  *os << backend.name;
}

// A database of its own per test (left on the server for inspection; the names say what made
// them). The conformance suites' helper (tests/store/mongo) is not linked here: it registers a
// test of its own, whose name would clash with test_store's in ctest.
std::string fresh_mongo_uri() {
  static int n = 0;
  const char *uri = std::getenv("ACID_TEST_MONGODB_URI");
  return acid::testing::with_database(uri, "acid_sync_test_" + std::to_string(::getpid()) + "_" +
                                               std::to_string(++n) + "_" +
                                               std::to_string(now_unix_ms() % 100000));
}

std::vector<Backend> backends() {
  std::vector<Backend> v = {
      {"sqlite", [](const acid::testing::TempDir &dir) { return dir.sqlite_uri(); }},
  };
  const char *mongo = std::getenv("ACID_TEST_MONGODB_URI");
  if (mongo != nullptr && *mongo != '\0') {
    v.push_back({"mongodb", [](const acid::testing::TempDir &) { return fresh_mongo_uri(); }});
  }
  return v;
}

class ContentStore : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto s = store::open_store(GetParam().uri(dir_));
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
      store::ContentDoc d;
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
      EXPECT_EQ(store::content_need(*back), store::ContentNeed::create);
      auto k = s.claim_content_rkey(collection, d.id, "3aaaaaaaaaaa2");
      ASSERT_TRUE(k) << collection;
      ASSERT_TRUE(s.mark_content_synced(collection, d.id, *k, "at://x", "cid", 1).is_ok());
      EXPECT_EQ(store::content_need(*s.get_content(collection, d.id)), store::ContentNeed::none);
      ASSERT_TRUE(*s.set_content_deleted(collection, d.id, true));
      EXPECT_EQ(store::content_need(*s.get_content(collection, d.id)), store::ContentNeed::remove);
    }
    auto mine = s.list_content(collection, "u1", "", 10);
    ASSERT_TRUE(mine);
    EXPECT_EQ(mine->size(), 1u) << collection;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ContentStore, ::testing::ValuesIn(backends()),
                         [](const auto &param_info) { return std::string(param_info.param.name); });

// The MongoDB documents, checked without a server: what is sent, and how deployed documents
// (ObjectId ids, Date `when`, an rkey without a URI, no acid fields) are read.
TEST(MongoContent, DocumentsSent) {
  store::mongo::Commands commands;
  const store::mongo::ContentCommands cc(commands);
  store::ContentDoc d;
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
  auto kid = store::mongo::Doc::from_json(
      R"j({"_id":{"$oid":"66f0c0ffee0000000000abce"},"code":"kc1","source":"(wipe blue)",)j"
      R"("hash":"h","hits":3,"lastAccessed":{"$date":"2025-10-15T00:00:00Z"},)"
      R"("when":{"$date":"2025-10-14T00:00:00Z"}})");
  ASSERT_TRUE(kid);
  auto k = store::mongo::read_content("kidlisp", kid->get());
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->user, "");  // a guest's: the art account's repo
  EXPECT_EQ(k->fields.at("source"), "(wipe blue)");
  EXPECT_EQ(k->fields.count("hash"), 0u);
  auto tape = store::mongo::Doc::from_json(
      R"({"_id":"t","user":"auth0|x","code":"tc1","slug":"wand-1","bucket":"user-aesthetic-computer",)"
      R"("when":{"$date":"2025-10-14T00:00:00Z"},"nuked":true})");
  ASSERT_TRUE(tape);
  auto t = store::mongo::read_content("tapes", tape->get());
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(t->deleted);
  EXPECT_EQ(t->fields.at("slug"), "wand-1");
  auto piece = store::mongo::Doc::from_json(
      R"({"_id":"p","user":"auth0|x","code":"pc1","slug":"wand","name":"Wand","bucket":"b",)"
      R"("when":{"$date":"2025-10-14T00:00:00Z"}})");
  ASSERT_TRUE(piece);
  auto pc = store::mongo::read_content("pieces", piece->get());
  ASSERT_TRUE(pc) << pc.error().message;
  EXPECT_EQ(pc->fields.at("name"), "Wand");
  EXPECT_EQ(store::content_need(*pc), store::ContentNeed::create);
}

TEST(MongoContent, DeployedDocumentsAreRead) {
  auto legacy = store::mongo::Doc::from_json(
      R"({"_id":{"$oid":"66f0c0ffee0000000000abcd"},"user":"auth0|x","mood":"hi",)"
      R"("when":{"$date":"2025-10-14T00:00:00Z"},"atproto":{"rkey":"3abcabcabcab2"},)"
      R"("bluesky":{"uri":"at://b","cid":"c","rkey":"r"}})");
  ASSERT_TRUE(legacy) << legacy.error().message;
  auto d = store::mongo::read_content("moods", legacy->get());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->id, "66f0c0ffee0000000000abcd");
  EXPECT_EQ(d->when, 1760400000000);
  EXPECT_FALSE(d->deleted);
  EXPECT_EQ(d->version, 0);
  EXPECT_EQ(d->fields.at("mood"), "hi");
  // Written by the deployed createRecord path, URI never stored: written again at that key.
  EXPECT_EQ(store::content_need(*d), store::ContentNeed::retry_create);
  auto nuked = store::mongo::Doc::from_json(
      R"({"_id":"p","slug":"s","code":"c","when":{"$date":"2025-10-14T00:00:00Z"},"nuked":true})");
  ASSERT_TRUE(nuked);
  auto p = store::mongo::read_content("paintings", nuked->get());
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->deleted);
  EXPECT_EQ(p->user, "");
  EXPECT_EQ(store::content_need(*p), store::ContentNeed::none);
  auto bad = store::mongo::Doc::from_json(R"({"_id":1,"user":"u"})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(store::mongo::read_content("moods", bad->get()).code(), Code::store);
}

}  // namespace
}  // namespace acid::sync
