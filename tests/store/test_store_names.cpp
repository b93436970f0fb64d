// The names the stores write for states, event types and job kinds: stored in both databases
// and read back by parse_*, so each must round-trip and none may change.
#include <gtest/gtest.h>

#include "store/records.h"

namespace acid::store {
namespace {

TEST(StoreNames, AccountStatesRoundTrip) {
  const std::pair<AccountState, const char *> expected[] = {
      {AccountState::none, "none"},         {AccountState::pending, "pending"},
      {AccountState::creating, "creating"}, {AccountState::active, "active"},
      {AccountState::failed, "failed"},     {AccountState::deleting, "deleting"},
      {AccountState::deleted, "deleted"}};
  for (const auto &[state, name] : expected) {
    EXPECT_STREQ(to_string(state), name);
    EXPECT_EQ(parse_account_state(name), state) << name;
  }
  EXPECT_EQ(parse_account_state("Active"), std::nullopt);
  EXPECT_EQ(parse_account_state("unknown"), std::nullopt);
}

TEST(StoreNames, JobKindsRoundTrip) {
  const std::pair<JobKind, const char *> expected[] = {{JobKind::provision, "provision"},
                                                       {JobKind::update_handle, "update_handle"},
                                                       {JobKind::delete_account, "delete_account"}};
  for (const auto &[kind, name] : expected) {
    EXPECT_STREQ(to_string(kind), name);
    EXPECT_EQ(parse_job_kind(name), kind) << name;
  }
  EXPECT_EQ(parse_job_kind(""), std::nullopt);
}

TEST(StoreNames, EventTypesAreAuth0sCodes) {
  EXPECT_STREQ(to_string(EventType::signup), "ss");
  EXPECT_STREQ(to_string(EventType::verified), "sv");
  EXPECT_STREQ(to_string(EventType::email_changed), "sce");
  EXPECT_STREQ(to_string(EventType::deleted), "sdu");
}

}  // namespace
}  // namespace acid::store
