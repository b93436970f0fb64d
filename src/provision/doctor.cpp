// `acidentity doctor`: checks the set-up the way the deployed check-auth0-webhook-config script
// tried to, and the store's schema/indexes. Reports which variables are set (never values).
#include "provision/doctor.h"

#include "auth0/management.h"
#include "core/json.h"
#include "pds/pds_error.h"
#include "pds/xrpc_client.h"
#include "store/mongo/mongo_store.h"
#include "store/store.h"

namespace acid::provision {

namespace {

struct Check {
  std::string name;
  std::string status;  // "ok", "warn", "fail", "skip"
  std::string message;
  std::string detail_json;  // raw JSON or empty
};

void check_pds(const Config &config, std::vector<Check> &out) {
  if (!config.require_pds()) {
    out.push_back({"pds", "fail", config.require_pds().error().message, ""});
    return;
  }
  pds::ClientOptions o;
  o.base_url = *config.pds_url;
  o.admin_password = *config.pds_admin_password;
  o.retry.max_attempts = 1;
  auto client = pds::XrpcClient::create(o);
  if (!client) {
    out.push_back({"pds", "fail", client.error().message, ""});
    return;
  }
  auto desc = (*client)->describe_server();
  if (!desc) {
    out.push_back({"pds", "fail", "describeServer: " + desc.error().message, ""});
    return;
  }
  out.push_back({"pds", "ok", "describeServer answered (" + desc->did + ")", ""});
  out.push_back({"pds.invites", "ok",
                 desc->invite_code_required ? "invite codes are required (the library creates them)"
                                            : "invite codes are not required (none will be sent)",
                 ""});
  bool domain_served = false;
  for (const auto &d : desc->available_user_domains) {
    domain_served = domain_served || d == "." + config.pds_handle_domain;
  }
  out.push_back({"pds.handle_domain", domain_served ? "ok" : "fail",
                 domain_served ? "the PDS serves ." + config.pds_handle_domain
                               : "the PDS does not serve ." + config.pds_handle_domain +
                                     " (ACID_PDS_HANDLE_DOMAIN)",
                 ""});
  // An admin call on a DID that cannot exist: NotFound proves the password is accepted.
  auto info = (*client)->get_account_info("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa");
  const auto kind = info ? pds::ErrorKind::unknown : pds::kind_of(info.error());
  if (info || kind == pds::ErrorKind::account_not_found) {
    out.push_back({"pds.admin_password", "ok", "PDS_ADMIN_PASSWORD is accepted", ""});
  } else if (kind == pds::ErrorKind::auth_failed) {
    out.push_back({"pds.admin_password", "fail", "the PDS refuses PDS_ADMIN_PASSWORD", ""});
  } else {
    out.push_back({"pds.admin_password", "fail", info.error().message, ""});
  }
}

void check_auth0(const Config &config, Tenant t, std::vector<Check> &out) {
  const std::string name = "auth0." + std::string(tenant_name(t));
  const Auth0TenantConfig &tc = config.tenant(t);
  out.push_back({name + ".webhook_token", tc.log_token ? "ok" : "fail",
                 tc.log_token ? "webhook token set"
                              : std::string(t == Tenant::sotce ? "SOTCE_" : "") +
                                    "AUTH0_LOG_TOKEN is not set: its webhook refuses every request",
                 ""});
  if (!config.require_auth0_m2m(t)) {
    out.push_back(
        {name + ".management_api", "warn", "no M2M client: emails come from the events only", ""});
    return;
  }
  auth0::ManagementConfig mc;
  mc.base_url = tc.base_url;
  mc.client_id = *tc.m2m_client_id;
  mc.client_secret = *tc.m2m_secret;
  mc.max_attempts = 1;
  mc.client_id_variable = t == Tenant::sotce ? "SOTCE_AUTH0_M2M_CLIENT_ID" : "AUTH0_M2M_CLIENT_ID";
  auto client = auth0::ManagementClient::create(std::move(mc));
  Status st = client ? (*client)->warm_up() : Status(client.error());
  out.push_back({name + ".management_api", st ? "ok" : "fail",
                 st ? "the token endpoint accepts the M2M client" : st.error().message, ""});
}

}  // namespace

Result<DoctorReport> run_doctor(const EnvLookup &env, bool fix) {
  std::vector<Check> checks;
  auto config = Config::from_env(env);
  if (!config) {
    checks.push_back({"config", "fail", config.error().message, config.error().detail_json});
  } else {
    checks.push_back({"config", "ok", "configuration is well formed", config->describe_json()});
    for (const auto &w : config->warnings()) checks.push_back({"config.warning", "warn", w, ""});

    // Store: schema (sqlite) or indexes (mongodb).
    const std::string &uri = config->store_uri;
    if (uri.rfind("mongodb", 0) == 0) {
      auto report = store::mongo_doctor(uri, fix);
      if (!report) {
        checks.push_back({"store", "fail", report.error().message, ""});
      } else {
        // "ready":false = an index is conflicting or cannot be built (the store still opens
        // unless that index is required; docs/mongodb.md): a failure until the data is fixed.
        const bool problems = report->find("\"ready\":true") == std::string::npos;
        checks.push_back({"store", problems ? "fail" : "ok",
                          problems ? "indexes missing or conflicting (see detail for each fix)"
                                   : "indexes as expected",
                          *report});
      }
    } else {
      auto store = store::open_store(uri);
      checks.push_back(
          {"store", store ? "ok" : "fail",
           store ? "the embedded store opens and its schema is current" : store.error().message,
           ""});
    }

    const bool key = config->credentials_key.has_value();
    checks.push_back(
        {"credentials_key", key ? "ok" : (config->allow_plaintext_credentials ? "warn" : "fail"),
         key ? "ACID_CREDENTIALS_KEY is valid (" + config->credentials_key->describe() + ")"
             : (config->allow_plaintext_credentials
                    ? "no key: passwords are stored in plaintext (compatibility mode)"
                    : "no ACID_CREDENTIALS_KEY: PDS passwords cannot be stored"),
         ""});
    check_pds(*config, checks);
    check_auth0(*config, Tenant::aesthetic, checks);
    check_auth0(*config, Tenant::sotce, checks);
  }

  DoctorReport report;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("checks");
  w.StartArray();
  bool ok = true;
  for (const auto &c : checks) {
    ok = ok && c.status != "fail";
    w.StartObject();
    json::member(w, "name", c.name);
    json::member(w, "status", c.status);
    json::member(w, "message", c.message);
    if (!c.detail_json.empty()) {
      w.Key("detail");
      w.RawValue(c.detail_json.data(), c.detail_json.size(), rapidjson::kObjectType);
    }
    w.EndObject();
  }
  w.EndArray();
  json::member(w, "ok", ok);
  w.EndObject();
  report.ok = ok;
  report.json.assign(buf.GetString(), buf.GetSize());
  return report;
}

}  // namespace acid::provision
