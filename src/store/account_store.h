// People and their PDS accounts: log events applied through the transition table
// (provision/account_transitions.h), and the job-side moves of provisioning.
#pragma once

#include "store/account_reader.h"
#include "store/records.h"

namespace acid::store {

class AccountStore : public AccountReader {
 public:
  ~AccountStore() override = default;

  // @handles: sets the person's AC handle. Code::conflict if another sub holds it (compared
  // case-insensitively, as handles are).
  virtual Status set_handle(std::string_view sub, std::string_view handle) = 0;
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
};

}  // namespace acid::store
