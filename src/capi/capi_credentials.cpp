// extern "C" entry points for PDS credentials: a person's credentials and cached PDS
// sessions for the rest of aesthetic.computer, and sealing stored passwords on purpose.
#include <mutex>
#include <string>

#include "acidentity/acidentity.h"
#include "capi/client.h"
#include "capi/guard.h"
#include "provision/credentials.h"
#include "provision/sealing.h"

namespace {

using acid::Result;
using acid::capi::answer;
using acid::capi::require;

acid::Result<acid::provision::PdsSessions *> sessions_of(acid_client &client) {
  std::lock_guard lock(client.sessions_mutex);
  if (!client.sessions) {
    ACID_ASSIGN_OR_RETURN(client.sessions, acid::provision::PdsSessions::create(
                                               client.engine->store(), client.engine->config()));
  }
  return client.sessions.get();
}

}  // namespace

extern "C" {

ACID_EXTERN int acid_pds_credentials(acid_client *client, const char *sub,
                                     char **credentials_json) {
  return answer(__func__, client != nullptr && sub != nullptr && credentials_json != nullptr,
                "acid_pds_credentials: client, sub and credentials_json are required",
                credentials_json, [&]() -> Result<std::string> {
                  ACID_ASSIGN_OR_RETURN(auto credentials, acid::provision::pds_credentials(
                                                              client->engine->store(),
                                                              client->engine->config(), sub));
                  return acid::provision::to_json(credentials);
                });
}

ACID_EXTERN int acid_pds_session(acid_client *client, const char *sub, char **session_json) {
  return answer(__func__, client != nullptr && sub != nullptr && session_json != nullptr,
                "acid_pds_session: client, sub and session_json are required", session_json,
                [&]() -> Result<std::string> {
                  ACID_TRY(require(*sub != '\0', "acid_pds_session: sub is empty"));
                  ACID_ASSIGN_OR_RETURN(auto *sessions, sessions_of(*client));
                  ACID_ASSIGN_OR_RETURN(auto session, sessions->session(sub));
                  return acid::provision::session_json(session, sessions->service());
                });
}

ACID_EXTERN int acid_credentials_status(acid_client *client, char **status_json) {
  return answer(__func__, client != nullptr && status_json != nullptr,
                "acid_credentials_status: client and status_json are required", status_json,
                [&]() -> Result<std::string> {
                  const acid::Config &config = client->engine->config();
                  ACID_ASSIGN_OR_RETURN(auto counts, acid::provision::credentials_counts(
                                                         client->engine->store(), config));
                  return acid::provision::to_json(counts, config);
                });
}

ACID_EXTERN int acid_credentials_seal(acid_client *client, const char *options_json,
                                      char **report_json) {
  return answer(__func__, client != nullptr && options_json != nullptr && report_json != nullptr,
                "acid_credentials_seal: client, options_json and report_json are required",
                report_json, [&]() -> Result<std::string> {
                  auto options = acid::provision::parse_seal_options(options_json);
                  if (!options) return std::move(options).error().context("acid_credentials_seal");
                  auto &store = client->engine->store();
                  return acid::provision::seal_credentials(store, store, client->engine->config(),
                                                           *options);
                });
}

}  // extern "C"
