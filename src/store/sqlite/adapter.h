// The embedded store's adapter class (internal to src/store/sqlite): one SQLite file in WAL
// mode, safe for several threads (one connection behind a mutex) and several processes
// (BEGIN IMMEDIATE + busy timeout). Its operations are defined by role: schema.cpp (migrations),
// codes.cpp, people.cpp, accounts.cpp (events and provisioning through the transition table),
// jobs.cpp, audit_scan.cpp, content.cpp, and the shared helpers in helpers.cpp.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "provision/account_transitions.h"
#include "store/inspection.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_dead_letters.h"
#include "store/sqlite/sqlite_transitions.h"
#include "store/store.h"

namespace acid::store::sqlite {

using provision::AccountDecision;
using provision::AccountEvent;

// "acYY": the prefix of every code of two-digit year `yy`.
std::string year_prefix(int yy);

class SqliteStore final : public Store, public Inspection {
 public:
  explicit SqliteStore(Connection conn) : conn_(std::move(conn)) {}

  std::string_view backend() const override { return "sqlite"; }

  // ---- Schema (schema.cpp) ----------------------------------------------------------------------
  Status migrate();

  // ---- Secrets and code counters (codes.cpp) ----------------------------------------------------
  Result<std::string> get_or_put_secret(std::string_view name,
                                        std::string_view value_if_absent) override;
  Result<ClaimedCode> claim_next_code(int yy, std::uint32_t capacity,
                                      const CodeCandidate &candidate,
                                      std::string_view sub) override;
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
  Result<std::vector<ApplyOutcome>> apply_events(std::span<const EventFact> events,
                                                 std::uint32_t capacity,
                                                 const CodeCandidates &candidates) override;

  // One event's writes inside the caller's transaction (mu_ held).
  Result<ApplyOutcome> apply_in_transaction(const EventFact &event, UnixMillis now,
                                            std::uint32_t capacity,
                                            const CodeCandidates &candidates);
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
  Result<bool> schedule_job(std::string_view sub, JobKind kind, UnixMillis due_at) override;
  Result<std::optional<Job>> lease_job(std::string_view owner, UnixMillis now,
                                       std::int64_t lease_ms) override;
  Status renew_lease(const Job &job, UnixMillis now, std::int64_t lease_ms) override;
  Status complete_job(const Job &job, std::string_view owner) override;
  Status reschedule_job(const Job &job, std::string_view owner, UnixMillis due_at,
                        std::string_view error_json) override;
  Status fail_job(const Job &job, std::string_view owner, std::string_view error_json) override;
  Status release_job(const Job &job, std::string_view owner) override;
  Result<std::vector<Job>> list_jobs(std::string_view sub) override;

  // ---- The audit's streaming reads (audit_scan.cpp) ---------------------------------------------
  Status scan_accounts(const AccountScanFilter &filter, const AccountVisitor &visit) override;
  Result<std::vector<DuplicateCode>> duplicate_codes() override;

  // ---- Content records and sync cursors (content.cpp) -------------------------------------------
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

  Status record_dead_letters(std::span<const DeadLetter> letters, UnixMillis now) override {
    std::lock_guard lock(mu_);
    return sqlite::record_dead_letters(conn_, letters, now);
  }
  Result<std::vector<DeadLetter>> list_dead_letters(const DeadLetterQuery &query) override {
    std::lock_guard lock(mu_);
    return sqlite::list_dead_letters(conn_, query);
  }
  Result<DeadLetter> get_dead_letter(std::string_view id) override {
    std::lock_guard lock(mu_);
    return sqlite::get_dead_letter(conn_, id);
  }
  Status record_dead_letter_replay(std::string_view id, UnixMillis at, bool applied,
                                   std::string_view outcome_json) override {
    std::lock_guard lock(mu_);
    return sqlite::record_dead_letter_replay(conn_, id, at, applied, outcome_json);
  }

 private:
  // ---- Helpers shared by the roles (helpers.cpp) ------------------------------------------------
  // A content collection's table: its columns for the collection's own fields, and the name of
  // its deleted flag (moods.deleted, paintings.nuked), as in the deployed documents.
  struct ContentTable {
    std::string_view collection;
    std::string_view table;
    std::string_view deleted_column;
    std::vector<std::pair<std::string_view, std::string_view>> fields;  // source name, column

    std::string_view column_of(std::string_view field) const {
      for (const auto &[f, c] : fields) {
        if (f == field) return c;
      }
      return {};
    }
  };
  static Result<const ContentTable *> content_table(std::string_view collection);
  static std::string content_select(const ContentTable &t);
  static ContentDoc read_content(const ContentTable &t, const sqlite::Statement &stmt);

  // Caller holds mu_.
  Result<std::optional<ContentDoc>> read_content_row(const ContentTable &t, std::string_view id);
  // The body of upsert_content inside the caller's transaction; true when the row changed.
  Result<bool> upsert_content_in_tx(const ContentTable &t, const ContentDoc &doc);
  // Sets the record key of `id` unless it has one; returns the key it holds.
  Result<std::string> claim_rkey(const ContentTable &t, std::string_view id, std::string_view rkey,
                                 UnixMillis now);
  // Records where `record` was written, if it still holds its key; false when it does not.
  Result<bool> mark_synced(const ContentTable &t, const SyncedRecord &record, UnixMillis now);

