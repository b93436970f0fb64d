// The passage of time as the library's HTTP clients see it (the PDS client's retries, the Auth0
// Management client's token expiry and backoff), injectable so tests run instantly.
#pragma once

#include <cstdint>
#include <functional>

namespace acid::net {

struct Clock {
  std::function<std::int64_t()> steady_ms;  // monotonic milliseconds
  // Wall clock, for rate-limit resets given as epoch seconds (RateLimit-Reset, x-ratelimit-reset).
  std::function<std::int64_t()> unix_ms;
  std::function<void(std::int64_t)> sleep_ms;  // waits that long
  // Uniform in [0, bound] (inclusive): the backoff jitter.
  std::function<std::uint64_t(std::uint64_t)> uniform;

  static Clock system();
};

}  // namespace acid::net
