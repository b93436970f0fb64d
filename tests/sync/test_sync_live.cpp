// The content mirror end to end: a real SQLite store, real PDS accounts made by the provisioning
// flow, and every outcome checked on the PDS itself (listRecords / getRecord).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/json.h"
#include "pds/pds_error.h"
#include "support/lexicon_check.h"
#include "support/live_env.h"
#include "support/temp_dir.h"
#include "sync/content_import.h"
#include "sync/mirror.h"
#include "sync/tid.h"

namespace acid::sync {
namespace {

constexpr const char *kMoodNsid = "computer.aesthetic.mood";

struct RepoRecord {
  std::string rkey, uri, cid, ref, value;
};

class SyncLive : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = test::LiveEnv::create(dir_.sqlite_uri());
    ASSERT_TRUE(env) << env.error().message;
    env_ = std::move(*env);
  }

  // Every record left in every repo the test made, planted duplicates included, must satisfy
  // the aesthetic.computer lexicons (@atproto/lexicon, tests/lexicon).
  void TearDown() override {
    if (!env_ || env_->dids_made.empty()) return;
    auto checked = test::check_repo_records(*env_->admin, env_->dids_made, test::mirrored_nsids());
    ASSERT_TRUE(checked) << checked.error().message;
  }

  store::Store &store() { return env_->engine->store(); }

  std::string mood(const std::string &id, const std::string &user, const std::string &text,
                   bool deleted = false) {
    return R"({"collection":"moods","_id":")" + id + R"(","user":")" + user + R"(","mood":)" +
           json::quote(text) + R"(,"when":"2025-10-14T00:00:00.000Z","deleted":)" +
           (deleted ? "true" : "false") + "}\n";
  }

  void import(const std::string &jsonl) {
    auto r = import_content(store(), jsonl);
    ASSERT_TRUE(r) << r.error().message;
  }

  rapidjson::Document run_sync(bool apply, const std::string &user = "",
                               const std::string &collection = "") {
    auto mirror = make_mirror(*env_->engine);
    EXPECT_TRUE(mirror) << mirror.error().message;
    SyncOptions o;
    o.apply = apply;
    o.user = user;
    if (!collection.empty()) o.collections = {collection};
    auto report = (*mirror)->sync(o);
    EXPECT_TRUE(report) << report.error().message;
    last_report_ = report ? to_json(*report) : "";
    auto doc = json::parse(report ? last_report_ : "{}");
    EXPECT_TRUE(doc);
    return std::move(*doc);
  }

  rapidjson::Document run_verify(bool fix, const std::string &user = "") {
    auto mirror = make_mirror(*env_->engine);
    EXPECT_TRUE(mirror) << mirror.error().message;
    VerifyOptions o;
    o.fix = fix;
    o.user = user;
    o.collections = {"moods"};
    auto report = (*mirror)->verify(o);
    EXPECT_TRUE(report) << report.error().message;
    last_report_ = report ? to_json(*report) : "";
    auto doc = json::parse(report ? last_report_ : "{}");
    EXPECT_TRUE(doc);
    return std::move(*doc);
  }

  static std::int64_t count(const rapidjson::Document &report, const char *name,
                            std::size_t collection = 0) {
    const auto &c = report["collections"][static_cast<rapidjson::SizeType>(collection)];
    return c.HasMember(name) ? c[name].GetInt64() : -1;
  }

  std::vector<RepoRecord> repo(const std::string &did, const std::string &nsid = kMoodNsid) {
    std::vector<RepoRecord> out;
    auto records = env_->repo_records(did, nsid);
    EXPECT_TRUE(records) << records.error().message;
    if (!records) return out;
    for (const auto &r : *records) {
      out.push_back({r.uri.substr(r.uri.rfind('/') + 1), r.uri, r.cid.value_or(""),
                     record_ref(r.value_json), r.value_json});
    }
    return out;
  }

