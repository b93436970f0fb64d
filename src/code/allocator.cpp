#include "code/allocator.h"

#include <openssl/crypto.h>

#include "code/blocklist.h"
#include "code/user_code.h"
#include "core/random.h"

namespace acid::code {

namespace {

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::optional<std::array<std::uint8_t, 32>> from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  std::array<std::uint8_t, 32> out{};
  for (std::size_t i = 0; i < 32; ++i) {
    int v = 0;
    for (std::size_t j = 0; j < 2; ++j) {
      const char c = hex[i * 2 + j];
      int d = 0;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else {
        return std::nullopt;
      }
      v = v * 16 + d;
    }
    out[i] = static_cast<std::uint8_t>(v);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<CodeAllocator>> CodeAllocator::create(store::CodeStore &store) {
  std::array<std::uint8_t, 32> candidate{};
  ACID_TRY(random_bytes(candidate));
  const std::string candidate_hex = to_hex(candidate);
  OPENSSL_cleanse(candidate.data(), candidate.size());
  auto stored = store.get_or_put_secret(kPermutationKeyName, candidate_hex);
  if (!stored) return std::move(stored).error().context("loading the user-code key");
  auto key = from_hex(*stored);
  if (!key) {
    return Error(Code::store, "the stored user-code key is malformed (expected 64 hex digits)");
  }
  return std::unique_ptr<CodeAllocator>(new CodeAllocator(store, *key));
}

Result<const CodePermutation *> CodeAllocator::permutation(int yy) {
  std::lock_guard lock(mu_);
  auto it = permutations_.find(yy);
  if (it == permutations_.end()) {
    auto perm = CodePermutation::create(std::span<const std::uint8_t, 32>(key_), yy);
    if (!perm) return std::move(perm).error();
    it = permutations_.emplace(yy, *perm).first;
  }
  return &it->second;
}

Result<store::ClaimedCode> CodeAllocator::allocate(int utc_year, std::string_view sub) {
  if (utc_year < 0 || utc_year > 9999) {
    return Error(Code::invalid, "signup year " + std::to_string(utc_year) + " is out of range");
  }
  const int yy = two_digit_year(utc_year);
  auto candidate = candidates(yy);
  if (!candidate) return std::move(candidate).error();
  auto claimed = store_.claim_next_code(yy, kCodesPerYear, *candidate, sub);
  if (!claimed && claimed.code() == Code::exhausted) {
    return Error(Code::exhausted,
                 "no user code left for signup year " + std::to_string(utc_year) + ": all " +
                     std::to_string(kCodesPerYear) + " codes of ac" + (yy < 10 ? "0" : "") +
                     std::to_string(yy) + "xxxxx are allocated, taken or blocklisted",
                 "{\"year\":" + std::to_string(utc_year) + ",\"yy\":" + std::to_string(yy) + "}");
  }
  return claimed;
}

Result<store::CodeCandidate> CodeAllocator::candidates(int yy) {
  auto perm = permutation(yy);
  if (!perm) return std::move(perm).error();
  const CodePermutation *p = *perm;  // lives as long as the allocator
  return store::CodeCandidate([p, yy](std::uint32_t position) -> std::optional<std::string> {
    std::string code = format_code(yy, p->forward(position));
    if (is_blocked_suffix(std::string_view(code).substr(4))) return std::nullopt;
    return code;
  });
}

std::uint64_t CodeAllocator::blocked_per_year() {
  // Every entry is a producible suffix (tests/code checks it), so each blocks one code a year.
  return blocked_suffixes().size();
}

Result<std::vector<YearStats>> CodeAllocator::stats(std::optional<int> yy) {
  auto states = store_.code_year_states(yy);
  if (!states) return std::move(states).error();
  std::vector<YearStats> out;
  auto add = [&](int y, const store::CodeYearState *state) -> Status {
    auto legacy = store_.legacy_codes(y);
    if (!legacy) return std::move(legacy).error();
    std::uint64_t legacy_in_domain = 0;
    for (const std::string &c : *legacy) {
      // Legacy codes outside the generator's alphabet take no slot of the domain.
      if (index_of(c) && !is_blocked_suffix(std::string_view(c).substr(4))) ++legacy_in_domain;
    }
    YearStats s;
    s.yy = y;
    s.allocated = state ? state->allocated : 0;
    s.legacy = legacy_in_domain;
    s.blocked = blocked_per_year();
    s.counter = state ? state->next_position : 0;
    s.skipped = state ? state->skipped : 0;
    const std::uint64_t used = s.allocated + s.legacy + s.blocked;
    s.remaining = used >= kCodesPerYear ? 0 : kCodesPerYear - used;
    if (state && state->next_position >= kCodesPerYear) s.remaining = 0;
    out.push_back(s);
    return Status::ok();
  };
  if (yy && states->empty()) {
    ACID_TRY(add(*yy, nullptr));
  }
  for (const auto &st : *states) ACID_TRY(add(st.yy, &st));
  return out;
}

}  // namespace acid::code
