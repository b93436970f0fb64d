// Conformance: the provisioning operations of the store port (facts, state, intents, jobs).
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
using conformance::kOct2025;
using conformance::simple_codes;

EventFact fact(std::string log_id, EventType type, std::string sub, UnixMillis date = kOct2025) {
  EventFact e;
  e.log_id = std::move(log_id);
  e.type = type;
  e.sub = std::move(sub);
  e.date = date;
  e.code_time = date;
  return e;
}

class StoreProvisioning : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto opened = open_store(GetParam().uri(dir_));
    ASSERT_TRUE(opened.is_ok()) << opened.error().message;
    store_ = std::move(*opened);
  }
  Result<ApplyOutcome> apply(const EventFact &e) {
    return store_->apply_event(e, 100000, simple_codes());
  }
  Store &store() { return *store_; }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreProvisioning, SignupCreatesUserCodeAndVerifications) {
  auto out = apply(fact("l1", EventType::signup, "auth0|a"));
  ASSERT_TRUE(out.is_ok()) << out.error().message;
  EXPECT_FALSE(out->duplicate);
  ASSERT_TRUE(out->new_code.has_value());
  auto a = store().get_account("auth0|a");
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->code, out->new_code->code);
  EXPECT_EQ(a->code->substr(0, 4), "ac25");
  EXPECT_EQ(a->when, kOct2025);
  EXPECT_TRUE(a->has_verifications);
  EXPECT_EQ(a->verification_count, 0);
  EXPECT_EQ(a->state, AccountState::none);
  EXPECT_EQ(a->signed_up_at, kOct2025);
}

