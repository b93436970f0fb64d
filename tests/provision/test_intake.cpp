// The webhook intake without a PDS: hostile bodies and tokens get their documented status and
// write nothing; a store refusing writes mid-batch answers 503 and a resend converges.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "provision/engine.h"
#include "support/store_reader.h"
#include "support/temp_dir.h"

namespace acid::provision {
namespace {

constexpr const char *kToken = "intake-token";

class Intake : public ::testing::Test {
 protected:
  void SetUp() override { engine_ = make({{"AUTH0_LOG_TOKEN", kToken}}); }

  std::unique_ptr<Engine> make(std::map<std::string, std::string, std::less<>> vars) {
    vars["ACID_STORE"] = dir_.sqlite_uri();
    auto config = Config::from_env(env_from_map(vars));
    EXPECT_TRUE(config) << config.error().message;
    EngineOptions opts;
    opts.config = std::move(*config);
    auto engine = Engine::create(std::move(opts));
    EXPECT_TRUE(engine) << engine.error().message;
    return std::move(*engine);
  }

  // Rows in a table, read straight from the file.
  long rows(const char *table) {
    sqlite3 *db = nullptr;
    EXPECT_EQ(sqlite3_open(dir_.file("store.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt *stmt = nullptr;
    const std::string sql = std::string("SELECT count(*) FROM ") + table;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    const long n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
  }

  void expect_nothing_written() {
    EXPECT_EQ(rows("processed_events"), 0);
    EXPECT_EQ(rows("accounts"), 0);
    EXPECT_EQ(rows("users"), 0);
    EXPECT_EQ(rows("verifications"), 0);
    EXPECT_EQ(rows("jobs"), 0);
  }

  static std::string log(const std::string &id, const std::string &type,
                         const std::string &user_id_json) {
    return R"({"log_id":")" + id + R"(","data":{"type":")" + type +
           R"(","date":"2025-10-14T08:30:00Z","user_id":)" + user_id_json +
           R"(,"user_name":"x@example.com"}})";
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(Intake, HostileBodiesGetTheirStatusAndWriteNothing) {
  struct Case {
    std::string name;
    std::optional<std::string> auth;
    std::string body;
    int status;
  };
  std::string deep(100000, '[');
  std::string big(10 * 1024 * 1024, ' ');
  big[0] = '[';
  big.back() = ']';
  const std::vector<Case> cases = {
      {"wrong token", "nope", "[" + log("a", "ss", "\"auth0|a\"") + "]", 403},
      {"missing token", std::nullopt, "[" + log("a", "ss", "\"auth0|a\"") + "]", 401},
      {"bearer wrong token", "Bearer nope", "[]", 403},
      {"not json", kToken, "not json", 400},
      {"deep nesting", kToken, deep, 400},
      {"10 MB body", kToken, big, 413},
      {"1 MiB + 1 byte", kToken, "[" + std::string(auth0::kMaxLogStreamBodyBytes - 1, ' ') + "]",
       413},
      {"logs not an array", kToken, "{\"logs\":5}", 400},
      {"empty body", kToken, "", 400},
      {"scalar", kToken, "42", 400},
  };
  for (const Case &c : cases) {
    std::optional<std::string_view> auth;
    if (c.auth) auth = *c.auth;
    const HttpAnswer r = engine_->handle_log_stream(Tenant::aesthetic, auth, c.body);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body.substr(0, 200);
    EXPECT_NE(r.body.find("\"error\""), std::string::npos) << c.name;
  }
  expect_nothing_written();
}

TEST_F(Intake, MalformedEntriesAreReportedAndNeverQueried) {
  // Operator objects, numbers and empty strings as user_id: rejected per entry, never stored.
  const std::string body = "[" + log("a", "ss", R"({"$gt": ""})") + "," + log("b", "ss", "12345") +
                           "," + log("c", "sv", "\"\"") + "," + log("d", "ss", "null") + "]";
  const HttpAnswer r =
      engine_->handle_log_stream(Tenant::aesthetic, std::string_view(kToken), body);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"applied\":0"), std::string::npos) << r.body;
  for (const char *index : {"\"index\":0", "\"index\":1", "\"index\":2", "\"index\":3"}) {
    EXPECT_NE(r.body.find(index), std::string::npos) << r.body;
  }
  expect_nothing_written();
}

TEST_F(Intake, AnEmptyBatchIsAcceptedAndWritesNothing) {
  const HttpAnswer r =
      engine_->handle_log_stream(Tenant::aesthetic, std::string_view(kToken), "[]");
  EXPECT_EQ(r.status, 200) << r.body;
  expect_nothing_written();
}

TEST_F(Intake, NoConfiguredTokenRefusesEverything) {
  testing::TempDir other;
  auto config = Config::from_env(env_from_map({{"ACID_STORE", other.sqlite_uri()}}));
  ASSERT_TRUE(config);
  EngineOptions opts;
  opts.config = std::move(*config);
  auto engine = Engine::create(std::move(opts));
  ASSERT_TRUE(engine);
  for (std::optional<std::string_view> auth :
       {std::optional<std::string_view>(), std::optional<std::string_view>(""),
        std::optional<std::string_view>("anything")}) {
    const HttpAnswer r = (*engine)->handle_log_stream(Tenant::aesthetic, auth, "[]");
    EXPECT_EQ(r.status, 503) << r.body;
  }
}

TEST_F(Intake, ValidEntriesOfAMixedBatchAreApplied) {
  const std::string body = "[" + log("ok1", "ss", "\"auth0|ok\"") + "," + log("bad", "ss", "[1]") +
                           "," + log("ok2", "sv", "\"auth0|ok\"") + "," +
                           log("other", "slo", "\"auth0|ok\"") + "]";
  const HttpAnswer r =
      engine_->handle_log_stream(Tenant::aesthetic, std::string_view(kToken), body);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"applied\":2"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"ignored\":1"), std::string::npos) << r.body;
  EXPECT_EQ(rows("processed_events"), 2);
  auto account = engine_->store().get_account("auth0|ok");
  ASSERT_TRUE(account);
  EXPECT_EQ(account->state, store::AccountState::pending);
  EXPECT_EQ(engine_->metrics().get("acid_events_total", {{"type", "slo"}, {"outcome", "ignored"}}),
            1u);
}

TEST_F(Intake, SotceEventsArePrefixedAndUseTheirOwnToken) {
  auto engine = make({{"AUTH0_LOG_TOKEN", kToken}, {"SOTCE_AUTH0_LOG_TOKEN", "sotce-token"}});
  const std::string body = "[" + log("s1", "ss", "\"auth0|s\"") + "]";
  EXPECT_EQ(engine->handle_log_stream(Tenant::sotce, std::string_view(kToken), body).status, 403);
  const HttpAnswer r =
      engine->handle_log_stream(Tenant::sotce, std::string_view("Bearer sotce-token"), body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(engine->store().get_account("sotce-auth0|s"));
  EXPECT_EQ(engine->store().get_account("auth0|s").code(), Code::not_found);
}

// The store refuses a write in the middle of a batch (a real SQLite failure, raised by a
// trigger): the answer is 503 so Auth0 resends, the whole body is rolled back (no event before
// the failure is half-kept), and the resent batch converges with no duplicate effects.
TEST_F(Intake, AStoreFailureMidBatchIs503AndAResendConverges) {
  std::string body = "[";
  for (int i = 0; i < 6; ++i) {
    if (i) body += ",";
    body += log("m" + std::to_string(i), i % 2 ? "sv" : "ss",
                "\"auth0|m" + std::to_string(i / 2) + "\"");
  }
  body += "]";
  sqlite3 *db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.file("store.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(
          db,
          "CREATE TRIGGER refuse BEFORE INSERT ON processed_events "
          "WHEN NEW.log_id = 'auth0:aesthetic:m3' BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
          nullptr, nullptr, nullptr),
      SQLITE_OK);
  const HttpAnswer failed =
      engine_->handle_log_stream(Tenant::aesthetic, std::string_view(kToken), body);
  EXPECT_EQ(failed.status, 503) << failed.body;
  EXPECT_NE(failed.body.find("\"retry\":true"), std::string::npos) << failed.body;
  EXPECT_NE(failed.body.find("\"applied\":0"), std::string::npos) << failed.body;
  ASSERT_EQ(sqlite3_exec(db, "DROP TRIGGER refuse", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(rows("processed_events"), 0);
  EXPECT_EQ(rows("users"), 0);
  EXPECT_EQ(rows("jobs"), 0);

  const HttpAnswer resent =
      engine_->handle_log_stream(Tenant::aesthetic, std::string_view(kToken), body);
  EXPECT_EQ(resent.status, 200) << resent.body;
  EXPECT_NE(resent.body.find("\"applied\":6"), std::string::npos) << resent.body;
  EXPECT_NE(resent.body.find("\"duplicates\":0"), std::string::npos) << resent.body;
  const HttpAnswer again =
      engine_->handle_log_stream(Tenant::aesthetic, std::string_view(kToken), body);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find("\"applied\":0"), std::string::npos) << again.body;
  EXPECT_NE(again.body.find("\"duplicates\":6"), std::string::npos) << again.body;
  for (int u = 0; u < 3; ++u) {
    auto a = engine_->store().get_account("auth0|m" + std::to_string(u));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->verification_count, 1);
    EXPECT_EQ(a->state, store::AccountState::pending);
    EXPECT_TRUE(a->code.has_value());
  }
  EXPECT_EQ(rows("jobs"), 3);
}

// POST /handle-changed: its own token (fail closed), strict body, documented statuses, and
// nothing recorded unless the answer is 200.
TEST_F(Intake, HandleChangedRequestsAreAuthorizedValidatedAndRecorded) {
  const auto ask = [](Engine &e, std::optional<std::string_view> auth, std::string_view body) {
    return e.handle_changed_request(auth, body);
  };
  const std::string ok_body = R"({"sub":"auth0|h1","handle":"jeffrey"})";
  // No ACID_HANDLE_CHANGED_TOKEN: every request is refused, even one with a token.
  EXPECT_EQ(ask(*engine_, std::string_view("Bearer x"), ok_body).status, 503);

  engine_ = make({{"AUTH0_LOG_TOKEN", kToken}, {"ACID_HANDLE_CHANGED_TOKEN", "handle-secret"}});
  ASSERT_EQ(engine_
                ->handle_log_stream(Tenant::aesthetic, std::string_view(kToken),
                                    "[" + log("h-s1", "ss", R"("auth0|h1")") + "," +
                                        log("h-s2", "ss", R"("auth0|h2")") + "]")
                .status,
            200);
  EXPECT_EQ(ask(*engine_, std::nullopt, ok_body).status, 401);
  EXPECT_EQ(ask(*engine_, std::string_view("Bearer handle-secreT"), ok_body).status, 403);
  EXPECT_EQ(ask(*engine_, std::string_view(kToken), ok_body).status, 403);  // not the webhook's
  const std::optional<std::string_view> auth = std::string_view("Bearer handle-secret");
  for (const char *bad : {"", "[]", "{", R"({"sub":"auth0|h1"})", R"({"handle":"x"})",
                          R"({"sub":7,"handle":"jeffrey"})", R"({"sub":"","handle":"jeffrey"})",
                          R"({"sub":"auth0|h1","handle":""})", R"({"sub":"auth0|h1","handle":3})",
                          R"({"sub":"auth0|h1","handle":"no spaces allowed"})",
                          "{\"sub\":\"auth0|h1\",\"handle\":\"j\xff\"}"}) {
    const HttpAnswer r = ask(*engine_, auth, bad);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
    EXPECT_NE(r.body.find("\"error\""), std::string::npos) << r.body;
  }
  EXPECT_EQ(ask(*engine_, auth, std::string(5000, ' ')).status, 413);
  EXPECT_EQ(ask(*engine_, auth, R"({"sub":"auth0|nobody","handle":"jeffrey"})").status, 404);
  EXPECT_FALSE(acid::testing::inspect(engine_->store()).get_handle("auth0|h1").is_ok())
      << "a refused request wrote";

  const HttpAnswer done = ask(*engine_, auth, R"({"sub":"auth0|h1","handle":"@jeffrey"})");
  EXPECT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.body, R"({"sub":"auth0|h1","handle":"jeffrey"})");
  EXPECT_EQ(*acid::testing::inspect(engine_->store()).get_handle("auth0|h1"), "jeffrey");
  // Taken by someone else, compared case-insensitively.
  EXPECT_EQ(ask(*engine_, auth, R"({"sub":"auth0|h2","handle":"JEFFREY"})").status, 409);
  // Not verified: nothing on the PDS to move, so no job.
  EXPECT_EQ(rows("jobs"), 0);
}

// acid_user_delete before any PDS account: immediate, terminal, code kept, repeatable.
TEST_F(Intake, DeletingAnUnverifiedUserIsImmediateAndKeepsTheCode) {
  ASSERT_EQ(engine_
                ->handle_log_stream(Tenant::aesthetic, std::string_view(kToken),
                                    "[" + log("d-s1", "ss", R"("auth0|d1")") + "]")
                .status,
            200);
  const auto code = engine_->store().get_account("auth0|d1")->code;
  ASSERT_TRUE(code.has_value());
  ASSERT_TRUE(engine_->delete_user("auth0|d1").is_ok());
  ASSERT_TRUE(engine_->delete_user("auth0|d1").is_ok());  // again: no change
  const auto a = engine_->store().get_account("auth0|d1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->state, store::AccountState::deleted);
  EXPECT_EQ(a->code, code);
  EXPECT_EQ(rows("jobs"), 0);
  EXPECT_EQ(engine_->delete_user("auth0|never-seen").code(), Code::not_found);
  EXPECT_FALSE(engine_->store().get_account("auth0|never-seen").is_ok());
}

}  // namespace
}  // namespace acid::provision
