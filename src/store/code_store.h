// The user-code allocator's part of the store: the key material it derives codes
// from, and the per-year counters that make every code unique.
#pragma once

#include "store/records.h"

namespace acid::store {

class CodeStore {
 public:
  virtual ~CodeStore() = default;

  // Returns the value kept under `name`; when there is none, stores `value_if_absent` first.
  // Atomic: concurrent callers with different candidates all get the one value that won.
  virtual Result<std::string> get_or_put_secret(std::string_view name,
                                                std::string_view value_if_absent) = 0;
  // One atomic step: starting at the year's counter, asks `candidate` for the code of each
  // position, passes over blocklisted ones and codes already present (in users or claimed
  // before), claims the first free one for `sub` (may be empty), and advances the counter past
  // it. Code::exhausted once the counter reaches `capacity`; it never loops past it.
  virtual Result<ClaimedCode> claim_next_code(int yy, std::uint32_t capacity,
                                              const CodeCandidate &candidate,
                                              std::string_view sub) = 0;
  // Counter state per two-digit year: one year, or every year seen when yy is nullopt.
  virtual Result<std::vector<CodeYearState>> code_year_states(std::optional<int> yy) = 0;
  // Codes present in users for year `yy` that the allocator did not hand out (legacy random
  // codes). Used for statistics and audits.
  virtual Result<std::vector<std::string>> legacy_codes(int yy) = 0;
};

}  // namespace acid::store
