// A keyed pseudorandom permutation of one year's code indices [0, kCodesPerYear).
//
// Allocation feeds a per-year counter (0, 1, 2, ...) through forward() and formats the result,
// so codes look random yet never repeat. Codes are permanent, so this algorithm is frozen:
// any change must bump kPermutationVersion and be a new, explicitly selected algorithm. Golden
// vectors in tests/code pin version 1.
//
// Version 1, exactly:
//   * Domain Z_m x Z_m with m = 332 (332^2 = 110,224 >= 109,744); x = L * m + R.
//   * kRounds = 10 rounds of a numeric Feistel network; round r (0-based) maps
//       (L, R) -> (R, (L + F(r, R)) mod m)
//     and the result after the last round is L * m + R. The inverse runs the rounds backwards:
//       (L, R) -> ((R - F(r, L)) mod m, L).
//   * F(r, h) = first 8 bytes (big-endian) of HMAC-SHA-256(key, msg) mod m, where msg is the
//     30 ASCII bytes "acidentity.code.permutation.v1", then one byte yy (the tweak: two-digit
//     year, 0..99), one byte r, and h as two bytes big-endian (34 bytes in all).
//   * Cycle-walking: forward(x) applies the network until the value is < kCodesPerYear (the
//     network permutes the superset, so this is a bijection of the domain); inverse likewise.
// F is precomputed for every (round, half) when the permutation is created (kRounds * m HMACs),
// so forward()/inverse() are table lookups. The key itself is not retained.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "code/user_code.h"
#include "core/status.h"

namespace acid::code {

inline constexpr int kPermutationVersion = 1;

class CodePermutation {
 public:
  static constexpr std::uint32_t kHalf = 332;
  static constexpr int kRounds = 10;
  static constexpr std::size_t kKeySize = 32;
  static_assert(kHalf * kHalf >= kCodesPerYear && (kHalf - 1) * (kHalf - 1) < kCodesPerYear);

  // Code::invalid if yy is not in [0, 100); Code::internal if OpenSSL's HMAC fails.
  static Result<CodePermutation> create(std::span<const std::uint8_t, kKeySize> key, int yy);

  // The index for the counter-th code of the year.
  // Precondition: counter < kCodesPerYear (asserted in debug builds; if violated in a release
  // build the result is kCodesPerYear, which is never a valid index).
  std::uint32_t forward(std::uint32_t counter) const;

  // The counter whose forward() is index. Same precondition and release behaviour as forward().
  std::uint32_t inverse(std::uint32_t index) const;

  int year() const noexcept { return yy_; }

 private:
  CodePermutation() = default;

  std::uint32_t network_forward(std::uint32_t x) const;
  std::uint32_t network_inverse(std::uint32_t x) const;

  int yy_ = 0;
  std::array<std::array<std::uint16_t, kHalf>, kRounds> round_table_{};
};

}  // namespace acid::code
