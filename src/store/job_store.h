// The job queue: one open job per (sub, kind), leases with fencing tokens.
#pragma once

#include "store/records.h"

namespace acid::store {

class JobStore {
 public:
  virtual ~JobStore() = default;

  // Schedules a job; at most one open job per (sub, kind): an existing one is moved earlier if
  // `due_at` is earlier. If that job is leased (running), it is marked to run once more: its
  // complete_job then gives it back instead of removing it, so a request made while the job ran
  // is never lost. Returns true when a new job was created.
  virtual Result<bool> schedule_job(std::string_view sub, JobKind kind, UnixMillis due_at) = 0;
  // Takes the open job due first (due_at <= now) whose lease is free or expired, for `owner`
  // until now + lease_ms, under a fresh fencing token (Job::lease_token). nullopt when nothing
  // is due. Several workers never hold one job.
  virtual Result<std::optional<Job>> lease_job(std::string_view owner, UnixMillis now,
                                               std::int64_t lease_ms) = 0;
  // The calls below act on the lease `job` came with: they succeed only while
  // job.lease_token is the job's current token. A holder whose lease expired and was taken
  // (even by another thread with the same `owner`) gets Code::conflict and changes nothing.
  // `owner` names the holder in errors.

  // Extends the lease to now + lease_ms (a running job's heartbeat).
  virtual Status renew_lease(const Job &job, UnixMillis now, std::int64_t lease_ms) = 0;
  // Finishes a leased job: removes it, or, if it was scheduled again while leased, releases it
  // to run once more.
  virtual Status complete_job(const Job &job, std::string_view owner) = 0;
  // Gives the job back with a new due time and the error that caused the retry.
  virtual Status reschedule_job(const Job &job, std::string_view owner, UnixMillis due_at,
                                std::string_view error_json) = 0;
  // Marks the job failed (kept, no longer leased or due). If it was scheduled again while
  // leased, the request is kept instead: the job stays open, due, with its attempts reset and
  // the error recorded, so it runs once more.
  virtual Status fail_job(const Job &job, std::string_view owner, std::string_view error_json) = 0;
  // Jobs of one sub (or all when empty), open and failed, oldest first.
  virtual Result<std::vector<Job>> list_jobs(std::string_view sub) = 0;
};

}  // namespace acid::store
