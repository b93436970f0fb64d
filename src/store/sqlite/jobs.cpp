// The embedded store: the job queue and its fenced leases.
#include "store/lease_token.h"
#include "store/sqlite/adapter.h"
#include "store/sqlite/sqlite_dead_letters.h"
#include "store/sqlite/sqlite_transitions.h"

namespace acid::store::sqlite {

Result<bool> SqliteStore::schedule_job(std::string_view sub, JobKind kind, UnixMillis due_at) {
  std::lock_guard lock(mu_);
  return in_transaction(conn_, [&] { return schedule_in_tx(sub, kind, due_at); });
}

Result<std::optional<Job>> SqliteStore::lease_job(std::string_view owner, UnixMillis now,
                                                  std::int64_t lease_ms) {
  if (owner.empty()) return Error(Code::invalid, "a lease needs an owner");
  ACID_ASSIGN_OR_RETURN(std::string token, new_lease_token());
  std::lock_guard lock(mu_);
  return in_transaction(conn_, [&]() -> Result<std::optional<Job>> {
    ACID_ASSIGN_OR_RETURN(
        auto pick,
        conn_.query(std::string(kJobColumns) + " WHERE status = 'open' AND due_ms <= ?1 AND "
                                               "(lease_until_ms IS NULL OR lease_until_ms <= ?1) "
                                               "ORDER BY due_ms, id LIMIT 1",
                    now));
    ACID_ASSIGN_OR_RETURN(const bool found, pick.step());
    if (!found) return std::optional<Job>();
    ACID_ASSIGN_OR_RETURN(Job job, read_job(pick));
    ACID_TRY(
        conn_.run("UPDATE jobs SET lease_owner = ?2, lease_until_ms = ?3, lease_token = ?4 "
                  "WHERE id = ?1",
                  job.id, owner, now + lease_ms, token));
    job.lease_owner = std::string(owner);
    job.lease_token = std::move(token);
    job.lease_until = now + lease_ms;
    return std::optional<Job>(std::move(job));
  });
}

Status SqliteStore::renew_lease(const Job &job, UnixMillis now, std::int64_t lease_ms) {
  std::lock_guard lock(mu_);
  ACID_TRY(
      conn_.run("UPDATE jobs SET lease_until_ms = ?3 WHERE id = ?1 AND lease_token = ?2 "
                "AND status = 'open'",
                job.id, job.lease_token, now + lease_ms));
  return require_lease(job, job.lease_owner);
}

Status SqliteStore::complete_job(const Job &job, std::string_view owner) {
  std::lock_guard lock(mu_);
  ACID_ASSIGN_OR_RETURN(
      const int deleted,
      conn_.run_counting_changes("DELETE FROM jobs WHERE id = ?1 AND lease_token = ?2 AND "
                                 "due_ms = ?3",
                                 job.id, job.lease_token, job.due_at));
  if (deleted > 0) return Status::ok();
  // Asked for again while it ran (see schedule_in_tx): give it back so it runs once more.
  return release_lease(job, owner);
}

Status SqliteStore::reschedule_job(const Job &job, std::string_view owner, UnixMillis due_at,
                                   std::string_view error_json) {
  std::lock_guard lock(mu_);
  ACID_TRY(
      conn_.run("UPDATE jobs SET due_ms = ?3, attempts = attempts + 1, last_error = ?4, "
                "lease_owner = NULL, lease_until_ms = NULL, lease_token = NULL "
                "WHERE id = ?1 AND lease_token = ?2",
                job.id, job.lease_token, due_at, error_json));
  return require_lease(job, owner);
}

Status SqliteStore::fail_job(const Job &job, std::string_view owner, std::string_view error_json) {
  std::lock_guard lock(mu_);
  // Asked for again while it ran (its due time moved, see schedule_in_tx): the request is
  // kept, as complete_job keeps it: open, due, a fresh count of attempts, the error noted.
  ACID_TRY(
      conn_.run("UPDATE jobs SET status = CASE WHEN due_ms = ?3 THEN 'failed' ELSE 'open' "
                "END, attempts = CASE WHEN due_ms = ?3 THEN attempts + 1 ELSE 0 END, "
                "last_error = ?4, lease_owner = NULL, lease_until_ms = NULL, "
                "lease_token = NULL WHERE id = ?1 AND lease_token = ?2",
                job.id, job.lease_token, job.due_at, error_json));
  return require_lease(job, owner);
}

Status SqliteStore::release_job(const Job &job, std::string_view owner) {
  std::lock_guard lock(mu_);
  return release_lease(job, owner);
}

Status SqliteStore::release_lease(const Job &job, std::string_view owner) {
  ACID_TRY(
      conn_.run("UPDATE jobs SET lease_owner = NULL, lease_until_ms = NULL, "
                "lease_token = NULL WHERE id = ?1 AND lease_token = ?2",
                job.id, job.lease_token));
  return require_lease(job, owner);
}

Result<std::vector<Job>> SqliteStore::list_jobs(std::string_view sub) {
  std::lock_guard lock(mu_);
  ACID_ASSIGN_OR_RETURN(
      auto stmt,
      conn_.query(std::string(kJobColumns) + " WHERE ?1 = '' OR sub = ?1 ORDER BY id", sub));
  std::vector<Job> out;
  ACID_TRY(stmt.for_each_row([&](const Statement &row) -> Status {
    ACID_ASSIGN_OR_RETURN(Job job, read_job(row));
    out.push_back(std::move(job));
    return Status::ok();
  }));
  return out;
}

}  // namespace acid::store::sqlite
