// Every document the MongoDB adapter sends, built by pure functions: one Op per server round
// trip (filter, update, options), so tests compare them as canonical extended JSON and the
// adapter (mongo_store.cpp) only executes them. docs/mongodb.md explains the data model and why
// each multi-step operation converges.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "provision/account_transitions.h"
#include "store/mongo/mongo_bson.h"
#include "store/store.h"

namespace acid::store::mongo {

// Collections: the deployed ones (read and written in place) and the library's own.
inline constexpr std::string_view kUsers = "users";
inline constexpr std::string_view kVerifications = "verifications";
inline constexpr std::string_view kHandles = "@handles";
inline constexpr std::string_view kEvents = "acid_events";
inline constexpr std::string_view kJobs = "acid_jobs";
inline constexpr std::string_view kCounters = "acid_code_counters";
inline constexpr std::string_view kClaims = "acid_code_claims";
inline constexpr std::string_view kMeta = "acid_meta";

// How many applied log ids an account (users) or verifications document remembers: the guard
// that makes a re-applied event's non-idempotent effects no-ops (see docs/mongodb.md).
inline constexpr std::int32_t kAppliedLogIds = 32;

// A job a state change owes, written into users.acid.owed in the same update as the state; the
// job is scheduled next and the marker cleared, so an interrupted sequence is finished by the
// next caller or by a worker's sweep.
struct Owed {
  std::string kind;  // "provision", "delete_account", or "cancel" (drop open jobs only)
  UnixMillis due = 0;
  UnixMillis at = 0;  // when the marker was written (the sweep's clock)
  std::string by;     // the log id (or "reset") that wrote it
};

struct Op {
  enum class Kind {
    find_one,
    find,
    count,
    insert_one,
    update_one,
    delete_one,
    delete_many,
    find_and_modify,
  };
  Kind kind = Kind::find_one;
  std::string collection;
  Doc filter;   // the query; for insert_one the document inserted
  Doc update;   // update_one / find_and_modify
  Doc options;  // the opts given to libmongoc: writeConcern / readConcern / upsert / sort /
                // projection / limit; for find_and_modify: query-less findAndModify fields
                // (sort, fields, upsert, new) plus writeConcern

  // {"op":"update_one","collection":"users","filter":{...},"update":{...},"options":{...}}
  // in canonical extended JSON (update only for kinds that have one).
  std::string to_json() const;
  bool valid() const { return filter.valid() && update.valid() && options.valid(); }
};
const char *to_string(Op::Kind kind);

// The documents of each port operation. `wtimeout_ms` comes from the URI (wtimeoutMS; 0 =
// none). Every write carries writeConcern {w: "majority"}, every read readConcern "majority".
class Commands {
 public:
  explicit Commands(std::int64_t wtimeout_ms = 0) : wtimeout_ms_(wtimeout_ms) {}

  Doc write_concern() const;
  static Doc read_concern();

  // ---- secrets ----
  Op get_or_put_secret(std::string_view name, std::string_view value, UnixMillis now) const;

  // ---- codes ----
  // Consumes the next position of year `yy` while it is below `capacity`, adding `skipped` to
  // the year's skip count; the new counter is returned (position = next - 1). A duplicate key on
  // _id means the year is exhausted (or a concurrent first use of the year: re-read).
  Op counter_step(int yy, std::uint32_t capacity, std::uint32_t skipped) const;
  Op read_counter(int yy) const;
  Op add_skipped(int yy, std::uint32_t skipped) const;
  Op code_in_users(std::string_view code) const;
  Op insert_allocated_claim(std::string_view code, int yy, std::uint32_t position,
                            std::string_view sub, UnixMillis now) const;
  Op list_counters(std::optional<int> yy) const;
  Op count_allocated(int yy) const;
  Op year_codes_in_users(int yy) const;
  Op allocated_claims_of_year(int yy) const;

  // ---- users ----
  // insert_user: a claim on the code (so the allocator never hands it out), then the users
  // document; the claim is removed again when the users write fails.
  Op insert_external_claim(std::string_view code, std::string_view sub, UnixMillis now) const;
  Op read_claim(std::string_view code) const;
  Op delete_external_claim(std::string_view code, std::string_view sub) const;
  Op insert_user(const UserRecord &user) const;
  Op get_user(std::string_view sub) const;
  Op find_code_owner(std::string_view code) const;

  // ---- verifications / handles ----
  Op ensure_verifications(std::string_view sub) const;
  Op increment_verifications(std::string_view sub) const;
  Op get_verifications(std::string_view sub) const;
  // $set handle + updatedAt, $setOnInsert createdAt (Dates, as the deployed handle.mjs).
  Op set_handle(std::string_view sub, std::string_view handle, UnixMillis now) const;
  // Degraded checks, used only while the unique index that guards the write is missing
  // (open_problems()): another document holding the handle (case-insensitively: the collation
  // of acid_handle_ci_unique) or the DID.
  Op handle_held_by_other(std::string_view sub, std::string_view handle) const;
  Op did_held_by_other(std::string_view sub, std::string_view did) const;
  Op get_handle(std::string_view sub) const;

