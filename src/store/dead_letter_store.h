// Dead letters (store/dead_letters.h): webhook entries refused one by one, kept
// for inspection and replay.
#pragma once

#include "store/records.h"

namespace acid::store {

class DeadLetterStore {
 public:
  virtual ~DeadLetterStore() = default;

  // Keeps each letter once by id: a new one is inserted, a known one gets deliveries + 1 and
  // last_seen (its entry, reason and replay state stay). Each letter is one atomic step.
  virtual Status record_dead_letters(std::span<const DeadLetter> letters, UnixMillis now) = 0;
  virtual Result<std::vector<DeadLetter>> list_dead_letters(const DeadLetterQuery &query) = 0;
  // Code::not_found when unknown.
  virtual Result<DeadLetter> get_dead_letter(std::string_view id) = 0;
  // Records a replay: its outcome (a JSON object) always, replayed_at only when `applied`.
  // Code::not_found when unknown.
  virtual Status record_dead_letter_replay(std::string_view id, UnixMillis at, bool applied,
                                           std::string_view outcome_json) = 0;
};

}  // namespace acid::store
