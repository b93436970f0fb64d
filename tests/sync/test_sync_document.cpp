// One document, now (sync/document.h) on the real local PDS and a real SQLite store: moods and
// paintings mirrored at write time, exactly once (twice, racing a batch, after a crash), paintings
// exactly as track-media.mjs stores them (imageUrl derived, thumbnail from a loopback media
// server uploaded as a blob), guest paintings in the art account's repo, nuke and un-nuke.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "core/json.h"
#include "support/lexicon_check.h"
#include "support/live_env.h"
#include "support/media_fixture.h"
#include "support/temp_dir.h"
#include "sync/blob.h"
#include "sync/content_import.h"
#include "sync/document.h"
#include "sync/mirror.h"
#include "sync/tid.h"

namespace acid::sync {
namespace {

// A fetch from a port nothing listens on (the fixture's, after it stopped).
std::string reason_for_closed_port() {
  std::string url;
  {
    acid::testing::MediaFixture gone;
    url = gone.base_url() + "/x.png";
  }
  auto fetcher = MediaFetcher::create();
  if (!fetcher) return "no fetcher";
  auto got = (*fetcher)->fetch(url, {"image/png"}, 1024);
  if (auto *miss = std::get_if<MediaMiss>(&got)) return miss->reason;
  return "ok";
}

constexpr const char *kMoodNsid = "computer.aesthetic.mood";
constexpr const char *kPaintingNsid = "computer.aesthetic.painting";

struct RepoRecord {
  std::string rkey, ref, value;
};

class DocumentLive : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = test::LiveEnv::create(dir_.sqlite_uri(),
                                     {{"ACID_MEDIA_BASE_URL", media_.base_url() + "/media"}});
    ASSERT_TRUE(env) << env.error().message;
    env_ = std::move(*env);
    auto documents = make_document_mirror(*env_->engine);
    ASSERT_TRUE(documents) << documents.error().message;
    documents_ = std::move(*documents);
  }

  // Every record the test wrote, in every repo it used, must satisfy the lexicons.
  void TearDown() override {
    if (repos_.empty() || !env_) return;
    auto checked = test::check_repo_records(*env_->admin, repos_, test::mirrored_nsids());
    ASSERT_TRUE(checked) << checked.error().message;
    if (*checked == 0) {
      EXPECT_TRUE(checked_before_) << "no record to check: the check would prove nothing";
    }
  }

  // The records in the repos used so far, checked now (a test that ends with none left).
  void check_records_now() {
    auto checked = test::check_repo_records(*env_->admin, repos_, test::mirrored_nsids());
    ASSERT_TRUE(checked) << checked.error().message;
    EXPECT_GT(*checked, 0u);
    checked_before_ = true;
  }

  // Registers a repo for the lexicon check at the end.
  std::string used(const std::string &did) {
    repos_.push_back(did);
    return did;
  }

  store::Store &store() { return env_->engine->store(); }
  std::string id(const std::string &suffix) const { return env_->run + suffix; }

  void import(const std::string &jsonl) {
    auto r = import_content(store(), jsonl);
    ASSERT_TRUE(r) << r.error().message;
  }

  std::string mood(const std::string &doc_id, const std::string &user, const std::string &text) {
    return R"({"collection":"moods","_id":")" + doc_id + R"(","user":")" + user + R"(","mood":)" +
           json::quote(text) + R"(,"when":"2025-10-14T00:00:00.000Z"})" + "\n";
  }