  // ---- apply_event, in the order it runs them ----
  Op event_seen(std::string_view log_id) const;
  Op read_code_and_when(std::string_view sub) const;
  Op set_code(std::string_view sub, std::string_view code, UnixMillis when) const;
  Op set_when_if_missing(std::string_view sub, UnixMillis when) const;
  Op verified_increment(std::string_view sub, std::string_view log_id) const;
  Op verifications_applied(std::string_view sub, std::string_view log_id) const;
  Op record_facts(const EventFact &event, UnixMillis now) const;
  Op account_applied(std::string_view sub, std::string_view log_id) const;
  // A log event's transition for one group of cells (mongo_transitions.h): guarded by the
  // group's cells, it writes the group's state and the job it owes (`owed`, may be null).
  Op transition(std::string_view sub, const provision::DecisionGroup &group, const Owed *owed,
                UnixMillis now) const;
  Op read_state(std::string_view sub) const;
  Op record_event(const EventFact &event, UnixMillis now) const;

  // ---- owed jobs ----
  Op read_owed(std::string_view sub) const;
  Op drop_open_jobs_except_delete(std::string_view sub) const;
  Op clear_owed(std::string_view sub, const Owed &owed) const;
  Op stale_owed(UnixMillis written_before, std::int32_t limit) const;

  // ---- account ----
  Op get_account_user(std::string_view sub) const;
  Op get_account_verifications(std::string_view sub) const;
  Op save_intent(std::string_view sub, const AccountIntent &intent,
                 std::int64_t expected_version) const;
  // The job-side moves below are guarded by the cells the transition table lets them apply in
  // (one group each, or the group given), and write that group's state.
  // The PDS account exists: atproto set, intent cleared, the group's state and owed job.
  Op mark_account_created(std::string_view sub, std::string_view did, std::string_view pds_handle,
                          std::string_view password, std::string_view created_at_iso,
                          UnixMillis now, const provision::DecisionGroup &group,
                          const Owed *owed = nullptr) const;
  Op record_attempt_failure(std::string_view sub, int attempts, std::string_view error_json,
                            bool give_up, UnixMillis now) const;
  // With this DID (nested or legacy flat) at this version.
  Op adopt_existing_account(std::string_view sub, std::string_view did,
                            std::int64_t expected_version, UnixMillis now) const;
  Op reset_failed(std::string_view sub, const provision::DecisionGroup &group, const Owed &owed,
                  UnixMillis now) const;
  Op mark_account_deleted(std::string_view sub, UnixMillis now) const;
  Op set_pds_handle(std::string_view sub, std::string_view pds_handle,
                    std::string_view synced_at_iso, UnixMillis now) const;
  // The password lives in atproto.password, or in the legacy flat atproto_password when the
  // nested one is absent: each form is replaced where it is.
  Op replace_password_nested(std::string_view sub, std::string_view expected,
                             std::string_view replacement, UnixMillis now) const;
  Op replace_password_flat(std::string_view sub, std::string_view expected,
                           std::string_view replacement, UnixMillis now) const;

  // ---- jobs ----
  Op move_open_job_earlier(std::string_view sub, JobKind kind, UnixMillis due) const;
  Op next_job_id() const;
  Op insert_job(std::int64_t id, std::string_view sub, JobKind kind, UnixMillis due,
                UnixMillis now) const;
  // Every lease carries a fresh fencing token (leaseToken); the calls after lease_job match it,
  // never the owner (shared by the threads of one process).
  Op lease_job(std::string_view owner, std::string_view token, UnixMillis now,
               std::int64_t lease_ms) const;
  Op renew_lease(std::int64_t id, std::string_view token, UnixMillis until) const;
  // Deletes the job unless it was asked for again while leased (rerun); requeue_job then gives
  // it back, due, so it runs once more.
  Op complete_job(std::int64_t id, std::string_view token) const;
  Op requeue_job(std::int64_t id, std::string_view token) const;
  Op reschedule_job(std::int64_t id, std::string_view token, UnixMillis due,
                    std::string_view error_json) const;
  // Marks the job failed unless it was asked for again while leased; fail_job_keep_rerun then
  // keeps it open and due with a fresh count of attempts.
  Op fail_job(std::int64_t id, std::string_view token, std::string_view error_json) const;
  Op fail_job_keep_rerun(std::int64_t id, std::string_view token,
                         std::string_view error_json) const;
  Op release_job(std::int64_t id, std::string_view token) const;
  Op list_jobs(std::string_view sub) const;

 private:
  Op write(Op::Kind kind, std::string_view collection, Doc filter, Doc update = Doc(),
           Doc options = Doc()) const;
  Op read(Op::Kind kind, std::string_view collection, Doc filter, Doc options = Doc()) const;
  Op fam(std::string_view collection, Doc query, Doc update, bool upsert, bool return_new,
         const Doc &fields, const Doc &sort = Doc()) const;

  std::int64_t wtimeout_ms_;
};

// The collation of acid_handle_ci_unique: {locale: "en", strength: 2}.
Doc handle_collation();

// The two-digit year's code prefix, "ac25".
std::string year_prefix(int yy);

}  // namespace acid::store::mongo
