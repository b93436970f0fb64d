// The MongoDB adapter: helpers shared by its roles (guards, code claims, owed jobs).
#include <chrono>

#include "core/json.h"
#include "store/lease_token.h"
#include "store/mongo/adapter.h"

namespace acid::store::mongo {

Error exhausted(int yy) {
  return Error(Code::exhausted, "no user code left for two-digit year " + mongo::year_prefix(yy),
               "{\"yy\":" + std::to_string(yy) + "}");
}

Error code_taken(std::string_view code) {
  return Error(Code::conflict, "user code " + std::string(code) + " is already taken",
               "{\"index\":\"code\"}");
}

Error contention(std::string_view what) {
  return Error(Code::unavailable,
               std::string(what) + " kept losing races with concurrent writers; try again");
}

Error content_rkey_moved(std::string_view collection, std::string_view id, std::string_view rkey) {
  return Error(Code::conflict, std::string(collection) + " " + std::string(id) +
                                   " no longer holds record key " + std::string(rkey));
}

Error unexpected_duplicate(const DuplicateKey &dup) {
  return Error(Code::conflict, "unexpected duplicate key: " + dup.message,
               "{\"index\":" + json::quote(dup.index) +
                   ",\"role\":" + json::quote(mongo::to_string(dup.role)) + "}");
}

Error lease_lost(std::int64_t id, std::string_view owner) {
  return Error(Code::conflict,
               "job " + std::to_string(id) + " is no longer leased by " + std::string(owner) +
                   " under this lease (it expired and was taken, or the job was replaced)",
               "{\"stale_lease\":true}");
}

std::optional<std::string> string_field(const std::optional<Doc> &doc, const char *path) {
  if (!doc) return std::nullopt;
  return Field::find(doc->get(), path).as_string();
}

Status MongoStore::require_matched_in_state(const OpResult &r, std::string_view sub,
                                            std::string_view why) {
  if (r.matched > 0) return Status::ok();
  ACID_ASSIGN_OR_RETURN(auto read, run(cmd_.read_state(sub)));
  if (!read.document) return Error(Code::not_found, "no account for " + std::string(sub));
  return Error(Code::conflict, "account " + std::string(sub) + " not changed: " + std::string(why));
}

Status MongoStore::guarded(const Op &update, const Op &applied) {
  for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
    ACID_ASSIGN_OR_RETURN(auto r, run(update));
    if (!r.duplicate) return Status::ok();
    if (r.duplicate->role != IndexRole::id) return unexpected_duplicate(*r.duplicate);
    ACID_ASSIGN_OR_RETURN(auto seen, run(applied));
    if (seen.document) return Status::ok();  // this log id's effect is already there
  }
  return contention("applying an event");
}

Result<ClaimedCode> MongoStore::claim(int yy, std::uint32_t capacity,
                                      const CodeCandidate &candidate, std::string_view sub) {
  if (capacity == 0) return exhausted(yy);
  std::uint32_t pending_skips = 0;  // not yet added to the counter's skip count
  std::uint32_t skipped = 0;
  int races = 0;
  for (;;) {
    ACID_ASSIGN_OR_RETURN(auto step, run(cmd_.counter_step(yy, capacity, pending_skips)));
    if (step.duplicate) {
      // The counter is at capacity (the filter missed and the upsert hit _id), or another
      // caller created the year's counter first.
      ACID_ASSIGN_OR_RETURN(auto counter, run(cmd_.read_counter(yy)));
      const auto next =
          counter.document ? Field::find(counter.document->get(), "next").as_int() : std::nullopt;
      if (next && *next >= static_cast<std::int64_t>(capacity)) {
        if (pending_skips > 0) {
          ACID_TRY(run(cmd_.add_skipped(yy, pending_skips)));
        }
        return exhausted(yy);
      }
      if (++races > kRaceRetries) return contention("claim_next_code");
      continue;
    }
    pending_skips = 0;
    const auto next =
        step.document ? Field::find(step.document->get(), "next").as_int() : std::nullopt;
    if (!next || *next < 1) return Error(Code::store, "the code counter returned no position");
    const auto position = static_cast<std::uint32_t>(*next - 1);
    const std::optional<std::string> code = candidate(position);
    if (!code) {
      ++pending_skips;
      ++skipped;
      continue;
    }
    ACID_ASSIGN_OR_RETURN(auto in_users, run(cmd_.code_in_users(*code)));
    if (in_users.document) {  // a legacy code
      ++pending_skips;
      ++skipped;
      continue;
    }
    ACID_ASSIGN_OR_RETURN(
        auto inserted, run(cmd_.insert_allocated_claim(*code, yy, position, sub, now_unix_ms())));
    if (inserted.duplicate) {
      if (inserted.duplicate->role != IndexRole::id) {
        return unexpected_duplicate(*inserted.duplicate);
      }
      ++pending_skips;  // claimed by insert_user for someone (a legacy code)
      ++skipped;
      continue;
    }
    if (pending_skips > 0) {
      ACID_TRY(run(cmd_.add_skipped(yy, pending_skips)));
    }
    return ClaimedCode{*code, position, skipped};
  }
}

