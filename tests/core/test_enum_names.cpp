#include "core/enum_names.h"

#include <gtest/gtest.h>

namespace acid {
namespace {

enum class Colour { red, green, blue, unnamed };

constexpr EnumName<Colour> kColours[] = {
    {Colour::red, "red"}, {Colour::green, "green"}, {Colour::blue, "blue"}};

TEST(EnumNames, NamesAndValuesComeFromTheSameTable) {
  for (const EnumName<Colour> &entry : kColours) {
    EXPECT_STREQ(name_of(kColours, entry.value), entry.name);
    EXPECT_EQ(value_named(kColours, entry.name), entry.value);
  }
}

TEST(EnumNames, AValueOrNameOutsideTheTableIsNotGuessed) {
  EXPECT_STREQ(name_of(kColours, Colour::unnamed), "unknown");
  EXPECT_STREQ(name_of(kColours, Colour::unnamed, "other"), "other");
  EXPECT_EQ(value_named(kColours, "Red"), std::nullopt);  // names are exact
  EXPECT_EQ(value_named(kColours, ""), std::nullopt);
  EXPECT_EQ(value_named(kColours, "red "), std::nullopt);
}

TEST(EnumNames, UsableAtCompileTime) {
  static_assert(value_named(kColours, "blue") == Colour::blue);
  static_assert(name_of(kColours, Colour::green)[0] == 'g');
}

}  // namespace
}  // namespace acid