  // Writes a record straight to the user's repo (what the deployed scripts did).
  std::string plant(const std::string &sub, const std::string &did, const std::string &ref,
                    std::optional<std::string> rkey = std::nullopt) {
    auto password = env_->password(sub);
    EXPECT_TRUE(password);
    auto session = env_->admin->create_session(did, *password);
    EXPECT_TRUE(session) << session.error().message;
    pds::RecordWrite w;
    w.repo = did;
    w.collection = kMoodNsid;
    w.rkey = rkey;
    w.record_json = R"({"$type":"computer.aesthetic.mood","mood":"planted","when":)"
                    R"("2025-10-14T00:00:00.000Z","ref":")" +
                    ref + "\"}";
    auto ref_out = rkey ? env_->admin->put_record(session->access_jwt, w)
                        : env_->admin->create_record(session->access_jwt, w);
    EXPECT_TRUE(ref_out) << ref_out.error().message;
    return ref_out ? ref_out->uri.substr(ref_out->uri.rfind('/') + 1) : "";
  }

  store::ContentDoc doc(const std::string &id) {
    auto d = store().get_content("moods", id);
    EXPECT_TRUE(d) << d.error().message;
    return d ? *d : store::ContentDoc{};
  }

  std::string id(const std::string &suffix) const { return env_->run + suffix; }

  acid::testing::TempDir dir_;
  std::unique_ptr<test::LiveEnv> env_;
  std::string last_report_;
};

TEST_F(SyncLive, CreateUpdateDeleteUndelete) {
  auto did = env_->active_user("cud");
  ASSERT_TRUE(did) << did.error().message;
  const std::string user = env_->sub("cud");
  import(mood(id("a"), user, "calm") + mood(id("b"), user, "sunny") + mood(id("c"), user, "odd"));

  // Dry run: reported, nothing written anywhere.
  auto dry = run_sync(false, user);
  EXPECT_TRUE(dry["dry_run"].GetBool());
  EXPECT_EQ(count(dry, "would_create"), 3) << last_report_;
  EXPECT_TRUE(repo(*did).empty());
  EXPECT_FALSE(doc(id("a")).atproto.rkey.has_value());

  auto first = run_sync(true, user, "moods");
  EXPECT_EQ(count(first, "created"), 3) << last_report_;
  EXPECT_EQ(count(first, "failed"), 0) << last_report_;
  EXPECT_EQ(count(first, "batches"), 1) << last_report_;
  auto records = repo(*did);
  ASSERT_EQ(records.size(), 3u);
  for (const RepoRecord &r : records) {
    const store::ContentDoc d = doc(r.ref);
    ASSERT_TRUE(d.atproto.rkey.has_value()) << r.ref;
    EXPECT_EQ(*d.atproto.rkey, r.rkey);
    EXPECT_TRUE(is_tid(r.rkey)) << r.rkey;
    EXPECT_EQ(d.atproto.uri.value_or(""), r.uri);
    EXPECT_EQ(d.atproto.cid.value_or(""), r.cid);
    EXPECT_NE(r.value.find("\"when\":\"2025-10-14T00:00:00.000Z\""), std::string::npos);
  }

  // Nothing to do: no PDS call at all.
  auto again = run_sync(true, user);
  EXPECT_EQ(count(again, "unchanged"), 3) << last_report_;
  EXPECT_EQ(again["pds_calls"].GetInt64(), 0) << last_report_;

  // An edit is a putRecord at the same key.
  const std::string rkey_a = *doc(id("a")).atproto.rkey;
  import(mood(id("a"), user, "calmer"));
  auto update = run_sync(true, user);
  EXPECT_EQ(count(update, "updated"), 1) << last_report_;
  auto got = env_->admin->get_record(*did, kMoodNsid, rkey_a);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_NE(got->value_json.find("\"calmer\""), std::string::npos) << got->value_json;
  EXPECT_EQ(repo(*did).size(), 3u);

  // Delete: the record goes, the key is forgotten.
  const std::string rkey_b = *doc(id("b")).atproto.rkey;
  auto del = delete_content(store(), "moods", id("b"));
  ASSERT_TRUE(del) << del.error().message;
  auto removed = run_sync(true, user);
  EXPECT_EQ(count(removed, "deleted"), 1) << last_report_;
  auto gone = env_->admin->get_record(*did, kMoodNsid, rkey_b);
  ASSERT_FALSE(gone);
  EXPECT_EQ(pds::kind_of(gone.error()), pds::ErrorKind::record_not_found);
  EXPECT_FALSE(doc(id("b")).atproto.rkey.has_value());
  EXPECT_EQ(repo(*did).size(), 2u);

  // Undelete recreates it (under a new key).
  import(mood(id("b"), user, "sunny", false));
  auto back = run_sync(true, user);
  EXPECT_EQ(count(back, "created"), 1) << last_report_;
  const store::ContentDoc b = doc(id("b"));
  ASSERT_TRUE(b.atproto.rkey.has_value());
  EXPECT_NE(*b.atproto.rkey, rkey_b);
  auto restored = env_->admin->get_record(*did, kMoodNsid, *b.atproto.rkey);
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_EQ(repo(*did).size(), 3u);

  // Everything is consistent.
  auto check = run_verify(false, user);
  EXPECT_EQ(check["issues_total"].GetInt64(), 0) << last_report_;
}

