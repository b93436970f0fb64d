// The records the store port (store.h) reads and writes.
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

}  // namespace acid::store
