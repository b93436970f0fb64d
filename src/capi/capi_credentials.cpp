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

using acid::Status;
using acid::capi::guard;
using acid::capi::require;

acid::Result<acid::provision::PdsSessions *> sessions_of(acid_client &client) {
  std::lock_guard lock(client.sessions_mutex);
  if (!client.sessions) {
    auto made =
        acid::provision::PdsSessions::create(client.engine->store(), client.engine->config());
    if (!made) return std::move(made).error();
    client.sessions = std::move(*made);
  }
  return client.sessions.get();
}

}  // namespace

extern "C" {

ACID_EXTERN int acid_pds_credentials(acid_client *client, const char *sub,
                                     char **credentials_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr && sub != nullptr && credentials_json != nullptr,
                     "acid_pds_credentials: client, sub and credentials_json are required"));
    *credentials_json = nullptr;
    auto credentials =
        acid::provision::pds_credentials(client->engine->store(), client->engine->config(), sub);
    if (!credentials) return std::move(credentials).error();
    return acid::capi::hand_out(acid::provision::to_json(*credentials), credentials_json);
  });
}

ACID_EXTERN int acid_pds_session(acid_client *client, const char *sub, char **session_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr && sub != nullptr && session_json != nullptr,
                     "acid_pds_session: client, sub and session_json are required"));
    *session_json = nullptr;
    ACID_TRY(require(*sub != '\0', "acid_pds_session: sub is empty"));
    auto sessions = sessions_of(*client);
    if (!sessions) return std::move(sessions).error();
    auto session = (*sessions)->session(sub);
    if (!session) return std::move(session).error();
    return acid::capi::hand_out(acid::provision::session_json(*session, (*sessions)->service()),
                                session_json);
  });
}

ACID_EXTERN int acid_credentials_status(acid_client *client, char **status_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr && status_json != nullptr,
                     "acid_credentials_status: client and status_json are required"));
    *status_json = nullptr;
    const acid::Config &config = client->engine->config();
    auto counts = acid::provision::credentials_counts(client->engine->store(), config);
    if (!counts) return std::move(counts).error();
    return acid::capi::hand_out(acid::provision::to_json(*counts, config), status_json);
  });
}

ACID_EXTERN int acid_credentials_seal(acid_client *client, const char *options_json,
                                      char **report_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr && options_json != nullptr && report_json != nullptr,
                     "acid_credentials_seal: client, options_json and report_json are required"));
    *report_json = nullptr;
    auto options = acid::provision::parse_seal_options(options_json);
    if (!options) return std::move(options).error().context("acid_credentials_seal");
    auto report = acid::provision::seal_credentials(client->engine->store(),
                                                    client->engine->config(), *options);
    if (!report) return std::move(report).error();
    return acid::capi::hand_out(*report, report_json);
  });
}

}  // extern "C"
