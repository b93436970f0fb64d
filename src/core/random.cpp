#include "core/random.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <limits>

namespace acid {

Status random_bytes(std::span<std::uint8_t> out) {
  // RAND_bytes takes an int length; draw in chunks so any span size works.
  constexpr std::size_t kChunk = 1 << 20;
  for (std::size_t offset = 0; offset < out.size(); offset += kChunk) {
    const std::size_t n = std::min(kChunk, out.size() - offset);
    if (RAND_bytes(out.data() + offset, static_cast<int>(n)) != 1) {
      const unsigned long err = ERR_get_error();
      char text[256] = {0};
      ERR_error_string_n(err, text, sizeof text);
      return Error(Code::internal, std::string("CSPRNG failure: ") + text);
    }
  }
  return Status::ok();
}

Result<std::uint64_t> random_below(std::uint64_t bound) {
  if (bound == 0) return Error(Code::invalid, "random_below: bound must be positive");
  // Largest multiple of bound that fits; values at or above it are redrawn.
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t limit = max - (max % bound);
  for (;;) {
    std::uint64_t v = 0;
    ACID_TRY(random_bytes({reinterpret_cast<std::uint8_t *>(&v), sizeof v}));
    if (v < limit) return v % bound;
  }
}

Result<std::string> random_string(std::size_t length, std::string_view alphabet) {
  if (alphabet.empty()) return Error(Code::invalid, "random_string: empty alphabet");
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    auto index = random_below(alphabet.size());
    if (!index) return std::move(index).error();
    out.push_back(alphabet[*index]);
  }
  return out;
}

}  // namespace acid