TEST_F(SyncLive, InterruptedBatchesRerunWithoutDuplicates) {
  auto did = env_->active_user("crash");
  ASSERT_TRUE(did) << did.error().message;
  const std::string user = env_->sub("crash");
  std::string lines;
  for (int i = 0; i < 250; ++i)
    lines += mood(id("m" + std::to_string(i)), user, "m" + std::to_string(i));
  import(lines);

  // A run that died after storing its keys: 120 documents hold keys, and 30 of those writes
  // landed on the PDS before the crash (their URIs never came back).
  auto clock = TidClock::create();
  ASSERT_TRUE(clock);
  for (int i = 0; i < 120; ++i) {
    const std::string doc_id = id("m" + std::to_string(i));
    const std::string key = clock->next();
    auto held = store().claim_content_rkey("moods", doc_id, key);
    ASSERT_TRUE(held) << held.error().message;
    ASSERT_EQ(*held, key);
    if (i < 30) plant(user, *did, doc_id, key);
  }

  // What the PDS answers for an applyWrites create at an existing key: 500 for the whole batch.
  {
    auto password = env_->password(user);
    ASSERT_TRUE(password);
    auto session = env_->admin->create_session(*did, *password);
    ASSERT_TRUE(session);
    pds::ApplyWritesInput in;
    in.repo = *did;
    pds::WriteOperation op;
    op.collection = kMoodNsid;
    op.rkey = *doc(id("m0")).atproto.rkey;
    op.value_json =
        R"({"$type":"computer.aesthetic.mood","mood":"x","when":"2025-10-14T00:00:00.000Z","ref":"x"})";
    in.writes.push_back(op);
    auto dup = env_->admin->apply_writes(session->access_jwt, in);
    ASSERT_FALSE(dup);
    EXPECT_EQ(pds::kind_of(dup.error()), pds::ErrorKind::server_error) << dup.error().message;
  }

  auto rerun = run_sync(true, user);
  EXPECT_EQ(count(rerun, "failed"), 0) << last_report_;
  EXPECT_EQ(count(rerun, "retried"), 120) << last_report_;  // putRecord at the stored keys
  EXPECT_EQ(count(rerun, "created"), 130) << last_report_;  // fresh keys, one applyWrites batch
  const auto records = repo(*did);
  ASSERT_EQ(records.size(), 250u);
  std::set<std::string> refs;
  for (const RepoRecord &r : records) {
    EXPECT_TRUE(refs.insert(r.ref).second) << "duplicate ref " << r.ref;
    EXPECT_EQ(doc(r.ref).atproto.rkey.value_or(""), r.rkey);
  }
  // The stored keys were reused, not replaced.
  auto kept = env_->admin->get_record(*did, kMoodNsid, *doc(id("m0")).atproto.rkey);
  ASSERT_TRUE(kept);
  EXPECT_NE(kept->value_json.find("\"m0\""), std::string::npos) << kept->value_json;

  // A lost answer after a complete batch: the URIs are forgotten, the keys kept; the re-run
  // writes the same records again and nothing more.
  for (int i = 200; i < 250; ++i) {
    ASSERT_TRUE(store().mark_content_unsynced("moods", id("m" + std::to_string(i))).is_ok());
  }
  auto lost = run_sync(true, user);
  EXPECT_EQ(count(lost, "retried"), 50) << last_report_;
  EXPECT_EQ(repo(*did).size(), 250u);
}

