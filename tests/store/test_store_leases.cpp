// Conformance: fenced, renewable job leases and the account writes guarded by the state they
// expect (issue 13 item 4), and adoption of a DID other code wrote (issue 14 item 3).
#include <gtest/gtest.h>
#include <mongoc/mongoc.h>
#include <sqlite3.h>

#include "store/store.h"
#include "support/backends.h"
#include "support/store_reader.h"
#include "support/temp_dir.h"

namespace acid::store {
namespace {

using conformance::Backend;
using conformance::backends;
using conformance::kOct2025;
using conformance::simple_codes;

EventFact verified(std::string log_id, std::string sub) {
  EventFact e;
  e.log_id = std::move(log_id);
  e.type = EventType::verified;
  e.sub = std::move(sub);
  e.date = kOct2025;
  e.code_time = kOct2025;
  return e;
}

class StoreLeases : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    uri_ = GetParam().uri(dir_);
    auto opened = open_store(uri_);
    ASSERT_TRUE(opened.is_ok()) << opened.error().message;
    store_ = std::move(*opened);
  }
  Store &store() { return *store_; }

  // A pending account (verified, provision job scheduled).
  void make_pending(const std::string &sub) {
    ASSERT_TRUE(store().apply_event(verified("v-" + sub, sub), 100000, simple_codes()).is_ok());
    ASSERT_EQ(store().get_account(sub)->state, AccountState::pending);
  }
  void make_active(const std::string &sub, const std::string &did) {
    make_pending(sub);
    auto a = store().get_account(sub);
    ASSERT_TRUE(store().save_intent(sub, {"h.test", "pw", "e@x.com", 1, 1}, a->version).is_ok());
    ASSERT_TRUE(store().mark_account_created(sub, did, "h.test", "pw", "t").is_ok());
    ASSERT_EQ(store().get_account(sub)->state, AccountState::active);
  }

  // Writes a DID onto the person's record as other code does (the deployed
  // createAtprotoAccount, an at/scripts --fix), bypassing the library: the nested
  // users.atproto.did, or the legacy flat atproto_did, in MongoDB; the accounts row in SQLite.
  void write_foreign_did(const std::string &sub, const std::string &did, bool legacy_flat) {
    if (std::string_view(GetParam().name) == "sqlite") {
      sqlite3 *db = nullptr;
      ASSERT_EQ(sqlite3_open(dir_.file("store.db").c_str(), &db), SQLITE_OK);
      const std::string sql = "UPDATE accounts SET did = '" + did + "' WHERE sub = '" + sub + "'";
      EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
      EXPECT_EQ(sqlite3_changes(db), 1);
      sqlite3_close(db);
      return;
    }
    mongoc_uri_t *uri = mongoc_uri_new(uri_.c_str());
    ASSERT_NE(uri, nullptr);
    mongoc_client_t *client = mongoc_client_new_from_uri(uri);
    mongoc_collection_t *users =
        mongoc_client_get_collection(client, mongoc_uri_get_database(uri), "users");
    bson_t *filter = BCON_NEW("_id", BCON_UTF8(sub.c_str()));
    bson_t *update = legacy_flat
                         ? BCON_NEW("$set", "{", "atproto_did", BCON_UTF8(did.c_str()), "}")
                         : BCON_NEW("$set", "{", "atproto.did", BCON_UTF8(did.c_str()), "}");
    bson_error_t error;
    EXPECT_TRUE(mongoc_collection_update_one(users, filter, update, nullptr, nullptr, &error))
        << error.message;
    bson_destroy(update);
    bson_destroy(filter);
    mongoc_collection_destroy(users);
    mongoc_client_destroy(client);
    mongoc_uri_destroy(uri);
  }

  testing::TempDir dir_;
  std::string uri_;
  std::unique_ptr<Store> store_;
};

