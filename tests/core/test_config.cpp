#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "core/base64.h"
#include "core/config.h"
#include "core/json.h"
#include "core/random.h"
#include "core/redact.h"

namespace acid {
namespace {

using Vars = std::map<std::string, std::string, std::less<>>;

std::string random_key_b64() {
  std::vector<std::uint8_t> bytes(32);
  EXPECT_TRUE(random_bytes(bytes).is_ok());
  return base64::encode(bytes);
}

Result<Config> load(Vars vars) {
  return Config::from_env(env_from_map(std::move(vars)));
}

bool has_warning(const Config &c, std::string_view needle) {
  for (const auto &w : c.warnings()) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

// A complete, valid environment with a distinctive value for every variable.
struct FullEnv {
  std::string key1 = random_key_b64();
  std::string key2 = random_key_b64();
  Vars vars = {
      {"ACID_STORE", "sqlite:/var/lib/acid/state.db"},
      {"MONGODB_CONNECTION_STRING", "mongodb://dbuser:db-Pass-5150@db.example.net/admin"},
      {"MONGODB_NAME", "aesthetic"},
      {"PDS_URL", "https://pds.example.com/"},
      {"PDS_ADMIN_PASSWORD", "pds-admin-Secret-71"},
      {"ACID_PDS_HANDLE_DOMAIN", "at.example.com"},
      {"AUTH0_LOG_TOKEN", "log-token-Aesthetic-42"},
      {"SOTCE_AUTH0_LOG_TOKEN", "log-token-Sotce-43"},
      {"ACID_AUTH0_BASE_URL", "http://127.0.0.1:9001"},
      {"ACID_SOTCE_AUTH0_BASE_URL", "http://127.0.0.1:9002/"},
      {"AUTH0_M2M_CLIENT_ID", "m2m-client-Aesthetic"},
      {"AUTH0_M2M_SECRET", "m2m-secret-Aesthetic-99"},
      {"SOTCE_AUTH0_M2M_CLIENT_ID", "m2m-client-Sotce"},
      {"SOTCE_AUTH0_M2M_SECRET", "m2m-secret-Sotce-98"},
      {"ACID_CREDENTIALS_KEY", "k2=" + key2 + ",k1=" + key1},
      {"ACID_ALLOW_PLAINTEXT_CREDENTIALS", "false"},
      {"ACID_MAX_ATTEMPTS", "12"},
      {"ACID_JOB_LEASE_MS", "90000"},
      {"ACID_MONGODB_DB", "acid"},
      {"ACID_DAEMON_LISTEN", "[::1]:9443"},
      {"ACID_HANDLE_CHANGED_TOKEN", "handle-changed-Token-7"},
      {"ACID_SERVICE_ACCOUNTS", "auth0|operator-bot, did:plc:tliuubv7lyv2uiknsjbf4ppw"},
      {"ACID_MEDIA_BASE_URL", "http://127.0.0.1:9003/media/"},
  };
};

TEST(Config, EmptyEnvironmentGivesDefaultsAndNeedsNothing) {
  auto c = load({});
  ASSERT_TRUE(c.is_ok()) << c.error().message;
  EXPECT_EQ(c->store_uri, "sqlite:acidentity.db");
  EXPECT_EQ(c->pds_url, std::nullopt);
  EXPECT_EQ(c->pds_admin_password, std::nullopt);
  EXPECT_EQ(c->pds_handle_domain, "at.aesthetic.computer");
  EXPECT_EQ(c->aesthetic.base_url, "https://aesthetic.us.auth0.com");
  EXPECT_EQ(c->sotce.base_url, "https://sotce.us.auth0.com");
  EXPECT_EQ(c->aesthetic.log_token, std::nullopt);
  EXPECT_FALSE(c->credentials_key.has_value());
  EXPECT_FALSE(c->allow_plaintext_credentials);
  EXPECT_EQ(c->max_attempts, 8);
  EXPECT_EQ(c->daemon_host, "127.0.0.1");
  EXPECT_EQ(c->daemon_port, 8787);
  EXPECT_EQ(c->handle_changed_token, std::nullopt);
  EXPECT_EQ(c->media_base_url, "https://aesthetic.computer/media");  // as track-media.mjs

  const Status pds = c->require_pds();
  ASSERT_EQ(pds.code(), Code::config);
  EXPECT_NE(pds.error().message.find("PDS_URL"), std::string::npos);
  EXPECT_NE(pds.error().message.find("PDS_ADMIN_PASSWORD"), std::string::npos);
  const Status creds = c->require_credentials();
  ASSERT_EQ(creds.code(), Code::config);
  EXPECT_NE(creds.error().message.find("ACID_CREDENTIALS_KEY"), std::string::npos);
  const Status m2m = c->require_auth0_m2m(Tenant::sotce);
  ASSERT_EQ(m2m.code(), Code::config);
  EXPECT_NE(m2m.error().message.find("SOTCE_AUTH0_M2M_CLIENT_ID"), std::string::npos);

  EXPECT_TRUE(has_warning(*c, "AUTH0_LOG_TOKEN is not set"));
  EXPECT_TRUE(has_warning(*c, "SOTCE_AUTH0_LOG_TOKEN is not set"));
  EXPECT_TRUE(has_warning(*c, "ACID_HANDLE_CHANGED_TOKEN is not set"));
  EXPECT_TRUE(has_warning(*c, "will be refused"));
  EXPECT_EQ(c->describe_json().find("true"), std::string::npos);
}

TEST(Config, EveryVariableIsRead) {
  FullEnv env;
  auto c = load(env.vars);
  ASSERT_TRUE(c.is_ok()) << c.error().message;
  EXPECT_EQ(c->store_uri, "sqlite:/var/lib/acid/state.db");  // ACID_STORE wins over MONGODB_*
  EXPECT_TRUE(has_warning(*c, "MONGODB_CONNECTION_STRING and MONGODB_NAME are ignored"));
  EXPECT_EQ(c->pds_url, std::optional<std::string>("https://pds.example.com"));
  EXPECT_EQ(c->pds_admin_password, std::optional<std::string>("pds-admin-Secret-71"));
  EXPECT_EQ(c->pds_handle_domain, "at.example.com");
  EXPECT_EQ(c->aesthetic.log_token, std::optional<std::string>("log-token-Aesthetic-42"));
  EXPECT_EQ(c->sotce.log_token, std::optional<std::string>("log-token-Sotce-43"));
  EXPECT_EQ(c->aesthetic.base_url, "http://127.0.0.1:9001");
  EXPECT_EQ(c->sotce.base_url, "http://127.0.0.1:9002");
  EXPECT_EQ(c->media_base_url, "http://127.0.0.1:9003/media");
  EXPECT_EQ(c->aesthetic.m2m_client_id, std::optional<std::string>("m2m-client-Aesthetic"));
  EXPECT_EQ(c->aesthetic.m2m_secret, std::optional<std::string>("m2m-secret-Aesthetic-99"));
  EXPECT_EQ(c->sotce.m2m_client_id, std::optional<std::string>("m2m-client-Sotce"));
  EXPECT_EQ(c->sotce.m2m_secret, std::optional<std::string>("m2m-secret-Sotce-98"));
  EXPECT_EQ(&c->tenant(Tenant::sotce), &c->sotce);
  EXPECT_EQ(&c->tenant(Tenant::aesthetic), &c->aesthetic);
  ASSERT_TRUE(c->credentials_key.has_value());
  EXPECT_EQ(c->credentials_key->ids(), (std::vector<std::string>{"k2", "k1"}));
  EXPECT_FALSE(c->allow_plaintext_credentials);
  EXPECT_EQ(c->max_attempts, 12);
  EXPECT_EQ(c->job_lease_ms, 90'000);
  EXPECT_EQ(c->daemon_host, "::1");
  EXPECT_EQ(c->daemon_port, 9443);
  EXPECT_EQ(c->handle_changed_token, std::optional<std::string>("handle-changed-Token-7"));
  EXPECT_EQ(c->service_accounts.ids(), std::vector<std::string>{"auth0|operator-bot"});
  EXPECT_EQ(c->service_accounts.dids(),
            std::vector<std::string>{"did:plc:tliuubv7lyv2uiknsjbf4ppw"});

  EXPECT_TRUE(c->require_pds().is_ok());
  EXPECT_TRUE(c->require_credentials().is_ok());
  EXPECT_TRUE(c->require_auth0_m2m(Tenant::aesthetic).is_ok());
  EXPECT_TRUE(c->require_auth0_m2m(Tenant::sotce).is_ok());
  EXPECT_FALSE(has_warning(*c, "is not set"));
  EXPECT_FALSE(has_warning(*c, "refused"));

  auto described = json::parse(c->describe_json());
  ASSERT_TRUE(described.is_ok());
  ASSERT_TRUE(described->IsObject());
  EXPECT_EQ(described->MemberCount(), Config::variable_names().size());
  for (const auto name : Config::variable_names()) {
    const std::string n(name);
    EXPECT_EQ(json::get_bool(*described, n.c_str()), std::optional<bool>(true)) << n;
    EXPECT_TRUE(env.vars.count(n)) << "the test does not set " << n;
  }
}

TEST(Config, NoValueEverLeaksIntoDescriptionWarningsOrErrors) {
  FullEnv env;
  auto c = load(env.vars);
  ASSERT_TRUE(c.is_ok());
  std::string everything = c->describe_json();
  for (const auto &w : c->warnings()) everything += "\n" + w;
  everything += "\n" + c->credentials_key->describe();
  for (const auto &[name, value] : env.vars) {
    if (name == "ACID_ALLOW_PLAINTEXT_CREDENTIALS" || name == "ACID_MAX_ATTEMPTS" ||
        name == "MONGODB_NAME" || name == "ACID_JOB_LEASE_MS" || name == "ACID_MONGODB_DB") {
      continue;  // "false", "12", "aesthetic", "90000", "acid": not secrets, short words
    }
    EXPECT_EQ(everything.find(value), std::string::npos) << name << " leaked";
  }
  EXPECT_EQ(everything.find(env.key1), std::string::npos);
  EXPECT_EQ(everything.find(env.key2), std::string::npos);
  EXPECT_EQ(everything.find("db-Pass-5150"), std::string::npos);

  const std::vector<std::string> secrets = c->secrets();
  for (const char *s :
       {"pds-admin-Secret-71", "log-token-Aesthetic-42", "log-token-Sotce-43",
        "m2m-secret-Aesthetic-99", "m2m-secret-Sotce-98", "handle-changed-Token-7"}) {
    EXPECT_NE(std::find(secrets.begin(), secrets.end(), s), secrets.end()) << s;
  }
  const std::string line = "login failed with pds-admin-Secret-71 for m2m-secret-Sotce-98";
  EXPECT_EQ(redact(line, secrets), "login failed with [redacted] for [redacted]");
  EXPECT_TRUE(contains_secret(line, secrets));
  EXPECT_FALSE(contains_secret(redact(line, secrets), secrets));
}

TEST(Config, EmptyValuesCountAsUnset) {
  Vars vars;
  for (const auto name : Config::variable_names()) vars[std::string(name)] = "";
  auto c = load(vars);
  ASSERT_TRUE(c.is_ok()) << c.error().message;
  EXPECT_EQ(c->store_uri, "sqlite:acidentity.db");
  EXPECT_EQ(c->max_attempts, 8);
  EXPECT_EQ(c->pds_admin_password, std::nullopt);
  EXPECT_EQ(c->describe_json().find("true"), std::string::npos);
}

struct BadCase {
  std::string variable;  // the variable the error must name
  Vars vars;
};

std::vector<BadCase> bad_cases() {
  const std::string key = random_key_b64();
  std::vector<std::uint8_t> short_key(16);
  EXPECT_TRUE(random_bytes(short_key).is_ok());
  std::vector<BadCase> cases;
  auto one = [&](const std::string &var, const std::string &value) {
    cases.push_back({var, {{var, value}}});
  };
  for (const char *v : {"postgres://u:hunter2@h/db", "sqlite:?mode=ro", "sqlite://",
                        "mongodb:///db", "mongodb://u:hunter2@/db", "mongodb+srv://?x=1",
                        "acidentity.db", "SQLITE:file.db", "sqlite:file.db\n"}) {
    one("ACID_STORE", v);
  }
  for (const char *v : {"ftp://pds.example.com", "https:///pds", "https://user:pw@pds.example.com",
                        "pds.example.com", "https://pds example.com", "https://pds.example.com?x=1",
                        "https://pds.example.com#frag", "https://pds.example.com:99999",
                        "https://pds.example.com:0", "https://pds.example.com:http",
                        "https://pds.example.com\n", "https://-pds.example.com", "https://[::1",
                        "https://[zz::1]:80", "https://pds.example.123"}) {
    one("PDS_URL", v);
  }
  one("PDS_ADMIN_PASSWORD", "admin-pw-with-newline\n");
  for (const char *v : {".at.example.com", "At.Example.com", "singlelabel", "at..example.com",
                        "at.example.com.", "-at.example.com", "at_x.example.com", "at.example-.com",
                        "at.example.com/", "at.example.123", "at.exa mple.com"}) {
    one("ACID_PDS_HANDLE_DOMAIN", v);
  }
  one("AUTH0_LOG_TOKEN", "token-with-cr\r");
  one("SOTCE_AUTH0_LOG_TOKEN", "token\twith-tab");
  for (const char *v : {"aesthetic.us.auth0.com", "javascript:alert(1)", "https//x.auth0.com"}) {
    one("ACID_AUTH0_BASE_URL", v);
    one("ACID_SOTCE_AUTH0_BASE_URL", v);
    one("ACID_MEDIA_BASE_URL", v);
  }
  cases.push_back({"AUTH0_M2M_SECRET", {{"AUTH0_M2M_CLIENT_ID", "client-id-only"}}});
  cases.push_back({"AUTH0_M2M_CLIENT_ID", {{"AUTH0_M2M_SECRET", "secret-only-value"}}});
  cases.push_back({"SOTCE_AUTH0_M2M_SECRET", {{"SOTCE_AUTH0_M2M_CLIENT_ID", "client-id-only"}}});
  cases.push_back({"SOTCE_AUTH0_M2M_CLIENT_ID", {{"SOTCE_AUTH0_M2M_SECRET", "secret-only-value"}}});
  for (const std::string &v :
       {base64::encode(short_key), std::string("notbase64!!!!"), "bad id=" + key, key + "\n",
        "k1=" + key + ",k1=" + random_key_b64(), "k1=" + key + ",k2=" + key}) {
    one("ACID_CREDENTIALS_KEY", v);
  }
  for (const char *v : {"yes", "TRUE", "True", "2", " 1", "1 ", "on", "enabled"}) {
    one("ACID_ALLOW_PLAINTEXT_CREDENTIALS", v);
  }
  for (const char *v :
       {"0", "101", "-5", "8x", "08", "1e2", "99999999999999999999", " 8", "+8", "8.0"}) {
    one("ACID_MAX_ATTEMPTS", v);
  }
  for (const char *v :
       {"0", "999", "-1500", "1500ms", "1e4", "2147483648", "99999999999", " 1500"}) {
    one("ACID_JOB_LEASE_MS", v);
  }
  for (const char *v :
       {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", ":8787", "::1:8787", "[::1]", "host name:80",
        "127.0.0.1:80x", "[::1]8787", "[::1]:", "localhost:-1", "999.1.1.1.1:80"}) {
    one("ACID_DAEMON_LISTEN", v);
  }
  one("ACID_HANDLE_CHANGED_TOKEN", "tok\nen-value");
  one("ACID_SERVICE_ACCOUNTS", "art-guest,,auth0|bot");
  cases.push_back(
      {"MONGODB_NAME",
       {{"MONGODB_CONNECTION_STRING", "mongodb://dbuser:db-Pass-5150@db.example.net"}}});
  cases.push_back({"MONGODB_CONNECTION_STRING",
                   {{"MONGODB_CONNECTION_STRING", "postgres://dbuser:db-Pass-5150@db.example.net"},
                    {"MONGODB_NAME", "aesthetic"}}});
  cases.push_back({"MONGODB_CONNECTION_STRING",
                   {{"MONGODB_CONNECTION_STRING", "mongodb://dbuser:db-Pass-5150@/x"},
                    {"MONGODB_NAME", "aesthetic"}}});
  for (const std::string &name :
       std::vector<std::string>{"bad.name", "a/b", "with space", "dollar$", std::string(64, 'd')}) {
    cases.push_back({"MONGODB_NAME",
                     {{"MONGODB_CONNECTION_STRING", "mongodb://dbuser:db-Pass-5150@db.example.net"},
                      {"MONGODB_NAME", name}}});
  }
  return cases;
}

TEST(Config, MalformedValuesNameTheVariableAndNeverTheValue) {
  const auto cases = bad_cases();
  ASSERT_GT(cases.size(), 80u);
  for (const BadCase &bc : cases) {
    std::string shown;
    for (const auto &[k, v] : bc.vars) shown += k + "=<" + v + "> ";
    auto c = load(bc.vars);
    ASSERT_FALSE(c.is_ok()) << "accepted: " << shown;
    EXPECT_EQ(c.code(), Code::config) << shown;
    const Error &e = c.error();
    EXPECT_EQ(e.message.rfind(bc.variable + ":", 0), 0u) << shown << " -> " << e.message;
    EXPECT_NE(e.detail_json.find("\"" + bc.variable + "\""), std::string::npos) << e.detail_json;
    for (const auto &[k, v] : bc.vars) {
      // Short values ("0", "2", "yes") are words any message may contain; every longer value
      // and every secret-looking part must be absent.
      if (v.size() >= 4) {
        EXPECT_EQ(e.message.find(v), std::string::npos) << shown << e.message;
        EXPECT_EQ(e.detail_json.find(v), std::string::npos) << e.detail_json;
      }
      EXPECT_EQ(e.message.find("db-Pass-5150"), std::string::npos) << e.message;
    }
  }
}

TEST(Config, EveryProblemIsReportedAtOnce) {
  auto c = load({{"PDS_URL", "nope://x"}, {"ACID_MAX_ATTEMPTS", "1000"}, {"ACID_STORE", "x:y"}});
  ASSERT_EQ(c.code(), Code::config);
  const Error &e = c.error();
  for (const char *v : {"PDS_URL", "ACID_MAX_ATTEMPTS", "ACID_STORE"}) {
    EXPECT_NE(e.message.find(v), std::string::npos) << e.message;
  }
  auto detail = json::parse(e.detail_json);
  ASSERT_TRUE(detail.is_ok());
  const auto *vars = json::get_array(*detail, "variables");
  ASSERT_NE(vars, nullptr);
  EXPECT_EQ(vars->Size(), 3u);
}

TEST(Config, AcceptedValues) {
  struct Good {
    Vars vars;
    std::function<void(const Config &)> check;
  };
  const std::vector<Good> goods = {
      {{{"ACID_ALLOW_PLAINTEXT_CREDENTIALS", "1"}},
       [](const Config &c) { EXPECT_TRUE(c.allow_plaintext_credentials); }},
      {{{"ACID_ALLOW_PLAINTEXT_CREDENTIALS", "true"}},
       [](const Config &c) { EXPECT_TRUE(c.allow_plaintext_credentials); }},
      {{{"ACID_ALLOW_PLAINTEXT_CREDENTIALS", "0"}},
       [](const Config &c) { EXPECT_FALSE(c.allow_plaintext_credentials); }},
      {{{"ACID_MAX_ATTEMPTS", "1"}}, [](const Config &c) { EXPECT_EQ(c.max_attempts, 1); }},
      {{{"ACID_MAX_ATTEMPTS", "100"}}, [](const Config &c) { EXPECT_EQ(c.max_attempts, 100); }},
      {{}, [](const Config &c) { EXPECT_EQ(c.job_lease_ms, 120'000); }},
      {{{"ACID_JOB_LEASE_MS", "1000"}}, [](const Config &c) { EXPECT_EQ(c.job_lease_ms, 1000); }},
      {{{"ACID_JOB_LEASE_MS", "2147483647"}},
       [](const Config &c) { EXPECT_EQ(c.job_lease_ms, 2'147'483'647); }},
      {{{"ACID_DAEMON_LISTEN", "0.0.0.0:8080"}},
       [](const Config &c) {
         EXPECT_EQ(c.daemon_host, "0.0.0.0");
         EXPECT_EQ(c.daemon_port, 8080);
       }},
      {{{"ACID_DAEMON_LISTEN", "localhost:65535"}},
       [](const Config &c) {
         EXPECT_EQ(c.daemon_host, "localhost");
         EXPECT_EQ(c.daemon_port, 65535);
       }},
      {{{"ACID_STORE", "sqlite://tmp/x.db?sync=normal"}},
       [](const Config &c) { EXPECT_EQ(c.store_uri, "sqlite://tmp/x.db?sync=normal"); }},
      {{{"ACID_STORE", "mongodb+srv://u:p@cluster0.example.net/aesthetic"}},
       [](const Config &c) {
         EXPECT_EQ(c.store_uri, "mongodb+srv://u:p@cluster0.example.net/aesthetic");
       }},
      // A mongodb ACID_STORE without a database: Config names it in the URI (the store reads no
      // environment), ACID_MONGODB_DB before MONGODB_NAME, keeping the authentication database.
      {{{"ACID_STORE", "mongodb://127.0.0.1:27017/"}, {"MONGODB_NAME", "aesthetic"}},
       [](const Config &c) { EXPECT_EQ(c.store_uri, "mongodb://127.0.0.1:27017/aesthetic"); }},
      {{{"ACID_STORE", "mongodb://u:p@h"},
        {"ACID_MONGODB_DB", "acid"},
        {"MONGODB_NAME", "aesthetic"}},
       [](const Config &c) { EXPECT_EQ(c.store_uri, "mongodb://u:p@h/acid?authSource=admin"); }},
      {{{"ACID_STORE", "mongodb://h"}},
       [](const Config &c) { EXPECT_EQ(c.store_uri, "mongodb://h"); }},
      {{{"PDS_URL", "HTTP://127.0.0.1:2583"}},
       [](const Config &c) {
         EXPECT_EQ(c.pds_url, std::optional<std::string>("HTTP://127.0.0.1:2583"));
       }},
      {{{"PDS_URL", "https://[2001:db8::1]:8443/pds//"}},
       [](const Config &c) {
         EXPECT_EQ(c.pds_url, std::optional<std::string>("https://[2001:db8::1]:8443/pds"));
       }},
      {{{"ACID_PDS_HANDLE_DOMAIN", "x-1.example.social"}},
       [](const Config &c) { EXPECT_EQ(c.pds_handle_domain, "x-1.example.social"); }},
  };
  for (const Good &g : goods) {
    auto c = load(g.vars);
    ASSERT_TRUE(c.is_ok()) << g.vars.begin()->first << ": " << c.error().message;
    g.check(*c);
  }
}

// The note about the deployed pair says what is really used: a pathless mongodb ACID_STORE takes
// its database from MONGODB_NAME, so only the connection string is ignored then.
TEST(Config, TheNoteOnTheDeployedPairNamesWhatIsIgnored) {
  auto pathless = load({{"ACID_STORE", "mongodb://127.0.0.1:27017/"},
                        {"MONGODB_CONNECTION_STRING", "mongodb://elsewhere/"},
                        {"MONGODB_NAME", "aesthetic"}});
  ASSERT_TRUE(pathless.is_ok()) << pathless.error().message;
  EXPECT_EQ(pathless->store_uri, "mongodb://127.0.0.1:27017/aesthetic");
  EXPECT_TRUE(has_warning(*pathless, "MONGODB_CONNECTION_STRING is ignored (MONGODB_NAME names"));
  EXPECT_FALSE(has_warning(*pathless, "MONGODB_NAME are ignored"));

  auto named = load({{"ACID_STORE", "mongodb://127.0.0.1:27017/acid"},
                     {"MONGODB_CONNECTION_STRING", "mongodb://elsewhere/"},
                     {"MONGODB_NAME", "aesthetic"}});
  ASSERT_TRUE(named.is_ok()) << named.error().message;
  EXPECT_TRUE(has_warning(*named, "MONGODB_CONNECTION_STRING and MONGODB_NAME are ignored"));

  auto own_db = load({{"ACID_STORE", "mongodb://127.0.0.1:27017/"},
                      {"ACID_MONGODB_DB", "acid"},
                      {"MONGODB_CONNECTION_STRING", "mongodb://elsewhere/"},
                      {"MONGODB_NAME", "aesthetic"}});
  ASSERT_TRUE(own_db.is_ok()) << own_db.error().message;
  EXPECT_EQ(own_db->store_uri, "mongodb://127.0.0.1:27017/acid");
  EXPECT_TRUE(has_warning(*own_db, "MONGODB_CONNECTION_STRING and MONGODB_NAME are ignored"));
}

TEST(Config, DeployedMongoVariablesBecomeAStoreUri) {
  auto c = load({{"MONGODB_CONNECTION_STRING",
                  "mongodb+srv://u:p%40ss@cluster0.example.net/?retryWrites=true&w=majority"},
                 {"MONGODB_NAME", "aesthetic"}});
  ASSERT_TRUE(c.is_ok()) << c.error().message;
  EXPECT_EQ(c->store_uri,
            "mongodb+srv://u:p%40ss@cluster0.example.net/aesthetic?retryWrites=true&w=majority"
            "&authSource=admin");

  struct Case {
    const char *in;
    const char *out;
  };
  for (const Case &k : std::vector<Case>{
           {"mongodb://u:p@h1:27017,h2:27017/authdb?replicaSet=rs0",
            "mongodb://u:p@h1:27017,h2:27017/aesthetic?replicaSet=rs0&authSource=authdb"},
           {"mongodb://u:p@h1", "mongodb://u:p@h1/aesthetic?authSource=admin"},
           {"mongodb://localhost:27017", "mongodb://localhost:27017/aesthetic"},
           {"mongodb://localhost:27017/", "mongodb://localhost:27017/aesthetic"},
           {"mongodb://localhost/other?tls=true", "mongodb://localhost/aesthetic?tls=true"},
           {"mongodb://u:p@h/db?authSource=users", "mongodb://u:p@h/aesthetic?authSource=users"},
           {"mongodb://u:p@h/?AUTHSOURCE=x", "mongodb://u:p@h/aesthetic?AUTHSOURCE=x"},
           {"mongodb://CN%3Dme@h/?authMechanism=MONGODB-X509",
            "mongodb://CN%3Dme@h/aesthetic?authMechanism=MONGODB-X509"},
       }) {
    auto uri = mongodb_store_uri(k.in, "aesthetic");
    ASSERT_TRUE(uri.is_ok()) << k.in << ": " << uri.error().message;
    EXPECT_EQ(*uri, k.out) << k.in;
  }

  auto ignored = load({{"MONGODB_NAME", "aesthetic"}});
  ASSERT_TRUE(ignored.is_ok());
  EXPECT_EQ(ignored->store_uri, "sqlite:acidentity.db");
  EXPECT_TRUE(has_warning(*ignored, "MONGODB_NAME is set without MONGODB_CONNECTION_STRING"));
}

// On Lambda (Netlify Functions) the default sqlite:acidentity.db would land in the read-only
// /var/task: no store configured there is a configuration error naming what to set. (A working
// folder on a read-only mount is the same error: tests/node/netlify_bundle.sh runs the bundled
// function in one.)
TEST(Config, NoStoreOnLambdaNamesWhatToSet) {
  auto c = load({{"AWS_LAMBDA_FUNCTION_NAME", "auth0-events"}, {"MONGODB_NAME", "aesthetic"}});
  ASSERT_FALSE(c.is_ok());
  ASSERT_EQ(c.code(), Code::config);
  const Error &e = c.error();
  EXPECT_EQ(e.message.rfind("ACID_STORE:", 0), 0u) << e.message;
  for (const char *name : {"MONGODB_CONNECTION_STRING", "MONGODB_NAME", "ACID_STORE", "Lambda"}) {
    EXPECT_NE(e.message.find(name), std::string::npos) << name << " not in: " << e.message;
  }
  EXPECT_NE(e.detail_json.find("\"ACID_STORE\""), std::string::npos) << e.detail_json;

  // A configured store is used as given, an explicit /tmp file included.
  auto sqlite =
      load({{"AWS_LAMBDA_FUNCTION_NAME", "auth0-events"}, {"ACID_STORE", "sqlite:/tmp/a.db"}});
  ASSERT_TRUE(sqlite.is_ok()) << sqlite.error().message;
  EXPECT_EQ(sqlite->store_uri, "sqlite:/tmp/a.db");
  auto mongo = load({{"AWS_LAMBDA_FUNCTION_NAME", "auth0-events"},
                     {"MONGODB_CONNECTION_STRING", "mongodb://db.example.net"},
                     {"MONGODB_NAME", "aesthetic"}});
  ASSERT_TRUE(mongo.is_ok()) << mongo.error().message;
  EXPECT_EQ(mongo->store_uri, "mongodb://db.example.net/aesthetic");
  // An empty name is unset, as for every variable.
  EXPECT_TRUE(load({{"AWS_LAMBDA_FUNCTION_NAME", ""}}).is_ok());
}

TEST(Config, Warnings) {
  auto plain = load({{"ACID_ALLOW_PLAINTEXT_CREDENTIALS", "1"}});
  ASSERT_TRUE(plain.is_ok());
  EXPECT_TRUE(has_warning(*plain, "stored in plaintext"));
  EXPECT_TRUE(plain->require_credentials().is_ok());

  auto both = load(
      {{"ACID_ALLOW_PLAINTEXT_CREDENTIALS", "true"}, {"ACID_CREDENTIALS_KEY", random_key_b64()}});
  ASSERT_TRUE(both.is_ok());
  EXPECT_TRUE(has_warning(*both, "has no effect"));
  EXPECT_FALSE(has_warning(*both, "stored in plaintext"));

  auto keyed = load({{"ACID_CREDENTIALS_KEY", random_key_b64()}});
  ASSERT_TRUE(keyed.is_ok());
  EXPECT_FALSE(has_warning(*keyed, "ACID_ALLOW_PLAINTEXT_CREDENTIALS"));
  EXPECT_TRUE(keyed->require_credentials().is_ok());

  auto remote_http = load({{"PDS_URL", "http://pds.example.com"}});
  ASSERT_TRUE(remote_http.is_ok());
  EXPECT_TRUE(has_warning(*remote_http, "unencrypted"));
  auto local_http = load({{"PDS_URL", "http://127.0.0.1:2583"}});
  ASSERT_TRUE(local_http.is_ok());
  EXPECT_FALSE(has_warning(*local_http, "unencrypted"));

  auto misnamed = load({{"AUTH0_M2M_CLIENTID", "x"}, {"AUTH0_M2M_CLIENT_SECRET", "y-secret"}});
  ASSERT_TRUE(misnamed.is_ok());
  EXPECT_TRUE(has_warning(*misnamed, "AUTH0_M2M_CLIENTID is set but not read"));
  EXPECT_TRUE(has_warning(*misnamed, "AUTH0_M2M_CLIENT_SECRET is set but not read"));
  EXPECT_FALSE(has_warning(*misnamed, "y-secret"));

  auto one_tenant = load({{"AUTH0_LOG_TOKEN", "t"}, {"ACID_HANDLE_CHANGED_TOKEN", "h"}});
  ASSERT_TRUE(one_tenant.is_ok());
  EXPECT_FALSE(has_warning(*one_tenant,
                           "AUTH0_LOG_TOKEN is not set: Auth0 log-stream requests "
                           "for the aesthetic"));
  EXPECT_TRUE(has_warning(*one_tenant, "SOTCE_AUTH0_LOG_TOKEN is not set"));
  EXPECT_FALSE(has_warning(*one_tenant, "ACID_HANDLE_CHANGED_TOKEN"));
}

TEST(Config, ProcessEnvironment) {
  ASSERT_EQ(setenv("ACID_MAX_ATTEMPTS", "42", 1), 0);
  ASSERT_EQ(setenv("ACID_PDS_HANDLE_DOMAIN", "pds.process-env.test", 1), 0);
  auto c = Config::from_env(process_env());
  unsetenv("ACID_MAX_ATTEMPTS");
  unsetenv("ACID_PDS_HANDLE_DOMAIN");
  ASSERT_TRUE(c.is_ok()) << c.error().message;
  EXPECT_EQ(c->max_attempts, 42);
  EXPECT_EQ(c->pds_handle_domain, "pds.process-env.test");
  EXPECT_EQ(process_env()("ACID_MAX_ATTEMPTS"), std::nullopt);
}

TEST(Config, Validators) {
  EXPECT_TRUE(valid_http_url("https://aesthetic.us.auth0.com"));
  EXPECT_TRUE(valid_http_url("http://localhost:2583/"));
  EXPECT_FALSE(valid_http_url("https://a@b.com"));
  EXPECT_FALSE(valid_http_url("file:///etc/passwd"));
  EXPECT_TRUE(valid_handle_domain("at.aesthetic.computer"));
  EXPECT_FALSE(valid_handle_domain("localhost"));
  EXPECT_FALSE(valid_handle_domain(std::string(64, 'a') + ".com"));
  EXPECT_TRUE(valid_handle_domain(std::string(63, 'a') + ".com"));
  EXPECT_EQ(tenant_name(Tenant::aesthetic), "aesthetic");
  EXPECT_EQ(tenant_name(Tenant::sotce), "sotce");
}

TEST(Redact, ReplacesEveryOccurrence) {
  EXPECT_EQ(redact("password=hunter2 token=abc123 again hunter2", {"hunter2", "abc123"}),
            "password=[redacted] token=[redacted] again [redacted]");
  EXPECT_EQ(redact("nothing here", {"hunter2"}), "nothing here");
  EXPECT_EQ(redact("abc", {""}), "abc");
  EXPECT_EQ(redact("", {"x"}), "");
  EXPECT_EQ(redact("aaaa", {"aa"}), "[redacted]");
}

TEST(Redact, OverlappingSecretsLeaveNothingBehind) {
  EXPECT_EQ(redact("xabcdx", {"abc", "bcd"}), "x[redacted]x");
  EXPECT_EQ(redact("x-longsecret-x", {"secret", "longsecret"}), "x-[redacted]-x");
  EXPECT_EQ(redact("s1s2", {"s1", "s2"}), "[redacted]");
}

TEST(Redact, EscapedAndEncodedForms) {
  const std::string secret = "pa\"ss\\w@rd /x";
  const std::string json_line = "{\"password\":" + json::quote(secret) + "}";
  EXPECT_EQ(json_line.find(secret), std::string::npos);  // the raw form is not in the line
  EXPECT_TRUE(contains_secret(json_line, {secret}));
  EXPECT_EQ(redact(json_line, {secret}), "{\"password\":\"[redacted]\"}");

  EXPECT_EQ(redact("uri=mongodb://u:pa%40ss%20w@h", {"pa@ss w"}), "uri=mongodb://u:[redacted]@h");
  EXPECT_EQ(redact("uri=mongodb://u:pa%2fss@h", {"pa/ss"}), "uri=mongodb://u:[redacted]@h");
  EXPECT_FALSE(contains_secret("all clear", {"pa@ss w", "", "x1"}));
  EXPECT_FALSE(contains_secret("anything", {""}));
}

TEST(Redact, UriCredentials) {
  struct Case {
    const char *in;
    const char *out;
  };
  for (const Case &k : std::vector<Case>{
           {"mongodb://user:pass@host/db", "mongodb://user:[redacted]@host/db"},
           {"mongodb+srv://u:p%40ss@c.example.net/?w=majority",
            "mongodb+srv://u:[redacted]@c.example.net/?w=majority"},
           {"https://token@host/x", "https://[redacted]@host/x"},
           {"https://host/path?email=a@b.com", "https://host/path?email=a@b.com"},
           {"http://host:8080/p?e=a@b", "http://host:8080/p?e=a@b"},
           {"http://[::1]:8080/p?e=a@b", "http://[::1]:8080/p?e=a@b"},
           {"failed: mongodb://u:pa/ss@h1:27017/db: timeout",
            "failed: mongodb://u:[redacted]@h1:27017/db: timeout"},
           {"mongodb://u:p?ss@h1/db", "mongodb://u:[redacted]@h1/db"},
           {"a mongodb://a:one@h1 and \"https://b:two@h2/\" end",
            "a mongodb://a:[redacted]@h1 and \"https://b:[redacted]@h2/\" end"},
           {"mongodb://user:@host", "mongodb://user:@host"},
           {"mongodb://h1,h2/db", "mongodb://h1,h2/db"},
           {"no uri here", "no uri here"},
           {"://", "://"},
           {"x://@host", "x://@host"},
           {"mongodb://u:p@ss@host/db", "mongodb://u:[redacted]@host/db"},
       }) {
    EXPECT_EQ(redact_uri_credentials(k.in), k.out) << k.in;
  }
}

}  // namespace
}  // namespace acid
