// The backfill: audit, one action per (user, action), and with --fix the actions applied as the
// live system would: Auth0-shaped facts through Store::apply_event (log ids "backfill:<type>:<sub>"
// so a re-run is a no-op), jobs through Store::schedule_job (one open job per user and kind), and
// the jobs run by Engine::run_jobs (the provisioner's crash-safe createAccount, delete). It never
// rewrites a stored password: sealing is `acidentity credentials seal`, on purpose only.
// Interrupting it at any point and re-running converges: the plan is recomputed from what is
// stored, and nothing it writes can be written twice.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "audit/audit.h"
#include "code/user_code.h"
#include "core/json.h"
#include "core/time.h"

namespace acid::audit {

namespace {

// The order a plan applies its actions in: records first (a signup before anything that needs
// the account), then jobs, deletions last; manual ones (nothing to apply) at the end.
constexpr Action kApplyOrder[] = {
    Action::record_signup,      Action::retry_failed,
    Action::reprovision,        Action::record_verification,
    Action::schedule_provision, Action::resync_handle,
    Action::record_deletion,    Action::schedule_delete,
    Action::delete_orphan,      Action::manual,
};
// Every action has its place: delete_orphan is the last enumerator of Action.
static_assert(std::size(kApplyOrder) == static_cast<std::size_t>(Action::delete_orphan) + 1);

std::size_t order_of(Action a) {
  return static_cast<std::size_t>(std::find(std::begin(kApplyOrder), std::end(kApplyOrder), a) -
                                  std::begin(kApplyOrder));
}

std::vector<PlannedAction> plan(const Report &report) {
  std::map<std::pair<std::string, int>, PlannedAction> by_key;
  for (const Finding &f : report.findings) {
    const std::string key = f.sub.empty() ? f.did.value_or("") : f.sub;
    auto [it, fresh] = by_key.try_emplace({key, static_cast<int>(f.action)});
    PlannedAction &p = it->second;
    if (fresh) {
      p.action = f.action;
      p.sub = f.sub;
      p.did = f.did;
      p.evidence = f.evidence;
    }
    p.kinds.push_back(f.kind);
  }
  std::vector<PlannedAction> out;
  out.reserve(by_key.size());
  for (auto &[k, p] : by_key) out.push_back(std::move(p));
  std::stable_sort(out.begin(), out.end(), [](const PlannedAction &a, const PlannedAction &b) {
    if (order_of(a.action) != order_of(b.action)) return order_of(a.action) < order_of(b.action);
    return a.sub < b.sub;
  });
  return out;
}

std::string error_text(const Error &e) {
  return std::string(code_name(e.code)) + ": " + e.message;
}

class Backfill {
 public:
  Backfill(const BackfillParts &parts, const BackfillOptions &options, const ProgressSink &progress)
      : parts_(parts),
        options_(options),
        progress_(progress),
        start_(std::chrono::steady_clock::now()) {}

  Result<BackfillReport> run() {
    emit("audit", 0, 1, 0);
    ACID_ASSIGN_OR_RETURN(Report before, run_audit(parts_.audit, options_.audit));
    actions_ = plan(before);
    for (PlannedAction &p : actions_) {
      if (p.action == Action::manual) p.status = "skipped";
      if (p.action == Action::delete_orphan && !options_.delete_orphans) {
        p.status = "skipped";
        p.error = "orphans are deleted only with --delete-orphans";
      }
    }
    if (!options_.fix) return report(std::move(before), std::nullopt, true);

    // Apply: facts and jobs (store only, except orphan deletion on the PDS).
    std::uint64_t done = 0, failed = 0, total = 0;
    for (const PlannedAction &p : actions_) total += p.status == "planned" ? 1 : 0;
    for (PlannedAction &p : actions_) {
      if (p.status != "planned") continue;
      Status st = apply(p);
      if (st) {
        p.status = "applied";
      } else {
        p.status = "failed";
        p.error = error_text(st.error());
        ++failed;
        parts_.log("backfill.action_failed", p.sub, json::object([&](json::Writer &w) {
                     json::member(w, "action", to_string(p.action));
                     json::member(w, "error", p.error);
                   }));
      }
      emit("apply", ++done, total, failed);
    }

    ACID_TRY(run_jobs());

    emit("verify", 0, 1, 0);
    ACID_ASSIGN_OR_RETURN(Report after, run_audit(parts_.audit, options_.audit));
    settle(after);
    emit("done", 1, 1, 0);
    return report(std::move(before), std::move(after), false);
  }

 private:
  void emit(const char *phase, std::uint64_t done, std::uint64_t total, std::uint64_t failed) {
    if (!progress_) return;
    Progress p;
    p.phase = phase;
    p.done = done;
    p.total = total;
    p.failed = failed;
    p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    progress_(p);
  }