// Two leases of one job by the same owner name (the threads of one process share it): the
// first, expired, holder can neither finish, reschedule, fail, release nor renew it.
TEST_P(StoreLeases, AStaleLeaseOfTheSameOwnerIsFenced) {
  ASSERT_TRUE(*store().schedule_job("auth0|t1", JobKind::provision, 0));
  auto first = store().lease_job("host:1:w", 10, 1000);
  ASSERT_TRUE(first.is_ok() && first->has_value());
  EXPECT_FALSE((*first)->lease_token.empty());
  auto second = store().lease_job("host:1:w", 1200, 1000);  // the first lease expired
  ASSERT_TRUE(second.is_ok() && second->has_value());
  EXPECT_EQ((*second)->id, (*first)->id);
  EXPECT_NE((*second)->lease_token, (*first)->lease_token);

  const Job &stale = **first;
  EXPECT_EQ(store().complete_job(stale, "host:1:w").code(), Code::conflict);
  EXPECT_EQ(store().reschedule_job(stale, "host:1:w", 5, "{}").code(), Code::conflict);
  EXPECT_EQ(store().fail_job(stale, "host:1:w", "{}").code(), Code::conflict);
  EXPECT_EQ(acid::testing::inspect(store()).release_job(stale, "host:1:w").code(), Code::conflict);
  EXPECT_EQ(store().renew_lease(stale, 1300, 1000).code(), Code::conflict);
  auto jobs = store().list_jobs("auth0|t1");
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_FALSE((*jobs)[0].failed);
  EXPECT_EQ((*jobs)[0].attempts, 0);

  // The current holder's outcome stands.
  ASSERT_TRUE(store().complete_job(**second, "host:1:w").is_ok());
  EXPECT_TRUE(store().list_jobs("auth0|t1")->empty());
}

TEST_P(StoreLeases, ARenewedLeaseIsNotTaken) {
  ASSERT_TRUE(*store().schedule_job("auth0|t2", JobKind::provision, 0));
  auto held = store().lease_job("w1", 100, 1000);
  ASSERT_TRUE(held.is_ok() && held->has_value());
  ASSERT_TRUE(store().renew_lease(**held, 900, 1000).is_ok());  // now until 1900
  auto other = store().lease_job("w2", 1500, 1000);
  ASSERT_TRUE(other.is_ok());
  EXPECT_FALSE(other->has_value()) << "a renewed lease was taken before it ran out";
  // Not renewed again: it runs out and another worker takes it; the renewal then fails.
  auto taken = store().lease_job("w2", 1900, 1000);
  ASSERT_TRUE(taken.is_ok() && taken->has_value());
  EXPECT_EQ(store().renew_lease(**held, 1950, 1000).code(), Code::conflict);
  EXPECT_TRUE(store().renew_lease(**taken, 1950, 1000).is_ok());
}

