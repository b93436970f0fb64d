#include "net/clock.h"

#include <chrono>
#include <random>
#include <thread>

namespace acid::net {

Clock Clock::system() {
  Clock clock;
  clock.steady_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  clock.unix_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  clock.sleep_ms = [](std::int64_t ms) {
    if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  };
  // Jitter only spreads retries apart; it needs no cryptographic strength.
  clock.uniform = [](std::uint64_t bound) -> std::uint64_t {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_int_distribution<std::uint64_t>(0, bound)(engine);
  };
  return clock;
}

}  // namespace acid::net
