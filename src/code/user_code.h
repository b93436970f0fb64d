// aesthetic.computer user codes: "ac" + two-digit UTC signup year + a pronounceable
// consonant-vowel-consonant-vowel-consonant suffix, e.g. "ac25xadeh".
//
// Everything here is pure (no store access) and stays exactly compatible with the deployed
// JavaScript: every code ever issued must keep validating and parsing the same way.
//
// Index space: the generator's codes of one year are numbered 0 .. kCodesPerYear-1 in mixed radix
// over (consonant, vowel, consonant, vowel, consonant), most significant letter first. Both
// alphabets are sorted, so index order is the lexicographic order of the codes:
// 0 -> "ac25babab", 1 -> "ac25babac", kCodesPerYear-1 -> "ac25zuzuz".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace acid::code {

// The generator's alphabets (sorted). Note: no 'i', 'l', 'q' anywhere.
inline constexpr std::string_view kConsonants = "bcdfghjkmnprstvwxyz";
inline constexpr std::string_view kVowels = "aeou";
inline constexpr std::string_view kPrefix = "ac";
inline constexpr std::size_t kSuffixLength = 5;
inline constexpr std::size_t kCodeLength = 9;  // "ac" + 2 digits + 5 letters
inline constexpr std::uint32_t kCodesPerYear = 109744;

static_assert(kConsonants.size() == 19 && kVowels.size() == 4);
static_assert(kCodesPerYear == 19u * 4u * 19u * 4u * 19u);
static_assert(kCodeLength == kPrefix.size() + 2 + kSuffixLength);

// The deployed validation rule: ^ac[0-9]{2}[a-z]{5}$ and the 5-letter suffix contains at least
// one of [aeou] and at least one of [bcdfghjkmnprstvwxyz]. This accepts strings the generator
// never produces (e.g. "ac25aaaab", or suffixes with 'i', 'l', 'q' such as "ac25laqab"); that is
// deliberate, existing codes must stay valid. Case-sensitive: "AC25XADEH" is invalid (parse()
// is the case-insensitive entry point).
//
// On failure: Code::invalid, message "invalid user code: <reason>" where <reason> is one of
//   "must be 9 characters", "must start with 'ac'", "characters 3-4 must be digits",
//   "suffix must be 5 lowercase letters", "suffix needs a vowel (a, e, o, u)",
//   "suffix needs a consonant"
// (checked in that order), and detail_json {"reason":"<key>"} with key one of
//   "length", "prefix", "year", "suffix_letters", "suffix_vowel", "suffix_consonant"
// ("length" also carries "expected" and "actual").
Status validate(std::string_view code);
bool is_valid(std::string_view code);

// The deployed parse rule, `text.toLowerCase().match(/ac[0-9]{2}[a-z]{5}/)`: lowercase the whole
// text as JavaScript does and return the first (leftmost) match, unanchored, or nullopt. The
// result is lowercase and 9 characters long but is NOT run through validate(): like the deployed
// code, "ac25bbbbb" parses although it is not a valid code. `text` is UTF-8. Of all Unicode case
// mappings only two lowercase a non-ASCII character to an ASCII letter, and both are honoured:
// U+212A KELVIN SIGN -> "k" and U+0130 'İ' -> "i" + U+0307 (tests/code checks this claim against
// Node's Unicode data). Any other non-ASCII character, and any byte that is not well-formed
// UTF-8 (JavaScript would have seen U+FFFD), is never a letter or digit.
std::optional<std::string> parse(std::string_view text);

// The last two digits of a UTC year, always in [0, 100): 2025 -> 25, 2100 -> 0, 1999 -> 99,
// -1 -> 99 (positive modulo).
int two_digit_year(int utc_year);

// The generator's code number `index` for two-digit year `yy`.
// Preconditions: 0 <= yy < 100 and index < kCodesPerYear (asserted in debug builds; if violated
// in a release build the result is an empty string, never a valid-looking code).
std::string format_code(int yy, std::uint32_t index);

// The inverse of format_code (the year is ignored): nullopt unless `code` is exactly
// "ac" + 2 digits + C V C V C from the generator's alphabets.
std::optional<std::uint32_t> index_of(std::string_view code);

// The two-digit year of a code that passes validate(), else nullopt.
std::optional<int> year_of(std::string_view code);

// A uniformly random generator code for the UTC year (CSPRNG). Only a format preview: real
// allocation is collision-free through the keyed permutation and the store.
Result<std::string> generate_random(int utc_year);

}  // namespace acid::code
