// Dead letters: webhook entries that were refused one by one (invalid text, too deep, not an
// object, a bad required field), kept verbatim with their reason so an operator can inspect them
// and replay them (`acidentity dead-letters list|replay`). A role of the store port (store.h);
// SQLite keeps them in the dead_letters table, MongoDB in acid_dead_letters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"

namespace acid::store {

struct DeadLetter {
  // 20 hex digits of SHA-256(tenant, entry): the same entry delivered again (Auth0 resends a
  // batch it got no 200 for) is the same letter, counted, never a second copy.
  std::string id;
  std::string tenant;  // "aesthetic" or "sotce"
  std::string kind;    // auth0::RejectedEntry::kind
  std::string reason;
  std::optional<std::string> log_id;  // when the entry carried a readable one
  std::string entry;                  // the bytes as posted (not necessarily UTF-8)
  UnixMillis first_seen = 0;
  UnixMillis last_seen = 0;
  std::int64_t deliveries = 1;  // how many deliveries carried it
  // Set by a replay that applied the entry; a failed replay only updates replay_outcome.
  std::optional<UnixMillis> replayed_at;
  std::string replay_outcome;  // JSON object of the last replay, "" if never replayed
};

struct DeadLetterQuery {
  bool include_replayed = false;
  std::size_t limit = 100;  // newest first (by first_seen)
};

inline constexpr std::size_t kMaxDeadLetterListLimit = 10000;

// The options of acid_dead_letters_list, {"include_replayed": bool, "limit": 1..10000}, both
// optional. Code::invalid for text that is not a JSON object (or over 4 KiB), and for a member
// that is unknown, of the wrong type or out of range, naming it.
Result<DeadLetterQuery> parse_dead_letter_query(std::string_view options_json);

// The id of `entry` received on `tenant`'s stream.
std::string dead_letter_id(std::string_view tenant, std::string_view entry);

// Largest entry kept: the body limit bounds it already; this guards other callers.
inline constexpr std::size_t kMaxDeadLetterBytes = std::size_t{1} << 20;

// Code::invalid when a letter lacks an id, tenant, kind or reason, or is over the size limit.
Status validate_dead_letter(const DeadLetter &letter);

}  // namespace acid::store
