// The MongoDB adapter: log events and the provisioning moves, as guarded single-document
// updates derived from the account transition table (mongo_transitions.h).
#include "core/json.h"
#include "store/lease_token.h"
#include "store/mongo/adapter.h"

namespace acid::store::mongo {

Result<ApplyOutcome> MongoStore::apply_event(const EventFact &event, std::uint32_t capacity,
                                             const CodeCandidates &candidates) {
  if (event.sub.empty() || event.log_id.empty()) {
    return Error(Code::invalid, "an event needs a log_id and a sub");
  }
  ApplyOutcome outcome;
  ACID_ASSIGN_OR_RETURN(auto seen, run(cmd_.event_seen(event.log_id)));
  if (seen.document) {
    outcome.duplicate = true;
    return outcome;
  }
  const UnixMillis now = now_unix_ms();

  // 1. Code and verifications (idempotent, or guarded by the log id).
  if (event.type == EventType::signup) {
    ACID_ASSIGN_OR_RETURN(
        auto code, ensure_code(event.sub, event.code_time, event.date, capacity, candidates));
    outcome.new_code = std::move(code);
    ACID_ASSIGN_OR_RETURN(auto v, run(cmd_.ensure_verifications(event.sub)));
    if (v.duplicate && v.duplicate->role != IndexRole::id) {
      return unexpected_duplicate(*v.duplicate);
    }
  } else if (event.type == EventType::verified) {
    ACID_TRY(guarded(cmd_.verified_increment(event.sub, event.log_id),
                     cmd_.verifications_applied(event.sub, event.log_id)));
    ACID_ASSIGN_OR_RETURN(
        auto code, ensure_code(event.sub, event.code_time, event.code_time, capacity, candidates));
    outcome.new_code = std::move(code);
  }

  // 2. Facts (earliest dates, email), guarded by the log id.
  ACID_TRY(guarded(cmd_.record_facts(event, now), cmd_.account_applied(event.sub, event.log_id)));

  // 3. The transition table's state change with the job it owes, then the job itself.
  ACID_ASSIGN_OR_RETURN(auto scheduled, log_transition(event, now));
  outcome.job_scheduled = scheduled;

  // 4. The log id, last: a crash before it lets a redelivery finish the steps above.
  auto recorded = run(cmd_.record_event(event, now));
  if (!recorded) return std::move(recorded).error();
  if (recorded->duplicate) {
    if (recorded->duplicate->role != IndexRole::id) {
      return unexpected_duplicate(*recorded->duplicate);
    }
    return ApplyOutcome{true, std::nullopt, false};  // a concurrent delivery recorded it first
  }
  return outcome;
}

Result<Account> MongoStore::get_account(std::string_view sub) {
  ACID_ASSIGN_OR_RETURN(auto user, run(cmd_.get_account_user(sub)));
  ACID_ASSIGN_OR_RETURN(auto verifications, run(cmd_.get_account_verifications(sub)));
  ACID_ASSIGN_OR_RETURN(auto handle, run(cmd_.get_handle(sub)));
  return mongo::read_account(sub, user.document ? user.document->get() : nullptr,
                             verifications.document ? verifications.document->get() : nullptr,
                             handle.document ? handle.document->get() : nullptr);
}

Status MongoStore::save_intent(std::string_view sub, const AccountIntent &intent,
                               std::int64_t expected_version) {
  ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.save_intent(sub, intent, expected_version)));
  if (r.matched == 0) {
    return Error(Code::conflict, "account " + std::string(sub) +
                                     " changed since it was read (or is not being provisioned)");
  }
  return Status::ok();
}

