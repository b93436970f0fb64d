#include "provision/account_transitions.h"

#include "core/enum_names.h"

namespace acid::provision {

namespace {

bool in(AccountState state, std::initializer_list<AccountState> states) {
  for (AccountState s : states) {
    if (s == state) return true;
  }
  return false;
}

AccountDecision unchanged() {
  return AccountDecision{};
}

AccountDecision refused() {
  AccountDecision d;
  d.refused = true;
  return d;
}

AccountDecision move_to(AccountState state, std::optional<JobKind> job = std::nullopt) {
  AccountDecision d;
  d.new_state = state;
  d.schedule = job;
  return d;
}

// On the way to deletion an account has no other open work: a delete job, the rest dropped.
AccountDecision to_deleting() {
  AccountDecision d = move_to(AccountState::deleting, JobKind::delete_account);
  d.drop_open_jobs = true;
  return d;
}

// A PDS account may exist: created (a DID, or active), being created (an intent, creating), or
// not yet removed (deleting).
bool may_exist(const AccountFacts &f) {
  return f.has_did || f.has_intent ||
         in(f.state, {AccountState::active, AccountState::creating, AccountState::deleting});
}

AccountDecision on_deleted(const AccountFacts &f) {
  using S = AccountState;
  if (in(f.state, {S::deleting, S::deleted})) return unchanged();
  // Something may exist on the PDS: a job deletes it. Otherwise deletion is immediate.
  if (may_exist(f)) return to_deleting();
  AccountDecision d = move_to(S::deleted);
  d.drop_open_jobs = true;
  return d;
}

AccountDecision rule(AccountEvent event, const AccountFacts &f) {
  using S = AccountState;
  switch (event) {
    case AccountEvent::signup:
    case AccountEvent::email_changed:
      return unchanged();
    case AccountEvent::verified:
      return f.state == S::none ? move_to(S::pending, JobKind::provision) : unchanged();
    case AccountEvent::deleted:
      return on_deleted(f);
    case AccountEvent::intent_saved:
      return in(f.state, {S::pending, S::creating}) ? move_to(S::creating) : refused();
    case AccountEvent::created_on_pds:
      // Deleted while createAccount was in flight: recorded, so nothing is orphaned, and deleted.
      return f.deletion_recorded ? to_deleting() : move_to(S::active);
    case AccountEvent::attempt_failed:
    case AccountEvent::gave_up:
      // A stale worker's failure never reaches an account that exists or is being deleted.
      if (in(f.state, {S::active, S::deleting})) return refused();
      return event == AccountEvent::gave_up ? move_to(S::failed) : unchanged();
    case AccountEvent::adopted_did:
      if (!f.has_did || !in(f.state, {S::pending, S::creating, S::failed})) return refused();
      return move_to(S::active);
    case AccountEvent::reset_failed:
      if (f.state != S::failed) return refused();
      return f.deletion_recorded ? to_deleting() : move_to(S::pending, JobKind::provision);
    case AccountEvent::deleted_on_pds:
      return move_to(S::deleted);
    case AccountEvent::pds_handle_set:
      return f.state == S::active ? unchanged() : refused();
  }
  return refused();
}

}  // namespace

const char *to_string(AccountEvent event) {
  using enum AccountEvent;
  static constexpr EnumName<AccountEvent> kNames[] = {{signup, "signup"},
                                                      {verified, "verified"},
                                                      {email_changed, "email_changed"},
                                                      {deleted, "deleted"},
                                                      {intent_saved, "intent_saved"},
                                                      {created_on_pds, "created_on_pds"},
                                                      {attempt_failed, "attempt_failed"},
                                                      {gave_up, "gave_up"},
                                                      {adopted_did, "adopted_did"},
                                                      {reset_failed, "reset_failed"},
                                                      {deleted_on_pds, "deleted_on_pds"},
                                                      {pds_handle_set, "pds_handle_set"}};
  static_assert(in_declaration_order(kNames));
  return name_of(kNames, event, "unknown");
}

AccountEvent account_event(store::EventType type) {
  switch (type) {
    case store::EventType::signup:
      return AccountEvent::signup;
    case store::EventType::verified:
      return AccountEvent::verified;
    case store::EventType::email_changed:
      return AccountEvent::email_changed;
    case store::EventType::deleted:
      return AccountEvent::deleted;
  }
  return AccountEvent::signup;
}

AccountDecision decide(AccountEvent event, const AccountFacts &facts) {
  AccountDecision d = rule(event, facts);
  d.pds_account_may_exist = may_exist(facts);
  return d;
}

std::vector<AccountFacts> enumerate_cells() {
  std::vector<AccountFacts> cells;
  cells.reserve(kAllAccountStates.size() * 8);
  for (AccountState state : kAllAccountStates) {
    for (bool did : {false, true}) {
      for (bool intent : {false, true}) {
        for (bool deletion : {false, true}) cells.push_back({state, did, intent, deletion});
      }
    }
  }
  return cells;
}

std::vector<DecisionGroup> group_cells(AccountEvent event) {
  std::vector<DecisionGroup> groups;
  for (const AccountFacts &cell : enumerate_cells()) {
    const AccountDecision d = decide(event, cell);
    bool placed = false;
    for (DecisionGroup &g : groups) {
      if (g.decision.same_writes(d)) {
        g.cells.push_back(cell);
        placed = true;
        break;
      }
    }
    if (!placed) groups.push_back(DecisionGroup{d, {cell}});
  }
  return groups;
}

}  // namespace acid::provision
