// The MongoDB adapter: the job queue and its fenced leases.
#include "core/json.h"
#include "store/lease_token.h"
#include "store/mongo/adapter.h"

namespace acid::store::mongo {

Result<std::optional<Job>> MongoStore::lease_job(std::string_view owner, UnixMillis now,
                                                 std::int64_t lease_ms) {
  if (owner.empty()) return Error(Code::invalid, "a lease needs an owner");
  ACID_TRY(maybe_sweep());
  ACID_ASSIGN_OR_RETURN(auto token, new_lease_token());
  ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.lease_job(owner, token, now, lease_ms)));
  if (!r.document) return std::optional<Job>();
  ACID_ASSIGN_OR_RETURN(auto job, mongo::read_job(r.document->get()));
  return std::optional<Job>(std::move(job));
}

Status MongoStore::renew_lease(const Job &job, UnixMillis now, std::int64_t lease_ms) {
  ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.renew_lease(job.id, job.lease_token, now + lease_ms)));
  if (r.matched == 0) return lease_lost(job.id, job.lease_owner);
  return Status::ok();
}

Status MongoStore::complete_job(const Job &job, std::string_view owner) {
  ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.complete_job(job.id, job.lease_token)));
  if (r.deleted > 0) return Status::ok();
  // Asked for again while it ran (or the lease is gone): run it once more if still ours.
  ACID_ASSIGN_OR_RETURN(auto again, run(cmd_.requeue_job(job.id, job.lease_token)));
  if (again.matched == 0) return lease_lost(job.id, owner);
  return Status::ok();
}

Status MongoStore::reschedule_job(const Job &job, std::string_view owner, UnixMillis due_at,
                                  std::string_view error_json) {
  ACID_ASSIGN_OR_RETURN(auto r,
                        run(cmd_.reschedule_job(job.id, job.lease_token, due_at, error_json)));
  if (r.matched == 0) return lease_lost(job.id, owner);
  return Status::ok();
}

Status MongoStore::fail_job(const Job &job, std::string_view owner, std::string_view error_json) {
  ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.fail_job(job.id, job.lease_token, error_json)));
  if (r.matched > 0) return Status::ok();
  // Asked for again while it ran (or the lease is gone): keep the request if still ours.
  ACID_ASSIGN_OR_RETURN(auto again,
                        run(cmd_.fail_job_keep_rerun(job.id, job.lease_token, error_json)));
  if (again.matched == 0) return lease_lost(job.id, owner);
  return Status::ok();
}

Status MongoStore::release_job(const Job &job, std::string_view owner) {
  ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.release_job(job.id, job.lease_token)));
  if (r.matched == 0) return lease_lost(job.id, owner);
  return Status::ok();
}

Result<std::vector<Job>> MongoStore::list_jobs(std::string_view sub) {
  ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.list_jobs(sub)));
  std::vector<Job> out;
  for (const Doc &d : r.documents) {
    ACID_ASSIGN_OR_RETURN(auto job, mongo::read_job(d.get()));
    out.push_back(std::move(job));
  }
  return out;
}

}  // namespace acid::store::mongo
