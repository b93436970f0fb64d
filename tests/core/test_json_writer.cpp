// The writer helpers every report and log line goes through (core/json.h).
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace acid {
namespace {

TEST(JsonWriter, ObjectHoldsWhatItsBodyWritesEscaped) {
  EXPECT_EQ(json::object([](json::Writer &) {}), "{}");
  const std::string text = json::object([](json::Writer &w) {
    json::member(w, "quote", "say \"hi\"\n");
    json::member(w, "n", -3);
    json::member(w, "big", std::uint64_t{18446744073709551615U});
    json::member(w, "yes", true);
  });
  EXPECT_EQ(text, R"({"quote":"say \"hi\"\n","n":-3,"big":18446744073709551615,"yes":true})");
  EXPECT_TRUE(json::parse(text).is_ok());
}

TEST(JsonWriter, OptionalMembersAreNullWhenAbsent) {
  const std::optional<std::string> none;
  const std::optional<std::string> some = "x";
  const std::optional<std::int64_t> count = 7;
  EXPECT_EQ(json::object([&](json::Writer &w) {
              json::member(w, "a", none);
              json::member(w, "b", some);
              json::member(w, "c", count);
            }),
            R"({"a":null,"b":"x","c":7})");
}

TEST(JsonWriter, ArraysOfObjectsAndStrings) {
  const std::vector<std::pair<std::string, int>> items = {{"a", 1}, {"b", 2}};
  const std::vector<std::string> names = {"x", "y\"z"};
  const std::vector<std::string> empty;
  EXPECT_EQ(json::object([&](json::Writer &w) {
              json::object_array(w, "items", items, [](json::Writer &o, const auto &item) {
                json::member(o, "name", item.first);
                json::member(o, "n", item.second);
              });
              json::string_array(w, "names", names);
              json::string_array(w, "none", empty);
            }),
            R"({"items":[{"name":"a","n":1},{"name":"b","n":2}],"names":["x","y\"z"],"none":[]})");
}

TEST(JsonWriter, ErrorsCarryCodeMessageAndDetail) {
  EXPECT_EQ(json::error_json(Error(Code::pds, "no \"repo\"")),
            R"({"code":"ACID_EPDS","message":"no \"repo\"","detail":{}})");
  EXPECT_EQ(json::error_json(Error(Code::invalid, "bad", R"({"field":"sub"})")),
            R"({"code":"ACID_EINVAL","message":"bad","detail":{"field":"sub"}})");
  EXPECT_EQ(json::error_body("a \"b\""), R"({"error":"a \"b\""})");
}

TEST(JsonWriter, RawMembersAreCopiedAsGiven) {
  EXPECT_EQ(json::object([](json::Writer &w) { json::raw_member(w, "reply", R"({"ok":1})"); }),
            R"({"reply":{"ok":1}})");
}

}  // namespace
}  // namespace acid
