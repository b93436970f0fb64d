// The MongoDB adapter's class (internal to src/store/mongo): executes the documents built by
// mongo_commands.cpp through a mongoc_client_pool and turns replies into the port's results.
// Every port operation is one atomic single-document step, an insert guarded by a unique index,
// or a findAndModify; the multi-step ones (apply_event, claim_next_code, insert_user,
// reset_failed) are idempotent sequences of such steps (docs/mongodb.md explains why they
// converge). Its operations are defined by role: codes.cpp, people.cpp, accounts.cpp (events
// and provisioning through the transition table), jobs.cpp, content.cpp, and helpers.cpp.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/inspection.h"
#include "store/mongo/connection.h"
#include "store/mongo/mongo_audit.h"
#include "store/mongo/mongo_content.h"
#include "store/mongo/mongo_dead_letters.h"
#include "store/mongo/mongo_read.h"
#include "store/mongo/mongo_transitions.h"
#include "store/store.h"

namespace acid::store::mongo {

// Bounded retries of a step that lost a race (a concurrent first insert of the same document).
constexpr int kRaceRetries = 8;
// How old an owed-job marker must be before a worker's sweep finishes it for its writer.
constexpr std::int64_t kOwedGraceMs = 60'000;
// How often one store instance sweeps (only when a worker asks for a job).
constexpr std::int64_t kSweepEveryMs = 30'000;
constexpr std::int32_t kSweepBatch = 16;

Error exhausted(int yy);
Error code_taken(std::string_view code);
Error contention(std::string_view what);
Error content_rkey_moved(std::string_view collection, std::string_view id, std::string_view rkey);
Error unexpected_duplicate(const DuplicateKey &dup);
Error lease_lost(std::int64_t id, std::string_view owner);
std::optional<std::string> string_field(const std::optional<Doc> &doc, const char *path);

class MongoStore final : public Store, public Inspection {
 public:
  MongoStore(std::unique_ptr<Connection> conn, const std::vector<mongo::IndexCheck> &missing);

  std::string_view backend() const override { return "mongodb"; }

  std::vector<std::string> open_problems() const override { return problems_; }

  // ---- Secrets and code counters (codes.cpp) ----------------------------------------------------
  Result<std::string> get_or_put_secret(std::string_view name,
                                        std::string_view value_if_absent) override;

  Result<ClaimedCode> claim_next_code(int yy, std::uint32_t capacity,
                                      const CodeCandidate &candidate,
                                      std::string_view sub) override {
    if (yy < 0 || yy > 99) return Error(Code::invalid, "two-digit year out of range");
    return claim(yy, capacity, candidate, sub);
  }
  Result<std::vector<CodeYearState>> code_year_states(std::optional<int> yy) override;
  Result<std::vector<std::string>> legacy_codes(int yy) override;

  // ---- Users, verifications, @handles (people.cpp) ----------------------------------------------
  Status insert_user(const UserRecord &user) override;
  Result<UserRecord> get_user(std::string_view sub) override;
  Result<std::string> find_code_owner(std::string_view code) override;
  Result<bool> ensure_verifications(std::string_view sub) override;
  Result<std::int64_t> increment_verifications(std::string_view sub) override;
  Result<std::int64_t> get_verifications(std::string_view sub) override;
  Status set_handle(std::string_view sub, std::string_view handle) override;
  Result<std::string> get_handle(std::string_view sub) override;

  // ---- Events and provisioning, through the transition table (accounts.cpp) ---------------------
  Result<ApplyOutcome> apply_event(const EventFact &event, std::uint32_t capacity,
                                   const CodeCandidates &candidates) override;
  Result<Account> get_account(std::string_view sub) override;
  Status save_intent(std::string_view sub, const AccountIntent &intent,
                     std::int64_t expected_version) override;
  Status mark_account_created(std::string_view sub, std::string_view did,
                              std::string_view pds_handle, std::string_view password,
                              std::string_view created_at_iso) override;
  Status record_attempt_failure(std::string_view sub, int attempts, std::string_view error_json,
                                bool give_up) override;
  Status adopt_existing_account(std::string_view sub, std::string_view did,
                                std::int64_t expected_version) override;
  Status reset_failed(std::string_view sub, UnixMillis now) override;
  Status mark_account_deleted(std::string_view sub) override;
  Status set_pds_handle(std::string_view sub, std::string_view pds_handle,
                        std::string_view synced_at_iso) override;
  Status replace_password(std::string_view sub, std::string_view expected,
                          std::string_view replacement) override;

  // ---- Jobs and leases (jobs.cpp) ---------------------------------------------------------------

  Result<bool> schedule_job(std::string_view sub, JobKind kind, UnixMillis due_at) override {
    if (sub.empty()) return Error(Code::invalid, "a job needs a sub");
    return schedule(sub, kind, due_at);
  }
  Result<std::optional<Job>> lease_job(std::string_view owner, UnixMillis now,
                                       std::int64_t lease_ms) override;
  Status renew_lease(const Job &job, UnixMillis now, std::int64_t lease_ms) override;
  Status complete_job(const Job &job, std::string_view owner) override;
  Status reschedule_job(const Job &job, std::string_view owner, UnixMillis due_at,
                        std::string_view error_json) override;
  Status fail_job(const Job &job, std::string_view owner, std::string_view error_json) override;
  Status release_job(const Job &job, std::string_view owner) override;
  Result<std::vector<Job>> list_jobs(std::string_view sub) override;

