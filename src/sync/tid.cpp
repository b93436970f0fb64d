#include "sync/tid.h"

#include <chrono>

#include "core/random.h"

namespace acid::sync {

namespace {

constexpr std::string_view kAlphabet = "234567abcdefghijklmnopqrstuvwxyz";
constexpr std::uint64_t kMaxMicros = (std::uint64_t{1} << 53) - 1;

}  // namespace

std::string encode_tid(std::uint64_t micros, unsigned clock_id) {
  const std::uint64_t value = ((micros & kMaxMicros) << 10) | (clock_id & 0x3FFu);
  std::string out(13, '2');
  std::uint64_t v = value;
  for (int i = 12; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kAlphabet[v & 0x1F];
    v >>= 5;
  }
  return out;
}

bool is_tid(std::string_view text) {
  if (text.size() != 13) return false;
  for (char c : text) {
    if (kAlphabet.find(c) == std::string_view::npos) return false;
  }
  // The first character carries the top 4 bits of 64 (65 bits are written): the top bit is 0,
  // so it is one of the first 16 symbols.
  return kAlphabet.find(text[0]) < 16;
}

Result<TidClock> TidClock::create() {
  ACID_ASSIGN_OR_RETURN(auto id, random_below(1024));
  return TidClock(static_cast<unsigned>(id));
}

std::string TidClock::next() {
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::lock_guard lock(mu_);
  std::uint64_t us = now > 0 ? static_cast<std::uint64_t>(now) : 0;
  if (us <= last_us_) us = last_us_ + 1;
  last_us_ = us;
  return encode_tid(us, clock_id_);
}

}  // namespace acid::sync
