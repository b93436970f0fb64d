// acid_audit / acid_backfill through the shipped C ABI: argument checks (nothing runs, nothing
// is written, the out pointer stays NULL) and the two outcomes without a PDS (clean report, or
// "could not run").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "acidentity/acidentity.h"
#include "support/temp_dir.h"

namespace {

using acid::testing::TempDir;

struct AuditClient {
  acid_client *ptr = nullptr;
  explicit AuditClient(const std::string &uri) {
    acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
    opts.store_uri = uri.c_str();
    opts.use_environment = 0;  // no PDS, no Auth0: only the store
    EXPECT_EQ(acid_client_create(&ptr, &opts), ACID_OK) << acid_error_last()->message;
  }
  ~AuditClient() { acid_client_destroy(ptr); }
};

void no_progress(const char *, void *) {}

TEST(CApiAudit, NullArgumentsAreRefused) {
  TempDir dir;
  AuditClient c(dir.sqlite_uri());
  char *report = nullptr;
  EXPECT_EQ(acid_audit(nullptr, R"({"all":true})", &report), ACID_EINVAL);
  EXPECT_EQ(report, nullptr);
  EXPECT_EQ(acid_audit(c.ptr, nullptr, &report), ACID_EINVAL);
  EXPECT_EQ(acid_audit(c.ptr, R"({"all":true})", nullptr), ACID_EINVAL);
  EXPECT_NE(std::string(acid_error_last()->message).find("acid_audit"), std::string::npos);
  EXPECT_EQ(acid_backfill(nullptr, R"({"all":true})", nullptr, nullptr, &report), ACID_EINVAL);
  EXPECT_EQ(acid_backfill(c.ptr, nullptr, no_progress, nullptr, &report), ACID_EINVAL);
  EXPECT_EQ(acid_backfill(c.ptr, R"({"all":true})", no_progress, nullptr, nullptr), ACID_EINVAL);
  EXPECT_EQ(report, nullptr);
}

TEST(CApiAudit, MalformedOptionsAreRefusedBeforeAnythingRuns) {
  TempDir dir;
  AuditClient c(dir.sqlite_uri());
  const std::vector<std::string> bad = {
      "",
      "not json",
      "[]",
      "{}",                                   // no scope
      R"({"all":true,"user":"auth0|x"})",     // two scopes
      R"({"limit":0})",                       // out of range
      R"({"limit":1001})",                    // beyond Auth0's paging
      R"({"limit":"5"})",                     // wrong type
      R"({"user":""})",                       // empty sub
      R"({"all":true,"tenant":"both"})",      // unknown tenant
      R"({"all":true,"deep":1})",             // wrong type
      R"({"all":true,"ignore_dids":["x"]})",  // not a DID
      R"({"all":true,"stuck_after_ms":-1})",  // negative
      R"({"all":true,"tpyo":true})",          // unknown member
      R"({"all":true,"fix":true})",           // a backfill option given to acid_audit
  };
  for (const std::string &options : bad) {
    char *report = nullptr;
    EXPECT_EQ(acid_audit(c.ptr, options.c_str(), &report), ACID_EINVAL) << options;
    EXPECT_EQ(report, nullptr) << options;
  }
  const std::vector<std::string> bad_backfill = {
      R"({"all":true,"fix":"yes"})",
      R"({"all":true,"concurrency":0})",
      R"({"all":true,"concurrency":65})",
      R"({"all":true,"budget_ms":0})",
      R"({"user":"auth0|x","delete_orphans":true})",  // orphans need the whole store
      R"({"all":true,"delete_orphans":1})",
  };
  for (const std::string &options : bad_backfill) {
    char *report = nullptr;
    EXPECT_EQ(acid_backfill(c.ptr, options.c_str(), nullptr, nullptr, &report), ACID_EINVAL)
        << options;
    EXPECT_EQ(report, nullptr) << options;
  }
}

TEST(CApiAudit, AnUnknownUserWithoutPdsOrAuth0IsACleanReport) {
  TempDir dir;
  AuditClient c(dir.sqlite_uri());
  char *report = nullptr;
  ASSERT_EQ(acid_audit(c.ptr, R"({"user":"auth0|nobody","tenant":"aesthetic"})", &report), ACID_OK)
      << acid_error_last()->message;
  const std::string json = report;
  acid_free(report);
  EXPECT_NE(json.find("\"schema\":\"acidentity.audit/1\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"clean\":true"), std::string::npos) << json;
  EXPECT_NE(json.find("Auth0 not consulted"), std::string::npos) << json;
  EXPECT_NE(json.find("is not in the store"), std::string::npos) << json;
}

TEST(CApiAudit, TheWholeStoreNeedsThePdsOrTheAuditCannotRun) {
  TempDir dir;
  AuditClient c(dir.sqlite_uri());
  char *report = nullptr;
  EXPECT_EQ(acid_audit(c.ptr, R"({"all":true})", &report), ACID_ECONFIG);
  EXPECT_EQ(report, nullptr);
  std::vector<std::string> phases;
  EXPECT_EQ(acid_backfill(
                c.ptr, R"({"all":true,"fix":true})",
                [](const char *json, void *user) {
                  static_cast<std::vector<std::string> *>(user)->emplace_back(json);
                },
                &phases, &report),
            ACID_ECONFIG);
  EXPECT_EQ(report, nullptr);
  ASSERT_FALSE(phases.empty());
  EXPECT_NE(phases.front().find("\"phase\":\"audit\""), std::string::npos);
}

}  // namespace