Status MongoStore::mark_account_created(std::string_view sub, std::string_view did,
                                        std::string_view pds_handle, std::string_view password,
                                        std::string_view created_at_iso) {
  if (missing_roles_.contains(IndexRole::did)) {
    // acid_atproto_did_unique could not be built: check first (DIDs come from the PDS, one
    // per account, so only two adoptions of one DID at once could slip through).
    ACID_ASSIGN_OR_RETURN(auto held, run(cmd_.did_held_by_other(sub, did)));
    if (held.document) {
      return Error(Code::conflict, "DID " + std::string(did) + " already belongs to another user",
                   "{\"index\":\"did\"}");
    }
  }
  const UnixMillis now = now_unix_ms();
  // One update per group of the table's cells (disjoint filters): usually not deleted, else
  // deleted while createAccount was in flight. A deletion recorded between two updates makes
  // the first miss and a later one match.
  for (const provision::DecisionGroup &group :
       mongo::groups_to_apply(provision::AccountEvent::created_on_pds)) {
    ACID_ASSIGN_OR_RETURN(auto owed, owed_by(group.decision, now, now, "created-after-deletion"));
    ACID_ASSIGN_OR_RETURN(
        auto r, run(cmd_.mark_account_created(sub, did, pds_handle, password, created_at_iso, now,
                                              group, owed ? &*owed : nullptr)));
    if (r.duplicate) {
      if (r.duplicate->role == IndexRole::did) {
        return Error(Code::conflict, "DID " + std::string(did) + " already belongs to another user",
                     "{\"index\":\"did\"}");
      }
      return unexpected_duplicate(*r.duplicate);
    }
    if (r.matched == 0) continue;
    if (owed) return settle_owed(sub);
    return Status::ok();
  }
  return Error(Code::not_found, "no account for " + std::string(sub));
}

Status MongoStore::record_attempt_failure(std::string_view sub, int attempts,
                                          std::string_view error_json, bool give_up) {
  ACID_ASSIGN_OR_RETURN(
      auto r, run(cmd_.record_attempt_failure(sub, attempts, error_json, give_up, now_unix_ms())));
  return require_matched_in_state(r, sub, "its PDS account exists or is being deleted");
}

Status MongoStore::adopt_existing_account(std::string_view sub, std::string_view did,
                                          std::int64_t expected_version) {
  ACID_ASSIGN_OR_RETURN(
      auto r, run(cmd_.adopt_existing_account(sub, did, expected_version, now_unix_ms())));
  return require_matched_in_state(r, sub, "it changed since it was read");
}

Status MongoStore::reset_failed(std::string_view sub, UnixMillis now) {
  for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
    auto read = run(cmd_.read_state(sub));
    if (!read) return std::move(read).error();
    if (!read->document) return Error(Code::not_found, "no account for " + std::string(sub));
    ACID_ASSIGN_OR_RETURN(auto facts, mongo::read_facts(read->document->get()));
    const auto decision = provision::decide(provision::AccountEvent::reset_failed, facts);
    if (decision.refused) {
      return Error(Code::conflict, "account " + std::string(sub) + " is " + to_string(facts.state) +
                                       ", not failed");
    }
    const UnixMillis written = now_unix_ms();
    ACID_ASSIGN_OR_RETURN(auto owed, owed_by(decision, now, written, "reset"));
    if (!owed) return Error(Code::internal, "a reset owes no job");
    ACID_ASSIGN_OR_RETURN(
        auto r,
        run(cmd_.reset_failed(sub, group_of(provision::AccountEvent::reset_failed, decision), *owed,
                              written)));
    if (r.modified > 0) return settle_owed(sub);
    // The account changed between the read and the update: look again.
  }
  return contention("reset_failed");
}

Status MongoStore::mark_account_deleted(std::string_view sub) {
  ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.mark_account_deleted(sub, now_unix_ms())));
  return require_matched(r, sub);
}

Status MongoStore::set_pds_handle(std::string_view sub, std::string_view pds_handle,
                                  std::string_view synced_at_iso) {
  ACID_ASSIGN_OR_RETURN(auto r,
                        run(cmd_.set_pds_handle(sub, pds_handle, synced_at_iso, now_unix_ms())));
  return require_matched_in_state(r, sub, "it is not active");
}

Status MongoStore::replace_password(std::string_view sub, std::string_view expected,
                                    std::string_view replacement) {
  const UnixMillis now = now_unix_ms();
  ACID_ASSIGN_OR_RETURN(auto nested,
                        run(cmd_.replace_password_nested(sub, expected, replacement, now)));
  if (nested.matched > 0) return Status::ok();
  ACID_ASSIGN_OR_RETURN(auto flat,
                        run(cmd_.replace_password_flat(sub, expected, replacement, now)));
  if (flat.matched > 0) return Status::ok();
  return Error(Code::conflict, "the stored password of " + std::string(sub) + " changed");
}

}  // namespace acid::store::mongo
