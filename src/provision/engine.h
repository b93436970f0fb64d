// The provisioning engine: Auth0 log-stream intake (facts in, durable before the answer), the
// job runner (leases, retries with backoff, permanent failures stored, counted, logged and
// alerted), and the per-user operations (show, retry, set handle).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth0/log_stream.h"
#include "auth0/management.h"
#include "code/allocator.h"
#include "core/config.h"
#include "core/status.h"
#include "pds/xrpc_client.h"
#include "provision/metrics.h"
#include "provision/provisioner.h"
#include "provision/results.h"
#include "store/store.h"

namespace acid::provision {

class LeaseKeeper;  // provision/lease_keeper.h

// Receives one JSON object per line: state changes and failures, never a secret.
using LogSink = std::function<void(std::string_view json_line)>;
// Receives a JSON object for every permanent failure (a user whose provisioning gave up).
using AlertSink = std::function<void(std::string_view json)>;

struct EngineOptions {
  Config config;
  std::string worker_id;  // lease owner; default "<host>:<pid>:<random>"
  std::int64_t lease_ms = 120'000;
  LogSink log;
  AlertSink alert;
  // Default: the Auth0 Management API of the user's tenant when its M2M client is configured,
  // else none (emails then come from the events only).
  EmailLookup email_lookup;
  // The most a webhook delivery spends asking Auth0 for the signup date of users verified
  // before any signup was seen; past it (or while Auth0 rate-limits) the event date names the
  // code's year. Each lookup is one attempt with this timeout, never a retry or a wait.
  std::int64_t intake_lookup_budget_ms = 300;
};

struct HttpAnswer {
  int status = 500;
  std::string body;  // JSON
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> create(EngineOptions options);
  ~Engine();

  // One webhook delivery for `tenant`. 200 only when every valid entry's facts and every
  // refused entry's dead letter are durable; 400 for a body malformed as a whole, 413 for one
  // over auth0::kMaxLogStreamBodyBytes (nothing written); 401/403 for a missing/wrong token; 503
  // when no token is configured (fail closed) or the store failed (Auth0 retries the batch).
  // An entry refused on its own is listed in the reply's "rejected" and kept as a dead letter.
  HttpAnswer handle_log_stream(Tenant tenant, std::optional<std::string_view> authorization,
                               std::string_view body);

  // Runs due jobs until `max_jobs` ran, nothing is due, or `budget_ms` passed.
  Result<JobRunSummary> run_jobs(std::int64_t budget_ms, int max_jobs);

  // The user's record and jobs (its JSON never carries the password).
  Result<UserView> user(std::string_view sub);
  // failed -> pending with a fresh job.
  Status retry_user(std::string_view sub);
  // Records the person's AC handle (AC rules, case-insensitive uniqueness) and, when they have a
  // PDS account (or one is being created), schedules the job that moves the PDS handle.
  Status set_handle(std::string_view sub, std::string_view handle);
  // POST /handle-changed: {"sub","handle"} authorized by ACID_HANDLE_CHANGED_TOKEN (bare or
  // Bearer; none configured refuses everything). 200 recorded (and the PDS update scheduled),
  // 400 bad body or handle, 401/403 authorization, 404 unknown sub, 409 handle taken, 413 too
  // large, 503 no token configured or the store failed (retry).
  HttpAnswer handle_changed_request(std::optional<std::string_view> authorization,
                                    std::string_view body);
  // Deletes the person as an Auth0 `sdu` event does: marked deleted, the PDS account deleted by
  // a job, the code kept. Code::not_found for an unknown sub; repeating it changes nothing.
  Status delete_user(std::string_view sub);

  // Why `sub` is a service account (core/service_accounts.h: its id, or its stored DID when
  // DIDs are listed), nullopt for a person. Service accounts are never given a code,
  // provisioned, resealed, moved or deleted by the library.
  Result<std::optional<std::string>> service_account(std::string_view sub);
  // Dead letters (store/dead_letters.h) as JSON: {"dead_letters":[...]}. The entry is given as
  // text when it is UTF-8, else as "entry_base64".
  Result<std::string> dead_letters_json(const store::DeadLetterQuery &query);
  // Applies a dead letter's entry again, as its stream would (no token needed: an operator
  // call). The outcome is recorded on the letter and returned as JSON; Code::invalid (after
  // recording) when the entry is still refused, Code::not_found for an unknown id.
  Result<std::string> replay_dead_letter(std::string_view id);

  std::string metrics_text() const;
  // describeServer of the configured PDS.
  Result<PdsDescription> describe_pds();
  const Config &config() const { return options_.config; }
  store::Store &store() { return *store_; }
  code::CodeAllocator &allocator() { return *allocator_; }
  Metrics &metrics() { return metrics_; }
  const std::string &worker_id() const { return options_.worker_id; }

  // The parts other subsystems (sync, audit) build on; created on first use, owned here.
  Result<pds::XrpcClient *> pds_client();
  Result<Provisioner *> provisioner();
  // The Management API client of a tenant; Code::config when its M2M client is not set.
  Result<auth0::ManagementClient *> management(Tenant tenant);
  // The Auth0 user behind a stored sub ("sotce-" prefix selects the tenant).
  Result<auth0::User> auth0_user(std::string_view sub);
  // Writes one structured log line (and nothing else); never a secret.
  void log(std::string_view event, std::string_view sub, std::string_view extra_json) const;

 private:
  explicit Engine(EngineOptions options) : options_(std::move(options)) {}
  struct IntakeSummary {
    std::size_t events = 0, applied = 0, rejected = 0, ignored = 0, duplicates = 0;
  };
  // The body of an authorized delivery (or a replayed dead letter, with keep_dead_letters
  // false): parse, keep refused entries, apply the rest, answer.
  HttpAnswer intake(Tenant tenant, std::string_view body, bool keep_dead_letters,
                    IntakeSummary *summary);
  Result<auth0::ManagementConfig> management_config(Tenant tenant) const;
  // The Management API client the webhook may use: one attempt, short timeouts, no waits.
  Result<auth0::ManagementClient *> intake_management(Tenant tenant);
  UnixMillis code_time_for_verification(const auth0::LogEvent &ev, UnixMillis deadline);
  // run_jobs' bookkeeping (engine.cpp): each outcome recorded under the job's lease token.
  using JobTally = JobRunSummary;
  Status record_job_outcome(const store::Job &job, const JobResult &result, Provisioner *runner,
                            JobTally &tally);
  Status stale_result(const store::Job &job, Status refused, JobTally &tally);
  void note_lease_keeping(const store::Job &job, const LeaseKeeper &keeper);
  void report_store_problems();
  bool skip_service_account(const auth0::LogEvent &ev);
  Status refuse_service_account(std::string_view sub, std::string_view what);

  EngineOptions options_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<code::CodeAllocator> allocator_;
  std::mutex pds_mu_;
  std::unique_ptr<pds::XrpcClient> pds_;
  std::unique_ptr<Provisioner> provisioner_;
  std::mutex auth0_mu_;
  std::unique_ptr<auth0::ManagementClient> auth0_clients_[2];
  std::unique_ptr<auth0::ManagementClient> intake_auth0_clients_[2];
  // Until when the webhook skips Auth0 lookups (set by a 429 or an unreachable Auth0).
  std::atomic<std::int64_t> intake_lookups_paused_until_{0};
  Metrics metrics_;
};

}  // namespace acid::provision
