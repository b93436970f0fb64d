// Collision-free user-code allocation: the year's counter (atomic in the store) goes through a
// keyed permutation of the year's 109,744 codes, so codes look random yet never repeat, and each
// allocation is one store round trip. The permutation key is made once and kept in the store.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "code/permutation.h"
#include "core/status.h"
#include "store/code_store.h"

namespace acid::code {

struct YearStats {
  int yy = 0;                   // two-digit year of the codes (the code's namespace)
  std::uint64_t allocated = 0;  // handed out by this allocator
  std::uint64_t legacy = 0;     // taken by earlier random allocations (in the domain)
  std::uint64_t blocked = 0;    // blocklisted suffixes, never handed out
  std::uint64_t remaining = 0;  // codes still available
  std::uint32_t counter = 0;    // counter positions consumed
  std::uint32_t skipped = 0;    // positions skipped (legacy-taken or blocklisted)
};

class CodeAllocator {
 public:
  // Loads the permutation key from the store, creating it (CSPRNG) on first use.
  static Result<std::unique_ptr<CodeAllocator>> create(store::CodeStore &store);

  // Allocates the next code of `utc_year` (optionally recorded against `sub`).
  // Code::exhausted, naming the year, when no code is left.
  Result<store::ClaimedCode> allocate(int utc_year, std::string_view sub = {});

  // The candidate function of a two-digit year: counter position -> code, nullopt for a
  // blocklisted code. Handed to the store, which walks it inside its atomic step.
  Result<store::CodeCandidate> candidates(int yy);

  // Statistics for one two-digit year, or every year the store has seen.
  Result<std::vector<YearStats>> stats(std::optional<int> yy);

  // Number of blocklisted suffixes among the generator's codes (the same for every year).
  static std::uint64_t blocked_per_year();

 private:
  CodeAllocator(store::CodeStore &store, std::array<std::uint8_t, 32> key)
      : store_(store), key_(key) {}
  Result<const CodePermutation *> permutation(int yy);

  store::CodeStore &store_;
  std::array<std::uint8_t, 32> key_;
  std::mutex mu_;
  std::map<int, CodePermutation> permutations_;  // per two-digit year, built on first use
};

// The store key under which the permutation key (hex) lives. Versioned with the algorithm:
// codes are permanent, so neither ever changes silently.
inline constexpr std::string_view kPermutationKeyName = "code.permutation_key.v1";

}  // namespace acid::code