  // Exactly the fields track-media.mjs stores: code, slug, when, bucket, user (absent for a
  // guest). No imageUrl.
  std::string painting(const std::string &doc_id, const std::string &user, const std::string &code,
                       const std::string &slug) {
    return R"({"collection":"paintings","_id":")" + doc_id + "\"" +
           (user.empty() ? std::string() : R"(,"user":")" + user + "\"") + R"(,"code":")" + code +
           R"(","slug":")" + slug + R"(","when":"2025-10-14T00:00:00.000Z","bucket":")" +
           (user.empty() ? "art-aesthetic-computer" : "user-aesthetic-computer") + "\"}\n";
  }

  rapidjson::Document sync_doc(const std::string &collection, const std::string &doc_id) {
    auto report = documents_->sync_document(collection, doc_id);
    EXPECT_TRUE(report) << report.error().message;
    last_ = report ? *report : "{}";
    auto doc = json::parse(last_);
    EXPECT_TRUE(doc);
    return std::move(*doc);
  }

  static std::string str(const rapidjson::Document &d, const char *name) {
    return d.IsObject() && d.HasMember(name) && d[name].IsString() ? d[name].GetString() : "";
  }

  std::vector<RepoRecord> repo(const std::string &did, const std::string &nsid) {
    std::vector<RepoRecord> out;
    auto records = env_->repo_records(did, nsid);
    EXPECT_TRUE(records) << records.error().message;
    if (!records) return out;
    for (const auto &r : *records) {
      out.push_back({r.uri.substr(r.uri.rfind('/') + 1), record_ref(r.value_json), r.value_json});
    }
    return out;
  }

  store::ContentDoc doc(const std::string &collection, const std::string &doc_id) {
    auto d = store().get_content(collection, doc_id);
    EXPECT_TRUE(d) << d.error().message;
    return d ? *d : store::ContentDoc{};
  }

  Result<std::string> active(const std::string &name) {
    auto did = env_->active_user(name);
    if (did) used(*did);
    return did;
  }

  std::uint64_t metric(const std::string &name, const std::map<std::string, std::string> &labels) {
    return env_->engine->metrics().get(name, labels);
  }

  acid::testing::MediaFixture media_;
  acid::testing::TempDir dir_;
  std::unique_ptr<test::LiveEnv> env_;
  std::unique_ptr<DocumentMirror> documents_;
  std::string last_;
  std::vector<std::string> repos_;
  bool checked_before_ = false;
};

TEST_F(DocumentLive, MoodCreatedOnceThenUpdatedDeletedAndCreatedAgain) {
  auto did = active("dm");
  ASSERT_TRUE(did) << did.error().message;
  const std::string user = env_->sub("dm");
  import(mood(id("a"), user, "first"));

  auto first = sync_doc("moods", id("a"));
  EXPECT_EQ(str(first, "action"), "created") << last_;
  EXPECT_EQ(str(first, "repo"), *did);
  const std::string rkey = str(first, "rkey");
  EXPECT_TRUE(is_tid(rkey)) << last_;
  EXPECT_EQ(doc("moods", id("a")).atproto.uri.value_or(""), str(first, "uri"));

  // Twice: nothing to do, still one record.
  EXPECT_EQ(str(sync_doc("moods", id("a")), "action"), "unchanged") << last_;
  auto records = repo(*did, kMoodNsid);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].rkey, rkey);
  EXPECT_EQ(records[0].ref, id("a"));

  // An edit is a putRecord at the same key.
  import(mood(id("a"), user, "edited"));
  EXPECT_EQ(str(sync_doc("moods", id("a")), "action"), "updated") << last_;
  records = repo(*did, kMoodNsid);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].rkey, rkey);
  EXPECT_NE(records[0].value.find("\"edited\""), std::string::npos) << records[0].value;

  // Deleted: the record goes and the key is cleared; undeleted: a new record.
  ASSERT_TRUE(delete_content(store(), "moods", id("a")));
  EXPECT_EQ(str(sync_doc("moods", id("a")), "action"), "deleted") << last_;
  EXPECT_TRUE(repo(*did, kMoodNsid).empty());
  EXPECT_FALSE(doc("moods", id("a")).atproto.rkey.has_value());
  ASSERT_TRUE(store().set_content_deleted("moods", id("a"), false));
  EXPECT_EQ(str(sync_doc("moods", id("a")), "action"), "created") << last_;
  records = repo(*did, kMoodNsid);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0].rkey, rkey);
}