Result<std::optional<ClaimedCode>> MongoStore::ensure_code(std::string_view sub,
                                                           UnixMillis code_time, UnixMillis when,
                                                           std::uint32_t capacity,
                                                           const CodeCandidates &candidates) {
  ACID_ASSIGN_OR_RETURN(auto current, run(cmd_.read_code_and_when(sub)));
  const bson_t *doc = current.document ? current.document->get() : nullptr;
  const Field code_field = Field::find(doc, "code");
  const bool has_when = !Field::find(doc, "when").absent();
  if (!code_field.absent()) {
    if (!code_field.as_string()) {
      return Error(Code::store, "the users document of " + std::string(sub) +
                                    " has a code that is not a string");
    }
    if (!has_when) {
      ACID_TRY(run(cmd_.set_when_if_missing(sub, when)));
    }
    return std::optional<ClaimedCode>();
  }
  const int yy = ((utc_year(code_time) % 100) + 100) % 100;
  ACID_ASSIGN_OR_RETURN(auto candidate, candidates(yy));
  ACID_ASSIGN_OR_RETURN(auto claimed, claim(yy, capacity, candidate, sub));
  ACID_ASSIGN_OR_RETURN(auto set, run(cmd_.set_code(sub, claimed.code, when)));
  if (set.duplicate) {
    if (set.duplicate->role == IndexRole::id) {
      // A concurrent delivery gave the user a code first; this claim stays reserved for the
      // same sub and is never handed out again.
      return std::optional<ClaimedCode>();
    }
    if (set.duplicate->role == IndexRole::code) return code_taken(claimed.code);
    return unexpected_duplicate(*set.duplicate);
  }
  if (!set.upserted && !has_when) {
    ACID_TRY(run(cmd_.set_when_if_missing(sub, when)));
  }
  return std::optional<ClaimedCode>(std::move(claimed));
}

Result<bool> MongoStore::log_transition(const EventFact &event, UnixMillis now) {
  const provision::AccountEvent e = provision::account_event(event.type);
  const std::vector<provision::DecisionGroup> groups = mongo::groups_to_apply(e);
  if (groups.empty()) return false;  // the event changes no state
  for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
    for (const provision::DecisionGroup &group : groups) {
      ACID_ASSIGN_OR_RETURN(auto owed, owed_by(group.decision, now, now, event.log_id));
      ACID_ASSIGN_OR_RETURN(auto r,
                            run(cmd_.transition(event.sub, group, owed ? &*owed : nullptr, now)));
      if (r.modified == 0) continue;
      ACID_TRY(settle_owed(event.sub));
      return group.decision.schedule.has_value();
    }
    // No update matched. With one group, the account sat in a cell whose decision writes
    // nothing; with more, it may have moved between the updates: look, and evaluate again.
    bool writes = false;
    if (groups.size() > 1) {
      ACID_ASSIGN_OR_RETURN(auto read, run(cmd_.read_state(event.sub)));
      if (!read.document) return Error(Code::internal, "account vanished during an event");
      ACID_ASSIGN_OR_RETURN(auto facts, mongo::read_facts(read.document->get()));
      const provision::AccountDecision d = provision::decide(e, facts);
      writes = d.new_state || d.schedule || d.drop_open_jobs;
    }
    if (!writes) {
      ACID_TRY(settle_owed(event.sub));  // finish what an interrupted delivery left
      return false;
    }
  }
  return contention(std::string("applying a ") + to_string(event.type) + " event");
}

