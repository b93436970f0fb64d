// The account state machine, cell by cell: every event x every state x every combination of
// facts (DID, intent, deletion recorded), with the expected decision written out here, not
// recomputed. A grid per event: one row per state, one column per facts combination.
//
// Columns, in this order:   DID   -   -   -   -   y   y   y   y
//                           intent -  -   y   y   -   -   y   y
//                           deletion - y  -   y   -   y   -   y
// Tokens: the new state (n none, p pending, c creating, a active, f failed, g deleting,
// d deleted), `=` unchanged, `x` refused; then the job scheduled (P provision, D delete_account);
// then `!` when the open jobs other than delete_account are dropped.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "provision/account_transitions.h"

namespace acid::provision {
namespace {

using S = AccountState;

struct Grid {
  AccountEvent event;
  std::map<S, std::string> rows;
};

// The Auth0 log events.
std::vector<Grid> log_event_grids() {
  return {
      {AccountEvent::signup,
       {{S::none, "= = = = = = = ="},
        {S::pending, "= = = = = = = ="},
        {S::creating, "= = = = = = = ="},
        {S::active, "= = = = = = = ="},
        {S::failed, "= = = = = = = ="},
        {S::deleting, "= = = = = = = ="},
        {S::deleted, "= = = = = = = ="}}},
      {AccountEvent::email_changed,
       {{S::none, "= = = = = = = ="},
        {S::pending, "= = = = = = = ="},
        {S::creating, "= = = = = = = ="},
        {S::active, "= = = = = = = ="},
        {S::failed, "= = = = = = = ="},
        {S::deleting, "= = = = = = = ="},
        {S::deleted, "= = = = = = = ="}}},
      {AccountEvent::verified,
       {{S::none, "pP pP pP pP pP pP pP pP"},
        {S::pending, "= = = = = = = ="},
        {S::creating, "= = = = = = = ="},
        {S::active, "= = = = = = = ="},
        {S::failed, "= = = = = = = ="},
        {S::deleting, "= = = = = = = ="},
        {S::deleted, "= = = = = = = ="}}},
      {AccountEvent::deleted,
       {{S::none, "d! d! gD! gD! gD! gD! gD! gD!"},
        {S::pending, "d! d! gD! gD! gD! gD! gD! gD!"},
        {S::creating, "gD! gD! gD! gD! gD! gD! gD! gD!"},
        {S::active, "gD! gD! gD! gD! gD! gD! gD! gD!"},
        {S::failed, "d! d! gD! gD! gD! gD! gD! gD!"},
        {S::deleting, "= = = = = = = ="},
        {S::deleted, "= = = = = = = ="}}},
  };
}

// The moves the provisioning jobs (and `user retry`, the audit's repairs) ask the store for.
std::vector<Grid> job_move_grids() {
  return {
      {AccountEvent::intent_saved,
       {{S::none, "x x x x x x x x"},
        {S::pending, "c c c c c c c c"},
        {S::creating, "c c c c c c c c"},
        {S::active, "x x x x x x x x"},
        {S::failed, "x x x x x x x x"},
        {S::deleting, "x x x x x x x x"},
        {S::deleted, "x x x x x x x x"}}},
      {AccountEvent::created_on_pds,
       {{S::none, "a gD! a gD! a gD! a gD!"},
        {S::pending, "a gD! a gD! a gD! a gD!"},
        {S::creating, "a gD! a gD! a gD! a gD!"},
        {S::active, "a gD! a gD! a gD! a gD!"},
        {S::failed, "a gD! a gD! a gD! a gD!"},
        {S::deleting, "a gD! a gD! a gD! a gD!"},
        {S::deleted, "a gD! a gD! a gD! a gD!"}}},
      {AccountEvent::attempt_failed,
       {{S::none, "= = = = = = = ="},
        {S::pending, "= = = = = = = ="},
        {S::creating, "= = = = = = = ="},
        {S::active, "x x x x x x x x"},
        {S::failed, "= = = = = = = ="},
        {S::deleting, "x x x x x x x x"},
        {S::deleted, "= = = = = = = ="}}},
      {AccountEvent::gave_up,
       {{S::none, "f f f f f f f f"},
        {S::pending, "f f f f f f f f"},
        {S::creating, "f f f f f f f f"},
        {S::active, "x x x x x x x x"},
        {S::failed, "f f f f f f f f"},
        {S::deleting, "x x x x x x x x"},
        {S::deleted, "f f f f f f f f"}}},
      {AccountEvent::adopted_did,
       {{S::none, "x x x x x x x x"},
        {S::pending, "x x x x a a a a"},
        {S::creating, "x x x x a a a a"},
        {S::active, "x x x x x x x x"},
        {S::failed, "x x x x a a a a"},
        {S::deleting, "x x x x x x x x"},
        {S::deleted, "x x x x x x x x"}}},
      {AccountEvent::reset_failed,
       {{S::none, "x x x x x x x x"},
        {S::pending, "x x x x x x x x"},
        {S::creating, "x x x x x x x x"},
        {S::active, "x x x x x x x x"},
        {S::failed, "pP gD! pP gD! pP gD! pP gD!"},
        {S::deleting, "x x x x x x x x"},
        {S::deleted, "x x x x x x x x"}}},
      {AccountEvent::deleted_on_pds,
       {{S::none, "d d d d d d d d"},
        {S::pending, "d d d d d d d d"},
        {S::creating, "d d d d d d d d"},
        {S::active, "d d d d d d d d"},
        {S::failed, "d d d d d d d d"},
        {S::deleting, "d d d d d d d d"},
        {S::deleted, "d d d d d d d d"}}},
      {AccountEvent::pds_handle_set,
       {{S::none, "x x x x x x x x"},
        {S::pending, "x x x x x x x x"},
        {S::creating, "x x x x x x x x"},
        {S::active, "= = = = = = = ="},
        {S::failed, "x x x x x x x x"},
        {S::deleting, "x x x x x x x x"},
        {S::deleted, "x x x x x x x x"}}},
  };
}

const std::vector<Grid> &expected_grids() {
  static const std::vector<Grid> grids = [] {
    std::vector<Grid> all = log_event_grids();
    for (Grid &g : job_move_grids()) all.push_back(std::move(g));
    return all;
  }();
  return grids;
}

// Whether a PDS account may exist, per cell (the same for every event): 1 yes, 0 no.
const std::map<S, std::string> &expected_may_exist() {
  static const std::map<S, std::string> rows = {
      {S::none, "0 0 1 1 1 1 1 1"},     {S::pending, "0 0 1 1 1 1 1 1"},
      {S::creating, "1 1 1 1 1 1 1 1"}, {S::active, "1 1 1 1 1 1 1 1"},
      {S::failed, "0 0 1 1 1 1 1 1"},   {S::deleting, "1 1 1 1 1 1 1 1"},
      {S::deleted, "0 0 1 1 1 1 1 1"},
  };
  return rows;
}

std::vector<std::string> tokens(const std::string &row) {
  std::istringstream in(row);
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

AccountFacts column_facts(S state, std::size_t column) {
  return AccountFacts{state, (column & 4U) != 0, (column & 2U) != 0, (column & 1U) != 0};
}

// The decision a token spells (pds_account_may_exist is checked apart).
AccountDecision parse_token(const std::string &token) {
  static const std::map<char, S> states = {{'n', S::none},   {'p', S::pending}, {'c', S::creating},
                                           {'a', S::active}, {'f', S::failed},  {'g', S::deleting},
                                           {'d', S::deleted}};
  AccountDecision d;
  std::size_t i = 0;
  if (token[0] == 'x') {
    d.refused = true;
  } else if (token[0] != '=') {
    const auto it = states.find(token[0]);
    if (it == states.end()) ADD_FAILURE() << "bad token " << token;
    if (it != states.end()) d.new_state = it->second;
  }
  for (i = 1; i < token.size(); ++i) {
    if (token[i] == 'P')
      d.schedule = JobKind::provision;
    else if (token[i] == 'D')
      d.schedule = JobKind::delete_account;
    else if (token[i] == '!')
      d.drop_open_jobs = true;
    else
      ADD_FAILURE() << "bad token " << token;
  }
  return d;
}

std::string describe(const AccountDecision &d) {
  std::string s = d.refused ? "refused" : (d.new_state ? to_string(*d.new_state) : "unchanged");
  if (d.schedule) s += std::string(" +") + to_string(*d.schedule);
  if (d.drop_open_jobs) s += " drop";
  return s;
}

TEST(AccountTransitions, EveryCellHasItsWrittenDecision) {
  ASSERT_EQ(expected_grids().size(), kAllAccountEvents.size());
  std::size_t checked = 0;
  for (const Grid &grid : expected_grids()) {
    ASSERT_EQ(grid.rows.size(), kAllAccountStates.size()) << to_string(grid.event);
    for (const auto &[state, row] : grid.rows) {
      const std::vector<std::string> cells = tokens(row);
      const std::vector<std::string> may = tokens(expected_may_exist().at(state));
      ASSERT_EQ(cells.size(), 8U) << to_string(grid.event) << " " << to_string(state);
      for (std::size_t column = 0; column < 8; ++column) {
        const AccountFacts facts = column_facts(state, column);
        const AccountDecision got = decide(grid.event, facts);
        const AccountDecision want = parse_token(cells[column]);
        SCOPED_TRACE(std::string(to_string(grid.event)) + " in " + to_string(state) + " did=" +
                     std::to_string(facts.has_did) + " intent=" + std::to_string(facts.has_intent) +
                     " deletion=" + std::to_string(facts.deletion_recorded));
        EXPECT_TRUE(got.same_writes(want)) << "got " << describe(got) << ", want " << describe(want)
                                           << " (" << cells[column] << ")";
        EXPECT_EQ(got.pds_account_may_exist, may[column] == "1");
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 12U * 7U * 8U);
}

TEST(AccountTransitions, CellsAreEveryCombinationOnce) {
  const std::vector<AccountFacts> cells = enumerate_cells();
  ASSERT_EQ(cells.size(), 56U);
  std::set<std::tuple<int, bool, bool, bool>> seen;
  for (const AccountFacts &f : cells) {
    seen.insert({static_cast<int>(f.state), f.has_did, f.has_intent, f.deletion_recorded});
  }
  EXPECT_EQ(seen.size(), 56U);
}

// The groups an adapter turns into guarded updates partition the cells of each event, and each
// group's cells all decide the group's writes.
TEST(AccountTransitions, GroupsPartitionTheCellsOfEachEvent) {
  for (AccountEvent event : kAllAccountEvents) {
    SCOPED_TRACE(to_string(event));
    std::size_t total = 0;
    std::set<std::tuple<int, bool, bool, bool>> seen;
    const std::vector<DecisionGroup> groups = group_cells(event);
    for (std::size_t i = 0; i < groups.size(); ++i) {
      for (std::size_t j = i + 1; j < groups.size(); ++j) {
        EXPECT_FALSE(groups[i].decision.same_writes(groups[j].decision));
      }
      for (const AccountFacts &f : groups[i].cells) {
        EXPECT_TRUE(decide(event, f).same_writes(groups[i].decision));
        seen.insert({static_cast<int>(f.state), f.has_did, f.has_intent, f.deletion_recorded});
        ++total;
      }
    }
    EXPECT_EQ(total, 56U);
    EXPECT_EQ(seen.size(), 56U);
  }
  // The deletion event: to deleting with a delete job, to deleted, or nothing (already going).
  const std::vector<DecisionGroup> deleted = group_cells(AccountEvent::deleted);
  ASSERT_EQ(deleted.size(), 3U);
  EXPECT_EQ(describe(deleted[0].decision), "deleted drop");
  EXPECT_EQ(deleted[0].cells.size(), 6U);  // none, pending, failed without DID and intent
  EXPECT_EQ(describe(deleted[1].decision), "deleting +delete_account drop");
  EXPECT_EQ(deleted[1].cells.size(), 34U);
  EXPECT_EQ(describe(deleted[2].decision), "unchanged");
  EXPECT_EQ(deleted[2].cells.size(), 16U);
}

TEST(AccountTransitions, LogEventsMapOneToOne) {
  EXPECT_EQ(account_event(store::EventType::signup), AccountEvent::signup);
  EXPECT_EQ(account_event(store::EventType::verified), AccountEvent::verified);
  EXPECT_EQ(account_event(store::EventType::email_changed), AccountEvent::email_changed);
  EXPECT_EQ(account_event(store::EventType::deleted), AccountEvent::deleted);
}

}  // namespace
}  // namespace acid::provision