TEST_F(DocumentLive, KeyStoredByACrashedWriteIsReused) {
  auto did = active("dk");
  ASSERT_TRUE(did) << did.error().message;
  const std::string user = env_->sub("dk");
  import(mood(id("k"), user, "crash"));
  auto clock = TidClock::create();
  ASSERT_TRUE(clock);
  const std::string key = clock->next();
  ASSERT_TRUE(store().claim_content_rkey("moods", id("k"), key));

  // The write landed before the crash (the answer was lost): the retry must not add a second.
  auto password = env_->password(user);
  ASSERT_TRUE(password);
  auto session = env_->admin->create_session(*did, *password);
  ASSERT_TRUE(session);
  pds::RecordWrite w;
  w.repo = *did;
  w.collection = kMoodNsid;
  w.rkey = key;
  w.record_json = R"({"$type":"computer.aesthetic.mood","mood":"crash","when":)"
                  R"("2025-10-14T00:00:00.000Z","ref":")" +
                  id("k") + "\"}";
  ASSERT_TRUE(env_->admin->put_record(session->access_jwt, w));

  auto report = sync_doc("moods", id("k"));
  EXPECT_EQ(str(report, "action"), "retried") << last_;
  EXPECT_EQ(str(report, "rkey"), key);
  const auto records = repo(*did, kMoodNsid);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].rkey, key);
}

TEST_F(DocumentLive, RacingABatchSyncLeavesOneRecordPerDocument) {
  auto did = active("dr");
  ASSERT_TRUE(did) << did.error().message;
  const std::string user = env_->sub("dr");
  constexpr int kDocs = 40;
  std::string lines;
  for (int i = 0; i < kDocs; ++i) lines += mood(id("r" + std::to_string(i)), user, "race");
  import(lines);

  auto mirror = make_mirror(*env_->engine);
  ASSERT_TRUE(mirror);
  std::thread batch([&] {
    SyncOptions o;
    o.apply = true;
    o.user = user;
    o.collections = {"moods"};
    auto r = (*mirror)->sync(o);
    EXPECT_TRUE(r) << r.error().message;
  });
  // Each document twice, interleaved with the batch.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kDocs; ++i) {
      auto r = documents_->sync_document("moods", id("r" + std::to_string(i)));
      EXPECT_TRUE(r) << r.error().message;
    }
  }
  batch.join();
  // Whatever either left undone, a batch pass finishes (the repair path).
  SyncOptions o;
  o.apply = true;
  o.user = user;
  ASSERT_TRUE((*mirror)->sync(o));

  const auto records = repo(*did, kMoodNsid);
  EXPECT_EQ(records.size(), static_cast<std::size_t>(kDocs));
  std::set<std::string> refs;
  for (const RepoRecord &r : records) {
    EXPECT_TRUE(refs.insert(r.ref).second) << "duplicate ref " << r.ref;
    EXPECT_EQ(doc("moods", r.ref).atproto.rkey.value_or(""), r.rkey);
  }
}

TEST_F(DocumentLive, PaintingAsStoredGetsImageUrlAndThumbnailBlob) {
  auto did = active("dp");
  ASSERT_TRUE(did) << did.error().message;
  const std::string user = env_->sub("dp");
  // The deployed path answers /media/paintings/<code>.png with a redirect to storage.
  media_.serve("/media/paintings/pc1.png",
               acid::testing::MediaAnswer::redirect_to(media_.base_url() + "/store/pc1.png"));
  media_.serve("/store/pc1.png", {200, "image/png", acid::testing::MediaFixture::tiny_png(), ""});
  import(painting(id("p1"), user, "pc1", "2025.10.14.08.30.00.000:2025.10.14.08.31.00.000"));

  auto report = sync_doc("paintings", id("p1"));
  EXPECT_EQ(str(report, "action"), "created") << last_;
  EXPECT_FALSE(report.HasMember("blobs_missing")) << last_;
  auto record = env_->admin->get_record(*did, kPaintingNsid, str(report, "rkey"));
  ASSERT_TRUE(record) << record.error().message;
  auto value = json::parse(record->value_json);
  ASSERT_TRUE(value);
  EXPECT_EQ(str(*value, "imageUrl"), media_.base_url() + "/media/paintings/pc1.png");
  EXPECT_EQ(str(*value, "recordingUrl"), media_.base_url() + "/media/paintings/pc1.zip");
  EXPECT_EQ(str(*value, "code"), "pc1");
  ASSERT_TRUE(value->HasMember("thumbnail")) << record->value_json;
  const auto &thumb = (*value)["thumbnail"];
  EXPECT_EQ(std::string(thumb["mimeType"].GetString()), "image/png");
  EXPECT_EQ(thumb["size"].GetInt64(),
            static_cast<std::int64_t>(acid::testing::MediaFixture::tiny_png().size()));
  EXPECT_EQ(media_.requests("/store/pc1.png"), 1);
}