TEST_F(SyncLive, DuplicatesPlantedOnThePdsAreRepairedByVerifyFix) {
  auto did = env_->active_user("dups");
  ASSERT_TRUE(did) << did.error().message;
  const std::string user = env_->sub("dups");
  std::string lines;
  for (const char *s : {"a", "b", "c", "d", "e"}) lines += mood(id(s), user, s);
  import(lines);
  auto synced = run_sync(true, user);
  ASSERT_EQ(count(synced, "created"), 5) << last_report_;
  const std::string rkey_b = *doc(id("b")).atproto.rkey;

  // b: two extra copies (the store points to the original).
  plant(user, *did, id("b"));
  plant(user, *did, id("b"));
  // c: the store points to none of its three copies (its own record was deleted and the store
  // lost its key).
  const std::string rkey_c = *doc(id("c")).atproto.rkey;
  auto password = env_->password(user);
  ASSERT_TRUE(password);
  auto session = env_->admin->create_session(*did, *password);
  ASSERT_TRUE(session);
  ASSERT_TRUE(env_->admin->delete_record(session->access_jwt, *did, kMoodNsid, rkey_c).is_ok());
  ASSERT_TRUE(store().clear_content_record("moods", id("c"), rkey_c).is_ok());
  ASSERT_TRUE(store().mark_content_unsynced("moods", id("c")).is_ok());
  plant(user, *did, id("c"));
  plant(user, *did, id("c"));
  plant(user, *did, id("c"));
  // A record no document refers to, and one for a deleted document.
  plant(user, *did, id("ghost"));
  ASSERT_TRUE(store()
                  .upsert_content([&] {
                    store::ContentDoc d = doc(id("e"));
                    d.deleted = true;
                    return d;
                  }())
                  .is_ok());
  // (e's record stays on the PDS: the sync has not run since.)
  ASSERT_EQ(repo(*did).size(), 5u + 2u + 3u + 1u - 1u);

  auto report = run_verify(false, user);
  EXPECT_EQ(count(report, "duplicates"), 4) << last_report_;      // b: 2, c: 2
  EXPECT_EQ(count(report, "extra"), 2) << last_report_;           // ghost, e
  EXPECT_EQ(count(report, "stale_pointers"), 1) << last_report_;  // c
  EXPECT_EQ(count(report, "missing"), 0) << last_report_;
  EXPECT_EQ(repo(*did).size(), 10u);  // verify without fix changes nothing

  auto fixed = run_verify(true, user);
  EXPECT_EQ(count(fixed, "failed"), 0) << last_report_;
  const auto records = repo(*did);
  std::map<std::string, std::vector<std::string>> by_ref;
  for (const RepoRecord &r : records) by_ref[r.ref].push_back(r.rkey);
  EXPECT_EQ(by_ref.size(), 4u) << last_report_;  // a, b, c, d
  for (const char *s : {"a", "b", "c", "d"}) {
    ASSERT_EQ(by_ref[id(s)].size(), 1u) << s;
    EXPECT_EQ(doc(id(s)).atproto.rkey.value_or(""), by_ref[id(s)][0]) << s;
  }
  EXPECT_EQ(by_ref[id("b")][0], rkey_b);  // the one the store pointed to was kept
  EXPECT_FALSE(doc(id("e")).atproto.rkey.has_value());

  auto clean = run_verify(false, user);
  EXPECT_EQ(clean["issues_total"].GetInt64(), 0) << last_report_;
}

