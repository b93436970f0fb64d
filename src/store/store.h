// The store port: the domain operations the library needs from its database, nothing generic.
// Adapters: SQLite (embedded, src/store/sqlite_*) and MongoDB (the deployed database shared with
// aesthetic.computer's own code, src/store/mongo_*; docs/mongodb.md). Every operation is atomic
// on its own; no caller ever does check-then-insert across two calls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/dead_letters.h"

namespace acid::store {

struct UserRecord {
  std::string sub;                  // Auth0 subject, "auth0|..." or "sotce-auth0|..."
  std::optional<std::string> code;  // the permanent user code
  std::optional<UnixMillis> when;   // Auth0 signup time
};

// One allocation's outcome: the claimed code and how far the year's counter moved.
struct ClaimedCode {
  std::string code;
  std::uint32_t position = 0;  // the counter position the code came from
  std::uint32_t skipped = 0;   // positions passed over (taken by legacy codes or blocklisted)
};

// Maps a counter position of a two-digit year to its code; nullopt when that code must never be
// handed out (blocklisted). Called inside the store's atomic step, so it must be pure and fast.
using CodeCandidate = std::function<std::optional<std::string>(std::uint32_t position)>;

struct CodeYearState {
  int yy = 0;                       // two-digit year, 0-99
  std::uint32_t next_position = 0;  // counter: positions consumed so far
  std::uint32_t skipped = 0;        // positions skipped (legacy-taken or blocklisted)
  std::uint64_t allocated = 0;      // codes claimed by the allocator
};

// ---- Provisioning ----------------------------------------------------------------------------

// Where a person's PDS account is; the rules that move it: provision/account_transitions.h.
enum class AccountState {
  none,      // not verified yet: nothing to do on the PDS
  pending,   // verified: a provision job will create the PDS account
  creating,  // an intent is persisted and createAccount may be in flight
  active,    // the PDS account exists and the store knows its DID
  failed,    // gave up after the configured attempts; `retry` resets it
  deleting,  // deleted in Auth0: the PDS account is being deleted
  deleted,   // deleted: no PDS account; the code is kept forever
};
const char *to_string(AccountState state);
std::optional<AccountState> parse_account_state(std::string_view text);

// What the provisioning job is about to do, persisted before createAccount so that a crash or
// timeout can be told apart from someone else's account (see Provisioner).
struct AccountIntent {
  std::string handle;           // full PDS handle asked for
  std::string sealed_password;  // sealed (or plaintext in compatibility mode)
  std::string email;
  int attempt = 0;
  UnixMillis at = 0;
};

struct Account {
  std::string sub;
  // users
  std::optional<std::string> code;
  std::optional<UnixMillis> when;
  // verifications
  bool has_verifications = false;
  std::int64_t verification_count = 0;
  // facts from Auth0 events
  std::optional<UnixMillis> signed_up_at;
  std::optional<UnixMillis> verified_at;
  std::optional<UnixMillis> deleted_at;
  std::optional<std::string> email;
  // @handles
  std::optional<std::string> ac_handle;
  // provisioning
  AccountState state = AccountState::none;
  int attempts = 0;
  std::string last_error;  // JSON object of the last failure, "" if none
  std::optional<AccountIntent> intent;
  // users.atproto
  std::optional<std::string> did;
  std::optional<std::string> pds_handle;
  std::optional<std::string> password;  // sealed, or legacy plaintext
  std::optional<std::string> pds_created_at;
  std::optional<std::string> synced_at;
  std::int64_t version = 0;  // compare-and-set token, bumped by every change
};

enum class EventType { signup, verified, email_changed, deleted };
const char *to_string(EventType type);

// One Auth0 log event, reduced to the facts the store records.
struct EventFact {
  std::string log_id;
  EventType type = EventType::signup;
  std::string sub;  // stored form ("sotce-" prefixed for the sotce tenant)
  UnixMillis date = 0;
  std::optional<std::string> email;
  // The instant whose UTC year names the user's code if one is assigned now: the signup date
  // for ss, Auth0's created_at (or the event date) for a verification seen before any signup.
  UnixMillis code_time = 0;
};

// Gives the code candidate function of a two-digit year (the allocator's permutation).
using CodeCandidates = std::function<Result<CodeCandidate>(int yy)>;

struct ApplyOutcome {
  bool duplicate = false;               // the log_id was applied before: nothing changed
  std::optional<ClaimedCode> new_code;  // a code was assigned by this event
  bool job_scheduled = false;           // a provision or delete job was scheduled
};

enum class JobKind { provision, update_handle, delete_account };
const char *to_string(JobKind kind);
std::optional<JobKind> parse_job_kind(std::string_view text);

struct Job {
  std::int64_t id = 0;
  std::string sub;
  JobKind kind = JobKind::provision;
  int attempts = 0;  // attempts finished before this lease
  UnixMillis due_at = 0;
  std::string lease_owner;  // who holds the lease (for display: threads of a process share it)
  std::string lease_token;  // the fencing token of this lease: fresh for every lease_job
  UnixMillis lease_until = 0;
  std::string last_error;
  bool failed = false;  // gave up; kept for the audit
};

// ---- Audit ----------------------------------------------------------------------------------

// One sub as the audit scan sees it: the joined account plus which records exist.
struct AuditRow {
  Account account;
  bool has_user = false;      // a users record (with or without a code)
  bool has_accounts = false;  // provisioning facts / state exist
};

// Which subs a scan visits: every one, only "sotce-" prefixed ones, or only the others.
enum class SubFilter { all, sotce, aesthetic };
struct AccountScanFilter {
  SubFilter tenant = SubFilter::all;
};
using AccountVisitor = std::function<Status(const AuditRow &row)>;

struct DuplicateCode {
  std::string code;               // lower-cased
  std::vector<std::string> subs;  // every holder, ascending
};

// ---- Content records (moods, paintings, kidlisp, tapes, pieces): mirrored into PDS repos --

// The record a content document is mirrored to (users' repos, see src/sync). rkey is a TID the
// mirror generates and stores BEFORE writing, so a retry writes the same record again.
struct ContentAtproto {
  std::optional<std::string> rkey;
  std::optional<std::string> uri;  // set once the PDS accepted the write
  std::optional<std::string> cid;
};

// One source document of a content collection. `fields` holds the collection's own string
// fields by their source names (moods: mood; paintings: slug, code, imageUrl, recordingUrl,
// bucket; kidlisp: code, source; tapes: slug, code, bucket; pieces: slug, code, name, bucket);
// an absent optional field is simply not in the map. user is empty for a guest document.
struct ContentDoc {
  std::string collection;
  std::string id;    // _id (an ObjectId's 24 hex digits, or the string id)
  std::string user;  // sub; empty for a guest document
  std::map<std::string, std::string> fields;
  UnixMillis when = 0;
  bool deleted = false;  // moods.deleted, paintings.nuked
  ContentAtproto atproto;
  std::int64_t version = 0;         // bumped by every change of the content itself
  std::int64_t synced_version = 0;  // the version last written to the PDS
};

// What a content document needs on the PDS (derived, never stored).
enum class ContentNeed { none, create, retry_create, update, remove };
ContentNeed content_need(const ContentDoc &doc);

class Store {
 public:
  virtual ~Store() = default;
  Store() = default;
  Store(const Store &) = delete;
  Store &operator=(const Store &) = delete;