TEST_F(DocumentLive, PaintingWithoutThumbnailIsMirroredAndTheReasonCounted) {
  auto did = active("dt");
  ASSERT_TRUE(did) << did.error().message;
  const std::string user = env_->sub("dt");
  media_.serve("/media/paintings/pc3.png", {200, "text/html", "<html>not an image</html>", ""});
  import(painting(id("p3"), user, "pc3", "s3"));
  import(painting(id("p4"), user, "pc4", "s4"));  // nothing served: 404

  auto html = sync_doc("paintings", id("p3"));
  EXPECT_EQ(str(html, "action"), "created") << last_;
  ASSERT_TRUE(html.HasMember("blobs_missing")) << last_;
  EXPECT_EQ(std::string(html["blobs_missing"][0]["reason"].GetString()), "not_accepted_type");
  auto missing = sync_doc("paintings", id("p4"));
  EXPECT_EQ(str(missing, "action"), "created") << last_;
  ASSERT_TRUE(missing.HasMember("blobs_missing")) << last_;
  EXPECT_EQ(std::string(missing["blobs_missing"][0]["reason"].GetString()), "http_status");
  EXPECT_EQ(metric("acid_sync_blob_missing_total",
                   {{"collection", "paintings"}, {"blob", "thumbnail"}, {"reason", "http_status"}}),
            1u);
  const auto records = repo(*did, kPaintingNsid);
  ASSERT_EQ(records.size(), 2u);
  for (const auto &r : records) EXPECT_EQ(r.value.find("thumbnail"), std::string::npos);
}

TEST_F(DocumentLive, GuestPaintingGoesToTheArtAccountsRepo) {
  auto art = env_->service_account(std::string(kArtGuestSub), env_->run + "art");
  ASSERT_TRUE(art) << art.error().message;
  used(*art);
  media_.serve("/media/paintings/gc1.png",
               {200, "image/png", acid::testing::MediaFixture::tiny_png(), ""});
  import(painting(id("g1"), "", "gc1", "guest-slug"));
  auto report = sync_doc("paintings", id("g1"));
  EXPECT_EQ(str(report, "action"), "created") << last_;
  EXPECT_EQ(str(report, "repo"), *art);
  const auto records = repo(*art, kPaintingNsid);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].ref, id("g1"));
  EXPECT_NE(records[0].value.find("\"thumbnail\""), std::string::npos) << records[0].value;
}

