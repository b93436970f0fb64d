// The dead-letter role on every backend (SQLite; MongoDB when ACID_TEST_MONGODB_URI is set), and
// the SQLite migration that namespaces processed log ids written before it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/store.h"
#include "support/backends.h"
#include "support/temp_dir.h"

namespace acid::store {
namespace {

using conformance::Backend;
using conformance::backends;
using conformance::kOct2025;

class StoreDeadLetters : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto opened = open_store(GetParam().uri(dir_));
    ASSERT_TRUE(opened.is_ok()) << opened.error().message;
    store_ = std::move(*opened);
  }
  Store &store() { return *store_; }

  static DeadLetter letter(std::string tenant, std::string entry) {
    DeadLetter d;
    d.id = dead_letter_id(tenant, entry);
    d.tenant = std::move(tenant);
    d.kind = "invalid_text";
    d.reason = "why";
    d.entry = std::move(entry);
    return d;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreDeadLetters, KeptOnceByIdAndCountedPerDelivery) {
  DeadLetter a = letter("aesthetic", "[\"\xff\"]");  // not UTF-8: kept byte for byte
  a.log_id = "L1";
  const DeadLetter b = letter("sotce", "5");
  const DeadLetter both[] = {a, b};
  ASSERT_TRUE(store().record_dead_letters(both, kOct2025));
  ASSERT_TRUE(store().record_dead_letters({&a, 1}, kOct2025 + 1000));
  auto got = store().get_dead_letter(a.id);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->entry, a.entry);
  EXPECT_EQ(got->tenant, "aesthetic");
  EXPECT_EQ(got->log_id, std::optional<std::string>("L1"));
  EXPECT_EQ(got->deliveries, 2);
  EXPECT_EQ(got->first_seen, kOct2025);
  EXPECT_EQ(got->last_seen, kOct2025 + 1000);
  EXPECT_EQ(store().get_dead_letter("ffffffffffffffffffff").code(), Code::not_found);
  auto all = store().list_dead_letters({});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);
  // Invalid letters change nothing.
  DeadLetter bad = letter("aesthetic", "x");
  bad.id = "short";
  EXPECT_EQ(store().record_dead_letters({&bad, 1}, kOct2025).code(), Code::invalid);
}

TEST_P(StoreDeadLetters, ReplaysAreRecordedAndHideAppliedLetters) {
  const DeadLetter a = letter("aesthetic", "{}");
  ASSERT_TRUE(store().record_dead_letters({&a, 1}, kOct2025));
  ASSERT_TRUE(store().record_dead_letter_replay(a.id, kOct2025 + 1, false, R"({"applied":false})"));
  auto refused = store().get_dead_letter(a.id);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->replayed_at.has_value());
  EXPECT_EQ(refused->replay_outcome, R"({"applied":false})");
  ASSERT_TRUE(store().record_dead_letter_replay(a.id, kOct2025 + 2, true, R"({"applied":true})"));
  EXPECT_TRUE(store().list_dead_letters({})->empty());
  auto with_replayed = store().list_dead_letters({true, 10});
  ASSERT_TRUE(with_replayed);
  ASSERT_EQ(with_replayed->size(), 1u);
  EXPECT_EQ((*with_replayed)[0].replayed_at, std::optional<UnixMillis>(kOct2025 + 2));
  EXPECT_EQ(store().record_dead_letter_replay("ffffffffffffffffffff", 1, true, "{}").code(),
            Code::not_found);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreDeadLetters, ::testing::ValuesIn(backends()),
                         [](const auto &param_info) { return std::string(param_info.param.name); });

// A store written before migration 7 holds bare Auth0 log ids: they are namespaced by their
// sub's tenant, so Auth0 re-delivering an old id is still a duplicate after the upgrade.
TEST(SqliteDeadLetterMigration, LegacyProcessedIdsAreNamespaced) {
  testing::TempDir dir;
  {
    auto opened = open_store(dir.sqlite_uri());
    ASSERT_TRUE(opened);
  }
  sqlite3 *db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("store.db").c_str(), &db), SQLITE_OK);
  // Back to version 6 with legacy rows, then open again to run migration 7.
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TABLE dead_letters; PRAGMA user_version=6; "
                         "INSERT INTO processed_events (log_id, sub, type, applied_ms) VALUES "
                         "('900','auth0|a','ss',1),('901','sotce-auth0|b','ss',1),"
                         "('acid:delete:auth0|a','auth0|a','sdu',1)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto reopened = open_store(dir.sqlite_uri());
  ASSERT_TRUE(reopened) << reopened.error().message;
  EventFact again{"auth0:aesthetic:900", EventType::signup, "auth0|a", kOct2025,
                  std::nullopt,          kOct2025};
  auto outcome = (*reopened)->apply_event(again, 100, conformance::simple_codes());
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_TRUE(outcome->duplicate);
  EventFact sotce{"auth0:sotce:901", EventType::signup, "sotce-auth0|b",
                  kOct2025,          std::nullopt,      kOct2025};
  EXPECT_TRUE((*reopened)->apply_event(sotce, 100, conformance::simple_codes())->duplicate);
  EventFact synthetic{
      "acid:delete:auth0|a", EventType::deleted, "auth0|a", kOct2025, std::nullopt, kOct2025};
  EXPECT_TRUE((*reopened)->apply_event(synthetic, 100, conformance::simple_codes())->duplicate);
}

}  // namespace
}  // namespace acid::store
