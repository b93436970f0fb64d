// The MongoDB adapter's side of the transition table (provision/account_transitions.h). An
// event's cells are grouped by decision; each group becomes one guarded single-document update
// whose filter is the $or of its cells' conditions, so the groups' filters partition the users
// documents exactly as the table partitions the cells. No state rule is written here.
//
// A cell's condition on a users document:
//   state     acid.state equal to it; a document without acid.state is `none` without a DID
//             and `active` with one (the deployed system made it).
//   DID       nested atproto.did or legacy flat atproto_did is a string (or equals a given DID).
//   intent    acid.intent is an object.
//   deletion  acid.deletedAt exists.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "provision/account_transitions.h"
#include "store/mongo/mongo_bson.h"
#include "store/mongo/mongo_commands.h"

namespace acid::store::mongo {

// The groups of `event` a store applies: for a log event, the ones that write something (a
// state, a job, dropped jobs); for a job-side move, every group that is not refused (its update
// carries the move's own fields too). In enumerate_cells() order.
std::vector<provision::DecisionGroup> groups_to_apply(provision::AccountEvent event);

// The one group of a job-side move that has a single one (save_intent, adopt, ...). Checked by
// tests/store/mongo (test_mongo_transitions.cpp) for every such event.
provision::DecisionGroup single_group(provision::AccountEvent event);

// What a condition requires of one fact: either value, or both (`any`).
enum class Need { no, yes, any };

// One conjunction of a cells condition: the states it matches, by the stored acid.state
// (`stored`), by the derived state of a document without acid.state (`legacy`: none without a
// DID, active with one), or whatever the state (`any`); and what it needs of each fact.
struct CellCondition {
  enum class By { stored, legacy, any };
  By by = By::stored;
  std::uint32_t states = 0;  // bit (1 << AccountState) per state
  Need did = Need::any;
  Need intent = Need::any;
  Need deletion = Need::any;
};

// The conjunctions whose union matches exactly `cells` (few: facts merged where both values
// are in, states joined where the facts needed agree).
std::vector<CellCondition> cell_conditions(std::span<const provision::AccountFacts> cells);

// Appends the condition matching exactly `cells` to `filter`: its fields when it is one
// conjunction, else {$or: [...]}. With `did`, "has a DID" means "holds this DID".
void append_cells_condition(Doc &filter, std::span<const provision::AccountFacts> cells,
                            std::optional<std::string_view> did = std::nullopt);

// The owed-job marker a decision writes with its state ("provision", "delete_account" (drops
// the other open jobs), "cancel" (drops only)); nullopt when it owes nothing. Code::internal for
// a decision the marker cannot express.
Result<std::optional<std::string>> owed_kind(const provision::AccountDecision &decision);

// The facts of a users document (read with Commands::read_state's projection).
Result<provision::AccountFacts> read_facts(const bson_t *users_doc);

}  // namespace acid::store::mongo