// The batch pass (the repair path) treats guest paintings like the write-time path: they go to
// the art account's repo, with imageUrl derived and the thumbnail uploaded.
TEST_F(DocumentLive, BatchSyncMirrorsGuestPaintingsToTheArtAccount) {
  auto art = env_->service_account(std::string(kArtGuestSub), env_->run + "bart");
  ASSERT_TRUE(art) << art.error().message;
  used(*art);
  auto did = active("bg");
  ASSERT_TRUE(did) << did.error().message;
  const std::string user = env_->sub("bg");
  media_.serve("/media/paintings/bg1.png",
               {200, "image/png", acid::testing::MediaFixture::tiny_png(), ""});
  import(painting(id("bg1"), "", "bg1", "guest-batch") +
         painting(id("bu1"), user, "bu1", "user-batch"));
  auto mirror = make_mirror(*env_->engine);
  ASSERT_TRUE(mirror);
  SyncOptions o;
  o.apply = true;
  o.collections = {"paintings"};
  auto report = (*mirror)->sync(o);
  ASSERT_TRUE(report) << report.error().message;
  const std::string report_text = to_json(*report);
  EXPECT_NE(report_text.find("\"created\":2"), std::string::npos) << report_text;
  const auto guest = repo(*art, kPaintingNsid);
  ASSERT_EQ(guest.size(), 1u);
  EXPECT_EQ(guest[0].ref, id("bg1"));
  EXPECT_NE(guest[0].value.find("\"thumbnail\""), std::string::npos) << guest[0].value;
  const auto own = repo(*did, kPaintingNsid);
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].ref, id("bu1"));
  // And verify compares the art repo with the guest documents only: nothing to report.
  VerifyOptions v;
  v.collections = {"paintings"};
  auto verified = (*mirror)->verify(v);
  ASSERT_TRUE(verified) << verified.error().message;
  const std::string verified_text = to_json(*verified);
  EXPECT_NE(verified_text.find("\"issues_total\":0"), std::string::npos) << verified_text;
}

TEST_F(DocumentLive, GuestPaintingWithoutArtAccountIsSkippedNotFailed) {
  import(painting(id("g2"), "", "gc2", "guest-slug-2"));
  auto report = sync_doc("paintings", id("g2"));
  EXPECT_EQ(str(report, "action"), "skipped") << last_;
  EXPECT_NE(str(report, "reason").find("art-guest"), std::string::npos) << last_;
}

TEST_F(DocumentLive, NukeDeletesAndClearsTheKeySoAnUnnukeCreatesAgain) {
  auto did = active("dn");
  ASSERT_TRUE(did) << did.error().message;
  const std::string user = env_->sub("dn");
  import(painting(id("n1"), user, "nc1", "n-slug"));
  const std::string first = str(sync_doc("paintings", id("n1")), "rkey");
  ASSERT_FALSE(first.empty()) << last_;
  ASSERT_TRUE(store().set_content_deleted("paintings", id("n1"), true));
  EXPECT_EQ(str(sync_doc("paintings", id("n1")), "action"), "deleted") << last_;
  EXPECT_TRUE(repo(*did, kPaintingNsid).empty());
  EXPECT_FALSE(doc("paintings", id("n1")).atproto.rkey.has_value());
  ASSERT_TRUE(store().set_content_deleted("paintings", id("n1"), false));
  EXPECT_EQ(str(sync_doc("paintings", id("n1")), "action"), "created") << last_;
  const auto records = repo(*did, kPaintingNsid);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0].rkey, first);
}

TEST_F(DocumentLive, BadCallsAreClearErrors) {
  auto unknown = documents_->sync_document("nope", "x");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.code(), Code::invalid);
  auto missing = documents_->sync_document("moods", id("absent"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.code(), Code::not_found);
}

// Every other kind the deployed code mirrors, exactly as it stores them: create, update, delete
// and repair (a duplicate planted on the PDS, removed by verify --fix), each record lexicon-valid.
struct KindCase {
  const char *collection;
  const char *nsid;
  std::string line;  // the stored document, with ID and USER placeholders
  std::string edited;
};

class DocumentKinds : public DocumentLive, public ::testing::WithParamInterface<const char *> {};

std::string fill(std::string text, const std::string &id, const std::string &user) {
  for (auto [key, value] : {std::pair<std::string, std::string>{"ID", id}, {"USER", user}}) {
    for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
      text.replace(at, key.size(), value);
      at += value.size();
    }
  }
  return text;
}