TEST_P(StoreProvisioning, ALogIdIsAppliedOnce) {
  ASSERT_TRUE(apply(fact("l1", EventType::signup, "auth0|a")).is_ok());
  ASSERT_TRUE(apply(fact("l2", EventType::verified, "auth0|a")).is_ok());
  auto again = apply(fact("l2", EventType::verified, "auth0|a"));
  ASSERT_TRUE(again.is_ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(store().get_account("auth0|a")->verification_count, 1);
  auto jobs = store().list_jobs("auth0|a");
  ASSERT_TRUE(jobs.is_ok());
  EXPECT_EQ(jobs->size(), 1u);
}

TEST_P(StoreProvisioning, AnyOrderConvergesToTheSameState) {
  // sv before ss, ss twice (different log ids), sv twice.
  ASSERT_TRUE(apply(fact("v1", EventType::verified, "auth0|b", kOct2025 + 5000)).is_ok());
  ASSERT_TRUE(apply(fact("s1", EventType::signup, "auth0|b", kOct2025)).is_ok());
  ASSERT_TRUE(apply(fact("s2", EventType::signup, "auth0|b", kOct2025 + 1)).is_ok());
  ASSERT_TRUE(apply(fact("v2", EventType::verified, "auth0|b", kOct2025 + 9000)).is_ok());
  ASSERT_TRUE(apply(fact("s1'", EventType::signup, "auth0|c", kOct2025)).is_ok());
  ASSERT_TRUE(apply(fact("v1'", EventType::verified, "auth0|c", kOct2025 + 5000)).is_ok());
  ASSERT_TRUE(apply(fact("v2'", EventType::verified, "auth0|c", kOct2025 + 9000)).is_ok());
  for (const char *sub : {"auth0|b", "auth0|c"}) {
    auto a = store().get_account(sub);
    ASSERT_TRUE(a.is_ok());
    EXPECT_TRUE(a->code.has_value()) << sub;
    EXPECT_EQ(a->state, AccountState::pending) << sub;
    EXPECT_EQ(a->verification_count, 2) << sub;
    EXPECT_EQ(a->signed_up_at, kOct2025) << sub;
    EXPECT_EQ(a->verified_at, kOct2025 + 5000) << sub;
    auto jobs = store().list_jobs(sub);
    ASSERT_EQ(jobs->size(), 1u) << sub;
    EXPECT_EQ((*jobs)[0].kind, JobKind::provision);
  }
}

TEST_P(StoreProvisioning, EmailsAreRecordedAndChanged) {
  auto e = fact("s", EventType::signup, "auth0|e");
  e.email = "e@example.com";
  ASSERT_TRUE(apply(e).is_ok());
  EXPECT_EQ(store().get_account("auth0|e")->email, "e@example.com");
  auto c = fact("c", EventType::email_changed, "auth0|e");
  c.email = "new@example.com";
  ASSERT_TRUE(apply(c).is_ok());
  EXPECT_EQ(store().get_account("auth0|e")->email, "new@example.com");
}

TEST_P(StoreProvisioning, DeletionBeforeAnyAccountIsImmediateAndTerminal) {
  ASSERT_TRUE(apply(fact("s", EventType::signup, "auth0|d")).is_ok());
  ASSERT_TRUE(apply(fact("v", EventType::verified, "auth0|d")).is_ok());
  auto del = apply(fact("x", EventType::deleted, "auth0|d"));
  ASSERT_TRUE(del.is_ok());
  EXPECT_FALSE(del->job_scheduled);
  auto a = store().get_account("auth0|d");
  EXPECT_EQ(a->state, AccountState::deleted);
  EXPECT_TRUE(a->code.has_value());  // codes are permanent
  EXPECT_TRUE(store().list_jobs("auth0|d")->empty());
  // A late verification does not resurrect the account.
  ASSERT_TRUE(apply(fact("v2", EventType::verified, "auth0|d")).is_ok());
  EXPECT_EQ(store().get_account("auth0|d")->state, AccountState::deleted);
}

TEST_P(StoreProvisioning, DeletionOfAnActiveAccountSchedulesADeleteJob) {
  ASSERT_TRUE(apply(fact("v", EventType::verified, "auth0|z")).is_ok());
  auto a = store().get_account("auth0|z");
  ASSERT_TRUE(
      store().save_intent("auth0|z", {"z.test", "pw", "z@e.com", 1, 1}, a->version).is_ok());
  ASSERT_TRUE(store().mark_account_created("auth0|z", "did:plc:z", "z.test", "pw", "t").is_ok());
  auto del = apply(fact("x", EventType::deleted, "auth0|z"));
  ASSERT_TRUE(del.is_ok());
  EXPECT_TRUE(del->job_scheduled);
  EXPECT_EQ(store().get_account("auth0|z")->state, AccountState::deleting);
  auto jobs = store().list_jobs("auth0|z");
  ASSERT_EQ(jobs->size(), 1u);  // the provision job was replaced
  EXPECT_EQ((*jobs)[0].kind, JobKind::delete_account);
  ASSERT_TRUE(store().mark_account_deleted("auth0|z").is_ok());
  a = store().get_account("auth0|z");
  EXPECT_EQ(a->state, AccountState::deleted);
  EXPECT_FALSE(a->did.has_value());
  EXPECT_TRUE(a->code.has_value());
}

// Every way into `deleting` leaves a delete job and no other open work (the transition table's
// one rule; the embedded store used to keep other open jobs when the account was created, or
// reset, after its deletion was recorded).
TEST_P(StoreProvisioning, EveryWayIntoDeletingLeavesOnlyTheDeleteJob) {
  auto open_kinds = [&](const std::string &sub) {
    std::multiset<JobKind> kinds;
    auto jobs = store().list_jobs(sub);
    EXPECT_TRUE(jobs.is_ok());
    if (!jobs) return kinds;
    for (const Job &j : *jobs) {
      if (!j.failed) kinds.insert(j.kind);
    }
    return kinds;
  };
  // Created on the PDS while the deletion was being recorded.
  ASSERT_TRUE(apply(fact("v", EventType::verified, "auth0|cd")).is_ok());
  auto a = store().get_account("auth0|cd");
  ASSERT_TRUE(
      store().save_intent("auth0|cd", {"cd.test", "pw", "cd@e.com", 1, 1}, a->version).is_ok());
  ASSERT_TRUE(apply(fact("x", EventType::deleted, "auth0|cd")).is_ok());
  ASSERT_TRUE(*store().schedule_job("auth0|cd", JobKind::update_handle, 5));
  ASSERT_TRUE(store().mark_account_created("auth0|cd", "did:plc:cd", "cd.test", "pw", "t").is_ok());
  EXPECT_EQ(store().get_account("auth0|cd")->state, AccountState::deleting);
  EXPECT_EQ(open_kinds("auth0|cd"), std::multiset<JobKind>{JobKind::delete_account});
  // A failed account whose deletion is recorded, retried.
  ASSERT_TRUE(apply(fact("v2", EventType::verified, "auth0|rd")).is_ok());
  ASSERT_TRUE(apply(fact("x2", EventType::deleted, "auth0|rd")).is_ok());
  ASSERT_TRUE(store().record_attempt_failure("auth0|rd", 8, R"({"m":"late"})", true).is_ok());
  EXPECT_EQ(store().get_account("auth0|rd")->state, AccountState::failed);
  ASSERT_TRUE(*store().schedule_job("auth0|rd", JobKind::update_handle, 5));
  ASSERT_TRUE(store().reset_failed("auth0|rd", 7).is_ok());
  EXPECT_EQ(store().get_account("auth0|rd")->state, AccountState::deleting);
  EXPECT_EQ(open_kinds("auth0|rd"), std::multiset<JobKind>{JobKind::delete_account});
}

TEST_P(StoreProvisioning, IntentsAreCompareAndSet) {
  ASSERT_TRUE(apply(fact("v", EventType::verified, "auth0|i")).is_ok());
  auto a = store().get_account("auth0|i");
  ASSERT_TRUE(a.is_ok());
  const AccountIntent intent{"i.test", "sealed", "i@e.com", 1, 42};
  EXPECT_TRUE(store().save_intent("auth0|i", intent, a->version).is_ok());
  EXPECT_EQ(store().save_intent("auth0|i", intent, a->version).code(), Code::conflict);
  a = store().get_account("auth0|i");
  EXPECT_EQ(a->state, AccountState::creating);
  ASSERT_TRUE(a->intent.has_value());
  EXPECT_EQ(a->intent->handle, "i.test");
  EXPECT_EQ(a->intent->sealed_password, "sealed");
  EXPECT_EQ(a->intent->at, 42);

  ASSERT_TRUE(
      store().mark_account_created("auth0|i", "did:plc:i", "i.test", "sealed", "t").is_ok());
  a = store().get_account("auth0|i");
  EXPECT_EQ(a->state, AccountState::active);
  EXPECT_FALSE(a->intent.has_value());
  EXPECT_EQ(a->did, "did:plc:i");
  // A DID belongs to one person.
  ASSERT_TRUE(apply(fact("v2", EventType::verified, "auth0|j")).is_ok());
  EXPECT_EQ(store().mark_account_created("auth0|j", "did:plc:i", "j.test", "p", "t").code(),
            Code::conflict);
}

TEST_P(StoreProvisioning, FailureAndRetry) {
  ASSERT_TRUE(apply(fact("v", EventType::verified, "auth0|f")).is_ok());
  ASSERT_TRUE(store().record_attempt_failure("auth0|f", 1, R"({"m":"x"})", false).is_ok());
  EXPECT_EQ(store().get_account("auth0|f")->state, AccountState::pending);
  EXPECT_EQ(store().reset_failed("auth0|f", 0).code(), Code::conflict);
  ASSERT_TRUE(store().record_attempt_failure("auth0|f", 8, R"({"m":"y"})", true).is_ok());
  auto a = store().get_account("auth0|f");
  EXPECT_EQ(a->state, AccountState::failed);
  EXPECT_EQ(a->attempts, 8);
  EXPECT_EQ(a->last_error, R"({"m":"y"})");
  ASSERT_TRUE(store().reset_failed("auth0|f", 0).is_ok());
  a = store().get_account("auth0|f");
  EXPECT_EQ(a->state, AccountState::pending);
  EXPECT_EQ(a->attempts, 0);
  EXPECT_EQ(store().reset_failed("auth0|nobody", 0).code(), Code::not_found);
  EXPECT_EQ(store().get_account("auth0|nobody").code(), Code::not_found);
}

TEST_P(StoreProvisioning, JobsAreLeasedOnceAndLeasesExpire) {
  ASSERT_TRUE(*store().schedule_job("auth0|j1", JobKind::provision, 100));
  EXPECT_FALSE(*store().schedule_job("auth0|j1", JobKind::provision, 50));  // moved earlier
  ASSERT_TRUE(*store().schedule_job("auth0|j2", JobKind::provision, 200));

  EXPECT_FALSE(store().lease_job("w1", 10, 1000)->has_value());  // nothing due yet
  auto first = store().lease_job("w1", 150, 1000);
  ASSERT_TRUE(first.is_ok() && first->has_value());
  EXPECT_EQ((*first)->sub, "auth0|j1");
  EXPECT_EQ((*first)->due_at, 50);
  auto none = store().lease_job("w2", 150, 1000);  // j1 leased, j2 not due
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->has_value());

  // w1's lease expires; w2 steals the job; w1 can no longer finish it.
  auto stolen = store().lease_job("w2", 1200, 1000);
  ASSERT_TRUE(stolen.is_ok() && stolen->has_value());
  EXPECT_EQ((*stolen)->id, (*first)->id);
  EXPECT_EQ(store().complete_job(**first, "w1").code(), Code::conflict);
  ASSERT_TRUE(store().reschedule_job(**stolen, "w2", 5000, R"({"e":1})").is_ok());
  auto jobs = store().list_jobs("auth0|j1");
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].attempts, 1);
  EXPECT_EQ((*jobs)[0].due_at, 5000);
  EXPECT_EQ((*jobs)[0].last_error, R"({"e":1})");

  auto again = store().lease_job("w3", 6000, 1000);
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->sub, "auth0|j2");  // due first
  ASSERT_TRUE(store().fail_job(**again, "w3", "{}").is_ok());
  auto last = store().lease_job("w3", 6000, 1000);
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->sub, "auth0|j1");
  ASSERT_TRUE(acid::testing::inspect(store()).release_job(**last, "w3").is_ok());
  auto released = store().lease_job("w4", 6000, 1000);
  ASSERT_TRUE(released->has_value());
  ASSERT_TRUE(store().complete_job(**released, "w4").is_ok());
  EXPECT_FALSE(store().lease_job("w4", 99999, 1000)->has_value());
  // The failed job is kept for the audit, and a new open job may coexist with it.
  auto all = store().list_jobs("");
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE((*all)[0].failed);
  EXPECT_TRUE(*store().schedule_job("auth0|j2", JobKind::provision, 0));
}