// A handle change made while an update_handle job runs is not lost when that run gives up.
TEST_P(StoreLeases, FailingAJobKeepsARerunRequest) {
  const UnixMillis now = now_unix_ms();
  ASSERT_TRUE(*store().schedule_job("auth0|r", JobKind::update_handle, now));
  auto running = store().lease_job("w1", now, 60'000);
  ASSERT_TRUE(running.is_ok() && running->has_value());
  EXPECT_FALSE(*store().schedule_job("auth0|r", JobKind::update_handle, now));  // asked again
  ASSERT_TRUE(store().fail_job(**running, "w1", R"({"e":"gave up"})").is_ok());
  auto jobs = store().list_jobs("auth0|r");
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_FALSE((*jobs)[0].failed) << "the request made during the run was dropped";
  EXPECT_EQ((*jobs)[0].attempts, 0);
  EXPECT_EQ((*jobs)[0].last_error, R"({"e":"gave up"})");
  auto rerun = store().lease_job("w2", now_unix_ms() + 10, 60'000);
  ASSERT_TRUE(rerun.is_ok() && rerun->has_value());
  EXPECT_EQ((*rerun)->id, (*running)->id);
  // Nothing asked meanwhile: this time it fails for good.
  ASSERT_TRUE(store().fail_job(**rerun, "w2", "{}").is_ok());
  jobs = store().list_jobs("auth0|r");
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_TRUE((*jobs)[0].failed);
}

TEST_P(StoreLeases, AStaleFailureCannotMarkAnActiveAccountFailed) {
  make_active("auth0|act", "did:plc:act");
  const std::int64_t version = store().get_account("auth0|act")->version;
  EXPECT_EQ(store().record_attempt_failure("auth0|act", 3, R"({"m":"late"})", true).code(),
            Code::conflict);
  auto a = store().get_account("auth0|act");
  EXPECT_EQ(a->state, AccountState::active);
  EXPECT_EQ(a->last_error, "");
  EXPECT_EQ(a->version, version);
  EXPECT_EQ(store().record_attempt_failure("auth0|nobody", 1, "{}", true).code(), Code::not_found);
  // Still recorded while the account is being provisioned.
  make_pending("auth0|pen");
  ASSERT_TRUE(store().record_attempt_failure("auth0|pen", 1, R"({"m":"x"})", true).is_ok());
  EXPECT_EQ(store().get_account("auth0|pen")->state, AccountState::failed);
}

TEST_P(StoreLeases, ThePdsHandleIsSetOnlyOnAnActiveAccount) {
  make_pending("auth0|ph");
  EXPECT_EQ(store().set_pds_handle("auth0|ph", "x.test", "t").code(), Code::conflict);
  EXPECT_FALSE(store().get_account("auth0|ph")->pds_handle.has_value());
  make_active("auth0|ph2", "did:plc:ph2");
  ASSERT_TRUE(store().set_pds_handle("auth0|ph2", "y.test", "t").is_ok());
  EXPECT_EQ(store().get_account("auth0|ph2")->pds_handle, "y.test");
  EXPECT_EQ(store().set_pds_handle("auth0|none", "x", "t").code(), Code::not_found);
}

// A DID written by other code onto a pending or failed account: the state follows.
TEST_P(StoreLeases, ADidWrittenByOtherCodeIsAdopted) {
  for (const bool flat : {false, true}) {
    if (flat && std::string_view(GetParam().name) == "sqlite") continue;  // no flat form there
    const std::string sub = flat ? "auth0|flat" : "auth0|nested";
    const std::string did = "did:plc:" + std::string(flat ? "flat" : "nested");
    make_pending(sub);
    write_foreign_did(sub, did, flat);
    auto a = store().get_account(sub);
    ASSERT_TRUE(a.is_ok());
    EXPECT_EQ(a->did, did);
    EXPECT_EQ(a->state, AccountState::pending);
    EXPECT_EQ(store().adopt_existing_account(sub, "did:plc:other", a->version).code(),
              Code::conflict);
    EXPECT_EQ(store().adopt_existing_account(sub, did, a->version - 1).code(), Code::conflict);
    ASSERT_TRUE(store().adopt_existing_account(sub, did, a->version).is_ok());
    a = store().get_account(sub);
    EXPECT_EQ(a->state, AccountState::active);
    EXPECT_EQ(a->did, did);
    // Only once: an active account is not adopted again.
    EXPECT_EQ(store().adopt_existing_account(sub, did, a->version).code(), Code::conflict);
  }
  // Failed accounts too.
  make_pending("auth0|fail");
  ASSERT_TRUE(store().record_attempt_failure("auth0|fail", 5, "{}", true).is_ok());
  write_foreign_did("auth0|fail", "did:plc:fail", false);
  auto f = store().get_account("auth0|fail");
  ASSERT_EQ(f->state, AccountState::failed);
  ASSERT_TRUE(store().adopt_existing_account("auth0|fail", "did:plc:fail", f->version).is_ok());
  EXPECT_EQ(store().get_account("auth0|fail")->state, AccountState::active);
  EXPECT_EQ(store().adopt_existing_account("auth0|x", "did:plc:x", 0).code(), Code::not_found);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreLeases, ::testing::ValuesIn(backends()),
                         [](const auto &param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace acid::store
