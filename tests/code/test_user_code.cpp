#include "code/user_code.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace acid::code {
namespace {

using namespace std::string_view_literals;

TEST(UserCodeConstants, AlphabetsAreSortedDisjointAndSized) {
  EXPECT_EQ(kConsonants.size(), 19u);
  EXPECT_EQ(kVowels.size(), 4u);
  EXPECT_TRUE(std::is_sorted(kConsonants.begin(), kConsonants.end()));
  EXPECT_TRUE(std::is_sorted(kVowels.begin(), kVowels.end()));
  EXPECT_EQ(std::adjacent_find(kConsonants.begin(), kConsonants.end()), kConsonants.end());
  EXPECT_EQ(std::adjacent_find(kVowels.begin(), kVowels.end()), kVowels.end());
  for (const char v : kVowels) EXPECT_EQ(kConsonants.find(v), std::string_view::npos) << v;
  for (const char c : "ilq"sv) {
    EXPECT_EQ(kConsonants.find(c), std::string_view::npos) << c;
    EXPECT_EQ(kVowels.find(c), std::string_view::npos) << c;
  }
  EXPECT_EQ(kCodesPerYear, 109744u);
  EXPECT_EQ(kCodeLength, 9u);
}

struct ValidCase {
  std::string_view code;
  const char *why;
};

TEST(UserCodeValidate, AcceptsGeneratorCodesAndDeployedQuirks) {
  const ValidCase cases[] = {
      {"ac25xadeh", "the documented example"},
      {"ac00babab", "first code of year 00"},
      {"ac99zuzuz", "last code of year 99"},
      {"ac25aaaab", "deployed rule: one vowel and one consonant anywhere suffices"},
      {"ac25baaaa", "consonant first, rest vowels"},
      {"ac25bbbba", "vowel last"},
      {"ac25laqab", "letters outside the generator alphabets (l, q) are still letters"},
      {"ac25iiiab", "'i' is neither vowel nor consonant but allowed as a letter"},
      {"ac25xxxxu", "single vowel"},
  };
  for (const auto &c : cases) {
    const Status s = validate(c.code);
    EXPECT_TRUE(s.is_ok()) << c.code << ": " << c.why << ": "
                           << (s.is_ok() ? "" : s.error().message);
    EXPECT_TRUE(is_valid(c.code)) << c.code;
  }
}

struct InvalidCase {
  std::string_view code;
  const char *reason;
  const char *key;
};

TEST(UserCodeValidate, RejectsWithPreciseReason) {
  const InvalidCase cases[] = {
      {""sv, "must be 9 characters", "length"},
      {"ac25xade"sv, "must be 9 characters", "length"},
      {"ac25xadehx"sv, "must be 9 characters", "length"},
      {"ac25xadeh\n"sv, "must be 9 characters", "length"},  // JS `$` does not skip a newline
      {"ac25xadeh\0"sv, "must be 9 characters", "length"},
      {" ac25xade"sv, "must start with 'ac'", "prefix"},
      {"AC25XADEH"sv, "must start with 'ac'", "prefix"},
      {"Ac25xadeh"sv, "must start with 'ac'", "prefix"},
      {"bc25xadeh"sv, "must start with 'ac'", "prefix"},
      {"a\0"
       "25xadeh"sv,
       "must start with 'ac'", "prefix"},
      {"ac2axadeh"sv, "characters 3-4 must be digits", "year"},
      {"acx5xadeh"sv, "characters 3-4 must be digits", "year"},
      {"ac-5xadeh"sv, "characters 3-4 must be digits", "year"},
      {"ac25XADEH"sv, "suffix must be 5 lowercase letters", "suffix_letters"},
      {"ac25xadeH"sv, "suffix must be 5 lowercase letters", "suffix_letters"},
      {"ac25xad3h"sv, "suffix must be 5 lowercase letters", "suffix_letters"},
      {"ac25xa\0eh"sv, "suffix must be 5 lowercase letters", "suffix_letters"},
      {"ac25xa-eh"sv, "suffix must be 5 lowercase letters", "suffix_letters"},
      {"ac25xad\xc3\xa9"sv, "suffix must be 5 lowercase letters", "suffix_letters"},  // é
      {"ac25bbbbb"sv, "suffix needs a vowel (a, e, o, u)", "suffix_vowel"},
      {"ac25iiiii"sv, "suffix needs a vowel (a, e, o, u)", "suffix_vowel"},  // 'i' is no vowel
      {"ac25lllll"sv, "suffix needs a vowel (a, e, o, u)", "suffix_vowel"},
      {"ac25aaaaa"sv, "suffix needs a consonant", "suffix_consonant"},
      {"ac25aeiou"sv, "suffix needs a consonant", "suffix_consonant"},  // 'i' is no consonant
      {"ac25qaqaq"sv, "suffix needs a consonant", "suffix_consonant"},  // nor is 'q'
  };
  for (const auto &c : cases) {
    const std::string shown(c.code);
    const Status s = validate(c.code);
    ASSERT_FALSE(s.is_ok()) << shown;
    EXPECT_FALSE(is_valid(c.code)) << shown;
    EXPECT_EQ(s.code(), Code::invalid) << shown;
    EXPECT_EQ(s.error().message, std::string("invalid user code: ") + c.reason) << shown;
    EXPECT_NE(s.error().detail_json.find(std::string("\"reason\":\"") + c.key + "\""),
              std::string::npos)
        << shown << " -> " << s.error().detail_json;
    EXPECT_FALSE(year_of(c.code).has_value()) << shown;
  }
}

TEST(UserCodeValidate, LengthDetailCarriesActualLength) {
  const Status s = validate("ac25xadehxx");
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.error().detail_json, R"({"reason":"length","expected":9,"actual":11})");
}