  // ---- The audit's streaming reads (mongo_audit.cpp) --------------------------------------------

  Status scan_accounts(const AccountScanFilter &filter, const AccountVisitor &visit) override {
    return mongo::scan_accounts(conn_->scan_context(), filter, visit);
  }

  Result<std::vector<DuplicateCode>> duplicate_codes() override {
    return mongo::duplicate_codes(conn_->scan_context());
  }

  // ---- Content records and sync cursors (content.cpp; documents: mongo_content.h) ---------------
  Result<bool> upsert_content(const ContentDoc &doc) override;
  Result<ContentDoc> get_content(std::string_view collection, std::string_view id) override;
  Result<bool> set_content_deleted(std::string_view collection, std::string_view id,
                                   bool deleted) override;
  Result<std::vector<ContentDoc>> list_content(std::string_view collection, std::string_view user,
                                               std::string_view after_id,
                                               std::size_t limit) override;
  Result<std::vector<std::string>> content_users(std::string_view collection,
                                                 std::string_view after_user, std::size_t limit,
                                                 bool needing_sync) override;
  Result<std::string> claim_content_rkey(std::string_view collection, std::string_view id,
                                         std::string_view rkey) override;
  Status mark_content_synced(std::string_view collection, std::string_view id,
                             std::string_view rkey, std::string_view uri, std::string_view cid,
                             std::int64_t version) override;
  Result<std::vector<std::string>> claim_content_rkeys(
      std::string_view collection, const std::vector<RkeyClaim> &claims) override;
  Result<std::vector<bool>> mark_contents_synced(std::string_view collection,
                                                 const std::vector<SyncedRecord> &records) override;
  Status clear_content_record(std::string_view collection, std::string_view id,
                              std::string_view rkey) override;
  Status mark_content_unsynced(std::string_view collection, std::string_view id) override;
  Result<std::string> get_sync_cursor(std::string_view name) override;
  Status set_sync_cursor(std::string_view name, std::string_view value) override;
  Status record_dead_letters(std::span<const DeadLetter> letters, UnixMillis now) override;
  Result<std::vector<DeadLetter>> list_dead_letters(const DeadLetterQuery &query) override;
  Result<DeadLetter> get_dead_letter(std::string_view id) override;
  Status record_dead_letter_replay(std::string_view id, UnixMillis at, bool applied,
                                   std::string_view outcome_json) override;

 private:
  // ---- Helpers shared by the roles (helpers.cpp) ------------------------------------------------
  Result<OpResult> run(const Op &op) { return conn_->run(op); }

  static Status require_matched(const OpResult &r, std::string_view sub) {
    if (r.matched == 0) return Error(Code::not_found, "no account for " + std::string(sub));
    return Status::ok();
  }

  // After a state-guarded update: Code::not_found for an unknown sub, else Code::conflict.
  Status require_matched_in_state(const OpResult &r, std::string_view sub, std::string_view why);

  // An upsert guarded by {acid.applied: {$ne: log_id}}: when it finds the document already
  // holding the log id, the upsert's insert collides on _id; `applied` tells that apart from a
  // concurrent first insert of the document (then the update is simply run again).
  Status guarded(const Op &update, const Op &applied);

  // The allocator: a findAndModify $inc per position, a unique insert per claim.
  Result<ClaimedCode> claim(int yy, std::uint32_t capacity, const CodeCandidate &candidate,
                            std::string_view sub);

  // Gives the user a code if they have none. Returns the code claimed now, if any.
  Result<std::optional<ClaimedCode>> ensure_code(std::string_view sub, UnixMillis code_time,
                                                 UnixMillis when, std::uint32_t capacity,
                                                 const CodeCandidates &candidates);

  // A log event's transition: one guarded update per group of the table's cells that writes
  // (their filters are disjoint, so at most one matches); true when that group scheduled a job.
  Result<bool> log_transition(const EventFact &event, UnixMillis now);

  // The owed-job marker of a decision, nullopt when it owes nothing.
  static Result<std::optional<Owed>> owed_by(const provision::AccountDecision &decision,
                                             UnixMillis due, UnixMillis at, std::string by);

  // The group of `event`'s cells whose decision writes what `decision` writes.
  static provision::DecisionGroup group_of(provision::AccountEvent event,
                                           const provision::AccountDecision &decision);

  // Schedules the job the account's owed marker names, then clears the marker (if it is still
  // the same one). Idempotent: any caller may finish another's interrupted sequence.
  Status settle_owed(std::string_view sub);
  Result<bool> schedule(std::string_view sub, JobKind kind, UnixMillis due);

  // Finishes state changes whose job scheduling was interrupted (a crash between the update
  // and the job insert). Runs at most every kSweepEveryMs per store, from lease_job.
  Status maybe_sweep();

  std::unique_ptr<Connection> conn_;
  Commands cmd_;
  std::set<IndexRole> missing_roles_;  // unique indexes it opened without (checked in software)
  std::vector<std::string> problems_;
  std::atomic<std::int64_t> last_sweep_{0};
};

}  // namespace acid::store::mongo
