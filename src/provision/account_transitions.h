// The account state machine, stated once: (event x what the store knows) -> decision. A pure
// function with no I/O; both store adapters apply its decisions (SQLite inside its transaction,
// MongoDB as guarded single-document updates whose filters are derived from enumerate_cells()).
// tests/provision/test_account_transitions.cpp states the expected decision of every cell.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <vector>

#include "store/store.h"

namespace acid::provision {

using store::AccountState;
using store::JobKind;

// What happens to an account: the Auth0 log events, and the moves the provisioning jobs ask the
// store to make.
enum class AccountEvent {
  // Log events (store::EventType).
  signup,
  verified,
  email_changed,
  deleted,
  // Job-side moves.
  intent_saved,    // save_intent: createAccount is about to be called
  created_on_pds,  // mark_account_created: the PDS account exists
  attempt_failed,  // record_attempt_failure, to be retried
  gave_up,         // record_attempt_failure after the last attempt
  adopted_did,     // adopt_existing_account: a DID someone wrote is taken as the account
  reset_failed,    // reset_failed (`user retry`)
  deleted_on_pds,  // mark_account_deleted: the PDS account is gone
  pds_handle_set,  // set_pds_handle: the PDS handle changed
};
inline constexpr std::array kAllAccountEvents = {
    AccountEvent::signup,         AccountEvent::verified,       AccountEvent::email_changed,
    AccountEvent::deleted,        AccountEvent::intent_saved,   AccountEvent::created_on_pds,
    AccountEvent::attempt_failed, AccountEvent::gave_up,        AccountEvent::adopted_did,
    AccountEvent::reset_failed,   AccountEvent::deleted_on_pds, AccountEvent::pds_handle_set,
};
inline constexpr std::array kAllAccountStates = {
    AccountState::none,   AccountState::pending,  AccountState::creating, AccountState::active,
    AccountState::failed, AccountState::deleting, AccountState::deleted,
};
const char *to_string(AccountEvent event);
AccountEvent account_event(store::EventType type);

// What the rules read besides the state. For a log event, the facts are those after the event's
// own facts were recorded (a deletion event's deletion is recorded).
struct AccountFacts {
  AccountState state = AccountState::none;
  bool has_did = false;     // a DID is stored (MongoDB: nested atproto.did or flat atproto_did)
  bool has_intent = false;  // an intent is stored: createAccount may be in flight
  bool deletion_recorded = false;  // a deletion (sdu) was recorded
  bool operator==(const AccountFacts &) const = default;
};

struct AccountDecision {
  // The event does not apply in this state: nothing changes, and a job-side move is a conflict.
  bool refused = false;
  std::optional<AccountState> new_state;  // nullopt: the state stays as it is
  std::optional<JobKind> schedule;        // the job to schedule now
  bool drop_open_jobs = false;            // drop the open jobs other than delete_account
  // Whether a PDS account may exist in this cell (a DID, an intent, or a state that means one
  // exists or is being made or removed). Not part of what the store writes.
  bool pds_account_may_exist = false;

  // The writes the decision asks for (refusal, state, job, drop), without pds_account_may_exist.
  bool same_writes(const AccountDecision &other) const {
    return refused == other.refused && new_state == other.new_state && schedule == other.schedule &&
           drop_open_jobs == other.drop_open_jobs;
  }
};

// The rule. Total: every (event, facts) has a decision.
AccountDecision decide(AccountEvent event, const AccountFacts &facts);

// Every combination of facts: 7 states x DID x intent x deletion = 56 cells, in a fixed order.
std::vector<AccountFacts> enumerate_cells();

// The cells of one event grouped by the writes their decision asks for, in order of first
// appearance in enumerate_cells(). Every cell is in exactly one group.
struct DecisionGroup {
  AccountDecision decision;  // pds_account_may_exist is that of the group's first cell
  std::vector<AccountFacts> cells;
};
std::vector<DecisionGroup> group_cells(AccountEvent event);

}  // namespace acid::provision
