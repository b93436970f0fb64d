#include "core/ascii.h"

#include <gtest/gtest.h>

namespace acid {
namespace {

TEST(Ascii, LowercasesOnlyAsciiLetters) {
  EXPECT_EQ(ascii_lowercase("AC25Neo.AT.Aesthetic-Test_X"), "ac25neo.at.aesthetic-test_x");
  EXPECT_EQ(ascii_lowercase("\xC3\x89t\xC3\xA9"), "\xC3\x89t\xC3\xA9");  // UTF-8 bytes untouched
  EXPECT_EQ(ascii_lowercase(""), "");
  static_assert(ascii_lower('Z') == 'z' && ascii_lower('@') == '@' && ascii_lower('[') == '[');
}

TEST(Ascii, EqualityIgnoresOnlyAsciiCase) {
  EXPECT_TRUE(equals_ignoring_case("Someone@Example.COM", "someone@example.com"));
  EXPECT_FALSE(equals_ignoring_case("someone@example.com", "someone@example.co"));
  EXPECT_FALSE(equals_ignoring_case("a@b", "a@c"));
  EXPECT_FALSE(equals_ignoring_case("\xC3\x89", "\xC3\xA9"));  // not Unicode folding
  EXPECT_TRUE(equals_ignoring_case("", ""));
}

TEST(Ascii, PrefixIgnoresCase) {
  EXPECT_TRUE(starts_with_ignoring_case("Bearer abc", "bearer "));
  EXPECT_FALSE(starts_with_ignoring_case("Bear", "bearer "));
}

}  // namespace
}  // namespace acid
