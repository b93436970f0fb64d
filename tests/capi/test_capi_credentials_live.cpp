// Credentials for the rest of the system, through the C ABI, on the real local PDS + PLC (ctest
// fixture) and a real SQLite store: a person provisioned with a sealed password gets usable
// credentials (createSession succeeds with them) and a cached session whose access token writes
// a record (createRecord); the typed errors; and sealing only on purpose: jobs and backfill
// leave a plaintext password plaintext until acid_credentials_seal.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "acidentity/acidentity.h"
#include "capi/client.h"
#include "core/base64.h"
#include "core/json.h"
#include "core/random.h"
#include "core/seal.h"
#include "pds/xrpc_client.h"
#include "support/local_pds.h"
#include "support/temp_dir.h"

namespace {

constexpr const char *kToken = "credentials-test-webhook-token";

std::string random_key() {
  std::array<std::uint8_t, 32> key{};
  EXPECT_TRUE(acid::random_bytes(key).is_ok());
  return acid::base64::encode(std::span<const std::uint8_t>(key));
}

// The C result of a call returning JSON, parsed; fails the test on an error status.
rapidjson::Document parsed(int rc, char *json) {
  EXPECT_EQ(rc, ACID_OK) << acid_error_last()->message;
  rapidjson::Document doc;
  if (json != nullptr) doc.Parse(json);
  acid_free(json);
  EXPECT_TRUE(doc.IsObject());
  return doc;
}

std::string str(const rapidjson::Value &o, const char *key) {
  auto v = acid::json::get_string(o, key);
  return v ? std::string(*v) : std::string();
}

std::int64_t num(const rapidjson::Value &o, const char *key) {
  return acid::json::get_int(o, key).value_or(-1);
}

class CredentialsLive : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = acid::pds::test::load_pds_env();
    ASSERT_TRUE(env) << env.error().message;
    env_ = *env;
    key_ = random_key();
    run_ = acid::pds::test::unique_label(6);
    client_ = open(key_);
    ASSERT_NE(client_, nullptr);
    acid::pds::ClientOptions o;
    o.base_url = env_.url;
    auto pds = acid::pds::XrpcClient::create(o);
    ASSERT_TRUE(pds) << pds.error().message;
    pds_ = std::move(*pds);
  }
  void TearDown() override { acid_client_destroy(client_); }

  // A client on this test's store; key may be empty (no ACID_CREDENTIALS_KEY).
  acid_client *open(const std::string &key) {
    acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
    const std::string uri = dir_.sqlite_uri();
    opts.store_uri = uri.c_str();
    opts.pds_url = env_.url.c_str();
    opts.pds_admin_password = env_.admin_password.c_str();
    opts.pds_handle_domain = env_.handle_domain.c_str();
    opts.auth0_log_token = kToken;
    opts.credentials_key = key.empty() ? nullptr : key.c_str();
    opts.use_environment = 0;
    acid_client *c = nullptr;
    EXPECT_EQ(acid_client_create(&c, &opts), ACID_OK) << acid_error_last()->message;
    return c;
  }

  std::string sub(const std::string &name) const { return "auth0|" + run_ + name; }

  // Signup (and verification) through the webhook, then the jobs.
  void person(const std::string &name, bool verify) {
    auto entry = [&](const char *type) {
      return R"({"log_id":")" + run_ + name + type + R"(","data":{"type":")" + type +
             R"(","date":"2029-10-14T08:30:00.000Z","user_id":")" + sub(name) +
             R"(","user_name":")" + run_ + name + R"(@example.com"}})";
    };
    const std::string body = "[" + entry("ss") + (verify ? "," + entry("sv") : std::string()) + "]";
    int status = 0;
    char *reply = nullptr;
    ASSERT_EQ(acid_handle_log_stream(client_, ACID_TENANT_AESTHETIC, kToken, body.data(),
                                     body.size(), &status, &reply),
              ACID_OK);
    EXPECT_EQ(status, 200) << reply;
    acid_free(reply);
    drain();
  }

  void drain() {
    for (int i = 0; i < 20; ++i) {
      char *summary = nullptr;
      ASSERT_EQ(acid_run_jobs(client_, 60'000, 100, &summary), ACID_OK)
          << acid_error_last()->message;
      const bool idle = std::string(summary).find("\"ran\":0") != std::string::npos;
      acid_free(summary);
      if (idle) return;
    }
    FAIL() << "jobs still running";
  }

  rapidjson::Document credentials(const std::string &s) {
    char *json = nullptr;
    const int rc = acid_pds_credentials(client_, s.c_str(), &json);
    return parsed(rc, json);
  }

  std::string stored_password(const std::string &s) {
    auto a = client_->engine->store().get_account(s);
    EXPECT_TRUE(a) << a.error().message;
    return a && a->password ? *a->password : std::string();
  }

  acid::testing::TempDir dir_;
  acid::pds::test::PdsEnv env_;
  std::string key_;
  std::string run_;
  acid_client *client_ = nullptr;
  std::unique_ptr<acid::pds::XrpcClient> pds_;
};

TEST_F(CredentialsLive, SealedCredentialsLogInAndACachedSessionWritesARecord) {
  person("seal", true);
  ASSERT_TRUE(acid::seal::is_sealed(stored_password(sub("seal"))));

  const rapidjson::Document c = credentials(sub("seal"));
  EXPECT_EQ(str(c, "service"), env_.url);
  EXPECT_FALSE(acid::seal::is_sealed(str(c, "password")));
  EXPECT_TRUE(str(c, "handle").ends_with("." + env_.handle_domain)) << str(c, "handle");
  // The deployed code's own login: AtpAgent.login({identifier: did, password}).
  auto login = pds_->create_session(str(c, "did"), str(c, "password"));
  ASSERT_TRUE(login) << login.error().message;
  EXPECT_EQ(login->did, str(c, "did"));

  char *json = nullptr;
  ASSERT_EQ(acid_pds_session(client_, sub("seal").c_str(), &json), ACID_OK)
      << acid_error_last()->message;
  const rapidjson::Document s = parsed(ACID_OK, json);
  EXPECT_EQ(str(s, "did"), str(c, "did"));
  EXPECT_EQ(str(s, "service"), env_.url);
  ASSERT_FALSE(str(s, "accessJwt").empty());
  EXPECT_FALSE(str(s, "refreshJwt").empty());

  // com.atproto.repo.createRecord with the session's access token, as mood-atproto.mjs does.
  acid::pds::RecordWrite write;
  write.repo = str(s, "did");
  write.collection = "computer.aesthetic.mood";
  write.record_json = R"({"$type":"computer.aesthetic.mood","mood":"sealed and still posting",)"
                      R"("when":"2029-10-14T08:30:00.000Z","ref":")" +
                      run_ + R"("})";
  auto ref = pds_->create_record(str(s, "accessJwt"), write);
  ASSERT_TRUE(ref) << ref.error().message;
  const std::string rkey = ref->uri.substr(ref->uri.rfind('/') + 1);
  auto stored = pds_->get_record(str(s, "did"), "computer.aesthetic.mood", rkey);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_NE(stored->value_json.find("sealed and still posting"), std::string::npos);

  // The second call is the cached session: the same token, no new login.
  ASSERT_EQ(acid_pds_session(client_, sub("seal").c_str(), &json), ACID_OK);
  const rapidjson::Document again = parsed(ACID_OK, json);
  EXPECT_EQ(str(again, "accessJwt"), str(s, "accessJwt"));
  EXPECT_EQ(client_->sessions->stats().logins, 1u);
}

