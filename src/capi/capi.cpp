// extern "C" entry points: argument validation, then the C++ core, inside capi::guard.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "acidentity/acidentity.h"
#include "acidentity/version_generated.h"
#include "capi/client.h"
#include "capi/guard.h"
#include "code/allocator.h"
#include "code/user_code.h"
#include "core/config.h"
#include "core/json.h"
#include "core/time.h"
#include "pds/handle.h"
#include "provision/doctor.h"
#include "provision/engine.h"
#include "store/store.h"

static_assert(ACID_VERSION_MAJOR == ACID_BUILT_VERSION_MAJOR &&
                  ACID_VERSION_MINOR == ACID_BUILT_VERSION_MINOR &&
                  ACID_VERSION_PATCH == ACID_BUILT_VERSION_PATCH,
              "acidentity.h version macros disagree with project(VERSION) in CMakeLists.txt");

namespace acid::capi {

namespace {

struct ThreadError {
  std::string message;
  std::string detail = "{}";
  acid_error view{ACID_OK, "", "{}"};
};

// NOLINTNEXTLINE(cert-err58-cpp): "{}" fits std::string's inline buffer; nothing allocates
thread_local ThreadError t_error;

// Used when storing the real message failed for lack of memory.
constexpr const char *kOutOfMemory = "out of memory while recording an error";

// The environment as the options present it: a set field wins, then (if allowed) the process
// environment. Config::from_env then validates everything in one place.
struct TextOption {
  const char *variable;
  const char *acid_client_options::*field;
};
// The version-1 text fields and the variable each stands for (NULL: not set).
constexpr TextOption kTextOptions[] = {
    {"ACID_STORE", &acid_client_options::store_uri},
    {"PDS_URL", &acid_client_options::pds_url},
    {"PDS_ADMIN_PASSWORD", &acid_client_options::pds_admin_password},
    {"ACID_PDS_HANDLE_DOMAIN", &acid_client_options::pds_handle_domain},
    {"AUTH0_LOG_TOKEN", &acid_client_options::auth0_log_token},
    {"SOTCE_AUTH0_LOG_TOKEN", &acid_client_options::sotce_auth0_log_token},
    {"ACID_CREDENTIALS_KEY", &acid_client_options::credentials_key},
};

acid::EnvLookup options_env(const acid_client_options &o) {
  std::map<std::string, std::string, std::less<>> fixed;
  auto put = [&](const char *name, const char *value) {
    if (value != nullptr) fixed[name] = value;
  };
  for (const TextOption &option : kTextOptions) put(option.variable, o.*option.field);
  if (o.allow_plaintext_credentials >= 0) {
    fixed["ACID_ALLOW_PLAINTEXT_CREDENTIALS"] = o.allow_plaintext_credentials ? "1" : "0";
  }
  if (o.max_attempts > 0) fixed["ACID_MAX_ATTEMPTS"] = std::to_string(o.max_attempts);
  if (o.job_lease_ms > 0) fixed["ACID_JOB_LEASE_MS"] = std::to_string(o.job_lease_ms);
  if (o.version >= 2) put("ACID_HANDLE_CHANGED_TOKEN", o.handle_changed_token);
  acid::EnvLookup process = o.use_environment ? acid::process_env() : acid::EnvLookup();
  return [fixed = std::move(fixed), process](std::string_view name) -> std::optional<std::string> {
    auto it = fixed.find(name);
    if (it != fixed.end()) return it->second;
    if (process) return process(name);
    return std::nullopt;
  };
}

Status write_code(const std::string &code, char *out) {
  if (code.size() != ACID_USER_CODE_LENGTH) {
    return Error(Code::internal, "a generated code has the wrong length");
  }
  std::memcpy(out, code.c_str(), ACID_USER_CODE_SIZE);
  return Status::ok();
}

}  // namespace

int set_error(const Error &error) noexcept {
  try {
    t_error.message = error.message;
    t_error.detail = error.detail_json.empty() ? "{}" : error.detail_json;
    t_error.view = {static_cast<int>(error.code), t_error.message.c_str(), t_error.detail.c_str()};
  } catch (const std::bad_alloc &) {
    t_error.view = {ACID_ENOMEM, kOutOfMemory, "{}"};
    return ACID_ENOMEM;
  }
  return static_cast<int>(error.code);
}

int set_error(Code code, const char *message) noexcept {
  try {
    return set_error(Error(code, message));
  } catch (const std::bad_alloc &) {
    t_error.view = {ACID_ENOMEM, kOutOfMemory, "{}"};
    return ACID_ENOMEM;
  }
}

Result<char *> dup_for_caller(const std::string &text) {
  char *out = static_cast<char *>(std::malloc(text.size() + 1));
  if (out == nullptr) return Error(Code::no_memory, "out of memory");
  std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

Status hand_out(const std::string &text, char **out) {
  auto copy = dup_for_caller(text);
  if (!copy) return std::move(copy).error();
  *out = *copy;
  return Status::ok();
}

Status hand_out_http(int status, const std::string &body, int *http_status, char **response_json) {
  ACID_TRY(hand_out(body, response_json));
  *http_status = status;
  return Status::ok();
}

}  // namespace acid::capi

using acid::Code;
using acid::Error;
using acid::Result;
using acid::Status;
using acid::capi::answer;
using acid::capi::guard;
using acid::capi::require;

extern "C" {

ACID_EXTERN const char *acid_version(int *major, int *minor, int *patch) {
  if (major != nullptr) *major = ACID_BUILT_VERSION_MAJOR;
  if (minor != nullptr) *minor = ACID_BUILT_VERSION_MINOR;
  if (patch != nullptr) *patch = ACID_BUILT_VERSION_PATCH;
  return ACID_BUILT_VERSION_STRING;
}

ACID_EXTERN const acid_error *acid_error_last(void) {
  return &acid::capi::t_error.view;
}

ACID_EXTERN void acid_error_clear(void) {
  acid::capi::t_error.message.clear();
  acid::capi::t_error.detail = "{}";
  acid::capi::t_error.view = {ACID_OK, "", "{}"};
}

ACID_EXTERN const char *acid_status_name(int status) {
  if (status > 0 || status < ACID_ESEALED) return "ACID_EUNKNOWN";
  return acid::code_name(static_cast<Code>(status));
}

ACID_EXTERN void acid_free(void *ptr) {
  std::free(ptr);
}

ACID_EXTERN int acid_client_options_init(acid_client_options *opts, unsigned int version) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(opts != nullptr, "acid_client_options_init: opts is NULL"));
    if (version == 0 || version > ACID_CLIENT_OPTIONS_VERSION) {
      return Error(Code::version, "acid_client_options_init: unknown options version " +
                                      std::to_string(version) + " (this library knows up to " +
                                      std::to_string(ACID_CLIENT_OPTIONS_VERSION) + ")");
    }
    // A caller built against an older header has a shorter struct: write only its fields.
    acid_client_options defaults = ACID_CLIENT_OPTIONS_INIT;
    defaults.version = version;
    const std::size_t size = version >= 2 ? sizeof(acid_client_options)
                                          : offsetof(acid_client_options, handle_changed_token);
    std::memcpy(opts, &defaults, size);
    return Status::ok();
  });
}

