// The allocator over a real SQLite store: uniqueness, legacy codes, blocklist, exhaustion, and
// several processes sharing one store file.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "code/allocator.h"
#include "code/blocklist.h"
#include "code/user_code.h"
#include "store/store.h"
#include "support/store_reader.h"
#include "support/temp_dir.h"

namespace acid::code {
namespace {

// Fast commits: these tests make ~10^5 of them; durability is covered by the store's own tests.
std::string fast_uri(const testing::TempDir &dir) {
  return dir.sqlite_uri() + "?synchronous=normal";
}

std::unique_ptr<store::Store> open(const std::string &uri) {
  auto s = store::open_store(uri);
  EXPECT_TRUE(s.is_ok()) << s.error().message;
  return s.is_ok() ? std::move(*s) : nullptr;
}

TEST(CodeAllocator, CodesAreValidOfTheYearAndDistinct) {
  testing::TempDir dir;
  auto store = open(fast_uri(dir));
  auto alloc = CodeAllocator::create(*store);
  ASSERT_TRUE(alloc.is_ok());
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    auto c = (*alloc)->allocate(2025, "auth0|u" + std::to_string(i));
    ASSERT_TRUE(c.is_ok()) << c.error().message;
    EXPECT_TRUE(is_valid(c->code)) << c->code;
    EXPECT_EQ(c->code.substr(0, 4), "ac25");
    EXPECT_FALSE(is_blocked_code(c->code));
    EXPECT_TRUE(seen.insert(c->code).second) << "duplicate " << c->code;
  }
  // Codes look random, not sequential: the first few are far apart in the alphabet.
  EXPECT_GT(std::set<char>({(*seen.begin())[4], (*seen.rbegin())[4]}).size(), 1u);
}

TEST(CodeAllocator, YearsAreSeparateNamespaces) {
  testing::TempDir dir;
  auto store = open(fast_uri(dir));
  auto alloc = CodeAllocator::create(*store);
  ASSERT_TRUE(alloc.is_ok());
  EXPECT_EQ((*alloc)->allocate(2024)->code.substr(0, 4), "ac24");
  EXPECT_EQ((*alloc)->allocate(2026)->code.substr(0, 4), "ac26");
  EXPECT_EQ((*alloc)->allocate(1999)->code.substr(0, 4), "ac99");
  EXPECT_EQ((*alloc)->allocate(-1).code(), Code::invalid);
}

TEST(CodeAllocator, TheKeyIsMadeOnceAndKeptInTheStore) {
  testing::TempDir dir;
  std::string first;
  {
    auto store = open(fast_uri(dir));
    first = (*CodeAllocator::create(*store))->allocate(2025)->code;
  }
  // A second allocator on the same store continues the same sequence: never the same code.
  auto store = open(fast_uri(dir));
  auto again = (*CodeAllocator::create(*store))->allocate(2025);
  ASSERT_TRUE(again.is_ok());
  EXPECT_NE(again->code, first);
  EXPECT_EQ(again->position, 1u);
  auto key = store->get_or_put_secret(kPermutationKeyName, "ignored");
  ASSERT_TRUE(key.is_ok());
  EXPECT_EQ(key->size(), 64u);
}

TEST(CodeAllocator, AMalformedStoredKeyIsRefused) {
  testing::TempDir dir;
  auto store = open(fast_uri(dir));
  ASSERT_TRUE(store->get_or_put_secret(kPermutationKeyName, "not-hex").is_ok());
  auto alloc = CodeAllocator::create(*store);
  ASSERT_FALSE(alloc.is_ok());
  EXPECT_EQ(alloc.code(), Code::store);
}

// Half the year is taken by random legacy codes (as the old scheme left it); the allocator must
// hand out every remaining code exactly once, never a legacy or blocklisted one, then report
// exhaustion naming the year, and keep reporting it.
TEST(CodeAllocator, FillsAHalfLegacyYearWithoutDuplicatesThenReportsExhaustion) {
  testing::TempDir dir;
  auto store = open(fast_uri(dir));
  std::mt19937 rng(7);
  std::vector<std::uint32_t> indices(kCodesPerYear);
  for (std::uint32_t i = 0; i < kCodesPerYear; ++i) indices[i] = i;
  std::shuffle(indices.begin(), indices.end(), rng);
  std::set<std::string> legacy;
  for (std::uint32_t i = 0; i < kCodesPerYear / 2; ++i) {
    const std::string code = format_code(25, indices[i]);
    ASSERT_TRUE(acid::testing::inspect(*store)
                    .insert_user({"auth0|legacy" + std::to_string(i), code, 0})
                    .is_ok());
    legacy.insert(code);
  }
  std::size_t legacy_or_blocked = legacy.size();
  for (std::string_view suffix : blocked_suffixes()) {
    if (!legacy.count("ac25" + std::string(suffix))) ++legacy_or_blocked;
  }

  auto alloc = CodeAllocator::create(*store);
  ASSERT_TRUE(alloc.is_ok());
  std::set<std::string> allocated;
  std::uint64_t steps = 0;
  for (;;) {
    auto c = (*alloc)->allocate(2025);
    if (!c.is_ok()) {
      ASSERT_EQ(c.code(), Code::exhausted) << c.error().message;
      EXPECT_NE(c.error().message.find("2025"), std::string::npos) << c.error().message;
      break;
    }
    ASSERT_FALSE(legacy.count(c->code)) << "handed out a legacy code " << c->code;
    ASSERT_FALSE(is_blocked_code(c->code)) << c->code;
    ASSERT_TRUE(allocated.insert(c->code).second) << "duplicate " << c->code;
    steps += 1 + c->skipped;
    ASSERT_LT(allocated.size(), kCodesPerYear) << "runaway allocation";
  }
  EXPECT_EQ(allocated.size(), kCodesPerYear - legacy_or_blocked);
  // One counter step per code plus one per skipped code: the whole year walked exactly once
  // (skips after the last free code are taken by the call that reports exhaustion).
  EXPECT_LE(steps, kCodesPerYear);
  EXPECT_GE(steps, kCodesPerYear - blocked_suffixes().size() - legacy.size());
  EXPECT_EQ((*alloc)->allocate(2025).code(), Code::exhausted);

  auto stats = (*alloc)->stats(25);
  ASSERT_TRUE(stats.is_ok());
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0].allocated, allocated.size());
  EXPECT_EQ((*stats)[0].remaining, 0u);
  EXPECT_EQ((*stats)[0].counter, kCodesPerYear);
}

