#include "store/mongo/mongo_transitions.h"

#include <cstdint>

#include "store/mongo/mongo_read.h"

namespace acid::store::mongo {

namespace {

using provision::AccountDecision;
using provision::AccountEvent;
using provision::AccountFacts;
using provision::DecisionGroup;
using provision::kAllAccountStates;

Need need(bool value) {
  return value ? Need::yes : Need::no;
}

std::uint32_t bit(AccountState state) {
  return 1U << static_cast<unsigned>(state);
}

constexpr std::uint32_t kAllStates = (1U << kAllAccountStates.size()) - 1;

using Term = CellCondition;

Need &dimension(Term &t, int d) {
  return d == 0 ? t.deletion : (d == 1 ? t.intent : t.did);
}

// Merges terms that differ only in dimension `d`, one needing yes and the other no.
std::vector<Term> merge_dimension(const std::vector<Term> &terms, int d) {
  std::vector<Term> out;
  std::vector<bool> used(terms.size(), false);
  for (std::size_t i = 0; i < terms.size(); ++i) {
    if (used[i]) continue;
    Term t = terms[i];
    for (std::size_t j = i + 1; j < terms.size() && dimension(t, d) != Need::any; ++j) {
      Term other = terms[j];
      if (used[j] || other.states != t.states) continue;
      const Need mine = dimension(t, d);
      const Need theirs = dimension(other, d);
      dimension(other, d) = mine;
      const bool rest_equal =
          other.did == t.did && other.intent == t.intent && other.deletion == t.deletion;
      if (rest_equal && theirs != Need::any && theirs != mine) {
        dimension(t, d) = Need::any;
        used[j] = true;
      }
    }
    out.push_back(t);
  }
  return out;
}

// The cells as few terms: per state, facts merged dimension by dimension (deletion, intent,
// DID); then states whose terms need the same facts joined. Exact: the terms cover the cells.
std::vector<Term> terms_of(std::span<const AccountFacts> cells) {
  std::vector<Term> terms;
  for (const AccountFacts &c : cells) {
    Term t;
    t.states = bit(c.state);
    t.did = need(c.has_did);
    t.intent = need(c.has_intent);
    t.deletion = need(c.deletion_recorded);
    terms.push_back(t);
  }
  for (int d = 0; d < 3; ++d) terms = merge_dimension(terms, d);
  std::vector<Term> joined;
  for (const Term &t : terms) {
    bool placed = false;
    for (Term &j : joined) {
      if (j.did == t.did && j.intent == t.intent && j.deletion == t.deletion) {
        j.states |= t.states;
        placed = true;
        break;
      }
    }
    if (!placed) joined.push_back(t);
  }
  return joined;
}

Doc is_string() {
  return Doc().str("$type", "string");
}

Doc not_type(std::string_view type) {
  return Doc().doc("$not", Doc().str("$type", type));
}

void append_did(Doc &d, Need n, std::optional<std::string_view> did) {
  if (n == Need::no) {
    d.doc("atproto.did", not_type("string")).doc("atproto_did", not_type("string"));
  } else if (n == Need::yes) {
    Arr either;
    if (did) {
      either.doc(Doc().str("atproto.did", *did)).doc(Doc().str("atproto_did", *did));
    } else {
      either.doc(Doc().doc("atproto.did", is_string())).doc(Doc().doc("atproto_did", is_string()));
    }
    d.arr("$or", either);
  }
}

void append_other_facts(Doc &d, const Term &t) {
  if (t.intent == Need::yes) d.doc("acid.intent", Doc().str("$type", "object"));
  if (t.intent == Need::no) d.doc("acid.intent", not_type("object"));
  if (t.deletion != Need::any) {
    d.doc("acid.deletedAt", Doc().boolean("$exists", t.deletion == Need::yes));
  }
}

void append_states(Doc &d, std::uint32_t states) {
  Arr names;
  int count = 0;
  const char *only = nullptr;
  for (AccountState s : kAllAccountStates) {
    if ((states & bit(s)) == 0) continue;
    names.str(to_string(s));
    only = to_string(s);
    ++count;
  }
  if (count == 1) {
    d.str("acid.state", only);
  } else {
    d.doc("acid.state", Doc().arr("$in", names));
  }
}

void append_conjunction(Doc &d, const CellCondition &c, std::optional<std::string_view> did) {
  if (c.by == CellCondition::By::stored) append_states(d, c.states);
  if (c.by == CellCondition::By::legacy) d.doc("acid.state", Doc().boolean("$exists", false));
  append_did(d, c.did, did);
  append_other_facts(d, c);
}

// A term's conjunctions: by the stored state, plus a document without acid.state by its
// derived state when that is in the term's states.
void add_conjunctions(std::vector<CellCondition> &out, const Term &t) {
  using By = CellCondition::By;
  if (t.states == kAllStates) {  // every derived state is in the set: no state condition
    Term any = t;
    any.by = By::any;
    out.push_back(any);
    return;
  }
  out.push_back(t);
  const bool legacy_none = (t.states & bit(AccountState::none)) != 0 && t.did != Need::yes;
  const bool legacy_active = (t.states & bit(AccountState::active)) != 0 && t.did != Need::no;
  if (!legacy_none && !legacy_active) return;
  Term legacy = t;
  legacy.by = By::legacy;
  legacy.states = (legacy_none ? bit(AccountState::none) : 0U) |
                  (legacy_active ? bit(AccountState::active) : 0U);
  if (!(legacy_none && legacy_active)) legacy.did = legacy_none ? Need::no : Need::yes;
  out.push_back(legacy);
}

bool is_log_event(AccountEvent event) {
  return event == AccountEvent::signup || event == AccountEvent::verified ||
         event == AccountEvent::email_changed || event == AccountEvent::deleted;
}

bool writes(const AccountDecision &d) {
  return d.new_state || d.schedule || d.drop_open_jobs;
}

}  // namespace

std::vector<DecisionGroup> groups_to_apply(AccountEvent event) {
  std::vector<DecisionGroup> out;
  for (DecisionGroup &g : provision::group_cells(event)) {
    if (g.decision.refused) continue;
    if (is_log_event(event) && !writes(g.decision)) continue;
    out.push_back(std::move(g));
  }
  return out;
}

DecisionGroup single_group(AccountEvent event) {
  std::vector<DecisionGroup> groups = groups_to_apply(event);
  return groups.empty() ? DecisionGroup{} : std::move(groups.front());
}

std::vector<CellCondition> cell_conditions(std::span<const AccountFacts> cells) {
  std::vector<CellCondition> out;
  for (const Term &t : terms_of(cells)) add_conjunctions(out, t);
  return out;
}

void append_cells_condition(Doc &filter, std::span<const AccountFacts> cells,
                            std::optional<std::string_view> did) {
  const std::vector<CellCondition> all = cell_conditions(cells);
  if (all.empty()) {  // no cell: nothing matches
    filter.doc("acid.state", Doc().arr("$in", Arr()));
  } else if (all.size() == 1) {
    append_conjunction(filter, all.front(), did);
  } else {
    Arr either;
    for (const CellCondition &c : all) {
      Doc d;
      append_conjunction(d, c, did);
      either.doc(d);
    }
    filter.arr("$or", either);
  }
}

Result<std::optional<std::string>> owed_kind(const AccountDecision &decision) {
  if (!decision.schedule && !decision.drop_open_jobs) return std::optional<std::string>();
  if (decision.schedule == JobKind::provision && !decision.drop_open_jobs) {
    return std::optional<std::string>("provision");
  }
  if (decision.schedule == JobKind::delete_account && decision.drop_open_jobs) {
    return std::optional<std::string>("delete_account");
  }
  if (!decision.schedule && decision.drop_open_jobs) return std::optional<std::string>("cancel");
  return Error(Code::internal, "no owed-job marker for this transition");
}

Result<AccountFacts> read_facts(const bson_t *users_doc) {
  auto state = read_state(users_doc);
  if (!state) return std::move(state).error();
  AccountFacts f;
  f.state = *state;
  f.has_did = Field::find(users_doc, "atproto.did").type() == BSON_TYPE_UTF8 ||
              Field::find(users_doc, "atproto_did").type() == BSON_TYPE_UTF8;
  f.has_intent = Field::find(users_doc, "acid.intent").is_document();
  f.deletion_recorded = Field::find(users_doc, "acid.deletedAt").present();
  return f;
}

}  // namespace acid::store::mongo
