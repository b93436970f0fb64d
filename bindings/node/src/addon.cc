// The acidentity Node addon: a thin layer over the C ABI (acidentity.h and nothing else).
//
// Every call that may block (store, network) runs in a Napi::AsyncWorker on libuv's thread pool
// and settles a Promise; the library's thread-local error is read on that worker thread right
// after the call. Pure helpers (user codes, handle choice) are synchronous. Errors reach JS as
// Error objects carrying code ("ACID_EINVAL"...), errno (the C status) and detailJson; index.js
// turns them into AcidentityError with a JS stack.
#include <napi.h>

#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <acidentity/acidentity.h>

#include "client.h"

static_assert(ACID_VERSION_MAJOR == 0, "this addon is written against libacidentity ABI 0");

namespace acidnode {
namespace {

// Tags the handle externals: a value that is not one of ours is refused before any cast.
constexpr napi_type_tag kClientTag = {0x61636964656e7469ULL, 0x7479636c69656e74ULL};

// ---- errors ------------------------------------------------------------------------------------

struct Failure {
  int code = ACID_OK;
  std::string message;
  std::string detail = "{}";
};

// Reads the calling thread's last error; must run on the thread that made the failing call.
Failure last_failure(int rc) {
  Failure f;
  f.code = rc;
  const acid_error *e = acid_error_last();
  if (e->code == rc) {
    f.message = e->message;
    f.detail = e->detail_json;
  } else {
    f.message = std::string(acid_status_name(rc)) + " (the library recorded no matching detail)";
  }
  return f;
}

Napi::Value error_value(Napi::Env env, const Failure &f) {
  Napi::Object err = Napi::Error::New(env, f.message).Value();
  err.Set("code", Napi::String::New(env, acid_status_name(f.code)));
  err.Set("errno", Napi::Number::New(env, f.code));
  err.Set("detailJson", Napi::String::New(env, f.detail));
  return err;
}

// An error this binding raises itself (not a C status): code only, errno null.
Napi::Value binding_error(Napi::Env env, const char *code, const std::string &message) {
  Napi::Object err = Napi::Error::New(env, message).Value();
  err.Set("code", Napi::String::New(env, code));
  err.Set("errno", env.Null());
  err.Set("detailJson", Napi::String::New(env, "{}"));
  return err;
}

[[noreturn]] void throw_failure(Napi::Env env, const Failure &f) {
  throw Napi::Error(env, error_value(env, f));
}

[[noreturn]] void throw_type_error(Napi::Env env, const std::string &message) {
  Napi::Error err = Napi::TypeError::New(env, message);
  err.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
  throw err;
}

Napi::Promise rejected(Napi::Env env, Napi::Value reason) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(reason);
  return deferred.Promise();
}

// ---- arguments ---------------------------------------------------------------------------------

std::string string_arg(const Napi::CallbackInfo &info, std::size_t i, const char *name) {
  Napi::Env env = info.Env();
  if (!info[i].IsString()) throw_type_error(env, std::string(name) + " must be a string");
  std::string s = info[i].As<Napi::String>().Utf8Value();
  // The C ABI takes NUL-terminated strings: an embedded NUL would silently name something else.
  if (s.find('\0') != std::string::npos) {
    throw_failure(env, {ACID_EINVAL, std::string(name) + " must not contain a NUL character"});
  }
  return s;
}

std::optional<std::string> optional_string_arg(const Napi::CallbackInfo &info, std::size_t i,
                                               const char *name) {
  if (info[i].IsUndefined() || info[i].IsNull()) return std::nullopt;
  return string_arg(info, i, name);
}

std::int64_t int64_arg(const Napi::CallbackInfo &info, std::size_t i, const char *name) {
  if (!info[i].IsNumber()) throw_type_error(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().Int64Value();
}

ClientPtr client_arg(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value v = info[0];
  if (!v.IsExternal() || !v.As<Napi::External<ClientPtr>>().CheckTypeTag(&kClientTag)) {
    throw_type_error(env, "expected an acidentity client handle");
  }
  return *v.As<Napi::External<ClientPtr>>().Data();
}

// ---- async calls
// ---------------------------------------------------------------------------------

struct Outcome {
  std::string text;
  int http_status = 0;
};

enum class Kind { none, text, http };

using CallFn = std::function<int(acid_client *, Outcome &)>;

// Moves a library-allocated string into `out` and frees it. Call it after the C call returned
// (not as take(acid_x(&p), p, ...): argument evaluation order is unspecified).
int take(int rc, char *p, std::string &out) {
  if (p != nullptr) {
    out.assign(p);
    acid_free(p);
  }
  return rc;
}

void queue_destroy(Napi::Env env, ClientPtr state);

// Called on the main thread when a call settles.
void call_finished(Napi::Env env, const ClientPtr &state) {
  if (--state->in_flight == 0 && state->phase == Phase::closing) queue_destroy(env, state);
}

class Call final : public Napi::AsyncWorker {
 public:
  Call(Napi::Env env, ClientPtr state, Kind kind, CallFn fn)
      : Napi::AsyncWorker(env, "acidentity.call"),
        deferred_(Napi::Promise::Deferred::New(env)),
        state_(std::move(state)),
        kind_(kind),
        fn_(std::move(fn)) {
    ++state_->in_flight;
  }

  Napi::Promise start() {
    Queue();
    return deferred_.Promise();
  }

 protected:
  void Execute() override {
    rc_ = fn_(state_->client, out_);
    if (rc_ != ACID_OK) failure_ = last_failure(rc_);
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      if (rc_ != ACID_OK) {
        deferred_.Reject(error_value(env, failure_));
      } else {
        deferred_.Resolve(result(env));
      }
    } catch (const Napi::Error &e) {
      // Building the result failed (out of JS memory): the caller gets that error.
      deferred_.Reject(e.Value());
    }
    call_finished(env, state_);
  }

  // Execute never calls SetError; kept for completeness of the AsyncWorker contract.
  void OnError(const Napi::Error &e) override {
    deferred_.Reject(e.Value());
    call_finished(Env(), state_);
  }

 private:
  Napi::Value result(Napi::Env env) {
    switch (kind_) {
      case Kind::none:
        return env.Undefined();
      case Kind::text:
        return Napi::String::New(env, out_.text);
      case Kind::http: {
        Napi::Object o = Napi::Object::New(env);
        o.Set("status", Napi::Number::New(env, out_.http_status));
        o.Set("body", Napi::String::New(env, out_.text));
        return o;
      }
    }
    return env.Undefined();
  }

  Napi::Promise::Deferred deferred_;
  ClientPtr state_;
  Kind kind_;
  CallFn fn_;
  int rc_ = ACID_OK;
  Outcome out_;
  Failure failure_;
};

Napi::Value closed_error(Napi::Env env) {
  return binding_error(env, "ACID_ECLOSED",
                       "acidentity: the client is closed (close() was called)");
}

Napi::Value start_call(const Napi::CallbackInfo &info, const ClientPtr &state, Kind kind,
                       CallFn fn) {
  Napi::Env env = info.Env();
  if (state->phase != Phase::open) return rejected(env, closed_error(env));
  auto *call = new Call(env, state, kind, std::move(fn));
  return call->start();
}

// Destroys the client off the main thread once nothing is in flight, then settles close().
class Destroy final : public Napi::AsyncWorker {
 public:
  Destroy(Napi::Env env, ClientPtr state)
      : Napi::AsyncWorker(env, "acidentity.close"), state_(std::move(state)) {}

