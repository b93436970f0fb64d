// The engine's operator results as acid_run_jobs, acid_user_get and acid_pds_describe hand them
// out: every field name, its type and the order, byte for byte.
#include <gtest/gtest.h>

#include <string>

#include "provision/results.h"

namespace acid::provision {
namespace {

TEST(ResultsJson, JobRunSummary) {
  JobRunSummary s;
  s.ran = 4;
  s.done = 1;
  s.retried = 2;
  s.failed = 0;
  s.superseded = 1;
  s.remaining_due = true;
  EXPECT_EQ(to_json(s),
            "{\"ran\":4,\"done\":1,\"retried\":2,\"failed\":0,\"superseded\":1,"
            "\"remaining_due\":true}");
  EXPECT_EQ(to_json(JobRunSummary{}),
            "{\"ran\":0,\"done\":0,\"retried\":0,\"failed\":0,\"superseded\":0,"
            "\"remaining_due\":false}");
}

TEST(ResultsJson, UserViewNeverCarriesThePassword) {
  UserView v;
  store::Account &a = v.account;
  a.sub = "auth0|u1";
  a.code = "ac25xadeh";
  a.when = 0;
  a.has_verifications = true;
  a.verification_count = 2;
  a.verified_at = 1000;
  a.ac_handle = "jeffrey";
  a.state = store::AccountState::active;
  a.did = "did:plc:abc";
  a.pds_handle = "jeffrey.at.aesthetic.computer";
  a.pds_created_at = "2025-01-01T00:00:00.000Z";
  a.password = "plain-secret";
  a.attempts = 1;
  a.last_error = "{\"code\":\"network\"}";
  store::Job job;
  job.kind = store::JobKind::update_handle;
  job.attempts = 3;
  job.due_at = 60'000;
  v.jobs.push_back(job);
  const std::string text = to_json(v);
  EXPECT_EQ(text,
            "{\"sub\":\"auth0|u1\",\"code\":\"ac25xadeh\",\"when\":\"" + format_iso8601(0) +
                "\",\"verifications\":2,\"email_verified\":true,\"signed_up_at\":null,"
                "\"verified_at\":\"" +
                format_iso8601(1000) +
                "\",\"deleted_at\":null,\"handle\":\"jeffrey\",\"state\":\"active\","
                "\"did\":\"did:plc:abc\",\"pds_handle\":\"jeffrey.at.aesthetic.computer\","
                "\"pds_created_at\":\"2025-01-01T00:00:00.000Z\",\"credentials\":\"plaintext\","
                "\"attempts\":1,\"last_error\":{\"code\":\"network\"},\"jobs\":[{\"kind\":\"" +
                to_string(store::JobKind::update_handle) +
                "\",\"status\":\"open\",\"attempts\":3,\"due\":\"" + format_iso8601(60'000) +
                "\"}]}");
  EXPECT_EQ(text.find("plain-secret"), std::string::npos);

  UserView bare;
  bare.account.sub = "auth0|u2";
  EXPECT_EQ(to_json(bare),
            "{\"sub\":\"auth0|u2\",\"code\":null,\"when\":null,\"verifications\":null,"
            "\"email_verified\":false,\"signed_up_at\":null,\"verified_at\":null,"
            "\"deleted_at\":null,\"handle\":null,\"state\":\"" +
                std::string(to_string(store::AccountState::none)) +
                "\",\"did\":null,\"pds_handle\":null,\"pds_created_at\":null,"
                "\"credentials\":null,\"attempts\":0,\"last_error\":null,\"jobs\":[]}");
}

TEST(ResultsJson, PdsDescription) {
  PdsDescription d;
  d.url = "http://127.0.0.1:2583";
  d.server.did = "did:web:localhost";
  d.server.available_user_domains = {".test", ".example"};
  d.server.invite_code_required = true;
  EXPECT_EQ(to_json(d),
            "{\"url\":\"http://127.0.0.1:2583\",\"did\":\"did:web:localhost\","
            "\"availableUserDomains\":[\".test\",\".example\"],\"inviteCodeRequired\":true,"
            "\"phoneVerificationRequired\":false}");
}

}  // namespace
}  // namespace acid::provision
