// extern "C" entry points for HTTP servers in front of the library (the daemon): the body
// limit, the early authorization check, the shared log path, the configured listen address.
#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "acidentity/acidentity.h"
#include "auth0/log_stream.h"
#include "capi/client.h"
#include "capi/guard.h"
#include "core/json.h"

namespace acid::capi {

namespace {

bool is_json_object_text(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  return !doc.HasParseError() && doc.IsObject();
}

}  // namespace

std::string redacted_line(const Redactor &redactor, std::string_view line) {
  std::string out = redactor(line);
  if (out == line || is_json_object_text(out)) return out;
  // A secret overlapping the JSON syntax itself (a token such as `":"`): the line is replaced
  // whole rather than written broken, by the first stand-in that holds no secret either.
  for (const std::string_view stand_in :
       {R"({"event":"log.unprintable","reason":"redaction broke the JSON"})",
        R"({ "event" : "log.unprintable" , "reason" : "redaction broke the JSON" })", "{}"}) {
    if (redactor(stand_in) == stand_in) return std::string(stand_in);
  }
  return std::string();  // nothing printable: the caller writes no line
}

}  // namespace acid::capi

using acid::Error;
using acid::Status;
using acid::capi::guard;
using acid::capi::require;

extern "C" {

ACID_EXTERN size_t acid_webhook_max_body_bytes(void) {
  return acid::auth0::kMaxLogStreamBodyBytes;
}

ACID_EXTERN int acid_request_authorize(acid_client *client, const char *route,
                                       const char *authorization, int *http_status,
                                       char **response_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(
        client != nullptr && route != nullptr && http_status != nullptr && response_json != nullptr,
        "acid_request_authorize: client, route, http_status and response_json are "
        "required"));
    *http_status = 0;
    *response_json = nullptr;
    const std::string_view name(route);
    const acid::Config &config = client->engine->config();
    std::optional<std::string_view> auth;
    if (authorization != nullptr) auth = authorization;
    std::optional<std::string_view> token;
    acid::provision::HttpAnswer refusal;
    if (name == "handle-changed") {
      if (config.handle_changed_token) token = *config.handle_changed_token;
      if (acid::auth0::check_authorization(auth, token) == acid::auth0::AuthResult::ok) {
        return Status::ok();
      }
      // Refused before the body is looked at: the handler answers (and counts) exactly this.
      refusal = client->engine->handle_changed_request(auth, {});
    } else if (name == "auth0-events/aesthetic" || name == "auth0-events/sotce") {
      const acid::Tenant tenant =
          name == "auth0-events/sotce" ? acid::Tenant::sotce : acid::Tenant::aesthetic;
      if (const auto &t = config.tenant(tenant).log_token) token = *t;
      if (acid::auth0::check_authorization(auth, token) == acid::auth0::AuthResult::ok) {
        return Status::ok();
      }
      refusal = client->engine->handle_log_stream(tenant, auth, {});
    } else {
      return Error(acid::Code::invalid, "acid_request_authorize: unknown route");
    }
    return acid::capi::hand_out_http(refusal.status, refusal.body, http_status, response_json);
  });
}

ACID_EXTERN int acid_log_write(acid_client *client, const char *json_line) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr && json_line != nullptr,
                     "acid_log_write: client and json_line are required"));
    ACID_TRY(require(acid::capi::is_json_object_text(json_line),
                     "acid_log_write: json_line must be one JSON object"));
    if (client->log) client->log(json_line);
    return Status::ok();
  });
}

ACID_EXTERN int acid_daemon_listen(acid_client *client, char **listen) {
  return acid::capi::answer(__func__, client != nullptr && listen != nullptr,
                            "acid_daemon_listen: client and listen are required", listen,
                            [&]() -> acid::Result<std::string> {
                              const acid::Config &config = client->engine->config();
                              const bool v6 = config.daemon_host.find(':') != std::string::npos;
                              return (v6 ? "[" + config.daemon_host + "]" : config.daemon_host) +
                                     ":" + std::to_string(config.daemon_port);
                            });
}

}  // extern "C"
