#include <gtest/gtest.h>

#include "core/json.h"

namespace acid {
namespace {

TEST(Json, QuoteEscapes) {
  EXPECT_EQ(json::quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
}

TEST(Json, ParseRejectsTrailingGarbageAndBadUtf8) {
  EXPECT_TRUE(json::parse("{\"a\":1}").is_ok());
  EXPECT_TRUE(json::parse("  [1,2]  ").is_ok());
  EXPECT_EQ(json::parse("{\"a\":1} x").code(), Code::invalid);
  EXPECT_EQ(json::parse("").code(), Code::invalid);
  EXPECT_EQ(json::parse("\"\xff\"").code(), Code::invalid);
}

TEST(Json, TypedGettersRefuseOtherTypes) {
  auto doc = json::parse(R"({"s":"x","i":3,"b":true,"o":{},"a":[],"f":1.5})");
  ASSERT_TRUE(doc.is_ok());
  EXPECT_EQ(json::get_string(*doc, "s"), "x");
  EXPECT_EQ(json::get_string(*doc, "i"), std::nullopt);
  EXPECT_EQ(json::get_int(*doc, "i"), 3);
  EXPECT_EQ(json::get_int(*doc, "f"), std::nullopt);
  EXPECT_EQ(json::get_bool(*doc, "b"), true);
  EXPECT_NE(json::get_object(*doc, "o"), nullptr);
  EXPECT_EQ(json::get_object(*doc, "a"), nullptr);
  EXPECT_NE(json::get_array(*doc, "a"), nullptr);
  EXPECT_EQ(json::get_string(*doc, "missing"), std::nullopt);
}

}  // namespace
}  // namespace acid
