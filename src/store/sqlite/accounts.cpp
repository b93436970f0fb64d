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
  auto outcomes = apply_events(std::span(&event, 1), capacity, candidates);
  if (!outcomes) return std::move(outcomes).error();
  return std::move(outcomes->front());
}

Result<std::vector<ApplyOutcome>> SqliteStore::apply_events(std::span<const EventFact> events,
                                                            std::uint32_t capacity,
                                                            const CodeCandidates &candidates) {
  for (const EventFact &event : events) {
    if (event.sub.empty() || event.log_id.empty()) {
      return Error(Code::invalid, "an event needs a log_id and a sub");
    }
  }
  std::vector<ApplyOutcome> outcomes;
  outcomes.reserve(events.size());
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  const UnixMillis now = now_unix_ms();
  for (const EventFact &event : events) {
    auto outcome = apply_in_transaction(event, now, capacity, candidates);
    if (!outcome) return std::move(outcome).error();  // the transaction rolls back: no event
    outcomes.push_back(std::move(*outcome));
  }
  ACID_TRY(tx->commit());
  return outcomes;
}

Result<ApplyOutcome> SqliteStore::apply_in_transaction(const EventFact &event, UnixMillis now,
                                                       std::uint32_t capacity,
                                                       const CodeCandidates &candidates) {
  ApplyOutcome outcome;

  auto record = conn_.cached(
      "INSERT INTO processed_events (log_id, sub, type, applied_ms) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (log_id) DO NOTHING");
  if (!record) return std::move(record).error();
  ACID_TRY(record->bind(1, event.log_id)
               .bind(2, event.sub)
               .bind(3, std::string_view(to_string(event.type)))
               .bind(4, now)
               .run());
  if (sqlite3_changes(conn_.raw()) == 0) {
    outcome.duplicate = true;
    return outcome;  // nothing was written for this event
  }

  // One statement creates or touches the account (its version moves with every change) and
  // reads what the event's transition depends on.
  auto touched = touch_account(event, now);
  if (!touched) return std::move(touched).error();
  const AccountDecision decision = decide(provision::account_event(event.type), *touched);

  switch (event.type) {
    case EventType::signup: {
      auto code = ensure_code(event.sub, event.code_time, event.date, capacity, candidates);
      if (!code) return std::move(code).error();
      outcome.new_code = std::move(*code);
      auto v = conn_.cached(
          "INSERT INTO verifications (sub, count) VALUES (?1, 0) ON CONFLICT (sub) DO NOTHING");
      if (!v) return std::move(v).error();
      ACID_TRY(v->bind(1, event.sub).run());
      break;
    }
    case EventType::verified: {
      ACID_TRY(count_verification(event.sub));
      auto code = ensure_code(event.sub, event.code_time, event.code_time, capacity, candidates);
      if (!code) return std::move(code).error();
      outcome.new_code = std::move(*code);
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
  auto stmt = conn_.cached(std::string(kAccountColumns) +
                           "FROM (SELECT ?1 AS sub) s "
                           "LEFT JOIN users u ON u.sub = s.sub "
                           "LEFT JOIN verifications v ON v.sub = s.sub "
                           "LEFT JOIN accounts a ON a.sub = s.sub "
                           "LEFT JOIN handles h ON h.sub = s.sub");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, sub);
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return Error(Code::internal, "account query returned no row");
  if (stmt->column_int(22) == 0 && stmt->column_int(23) == 0 && stmt->column_int(24) == 0) {
    return Error(Code::not_found, "no user " + std::string(sub));
  }
  Account a;
  ACID_TRY(read_account(*stmt, a));
  a.sub = std::string(sub);
  return a;
}

Status SqliteStore::save_intent(std::string_view sub, const AccountIntent &intent,
                                std::int64_t expected_version) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto stored = sqlite::read_account_facts(conn_, sub);
  if (!stored) return std::move(stored).error();
  const bool applies = *stored && (*stored)->version == expected_version &&
                       !decide(AccountEvent::intent_saved, (*stored)->facts).refused;
  if (!applies) {
    return Error(Code::conflict, "account " + std::string(sub) +
                                     " changed since it was read (or is not being provisioned)");
  }
  auto stmt = conn_.cached(
      "UPDATE accounts SET intent_handle = ?3, intent_password = ?4, intent_email = ?5, "
      "  intent_attempt = ?6, intent_ms = ?7, version = version + 1, updated_ms = ?7 "
      "WHERE sub = ?1 AND version = ?2");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(stmt->bind(1, sub)
               .bind(2, expected_version)
               .bind(3, intent.handle)
               .bind(4, intent.sealed_password)
               .bind(5, intent.email)
               .bind(6, static_cast<std::int64_t>(intent.attempt))
               .bind(7, intent.at)
               .run());
  ACID_TRY(apply_decision(sub, decide(AccountEvent::intent_saved, (*stored)->facts), intent.at));
  return tx->commit();
}