  // The signup instant (names the code's year) and email: Auth0 when its M2M client is set, else
  // what the store knows, else now.
  void signup_facts(const std::string &sub, UnixMillis &date, std::optional<std::string> &email) {
    date = now_unix_ms();
    auto user = parts_.audit.auth0_user(sub);
    if (user) {
      if (user->created_at) date = *user->created_at;
      email = user->email;
      return;
    }
    auto a = parts_.accounts.get_account(sub);
    if (!a) return;
    if (a->when) {
      date = *a->when;
    } else if (a->signed_up_at) {
      date = *a->signed_up_at;
    } else if (a->verified_at) {
      date = *a->verified_at;
    }
    email = a->email;
  }

  Status apply_fact(store::EventType type, const std::string &sub, UnixMillis date,
                    UnixMillis code_time, std::optional<std::string> email) {
    const char *name = type == store::EventType::signup     ? "signup"
                       : type == store::EventType::verified ? "verified"
                                                            : "deleted";
    store::EventFact fact{
        std::string("backfill:") + name + ":" + sub, type, sub, date, std::move(email), code_time};
    ACID_ASSIGN_OR_RETURN(
        const store::ApplyOutcome outcome,
        parts_.accounts.apply_event(fact, code::kCodesPerYear,
                                    [this](int yy) -> Result<store::CodeCandidate> {
                                      return parts_.allocator.candidates(yy);
                                    }));
    parts_.log("backfill.fact", sub, json::object([&](json::Writer &w) {
                 json::member(w, "type", name);
                 json::member(w, "duplicate", outcome.duplicate);
               }));
    return Status::ok();
  }

  Status apply(const PlannedAction &p) {
    store::AccountStore &accounts = parts_.accounts;
    store::JobStore &jobs = parts_.audit.jobs;
    const UnixMillis now = now_unix_ms();
    switch (p.action) {
      case Action::manual:
        return Status::ok();
      case Action::record_signup: {
        UnixMillis date = 0;
        std::optional<std::string> email;
        signup_facts(p.sub, date, email);
        return apply_fact(store::EventType::signup, p.sub, date, date, std::move(email));
      }
      case Action::record_verification: {
        UnixMillis date = 0;
        std::optional<std::string> email;
        signup_facts(p.sub, date, email);
        return apply_fact(store::EventType::verified, p.sub, now, date, std::move(email));
      }
      case Action::schedule_provision:
        return jobs.schedule_job(p.sub, store::JobKind::provision, now).status();
      case Action::resync_handle: {
        // The update_handle job compares the wanted handle with the store's record of the PDS
        // handle, so that record is first set to what the PDS really has.
        ACID_ASSIGN_OR_RETURN(const store::Account a, accounts.get_account(p.sub));
        if (!a.did) return Error(Code::conflict, p.sub + " has no DID any more");
        ACID_ASSIGN_OR_RETURN(pds::XrpcClient * client, parts_.audit.pds());
        ACID_ASSIGN_OR_RETURN(const auto info, client->get_account_info(*a.did));
        ACID_TRY(accounts.set_pds_handle(p.sub, info.handle, format_iso8601(now)));
        return jobs.schedule_job(p.sub, store::JobKind::update_handle, now).status();
      }
      case Action::schedule_delete:
        return jobs.schedule_job(p.sub, store::JobKind::delete_account, now).status();
      case Action::record_deletion:
        return apply_fact(store::EventType::deleted, p.sub, now, now, std::nullopt);
      case Action::retry_failed: {
        Status st = parts_.retry_user(p.sub);
        if (!st && st.code() == Code::conflict) return Status::ok();  // no longer failed
        return st;
      }
      case Action::reprovision: {
        // Only while the store still holds the DID the audit found missing (or none at all).
        ACID_ASSIGN_OR_RETURN(const store::Account a, accounts.get_account(p.sub));
        if (a.did && p.did && *a.did != *p.did) return Status::ok();  // changed since
        if (a.did) ACID_TRY(accounts.mark_account_deleted(p.sub));
        const std::string why = json::object([](json::Writer &w) {
          json::member(w, "code", "not_found");
          json::member(w, "message", "the stored PDS account is gone (audit)");
        });
        ACID_TRY(accounts.record_attempt_failure(p.sub, a.attempts, why, true));
        return parts_.retry_user(p.sub);
      }
      case Action::delete_orphan: {
        ACID_ASSIGN_OR_RETURN(pds::XrpcClient * client, parts_.audit.pds());
        if (!p.did) return Error(Code::internal, "orphan without a DID");
        // The audit left out DIDs any stored user or in-flight intent references.
        parts_.log("backfill.delete_orphan", "",
                   json::object([&](json::Writer &w) { json::member(w, "did", *p.did); }));
        return client->delete_account(*p.did);
      }
    }
    return Status::ok();
  }

