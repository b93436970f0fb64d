#include "provision/engine.h"

#include <unistd.h>

#include <chrono>

#include "auth0/log_stream.h"
#include "code/user_code.h"
#include "core/json.h"
#include "core/random.h"
#include "pds/handle.h"
#include "provision/lease_keeper.h"

namespace acid::provision {

namespace {

std::string default_worker_id() {
  char host[128] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  auto suffix = random_string(6, "abcdefghijklmnopqrstuvwxyz0123456789");
  return std::string(host[0] ? host : "worker") + ":" + std::to_string(getpid()) + ":" +
         (suffix ? *suffix : std::string("x"));
}

HttpAnswer reply(int status, std::string body) {
  return HttpAnswer{status, std::move(body)};
}

using json::error_body;
using json::error_json;

// {"kind": the job's kind, "error": the error}: the detail of a job's log line.
std::string kind_and_error(std::string_view kind, const Error &error) {
  return json::object([&](json::Writer &w) {
    json::member(w, "kind", kind);
    w.Key("error");
    w.StartObject();
    json::error_members(w, error);
    w.EndObject();
  });
}

// Why a request the configured token does not admit is refused (nullopt: admitted); with no
// token configured every request is refused, for the reason `unset`.
struct Refusal {
  int status;
  std::string message;
};
std::optional<Refusal> refusal(std::optional<std::string_view> authorization,
                               const std::optional<std::string> &token, std::string unset) {
  std::optional<std::string_view> configured;
  if (token) configured = *token;
  switch (auth0::check_authorization(authorization, configured)) {
    case auth0::AuthResult::ok:
      return std::nullopt;
    case auth0::AuthResult::not_configured:
      return Refusal{503, std::move(unset)};
    case auth0::AuthResult::missing:
      return Refusal{401, "missing authorization"};
    case auth0::AuthResult::invalid:
      return Refusal{403, "invalid authorization token"};
  }
  return Refusal{403, "invalid authorization token"};
}

}  // namespace

Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::create(EngineOptions options) {
  if (options.worker_id.empty()) options.worker_id = default_worker_id();
  if (options.lease_ms < 1000) {
    return Error(Code::config, "the job lease (ACID_JOB_LEASE_MS) must be at least 1000 ms");
  }
  std::unique_ptr<Engine> engine(new Engine(std::move(options)));
  ACID_ASSIGN_OR_RETURN(auto store, store::open_store(engine->options_.config.store_uri));
  engine->store_ = std::move(store);
  engine->report_store_problems();
  ACID_ASSIGN_OR_RETURN(auto allocator, code::CodeAllocator::create(*engine->store_));
  engine->allocator_ = std::move(allocator);
  if (!engine->options_.email_lookup) {
    Engine *self = engine.get();
    engine->options_.email_lookup = [self](std::string_view sub) -> Result<std::string> {
      ACID_ASSIGN_OR_RETURN(auto user, self->auth0_user(sub));
      if (!user.email) return Error(Code::not_found, "Auth0 has no email for " + std::string(sub));
      return *user.email;
    };
  }
  for (const std::string &warning : engine->options_.config.warnings()) {
    engine->log("config.warning", "",
                json::object([&](json::Writer &w) { json::member(w, "warning", warning); }));
  }
  return engine;
}

// An index the store opened without: counted, logged and alerted once per open; signups keep
// flowing, `acidentity doctor` fails until the data is fixed.
void Engine::report_store_problems() {
  for (const std::string &problem : store_->open_problems()) {
    // The line starts with "collection.index ".
    metrics_.add("acid_store_index_missing_total",
                 {{"index", problem.substr(0, problem.find(' '))}});
    log("store.index_missing", "",
        json::object([&](json::Writer &w) { json::member(w, "problem", problem); }));
    if (options_.alert) {
      options_.alert(json::object([&](json::Writer &w) {
        json::member(w, "kind", "store_index_missing");
        json::member(w, "problem", problem);
      }));
    }
    metrics_.add("acid_alerts_total", {{"kind", "store_index_missing"}});
  }
}

void Engine::log(std::string_view event, std::string_view sub, std::string_view extra_json) const {
  if (!options_.log) return;
  std::string line =
      "{\"ts\":" + json::quote(format_iso8601(now_unix_ms())) + ",\"event\":" + json::quote(event);
  if (!sub.empty()) line += ",\"sub\":" + json::quote(sub);
  if (extra_json.size() > 2) {  // merge the members of a non-empty object
    line += ",";
    line.append(extra_json.substr(1, extra_json.size() - 2));
  }
  line += "}";
  options_.log(line);
}

Result<pds::XrpcClient *> Engine::pds_client() {
  std::lock_guard lock(pds_mu_);
  if (!pds_) {
    ACID_TRY(options_.config.require_pds());
    pds::ClientOptions opts;
    opts.base_url = *options_.config.pds_url;
    opts.admin_password = *options_.config.pds_admin_password;
    ACID_ASSIGN_OR_RETURN(auto client, pds::XrpcClient::create(std::move(opts)));
    pds_ = std::move(client);
  }
  return pds_.get();
}

// The tenant's Management API settings; Code::config when its M2M client is not set.
Result<auth0::ManagementConfig> Engine::management_config(Tenant tenant) const {
  ACID_TRY(options_.config.require_auth0_m2m(tenant));
  const Auth0TenantConfig &tc = options_.config.tenant(tenant);
  auth0::ManagementConfig mc;
  mc.base_url = tc.base_url;
  mc.client_id = *tc.m2m_client_id;
  mc.client_secret = *tc.m2m_secret;
  mc.client_id_variable =
      tenant == Tenant::sotce ? "SOTCE_AUTH0_M2M_CLIENT_ID" : "AUTH0_M2M_CLIENT_ID";
  return mc;
}

Result<auth0::ManagementClient *> Engine::management(Tenant tenant) {
  std::lock_guard lock(auth0_mu_);
  auto &slot = auth0_clients_[tenant == Tenant::sotce ? 1 : 0];
  if (!slot) {
    ACID_ASSIGN_OR_RETURN(auth0::ManagementConfig mc, management_config(tenant));
    ACID_ASSIGN_OR_RETURN(auto client, auth0::ManagementClient::create(std::move(mc)));
    slot = std::move(client);
  }
  return slot.get();
}

Result<auth0::User> Engine::auth0_user(std::string_view sub) {
  ACID_ASSIGN_OR_RETURN(auto client, management(tenant_of_sub(sub)));
  return client->get_user(auth0_user_id_of(sub));
}

Result<Provisioner *> Engine::provisioner() {
  ACID_ASSIGN_OR_RETURN(auto client, pds_client());
  std::lock_guard lock(pds_mu_);
  if (!provisioner_) {
    ProvisionerOptions opts;
    opts.handle_domain = options_.config.pds_handle_domain;
    opts.credentials_key =
        options_.config.credentials_key ? &*options_.config.credentials_key : nullptr;
    opts.allow_plaintext_credentials = options_.config.allow_plaintext_credentials;
    provisioner_ = std::make_unique<Provisioner>(*store_, *store_, *client, std::move(opts),
                                                 options_.email_lookup);
  }
  return provisioner_.get();
}

// An event of a service account (core/service_accounts.h) is not applied: no code, no PDS
// account. Counted and logged.
bool Engine::skip_service_account(const auth0::LogEvent &ev) {
  if (!options_.config.service_accounts.is_service_sub(ev.sub)) return false;
  metrics_.add("acid_events_total", {{"type", ev.type}, {"outcome", "service_account"}});
  log("event.service_account", ev.sub,
      json::object([&](json::Writer &w) { json::member(w, "log_id", ev.log_id); }));
  return true;
}

HttpAnswer Engine::handle_log_stream(Tenant tenant, std::optional<std::string_view> authorization,
                                     std::string_view body) {
  const std::string tenant_label(tenant_name(tenant));
  if (auto refused = refusal(authorization, options_.config.tenant(tenant).log_token,
                             "no webhook token is configured for tenant " + tenant_label +
                                 ": every request is refused")) {
    metrics_.add("acid_webhook_requests_total",
                 {{"tenant", tenant_label}, {"status", std::to_string(refused->status)}});
    return reply(refused->status, error_body(refused->message));
  }
  return intake(tenant, body, true, nullptr);
}

Result<JobRunSummary> Engine::run_jobs(std::int64_t budget_ms, int max_jobs) {
  if (budget_ms <= 0 || max_jobs <= 0) {
    return Error(Code::invalid, "run_jobs needs a positive budget and job count");
  }
  const UnixMillis deadline = now_unix_ms() + budget_ms;
  JobRunSummary tally;
  int &ran = tally.ran;
  bool &remaining_due = tally.remaining_due;
  while (ran < max_jobs) {
    const UnixMillis now = now_unix_ms();
    if (now >= deadline) {
      remaining_due = true;
      break;
    }
    ACID_ASSIGN_OR_RETURN(auto leased,
                          store_->lease_job(options_.worker_id, now, options_.lease_ms));
    if (!leased.has_value()) break;
    const store::Job job = *leased;
    ++ran;

    JobResult result;
    auto prov = provisioner();
    Provisioner *runner = prov ? *prov : nullptr;
    {
      // Renewed while it runs: a run longer than the lease must not let a second worker in.
      LeaseKeeper keeper(*store_, job, options_.lease_ms);
      auto service = service_account(job.sub);
      if (!service) {
        result = JobResult{Outcome::retry, std::nullopt, std::move(service).error(), ""};
      } else if (*service) {
        // Never provisioned, resealed or moved: the job is finished without a PDS call.
        result =
            JobResult{Outcome::done, std::nullopt, std::nullopt, "service account: " + **service};
        metrics_.add("acid_jobs_skipped_total",
                     {{"kind", to_string(job.kind)}, {"reason", "service_account"}});
      } else if (!prov) {
        result = JobResult{Outcome::retry, std::nullopt, std::move(prov).error(), ""};
      } else {
        result = (*prov)->run(job);
      }
      keeper.stop();
      note_lease_keeping(job, keeper);
    }
    ACID_TRY(record_job_outcome(job, result, runner, tally));
  }
  if (ran >= max_jobs) remaining_due = true;
  return tally;
}

void Engine::note_lease_keeping(const store::Job &job, const LeaseKeeper &keeper) {
  const std::string kind = to_string(job.kind);
  if (keeper.renewals() > 0) {
    metrics_.add("acid_lease_renewals_total", {{"kind", kind}},
                 static_cast<std::uint64_t>(keeper.renewals()));
  }
  if (keeper.renew_errors() > 0) {
    metrics_.add("acid_lease_renew_errors_total", {{"kind", kind}},
                 static_cast<std::uint64_t>(keeper.renew_errors()));
  }
  if (auto lost = keeper.failure()) {
    metrics_.add("acid_leases_lost_total", {{"kind", kind}});
    log("job.lease_lost", job.sub, kind_and_error(kind, *lost));
  }
}

// Records what a run decided, fenced by the job's lease token: the job's own record first, and
// only when that succeeded (the lease was still ours) the account's attempt and the alert. A
// stale holder's result is dropped, counted and logged; the current holder's outcome stands.
Status Engine::record_job_outcome(const store::Job &job, const JobResult &result,
                                  Provisioner *runner, JobTally &tally) {
  const std::string kind = to_string(job.kind);
  const int attempts = job.attempts + 1;
  if (result.outcome == Outcome::done) {
    Status recorded = store_->complete_job(job, options_.worker_id);
    if (!recorded) return stale_result(job, std::move(recorded), tally);
    ++tally.done;
    metrics_.add("acid_jobs_total", {{"kind", kind}, {"outcome", "done"}});
    log("job.done", job.sub, json::object([&](json::Writer &w) {
          json::member(w, "kind", kind);
          json::member(w, "note", result.note);
        }));
    return Status::ok();
  }
  const Error err = result.error.value_or(Error(Code::internal, "job failed without an error"));
  const std::string err_json = error_json(err);
  const bool give_up =
      result.outcome == Outcome::give_up || attempts >= options_.config.max_attempts;
  UnixMillis due = 0;
  if (!give_up) {
    due = now_unix_ms() + (runner != nullptr ? runner->backoff_ms(attempts) : 60'000);
    if (result.retry_at && *result.retry_at > due) due = *result.retry_at;
  }
  Status recorded = give_up ? store_->fail_job(job, options_.worker_id, err_json)
                            : store_->reschedule_job(job, options_.worker_id, due, err_json);
  if (!recorded) return stale_result(job, std::move(recorded), tally);
  // The account's attempts and state describe its creation; other jobs keep their attempts and
  // error on the job record (which the audit lists). Guarded by state as well: an account that
  // became active meanwhile is never marked failed.
  if (job.kind == store::JobKind::provision) {
    Status noted = store_->record_attempt_failure(job.sub, attempts, err_json, give_up);
    if (!noted && noted.code() == Code::conflict) {
      metrics_.add("acid_account_writes_refused_total", {{"op", "record_attempt_failure"}});
      log("job.account_write_refused", job.sub, kind_and_error(kind, noted.error()));
    } else if (!noted && noted.code() != Code::not_found) {
      return noted;
    }
  }
  if (!give_up) {
    ++tally.retried;
    metrics_.add("acid_jobs_total", {{"kind", kind}, {"outcome", "retry"}});
    log("job.retry", job.sub, json::object([&](json::Writer &w) {
          json::member(w, "kind", kind);
          json::member(w, "attempts", attempts);
          json::member(w, "due", format_iso8601(due));
          json::raw_member(w, "error", err_json);
        }));
    return Status::ok();
  }
  ++tally.failed;
  metrics_.add("acid_jobs_total", {{"kind", kind}, {"outcome", "failed"}});
  const auto failure = [&](json::Writer &w) {
    json::member(w, "kind", kind);
    json::member(w, "attempts", attempts);
    json::raw_member(w, "error", err_json);
  };
  log("job.failed", job.sub, json::object(failure));
  if (options_.alert) {
    options_.alert(json::object([&](json::Writer &w) {
      json::member(w, "sub", job.sub);
      failure(w);
    }));
  }
  metrics_.add("acid_alerts_total", {{"kind", kind}});
  return Status::ok();
}

// The job's record refused the result: the lease was lost (expired and taken, under a new
// token) or the job was replaced (e.g. by a deletion). The other holder's outcome stands.
Status Engine::stale_result(const store::Job &job, Status refused, JobTally &tally) {
  if (refused.code() != Code::conflict) return refused;
  const std::string kind = to_string(job.kind);
  ++tally.superseded;
  metrics_.add("acid_jobs_total", {{"kind", kind}, {"outcome", "superseded"}});
  metrics_.add("acid_stale_results_dropped_total", {{"kind", kind}});
  log("job.superseded", job.sub, kind_and_error(kind, refused.error()));
  return Status::ok();
}

Result<UserView> Engine::user(std::string_view sub) {
  ACID_ASSIGN_OR_RETURN(auto account, store_->get_account(sub));
  ACID_ASSIGN_OR_RETURN(auto jobs, store_->list_jobs(sub));
  return UserView{std::move(account), std::move(jobs)};
}

Result<std::optional<std::string>> Engine::service_account(std::string_view sub) {
  const ServiceAccounts &accounts = options_.config.service_accounts;
  if (auto why = accounts.reason(sub)) return why;
  if (accounts.dids().empty()) return std::optional<std::string>();
  auto account = store_->get_account(sub);
  if (!account) {
    if (account.code() == Code::not_found) return std::optional<std::string>();
    return std::move(account).error();
  }
  if (!account->did) return std::optional<std::string>();
  return accounts.reason(sub, *account->did);
}

Status Engine::refuse_service_account(std::string_view sub, std::string_view what) {
  ACID_ASSIGN_OR_RETURN(auto service, service_account(sub));
  if (!service) return Status::ok();
  return Error(Code::invalid, std::string(sub) + " is a service account (" + *service +
                                  "): the library does not " + std::string(what) + " it");
}

Status Engine::retry_user(std::string_view sub) {
  ACID_TRY(refuse_service_account(sub, "provision"));
  ACID_TRY(store_->reset_failed(sub, now_unix_ms()));
  log("user.retry", sub, "{}");
  metrics_.add("acid_user_retries_total", {});
  return Status::ok();
}

Status Engine::set_handle(std::string_view sub, std::string_view handle) {
  ACID_TRY(pds::validate_ac_handle(handle));
  // Kept as typed (without the '@'); uniqueness is case-insensitive in the store.
  const std::string normalized(pds::strip_leading_at(handle));
  auto account = store_->get_account(sub);
  if (!account) return std::move(account).error();
  ACID_TRY(refuse_service_account(sub, "move the handle of"));
  ACID_TRY(store_->set_handle(sub, normalized));
  log("user.handle", sub,
      json::object([&](json::Writer &w) { json::member(w, "handle", normalized); }));
  // An account on the PDS follows through an update_handle job. The state is read after the
  // handle was written: an account still pending or being created then picks up the new handle
  // itself (the intent is made from it, or the provision job's check after creation, which reads
  // after its own commit, sees it). Unverified and deleted people have nothing on the PDS.
  auto now_state = store_->get_account(sub);
  if (!now_state) return std::move(now_state).error().context("the handle is recorded");
  if (now_state->state == store::AccountState::active) {
    auto scheduled = store_->schedule_job(sub, store::JobKind::update_handle, now_unix_ms());
    if (!scheduled) {
      return std::move(scheduled).error().context(
          "the handle is recorded but its PDS update could not be scheduled (retry the call)");
    }
  }
  return Status::ok();
}

HttpAnswer Engine::handle_changed_request(std::optional<std::string_view> authorization,
                                          std::string_view body) {
  const auto answer = [this](int status, std::string text) {
    metrics_.add("acid_handle_change_requests_total", {{"status", std::to_string(status)}});
    return reply(status, std::move(text));
  };
  if (auto refused = refusal(authorization, options_.config.handle_changed_token,
                             "ACID_HANDLE_CHANGED_TOKEN is not set: every request is refused")) {
    return answer(refused->status, error_body(refused->message));
  }
  constexpr std::size_t kMaxBody = 4096;  // {"sub": ..., "handle": ...} is far smaller
  if (body.size() > kMaxBody) {
    return answer(413, error_body("body larger than " + std::to_string(kMaxBody) + " bytes"));
  }
  auto doc = json::parse(body);
  if (!doc) return answer(400, error_body(doc.error().message));
  if (!doc->IsObject()) return answer(400, error_body("the body must be a JSON object"));
  const auto sub = json::get_string(*doc, "sub");
  const auto handle = json::get_string(*doc, "handle");
  if (!sub || sub->empty() || sub->size() > 256) {
    return answer(400, error_body("\"sub\" must be a non-empty string of at most 256 bytes"));
  }
  if (!handle || handle->empty()) {
    return answer(400, error_body("\"handle\" must be a non-empty string"));
  }
  Status st = set_handle(*sub, *handle);
  if (!st) {
    switch (st.code()) {
      case Code::invalid:
        return answer(400, error_body(st.error().message));
      case Code::not_found:
        return answer(404, error_body(st.error().message));
      case Code::conflict:
        return answer(409, error_body(st.error().message));
      default:
        log("handle.store_error", *sub, error_json(st.error()));
        return answer(503, error_body(st.error().message));  // the caller retries
    }
  }
  return answer(200, json::object([&](json::Writer &w) {
                  json::member(w, "sub", *sub);
                  json::member(w, "handle", pds::strip_leading_at(*handle));
                }));
}

Status Engine::delete_user(std::string_view sub) {
  auto account = store_->get_account(sub);
  if (!account) return std::move(account).error();
  ACID_TRY(refuse_service_account(sub, "delete"));
  // The same fact an Auth0 `sdu` event records, under a log id of its own: deleting twice is
  // one deletion, and the account follows the same path (a job deletes the PDS account). Posted
  // ids are stored as "auth0:<tenant>:<id>" (auth0::stored_log_id), so none can be this one.
  const UnixMillis now = now_unix_ms();
  store::EventFact fact{"acid:delete:" + std::string(sub),
                        store::EventType::deleted,
                        std::string(sub),
                        now,
                        std::nullopt,
                        now};
  ACID_ASSIGN_OR_RETURN(auto outcome,
                        store_->apply_event(fact, code::kCodesPerYear,
                                            [this](int yy) -> Result<store::CodeCandidate> {
                                              return allocator_->candidates(yy);
                                            }));
  log("user.delete", sub, json::object([&](json::Writer &w) {
        json::member(w, "job_scheduled", outcome.job_scheduled);
        json::member(w, "repeated", outcome.duplicate);
      }));
  metrics_.add("acid_user_deletions_total",
               {{"outcome", outcome.duplicate ? "repeated" : "recorded"}});
  return Status::ok();
}

std::string Engine::metrics_text() const {
  return metrics_.prometheus_text();
}

Result<PdsDescription> Engine::describe_pds() {
  ACID_ASSIGN_OR_RETURN(auto client, pds_client());
  ACID_ASSIGN_OR_RETURN(auto desc, client->describe_server());
  return PdsDescription{client->base_url(), std::move(desc)};
}

}  // namespace acid::provision