Result<std::optional<Owed>> MongoStore::owed_by(const provision::AccountDecision &decision,
                                                UnixMillis due, UnixMillis at, std::string by) {
  ACID_ASSIGN_OR_RETURN(auto kind, mongo::owed_kind(decision));
  if (!kind) return std::optional<Owed>();
  return std::optional<Owed>(Owed{*kind, due, at, std::move(by)});
}

provision::DecisionGroup MongoStore::group_of(provision::AccountEvent event,
                                              const provision::AccountDecision &decision) {
  for (provision::DecisionGroup &g : mongo::groups_to_apply(event)) {
    if (g.decision.same_writes(decision)) return std::move(g);
  }
  return provision::DecisionGroup{};
}

Status MongoStore::settle_owed(std::string_view sub) {
  ACID_ASSIGN_OR_RETURN(auto read, run(cmd_.read_owed(sub)));
  if (!read.document) return Status::ok();
  ACID_ASSIGN_OR_RETURN(auto owed, mongo::read_owed(read.document->get()));
  if (!owed) return Status::ok();
  const Owed &o = *owed;
  if (o.kind == "delete_account" || o.kind == "cancel") {
    ACID_TRY(run(cmd_.drop_open_jobs_except_delete(sub)));
  }
  if (o.kind == "provision" || o.kind == "delete_account") {
    auto scheduled =
        schedule(sub, o.kind == "provision" ? JobKind::provision : JobKind::delete_account, o.due);
    if (!scheduled) return std::move(scheduled).error();
  }
  ACID_TRY(run(cmd_.clear_owed(sub, o)));
  return Status::ok();
}

Result<bool> MongoStore::schedule(std::string_view sub, JobKind kind, UnixMillis due) {
  for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
    ACID_ASSIGN_OR_RETURN(auto moved, run(cmd_.move_open_job_earlier(sub, kind, due)));
    if (moved.matched > 0) return false;
    ACID_ASSIGN_OR_RETURN(auto id, run(cmd_.next_job_id()));
    if (id.duplicate) continue;  // the sequence document was created concurrently
    const auto n = id.document ? Field::find(id.document->get(), "n").as_int() : std::nullopt;
    if (!n) return Error(Code::store, "the job id sequence returned no number");
    ACID_ASSIGN_OR_RETURN(auto inserted, run(cmd_.insert_job(*n, sub, kind, due, now_unix_ms())));
    if (!inserted.duplicate) return true;
    if (inserted.duplicate->role != IndexRole::open_job) {
      return unexpected_duplicate(*inserted.duplicate);
    }
    // Someone opened the same job meanwhile: move that one earlier instead.
  }
  return contention("schedule_job");
}

Status MongoStore::maybe_sweep() {
  const std::int64_t steady = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count();
  std::int64_t last = last_sweep_.load();
  if (last != 0 && steady - last < kSweepEveryMs) return Status::ok();
  if (!last_sweep_.compare_exchange_strong(last, steady)) return Status::ok();
  ACID_ASSIGN_OR_RETURN(auto stale,
                        run(cmd_.stale_owed(now_unix_ms() - kOwedGraceMs, kSweepBatch)));
  for (const Doc &d : stale.documents) {
    auto sub = Field::find(d.get(), "_id").as_string();
    if (!sub) continue;  // not a library-managed users document
    ACID_TRY(settle_owed(*sub));
  }
  return Status::ok();
}

}  // namespace acid::store::mongo
