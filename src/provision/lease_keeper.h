// Keeps a running job's lease alive: a provision run can outlast the lease (several PDS steps
// with 30 s timeouts each), and an expired lease lets a second worker start the same job.
// A thread renews the lease every third of its length while the job runs; the lease's fencing
// token makes a renewal after the lease was lost fail, which the keeper records.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

#include "core/status.h"
#include "store/job_store.h"

namespace acid::provision {

class LeaseKeeper {
 public:
  // Starts renewing `job`'s lease (lease_ms long) on `store`.
  LeaseKeeper(store::JobStore &store, const store::Job &job, std::int64_t lease_ms);
  ~LeaseKeeper();  // stops
  LeaseKeeper(const LeaseKeeper &) = delete;
  LeaseKeeper &operator=(const LeaseKeeper &) = delete;

  // Stops renewing (idempotent). After it, renewals() and the error are final.
  void stop();
  // Renewals that succeeded.
  int renewals() const { return renewals_.load(); }
  // Renewals the store failed to answer (tried again next period).
  int renew_errors() const { return renew_errors_.load(); }
  // Set when a renewal found the lease gone (Code::conflict): another worker holds the job.
  std::optional<Error> failure() const;

 private:
  void loop();

  store::JobStore &store_;
  const store::Job job_;
  const std::int64_t lease_ms_;
  std::atomic<int> renewals_{0};
  std::atomic<int> renew_errors_{0};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<Error> failure_;
  std::thread thread_;
};

}  // namespace acid::provision
