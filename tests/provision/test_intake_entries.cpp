// Issue 13 at the webhook, on a real SQLite store: a bad entry costs only itself in every payload
// shape (listed, counted, kept as a dead letter that can be listed and replayed), the body limit
// is 413, processed log ids are namespaced per tenant, type labels are bounded, and a slow or
// rate-limiting Auth0 Management API does not hold the webhook.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <string>
#include <vector>

#include "provision/engine.h"
#include "support/auth0_fixture.h"
#include "support/temp_dir.h"

namespace acid::provision {
namespace {

constexpr const char *kToken = "intake-token";

std::string entry(const std::string &id, const std::string &type, const std::string &user_id,
                  const std::string &extra = "") {
  return R"({"log_id":")" + id + R"(","data":{"type":")" + type +
         R"(","date":"2025-10-14T08:30:00Z","user_id":")" + user_id +
         R"(","user_name":"x@example.com")" + extra + "}}";
}

enum class Shape { array, lines, wrapped };
const char *shape_name(Shape s) {
  return s == Shape::array ? "array" : s == Shape::lines ? "lines" : "wrapped";
}

std::string body_of(Shape shape, const std::vector<std::string> &entries) {
  std::string out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (shape == Shape::lines) {
      out += entries[i] + "\n";
    } else {
      out += (i ? "," : "") + entries[i];
    }
  }
  if (shape == Shape::array) return "[" + out + "]";
  if (shape == Shape::wrapped) return R"({"logs":[)" + out + "]}";
  return out;
}

class IntakeEntries : public ::testing::Test {
 protected:
  void SetUp() override { engine_ = make({{"AUTH0_LOG_TOKEN", kToken}}); }

  std::unique_ptr<Engine> make(std::map<std::string, std::string, std::less<>> vars,
                               std::int64_t budget_ms = 300) {
    vars["ACID_STORE"] = dir_.sqlite_uri();
    auto config = Config::from_env(env_from_map(vars));
    EXPECT_TRUE(config) << config.error().message;
    EngineOptions opts;
    opts.config = std::move(*config);
    opts.intake_lookup_budget_ms = budget_ms;
    auto engine = Engine::create(std::move(opts));
    EXPECT_TRUE(engine) << engine.error().message;
    return std::move(*engine);
  }

  HttpAnswer post(Engine &e, const std::string &body, Tenant tenant = Tenant::aesthetic,
                  std::string_view token = kToken) {
    return e.handle_log_stream(tenant, token, body);
  }