ACID_EXTERN int acid_client_create(acid_client **out, const acid_client_options *opts) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(out != nullptr, "acid_client_create: out is NULL"));
    *out = nullptr;
    acid_client_options defaults = ACID_CLIENT_OPTIONS_INIT;
    if (opts == nullptr) opts = &defaults;
    if (opts->version == 0 || opts->version > ACID_CLIENT_OPTIONS_VERSION) {
      return Error(Code::version,
                   "acid_client_create: unknown options version " + std::to_string(opts->version));
    }
    ACID_ASSIGN_OR_RETURN(auto config, acid::Config::from_env(acid::capi::options_env(*opts)));
    acid::provision::EngineOptions eo;
    // One redaction pass over every log line and alert (capi_daemon.cpp).
    const auto redactor = std::make_shared<const acid::Redactor>(config.secrets());
    eo.config = std::move(config);
    if (opts->log != nullptr) {
      eo.log = [fn = opts->log, ud = opts->log_user_data, redactor](std::string_view line) {
        const std::string text = acid::capi::redacted_line(*redactor, line);
        if (!text.empty()) fn(text.c_str(), ud);
      };
    }
    if (opts->alert != nullptr) {
      eo.alert = [fn = opts->alert, ud = opts->alert_user_data, redactor](std::string_view json) {
        const std::string text = acid::capi::redacted_line(*redactor, json);
        if (!text.empty()) fn(text.c_str(), ud);
      };
    }
    acid::provision::LogSink log = eo.log;
    eo.lease_ms = eo.config.job_lease_ms;
    ACID_ASSIGN_OR_RETURN(auto engine, acid::provision::Engine::create(std::move(eo)));
    auto client = std::make_unique<acid_client>();
    client->engine = std::move(engine);
    client->log = std::move(log);
    *out = client.release();
    return Status::ok();
  });
}

ACID_EXTERN void acid_client_destroy(acid_client *client) {
  // Destruction runs SQLite's close and frees memory; neither throws.
  delete client;
}

ACID_EXTERN int acid_user_code_check(const char *code) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(code != nullptr, "acid_user_code_check: code is NULL"));
    return acid::code::validate(code);
  });
}

