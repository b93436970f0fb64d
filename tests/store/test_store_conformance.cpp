// The store conformance suite: every semantic the library relies on, run against each backend.
// Backends are listed by backends(): SQLite, and MongoDB when ACID_TEST_MONGODB_URI is set.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "store/store.h"
#include "support/backends.h"
#include "support/mongo_test_backend.h"
#include "support/store_reader.h"
#include "support/temp_dir.h"

namespace acid::store {
namespace {

using conformance::Backend;
using conformance::backends;

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto opened = open_store(GetParam().uri(dir_));
    ASSERT_TRUE(opened.is_ok()) << opened.error().message;
    store_ = std::move(*opened);
  }
  Store &store() { return *store_; }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

// Position p maps to a code made of its digits, so tests can predict what is claimed.
std::optional<std::string> identity_code(std::uint32_t p) {
  static const char kLetters[] = "bcdfghjkmnprstvwxyz";
  std::string code = "ac25";
  std::uint32_t v = p;
  for (int i = 0; i < 5; ++i) {
    code.push_back(kLetters[v % 19]);
    v /= 19;
  }
  return code;
}

TEST_P(StoreConformance, SecretsAreWrittenOnceAndFirstWriterWins) {
  auto a = store().get_or_put_secret("k", "first");
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(*a, "first");
  auto b = store().get_or_put_secret("k", "second");
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(*b, "first");
}

TEST_P(StoreConformance, ConcurrentSecretCreationConvergesOnOneValue) {
  std::vector<std::thread> threads;
  std::vector<std::string> seen(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto v = store().get_or_put_secret("race", "candidate-" + std::to_string(i));
      seen[static_cast<std::size_t>(i)] = v.is_ok() ? *v : "error: " + v.error().message;
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 1u);
  EXPECT_EQ(seen[0].rfind("candidate-", 0), 0u) << seen[0];
}

TEST_P(StoreConformance, ClaimsSkipTakenAndBlockedCodesAndAdvanceTheCounter) {
  // Position 1's code belongs to a legacy user; position 2 is "blocklisted".
  ASSERT_TRUE(
      acid::testing::inspect(store()).insert_user({"auth0|legacy", identity_code(1), 1}).is_ok());
  auto candidate = [](std::uint32_t p) -> std::optional<std::string> {
    if (p == 2) return std::nullopt;
    return identity_code(p);
  };
  auto first = store().claim_next_code(25, 100, candidate, "auth0|a");
  ASSERT_TRUE(first.is_ok()) << first.error().message;
  EXPECT_EQ(first->code, *identity_code(0));
  EXPECT_EQ(first->skipped, 0u);
  auto second = store().claim_next_code(25, 100, candidate, "");
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(second->code, *identity_code(3));
  EXPECT_EQ(second->position, 3u);
  EXPECT_EQ(second->skipped, 2u);

  auto states = store().code_year_states(25);
  ASSERT_TRUE(states.is_ok());
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ((*states)[0].next_position, 4u);
  EXPECT_EQ((*states)[0].skipped, 2u);
  EXPECT_EQ((*states)[0].allocated, 2u);
}

TEST_P(StoreConformance, ExhaustionIsAnErrorAndNeverLoops) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store().claim_next_code(25, 3, identity_code, "").is_ok());
  }
  auto fourth = store().claim_next_code(25, 3, identity_code, "");
  ASSERT_FALSE(fourth.is_ok());
  EXPECT_EQ(fourth.code(), Code::exhausted);
  // And stays exhausted.
  EXPECT_EQ(store().claim_next_code(25, 3, identity_code, "").code(), Code::exhausted);
}

TEST_P(StoreConformance, ClaimedCodesCannotBeTakenByAnotherUser) {
  auto claimed = store().claim_next_code(25, 100, identity_code, "auth0|owner");
  ASSERT_TRUE(claimed.is_ok());
  Status st = acid::testing::inspect(store()).insert_user({"auth0|thief", claimed->code, 1});
  EXPECT_EQ(st.code(), Code::conflict);
  EXPECT_TRUE(
      acid::testing::inspect(store()).insert_user({"auth0|owner", claimed->code, 1}).is_ok());
}

TEST_P(StoreConformance, UsersAreUniqueBySubAndByCode) {
  ASSERT_TRUE(acid::testing::inspect(store())
                  .insert_user({"auth0|1", std::string("ac25babab"), 5})
                  .is_ok());
  EXPECT_EQ(
      acid::testing::inspect(store()).insert_user({"auth0|1", std::string("ac25bebeb"), 5}).code(),
      Code::exists);
  EXPECT_EQ(
      acid::testing::inspect(store()).insert_user({"auth0|2", std::string("ac25babab"), 5}).code(),
      Code::conflict);
  EXPECT_EQ(acid::testing::inspect(store()).insert_user({"", std::nullopt, std::nullopt}).code(),
            Code::invalid);
  auto user = store().get_user("auth0|1");
  ASSERT_TRUE(user.is_ok());
  EXPECT_EQ(user->code, "ac25babab");
  EXPECT_EQ(user->when, 5);
  EXPECT_EQ(store().get_user("auth0|nobody").code(), Code::not_found);
  EXPECT_EQ(*acid::testing::inspect(store()).find_code_owner("ac25babab"), "auth0|1");
  EXPECT_EQ(acid::testing::inspect(store()).find_code_owner("ac25zzzzz").code(), Code::not_found);
}

TEST_P(StoreConformance, VerificationCountsAreAtomic) {
  auto created = acid::testing::inspect(store()).ensure_verifications("auth0|v");
  ASSERT_TRUE(created.is_ok());
  EXPECT_TRUE(*created);
  EXPECT_FALSE(*acid::testing::inspect(store()).ensure_verifications("auth0|v"));
  EXPECT_EQ(*acid::testing::inspect(store()).get_verifications("auth0|v"), 0);

  constexpr int kThreads = 8, kEach = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (!acid::testing::inspect(store()).increment_verifications("auth0|v").is_ok()) ++failures;
      }
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*acid::testing::inspect(store()).get_verifications("auth0|v"), kThreads * kEach);
  // An increment without a prior record creates it at 1 (sv before ss).
  EXPECT_EQ(*acid::testing::inspect(store()).increment_verifications("auth0|early"), 1);
  EXPECT_EQ(acid::testing::inspect(store()).get_verifications("auth0|none").code(),
            Code::not_found);
}

TEST_P(StoreConformance, HandlesAreUniqueCaseInsensitively) {
  ASSERT_TRUE(store().set_handle("auth0|a", "Jeffrey").is_ok());
  EXPECT_EQ(store().set_handle("auth0|b", "jeffrey").code(), Code::conflict);
  EXPECT_TRUE(store().set_handle("auth0|a", "jeffrey").is_ok());  // own handle, new case
  EXPECT_EQ(*acid::testing::inspect(store()).get_handle("auth0|a"), "jeffrey");
  EXPECT_EQ(acid::testing::inspect(store()).get_handle("auth0|b").code(), Code::not_found);
}

TEST_P(StoreConformance, ConcurrentClaimsFromManyThreadsAreDisjoint) {
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto c = store().claim_next_code(25, 100000, identity_code, "");
        if (c.is_ok()) got[static_cast<std::size_t>(t)].push_back(c->code);
      }
    });
  }
  for (auto &t : threads) t.join();
  std::set<std::string> all;
  for (const auto &v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kEach));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::ValuesIn(backends()),
                         [](const auto &param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace acid::store