TEST(UserCodeYear, TwoDigitYear) {
  EXPECT_EQ(two_digit_year(2025), 25);
  EXPECT_EQ(two_digit_year(2000), 0);
  EXPECT_EQ(two_digit_year(2009), 9);
  EXPECT_EQ(two_digit_year(2099), 99);
  EXPECT_EQ(two_digit_year(2100), 0);
  EXPECT_EQ(two_digit_year(1999), 99);
  EXPECT_EQ(two_digit_year(0), 0);
  EXPECT_EQ(two_digit_year(-1), 99);
  EXPECT_EQ(two_digit_year(-101), 99);
  EXPECT_EQ(two_digit_year(-100), 0);
  EXPECT_EQ(two_digit_year(INT_MAX), 47);  // 2147483647
  EXPECT_EQ(two_digit_year(INT_MIN), 52);  // -2147483648 = -21474837*100 + 52
}

TEST(UserCodeYear, YearOfValidCodes) {
  EXPECT_EQ(year_of("ac25xadeh"), 25);
  EXPECT_EQ(year_of("ac07babab"), 7);
  EXPECT_EQ(year_of("ac00babab"), 0);
  EXPECT_EQ(year_of("ac99zuzuz"), 99);
  EXPECT_EQ(year_of("ac24aaaab"), 24);  // valid by the deployed rule, not generator-producible
  EXPECT_FALSE(year_of("AC25XADEH").has_value());
  EXPECT_FALSE(year_of("ac25bbbbb").has_value());
}

struct ParseCase {
  std::string_view text;
  std::optional<std::string_view> expected;
  const char *why;
};

