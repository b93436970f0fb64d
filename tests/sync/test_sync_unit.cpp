// The pieces of the mirror that need no PDS: TIDs, the mapping table and the options. (The
// store's content operations are in the store conformance suites, tests/store.)
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>

#include "store/store.h"
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

}  // namespace
}  // namespace acid::sync