TEST_F(CredentialsLive, TypedErrors) {
  person("unver", false);  // signed up, not verified: no PDS account
  person("pw", true);
  char *json = reinterpret_cast<char *>(1);
  EXPECT_EQ(acid_pds_credentials(client_, (sub("nobody")).c_str(), &json), ACID_ENOTFOUND);
  EXPECT_EQ(json, nullptr);
  EXPECT_EQ(acid_pds_session(client_, (sub("nobody")).c_str(), &json), ACID_ENOTFOUND);
  EXPECT_EQ(acid_pds_credentials(client_, (sub("unver")).c_str(), &json), ACID_ENOACCOUNT);
  EXPECT_STREQ(acid_status_name(ACID_ENOACCOUNT), "ACID_ENOACCOUNT");
  EXPECT_NE(std::string(acid_error_last()->detail_json).find("\"reason\":\"no_did\""),
            std::string::npos)
      << acid_error_last()->detail_json;
  EXPECT_EQ(acid_pds_session(client_, (sub("unver")).c_str(), &json), ACID_ENOACCOUNT);
  EXPECT_EQ(acid_pds_credentials(nullptr, "x", &json), ACID_EINVAL);
  EXPECT_EQ(acid_pds_credentials(client_, nullptr, &json), ACID_EINVAL);
  EXPECT_EQ(acid_pds_session(client_, "", &json), ACID_EINVAL);

  // Another key, and no key: the sealed value cannot be opened, and the secret is not shown.
  for (const std::string &key : {random_key(), std::string()}) {
    acid_client *other = open(key);
    ASSERT_NE(other, nullptr);
    EXPECT_EQ(acid_pds_credentials(other, sub("pw").c_str(), &json), ACID_ESEALED);
    EXPECT_STREQ(acid_status_name(ACID_ESEALED), "ACID_ESEALED");
    const std::string detail = acid_error_last()->detail_json;
    EXPECT_NE(detail.find(key.empty() ? "\"no_key\"" : "\"unknown_key\""), std::string::npos)
        << detail;
    EXPECT_EQ(acid_pds_session(other, sub("pw").c_str(), &json), ACID_ESEALED);
    acid_client_destroy(other);
  }
  // A deleted person has no account any more.
  ASSERT_EQ(acid_user_delete(client_, sub("pw").c_str()), ACID_OK);
  EXPECT_EQ(acid_pds_credentials(client_, sub("pw").c_str(), &json), ACID_ENOACCOUNT);
}