  // "sqlite" or "mongodb".
  virtual std::string_view backend() const = 0;

  // What the store opened without (a MongoDB index the existing data does not allow, e.g. a
  // case-variant duplicate handle): one line each, naming it, what it guards and the fix. The
  // store stays correct without them (the guarded operations check first instead); the engine
  // counts, logs and alerts each one. The embedded store owns its schema: it has none.
  virtual std::vector<std::string> open_problems() const { return {}; }

  // Returns the value kept under `name`; when there is none, stores `value_if_absent` first.
  // Atomic: concurrent callers with different candidates all get the one value that won.
  virtual Result<std::string> get_or_put_secret(std::string_view name,
                                                std::string_view value_if_absent) = 0;

  // One atomic step: starting at the year's counter, asks `candidate` for the code of each
  // position, passes over blocklisted ones and codes already present (in users or claimed
  // before), claims the first free one for `sub` (may be empty), and advances the counter past
  // it. Code::exhausted once the counter reaches `capacity`; it never loops past it.
  virtual Result<ClaimedCode> claim_next_code(int yy, std::uint32_t capacity,
                                              const CodeCandidate &candidate,
                                              std::string_view sub) = 0;

  // Counter state per two-digit year: one year, or every year seen when yy is nullopt.
  virtual Result<std::vector<CodeYearState>> code_year_states(std::optional<int> yy) = 0;