  long rows(const std::string &sql) {
    sqlite3 *db = nullptr;
    EXPECT_EQ(sqlite3_open(dir_.file("store.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt *stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    const long n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

struct BadEntry {
  const char *name;
  std::string text;
  const char *kind;
};

std::vector<BadEntry> bad_entries() {
  return {
      {"lone surrogate in an ignored fp entry", entry("bad", "fp", "auth0|z", R"(,"x":"\ud83d")"),
       "invalid_text"},
      {"raw invalid UTF-8", entry("bad", "ss", "auth0|z", ",\"x\":\"\xff\xfe\""), "invalid_text"},
      {"not an object", "[1,2,3]", "not_object"},
      {"deeper than 32",
       entry("bad", "ss", "auth0|z", ",\"x\":" + std::string(40, '[') + std::string(40, ']')),
       "too_deep"},
  };
}

// The findings: each used to refuse the whole body with 400, losing the signup beside it.
TEST_F(IntakeEntries, ABadEntryCostsOnlyItselfInEveryShape) {
  int n = 0;
  for (Shape shape : {Shape::array, Shape::lines, Shape::wrapped}) {
    for (const BadEntry &bad : bad_entries()) {
      const std::string sub = "auth0|keep" + std::to_string(n++);
      const std::string good = entry("good-" + sub, "ss", sub);
      const HttpAnswer r = post(*engine_, body_of(shape, {good, bad.text}));
      const std::string what = std::string(shape_name(shape)) + " / " + bad.name + ": " + r.body;
      ASSERT_EQ(r.status, 200) << what;
      EXPECT_NE(r.body.find("\"applied\":1"), std::string::npos) << what;
      EXPECT_NE(r.body.find(R"("index":1,)"), std::string::npos) << what;
      EXPECT_NE(r.body.find(std::string(R"("kind":")") + bad.kind + "\""), std::string::npos)
          << what;
      auto account = engine_->store().get_account(sub);
      ASSERT_TRUE(account) << what;
      EXPECT_TRUE(account->code.has_value()) << what;
      // Kept verbatim, once per tenant and bytes.
      auto letter = engine_->store().get_dead_letter(store::dead_letter_id("aesthetic", bad.text));
      ASSERT_TRUE(letter) << what;
      EXPECT_EQ(letter->entry, bad.text) << what;
      EXPECT_EQ(letter->kind, bad.kind) << what;
    }
  }
  // Each bad entry was posted in three shapes: one letter each, three deliveries.
  EXPECT_EQ(rows("SELECT count(*) FROM dead_letters"), 4);
  EXPECT_EQ(rows("SELECT min(deliveries) FROM dead_letters"), 3);
  EXPECT_EQ(engine_->metrics().get("acid_webhook_rejected_entries_total",
                                   {{"tenant", "aesthetic"}, {"kind", "invalid_text"}}),
            6u);
}

// An optional field of an unexpected type is dropped and the person recorded (rejecting the
// entry, as before, lost the signup: Auth0 does not resend a 200'd batch).
TEST_F(IntakeEntries, AnUnexpectedOptionalFieldIsDroppedAndThePersonRecorded) {
  for (Shape shape : {Shape::array, Shape::lines, Shape::wrapped}) {
    const std::string sub = std::string("auth0|opt-") + shape_name(shape);
    const HttpAnswer r =
        post(*engine_, body_of(shape, {entry("o-" + sub, "ss", sub,
                                             R"(,"details":{"body":{"email":{"$gt":""}}})")}));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("\"applied\":1"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(R"("field":"data.details.body.email")"), std::string::npos) << r.body;
    auto account = engine_->store().get_account(sub);
    ASSERT_TRUE(account) << r.body;
    EXPECT_TRUE(account->code.has_value());
    EXPECT_EQ(account->email, std::optional<std::string>("x@example.com"));  // from user_name
  }
  EXPECT_EQ(engine_->metrics().get("acid_event_fields_dropped_total",
                                   {{"field", "data.details.body.email"}}),
            3u);
  EXPECT_EQ(rows("SELECT count(*) FROM dead_letters"), 0);
}

TEST_F(IntakeEntries, DeadLettersAreListedAndReplayed) {
  const std::string bad = entry("bad", "fp", "auth0|z", R"(,"x":"\ud83d")");
  ASSERT_EQ(post(*engine_, "[" + bad + "]").status, 200);
  const std::string id = store::dead_letter_id("aesthetic", bad);
  auto listed = engine_->dead_letters_json({});
  ASSERT_TRUE(listed);
  EXPECT_NE(listed->find("\"id\":\"" + id + "\""), std::string::npos) << *listed;
  EXPECT_NE(listed->find(R"("kind":"invalid_text")"), std::string::npos) << *listed;
  // Still refused: the outcome is recorded and the letter stays listed.
  auto again = engine_->replay_dead_letter(id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.code(), Code::invalid);
  auto kept = engine_->store().get_dead_letter(id);
  ASSERT_TRUE(kept);
  EXPECT_FALSE(kept->replayed_at.has_value());
  EXPECT_NE(kept->replay_outcome.find("\"applied\":false"), std::string::npos);

  // A letter whose entry applies now (kept by an older, stricter version) is applied once.
  const std::string good = entry("replay-1", "ss", "auth0|replayed");
  store::DeadLetter letter;
  letter.id = store::dead_letter_id("aesthetic", good);
  letter.tenant = "aesthetic";
  letter.kind = "invalid_field";
  letter.reason = "refused by an older version";
  letter.entry = good;
  ASSERT_TRUE(engine_->store().record_dead_letters({&letter, 1}, 1));
  auto replayed = engine_->replay_dead_letter(letter.id);
  ASSERT_TRUE(replayed) << replayed.error().message;
  EXPECT_TRUE(engine_->store().get_account("auth0|replayed"));
  auto done = engine_->store().get_dead_letter(letter.id);
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->replayed_at.has_value());
  auto open = engine_->dead_letters_json({});
  ASSERT_TRUE(open);
  EXPECT_EQ(open->find(letter.id), std::string::npos) << *open;  // replayed ones are hidden
  EXPECT_EQ(engine_->replay_dead_letter("00000000000000000000").code(), Code::not_found);
}

// Log ids of two tenants never collide, and a posted id cannot pre-empt a synthetic one.
TEST_F(IntakeEntries, LogIdsAreNamespacedPerTenantAndApartFromSyntheticIds) {
  auto engine = make({{"AUTH0_LOG_TOKEN", kToken}, {"SOTCE_AUTH0_LOG_TOKEN", kToken}});
  ASSERT_EQ(post(*engine, "[" + entry("same-id", "ss", "auth0|a") + "]").status, 200);
  const HttpAnswer sotce =
      post(*engine, "[" + entry("same-id", "ss", "auth0|b") + "]", Tenant::sotce);
  EXPECT_NE(sotce.body.find("\"applied\":1"), std::string::npos) << sotce.body;
  EXPECT_TRUE(engine->store().get_account("sotce-auth0|b"));

  // An entry posted with the id delete_user uses for auth0|a.
  const HttpAnswer posted =
      post(*engine, "[" + entry("acid:delete:auth0|a", "sv", "auth0|a") + "]");
  EXPECT_NE(posted.body.find("\"applied\":1"), std::string::npos) << posted.body;
  ASSERT_TRUE(engine->delete_user("auth0|a"));
  auto account = engine->store().get_account("auth0|a");
  ASSERT_TRUE(account);
  EXPECT_TRUE(account->deleted_at.has_value());
}

TEST_F(IntakeEntries, TypeLabelsAreBounded) {
  std::string body = "[";
  for (int i = 0; i < 50; ++i) {
    body += (i ? "," : "") + entry("t" + std::to_string(i), "zz" + std::to_string(i), "auth0|t");
  }
  ASSERT_EQ(post(*engine_, body + "]").status, 200);
  EXPECT_EQ(
      engine_->metrics().get("acid_events_total", {{"type", "other"}, {"outcome", "ignored"}}),
      50u);
  EXPECT_EQ(engine_->metrics_text().find("zz1"), std::string::npos);
}

// Auth0 answers 429 with a reset an hour away. Before: each sv without a code waited for the
// reset (up to 3 x 60 s) inside the request. Now: one lookup, one answer, no wait; the others
// skip Auth0 and the codes take the event's year.
TEST_F(IntakeEntries, ARateLimitingAuth0DoesNotHoldTheWebhook) {
  testing::Auth0Fixture auth0;
  auto engine = make({{"AUTH0_LOG_TOKEN", kToken},
                      {"ACID_AUTH0_BASE_URL", auth0.base_url()},
                      {"AUTH0_M2M_CLIENT_ID", auth0.client_id()},
                      {"AUTH0_M2M_SECRET", auth0.client_secret()}});
  const std::int64_t in_an_hour = std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count() +
                                  3600;
  auth0.rate_limit_next(testing::Auth0Endpoint::user, in_an_hour, 100);
  std::vector<std::string> entries;
  for (int i = 0; i < 5; ++i) {
    entries.push_back(entry("sv" + std::to_string(i), "sv", "auth0|v" + std::to_string(i)));
  }
  const HttpAnswer r = post(*engine, body_of(Shape::array, entries));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"applied\":5"), std::string::npos) << r.body;
  EXPECT_EQ(auth0.requests(testing::Auth0Endpoint::user), 1);
  EXPECT_EQ(engine->metrics().get("acid_auth0_lookup_skipped_total",
                                  {{"purpose", "created_at"}, {"reason", "paused"}}),
            4u);
  auto account = engine->store().get_account("auth0|v0");
  ASSERT_TRUE(account);
  ASSERT_TRUE(account->code.has_value());
  EXPECT_EQ(account->code->substr(0, 4), "ac25");  // the event's year
}

// Auth0 answers each lookup 5 s late: one attempt with the budget as its timeout, then the
// budget is spent and the rest skip. (The whole request is bounded by the budget plus one
// lookup; the figure belongs to the benchmark, the bound on attempts is asserted here.)
TEST_F(IntakeEntries, ASlowAuth0CostsAtMostTheBudget) {
  testing::Auth0Fixture auth0;
  auto engine = make({{"AUTH0_LOG_TOKEN", kToken},
                      {"ACID_AUTH0_BASE_URL", auth0.base_url()},
                      {"AUTH0_M2M_CLIENT_ID", auth0.client_id()},
                      {"AUTH0_M2M_SECRET", auth0.client_secret()}},
                     200);
  auth0.delay_next(testing::Auth0Endpoint::user, std::chrono::milliseconds(5000), 100);
  std::vector<std::string> entries;
  for (int i = 0; i < 5; ++i) {
    entries.push_back(entry("sl" + std::to_string(i), "sv", "auth0|s" + std::to_string(i)));
  }
  const HttpAnswer r = post(*engine, body_of(Shape::lines, entries));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"applied\":5"), std::string::npos) << r.body;
  EXPECT_LE(auth0.requests(testing::Auth0Endpoint::user), 1);
  EXPECT_EQ(engine->metrics().get("acid_auth0_lookup_failures_total", {{"purpose", "created_at"}}),
            1u);
}

}  // namespace
}  // namespace acid::provision