KindCase kind_case(const std::string &collection) {
  if (collection == "kidlisp") {
    return {
        "kidlisp", "computer.aesthetic.kidlisp",
        R"j({"collection":"kidlisp","_id":"ID","user":"USER","code":"kc1","source":"(wipe blue)","when":"2025-10-14T00:00:00.000Z"})j",
        R"j({"collection":"kidlisp","_id":"ID","user":"USER","code":"kc1","source":"(wipe red)","when":"2025-10-14T00:00:00.000Z"})j"};
  }
  if (collection == "tapes") {
    return {
        "tapes", "computer.aesthetic.tape",
        R"({"collection":"tapes","_id":"ID","user":"USER","code":"tc1","slug":"wand-1729177200000","bucket":"user-aesthetic-computer","when":"2025-10-14T00:00:00.000Z"})",
        R"({"collection":"tapes","_id":"ID","user":"USER","code":"tc1","slug":"wand-1729177299999","bucket":"user-aesthetic-computer","when":"2025-10-14T00:00:00.000Z"})"};
  }
  return {
      "pieces", "computer.aesthetic.piece",
      R"({"collection":"pieces","_id":"ID","user":"USER","code":"pc1","slug":"wand","bucket":"user-aesthetic-computer","when":"2025-10-14T00:00:00.000Z"})",
      R"({"collection":"pieces","_id":"ID","user":"USER","code":"pc1","slug":"wand2","bucket":"user-aesthetic-computer","when":"2025-10-14T00:00:00.000Z"})"};
}

// A tiny MP4 (an ftyp box): what the media route serves for /media/tapes/<code>.mp4.
std::string tiny_mp4() {
  return std::string(
             "\0\0\0\x18"
             "ftypmp42\0\0\0\0mp42isom",
             24) +
         std::string(64, '\0');
}

TEST_P(DocumentKinds, CreateUpdateDeleteAndRepair) {
  const KindCase k = kind_case(GetParam());
  auto did = active(std::string("k") + k.collection);
  ASSERT_TRUE(did) << did.error().message;
  const std::string user = env_->sub(std::string("k") + k.collection);
  media_.serve("/media/tapes/tc1.mp4", {200, "video/mp4", tiny_mp4(), ""});
  const std::string doc_id = id(std::string("k") + k.collection);
  import(fill(k.line, doc_id, user) + "\n");

  auto created = sync_doc(k.collection, doc_id);
  ASSERT_EQ(str(created, "action"), "created") << last_;
  const std::string rkey = str(created, "rkey");
  auto records = repo(*did, k.nsid);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].ref, doc_id);
  if (std::string(k.collection) == "tapes") {
    EXPECT_NE(records[0].value.find("\"video\":{"), std::string::npos) << records[0].value;
  }

  import(fill(k.edited, doc_id, user) + "\n");
  EXPECT_EQ(str(sync_doc(k.collection, doc_id), "action"), "updated") << last_;
  records = repo(*did, k.nsid);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].rkey, rkey);

  // Repair: a copy of the record under another key (what the deployed background writes left).
  auto password = env_->password(user);
  ASSERT_TRUE(password);
  auto session = env_->admin->create_session(*did, *password);
  ASSERT_TRUE(session);
  auto original = env_->admin->get_record(*did, k.nsid, rkey);
  ASSERT_TRUE(original);
  pds::RecordWrite w;
  w.repo = *did;
  w.collection = k.nsid;
  w.record_json = original->value_json;
  ASSERT_TRUE(env_->admin->create_record(session->access_jwt, w));
  ASSERT_EQ(repo(*did, k.nsid).size(), 2u);
  auto mirror = make_mirror(*env_->engine);
  ASSERT_TRUE(mirror);
  VerifyOptions v;
  v.fix = true;
  v.user = user;
  v.collections = {k.collection};
  auto fixed = (*mirror)->verify(v);
  ASSERT_TRUE(fixed) << fixed.error().message;
  const std::string fixed_text = to_json(*fixed);
  EXPECT_NE(fixed_text.find("\"duplicates\":1"), std::string::npos) << fixed_text;
  records = repo(*did, k.nsid);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].rkey, rkey);

  check_records_now();
  ASSERT_TRUE(delete_content(store(), k.collection, doc_id));
  EXPECT_EQ(str(sync_doc(k.collection, doc_id), "action"), "deleted") << last_;
  EXPECT_TRUE(repo(*did, k.nsid).empty());
  EXPECT_FALSE(doc(k.collection, doc_id).atproto.rkey.has_value());
}