// A job asked for again while it runs (a second handle change during the update) is not lost:
// completing the first run gives the job back, and it runs once more.
TEST_P(StoreProvisioning, AJobScheduledWhileLeasedRunsOnceMore) {
  const UnixMillis now = now_unix_ms();
  ASSERT_TRUE(*store().schedule_job("auth0|r1", JobKind::update_handle, now));
  auto running = store().lease_job("w1", now, 60'000);
  ASSERT_TRUE(running.is_ok() && running->has_value());
  EXPECT_FALSE(*store().schedule_job("auth0|r1", JobKind::update_handle, now));  // no second job
  ASSERT_TRUE(store().complete_job(**running, "w1").is_ok());
  auto rerun = store().lease_job("w2", now_unix_ms() + 10, 60'000);
  ASSERT_TRUE(rerun.is_ok() && rerun->has_value()) << "the request made during the run was lost";
  EXPECT_EQ((*rerun)->id, (*running)->id);
  ASSERT_TRUE(store().complete_job(**rerun, "w2").is_ok());  // nothing asked meanwhile: done
  EXPECT_FALSE(store().lease_job("w3", now_unix_ms() + 10, 60'000)->has_value());
  EXPECT_TRUE(store().list_jobs("auth0|r1")->empty());
}

TEST_P(StoreProvisioning, ConcurrentWorkersNeverShareAJob) {
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(store().schedule_job("auth0|c" + std::to_string(i), JobKind::provision, 0).is_ok());
  }
  std::vector<std::thread> workers;
  std::vector<std::vector<std::int64_t>> taken(4);
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      const std::string owner = "w" + std::to_string(w);
      for (;;) {
        auto job = store().lease_job(owner, 10, 60000);
        if (!job.is_ok() || !job->has_value()) break;
        taken[static_cast<std::size_t>(w)].push_back((*job)->id);
        if (!store().complete_job(**job, owner).is_ok()) break;
      }
    });
  }
  for (auto &t : workers) t.join();
  std::set<std::int64_t> all;
  std::size_t total = 0;
  for (const auto &v : taken) {
    total += v.size();
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(total, 40u);
  EXPECT_EQ(all.size(), 40u);
}

TEST_P(StoreProvisioning, ConcurrentDuplicateDeliveriesApplyOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> applied{0}, duplicates{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      auto out = apply(fact("same", EventType::verified, "auth0|dup"));
      if (out.is_ok()) (out->duplicate ? duplicates : applied)++;
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(applied.load(), 1);
  EXPECT_EQ(duplicates.load(), 5);
  EXPECT_EQ(store().get_account("auth0|dup")->verification_count, 1);
}

TEST_P(StoreProvisioning, HandlesAndPasswords) {
  ASSERT_TRUE(apply(fact("v", EventType::verified, "auth0|h")).is_ok());
  ASSERT_TRUE(store().set_handle("auth0|h", "Person").is_ok());
  EXPECT_EQ(store().get_account("auth0|h")->ac_handle, "Person");
  auto a = store().get_account("auth0|h");
  ASSERT_TRUE(
      store().save_intent("auth0|h", {"h.test", "plain", "h@e.com", 1, 1}, a->version).is_ok());
  ASSERT_TRUE(store().mark_account_created("auth0|h", "did:plc:h", "h.test", "plain", "t").is_ok());
  ASSERT_TRUE(store().set_pds_handle("auth0|h", "person.test", "t2").is_ok());
  EXPECT_EQ(store().get_account("auth0|h")->pds_handle, "person.test");
  EXPECT_EQ(store().replace_password("auth0|h", "wrong", "sealed").code(), Code::conflict);
  ASSERT_TRUE(store().replace_password("auth0|h", "plain", "sealed").is_ok());
  EXPECT_EQ(store().get_account("auth0|h")->password, "sealed");
  EXPECT_EQ(store().set_pds_handle("auth0|none", "x", "t").code(), Code::not_found);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreProvisioning, ::testing::ValuesIn(backends()),
                         [](const auto &param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace acid::store
