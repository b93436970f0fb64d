// The MongoDB guarded updates come from the transition table's enumeration: per event, the
// conditions of the groups it applies match exactly their cells, never another group's, and
// every cell of the table is either in one of them or decided as writing nothing (log events)
// or refused (job-side moves). The documents themselves are pinned in test_mongo_commands.cpp.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "store/mongo/mongo_transitions.h"
#include "support/mongo_test_json.h"

namespace acid::store::mongo {
namespace {

using provision::AccountEvent;
using provision::AccountFacts;
using provision::kAllAccountEvents;
using test::D;
using Cell = std::tuple<int, bool, bool, bool>;

Cell cell(const AccountFacts &f) {
  return {static_cast<int>(f.state), f.has_did, f.has_intent, f.deletion_recorded};
}

bool fits(Need need, bool value) {
  return need == Need::any || (need == Need::yes) == value;
}

// The cells one conjunction matches, read from its parts (a document without acid.state is
// none without a DID and active with one).
std::set<Cell> cells_of(const CellCondition &c) {
  std::set<Cell> out;
  for (const AccountFacts &f : provision::enumerate_cells()) {
    if ((c.states & (1U << static_cast<unsigned>(f.state))) == 0) continue;
    if (c.by == CellCondition::By::legacy) {
      const bool derived = (f.state == AccountState::none && !f.has_did) ||
                           (f.state == AccountState::active && f.has_did);
      if (!derived) continue;
    }
    if (fits(c.did, f.has_did) && fits(c.intent, f.has_intent) &&
        fits(c.deletion, f.deletion_recorded)) {
      out.insert(cell(f));
    }
  }
  return out;
}

bool is_log_event(AccountEvent e) {
  return e == AccountEvent::signup || e == AccountEvent::verified ||
         e == AccountEvent::email_changed || e == AccountEvent::deleted;
}

TEST(MongoTransitions, TheFiltersOfAnEventPartitionItsCells) {
  for (AccountEvent event : kAllAccountEvents) {
    SCOPED_TRACE(to_string(event));
    std::set<Cell> covered;
    for (const provision::DecisionGroup &group : groups_to_apply(event)) {
      std::set<Cell> want;
      for (const AccountFacts &f : group.cells) want.insert(cell(f));
      std::set<Cell> matched;
      for (const CellCondition &c : cell_conditions(group.cells)) {
        for (const Cell &x : cells_of(c)) matched.insert(x);
      }
      EXPECT_EQ(matched, want);  // exactly the group's cells
      for (const Cell &x : matched) EXPECT_TRUE(covered.insert(x).second) << "in two groups";
      // Every applied group is a state change with a job marker MongoDB can express.
      auto kind = owed_kind(group.decision);
      EXPECT_TRUE(kind.is_ok());
    }
    // The cells no update matches: nothing to write (log events) or refused (job-side moves).
    for (const AccountFacts &f : provision::enumerate_cells()) {
      if (covered.contains(cell(f))) continue;
      const provision::AccountDecision d = provision::decide(event, f);
      if (is_log_event(event)) {
        EXPECT_FALSE(d.refused || d.new_state || d.schedule || d.drop_open_jobs);
      } else {
        EXPECT_TRUE(d.refused);
      }
    }
  }
}

// A filter changes when any one cell leaves its group: the documents in test_mongo_commands.cpp
// pin every cell.
TEST(MongoTransitions, EveryCellShowsInItsFilter) {
  for (AccountEvent event : kAllAccountEvents) {
    for (const provision::DecisionGroup &group : groups_to_apply(event)) {
      Doc whole;
      append_cells_condition(whole, group.cells);
      for (std::size_t i = 0; i < group.cells.size(); ++i) {
        std::vector<AccountFacts> fewer = group.cells;
        fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
        Doc less;
        append_cells_condition(less, fewer);
        EXPECT_NE(less.canonical_json(), whole.canonical_json()) << to_string(event);
      }
    }
  }
}

TEST(MongoTransitions, JobSideMovesWithOneUpdateHaveOneGroup) {
  for (AccountEvent event :
       {AccountEvent::intent_saved, AccountEvent::attempt_failed, AccountEvent::gave_up,
        AccountEvent::adopted_did, AccountEvent::deleted_on_pds, AccountEvent::pds_handle_set}) {
    EXPECT_EQ(groups_to_apply(event).size(), 1U) << to_string(event);
  }
}

TEST(MongoTransitions, OwedMarkers) {
  provision::AccountDecision d;
  EXPECT_FALSE(owed_kind(d)->has_value());
  d.schedule = JobKind::provision;
  EXPECT_EQ(owed_kind(d)->value_or(""), "provision");
  d.schedule = JobKind::delete_account;
  d.drop_open_jobs = true;
  EXPECT_EQ(owed_kind(d)->value_or(""), "delete_account");
  d.schedule.reset();
  EXPECT_EQ(owed_kind(d)->value_or(""), "cancel");
  d.schedule = JobKind::update_handle;  // no marker says this: an error, never a wrong job
  EXPECT_EQ(owed_kind(d).code(), Code::internal);
}

TEST(MongoTransitions, FactsOfUsersDocumentsLegacyShapesIncluded) {
  auto facts = [](const char *json) { return *read_facts(D(json).get()); };
  EXPECT_EQ(facts(R"({"_id":"a"})"), (AccountFacts{AccountState::none, false, false, false}));
  EXPECT_EQ(facts(R"({"_id":"a","atproto":{"did":"did:plc:x"}})"),
            (AccountFacts{AccountState::active, true, false, false}));
  EXPECT_EQ(facts(R"({"_id":"a","atproto_did":"did:plc:x"})"),
            (AccountFacts{AccountState::active, true, false, false}));
  EXPECT_EQ(facts(R"({"_id":"a","acid":{"state":"creating","intent":{"handle":"h"},
                      "deletedAt":@NOW@}})"),
            (AccountFacts{AccountState::creating, false, true, true}));
  // A non-string DID is no DID; a non-object intent is no intent (as the filters read them).
  EXPECT_EQ(facts(R"({"_id":"a","atproto":{"did":7},"acid":{"state":"pending","intent":"x"}})"),
            (AccountFacts{AccountState::pending, false, false, false}));
  EXPECT_FALSE(read_facts(D(R"({"_id":"a","acid":{"state":"bogus"}})").get()).is_ok());
}

}  // namespace
}  // namespace acid::store::mongo