INSTANTIATE_TEST_SUITE_P(Kinds, DocumentKinds, ::testing::Values("kidlisp", "tapes", "pieces"),
                         [](const auto &param_info) { return std::string(param_info.param); });

// The tape lexicon requires the video: without one the document is not written, stays pending,
// and the reason is counted; once the video can be had, the same key is written.
TEST_F(DocumentLive, TapeWithoutVideoStaysPending) {
  auto did = active("kt");
  ASSERT_TRUE(did) << did.error().message;
  const std::string user = env_->sub("kt");
  import(fill(kind_case("tapes").line, id("t0"), user) + "\n");
  auto failed = documents_->sync_document("tapes", id("t0"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.code(), Code::unavailable) << failed.error().message;
  EXPECT_TRUE(repo(*did, "computer.aesthetic.tape").empty());
  EXPECT_EQ(metric("acid_sync_blob_missing_total",
                   {{"collection", "tapes"}, {"blob", "video"}, {"reason", "http_status"}}),
            1u);
  media_.serve("/media/tapes/tc1.mp4", {200, "video/mp4", tiny_mp4(), ""});
  EXPECT_EQ(str(sync_doc("tapes", id("t0")), "action"), "retried") << last_;
  EXPECT_EQ(repo(*did, "computer.aesthetic.tape").size(), 1u);
}

// The media fetch's bounds (no PDS needed): size, type, the bytes' signature, redirects.
TEST(MediaFetch, OnlyBoundedImagesOfAnAcceptedType) {
  acid::testing::MediaFixture media;
  auto fetcher = MediaFetcher::create();
  ASSERT_TRUE(fetcher);
  const std::vector<std::string_view> images = {"image/png", "image/jpeg"};
  const std::string png = acid::testing::MediaFixture::tiny_png();
  const auto reason = [&](const std::string &path, std::size_t max = 1048576) {
    auto got = (*fetcher)->fetch(media.base_url() + path, images, max);
    if (auto *miss = std::get_if<MediaMiss>(&got)) return miss->reason;
    return std::string("ok:") + std::get<Media>(got).mime_type;
  };
  media.serve("/ok.png", {200, "image/png", png, ""});
  media.serve("/jpeg", {200, "image/jpeg; charset=binary", "\xff\xd8\xff\xe0rest", ""});
  media.serve("/hop1", acid::testing::MediaAnswer::redirect_to(media.base_url() + "/hop2"));
  media.serve("/hop2", acid::testing::MediaAnswer::redirect_to(media.base_url() + "/ok.png"));
  media.serve("/loop", acid::testing::MediaAnswer::redirect_to(media.base_url() + "/loop"));
  media.serve("/big.png", {200, "image/png", png + std::string(2u << 20, 'x'), ""});
  media.serve("/lying.png", {200, "image/png", "GIF89a....", ""});
  media.serve("/page", {200, "text/html", "<html></html>", ""});
  media.serve("/gone", {500, "text/plain", "oops", ""});
  media.serve("/empty", {200, "image/png", "", ""});
  EXPECT_EQ(reason("/ok.png"), "ok:image/png");
  EXPECT_EQ(reason("/jpeg"), "ok:image/jpeg");
  EXPECT_EQ(reason("/hop1"), "ok:image/png");  // two redirects: followed
  EXPECT_EQ(reason("/loop"), "network");       // more than 3: refused
  EXPECT_EQ(reason("/big.png"), "too_large");
  EXPECT_EQ(reason("/ok.png", 10), "too_large");
  EXPECT_EQ(reason("/lying.png"), "not_accepted_type");
  EXPECT_EQ(reason("/page"), "not_accepted_type");
  EXPECT_EQ(reason("/gone"), "http_status");
  EXPECT_EQ(reason("/absent"), "http_status");
  EXPECT_EQ(reason("/empty"), "empty");
  EXPECT_EQ(reason_for_closed_port(), "network");
}

}  // namespace
}  // namespace acid::sync
