// The options of a dead-letter listing, read once in the core for the C ABI, the CLI and Node:
// defaults, both members, and a clear refusal naming whatever is wrong.
#include <gtest/gtest.h>

#include <string>

#include "store/dead_letters.h"

namespace acid::store {
namespace {

TEST(DeadLetterQuery, AnEmptyObjectGivesTheDefaults) {
  const auto query = parse_dead_letter_query("{}");
  ASSERT_TRUE(query.is_ok()) << query.error().message;
  EXPECT_FALSE(query->include_replayed);
  EXPECT_EQ(query->limit, DeadLetterQuery{}.limit);
}

TEST(DeadLetterQuery, ReadsBothMembers) {
  const auto query = parse_dead_letter_query(R"({"include_replayed":true,"limit":10000})");
  ASSERT_TRUE(query.is_ok()) << query.error().message;
  EXPECT_TRUE(query->include_replayed);
  EXPECT_EQ(query->limit, kMaxDeadLetterListLimit);
  EXPECT_EQ(parse_dead_letter_query(R"({"limit":1})")->limit, 1u);
}

TEST(DeadLetterQuery, RefusesWhatIsUnknownMistypedOrOutOfRange) {
  for (const char *text : {R"({"limit":0})", R"({"limit":10001})", R"({"limit":-1})",
                           R"({"limit":1.5})", R"({"limit":"5"})", R"({"include_replayed":1})",
                           R"({"limit":18446744073709551615})", R"({"sort":"old"})"}) {
    SCOPED_TRACE(text);
    const auto query = parse_dead_letter_query(text);
    ASSERT_FALSE(query.is_ok());
    EXPECT_EQ(query.error().code, Code::invalid);
    EXPECT_NE(query.error().message.find("is unknown or out of range"), std::string::npos)
        << query.error().message;
  }
  const auto unknown = parse_dead_letter_query(R"({"limit":5,"sort":"old"})");
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.error().message.find("\"sort\""), std::string::npos) << unknown.error().message;
}

TEST(DeadLetterQuery, RefusesTextThatIsNotOneSmallObject) {
  for (const std::string &text :
       {std::string("[]"), std::string("5"), std::string("{"), std::string(""),
        R"({"include_replayed":false,"pad":")" + std::string(4096, 'x') + "\"}"}) {
    SCOPED_TRACE(text.substr(0, 40));
    const auto query = parse_dead_letter_query(text);
    ASSERT_FALSE(query.is_ok());
    EXPECT_EQ(query.error().code, Code::invalid);
    EXPECT_NE(query.error().message.find("options_json"), std::string::npos)
        << query.error().message;
  }
}

}  // namespace
}  // namespace acid::store