ACID_EXTERN int acid_user_code_parse(const char *text, size_t len, char out[ACID_USER_CODE_SIZE]) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(text != nullptr || len == 0, "acid_user_code_parse: text is NULL"));
    ACID_TRY(require(out != nullptr, "acid_user_code_parse: out is NULL"));
    out[0] = '\0';
    auto found = acid::code::parse(std::string_view(text == nullptr ? "" : text, len));
    if (!found) return Error(Code::not_found, "no user code in the text");
    return acid::capi::write_code(*found, out);
  });
}

ACID_EXTERN int acid_user_code_generate(int64_t signup_unix_ms, char out[ACID_USER_CODE_SIZE]) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(out != nullptr, "acid_user_code_generate: out is NULL"));
    out[0] = '\0';
    ACID_ASSIGN_OR_RETURN(auto code, acid::code::generate_random(acid::utc_year(signup_unix_ms)));
    return acid::capi::write_code(code, out);
  });
}

ACID_EXTERN int acid_user_code_allocate(acid_client *client, int64_t signup_unix_ms,
                                        char out[ACID_USER_CODE_SIZE]) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr, "acid_user_code_allocate: client is NULL"));
    ACID_TRY(require(out != nullptr, "acid_user_code_allocate: out is NULL"));
    out[0] = '\0';
    ACID_ASSIGN_OR_RETURN(auto claimed,
                          client->engine->allocator().allocate(acid::utc_year(signup_unix_ms)));
    return acid::capi::write_code(claimed.code, out);
  });
}

ACID_EXTERN int acid_user_code_stats(acid_client *client, int year, char **out_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr, "acid_user_code_stats: client is NULL"));
    ACID_TRY(require(out_json != nullptr, "acid_user_code_stats: out_json is NULL"));
    *out_json = nullptr;
    ACID_TRY(require(year < 100, "acid_user_code_stats: year must be a two-digit year (0-99)"));
    ACID_ASSIGN_OR_RETURN(auto stats, client->engine->allocator().stats(
                                          year < 0 ? std::nullopt : std::optional<int>(year)));
    rapidjson::StringBuffer buf;
    acid::json::Writer w(buf);
    w.StartObject();
    w.Key("years");
    w.StartArray();
    for (const auto &s : stats) {
      w.StartObject();
      acid::json::member(w, "year", s.yy);
      acid::json::member(w, "allocated", s.allocated);
      acid::json::member(w, "legacy", s.legacy);
      acid::json::member(w, "blocked", s.blocked);
      acid::json::member(w, "remaining", s.remaining);
      acid::json::member(w, "capacity", acid::code::kCodesPerYear);
      acid::json::member(w, "counter", s.counter);
      acid::json::member(w, "skipped", s.skipped);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return acid::capi::hand_out(std::string(buf.GetString(), buf.GetSize()), out_json);
  });
}

ACID_EXTERN int acid_handle_log_stream(acid_client *client, acid_tenant tenant,
                                       const char *authorization, const char *body, size_t len,
                                       int *http_status, char **response_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr, "acid_handle_log_stream: client is NULL"));
    ACID_TRY(require(http_status != nullptr && response_json != nullptr,
                     "acid_handle_log_stream: http_status and response_json are required"));
    *http_status = 0;
    *response_json = nullptr;
    ACID_TRY(require(body != nullptr || len == 0, "acid_handle_log_stream: body is NULL"));
    ACID_TRY(require(tenant == ACID_TENANT_AESTHETIC || tenant == ACID_TENANT_SOTCE,
                     "acid_handle_log_stream: unknown tenant"));
    std::optional<std::string_view> auth;
    if (authorization != nullptr) auth = authorization;
    const acid::provision::HttpAnswer answer = client->engine->handle_log_stream(
        tenant == ACID_TENANT_SOTCE ? acid::Tenant::sotce : acid::Tenant::aesthetic, auth,
        std::string_view(body == nullptr ? "" : body, len));
    return acid::capi::hand_out_http(answer.status, answer.body, http_status, response_json);
  });
}

ACID_EXTERN int acid_run_jobs(acid_client *client, int64_t budget_ms, int max_jobs,
                              char **result_json) {
  return answer(__func__, client != nullptr && result_json != nullptr,
                "acid_run_jobs: client and result_json are required", result_json,
                [&]() -> Result<std::string> {
                  ACID_ASSIGN_OR_RETURN(auto summary,
                                        client->engine->run_jobs(budget_ms, max_jobs));
                  return acid::provision::to_json(summary);
                });
}