  static Error content_missing(std::string_view collection, std::string_view id) {
    return Error(Code::not_found, "no " + std::string(collection) + " document " + std::string(id));
  }

  static Error rkey_moved(std::string_view collection, std::string_view id, std::string_view rkey) {
    return Error(Code::conflict, std::string(collection) + " " + std::string(id) +
                                     " no longer holds record key " + std::string(rkey));
  }

  static constexpr std::string_view kJobColumns =
      "SELECT id, sub, kind, status, due_ms, attempts, lease_owner, lease_until_ms, last_error, "
      "  lease_token FROM jobs";
  static Result<Job> read_job(const sqlite::Statement &stmt);

  // After a lease-guarded job update: Code::conflict when it matched nothing (lease lost).
  Status require_lease(const Job &job, std::string_view owner);
  // Gives the job back to the queue if `job`'s lease still holds it (mu_ held).
  Status release_lease(const Job &job, std::string_view owner);
  Result<bool> schedule_in_tx(std::string_view sub, JobKind kind, UnixMillis due_at);

  // The joined view of one sub (users u, verifications v, accounts a, handles h): columns 0-21
  // are read by read_account, 22-24 say which of users, verifications and accounts exist.
  static constexpr std::string_view kAccountColumns =
      "SELECT u.code, u.when_ms, v.count, a.signed_up_ms, a.verified_ms, a.deleted_ms, "
      "  a.email, h.handle, a.state, a.attempts, a.last_error, a.intent_handle, "
      "  a.intent_password, a.intent_email, a.intent_attempt, a.intent_ms, a.did, "
      "  a.pds_handle, a.password, a.pds_created_at, a.synced_at, a.version, "
      "  u.sub IS NOT NULL, v.sub IS NOT NULL, a.sub IS NOT NULL ";

  // Fills everything but `sub` from a row of kAccountColumns.
  static Status read_account(const sqlite::Statement &stmt, Account &a);

  // Records the event's facts on the account (creating it if missing: its version moves with
  // every change) and returns what the transition depends on. The first-seen dates keep the
  // earliest value, a deletion date the first one; an email given replaces the stored one.
  // (Plain UPDATE then INSERT: an upsert with RETURNING needs a statement journal, which made
  // this the costliest step of an event.)
  Result<provision::AccountFacts> touch_account(const EventFact &event, UnixMillis now);

  // verifications.count + 1, creating the record at 1.
  Status count_verification(std::string_view sub);

  // Creates the verifications record of ?1 at 0 unless it exists.
  static constexpr std::string_view kEnsureVerifications =
      "INSERT INTO verifications (sub, count) VALUES (?1, 0) ON CONFLICT (sub) DO NOTHING";

  // Writes a transition table decision inside the caller's transaction: dropped jobs, the new
  // state, and the job it schedules.
  Status apply_decision(std::string_view sub, const AccountDecision &decision, UnixMillis now);

  // The facts of `sub` and the table's decision for `event` (Code::not_found when unknown).
  struct Decided {
    sqlite::StoredFacts stored;
    AccountDecision decision;
  };
  Result<Decided> decide_for(std::string_view sub, AccountEvent event);

  // One provisioning move, locked and in one transaction: the decision for `event` (as
  // decide_for), then `write`, which refuses the move with an error or writes its own columns,
  // then the decision's state and jobs (a scheduled job due at `now`).
  Status move_account(std::string_view sub, AccountEvent event, UnixMillis now,
                      const std::function<Status(const Decided &)> &write);
  // A move only the table refuses (not_changed naming `why`) whose own write is one statement,
  // `sql` with `args` bound.
  template <typename... Args>
  Status move_with_update(std::string_view sub, AccountEvent event, UnixMillis now,
                          std::string_view why, std::string_view sql, const Args &...args) {
    return move_account(sub, event, now, [&](const Decided &d) -> Status {
      if (d.decision.refused) return not_changed(sub, why);
      return conn_.run(sql, args...);
    });
  }

  static Error not_changed(std::string_view sub, std::string_view why) {
    return Error(Code::conflict,
                 "account " + std::string(sub) + " not changed: " + std::string(why));
  }
  Status bump(std::string_view sub);

  // Gives the user a users record with a code if they have none (legacy records without a code
  // included). Returns the code claimed now, if any.
  Result<std::optional<ClaimedCode>> ensure_code(std::string_view sub, UnixMillis code_time,
                                                 UnixMillis when, std::uint32_t capacity,
                                                 const CodeCandidates &candidates);

  static Error exhausted(int yy) {
    return Error(Code::exhausted, "no user code left for two-digit year " + year_prefix(yy),
                 "{\"yy\":" + std::to_string(yy) + "}");
  }

  // The body of claim_next_code, inside the caller's transaction. nullopt: the year is
  // exhausted (the counter has still been saved, so the caller should commit).
  Result<std::optional<ClaimedCode>> claim_in_tx(int yy, std::uint32_t capacity,
                                                 const CodeCandidate &candidate,
                                                 std::string_view sub);

  static Error code_taken(const std::string &code) {
    return Error(Code::conflict, "user code " + code + " is already taken", "{\"index\":\"code\"}");
  }
  Result<std::int64_t> user_version();

  std::mutex mu_;  // one connection, used by one thread at a time
  Connection conn_;
};

}  // namespace acid::store::sqlite
