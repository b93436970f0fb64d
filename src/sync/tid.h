// Record keys in the TID format (atproto "Timestamp Identifier"): 64 bits, the top bit 0, then 53
// bits of microseconds since the Unix epoch and 10 bits of clock id, written as 13 characters of
// base32-sortable ("234567abcdefghijklmnopqrstuvwxyz"), so keys sort by time as strings.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "core/status.h"

namespace acid::sync {

// The 13-character form of (micros, clock_id); clock_id is 0..1023.
std::string encode_tid(std::uint64_t micros, unsigned clock_id);
// Whether `text` is a well-formed TID (13 characters, alphabet, top bit 0).
bool is_tid(std::string_view text);

// Hands out strictly increasing TIDs for one process: the clock id is drawn at random once, and
// a timestamp never repeats or goes back (a clock step back reuses last + 1 microsecond).
class TidClock {
 public:
  static Result<TidClock> create();
  TidClock(TidClock &&other) noexcept : last_us_(other.last_us_), clock_id_(other.clock_id_) {}
  std::string next();
  unsigned clock_id() const { return clock_id_; }

 private:
  explicit TidClock(unsigned clock_id) : clock_id_(clock_id) {}
  std::mutex mu_;
  std::uint64_t last_us_ = 0;
  unsigned clock_id_ = 0;
};

}  // namespace acid::sync