ACID_EXTERN int acid_user_get(acid_client *client, const char *sub, char **user_json) {
  return answer(__func__, client != nullptr && sub != nullptr && user_json != nullptr,
                "acid_user_get: client, sub and user_json are required", user_json,
                [&]() -> Result<std::string> {
                  ACID_ASSIGN_OR_RETURN(auto user, client->engine->user(sub));
                  return acid::provision::to_json(user);
                });
}

ACID_EXTERN int acid_user_retry(acid_client *client, const char *sub) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr && sub != nullptr,
                     "acid_user_retry: client and sub are required"));
    return client->engine->retry_user(sub);
  });
}

ACID_EXTERN int acid_handle_changed(acid_client *client, const char *sub, const char *handle) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr && sub != nullptr && handle != nullptr,
                     "acid_handle_changed: client, sub and handle are required"));
    ACID_TRY(require(*sub != '\0', "acid_handle_changed: sub is empty"));
    return client->engine->set_handle(sub, handle);
  });
}

// The first name of acid_handle_changed: SONAME 0 only adds functions (docs/abi.md).
ACID_EXTERN int acid_user_set_handle(acid_client *client, const char *sub, const char *handle) {
  return acid_handle_changed(client, sub, handle);
}

ACID_EXTERN int acid_handle_changed_request(acid_client *client, const char *authorization,
                                            const char *body, size_t len, int *http_status,
                                            char **response_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr, "acid_handle_changed_request: client is NULL"));
    ACID_TRY(require(http_status != nullptr && response_json != nullptr,
                     "acid_handle_changed_request: http_status and response_json are required"));
    *http_status = 0;
    *response_json = nullptr;
    ACID_TRY(require(body != nullptr || len == 0, "acid_handle_changed_request: body is NULL"));
    std::optional<std::string_view> auth;
    if (authorization != nullptr) auth = authorization;
    const acid::provision::HttpAnswer answer = client->engine->handle_changed_request(
        auth, std::string_view(body == nullptr ? "" : body, len));
    return acid::capi::hand_out_http(answer.status, answer.body, http_status, response_json);
  });
}

ACID_EXTERN int acid_user_delete(acid_client *client, const char *sub) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr && sub != nullptr,
                     "acid_user_delete: client and sub are required"));
    ACID_TRY(require(*sub != '\0', "acid_user_delete: sub is empty"));
    return client->engine->delete_user(sub);
  });
}

ACID_EXTERN int acid_pds_handle_choose(const char *ac_handle, const char *code, const char *domain,
                                       char **result_json) {
  return answer(__func__, code != nullptr && result_json != nullptr,
                "acid_pds_handle_choose: code and result_json are required", result_json,
                [&]() -> Result<std::string> {
                  std::optional<std::string_view> handle;
                  if (ac_handle != nullptr && *ac_handle != '\0') handle = ac_handle;
                  ACID_ASSIGN_OR_RETURN(
                      auto choice,
                      acid::pds::choose_pds_handle(
                          handle, code, domain != nullptr ? domain : "at.aesthetic.computer"));
                  return "{\"handle\":" + acid::json::quote(choice.handle) +
                         ",\"fallback\":" + (choice.is_fallback ? "true" : "false") +
                         ",\"reason\":" + acid::json::quote(choice.reason) + "}";
                });
}

ACID_EXTERN int acid_pds_describe(acid_client *client, char **result_json) {
  return answer(__func__, client != nullptr && result_json != nullptr,
                "acid_pds_describe: client and result_json are required", result_json,
                [&]() -> Result<std::string> {
                  ACID_ASSIGN_OR_RETURN(auto described, client->engine->describe_pds());
                  return acid::provision::to_json(described);
                });
}

ACID_EXTERN int acid_doctor(const acid_client_options *opts, int fix, int *all_ok,
                            char **report_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(all_ok != nullptr && report_json != nullptr,
                     "acid_doctor: all_ok and report_json are required"));
    *all_ok = 0;
    *report_json = nullptr;
    acid_client_options defaults = ACID_CLIENT_OPTIONS_INIT;
    if (opts == nullptr) opts = &defaults;
    if (opts->version == 0 || opts->version > ACID_CLIENT_OPTIONS_VERSION) {
      return Error(Code::version, "acid_doctor: unknown options version");
    }
    ACID_ASSIGN_OR_RETURN(auto report,
                          acid::provision::run_doctor(acid::capi::options_env(*opts), fix != 0));
    ACID_TRY(acid::capi::hand_out(report.json, report_json));
    *all_ok = report.ok ? 1 : 0;
    return Status::ok();
  });
}

ACID_EXTERN int acid_metrics(acid_client *client, char **text) {
  return answer(__func__, client != nullptr && text != nullptr,
                "acid_metrics: client and text are required", text,
                [&]() -> Result<std::string> { return client->engine->metrics_text(); });
}

}  // extern "C"