TEST(UserCodeParse, DeployedRule) {
  const ParseCase cases[] = {
      {"ac25xadeh"sv, "ac25xadeh"sv, "exact"},
      {"AC25XADEH"sv, "ac25xadeh"sv, "case-insensitive, result lowercased"},
      {"Ac25XaDeH"sv, "ac25xadeh"sv, "mixed case"},
      {"hello @ac25xadeh!"sv, "ac25xadeh"sv, "embedded in a mention"},
      {"https://aesthetic.computer/ac25xadeh?x=1"sv, "ac25xadeh"sv, "in a URL"},
      {"ac25xadeh.at.aesthetic.computer"sv, "ac25xadeh"sv, "PDS handle"},
      {"did ac25xadeh.at.aesthetic.computer"sv, "ac25xadeh"sv, "handle in text"},
      {"ac25xadehac26bebob"sv, "ac25xadeh"sv, "adjacent matches: the first wins"},
      {"ac26bebob then ac25xadeh"sv, "ac26bebob"sv, "two matches: the first wins"},
      {"xac25xadeh"sv, "ac25xadeh"sv, "no word boundary needed"},
      {"acac25xadeh"sv, "ac25xadeh"sv, "leftmost start that matches"},
      {"aac25xadeh"sv, "ac25xadeh"sv, "leftmost start that matches"},
      {"ac25xadehzzz"sv, "ac25xadeh"sv, "first 5 letters of a longer run"},
      {"ac25acacacac"sv, "ac25acaca"sv, "suffix may itself contain 'ac'"},
      {"ac25bbbbb"sv, "ac25bbbbb"sv, "parse does not validate (deployed behaviour)"},
      {"ac25aeiou"sv, "ac25aeiou"sv, "parse does not validate (deployed behaviour)"},
      {"abc\0ac25xadeh"sv, "ac25xadeh"sv, "after an embedded NUL"},
      {"\xc3\xa9\xc3\xa9"
       "ac25xadeh\xc3\xa9"sv,
       "ac25xadeh"sv, "surrounded by UTF-8"},
      {""sv, std::nullopt, "empty"},
      {"ac25xade"sv, std::nullopt, "too short"},
      {"ac2 5xadeh"sv, std::nullopt, "space inside"},
      {"ac255xadeh"sv, std::nullopt, "three digits"},
      {"ac5xadehab"sv, std::nullopt, "one digit"},
      {"ac25xad3h"sv, std::nullopt, "digit in suffix"},
      {"ac25xa\0eh"sv, std::nullopt, "NUL inside"},
      {"ac25xad\xc3\xa9h"sv, std::nullopt, "non-ASCII is never a letter"},
      {"ac25xad\xc3\x89h"sv, std::nullopt, "non-ASCII uppercase is not lowercased"},
      {"ac25\xe2\x84\xaa"
       "adeh"sv,
       "ac25kadeh"sv, "U+212A KELVIN SIGN lowercases to k, as in JavaScript"},
      {"AC25XADE\xc4\xb0"sv, "ac25xadei"sv, "U+0130 lowercases to i + U+0307"},
      {"ac25xad\xc4\xb0h"sv, std::nullopt, "the combining dot after U+0130's i ends the run"},
      {"ac25xad\xc4\xb1h"sv, std::nullopt, "U+0131 dotless i is not an ASCII letter"},
      {"ac25xad\xc5\xbfh"sv, std::nullopt, "U+017F long s lowercases to itself"},
      {"ac25xad\xe2\x84\xabh"sv, std::nullopt, "U+212B ANGSTROM SIGN lowercases to U+00E5"},
      {"\xe2\x84"
       "ac25xadeh"sv,
       "ac25xadeh"sv, "after a truncated UTF-8 sequence"},
      {"ac25xad\xe2\x84h"sv, std::nullopt, "a truncated sequence is never a letter"},
      {"ac25xad\xc0\xebh"sv, std::nullopt, "an overlong encoding is not decoded"},
      {"ac25\xe0\x81\x8b"
       "adeh"sv,
       std::nullopt, "an overlong 'K' is not decoded"},
      {"a c25xadeh"sv, std::nullopt, "split prefix"},
      {"no code here at all"sv, std::nullopt, "none"},
  };
  for (const auto &c : cases) {
    const std::string shown(c.text);
    const auto got = parse(c.text);
    if (c.expected) {
      ASSERT_TRUE(got.has_value()) << shown << " (" << c.why << ")";
      EXPECT_EQ(*got, *c.expected) << shown << " (" << c.why << ")";
    } else {
      EXPECT_FALSE(got.has_value()) << shown << " (" << c.why << ") -> " << got.value_or("");
    }
  }
}

