// The dead-letter role on MongoDB: pure builders of the documents sent (one Op per round trip)
// and the reader of the documents returned; mongo_store.cpp executes them.
//
//   acid_dead_letters {_id: id, tenant, kind, reason, logId?, entry | entryBase64, firstSeen: Date,
//                      lastSeen: Date, deliveries: Long, replayedAt?: Date, replayOutcome?}
//
// `entry` holds the bytes as a string when they are UTF-8 (readable in the shell), else
// `entryBase64` holds them base64-encoded (BSON strings must be UTF-8). A new collection of the
// library's own: no deployed document is read or changed.
#pragma once

#include <string_view>

#include "store/dead_letters.h"
#include "store/mongo/mongo_bson.h"
#include "store/mongo/mongo_commands.h"

namespace acid::store::mongo {

inline constexpr std::string_view kDeadLetters = "acid_dead_letters";

class DeadLetterCommands {
 public:
  explicit DeadLetterCommands(const Commands &commands) : commands_(commands) {}

  // Upsert by _id: $setOnInsert the letter, $set lastSeen, $inc deliveries. A duplicate key on
  // _id (two first deliveries at once) means the other one inserted it: run it again.
  Op record(const DeadLetter &letter, UnixMillis now) const;
  Op list(const DeadLetterQuery &query) const;
  Op get(std::string_view id) const;
  Op record_replay(std::string_view id, UnixMillis at, bool applied,
                   std::string_view outcome_json) const;

 private:
  const Commands &commands_;
};

// A stored letter as the port sees it. Code::store when a field has an unexpected type.
Result<DeadLetter> read_dead_letter(const bson_t *doc);

}  // namespace acid::store::mongo
