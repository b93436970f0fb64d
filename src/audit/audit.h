// Audit and backfill (docs/audit.md): every drift between Auth0, the store and the PDS, found with
// a few streaming store queries and batched PDS calls, and repaired through the provisioning
// engine's own facts and jobs (no second code path). docs/audit.md documents the JSON schema.
// Both receive only the parts they use (Sources, BackfillParts; audit/engine_parts.h makes them
// from an engine).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth0/management.h"
#include "code/allocator.h"
#include "core/json.h"
#include "core/service_accounts.h"
#include "core/status.h"
#include "core/tenant.h"
#include "pds/xrpc_client.h"
#include "provision/results.h"
#include "store/account_store.h"
#include "store/audit_scan.h"
#include "store/job_store.h"

namespace acid::audit {

// Which users are audited.
enum class Scope {
  recent,  // the `limit` most recently created Auth0 users of each selected tenant
  all,     // every user in the store (and, for orphans, every account on the PDS)
  user,    // one stored sub
};

struct Options {
  Scope scope = Scope::all;
  std::size_t limit = 0;  // recent: 1..1000 per tenant
  std::string user;       // user: the stored sub ("sotce-" prefixed for sotce)
  store::SubFilter tenant = store::SubFilter::all;
  bool deep = false;  // log in with every stored password (createSession), rate-limit aware
  int deep_concurrency = 2;
  // PDS accounts that belong to no user by design (the art account, operators' accounts): never
  // reported as orphans, never deleted.
  std::vector<std::string> ignore_dids;
  // An open job that has been due this long without running means no worker is running.
  std::int64_t stuck_after_ms = 3'600'000;
  // Longest wait for a createSession rate limit to reset during --deep, per call.
  std::int64_t max_rate_limit_wait_ms = 120'000;
};

// Options from the documented JSON object (docs/audit.md); Code::invalid naming the member.
// Backfill members are accepted (and left to parse_backfill_options); any other is refused.
Result<Options> parse_options(const rapidjson::Value &object);
// acid_audit's options_json text: one JSON object of at most 1 MiB, audit members only.
Result<Options> parse_audit_options(std::string_view options_json);

enum class Kind {
  missing_verifications,
  missing_users_record,
  missing_code,
  invalid_code,
  duplicate_code,
  verified_no_pds_account,
  did_unknown_to_pds,
  pds_handle_differs,
  stale_handle_domain,
  orphan_pds_account,
  credentials_unusable,
  plaintext_credentials,
  state_failed,
  state_stuck,
  deleted_in_auth0_on_pds,
  ac_handle_differs,    // the person's AC handle (@handles) and their PDS handle disagree
  users_without_auth0,  // the deployed audit's "orphans": a recent users record Auth0 lacks
};
inline constexpr int kKindCount = 17;
const char *to_string(Kind kind);

// What the backfill does about a finding.
enum class Action {
  manual,               // nothing automatic is safe: the evidence says what to do
  record_signup,        // a signup fact: users + verifications records, a collision-free code
  record_verification,  // a verification fact: the provision job
  schedule_provision,   // a provision job (a stuck account)
  retry_failed,         // failed -> pending with a new job (as `user retry`)
  reprovision,          // the stored DID is gone from the PDS: forget it, provision again
  resync_handle,        // an update_handle job
  record_deletion,      // a deletion fact: the delete_account job
  schedule_delete,      // a delete_account job (deletion already recorded)
  delete_orphan,        // admin deleteAccount of an orphan (only with --delete-orphans)
};
const char *to_string(Action action);

struct Finding {
  Kind kind = Kind::missing_verifications;
  std::string sub;  // empty for orphans
  std::optional<std::string> did;
  std::string evidence;  // what was seen
  Action action = Action::manual;
  std::string fix;  // what the action does, or what an operator must do
};

// A users document that is not a person (core/service_accounts.h): listed, never a finding.
struct ServiceAccountSeen {
  std::string sub;
  std::optional<std::string> did;
  std::optional<std::string> pds_handle;
  std::string reason;
};

struct Report {
  std::string scope;   // "recent", "all", "user"
  std::string tenant;  // "aesthetic", "sotce", "all"
  bool deep = false;
  std::uint64_t users_checked = 0;
  std::uint64_t auth0_users = 0;       // Auth0 users read (recent / user scope)
  std::uint64_t pds_accounts = 0;      // repos listed on the PDS (all scope)
  std::uint64_t pds_dids_checked = 0;  // stored DIDs looked up with getAccountInfos
  std::uint64_t sessions_checked = 0;  // createSession logins (--deep)
  std::uint64_t unchecked = 0;         // users a check could not be run for (see notes)
  std::vector<std::string> notes;      // what was not checked and why
  std::vector<Finding> findings;
  std::vector<ServiceAccountSeen> service_accounts;  // their own section, no findings
  double seconds = 0;
  double store_seconds = 0;  // the store phase (scan, duplicates, jobs)
  double pds_seconds = 0;    // the PDS phase (getAccountInfos, listRepos, --deep logins)
};

// What the audit reads, and nothing more: three store roles, the PDS and Auth0 (clients made on
// first use by their owner), the opener of stored passwords (--deep) and three settings.
struct Sources {
  store::AuditScan &scan;
  store::AccountReader &accounts;
  store::JobStore &jobs;
  std::function<Result<pds::XrpcClient *>()> pds;  // the admin client
  std::function<Result<auth0::ManagementClient *>(Tenant tenant)> management;
  // The Auth0 user of a stored sub ("sotce-" prefixed for sotce); Code::not_found, Code::config.
  std::function<Result<auth0::User>(std::string_view sub)> auth0_user;
  // A stored password as the provisioner reads it (sealed or legacy plaintext).
  std::function<Result<std::string>(const std::string &sub, const std::string &stored)>
      open_password;
  const ServiceAccounts &service_accounts;
  std::string pds_handle_domain;
  bool has_credentials_key = false;  // ACID_CREDENTIALS_KEY is set (the fix it suggests)
};

Result<Report> run_audit(const Sources &sources, const Options &options);

// {"schema":"acidentity.audit/1", ...} (docs/audit.md).
std::string to_json(const Report &report);

// ---- Backfill ---------------------------------------------------------------------------------

struct BackfillOptions {
  Options audit;
  bool fix = false;  // dry run (the plan) unless set
  int concurrency = 4;
  bool delete_orphans = false;
  std::int64_t budget_ms = 600'000;  // stop running jobs after this long (re-run to resume)
};

// acid_backfill's options_json text: the audit's members plus fix, delete_orphans, concurrency
// and budget_ms, checked by validate().
Result<BackfillOptions> parse_backfill_options(std::string_view options_json);
// The backfill's rules, stated once: concurrency 1..64, a positive budget, orphans deleted only
// in the "all" scope. Code::invalid naming the option.
Status validate(const BackfillOptions &options);

struct Progress {
  std::string phase;  // "audit", "apply", "jobs", "verify", "done"
  std::uint64_t done = 0;
  std::uint64_t total = 0;
  std::uint64_t failed = 0;
  double elapsed_s = 0;
};
using ProgressSink = std::function<void(const Progress &progress)>;
// {"phase":...,"done":N,"total":N,"failed":N,"elapsed_s":S}: one progress line of acid_backfill.
std::string to_json(const Progress &progress);

// One action of a backfill's plan (one per finding it answers), and what became of it.
struct PlannedAction {
  Action action = Action::manual;
  std::string sub;
  std::optional<std::string> did;
  std::vector<Kind> kinds;  // the findings it answers
  std::string evidence;
  std::string status = "planned";  // planned, applied, fixed, failed, skipped
  std::string error;
};

struct BackfillReport {
  bool dry_run = true;
  Report before;  // the audit the plan answers
  std::vector<PlannedAction> plan;
  std::uint64_t jobs_ran = 0, jobs_failed = 0;
  std::optional<Report> after;  // the audit after the fix (none in a dry run)
  double seconds = 0;
};

// {"schema":"acidentity.backfill/1", ...} (docs/audit.md).
std::string to_json(const BackfillReport &report);

// What the backfill uses beyond the audit's sources: the account store its facts and fixes
// write, the code allocator, and the live system's own retry, job runner and log.
struct BackfillParts {
  Sources audit;
  store::AccountStore &accounts;
  code::CodeAllocator &allocator;
  std::function<Status(std::string_view sub)> retry_user;  // as `acidentity user retry`
  std::function<Result<provision::JobRunSummary>(std::int64_t budget_ms, int max_jobs)> run_jobs;
  std::function<void(std::string_view event, std::string_view sub, std::string_view extra_json)>
      log;
};

// Audits, plans one action per finding, and with `fix` applies the plan (facts and jobs as live
// provisioning makes them), runs the jobs with `concurrency` workers, audits again and reports
// what was fixed and what failed and why.
Result<BackfillReport> run_backfill(const BackfillParts &parts, const BackfillOptions &options,
                                    const ProgressSink &progress);

}  // namespace acid::audit