  // Codes present in users for year `yy` that the allocator did not hand out (legacy random
  // codes). Used for statistics and audits.
  virtual Result<std::vector<std::string>> legacy_codes(int yy) = 0;

  // Inserts a user. Code::exists if the sub is present, Code::conflict if the code is taken.
  virtual Status insert_user(const UserRecord &user) = 0;
  // Code::not_found if absent.
  virtual Result<UserRecord> get_user(std::string_view sub) = 0;
  // The sub owning `code`, or Code::not_found.
  virtual Result<std::string> find_code_owner(std::string_view code) = 0;

  // verifications: creates the record with count 0 if missing; returns true if it was created.
  virtual Result<bool> ensure_verifications(std::string_view sub) = 0;
  // Atomically increments and returns the new count (creating the record at 1 if missing).
  virtual Result<std::int64_t> increment_verifications(std::string_view sub) = 0;
  // Code::not_found if absent.
  virtual Result<std::int64_t> get_verifications(std::string_view sub) = 0;

  // @handles: sets the person's AC handle. Code::conflict if another sub holds it (compared
  // case-insensitively, as handles are).
  virtual Status set_handle(std::string_view sub, std::string_view handle) = 0;
  virtual Result<std::string> get_handle(std::string_view sub) = 0;

  // ---- Provisioning --------------------------------------------------------------------------

  // Applies one event atomically: records its log_id (once: a second time is `duplicate` and
  // changes nothing), updates the facts, assigns a code when the person needs one (through
  // `candidates`, `capacity` codes a year), keeps the verifications count, and schedules the
  // provision / delete job the new facts call for. Any order of events converges.
  virtual Result<ApplyOutcome> apply_event(const EventFact &event, std::uint32_t capacity,
                                           const CodeCandidates &candidates) = 0;

  // Applies the events of one webhook body, in order, each as apply_event would; the outcomes
  // come back in the same order. An adapter with transactions (SQLite) makes the whole batch
  // durable in one commit or not at all. The default applies them one at a time and stops at the
  // first failure, when the earlier ones may already be durable: that is safe, because the
  // sender resends the batch and an applied log_id is a no-op the second time.
  // (Defined here, not in store.cpp: a class whose virtuals are all pure or inline has no key
  // function, so code using only the port, like the fuzz targets, needs no store.cpp.)
  virtual Result<std::vector<ApplyOutcome>> apply_events(std::span<const EventFact> events,
                                                         std::uint32_t capacity,
                                                         const CodeCandidates &candidates) {
    std::vector<ApplyOutcome> outcomes;
    outcomes.reserve(events.size());
    for (const EventFact &event : events) {
      auto outcome = apply_event(event, capacity, candidates);
      if (!outcome) return std::move(outcome).error();
      outcomes.push_back(std::move(*outcome));
    }
    return outcomes;
  }

  // Everything known about a sub. Code::not_found when the store has never heard of it.
  virtual Result<Account> get_account(std::string_view sub) = 0;

  // Persists the intent and moves the account to `creating`, if its version is still
  // `expected_version` (Code::conflict otherwise).
  virtual Status save_intent(std::string_view sub, const AccountIntent &intent,
                             std::int64_t expected_version) = 0;

  // The PDS account exists: stores DID, handle and (sealed) password, state `active`, clears the
  // intent and the error. Code::conflict if the DID belongs to another sub.
  virtual Status mark_account_created(std::string_view sub, std::string_view did,
                                      std::string_view pds_handle, std::string_view password,
                                      std::string_view created_at_iso) = 0;

  // Records a failed attempt: attempts and last_error; `give_up` moves the state to `failed`.
  // Guarded by the state it expects: an account that is active (or being deleted) is never
  // touched, so a stale worker cannot mark an existing account failed (Code::conflict).
  virtual Status record_attempt_failure(std::string_view sub, int attempts,
                                        std::string_view error_json, bool give_up) = 0;

  // A DID is already on the account (written by this library before, or by other code such as
  // the deployed createAtprotoAccount) while the state says pending, creating or failed: the
  // account exists, so the state follows: `active`, intent and error cleared, the stored
  // atproto fields left exactly as they are. Only while the version is still
  // `expected_version` and the DID is still `did` (Code::conflict otherwise).
  virtual Status adopt_existing_account(std::string_view sub, std::string_view did,
                                        std::int64_t expected_version) = 0;

