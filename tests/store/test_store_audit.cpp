// Conformance: the audit's streaming reads of the store port (scan_accounts, duplicate_codes).
#include <gtest/gtest.h>

#include <map>
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
using conformance::kOct2025;
using conformance::simple_codes;

class StoreAudit : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto opened = open_store(GetParam().uri(dir_));
    ASSERT_TRUE(opened.is_ok()) << opened.error().message;
    store_ = std::move(*opened);
  }
  void apply(const std::string &log_id, EventType type, const std::string &sub) {
    EventFact e;
    e.log_id = log_id;
    e.type = type;
    e.sub = sub;
    e.date = kOct2025;
    e.code_time = kOct2025;
    auto r = store_->apply_event(e, 100000, simple_codes());
    ASSERT_TRUE(r) << r.error().message;
  }
  std::map<std::string, AuditRow> scan(SubFilter tenant) {
    std::map<std::string, AuditRow> out;
    std::vector<std::string> order;
    AccountScanFilter f;
    f.tenant = tenant;
    Status st = store_->scan_accounts(f, [&](const AuditRow &row) {
      order.push_back(row.account.sub);
      out[row.account.sub] = row;
      return Status::ok();
    });
    EXPECT_TRUE(st.is_ok()) << st.error().message;
    EXPECT_EQ(order.size(), out.size()) << "a sub was visited twice";
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreAudit, ScanJoinsEveryRecordOfEverySubOnce) {
  apply("l1", EventType::signup, "auth0|a");
  apply("l2", EventType::verified, "auth0|a");
  apply("l3", EventType::signup, "sotce-auth0|b");
  ASSERT_TRUE(acid::testing::inspect(*store_)
                  .insert_user({"auth0|legacy", std::string("ac24bbbbb"), kOct2025})
                  .is_ok());
  ASSERT_TRUE(acid::testing::inspect(*store_).ensure_verifications("auth0|onlyver").is_ok());
  ASSERT_TRUE(store_->set_handle("auth0|a", "alice").is_ok());

  auto all = scan(SubFilter::all);
  ASSERT_EQ(all.size(), 4u);
  const AuditRow &a = all["auth0|a"];
  EXPECT_TRUE(a.has_user);
  EXPECT_TRUE(a.account.code.has_value());
  EXPECT_TRUE(a.account.has_verifications);
  EXPECT_EQ(a.account.verification_count, 1);
  EXPECT_EQ(a.account.state, AccountState::pending);
  EXPECT_EQ(a.account.ac_handle.value_or(""), "alice");
  // The scan's view of a sub equals get_account's.
  auto direct = store_->get_account("auth0|a");
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct->code, a.account.code);
  EXPECT_EQ(direct->verified_at, a.account.verified_at);
  EXPECT_EQ(direct->version, a.account.version);
  EXPECT_TRUE(all["auth0|legacy"].has_user);
  EXPECT_FALSE(all["auth0|legacy"].account.has_verifications);
  EXPECT_FALSE(all["auth0|onlyver"].has_user);
  EXPECT_TRUE(all["auth0|onlyver"].account.has_verifications);

  auto sotce = scan(SubFilter::sotce);
  ASSERT_EQ(sotce.size(), 1u);
  EXPECT_TRUE(sotce.contains("sotce-auth0|b"));
  auto aesthetic = scan(SubFilter::aesthetic);
  EXPECT_EQ(aesthetic.size(), 3u);
  EXPECT_FALSE(aesthetic.contains("sotce-auth0|b"));
}

TEST_P(StoreAudit, AFailingVisitorStopsTheScan) {
  for (int i = 0; i < 5; ++i) {
    apply("s" + std::to_string(i), EventType::signup, "auth0|u" + std::to_string(i));
  }
  int seen = 0;
  Status st = store_->scan_accounts({}, [&](const AuditRow &) -> Status {
    if (++seen == 2) return Error(Code::internal, "visitor gave up");
    return Status::ok();
  });
  EXPECT_EQ(st.code(), Code::internal);
  EXPECT_EQ(seen, 2);
}

TEST_P(StoreAudit, DuplicateCodesAreFoundCaseInsensitively) {
  ASSERT_TRUE(acid::testing::inspect(*store_)
                  .insert_user({"auth0|x", std::string("ac25bbbbb"), kOct2025})
                  .is_ok());
  ASSERT_TRUE(acid::testing::inspect(*store_)
                  .insert_user({"auth0|y", std::string("AC25BBBBB"), kOct2025})
                  .is_ok());
  ASSERT_TRUE(acid::testing::inspect(*store_)
                  .insert_user({"auth0|z", std::string("ac25ccccc"), kOct2025})
                  .is_ok());
  auto dups = store_->duplicate_codes();
  ASSERT_TRUE(dups) << dups.error().message;
  ASSERT_EQ(dups->size(), 1u);
  EXPECT_EQ((*dups)[0].code, "ac25bbbbb");
  EXPECT_EQ((*dups)[0].subs, (std::vector<std::string>{"auth0|x", "auth0|y"}));
}

TEST_P(StoreAudit, AnEmptyStoreScansNothing) {
  EXPECT_TRUE(scan(SubFilter::all).empty());
  auto dups = store_->duplicate_codes();
  ASSERT_TRUE(dups);
  EXPECT_TRUE(dups->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreAudit, ::testing::ValuesIn(backends()),
                         [](const auto &param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace acid::store