Status SqliteStore::mark_account_created(std::string_view sub, std::string_view did,
                                         std::string_view pds_handle, std::string_view password,
                                         std::string_view created_at_iso) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  // A person deleted while createAccount was in flight: the account is recorded (so nothing
  // is orphaned) and the table says a delete job removes it.
  auto decided = decide_for(sub, AccountEvent::created_on_pds);
  if (!decided) return std::move(decided).error();
  if (decided->decision.refused) return not_changed(sub, "the transition table refused it");
  auto stmt = conn_.cached(
      "UPDATE accounts SET did = ?2, pds_handle = ?3, password = ?4, pds_created_at = ?5, "
      "  synced_at = ?5, last_error = '', intent_handle = NULL, intent_password = NULL, "
      "  intent_email = NULL, intent_attempt = NULL, intent_ms = NULL, "
      "  version = version + 1, updated_ms = ?6 "
      "WHERE sub = ?1");
  if (!stmt) return std::move(stmt).error();
  const UnixMillis now = now_unix_ms();
  Status written = stmt->bind(1, sub)
                       .bind(2, did)
                       .bind(3, pds_handle)
                       .bind(4, password)
                       .bind(5, created_at_iso)
                       .bind(6, now)
                       .run();
  if (!written && written.code() == Code::conflict) {
    return Error(Code::conflict, "DID " + std::string(did) + " already belongs to another user",
                 "{\"index\":\"did\"}");
  }
  ACID_TRY(std::move(written));
  ACID_TRY(apply_decision(sub, decided->decision, now));
  return tx->commit();
}

Status SqliteStore::record_attempt_failure(std::string_view sub, int attempts,
                                           std::string_view error_json, bool give_up) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto decided = decide_for(sub, give_up ? AccountEvent::gave_up : AccountEvent::attempt_failed);
  if (!decided) return std::move(decided).error();
  if (decided->decision.refused) {
    return not_changed(sub, "its PDS account exists or is being deleted");
  }
  const UnixMillis now = now_unix_ms();
  auto stmt = conn_.cached(
      "UPDATE accounts SET attempts = ?2, last_error = ?3, version = version + 1, "
      "  updated_ms = ?4 WHERE sub = ?1");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(stmt->bind(1, sub)
               .bind(2, static_cast<std::int64_t>(attempts))
               .bind(3, error_json)
               .bind(4, now)
               .run());
  ACID_TRY(apply_decision(sub, decided->decision, now));
  return tx->commit();
}

Status SqliteStore::adopt_existing_account(std::string_view sub, std::string_view did,
                                           std::int64_t expected_version) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto decided = decide_for(sub, AccountEvent::adopted_did);
  if (!decided) return std::move(decided).error();
  if (decided->decision.refused || decided->stored.did != did ||
      decided->stored.version != expected_version) {
    return not_changed(sub, "it changed since it was read");
  }
  const UnixMillis now = now_unix_ms();
  auto stmt = conn_.cached(
      "UPDATE accounts SET last_error = '', intent_handle = NULL, "
      "  intent_password = NULL, intent_email = NULL, intent_attempt = NULL, "
      "  intent_ms = NULL, version = version + 1, updated_ms = ?2 "
      "WHERE sub = ?1");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(stmt->bind(1, sub).bind(2, now).run());
  ACID_TRY(apply_decision(sub, decided->decision, now));
  return tx->commit();
}

Status SqliteStore::reset_failed(std::string_view sub, UnixMillis now) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto decided = decide_for(sub, AccountEvent::reset_failed);
  if (!decided) return std::move(decided).error();
  if (decided->decision.refused) {
    return Error(Code::conflict, "account " + std::string(sub) + " is " +
                                     to_string(decided->stored.facts.state) + ", not failed");
  }
  auto reset = conn_.cached("UPDATE accounts SET attempts = 0 WHERE sub = ?1");
  if (!reset) return std::move(reset).error();
  ACID_TRY(reset->bind(1, sub).run());
  // The failed job stays as history; a fresh open one does the work.
  ACID_TRY(apply_decision(sub, decided->decision, now));
  ACID_TRY(bump(sub));
  return tx->commit();
}

Status SqliteStore::mark_account_deleted(std::string_view sub) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto decided = decide_for(sub, AccountEvent::deleted_on_pds);
  if (!decided) return std::move(decided).error();
  if (decided->decision.refused) return not_changed(sub, "the transition table refused it");
  const UnixMillis now = now_unix_ms();
  auto stmt = conn_.cached(
      "UPDATE accounts SET did = NULL, pds_handle = NULL, password = NULL, "
      "  pds_created_at = NULL, synced_at = NULL, intent_handle = NULL, "
      "  intent_password = NULL, intent_email = NULL, intent_attempt = NULL, "
      "  intent_ms = NULL, last_error = '', version = version + 1, updated_ms = ?2 "
      "WHERE sub = ?1");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(stmt->bind(1, sub).bind(2, now).run());
  ACID_TRY(apply_decision(sub, decided->decision, now));
  return tx->commit();
}

Status SqliteStore::set_pds_handle(std::string_view sub, std::string_view pds_handle,
                                   std::string_view synced_at_iso) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto decided = decide_for(sub, AccountEvent::pds_handle_set);
  if (!decided) return std::move(decided).error();
  if (decided->decision.refused) return not_changed(sub, "it is not active");
  const UnixMillis now = now_unix_ms();
  auto stmt = conn_.cached(
      "UPDATE accounts SET pds_handle = ?2, synced_at = ?3, version = version + 1, "
      "  updated_ms = ?4 WHERE sub = ?1");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(stmt->bind(1, sub).bind(2, pds_handle).bind(3, synced_at_iso).bind(4, now).run());
  ACID_TRY(apply_decision(sub, decided->decision, now));
  return tx->commit();
}

Status SqliteStore::replace_password(std::string_view sub, std::string_view expected,
                                     std::string_view replacement) {
  std::lock_guard lock(mu_);
  auto stmt = conn_.cached(
      "UPDATE accounts SET password = ?3, version = version + 1 WHERE sub = ?1 AND "
      "password = ?2");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(stmt->bind(1, sub).bind(2, expected).bind(3, replacement).run());
  if (sqlite3_changes(conn_.raw()) == 0) {
    return Error(Code::conflict, "the stored password of " + std::string(sub) + " changed");
  }
  return Status::ok();
}

}  // namespace acid::store::sqlite
