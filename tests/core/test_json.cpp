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

// Issue 13: json::parse was recursive; a few hundred KiB of '[' overflowed the stack.
TEST(Json, ParseIsIterativeAndBoundsTheDepth) {
  const std::string deep = std::string(300000, '[') + std::string(300000, ']');
  auto r = json::parse(deep);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.code(), Code::invalid);
  EXPECT_NE(r.error().message.find("deeper than 64"), std::string::npos) << r.error().message;
  EXPECT_FALSE(json::parse(std::string(300000, '[')).is_ok());
  EXPECT_TRUE(json::parse(std::string(64, '[') + std::string(64, ']')).is_ok());
  EXPECT_FALSE(json::parse(std::string(65, '[') + std::string(65, ']')).is_ok());
  EXPECT_TRUE(json::parse(std::string(65, '[') + std::string(65, ']'), 65).is_ok());
  // A NUL does not hide text after a complete value.
  EXPECT_FALSE(json::parse(std::string("[]\0[", 4)).is_ok());
  EXPECT_TRUE(json::parse(" {\"a\":[1,{\"b\":null}]} ").is_ok());
}

}  // namespace
}  // namespace acid
