// The embedded store: log events and the provisioning moves, applied through the
// account transition table (provision/account_transitions.h) inside one transaction each.
#include "store/lease_token.h"
#include "store/sqlite/adapter.h"
#include "store/sqlite/sqlite_dead_letters.h"
#include "store/sqlite/sqlite_transitions.h"

namespace acid::store::sqlite {

using provision::decide;

Result<ApplyOutcome> SqliteStore::apply_event(const EventFact &event, std::uint32_t capacity,
                                              const CodeCandidates &candidates) {
  ACID_ASSIGN_OR_RETURN(auto outcomes, apply_events(std::span(&event, 1), capacity, candidates));
  return std::move(outcomes.front());
}

Result<std::vector<ApplyOutcome>> SqliteStore::apply_events(std::span<const EventFact> events,
                                                            std::uint32_t capacity,
                                                            const CodeCandidates &candidates) {
  for (const EventFact &event : events) {
    if (event.sub.empty() || event.log_id.empty()) {
      return Error(Code::invalid, "an event needs a log_id and a sub");
    }
  }
  std::lock_guard lock(mu_);
  const UnixMillis now = now_unix_ms();
  // A failure rolls the whole transaction back: no event of the batch is applied.
  return collect_in_transaction<ApplyOutcome>(conn_, events, [&](const EventFact &event) {
    return apply_in_transaction(event, now, capacity, candidates);
  });
}

Result<ApplyOutcome> SqliteStore::apply_in_transaction(const EventFact &event, UnixMillis now,
                                                       std::uint32_t capacity,
                                                       const CodeCandidates &candidates) {
  ApplyOutcome outcome;

  ACID_ASSIGN_OR_RETURN(
      const int recorded,
      conn_.run_counting_changes(
          "INSERT INTO processed_events (log_id, sub, type, applied_ms) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (log_id) DO NOTHING",
          event.log_id, event.sub, to_string(event.type), now));
  if (recorded == 0) {
    outcome.duplicate = true;
    return outcome;  // nothing was written for this event
  }

  // One statement creates or touches the account (its version moves with every change) and
  // reads what the event's transition depends on.
  ACID_ASSIGN_OR_RETURN(const provision::AccountFacts touched, touch_account(event, now));
  const AccountDecision decision = decide(provision::account_event(event.type), touched);

  switch (event.type) {
    case EventType::signup: {
      ACID_ASSIGN_OR_RETURN(outcome.new_code, ensure_code(event.sub, event.code_time, event.date,
                                                          capacity, candidates));
      ACID_TRY(conn_.run(kEnsureVerifications, event.sub));
      break;
    }
    case EventType::verified: {
      ACID_TRY(count_verification(event.sub));
      ACID_ASSIGN_OR_RETURN(outcome.new_code, ensure_code(event.sub, event.code_time,
                                                          event.code_time, capacity, candidates));
      break;
    }
    case EventType::email_changed:  // touch_account recorded the email
    case EventType::deleted:        // and the deletion
      break;
  }
  // The transition table's answer: state, dropped jobs, the job it schedules.
  ACID_TRY(apply_decision(event.sub, decision, now));
  outcome.job_scheduled = decision.schedule.has_value();
  return outcome;
}

Result<Account> SqliteStore::get_account(std::string_view sub) {
  std::lock_guard lock(mu_);
  ACID_ASSIGN_OR_RETURN(auto stmt, conn_.query(std::string(kAccountColumns) +
                                                   "FROM (SELECT ?1 AS sub) s "
                                                   "LEFT JOIN users u ON u.sub = s.sub "
                                                   "LEFT JOIN verifications v ON v.sub = s.sub "
                                                   "LEFT JOIN accounts a ON a.sub = s.sub "
                                                   "LEFT JOIN handles h ON h.sub = s.sub",
                                               sub));
  ACID_TRY(stmt.expect_row(Error(Code::internal, "account query returned no row")));
  if (stmt.column_int(22) == 0 && stmt.column_int(23) == 0 && stmt.column_int(24) == 0) {
    return Error(Code::not_found, "no user " + std::string(sub));
  }
  Account a;
  ACID_TRY(read_account(stmt, a));
  a.sub = std::string(sub);
  return a;
}

Status SqliteStore::save_intent(std::string_view sub, const AccountIntent &intent,
                                std::int64_t expected_version) {
  std::lock_guard lock(mu_);
  return in_transaction(conn_, [&]() -> Status {
    ACID_ASSIGN_OR_RETURN(const auto stored, sqlite::read_account_facts(conn_, sub));
    const bool applies = stored && stored->version == expected_version &&
                         !decide(AccountEvent::intent_saved, stored->facts).refused;
    if (!applies) {
      return Error(Code::conflict, "account " + std::string(sub) +
                                       " changed since it was read (or is not being provisioned)");
    }
    ACID_TRY(conn_.run(
        "UPDATE accounts SET intent_handle = ?3, intent_password = ?4, intent_email = ?5, "
        "  intent_attempt = ?6, intent_ms = ?7, version = version + 1, updated_ms = ?7 "
        "WHERE sub = ?1 AND version = ?2",
        sub, expected_version, intent.handle, intent.sealed_password, intent.email, intent.attempt,
        intent.at));
    return apply_decision(sub, decide(AccountEvent::intent_saved, stored->facts), intent.at);
  });
}

Status SqliteStore::move_account(std::string_view sub, AccountEvent event, UnixMillis now,
                                 const std::function<Status(const Decided &)> &write) {
  std::lock_guard lock(mu_);
  return in_transaction(conn_, [&]() -> Status {
    ACID_ASSIGN_OR_RETURN(const Decided decided, decide_for(sub, event));
    ACID_TRY(write(decided));
    return apply_decision(sub, decided.decision, now);
  });
}

Status SqliteStore::mark_account_created(std::string_view sub, std::string_view did,
                                         std::string_view pds_handle, std::string_view password,
                                         std::string_view created_at_iso) {
  // A person deleted while createAccount was in flight: the account is recorded (so nothing
  // is orphaned) and the table says a delete job removes it.
  const UnixMillis now = now_unix_ms();
  return move_account(sub, AccountEvent::created_on_pds, now, [&](const Decided &d) -> Status {
    if (d.decision.refused) return not_changed(sub, "the transition table refused it");
    Status written = conn_.run(
        "UPDATE accounts SET did = ?2, pds_handle = ?3, password = ?4, pds_created_at = ?5, "
        "  synced_at = ?5, last_error = '', intent_handle = NULL, intent_password = NULL, "
        "  intent_email = NULL, intent_attempt = NULL, intent_ms = NULL, "
        "  version = version + 1, updated_ms = ?6 "
        "WHERE sub = ?1",
        sub, did, pds_handle, password, created_at_iso, now);
    if (!written && written.code() == Code::conflict) {
      return Error(Code::conflict, "DID " + std::string(did) + " already belongs to another user",
                   "{\"index\":\"did\"}");
    }
    return written;
  });
}

Status SqliteStore::record_attempt_failure(std::string_view sub, int attempts,
                                           std::string_view error_json, bool give_up) {
  const UnixMillis now = now_unix_ms();
  const AccountEvent event = give_up ? AccountEvent::gave_up : AccountEvent::attempt_failed;
  return move_with_update(
      sub, event, now, "its PDS account exists or is being deleted",
      "UPDATE accounts SET attempts = ?2, last_error = ?3, version = version + 1, "
      "  updated_ms = ?4 WHERE sub = ?1",
      sub, attempts, error_json, now);
}

Status SqliteStore::adopt_existing_account(std::string_view sub, std::string_view did,
                                           std::int64_t expected_version) {
  const UnixMillis now = now_unix_ms();
  return move_account(sub, AccountEvent::adopted_did, now, [&](const Decided &d) -> Status {
    if (d.decision.refused || d.stored.did != did || d.stored.version != expected_version) {
      return not_changed(sub, "it changed since it was read");
    }
    return conn_.run(
        "UPDATE accounts SET last_error = '', intent_handle = NULL, "
        "  intent_password = NULL, intent_email = NULL, intent_attempt = NULL, "
        "  intent_ms = NULL, version = version + 1, updated_ms = ?2 "
        "WHERE sub = ?1",
        sub, now);
  });
}

Status SqliteStore::reset_failed(std::string_view sub, UnixMillis now) {
  return move_account(sub, AccountEvent::reset_failed, now, [&](const Decided &d) -> Status {
    if (d.decision.refused) {
      return Error(Code::conflict, "account " + std::string(sub) + " is " +
                                       to_string(d.stored.facts.state) + ", not failed");
    }
    // The failed job stays as history; the decision schedules a fresh open one.
    ACID_TRY(conn_.run("UPDATE accounts SET attempts = 0 WHERE sub = ?1", sub));
    return bump(sub);
  });
}

Status SqliteStore::mark_account_deleted(std::string_view sub) {
  const UnixMillis now = now_unix_ms();
  return move_with_update(
      sub, AccountEvent::deleted_on_pds, now, "the transition table refused it",
      "UPDATE accounts SET did = NULL, pds_handle = NULL, password = NULL, "
      "  pds_created_at = NULL, synced_at = NULL, intent_handle = NULL, "
      "  intent_password = NULL, intent_email = NULL, intent_attempt = NULL, "
      "  intent_ms = NULL, last_error = '', version = version + 1, updated_ms = ?2 "
      "WHERE sub = ?1",
      sub, now);
}

Status SqliteStore::set_pds_handle(std::string_view sub, std::string_view pds_handle,
                                   std::string_view synced_at_iso) {
  const UnixMillis now = now_unix_ms();
  return move_with_update(
      sub, AccountEvent::pds_handle_set, now, "it is not active",
      "UPDATE accounts SET pds_handle = ?2, synced_at = ?3, version = version + 1, "
      "  updated_ms = ?4 WHERE sub = ?1",
      sub, pds_handle, synced_at_iso, now);
}

Status SqliteStore::replace_password(std::string_view sub, std::string_view expected,
                                     std::string_view replacement) {
  std::lock_guard lock(mu_);
  return conn_.run_changing_rows(
      Error(Code::conflict, "the stored password of " + std::string(sub) + " changed"),
      "UPDATE accounts SET password = ?3, version = version + 1 WHERE sub = ?1 AND "
      "password = ?2",
      sub, expected, replacement);
}

}  // namespace acid::store::sqlite
