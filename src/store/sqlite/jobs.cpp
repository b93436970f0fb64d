// The embedded store: the job queue and its fenced leases.
#include "store/lease_token.h"
#include "store/sqlite/adapter.h"
#include "store/sqlite/sqlite_dead_letters.h"
#include "store/sqlite/sqlite_transitions.h"

namespace acid::store::sqlite {

Result<bool> SqliteStore::schedule_job(std::string_view sub, JobKind kind, UnixMillis due_at) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto created = schedule_in_tx(sub, kind, due_at);
  if (!created) return std::move(created).error();
  ACID_TRY(tx->commit());
  return *created;
}

Result<std::optional<Job>> SqliteStore::lease_job(std::string_view owner, UnixMillis now,
                                                  std::int64_t lease_ms) {
  if (owner.empty()) return Error(Code::invalid, "a lease needs an owner");
  auto token = new_lease_token();
  if (!token) return std::move(token).error();
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(conn_);
  if (!tx) return std::move(tx).error();
  auto pick = conn_.cached(std::string(kJobColumns) +
                           " WHERE status = 'open' AND due_ms <= ?1 AND "
                           "(lease_until_ms IS NULL OR lease_until_ms <= ?1) "
                           "ORDER BY due_ms, id LIMIT 1");
  if (!pick) return std::move(pick).error();
  pick->bind(1, now);
  auto row = pick->step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<Job>();
  auto job = read_job(*pick);
  if (!job) return std::move(job).error();
  auto take = conn_.cached(
      "UPDATE jobs SET lease_owner = ?2, lease_until_ms = ?3, lease_token = ?4 WHERE id = ?1");
  if (!take) return std::move(take).error();
  ACID_TRY(take->bind(1, job->id).bind(2, owner).bind(3, now + lease_ms).bind(4, *token).run());
  ACID_TRY(tx->commit());
  job->lease_owner = std::string(owner);
  job->lease_token = std::move(*token);
  job->lease_until = now + lease_ms;
  return std::optional<Job>(std::move(*job));
}

Status SqliteStore::renew_lease(const Job &job, UnixMillis now, std::int64_t lease_ms) {
  std::lock_guard lock(mu_);
  auto stmt = conn_.cached(
      "UPDATE jobs SET lease_until_ms = ?3 WHERE id = ?1 AND lease_token = ?2 "
      "AND status = 'open'");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(stmt->bind(1, job.id).bind(2, job.lease_token).bind(3, now + lease_ms).run());
  return require_lease(job, job.lease_owner);
}

Status SqliteStore::complete_job(const Job &job, std::string_view owner) {
  std::lock_guard lock(mu_);
  auto stmt = conn_.cached("DELETE FROM jobs WHERE id = ?1 AND lease_token = ?2 AND due_ms = ?3");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(stmt->bind(1, job.id).bind(2, job.lease_token).bind(3, job.due_at).run());
  if (sqlite3_changes(conn_.raw()) > 0) return Status::ok();
  // Asked for again while it ran (see schedule_in_tx): give it back so it runs once more.
  auto requeue = conn_.cached(
      "UPDATE jobs SET lease_owner = NULL, lease_until_ms = NULL, lease_token = NULL "
      "WHERE id = ?1 AND lease_token = ?2");
  if (!requeue) return std::move(requeue).error();
  ACID_TRY(requeue->bind(1, job.id).bind(2, job.lease_token).run());
  return require_lease(job, owner);
}

Status SqliteStore::reschedule_job(const Job &job, std::string_view owner, UnixMillis due_at,
                                   std::string_view error_json) {
  std::lock_guard lock(mu_);
  auto stmt = conn_.cached(
      "UPDATE jobs SET due_ms = ?3, attempts = attempts + 1, last_error = ?4, "
      "lease_owner = NULL, lease_until_ms = NULL, lease_token = NULL "
      "WHERE id = ?1 AND lease_token = ?2");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(
      stmt->bind(1, job.id).bind(2, job.lease_token).bind(3, due_at).bind(4, error_json).run());
  return require_lease(job, owner);
}

Status SqliteStore::fail_job(const Job &job, std::string_view owner, std::string_view error_json) {
  std::lock_guard lock(mu_);
  // Asked for again while it ran (its due time moved, see schedule_in_tx): the request is
  // kept, as complete_job keeps it: open, due, a fresh count of attempts, the error noted.
  auto stmt = conn_.cached(
      "UPDATE jobs SET status = CASE WHEN due_ms = ?3 THEN 'failed' ELSE 'open' END, "
      "attempts = CASE WHEN due_ms = ?3 THEN attempts + 1 ELSE 0 END, last_error = ?4, "
      "lease_owner = NULL, lease_until_ms = NULL, lease_token = NULL "
      "WHERE id = ?1 AND lease_token = ?2");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(
      stmt->bind(1, job.id).bind(2, job.lease_token).bind(3, job.due_at).bind(4, error_json).run());
  return require_lease(job, owner);
}

Status SqliteStore::release_job(const Job &job, std::string_view owner) {
  std::lock_guard lock(mu_);
  auto stmt = conn_.cached(
      "UPDATE jobs SET lease_owner = NULL, lease_until_ms = NULL, lease_token = NULL "
      "WHERE id = ?1 AND lease_token = ?2");
  if (!stmt) return std::move(stmt).error();
  ACID_TRY(stmt->bind(1, job.id).bind(2, job.lease_token).run());
  return require_lease(job, owner);
}

Result<std::vector<Job>> SqliteStore::list_jobs(std::string_view sub) {
  std::lock_guard lock(mu_);
  auto stmt = conn_.cached(std::string(kJobColumns) + " WHERE ?1 = '' OR sub = ?1 ORDER BY id");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, sub);
  std::vector<Job> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    auto job = read_job(*stmt);
    if (!job) return std::move(job).error();
    out.push_back(std::move(*job));
  }
  return out;
}

}  // namespace acid::store::sqlite