TEST(CodeAllocator, StatsCountLegacyAndRemaining) {
  testing::TempDir dir;
  auto store = open(fast_uri(dir));
  ASSERT_TRUE(acid::testing::inspect(*store)
                  .insert_user({"auth0|old", std::string("ac25babab"), 0})
                  .is_ok());
  // A legacy code outside the generator's alphabet (an 'i') takes no slot of the domain.
  ASSERT_TRUE(acid::testing::inspect(*store)
                  .insert_user({"auth0|odd", std::string("ac25bibab"), 0})
                  .is_ok());
  auto alloc = CodeAllocator::create(*store);
  ASSERT_TRUE(alloc.is_ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*alloc)->allocate(2025).is_ok());
  auto stats = (*alloc)->stats(25);
  ASSERT_TRUE(stats.is_ok());
  ASSERT_EQ(stats->size(), 1u);
  const YearStats &s = (*stats)[0];
  EXPECT_EQ(s.allocated, 10u);
  EXPECT_EQ(s.legacy, 1u);
  EXPECT_EQ(s.blocked, blocked_suffixes().size());
  EXPECT_EQ(s.remaining, kCodesPerYear - 10 - 1 - blocked_suffixes().size());
  auto none = (*alloc)->stats(30);
  ASSERT_TRUE(none.is_ok());
  ASSERT_EQ(none->size(), 1u);
  EXPECT_EQ((*none)[0].allocated, 0u);
}

// Two processes allocate into one SQLite file at the same time; their codes must be disjoint.
TEST(CodeAllocator, TwoProcessesGetDisjointCodes) {
  testing::TempDir dir;
  const std::string uri = fast_uri(dir);
  { ASSERT_TRUE(CodeAllocator::create(*open(uri)).is_ok()); }  // create the schema and key
  constexpr int kEach = 1500;
  std::vector<pid_t> children;
  for (int p = 0; p < 2; ++p) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto s = store::open_store(uri);
      if (!s) _exit(3);
      auto alloc = CodeAllocator::create(**s);
      if (!alloc) _exit(4);
      std::ofstream out(dir.file("codes-" + std::to_string(p)));
      for (int i = 0; i < kEach; ++i) {
        auto c = (*alloc)->allocate(2025);
        if (!c) _exit(5);
        out << c->code << '\n';
      }
      out.close();
      _exit(out ? 0 : 6);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
  }
  std::set<std::string> all;
  std::size_t lines = 0;
  for (int p = 0; p < 2; ++p) {
    std::ifstream in(dir.file("codes-" + std::to_string(p)));
    for (std::string line; std::getline(in, line);) {
      ++lines;
      all.insert(line);
    }
  }
  EXPECT_EQ(lines, 2u * kEach);
  EXPECT_EQ(all.size(), 2u * kEach);
}

}  // namespace
}  // namespace acid::code