  // Runs due jobs with `concurrency` workers until none is due within a few seconds (short
  // retries are waited for) or the budget is spent.
  Status run_jobs() {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.budget_ms);
    auto open_due_within = [&](std::int64_t ms, std::uint64_t &count) -> Result<bool> {
      ACID_ASSIGN_OR_RETURN(const std::vector<store::Job> jobs, parts_.audit.jobs.list_jobs(""));
      count = 0;
      bool any = false;
      const UnixMillis horizon = now_unix_ms() + ms;
      for (const store::Job &j : jobs) {
        if (j.failed) continue;
        ++count;
        any = any || j.due_at <= horizon;
      }
      return any;
    };
    std::uint64_t total = 0;
    ACID_TRY(open_due_within(0, total));
    std::atomic<std::uint64_t> ran{0}, failed{0};
    std::mutex mu;
    std::optional<Error> fatal;
    auto fail = [&](Error e) {
      std::lock_guard lock(mu);
      if (!fatal) fatal = std::move(e);
    };
    // One worker: runs one due job at a time until nothing is due or the budget is spent.
    auto work = [&] {
      for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0) return;
        auto summary = parts_.run_jobs(std::min<std::int64_t>(left, 60'000), 1);
        if (!summary) return fail(std::move(summary).error());
        if (summary->ran == 0) return;
        ran += static_cast<std::uint64_t>(summary->ran);
        failed += static_cast<std::uint64_t>(summary->failed);
        emit("jobs", ran.load(), std::max(total, ran.load()), failed.load());
      }
    };
    for (;;) {
      std::vector<std::thread> workers;
      const int n = std::max(1, options_.concurrency);
      workers.reserve(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) {
        workers.emplace_back([&] {
          try {
            work();
          } catch (const std::exception &e) {
            // Out of memory on a worker thread: the backfill's failure, never lost.
            fail(Error(Code::no_memory, std::string("job worker: ") + e.what()));
          }
        });
      }
      for (auto &w : workers) w.join();
      if (fatal) return std::move(*fatal).context("running jobs");
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::uint64_t open = 0;
      ACID_ASSIGN_OR_RETURN(const bool soon, open_due_within(5'000, open));
      if (!soon) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    jobs_ran_ = ran.load();
    jobs_failed_ = failed.load();
    return Status::ok();
  }

  // An applied action is fixed when no finding it answered remains for its user.
  void settle(const Report &after) {
    std::set<std::pair<std::string, int>> remaining;
    std::map<std::string, std::string> evidence;
    for (const Finding &f : after.findings) {
      const std::string key = f.sub.empty() ? f.did.value_or("") : f.sub;
      remaining.insert({key, static_cast<int>(f.kind)});
      evidence[key + '\n' + to_string(f.kind)] = f.evidence;
    }
    for (PlannedAction &p : actions_) {
      if (p.status != "applied") continue;
      const std::string key = p.sub.empty() ? p.did.value_or("") : p.sub;
      std::string left;
      for (Kind k : p.kinds) {
        if (remaining.contains({key, static_cast<int>(k)})) {
          left = std::string(to_string(k)) + " remains: " + evidence[key + '\n' + to_string(k)];
          break;
        }
      }
      if (left.empty()) {
        p.status = "fixed";
        continue;
      }
      p.status = "failed";
      p.error = left;
      if (!p.sub.empty()) {
        auto a = parts_.accounts.get_account(p.sub);
        if (a && !a->last_error.empty()) p.error += "; last error: " + a->last_error;
        if (a && (a->state == store::AccountState::pending ||
                  a->state == store::AccountState::creating)) {
          p.error += " (a job is still open: re-run to resume)";
        }
      }
    }
  }

  BackfillReport report(Report before, std::optional<Report> after, bool dry_run) const {
    return BackfillReport{
        dry_run,
        std::move(before),
        actions_,
        jobs_ran_,
        jobs_failed_,
        std::move(after),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count()};
  }

  const BackfillParts &parts_;
  const BackfillOptions &options_;
  const ProgressSink &progress_;
  std::chrono::steady_clock::time_point start_;
  std::vector<PlannedAction> actions_;
  std::uint64_t jobs_ran_ = 0;
  std::uint64_t jobs_failed_ = 0;
};

}  // namespace

Result<BackfillReport> run_backfill(const BackfillParts &parts, const BackfillOptions &options,
                                    const ProgressSink &progress) {
  ACID_TRY(validate(options));
  Backfill backfill(parts, options, progress);
  return backfill.run();
}

}  // namespace acid::audit
