// The embedded store: one SQLite file in WAL mode, safe for several threads (one connection
// behind a mutex) and several processes (BEGIN IMMEDIATE + busy timeout).
#include "store/sqlite_store.h"

#include <array>
#include <mutex>

#include "store/sqlite_db.h"

namespace acid::store {

namespace {

using sqlite::Connection;
using sqlite::Transaction;

// Schema migrations, applied in order; PRAGMA user_version records how many ran. Never edit a
// shipped migration: append a new one.
constexpr std::array<std::string_view, 1> kMigrations = {
    R"sql(
CREATE TABLE meta (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE users (
  sub        TEXT PRIMARY KEY,
  code       TEXT UNIQUE,
  when_ms    INTEGER
);
CREATE TABLE verifications (
  sub   TEXT PRIMARY KEY,
  count INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0)
);
CREATE TABLE handles (
  sub    TEXT PRIMARY KEY,
  handle TEXT NOT NULL
);
CREATE UNIQUE INDEX handles_handle_nocase ON handles (handle COLLATE NOCASE);
CREATE TABLE code_counters (
  yy            INTEGER PRIMARY KEY CHECK (yy BETWEEN 0 AND 99),
  next_position INTEGER NOT NULL CHECK (next_position >= 0),
  skipped       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE code_claims (
  code       TEXT PRIMARY KEY,
  yy         INTEGER NOT NULL,
  position   INTEGER NOT NULL,
  sub        TEXT,
  claimed_ms INTEGER NOT NULL
);
CREATE INDEX code_claims_yy ON code_claims (yy);
)sql",
};

std::string year_prefix(int yy) {
  std::string p = "ac";
  p.push_back(static_cast<char>('0' + yy / 10));
  p.push_back(static_cast<char>('0' + yy % 10));
  return p;
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(Connection conn) : conn_(std::move(conn)) {}

  std::string_view backend() const override { return "sqlite"; }

  Status migrate() {
    std::lock_guard lock(mu_);
    for (;;) {
      auto tx = Transaction::begin(conn_);
      if (!tx) return std::move(tx).error().context("migrating the SQLite store");
      auto version = user_version();
      if (!version) return std::move(version).error();
      if (*version > static_cast<std::int64_t>(kMigrations.size())) {
        return Error(Code::store, "the SQLite store has schema version " +
                                      std::to_string(*version) + ", newer than this library (" +
                                      std::to_string(kMigrations.size()) +
                                      "): upgrade libacidentity");
      }
      if (*version == static_cast<std::int64_t>(kMigrations.size())) return Status::ok();
      ACID_TRY(conn_.exec(kMigrations[static_cast<std::size_t>(*version)]));
      ACID_TRY(conn_.exec("PRAGMA user_version=" + std::to_string(*version + 1)));
      ACID_TRY(tx->commit());
    }
  }

  Result<std::string> get_or_put_secret(std::string_view name,
                                        std::string_view value_if_absent) override {
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    auto insert = conn_.prepare(
        "INSERT INTO meta (name, value) VALUES (?1, ?2) "
        "ON CONFLICT (name) DO NOTHING");
    if (!insert) return std::move(insert).error();
    ACID_TRY(insert->bind(1, name).bind(2, value_if_absent).run());
    auto select = conn_.prepare("SELECT value FROM meta WHERE name = ?1");
    if (!select) return std::move(select).error();
    select->bind(1, name);
    auto row = select->step();
    if (!row) return std::move(row).error();
    if (!*row) return Error(Code::internal, "secret vanished inside its own transaction");
    std::string value = select->column_text(0);
    ACID_TRY(tx->commit());
    return value;
  }

  Result<ClaimedCode> claim_next_code(int yy, std::uint32_t capacity,
                                      const CodeCandidate &candidate,
                                      std::string_view sub) override {
    if (yy < 0 || yy > 99) return Error(Code::invalid, "two-digit year out of range");
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();

    std::int64_t position = 0;
    std::int64_t skipped_before = 0;
    {
      auto read = conn_.prepare("SELECT next_position, skipped FROM code_counters WHERE yy = ?1");
      if (!read) return std::move(read).error();
      read->bind(1, static_cast<std::int64_t>(yy));
      auto row = read->step();
      if (!row) return std::move(row).error();
      if (*row) {
        position = read->column_int(0);
        skipped_before = read->column_int(1);
      }
    }

    auto taken = conn_.prepare(
        "SELECT EXISTS (SELECT 1 FROM users WHERE code = ?1) OR "
        "EXISTS (SELECT 1 FROM code_claims WHERE code = ?1)");
    if (!taken) return std::move(taken).error();

    std::uint32_t skipped = 0;
    std::optional<std::string> chosen;
    std::int64_t chosen_position = 0;
    while (position < static_cast<std::int64_t>(capacity)) {
      const auto pos = static_cast<std::uint32_t>(position);
      ++position;
      std::optional<std::string> code = candidate(pos);
      if (!code) {
        ++skipped;
        continue;
      }
      ACID_TRY(taken->reset());
      taken->bind(1, *code);
      auto row = taken->step();
      if (!row) return std::move(row).error();
      if (*row && taken->column_int(0) != 0) {
        ++skipped;
        continue;
      }
      chosen = std::move(code);
      chosen_position = pos;
      break;
    }

    // The counter moves even when the year turns out exhausted, so the skips are not redone.
    auto save = conn_.prepare(
        "INSERT INTO code_counters (yy, next_position, skipped) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (yy) DO UPDATE SET next_position = excluded.next_position, "
        "skipped = excluded.skipped");
    if (!save) return std::move(save).error();
    ACID_TRY(save->bind(1, static_cast<std::int64_t>(yy))
                 .bind(2, position)
                 .bind(3, skipped_before + skipped)
                 .run());

    if (!chosen) {
      ACID_TRY(tx->commit());
      return Error(Code::exhausted, "no user code left for two-digit year " + year_prefix(yy),
                   "{\"yy\":" + std::to_string(yy) + "}");
    }

    auto claim = conn_.prepare(
        "INSERT INTO code_claims (code, yy, position, sub, claimed_ms) VALUES (?1, ?2, ?3, ?4, "
        "?5)");
    if (!claim) return std::move(claim).error();
    claim->bind(1, *chosen)
        .bind(2, static_cast<std::int64_t>(yy))
        .bind(3, chosen_position)
        .bind(5, now_unix_ms());
    if (sub.empty()) {
      claim->bind_null(4);
    } else {
      claim->bind(4, sub);
    }
    ACID_TRY(claim->run());
    ACID_TRY(tx->commit());
    return ClaimedCode{std::move(*chosen), static_cast<std::uint32_t>(chosen_position), skipped};
  }

  Result<std::vector<CodeYearState>> code_year_states(std::optional<int> yy) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare(
        "SELECT c.yy, c.next_position, c.skipped, "
        "  (SELECT count(*) FROM code_claims k WHERE k.yy = c.yy) "
        "FROM code_counters c WHERE ?1 IS NULL OR c.yy = ?1 ORDER BY c.yy");
    if (!stmt) return std::move(stmt).error();
    if (yy) {
      stmt->bind(1, static_cast<std::int64_t>(*yy));
    } else {
      stmt->bind_null(1);
    }
    std::vector<CodeYearState> out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      out.push_back(CodeYearState{static_cast<int>(stmt->column_int(0)),
                                  static_cast<std::uint32_t>(stmt->column_int(1)),
                                  static_cast<std::uint32_t>(stmt->column_int(2)),
                                  static_cast<std::uint64_t>(stmt->column_int(3))});
    }
    return out;
  }