// The deployed format (a plaintext password) survives provisioning jobs, a handle change and a
// backfill --fix; acid_credentials_seal seals it (a dry run first changes nothing) and the
// credentials still log in.
TEST_F(CredentialsLive, PlaintextStaysPlaintextUntilSealedOnPurpose) {
  person("plain", true);
  const std::string s = sub("plain");
  const rapidjson::Document before = credentials(s);
  const std::string password = str(before, "password");
  acid::store::Store &store = client_->engine->store();
  ASSERT_TRUE(store.replace_password(s, stored_password(s), password).is_ok());

  char *json = nullptr;
  ASSERT_EQ(acid_credentials_status(client_, &json), ACID_OK) << acid_error_last()->message;
  rapidjson::Document st = parsed(ACID_OK, json);
  EXPECT_EQ(num(st, "plaintext"), 1);
  EXPECT_EQ(num(st, "sealed"), 0);
  EXPECT_EQ(num(st, "accounts"), 1);

  ASSERT_TRUE(store.schedule_job(s, acid::store::JobKind::provision, 0).is_ok());
  ASSERT_EQ(acid_handle_changed(client_, s.c_str(), ("p" + run_).c_str()), ACID_OK);
  drain();
  ASSERT_EQ(acid_backfill(client_, R"({"all":true,"fix":true})", nullptr, nullptr, &json), ACID_OK)
      << acid_error_last()->message;
  const std::string backfill(json);
  acid_free(json);
  EXPECT_NE(backfill.find("plaintext_credentials"), std::string::npos) << backfill;
  EXPECT_NE(backfill.find("credentials seal --user"), std::string::npos) << backfill;
  EXPECT_EQ(stored_password(s), password);
  // The plaintext credentials serve sessions too.
  ASSERT_EQ(acid_pds_session(client_, s.c_str(), &json), ACID_OK);
  acid_free(json);

  const std::string dry_run = R"({"user":")" + s + R"(","dry_run":true})";
  ASSERT_EQ(acid_credentials_seal(client_, dry_run.c_str(), &json), ACID_OK);
  EXPECT_NE(std::string(json).find("\"would_seal\":1"), std::string::npos) << json;
  acid_free(json);
  EXPECT_EQ(stored_password(s), password);

  ASSERT_EQ(acid_credentials_seal(client_, R"({"all":true})", &json), ACID_OK);
  const rapidjson::Document report = parsed(ACID_OK, json);
  EXPECT_EQ(num(report, "sealed"), 1);
  EXPECT_TRUE(acid::seal::is_sealed(stored_password(s)));
  EXPECT_EQ(str(credentials(s), "password"), password);
  EXPECT_TRUE(pds_->create_session(str(before, "did"), password));
  ASSERT_EQ(acid_credentials_status(client_, &json), ACID_OK);
  st = parsed(ACID_OK, json);
  EXPECT_EQ(num(st, "plaintext"), 0);
  EXPECT_EQ(num(st, "sealed"), 1);
}

TEST_F(CredentialsLive, SealRefusesBadOptionsServiceAccountsAndNoKey) {
  char *json = reinterpret_cast<char *>(1);
  for (const char *bad : {"", "[]", "{}", R"({"all":false})", R"({"all":true,"user":"a|b"})",
                          R"({"user":""})", R"({"all":true,"dry_run":1})", R"({"typo":1})"}) {
    EXPECT_EQ(acid_credentials_seal(client_, bad, &json), ACID_EINVAL) << bad;
    EXPECT_EQ(json, nullptr);
  }
  EXPECT_EQ(acid_credentials_seal(client_, R"({"user":"art-guest"})", &json), ACID_EINVAL);
  EXPECT_NE(std::string(acid_error_last()->message).find("service account"), std::string::npos);
  EXPECT_EQ(acid_credentials_seal(client_, R"({"user":"auth0|nobody"})", &json), ACID_ENOTFOUND);
  acid_client *keyless = open("");
  ASSERT_NE(keyless, nullptr);
  EXPECT_EQ(acid_credentials_seal(keyless, R"({"all":true})", &json), ACID_ECONFIG);
  acid_client_destroy(keyless);
}

}  // namespace