  // failed -> pending, attempts reset, a provision job due at `now`. Code::conflict when the
  // account is not failed, Code::not_found when unknown.
  virtual Status reset_failed(std::string_view sub, UnixMillis now) = 0;

  // The PDS account was deleted: state `deleted`, atproto fields cleared, code kept.
  virtual Status mark_account_deleted(std::string_view sub) = 0;

  // The PDS handle changed (updateHandle succeeded, or a fallback was chosen). Only for an
  // active account (Code::conflict otherwise; Code::not_found when unknown).
  virtual Status set_pds_handle(std::string_view sub, std::string_view pds_handle,
                                std::string_view synced_at_iso) = 0;

  // Re-seals a stored password (legacy plaintext or an old key) if it is still `expected`.
  virtual Status replace_password(std::string_view sub, std::string_view expected,
                                  std::string_view replacement) = 0;

  // ---- Jobs ----------------------------------------------------------------------------------

  // Schedules a job; at most one open job per (sub, kind): an existing one is moved earlier if
  // `due_at` is earlier. If that job is leased (running), it is marked to run once more: its
  // complete_job then gives it back instead of removing it, so a request made while the job ran
  // is never lost. Returns true when a new job was created.
  virtual Result<bool> schedule_job(std::string_view sub, JobKind kind, UnixMillis due_at) = 0;

  // Takes the open job due first (due_at <= now) whose lease is free or expired, for `owner`
  // until now + lease_ms, under a fresh fencing token (Job::lease_token). nullopt when nothing
  // is due. Several workers never hold one job.
  virtual Result<std::optional<Job>> lease_job(std::string_view owner, UnixMillis now,
                                               std::int64_t lease_ms) = 0;

  // The calls below act on the lease `job` came with: they succeed only while
  // job.lease_token is the job's current token. A holder whose lease expired and was taken
  // (even by another thread with the same `owner`) gets Code::conflict and changes nothing.
  // `owner` names the holder in errors.

  // Extends the lease to now + lease_ms (a running job's heartbeat).
  virtual Status renew_lease(const Job &job, UnixMillis now, std::int64_t lease_ms) = 0;
  // Finishes a leased job: removes it, or, if it was scheduled again while leased, releases it
  // to run once more.
  virtual Status complete_job(const Job &job, std::string_view owner) = 0;
  // Gives the job back with a new due time and the error that caused the retry.
  virtual Status reschedule_job(const Job &job, std::string_view owner, UnixMillis due_at,
                                std::string_view error_json) = 0;
  // Marks the job failed (kept, no longer leased or due). If it was scheduled again while
  // leased, the request is kept instead: the job stays open, due, with its attempts reset and
  // the error recorded, so it runs once more.
  virtual Status fail_job(const Job &job, std::string_view owner, std::string_view error_json) = 0;
  // Releases the lease without counting an attempt (graceful shutdown).
  virtual Status release_job(const Job &job, std::string_view owner) = 0;

  // Jobs of one sub (or all when empty), open and failed, oldest first.
  virtual Result<std::vector<Job>> list_jobs(std::string_view sub) = 0;

  // ---- Audit (issue #6): streaming reads over the whole store --------------------------------
  // A few queries for the whole audit, never one per user per collection.

  // Calls `visit` once per sub known to users, verifications or provisioning (the union; the
  // same joined view get_account gives, plus which records exist), each exactly once, in no
  // particular order (MongoDB: ascending), filtered by `filter`. The store stays locked/borrowed
  // while it runs: `visit` must not call the store. A failed `visit` stops the scan and is
  // returned.
  virtual Status scan_accounts(const AccountScanFilter &filter, const AccountVisitor &visit) = 0;

  // Codes held by more than one users record, compared case-insensitively (the users index
  // makes exact duplicates impossible in SQLite; a non-unique MongoDB index does not).
  virtual Result<std::vector<DuplicateCode>> duplicate_codes() = 0;

  // ---- Content records (every mapped kind) and sync cursors ----------------------------------
  // Every method is one atomic single-document step. `collection` must be a content collection
  // (Code::invalid otherwise).

