// The content mirror's reports as the C ABI, Node and the CLI hand them out: every field name,
// its type and the order, byte for byte (docs/sync.md).
#include <gtest/gtest.h>

#include <string>

#include "sync/content_import.h"
#include "sync/mirror_report.h"

namespace acid::sync {
namespace {

SyncTally some_tally() {
  SyncTally t;
  t.users = 2;
  t.skipped_users = 1;
  t.created = 3;
  t.retried = 1;
  t.updated = 5;
  t.deleted = 1;
  t.unchanged = 4;
  t.failed = 1;
  t.fallbacks = 6;
  t.batches = 1;
  t.would_create = 7;
  t.would_update = 8;
  t.would_delete = 9;
  return t;
}

SyncProblems some_problems() {
  SyncProblems p;
  p.skipped.push_back({"moods", "auth0|b", "unknown user"});
  p.failures.push_back({"moods", "auth0|a", "m1", "create",
                        Error(Code::pds, "said \"no\"", "{\"http_status\":500}")});
  p.failures.push_back({"moods", "auth0|c", "", "login", Error(Code::auth, "refused", "")});
  p.failures_total = 3;
  return p;
}

const std::string kProblemsJson =
    "\"skipped\":[{\"collection\":\"moods\",\"user\":\"auth0|b\",\"reason\":\"unknown user\"}],"
    "\"failures\":[{\"collection\":\"moods\",\"user\":\"auth0|a\",\"id\":\"m1\",\"op\":\"create\","
    "\"code\":\"" +
    std::string(code_name(Code::pds)) +
    "\",\"message\":\"said \\\"no\\\"\",\"detail\":{\"http_status\":500}},"
    "{\"collection\":\"moods\",\"user\":\"auth0|c\",\"op\":\"login\",\"code\":\"" +
    std::string(code_name(Code::auth)) +
    "\",\"message\":\"refused\",\"detail\":{}}],\"failures_total\":3";

TEST(MirrorReport, SyncAppliedIsWrittenFieldForField) {
  SyncReport r;
  r.dry_run = false;
  r.collections.push_back({"moods", "computer.aesthetic.mood", "auth0|0", some_tally()});
  r.problems = some_problems();
  r.pds_calls = 12;
  EXPECT_EQ(to_json(r),
            "{\"dry_run\":false,\"collections\":[{\"collection\":\"moods\",\"nsid\":"
            "\"computer.aesthetic.mood\",\"resumed_after\":\"auth0|0\",\"users\":2,"
            "\"skipped_users\":1,\"unchanged\":4,\"created\":3,\"retried\":1,\"updated\":5,"
            "\"deleted\":1,\"failed\":1,\"fallbacks\":6,\"batches\":1}]," +
                kProblemsJson + ",\"pds_calls\":12}");
}

TEST(MirrorReport, DryRunCountsWhatWouldBeWritten) {
  SyncReport r;
  r.collections.push_back({"moods", "computer.aesthetic.mood", "", some_tally()});
  EXPECT_EQ(to_json(r),
            "{\"dry_run\":true,\"collections\":[{\"collection\":\"moods\",\"nsid\":"
            "\"computer.aesthetic.mood\",\"users\":2,\"skipped_users\":1,\"unchanged\":4,"
            "\"would_create\":7,\"would_update\":8,\"would_delete\":9}],\"skipped\":[],"
            "\"failures\":[],\"failures_total\":0,\"pds_calls\":0}");
}

TEST(MirrorReport, VerifyWithFixCarriesIssuesAndRepairs) {
  VerifyReport r;
  r.fix = true;
  VerifyCollectionReport c{"moods", "computer.aesthetic.mood", {}, some_tally()};
  c.tally.users = 1;
  c.tally.documents = 4;
  c.tally.records = 5;
  c.tally.missing = 1;
  c.tally.duplicates = 2;
  c.tally.deleted_records = 2;
  c.tally.adopted = 1;
  r.collections.push_back(c);
  r.issues.push_back({"moods", "auth0|a", "duplicate", "m1", {"3k1", "3k2"}});
  r.issues.push_back({"moods", "auth0|a", "unreferenced", "", {"3k3"}});
  r.issues_total = 2;
  r.pds_calls = 4;
  EXPECT_EQ(to_json(r),
            "{\"fix\":true,\"collections\":[{\"collection\":\"moods\",\"nsid\":"
            "\"computer.aesthetic.mood\",\"users\":1,\"skipped_users\":0,\"documents\":4,"
            "\"records\":5,\"missing\":1,\"extra\":0,\"duplicates\":2,\"unreferenced\":0,"
            "\"stale_pointers\":0,\"failed\":0,\"fixed\":{\"deleted_records\":2,\"adopted\":1,"
            "\"rewritten\":0,\"created\":3,\"retried\":1,\"updated\":5,\"deleted\":1,"
            "\"failed\":1}}],\"issues\":[{\"collection\":\"moods\",\"user\":\"auth0|a\","
            "\"kind\":\"duplicate\",\"ref\":\"m1\",\"rkeys\":[\"3k1\",\"3k2\"]},"
            "{\"collection\":\"moods\",\"user\":\"auth0|a\",\"kind\":\"unreferenced\","
            "\"rkeys\":[\"3k3\"]}],\"issues_total\":2,\"skipped\":[],\"failures\":[],"
            "\"failures_total\":0,\"pds_calls\":4}");
  r.fix = false;
  EXPECT_EQ(to_json(r).find("\"fixed\""), std::string::npos) << "fixed only with fix";
}

TEST(MirrorReport, ProgressAndLogLines) {
  const SyncTally t = some_tally();
  EXPECT_EQ(to_json(SyncProgress{"moods", "auth0|a", 2, &t}),
            "{\"collection\":\"moods\",\"user\":\"auth0|a\",\"users_done\":2,\"created\":3,"
            "\"retried\":1,\"updated\":5,\"deleted\":1,\"failed\":1,\"skipped_users\":1}");
  EXPECT_EQ(records_log_json("moods", t),
            "{\"collection\":\"moods\",\"created\":3,\"retried\":1,\"updated\":5,\"deleted\":1,"
            "\"failed\":1}");
  EXPECT_EQ(batch_fallback_log_json("moods", 200, Error(Code::pds, "a \"quoted\" error")),
            "{\"collection\":\"moods\",\"documents\":200,\"error\":\"a \\\"quoted\\\" error\"}");
  EXPECT_EQ(failure_log_json(some_problems().failures[1]),
            "{\"collection\":\"moods\",\"id\":\"\",\"op\":\"login\",\"error\":\"refused\","
            "\"detail\":{}}");
}

TEST(ContentReports, ImportAndDeletion) {
  ImportReport r;
  r.documents = 3;
  r.changed = 1;
  r.collections = {{"paintings", 1}, {"moods", 2}};
  EXPECT_EQ(to_json(r),
            "{\"documents\":3,\"changed\":1,\"unchanged\":2,\"collections\":{\"moods\":2,"
            "\"paintings\":1}}");
  EXPECT_EQ(to_json(ContentDeletion{"moods", "a\"b", true}),
            "{\"collection\":\"moods\",\"id\":\"a\\\"b\",\"changed\":true}");
}

}  // namespace
}  // namespace acid::sync