 protected:
  void Execute() override {
    acid_client_destroy(state_->client);
    state_->client = nullptr;
  }
  void OnOK() override {
    state_->phase = Phase::closed;
    // No library thread can call the callbacks any more.
    if (state_->log) state_->log->release();
    if (state_->alert) state_->alert->release();
    if (state_->close_deferred) state_->close_deferred->Resolve(Env().Undefined());
    state_->close_deferred.reset();
  }

 private:
  ClientPtr state_;
};

void queue_destroy(Napi::Env env, ClientPtr state) {
  (new Destroy(env, std::move(state)))->Queue();
}

// ---- open / close ------------------------------------------------------------------------------

struct OpenOptions {
  std::optional<std::string> store_uri, pds_url, pds_admin_password, pds_handle_domain,
      auth0_log_token, sotce_auth0_log_token, credentials_key, handle_changed_token;
  int allow_plaintext_credentials = -1;
  int max_attempts = 0;
  int job_lease_ms = 0;
  bool use_environment = true;
};

const char *c_str_or_null(const std::optional<std::string> &s) {
  return s ? s->c_str() : nullptr;
}

// The C options for `options`; the strings stay owned by `options`. ACID_OK or the init failure.
int fill_options(const OpenOptions &options, acid_client_options &o) {
  const int rc = acid_client_options_init(&o, ACID_CLIENT_OPTIONS_VERSION);
  if (rc != ACID_OK) return rc;
  o.store_uri = c_str_or_null(options.store_uri);
  o.pds_url = c_str_or_null(options.pds_url);
  o.pds_admin_password = c_str_or_null(options.pds_admin_password);
  o.pds_handle_domain = c_str_or_null(options.pds_handle_domain);
  o.auth0_log_token = c_str_or_null(options.auth0_log_token);
  o.sotce_auth0_log_token = c_str_or_null(options.sotce_auth0_log_token);
  o.handle_changed_token = c_str_or_null(options.handle_changed_token);
  o.credentials_key = c_str_or_null(options.credentials_key);
  o.allow_plaintext_credentials = options.allow_plaintext_credentials;
  o.max_attempts = options.max_attempts;
  o.job_lease_ms = options.job_lease_ms;
  o.use_environment = options.use_environment ? 1 : 0;
  return ACID_OK;
}

void on_log(const char *line, void *user_data) {
  static_cast<JsCallback *>(user_data)->deliver(line);
}

class OpenWorker final : public Napi::AsyncWorker {
 public:
  OpenWorker(Napi::Env env, ClientPtr state, OpenOptions options)
      : Napi::AsyncWorker(env, "acidentity.open"),
        deferred_(Napi::Promise::Deferred::New(env)),
        state_(std::move(state)),
        options_(std::move(options)) {}