TEST_F(SyncLive, PeopleWithoutAnAccountAreReportedAndPassesResume) {
  auto did_a = env_->active_user("ra");
  ASSERT_TRUE(did_a) << did_a.error().message;
  auto did_b = env_->active_user("rb");
  ASSERT_TRUE(did_b) << did_b.error().message;
  const std::string a = env_->sub("ra");
  const std::string b = env_->sub("rb");
  const std::string nobody = env_->sub("nobody");
  import(mood(id("ra1"), a, "x") + mood(id("rb1"), b, "y") + mood(id("n1"), nobody, "z"));

  // A pass that stopped after a: the next one starts after a, then wraps round to it.
  ASSERT_TRUE(store().set_sync_cursor("records:moods", a).is_ok());
  auto report = run_sync(true, "", "moods");
  EXPECT_EQ(report["collections"][0]["resumed_after"].GetString(), a) << last_report_;
  EXPECT_EQ(count(report, "created"), 2) << last_report_;
  EXPECT_EQ(count(report, "skipped_users"), 1) << last_report_;
  ASSERT_EQ(report["skipped"].Size(), 1u);
  EXPECT_EQ(std::string(report["skipped"][0]["user"].GetString()), nobody);
  EXPECT_EQ(repo(*did_a).size(), 1u);
  EXPECT_EQ(repo(*did_b).size(), 1u);
  auto cursor = store().get_sync_cursor("records:moods");
  ASSERT_TRUE(cursor);
  EXPECT_EQ(*cursor, "");  // the pass completed
}

TEST_F(SyncLive, BadImportsAreClearErrorsAndChangeNothing) {
  const std::string user = env_->sub("imp");
  const std::string good = mood(id("ok"), user, "fine");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not json\n", "line 2"},
      {R"({"collection":"tapes","_id":"x","user":"u","when":"2025-10-14T00:00:00Z"})", "tapes"},
      {R"({"collection":"moods","_id":"x","user":"u","when":"2025-10-14T00:00:00Z"})",
       "\"mood\" is missing"},
      {R"({"collection":"moods","_id":"x","user":"u","mood":"m","when":1.5})", "\"when\""},
      {R"({"collection":"moods","_id":"x","user":"u","mood":"m","when":"yesterday"})", "when"},
      {R"({"collection":"moods","_id":"x","user":"u","mood":"m","when":"2025-10-14T00:00:00Z","deleted":"no"})",
       "\"deleted\""},
      {R"({"collection":"moods","_id":"x","user":"u","mood":"m","when":"2025-10-14T00:00:00Z","nuked":true})",
       "unknown field"},
      {R"({"collection":"moods","_id":"x","user":"u","mood":")" + std::string(5001, 'a') +
           R"(","when":"2025-10-14T00:00:00Z"})",
       "longer than 5000"},
      {R"({"collection":"paintings","_id":"x","user":"u","slug":"s","code":"c","imageUrl":"ftp://x","when":"2025-10-14T00:00:00Z"})",
       "http(s)"},
      {good, "appears again"},
  };
  for (const auto &[line, expected] : bad) {
    auto r = import_content(store(), good + line);
    ASSERT_FALSE(r) << line;
    EXPECT_EQ(r.code(), Code::invalid) << line;
    EXPECT_NE(r.error().message.find(expected), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
    auto absent = store().get_content("moods", id("ok"));
    EXPECT_EQ(absent.code(), Code::not_found) << "line 1 was written despite line 2: " << line;
  }
  EXPECT_EQ(import_content(store(), "\n  \n").code(), Code::invalid);
  EXPECT_EQ(delete_content(store(), "moods", "nope").code(), Code::not_found);
  EXPECT_EQ(delete_content(store(), "news", "x").code(), Code::invalid);
  // And a good file goes in; importing it again changes nothing.
  auto ok = import_content(store(), good);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_NE(to_json(*ok).find("\"changed\":1"), std::string::npos) << to_json(*ok);
  auto same = import_content(store(), good);
  ASSERT_TRUE(same);
  EXPECT_NE(to_json(*same).find("\"unchanged\":1"), std::string::npos) << to_json(*same);
}

}  // namespace
}  // namespace acid::sync