  Result<std::vector<std::string>> legacy_codes(int yy) override {
    if (yy < 0 || yy > 99) return Error(Code::invalid, "two-digit year out of range");
    std::lock_guard lock(mu_);
    // A range scan on the unique code index: every code of the year sorts between "acYY" and
    // "acYY{" ('{' follows 'z').
    auto stmt = conn_.prepare(
        "SELECT u.code FROM users u WHERE u.code >= ?1 AND u.code < ?2 AND NOT EXISTS "
        "(SELECT 1 FROM code_claims k WHERE k.code = u.code) ORDER BY u.code");
    if (!stmt) return std::move(stmt).error();
    const std::string prefix = year_prefix(yy);
    stmt->bind(1, prefix).bind(2, prefix + "{");
    std::vector<std::string> out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      out.push_back(stmt->column_text(0));
    }
    return out;
  }

  Status insert_user(const UserRecord &user) override {
    if (user.sub.empty()) return Error(Code::invalid, "a user needs a non-empty sub");
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    if (user.code) {
      // A code the allocator handed to someone else is taken even before their users row exists.
      auto claimed = conn_.prepare(
          "SELECT EXISTS (SELECT 1 FROM code_claims WHERE code = ?1 AND "
          "(sub IS NULL OR sub <> ?2))");
      if (!claimed) return std::move(claimed).error();
      claimed->bind(1, *user.code).bind(2, user.sub);
      auto row = claimed->step();
      if (!row) return std::move(row).error();
      if (*row && claimed->column_int(0) != 0) return code_taken(*user.code);
    }
    auto stmt = conn_.prepare("INSERT INTO users (sub, code, when_ms) VALUES (?1, ?2, ?3)");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, user.sub);
    if (user.code) {
      stmt->bind(2, *user.code);
    } else {
      stmt->bind_null(2);
    }
    if (user.when) {
      stmt->bind(3, *user.when);
    } else {
      stmt->bind_null(3);
    }
    Status st = stmt->run();
    if (!st && st.code() == Code::conflict) {
      // Tell "this person exists" from "this code is someone else's".
      const bool sub_clash = st.error().detail_json.find(
                                 std::to_string(SQLITE_CONSTRAINT_PRIMARYKEY)) != std::string::npos;
      if (sub_clash) return Error(Code::exists, "user " + user.sub + " already exists");
      return code_taken(user.code.value_or(""));
    }
    ACID_TRY(st);
    return tx->commit();
  }

  Result<UserRecord> get_user(std::string_view sub) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare("SELECT sub, code, when_ms FROM users WHERE sub = ?1");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, sub);
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return Error(Code::not_found, "no user " + std::string(sub));
    UserRecord user;
    user.sub = stmt->column_text(0);
    if (!stmt->column_is_null(1)) user.code = stmt->column_text(1);
    if (!stmt->column_is_null(2)) user.when = stmt->column_int(2);
    return user;
  }

  Result<std::string> find_code_owner(std::string_view code) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare("SELECT sub FROM users WHERE code = ?1");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, code);
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return Error(Code::not_found, "no user has code " + std::string(code));
    return stmt->column_text(0);
  }

  Result<bool> ensure_verifications(std::string_view sub) override {
    if (sub.empty()) return Error(Code::invalid, "empty sub");
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare(
        "INSERT INTO verifications (sub, count) VALUES (?1, 0) ON CONFLICT (sub) DO NOTHING");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, sub).run());
    return sqlite3_changes(conn_.raw()) > 0;
  }

  Result<std::int64_t> increment_verifications(std::string_view sub) override {
    if (sub.empty()) return Error(Code::invalid, "empty sub");
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare(
        "INSERT INTO verifications (sub, count) VALUES (?1, 1) "
        "ON CONFLICT (sub) DO UPDATE SET count = count + 1 RETURNING count");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, sub);
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return Error(Code::internal, "increment returned no row");
    const std::int64_t count = stmt->column_int(0);
    ACID_TRY(stmt->run());
    return count;
  }

  Result<std::int64_t> get_verifications(std::string_view sub) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare("SELECT count FROM verifications WHERE sub = ?1");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, sub);
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return Error(Code::not_found, "no verifications record for " + std::string(sub));
    return stmt->column_int(0);
  }

  Status set_handle(std::string_view sub, std::string_view handle) override {
    if (sub.empty() || handle.empty()) return Error(Code::invalid, "empty sub or handle");
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare(
        "INSERT INTO handles (sub, handle) VALUES (?1, ?2) "
        "ON CONFLICT (sub) DO UPDATE SET handle = excluded.handle");
    if (!stmt) return std::move(stmt).error();
    Status st = stmt->bind(1, sub).bind(2, handle).run();
    if (!st && st.code() == Code::conflict) {
      return Error(Code::conflict, "handle " + std::string(handle) + " is taken",
                   "{\"index\":\"handle\"}");
    }
    return st;
  }

  Result<std::string> get_handle(std::string_view sub) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare("SELECT handle FROM handles WHERE sub = ?1");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, sub);
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return Error(Code::not_found, "no handle for " + std::string(sub));
    return stmt->column_text(0);
  }

 private:
  static Error code_taken(const std::string &code) {
    return Error(Code::conflict, "user code " + code + " is already taken", "{\"index\":\"code\"}");
  }

  Result<std::int64_t> user_version() {
    auto stmt = conn_.prepare("PRAGMA user_version");
    if (!stmt) return std::move(stmt).error();
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return Error(Code::store, "PRAGMA user_version returned nothing");
    return stmt->column_int(0);
  }

  std::mutex mu_;  // one connection, used by one thread at a time
  Connection conn_;
};

}  // namespace

Result<SqliteOptions> parse_sqlite_options(std::string_view query) {
  SqliteOptions options;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    if (key == "synchronous" && (value == "full" || value == "normal")) {
      options.synchronous_full = value == "full";
    } else if (key == "busy_timeout_ms" && !value.empty() && value.size() <= 7 &&
               value.find_first_not_of("0123456789") == std::string_view::npos) {
      options.busy_timeout_ms = std::stoi(std::string(value));
    } else {
      return Error(Code::config, "unknown or malformed sqlite store option \"" +
                                     std::string(item.substr(0, 64)) +
                                     "\" (known: synchronous=full|normal, busy_timeout_ms=N)");
    }
  }
  return options;
}

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string &path,
                                                 const SqliteOptions &options) {
  if (path.empty()) return Error(Code::config, "sqlite store URI needs a path: sqlite:PATH");
  auto conn = Connection::open(path, options.busy_timeout_ms, options.synchronous_full);
  if (!conn) return std::move(conn).error();
  auto store = std::make_unique<SqliteStore>(std::move(*conn));
  ACID_TRY(store->migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace acid::store
