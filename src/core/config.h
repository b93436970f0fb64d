// Configuration from the environment, with the deployed system's variable names where they
// exist (see ARCHITECTURE.md "Configuration").
//
//   ACID_STORE                         store URI; default "sqlite:acidentity.db"
//   MONGODB_CONNECTION_STRING,         the deployed names, used when ACID_STORE is not set: the
//   MONGODB_NAME                       store URI becomes the connection string with MONGODB_NAME
//                                      as its database (see mongodb_store_uri())
//   PDS_URL, PDS_ADMIN_PASSWORD        the PDS (http or https base URL) and its admin password
//   ACID_PDS_HANDLE_DOMAIN             default "at.aesthetic.computer"
//   AUTH0_LOG_TOKEN                    webhook token of the aesthetic tenant's log stream
//   SOTCE_AUTH0_LOG_TOKEN              the same for the sotce tenant
//   ACID_AUTH0_BASE_URL                default "https://aesthetic.us.auth0.com"
//   ACID_SOTCE_AUTH0_BASE_URL          default "https://sotce.us.auth0.com"
//   AUTH0_M2M_CLIENT_ID, AUTH0_M2M_SECRET                  Management API client (both or none)
//   SOTCE_AUTH0_M2M_CLIENT_ID, SOTCE_AUTH0_M2M_SECRET      the same for sotce
//   ACID_CREDENTIALS_KEY               key ring sealing stored PDS passwords (core/seal.h)
//   ACID_ALLOW_PLAINTEXT_CREDENTIALS   "1"/"true" or "0"/"false" (default): without a key,
//                                      store passwords unsealed instead of refusing. With a key,
//                                      passwords are always sealed.
//   ACID_MAX_ATTEMPTS                  attempts of a provisioning job, 1..100, default 8
//   ACID_JOB_LEASE_MS                  a job's lease without renewal, 1000..2147483647 ms,
//                                      default 120000
//   ACID_DAEMON_LISTEN                 HOST:PORT, default "127.0.0.1:8787" ([v6]:PORT accepted)
//   ACID_HANDLE_CHANGED_TOKEN          token of the handle-changed notification endpoint
//   ACID_SERVICE_ACCOUNTS              ids and DIDs of users documents that are not people,
//                                      comma-separated (core/service_accounts.h); art-guest
//                                      and any id that is not an Auth0 user id need no entry
//   ACID_MEDIA_BASE_URL                where painting images are served, default
//                                      "https://aesthetic.computer/media" (the deployed
//                                      track-media.mjs: <base>/paintings/<code>.png)
//
// An empty value counts as unset. A value holding control characters (a stray newline from a
// .env file) is malformed. Errors are Code::config; their message names the variable and never
// contains its value (values may be secrets), and detail_json is {"variables":[...]}. Every
// problem found is reported at once, joined by "; ".
//
// Nothing is required at load time: the CLI's code commands run with an empty environment. Use
// the require_*() checks for what an operation needs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/seal.h"
#include "core/service_accounts.h"
#include "core/status.h"
#include "core/tenant.h"

namespace acid {

// Looks a variable up; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The process environment (std::getenv).
EnvLookup process_env();

// A fixed environment, for tests and embedders that configure the library themselves.
EnvLookup env_from_map(std::map<std::string, std::string, std::less<>> vars);

struct Auth0TenantConfig {
  std::string base_url;  // http(s), no trailing slash
  std::optional<std::string> log_token;
  std::optional<std::string> m2m_client_id;
  std::optional<std::string> m2m_secret;
};

class Config {
 public:
  std::string store_uri = "sqlite:acidentity.db";
  std::optional<std::string> pds_url;  // no trailing slash
  std::optional<std::string> pds_admin_password;
  std::string pds_handle_domain = "at.aesthetic.computer";
  Auth0TenantConfig aesthetic{"https://aesthetic.us.auth0.com", {}, {}, {}};
  Auth0TenantConfig sotce{"https://sotce.us.auth0.com", {}, {}, {}};
  std::optional<seal::KeyRing> credentials_key;
  bool allow_plaintext_credentials = false;
  int max_attempts = 8;
  std::int64_t job_lease_ms = 120'000;
  std::string daemon_host = "127.0.0.1";  // IPv6 without brackets
  std::uint16_t daemon_port = 8787;
  std::optional<std::string> handle_changed_token;
  ServiceAccounts service_accounts;
  std::string media_base_url = "https://aesthetic.computer/media";  // no trailing slash

  // Every variable this class reads, in the order describe_json() lists them.
  static std::span<const std::string_view> variable_names();

  static Result<Config> from_env(const EnvLookup &env);

  const Auth0TenantConfig &tenant(Tenant t) const { return t == Tenant::sotce ? sotce : aesthetic; }

  // What an operation needs; Code::config naming the missing variable(s).
  Status require_pds() const;          // PDS_URL and PDS_ADMIN_PASSWORD
  Status require_credentials() const;  // ACID_CREDENTIALS_KEY, or plaintext explicitly allowed
  Status require_auth0_m2m(Tenant t) const;

  // Startup warnings for an operator (each one line, no values).
  std::vector<std::string> warnings() const;

  // {"ACID_STORE":false,"PDS_URL":true,...}: which variables were set, never their values.
  std::string describe_json() const;

  // The secret values held (passwords, tokens, M2M secrets), for redact(). Store URIs are
  // covered by redact_uri_credentials() instead; key bytes are not kept as text.
  std::vector<std::string> secrets() const;

 private:
  std::map<std::string, bool, std::less<>> set_;  // variable -> was set
  std::vector<std::string> load_notes_;           // warnings found while loading
};

// The store URI for the deployed pair MONGODB_CONNECTION_STRING + MONGODB_NAME: the
// connection string with its database path replaced by `db_name`. The deployed code connected
// with the connection string and then used client.db(MONGODB_NAME), so the database that
// authenticated was the one in the connection string's path (or "admin"); to keep that, when
// the string has credentials and names neither authSource nor authMechanism,
// "authSource=<old path database or admin>" is added. Code::config (naming the variables) for a
// string that is not mongodb:// or mongodb+srv://, or an invalid database name.
Result<std::string> mongodb_store_uri(std::string_view connection_string, std::string_view db_name);

// Validators shared with callers that take the same kinds of values from elsewhere.
bool valid_http_url(std::string_view url);     // http(s)://host[:port][/path], no userinfo
bool valid_handle_domain(std::string_view d);  // lowercase DNS labels, 2+ labels, no dots at ends

}  // namespace acid
