#include "code/blocklist.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "code/user_code.h"

namespace acid::code {
namespace {

// Entries as written in the committed file, parsed independently of the CMake step.
std::vector<std::string> entries_in_source_file() {
  std::ifstream in(std::string(ACID_SOURCE_DIR) + "/src/code/blocklist.txt");
  EXPECT_TRUE(in.good()) << "cannot open src/code/blocklist.txt";
  std::vector<std::string> entries;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) entries.push_back(line);
  }
  return entries;
}

TEST(Blocklist, CompiledListIsTheCommittedFile) {
  const auto file = entries_in_source_file();
  const auto compiled = blocked_suffixes();
  ASSERT_EQ(compiled.size(), file.size());
  for (std::size_t i = 0; i < file.size(); ++i) EXPECT_EQ(compiled[i], file[i]) << i;
}

TEST(Blocklist, ModestSortedAndUnique) {
  const auto list = blocked_suffixes();
  EXPECT_GE(list.size(), 10u);
  EXPECT_LE(list.size(), 100u);
  EXPECT_TRUE(std::is_sorted(list.begin(), list.end()));
  EXPECT_EQ(std::adjacent_find(list.begin(), list.end()), list.end());
}

// An entry the generator can never produce would be dead weight.
TEST(Blocklist, EveryEntryIsGeneratorProducible) {
  for (const std::string_view suffix : blocked_suffixes()) {
    ASSERT_EQ(suffix.size(), kSuffixLength) << suffix;
    const std::string code = "ac25" + std::string(suffix);
    const auto index = index_of(code);
    ASSERT_TRUE(index.has_value()) << suffix << " is not consonant-vowel-consonant-vowel-consonant "
                                   << "over the generator's alphabets";
    EXPECT_EQ(format_code(25, *index), code);
    EXPECT_TRUE(is_blocked_suffix(suffix)) << suffix;
    EXPECT_TRUE(is_blocked_code(code)) << code;
  }
}

TEST(Blocklist, Lookup) {
  EXPECT_TRUE(is_blocked_suffix("boner"));
  EXPECT_TRUE(is_blocked_suffix("BONER"));  // ASCII case-insensitive
  EXPECT_TRUE(is_blocked_suffix("token"));
  EXPECT_FALSE(is_blocked_suffix("xadeh"));
  EXPECT_FALSE(is_blocked_suffix("babab"));
  EXPECT_FALSE(is_blocked_suffix(""));
  EXPECT_FALSE(is_blocked_suffix("bone"));
  EXPECT_FALSE(is_blocked_suffix("boners"));
  EXPECT_FALSE(is_blocked_suffix(std::string_view("bone\0", 5)));
  EXPECT_TRUE(is_blocked_code("ac25boner"));
  EXPECT_TRUE(is_blocked_code("ac99token"));
  EXPECT_FALSE(is_blocked_code("ac25xadeh"));
  EXPECT_FALSE(is_blocked_code("boner"));
  EXPECT_FALSE(is_blocked_code("ac25boners"));
}

// Each entry removes exactly one code per year from the allocatable space.
TEST(Blocklist, BlocksOneCodePerEntryPerYear) {
  std::uint32_t blocked = 0;
  for (std::uint32_t index = 0; index < kCodesPerYear; ++index) {
    blocked += is_blocked_code(format_code(25, index)) ? 1 : 0;
  }
  EXPECT_EQ(blocked, blocked_suffixes().size());
}

}  // namespace
}  // namespace acid::code