  Napi::Promise start() {
    Queue();
    return deferred_.Promise();
  }

 protected:
  void Execute() override {
    acid_client_options o;
    rc_ = fill_options(options_, o);
    if (rc_ != ACID_OK) {
      failure_ = last_failure(rc_);
      return;
    }
    if (state_->log) {
      o.log = on_log;
      o.log_user_data = state_->log.get();
    }
    if (state_->alert) {
      o.alert = on_log;
      o.alert_user_data = state_->alert.get();
    }
    rc_ = acid_client_create(&client_, &o);
    if (rc_ != ACID_OK) failure_ = last_failure(rc_);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (rc_ != ACID_OK) {
      deferred_.Reject(error_value(env, failure_));
      return;  // state_ goes away with this worker, releasing the callbacks
    }
    state_->client = client_;
    state_->phase = Phase::open;
    auto handle = Napi::External<ClientPtr>::New(env, new ClientPtr(state_),
                                                 [](Napi::Env, ClientPtr *p) { delete p; });
    handle.TypeTag(&kClientTag);
    deferred_.Resolve(handle);
  }

 private:
  Napi::Promise::Deferred deferred_;
  ClientPtr state_;
  OpenOptions options_;
  acid_client *client_ = nullptr;
  int rc_ = ACID_OK;
  Failure failure_;
};

std::optional<std::string> config_string(const Napi::Object &config, const char *key) {
  Napi::Value v = config.Get(key);
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  if (!v.IsString())
    throw_type_error(config.Env(), std::string("config.") + key + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) {
    throw_failure(config.Env(), {ACID_EINVAL, std::string("config.") + key +
                                                  " must not contain a NUL character"});
  }
  return s;
}

// The settings of a config object (index.js validates and normalises it first).
OpenOptions options_from(const Napi::Value &value) {
  if (!value.IsObject()) throw_type_error(value.Env(), "config must be an object");
  Napi::Object config = value.As<Napi::Object>();
  OpenOptions o;
  o.store_uri = config_string(config, "storeUri");
  o.pds_url = config_string(config, "pdsUrl");
  o.pds_admin_password = config_string(config, "pdsAdminPassword");
  o.pds_handle_domain = config_string(config, "pdsHandleDomain");
  o.auth0_log_token = config_string(config, "auth0LogToken");
  o.sotce_auth0_log_token = config_string(config, "sotceAuth0LogToken");
  o.handle_changed_token = config_string(config, "handleChangedToken");
  o.credentials_key = config_string(config, "credentialsKey");
  Napi::Value plain = config.Get("allowPlaintextCredentials");
  if (plain.IsBoolean()) o.allow_plaintext_credentials = plain.As<Napi::Boolean>().Value() ? 1 : 0;
  Napi::Value attempts = config.Get("maxAttempts");
  if (attempts.IsNumber()) o.max_attempts = attempts.As<Napi::Number>().Int32Value();
  Napi::Value lease = config.Get("jobLeaseMs");
  if (lease.IsNumber()) o.job_lease_ms = lease.As<Napi::Number>().Int32Value();
  Napi::Value use_env = config.Get("useEnvironment");
  if (use_env.IsBoolean()) o.use_environment = use_env.As<Napi::Boolean>().Value();
  return o;
}

// open(config) -> Promise<handle>.
Napi::Value Open(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  OpenOptions o = options_from(info[0]);
  Napi::Object config = info[0].As<Napi::Object>();
  auto state = std::make_shared<ClientState>();
  Napi::Value on_log_fn = config.Get("onLog");
  if (on_log_fn.IsFunction()) {
    state->log =
        std::make_unique<JsCallback>(env, on_log_fn.As<Napi::Function>(), "acidentity.onLog");
  }
  Napi::Value on_alert_fn = config.Get("onAlert");
  if (on_alert_fn.IsFunction()) {
    state->alert =
        std::make_unique<JsCallback>(env, on_alert_fn.As<Napi::Function>(), "acidentity.onAlert");
  }
  return (new OpenWorker(env, std::move(state), std::move(o)))->start();
}

// Checks a set-up without a client (configuration, store, PDS, Auth0, credentials key).
class DoctorWorker final : public Napi::AsyncWorker {
 public:
  DoctorWorker(Napi::Env env, OpenOptions options, bool fix)
      : Napi::AsyncWorker(env, "acidentity.doctor"),
        deferred_(Napi::Promise::Deferred::New(env)),
        options_(std::move(options)),
        fix_(fix) {}

