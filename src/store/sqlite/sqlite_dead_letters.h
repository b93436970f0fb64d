// The dead-letter role on SQLite (the dead_letters table of migration 7): free functions the
// SqliteStore calls under its lock.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "store/dead_letters.h"
#include "store/sqlite/sqlite_db.h"

namespace acid::store::sqlite {

// The table, and the namespacing of processed log ids (see auth0::stored_log_id): rows written
// before it get "auth0:<tenant>:" by their sub, so a re-delivered old id is still a duplicate.
inline constexpr std::string_view kDeadLettersMigration = R"sql(
CREATE TABLE dead_letters (
  id             TEXT PRIMARY KEY,
  tenant         TEXT NOT NULL,
  kind           TEXT NOT NULL,
  reason         TEXT NOT NULL,
  log_id         TEXT,
  entry          BLOB NOT NULL,
  first_seen_ms  INTEGER NOT NULL,
  last_seen_ms   INTEGER NOT NULL,
  deliveries     INTEGER NOT NULL DEFAULT 1,
  replayed_ms    INTEGER,
  replay_outcome TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dead_letters_first_seen ON dead_letters (first_seen_ms);
UPDATE processed_events
   SET log_id = 'auth0:' || (CASE WHEN substr(sub, 1, 6) = 'sotce-' THEN 'sotce' ELSE 'aesthetic'
                             END) || ':' || log_id
 WHERE substr(log_id, 1, 5) <> 'acid:' AND substr(log_id, 1, 6) <> 'auth0:';
)sql";

// In one transaction: all the letters are kept, or none (the webhook then answers 503).
Status record_dead_letters(Connection &conn, std::span<const DeadLetter> letters, UnixMillis now);
Result<std::vector<DeadLetter>> list_dead_letters(Connection &conn, const DeadLetterQuery &query);
Result<DeadLetter> get_dead_letter(Connection &conn, std::string_view id);
Status record_dead_letter_replay(Connection &conn, std::string_view id, UnixMillis at, bool applied,
                                 std::string_view outcome_json);

}  // namespace acid::store::sqlite
