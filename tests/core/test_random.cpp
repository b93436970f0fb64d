#include <gtest/gtest.h>

#include <set>

#include "core/random.h"

namespace acid {
namespace {

TEST(Random, BelowStaysInRangeAndCoversIt) {
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    auto v = random_below(7);
    ASSERT_TRUE(v.is_ok());
    ASSERT_LT(*v, 7u);
    seen.insert(*v);
  }
  EXPECT_EQ(seen.size(), 7u);
}

TEST(Random, ZeroBoundIsAnError) {
  EXPECT_EQ(random_below(0).code(), Code::invalid);
}

TEST(Random, StringsUseOnlyTheAlphabet) {
  auto s = random_string(64, "ab");
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s->size(), 64u);
  EXPECT_EQ(s->find_first_not_of("ab"), std::string::npos);
  EXPECT_NE(*s, *random_string(64, "ab"));  // 2^-64 chance of a false failure
}

}  // namespace
}  // namespace acid