TEST(UserCodeFormat, KnownIndices) {
  EXPECT_EQ(format_code(25, 0), "ac25babab");
  EXPECT_EQ(format_code(25, 1), "ac25babac");
  EXPECT_EQ(format_code(25, 18), "ac25babaz");
  EXPECT_EQ(format_code(7, 19), "ac07babeb");   // the last consonant wraps into the vowel
  EXPECT_EQ(format_code(25, 76), "ac25bacab");  // 19*4: the middle consonant advances
  EXPECT_EQ(format_code(0, 19 * 4 * 19 * 4), "ac00cabab");
  EXPECT_EQ(format_code(99, kCodesPerYear - 1), "ac99zuzuz");
  // x=16, a=0, d=2, e=1, h=5 -> (((16*4+0)*19+2)*4+1)*19+5
  EXPECT_EQ(format_code(25, (((16u * 4 + 0) * 19 + 2) * 4 + 1) * 19 + 5), "ac25xadeh");
  EXPECT_EQ(index_of("ac25xadeh"), (((16u * 4 + 0) * 19 + 2) * 4 + 1) * 19 + 5);
}

TEST(UserCodeFormat, RoundTripOverTheWholeDomain) {
  for (const int yy : {0, 25, 99}) {
    std::string previous;
    for (std::uint32_t index = 0; index < kCodesPerYear; ++index) {
      const std::string code = format_code(yy, index);
      ASSERT_TRUE(is_valid(code)) << code;
      ASSERT_EQ(year_of(code), yy) << code;
      ASSERT_EQ(index_of(code), index) << code;
      ASSERT_LT(previous, code) << "index order is lexicographic order";
      previous = code;
    }
  }
}

TEST(UserCodeFormat, IndexOfRejectsNonGeneratorStrings) {
  EXPECT_EQ(index_of("ac25babab"), 0u);
  EXPECT_EQ(index_of("ac99zuzuz"), kCodesPerYear - 1);
  EXPECT_EQ(index_of("ac00zuzuz"), kCodesPerYear - 1);  // the year is not part of the index
  const std::string_view rejected[] = {
      ""sv,          "ac25babab "sv, "ac25baba"sv,   "AC25BABAB"sv, "ac25Babab"sv,
      "bc25babab"sv, "ac2xbabab"sv,  "ac25aaaab"sv,  "ac25laqab"sv, "ac25babib"sv,
      "ac25bbbab"sv, "ac25abbab"sv,  "ac25ba\0ab"sv,
  };
  for (const auto text : rejected) {
    EXPECT_FALSE(index_of(text).has_value()) << std::string(text);
  }
}

TEST(UserCodeFormat, PreconditionViolations) {
  [[maybe_unused]] std::string out = "sentinel";
  EXPECT_DEBUG_DEATH(out = format_code(25, kCodesPerYear), "");
#ifdef NDEBUG
  EXPECT_EQ(out, "");
  out = "sentinel";
#endif
  EXPECT_DEBUG_DEATH(out = format_code(100, 0), "");
#ifdef NDEBUG
  EXPECT_EQ(out, "");
  out = "sentinel";
#endif
  EXPECT_DEBUG_DEATH(out = format_code(-1, 0), "");
#ifdef NDEBUG
  EXPECT_EQ(out, "");
#endif
}

TEST(UserCodeRandom, ThousandDrawsAreValidProducibleAndVaried) {
  std::set<std::string> distinct;
  for (int i = 0; i < 1000; ++i) {
    auto code = generate_random(2025);
    ASSERT_TRUE(code.is_ok()) << code.error().message;
    ASSERT_TRUE(is_valid(*code)) << *code;
    ASSERT_EQ(year_of(*code), 25) << *code;
    ASSERT_TRUE(index_of(*code).has_value()) << *code << " is not generator-producible";
    distinct.insert(*code);
  }
  // 1,000 uniform draws from 109,744 collide about 4.5 times on average.
  EXPECT_GT(distinct.size(), 950u);
}

TEST(UserCodeRandom, UsesTheTwoDigitUtcYear) {
  for (const auto &[year, yy] :
       std::vector<std::pair<int, int>>{{1999, 99}, {2100, 0}, {2007, 7}}) {
    auto code = generate_random(year);
    ASSERT_TRUE(code.is_ok());
    EXPECT_EQ(year_of(*code), yy) << *code;
  }
}

}  // namespace
}  // namespace acid::code
