// The store port: the domain operations the library needs from its database, nothing generic.
// Adapters: sqlite (embedded, src/store/sqlite_store.*) and, later, mongodb. Every operation is
// atomic on its own; no caller ever does check-then-insert across two calls.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace acid::store {

struct UserRecord {
  std::string sub;                  // Auth0 subject, "auth0|..." or "sotce-auth0|..."
  std::optional<std::string> code;  // the permanent user code
  std::optional<UnixMillis> when;   // Auth0 signup time
};

// One allocation's outcome: the claimed code and how far the year's counter moved.
struct ClaimedCode {
  std::string code;
  std::uint32_t position = 0;  // the counter position the code came from
  std::uint32_t skipped = 0;   // positions passed over (taken by legacy codes or blocklisted)
};

// Maps a counter position of a two-digit year to its code; nullopt when that code must never be
// handed out (blocklisted). Called inside the store's atomic step, so it must be pure and fast.
using CodeCandidate = std::function<std::optional<std::string>(std::uint32_t position)>;

struct CodeYearState {
  int yy = 0;                       // two-digit year, 0-99
  std::uint32_t next_position = 0;  // counter: positions consumed so far
  std::uint32_t skipped = 0;        // positions skipped (legacy-taken or blocklisted)
  std::uint64_t allocated = 0;      // codes claimed by the allocator
};

class Store {
 public:
  virtual ~Store() = default;
  Store() = default;
  Store(const Store &) = delete;
  Store &operator=(const Store &) = delete;

  // "sqlite" or "mongodb".
  virtual std::string_view backend() const = 0;

  // Returns the value kept under `name`; when there is none, stores `value_if_absent` first.
  // Atomic: concurrent callers with different candidates all get the one value that won.
  virtual Result<std::string> get_or_put_secret(std::string_view name,
                                                std::string_view value_if_absent) = 0;

  // One atomic step: starting at the year's counter, asks `candidate` for the code of each
  // position, passes over blocklisted ones and codes already present (in users or claimed
  // before), claims the first free one for `sub` (may be empty), and advances the counter past
  // it. Code::exhausted once the counter reaches `capacity`; it never loops past it.
  virtual Result<ClaimedCode> claim_next_code(int yy, std::uint32_t capacity,
                                              const CodeCandidate &candidate,
                                              std::string_view sub) = 0;

  // Counter state per two-digit year: one year, or every year seen when yy is nullopt.
  virtual Result<std::vector<CodeYearState>> code_year_states(std::optional<int> yy) = 0;

  // Codes present in users for year `yy` that the allocator did not hand out (legacy random
  // codes). Used for statistics and audits.
  virtual Result<std::vector<std::string>> legacy_codes(int yy) = 0;

  // Inserts a user. Code::exists if the sub is present, Code::conflict if the code is taken.
  virtual Status insert_user(const UserRecord &user) = 0;
  // Code::not_found if absent.
  virtual Result<UserRecord> get_user(std::string_view sub) = 0;
  // The sub owning `code`, or Code::not_found.
  virtual Result<std::string> find_code_owner(std::string_view code) = 0;

  // verifications: creates the record with count 0 if missing; returns true if it was created.
  virtual Result<bool> ensure_verifications(std::string_view sub) = 0;
  // Atomically increments and returns the new count (creating the record at 1 if missing).
  virtual Result<std::int64_t> increment_verifications(std::string_view sub) = 0;
  // Code::not_found if absent.
  virtual Result<std::int64_t> get_verifications(std::string_view sub) = 0;

  // @handles: sets the person's AC handle. Code::conflict if another sub holds it (compared
  // case-insensitively, as handles are).
  virtual Status set_handle(std::string_view sub, std::string_view handle) = 0;
  virtual Result<std::string> get_handle(std::string_view sub) = 0;
};

// Opens a store from a URI: "sqlite:PATH" (created and migrated on first use). A bare path is
// refused so a typo never silently creates a database somewhere unexpected.
Result<std::unique_ptr<Store>> open_store(std::string_view uri);

// The URI to use when the caller gave none: ACID_STORE, else "sqlite:acidentity.db".
std::string default_store_uri();

}  // namespace acid::store