  // Inserts the document, or updates its content (user, fields, when, deleted) by id. A change
  // of the content bumps `version`; the atproto fields and sync state are never touched here.
  // Returns true when something changed.
  virtual Result<bool> upsert_content(const ContentDoc &doc) = 0;
  // Code::not_found when absent.
  virtual Result<ContentDoc> get_content(std::string_view collection, std::string_view id) = 0;
  // Marks deleted (or not): bumps `version` when the flag changes. Code::not_found when absent.
  virtual Result<bool> set_content_deleted(std::string_view collection, std::string_view id,
                                           bool deleted) = 0;
  // Documents of one user (or of all users when `user` is empty), by id, after `after_id`.
  virtual Result<std::vector<ContentDoc>> list_content(std::string_view collection,
                                                       std::string_view user,
                                                       std::string_view after_id,
                                                       std::size_t limit) = 0;
  // Users (sorted, distinct) after `after_user` owning documents of the collection; with
  // `needing_sync`, only those owning a document whose content_need() is not none.
  virtual Result<std::vector<std::string>> content_users(std::string_view collection,
                                                         std::string_view after_user,
                                                         std::size_t limit, bool needing_sync) = 0;
  // Stores `rkey` as the document's record key unless it has one; returns the key it holds
  // (the stored one wins, so a retry reuses it).
  virtual Result<std::string> claim_content_rkey(std::string_view collection, std::string_view id,
                                                 std::string_view rkey) = 0;
  // The PDS holds version `version` at rkey: stores uri, cid and synced_version, if the stored
  // rkey is still `rkey` (Code::conflict otherwise).
  virtual Status mark_content_synced(std::string_view collection, std::string_view id,
                                     std::string_view rkey, std::string_view uri,
                                     std::string_view cid, std::int64_t version) = 0;
  // Many claims / write-backs in one call (each item is its own atomic step; the embedded store
  // runs them in one transaction, saving a sync per document). Results in the order given:
  // the key each document holds, and whether each write-back matched its key.
  struct RkeyClaim {
    std::string id;
    std::string rkey;
  };
  virtual Result<std::vector<std::string>> claim_content_rkeys(
      std::string_view collection, const std::vector<RkeyClaim> &claims) = 0;
  struct SyncedRecord {
    std::string id;
    std::string rkey;
    std::string uri;
    std::string cid;
    std::int64_t version = 0;
  };
  virtual Result<std::vector<bool>> mark_contents_synced(
      std::string_view collection, const std::vector<SyncedRecord> &records) = 0;
  // The record at `rkey` was deleted (or never existed): clears rkey, uri and cid if the stored
  // rkey is still `rkey` (Code::conflict otherwise).
  virtual Status clear_content_record(std::string_view collection, std::string_view id,
                                      std::string_view rkey) = 0;
  // Forgets uri/cid (keeping the rkey) so the next sync writes the record again (verify --fix
  // of a record missing on the PDS).
  virtual Status mark_content_unsynced(std::string_view collection, std::string_view id) = 0;

  // Named sync cursors ("records:moods"): resumable passes. Empty string when none is stored.
  virtual Result<std::string> get_sync_cursor(std::string_view name) = 0;
  // Stores the cursor; an empty value removes it.
  virtual Status set_sync_cursor(std::string_view name, std::string_view value) = 0;

  // ---- Dead letters (store/dead_letters.h): entries refused one by one, kept for replay ------

  // Keeps each letter once by id: a new one is inserted, a known one gets deliveries + 1 and
  // last_seen (its entry, reason and replay state stay). Each letter is one atomic step.
  virtual Status record_dead_letters(std::span<const DeadLetter> letters, UnixMillis now) = 0;
  virtual Result<std::vector<DeadLetter>> list_dead_letters(const DeadLetterQuery &query) = 0;
  // Code::not_found when unknown.
  virtual Result<DeadLetter> get_dead_letter(std::string_view id) = 0;
  // Records a replay: its outcome (a JSON object) always, replayed_at only when `applied`.
  // Code::not_found when unknown.
  virtual Status record_dead_letter_replay(std::string_view id, UnixMillis at, bool applied,
                                           std::string_view outcome_json) = 0;
};

// Opens a store from a URI: "sqlite:PATH" (created and migrated on first use). A bare path is
// refused so a typo never silently creates a database somewhere unexpected.
Result<std::unique_ptr<Store>> open_store(std::string_view uri);

}  // namespace acid::store
