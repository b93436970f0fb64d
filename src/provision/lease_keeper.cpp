#include "provision/lease_keeper.h"

#include <chrono>

#include "core/time.h"

namespace acid::provision {

LeaseKeeper::LeaseKeeper(store::JobStore &store, const store::Job &job, std::int64_t lease_ms)
    : store_(store), job_(job), lease_ms_(lease_ms), thread_([this] { loop(); }) {}

LeaseKeeper::~LeaseKeeper() {
  stop();
}

void LeaseKeeper::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<Error> LeaseKeeper::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

void LeaseKeeper::loop() {
  // A third of the lease: two renewals may be slow or fail transiently before it runs out.
  const auto period = std::chrono::milliseconds(std::max<std::int64_t>(lease_ms_ / 3, 1));
  std::unique_lock lock(mu_);
  for (;;) {
    if (wake_.wait_for(lock, period, [this] { return stopping_; })) return;
    lock.unlock();
    Status renewed = store_.renew_lease(job_, now_unix_ms(), lease_ms_);
    lock.lock();
    if (renewed) {
      ++renewals_;
      continue;
    }
    if (renewed.code() == Code::conflict) {
      // Lost for good: nothing more to renew; the job's outcome will be refused and counted.
      failure_ = std::move(renewed).error();
      return;
    }
    // A store hiccup: counted, and tried again next period (the lease may still hold, and the
    // job's final write is fenced by the token either way).
    ++renew_errors_;
  }
}

}  // namespace acid::provision