  Napi::Promise start() {
    Queue();
    return deferred_.Promise();
  }

 protected:
  void Execute() override {
    acid_client_options o;
    rc_ = fill_options(options_, o);
    if (rc_ == ACID_OK) {
      char *json = nullptr;
      int all_ok = 0;
      rc_ = acid_doctor(&o, fix_ ? 1 : 0, &all_ok, &json);
      take(rc_, json, report_);
    }
    if (rc_ != ACID_OK) failure_ = last_failure(rc_);
  }

  void OnOK() override {
    if (rc_ != ACID_OK) {
      deferred_.Reject(error_value(Env(), failure_));
    } else {
      deferred_.Resolve(Napi::String::New(Env(), report_));
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  OpenOptions options_;
  bool fix_;
  int rc_ = ACID_OK;
  std::string report_;
  Failure failure_;
};

// doctor(config, fix) -> Promise<report JSON text>.
Napi::Value Doctor(const Napi::CallbackInfo &info) {
  OpenOptions o = options_from(info[0]);
  if (!info[1].IsBoolean()) throw_type_error(info.Env(), "fix must be a boolean");
  return (new DoctorWorker(info.Env(), std::move(o), info[1].As<Napi::Boolean>().Value()))->start();
}

// close(handle) -> Promise<void>: waits for the calls in flight, then destroys off-thread.
Napi::Value Close(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  ClientPtr state = client_arg(info);
  if (state->phase != Phase::open) return rejected(env, closed_error(env));
  state->phase = Phase::closing;
  state->close_deferred.emplace(Napi::Promise::Deferred::New(env));
  Napi::Promise promise = state->close_deferred->Promise();
  if (state->in_flight == 0) queue_destroy(env, state);
  return promise;
}

// inFlight(handle) -> number of calls not yet settled (for tests and diagnostics).
Napi::Value InFlight(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), client_arg(info)->in_flight);
}

// ---- client calls ------------------------------------------------------------------------------

Napi::Value HandleLogStream(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  ClientPtr state = client_arg(info);
  const std::int64_t tenant = int64_arg(info, 1, "tenant");
  if (tenant != ACID_TENANT_AESTHETIC && tenant != ACID_TENANT_SOTCE) {
    throw_failure(env, {ACID_EINVAL, "tenant must be 'aesthetic' or 'sotce'"});
  }
  std::optional<std::string> authorization = optional_string_arg(info, 2, "authorization");
  std::string body;
  if (info[3].IsBuffer()) {
    auto buf = info[3].As<Napi::Buffer<char>>();
    body.assign(buf.Data(), buf.Length());
  } else if (info[3].IsString()) {
    body = info[3].As<Napi::String>().Utf8Value();
  } else {
    throw_type_error(env, "body must be a string or a Buffer");
  }
  return start_call(info, state, Kind::http,
                    [tenant, authorization = std::move(authorization), body = std::move(body)](
                        acid_client *c, Outcome &out) {
                      char *json = nullptr;
                      const int rc = acid_handle_log_stream(
                          c, static_cast<acid_tenant>(tenant), c_str_or_null(authorization),
                          body.data(), body.size(), &out.http_status, &json);
                      return take(rc, json, out.text);
                    });
}

Napi::Value RunJobs(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  const std::int64_t budget_ms = int64_arg(info, 1, "budgetMs");
  const std::int64_t max_jobs = int64_arg(info, 2, "maxJobs");
  if (max_jobs < 0 || max_jobs > 1'000'000) {
    throw_failure(info.Env(), {ACID_EINVAL, "maxJobs must be between 0 and 1000000"});
  }
  return start_call(info, state, Kind::text, [budget_ms, max_jobs](acid_client *c, Outcome &out) {
    char *json = nullptr;
    const int rc = acid_run_jobs(c, budget_ms, static_cast<int>(max_jobs), &json);
    return take(rc, json, out.text);
  });
}

Napi::Value UserGet(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  std::string sub = string_arg(info, 1, "sub");
  return start_call(info, state, Kind::text, [sub = std::move(sub)](acid_client *c, Outcome &out) {
    char *json = nullptr;
    const int rc = acid_user_get(c, sub.c_str(), &json);
    return take(rc, json, out.text);
  });
}

Napi::Value UserRetry(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  std::string sub = string_arg(info, 1, "sub");
  return start_call(info, state, Kind::none, [sub = std::move(sub)](acid_client *c, Outcome &) {
    return acid_user_retry(c, sub.c_str());
  });
}

Napi::Value HandleChanged(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  std::string sub = string_arg(info, 1, "sub");
  std::string handle = string_arg(info, 2, "handle");
  return start_call(info, state, Kind::none,
                    [sub = std::move(sub), handle = std::move(handle)](acid_client *c, Outcome &) {
                      return acid_handle_changed(c, sub.c_str(), handle.c_str());
                    });
}

Napi::Value HandleChangedRequest(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  ClientPtr state = client_arg(info);
  std::optional<std::string> authorization = optional_string_arg(info, 1, "authorization");
  std::string body;
  if (info[2].IsBuffer()) {
    auto buf = info[2].As<Napi::Buffer<char>>();
    body.assign(buf.Data(), buf.Length());
  } else if (info[2].IsString()) {
    body = info[2].As<Napi::String>().Utf8Value();
  } else {
    throw_type_error(env, "body must be a string or a Buffer");
  }
  return start_call(info, state, Kind::http,
                    [authorization = std::move(authorization), body = std::move(body)](
                        acid_client *c, Outcome &out) {
                      char *json = nullptr;
                      const int rc =
                          acid_handle_changed_request(c, c_str_or_null(authorization), body.data(),
                                                      body.size(), &out.http_status, &json);
                      return take(rc, json, out.text);
                    });
}

Napi::Value UserDelete(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  std::string sub = string_arg(info, 1, "sub");
  return start_call(info, state, Kind::none, [sub = std::move(sub)](acid_client *c, Outcome &) {
    return acid_user_delete(c, sub.c_str());
  });
}

Napi::Value PdsDescribe(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  return start_call(info, state, Kind::text, [](acid_client *c, Outcome &out) {
    char *json = nullptr;
    const int rc = acid_pds_describe(c, &json);
    return take(rc, json, out.text);
  });
}

// pdsCredentials(handle, sub) / pdsSession(handle, sub) -> Promise<JSON text>.
Napi::Value PdsCredentials(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  std::string sub = string_arg(info, 1, "sub");
  return start_call(info, state, Kind::text, [sub = std::move(sub)](acid_client *c, Outcome &out) {
    char *json = nullptr;
    const int rc = acid_pds_credentials(c, sub.c_str(), &json);
    return take(rc, json, out.text);
  });
}

Napi::Value PdsSession(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  std::string sub = string_arg(info, 1, "sub");
  return start_call(info, state, Kind::text, [sub = std::move(sub)](acid_client *c, Outcome &out) {
    char *json = nullptr;
    const int rc = acid_pds_session(c, sub.c_str(), &json);
    return take(rc, json, out.text);
  });
}

// credentialsStatus(handle) -> Promise<JSON text>.
Napi::Value CredentialsStatus(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  return start_call(info, state, Kind::text, [](acid_client *c, Outcome &out) {
    char *json = nullptr;
    const int rc = acid_credentials_status(c, &json);
    return take(rc, json, out.text);
  });
}

// credentialsSeal(handle, optionsJson) -> Promise<report JSON text>.
Napi::Value CredentialsSeal(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  std::string options = string_arg(info, 1, "options");
  return start_call(info, state, Kind::text,
                    [options = std::move(options)](acid_client *c, Outcome &out) {
                      char *json = nullptr;
                      const int rc = acid_credentials_seal(c, options.c_str(), &json);
                      return take(rc, json, out.text);
                    });
}

// audit(handle, optionsJson) -> Promise<report JSON text>.
Napi::Value Audit(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  std::string options = string_arg(info, 1, "options");
  return start_call(info, state, Kind::text,
                    [options = std::move(options)](acid_client *c, Outcome &out) {
                      char *json = nullptr;
                      const int rc = acid_audit(c, options.c_str(), &json);
                      return take(rc, json, out.text);
                    });
}

// backfill(handle, optionsJson, onProgress?) -> Promise<report JSON text>. Progress lines reach
// onProgress through a thread-safe function (the library calls it from its worker threads), like
// the alert callback; it is released on the main thread when the call settles.
Napi::Value Backfill(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  std::string options = string_arg(info, 1, "options");
  std::shared_ptr<JsCallback> progress;
  if (info[2].IsFunction()) {
    progress = std::make_shared<JsCallback>(info.Env(), info[2].As<Napi::Function>(),
                                            "acidentity.onProgress");
  } else if (!info[2].IsUndefined() && !info[2].IsNull()) {
    throw_type_error(info.Env(), "onProgress must be a function");
  }
  return start_call(info, state, Kind::text,
                    [options = std::move(options), progress](acid_client *c, Outcome &out) {
                      char *json = nullptr;
                      const int rc = acid_backfill(c, options.c_str(), progress ? on_log : nullptr,
                                                   progress.get(), &json);
                      return take(rc, json, out.text);
                    });
}

Napi::Value Metrics(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  return start_call(info, state, Kind::text, [](acid_client *c, Outcome &out) {
    char *text = nullptr;
    const int rc = acid_metrics(c, &text);
    return take(rc, text, out.text);
  });
}

// ---- content sync
// --------------------------------------------------------------------------------

// syncRecords(handle, optionsJson, onProgress|undefined) -> Promise<report JSON text>. The
// progress function is called (on the main thread) with one JSON text per user done; it is let go
// when the call settles, and the deliveries queued before that still arrive.
Napi::Value SyncRecords(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  ClientPtr state = client_arg(info);
  std::string options = string_arg(info, 1, "options");
  std::shared_ptr<JsCallback> progress;
  if (info[2].IsFunction()) {
    progress =
        std::make_shared<JsCallback>(env, info[2].As<Napi::Function>(), "acidentity.onProgress");
  } else if (!info[2].IsUndefined() && !info[2].IsNull()) {
    throw_type_error(env, "onProgress must be a function");
  }
  return start_call(info, state, Kind::text,
                    [options = std::move(options), progress](acid_client *c, Outcome &out) {
                      char *json = nullptr;
                      const int rc = acid_sync_records(
                          c, options.c_str(), progress ? on_log : nullptr, progress.get(), &json);
                      return take(rc, json, out.text);
                    });
}

// syncVerify(handle, optionsJson) -> Promise<report JSON text>.
Napi::Value SyncVerify(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  std::string options = string_arg(info, 1, "options");
  return start_call(info, state, Kind::text,
                    [options = std::move(options)](acid_client *c, Outcome &out) {
                      char *json = nullptr;
                      const int rc = acid_sync_verify(c, options.c_str(), &json);
                      return take(rc, json, out.text);
                    });
}

// syncDocument(handle, collection, id) -> Promise<report JSON text>.
Napi::Value SyncDocument(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  std::string collection = string_arg(info, 1, "collection");
  std::string id = string_arg(info, 2, "id");
  return start_call(
      info, state, Kind::text,
      [collection = std::move(collection), id = std::move(id)](acid_client *c, Outcome &out) {
        char *json = nullptr;
        const int rc = acid_sync_document(c, collection.c_str(), id.c_str(), &json);
        return take(rc, json, out.text);
      });
}

// contentImport(handle, jsonl string|Buffer) -> Promise<report JSON text>.
Napi::Value ContentImport(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  ClientPtr state = client_arg(info);
  std::string body;
  if (info[1].IsBuffer()) {
    auto buf = info[1].As<Napi::Buffer<char>>();
    body.assign(buf.Data(), buf.Length());
  } else if (info[1].IsString()) {
    body = info[1].As<Napi::String>().Utf8Value();
  } else {
    throw_type_error(env, "jsonl must be a string or a Buffer");
  }
  return start_call(info, state, Kind::text,
                    [body = std::move(body)](acid_client *c, Outcome &out) {
                      char *json = nullptr;
                      const int rc = acid_content_import(c, body.data(), body.size(), &json);
                      return take(rc, json, out.text);
                    });
}

// contentDelete(handle, collection, id) -> Promise<void>.
Napi::Value ContentDelete(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  std::string collection = string_arg(info, 1, "collection");
  std::string id = string_arg(info, 2, "id");
  return start_call(
      info, state, Kind::none,
      [collection = std::move(collection), id = std::move(id)](acid_client *c, Outcome &) {
        return acid_content_delete(c, collection.c_str(), id.c_str());
      });
}

Napi::Value CodeAllocate(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  const std::int64_t when = int64_arg(info, 1, "date");
  return start_call(info, state, Kind::text, [when](acid_client *c, Outcome &out) {
    char code[ACID_USER_CODE_SIZE] = {0};
    const int rc = acid_user_code_allocate(c, when, code);
    if (rc == ACID_OK) out.text = code;
    return rc;
  });
}

Napi::Value CodeStats(const Napi::CallbackInfo &info) {
  ClientPtr state = client_arg(info);
  const std::int64_t year = int64_arg(info, 1, "year");
  if (year < -1 || year > 99) {
    throw_failure(info.Env(), {ACID_EINVAL, "year must be a two-digit year (0-99) or -1 for all"});
  }
  return start_call(info, state, Kind::text, [year](acid_client *c, Outcome &out) {
    char *json = nullptr;
    const int rc = acid_user_code_stats(c, static_cast<int>(year), &json);
    return take(rc, json, out.text);
  });
}

// ---- synchronous helpers -----------------------------------------------------------------------

// codeCheck(code) -> true, or the reason the code is invalid. Non-strings are the caller's job.
Napi::Value CodeCheck(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw_type_error(env, "code must be a string");
  // Codes are 9 bytes: read into a small stack buffer; anything longer is invalid anyway, but
  // the library still gives the reason, so long inputs take the allocating path.
  char small[32];
  std::size_t len = 0;
  napi_status s = napi_get_value_string_utf8(env, info[0], small, sizeof small, &len);
  if (s != napi_ok) throw Napi::Error::New(env, "could not read the code string");
  std::string large;
  const char *text = small;
  if (len + 1 >= sizeof small) {
    large = info[0].As<Napi::String>().Utf8Value();
    text = large.c_str();
    len = large.size();
  }
  if (std::strlen(text) != len) return Napi::String::New(env, "the code contains a NUL character");
  const int rc = acid_user_code_check(text);
  if (rc == ACID_OK) return Napi::Boolean::New(env, true);
  Failure f = last_failure(rc);
  if (rc != ACID_EINVAL) throw_failure(env, f);
  return Napi::String::New(env, f.message);
}

// codeParse(text) -> the first code in the text (lowercased) or null.
Napi::Value CodeParse(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw_type_error(env, "text must be a string");
  const std::string text = info[0].As<Napi::String>().Utf8Value();
  char out[ACID_USER_CODE_SIZE] = {0};
  const int rc = acid_user_code_parse(text.data(), text.size(), out);
  if (rc == ACID_OK) return Napi::String::New(env, out);
  if (rc == ACID_ENOTFOUND) return env.Null();
  throw_failure(env, last_failure(rc));
}

// codeGenerate(unixMs) -> a random code in the format of that signup year (not reserved).
Napi::Value CodeGenerate(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const std::int64_t when = int64_arg(info, 0, "date");
  char out[ACID_USER_CODE_SIZE] = {0};
  const int rc = acid_user_code_generate(when, out);
  if (rc != ACID_OK) throw_failure(env, last_failure(rc));
  return Napi::String::New(env, out);
}

// handleChoose(acHandle|null, code, domain|null) -> JSON text {"handle","fallback","reason"}.
Napi::Value HandleChoose(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const std::optional<std::string> handle = optional_string_arg(info, 0, "handle");
  const std::string code = string_arg(info, 1, "code");
  const std::optional<std::string> domain = optional_string_arg(info, 2, "domain");
  char *json = nullptr;
  const int rc =
      acid_pds_handle_choose(c_str_or_null(handle), code.c_str(), c_str_or_null(domain), &json);
  if (rc != ACID_OK) throw_failure(env, last_failure(rc));
  std::string text;
  take(rc, json, text);
  return Napi::String::New(env, text);
}

Napi::Value Version(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int major = 0, minor = 0, patch = 0;
  const char *text = acid_version(&major, &minor, &patch);
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", Napi::String::New(env, text));
  o.Set("major", Napi::Number::New(env, major));
  o.Set("minor", Napi::Number::New(env, minor));
  o.Set("patch", Napi::Number::New(env, patch));
  o.Set("headerVersion", Napi::String::New(env, ACID_VERSION_STRING));
  o.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  return o;
}

Napi::Value StatusName(const Napi::CallbackInfo &info) {
  const std::int64_t status = int64_arg(info, 0, "status");
  return Napi::String::New(info.Env(), acid_status_name(static_cast<int>(status)));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("doctor", Napi::Function::New(env, Doctor, "doctor"));
  exports.Set("inFlight", Napi::Function::New(env, InFlight, "inFlight"));
  exports.Set("handleLogStream", Napi::Function::New(env, HandleLogStream, "handleLogStream"));
  exports.Set("runJobs", Napi::Function::New(env, RunJobs, "runJobs"));
  exports.Set("userGet", Napi::Function::New(env, UserGet, "userGet"));
  exports.Set("userRetry", Napi::Function::New(env, UserRetry, "userRetry"));
  exports.Set("handleChanged", Napi::Function::New(env, HandleChanged, "handleChanged"));
  exports.Set("handleChangedRequest",
              Napi::Function::New(env, HandleChangedRequest, "handleChangedRequest"));
  exports.Set("userDelete", Napi::Function::New(env, UserDelete, "userDelete"));
  exports.Set("pdsDescribe", Napi::Function::New(env, PdsDescribe, "pdsDescribe"));
  exports.Set("metrics", Napi::Function::New(env, Metrics, "metrics"));
  exports.Set("pdsCredentials", Napi::Function::New(env, PdsCredentials, "pdsCredentials"));
  exports.Set("pdsSession", Napi::Function::New(env, PdsSession, "pdsSession"));
  exports.Set("credentialsStatus",
              Napi::Function::New(env, CredentialsStatus, "credentialsStatus"));
  exports.Set("credentialsSeal", Napi::Function::New(env, CredentialsSeal, "credentialsSeal"));
  exports.Set("audit", Napi::Function::New(env, Audit, "audit"));
  exports.Set("backfill", Napi::Function::New(env, Backfill, "backfill"));
  exports.Set("syncRecords", Napi::Function::New(env, SyncRecords, "syncRecords"));
  exports.Set("syncVerify", Napi::Function::New(env, SyncVerify, "syncVerify"));
  exports.Set("syncDocument", Napi::Function::New(env, SyncDocument, "syncDocument"));
  exports.Set("contentImport", Napi::Function::New(env, ContentImport, "contentImport"));
  exports.Set("contentDelete", Napi::Function::New(env, ContentDelete, "contentDelete"));
  exports.Set("codeAllocate", Napi::Function::New(env, CodeAllocate, "codeAllocate"));
  exports.Set("codeStats", Napi::Function::New(env, CodeStats, "codeStats"));
  exports.Set("codeCheck", Napi::Function::New(env, CodeCheck, "codeCheck"));
  exports.Set("codeParse", Napi::Function::New(env, CodeParse, "codeParse"));
  exports.Set("codeGenerate", Napi::Function::New(env, CodeGenerate, "codeGenerate"));
  exports.Set("handleChoose", Napi::Function::New(env, HandleChoose, "handleChoose"));
  exports.Set("version", Napi::Function::New(env, Version, "version"));
  exports.Set("statusName", Napi::Function::New(env, StatusName, "statusName"));
  return exports;
}

}  // namespace
}  // namespace acidnode

static Napi::Object InitAcidentity(Napi::Env env, Napi::Object exports) {
  return acidnode::Init(env, exports);
}

NODE_API_MODULE(acidentity, InitAcidentity)
