// The embedded store: one SQLite file in WAL mode, safe for several threads (one connection
// behind a mutex) and several processes (BEGIN IMMEDIATE + busy timeout).
#include "store/sqlite_store.h"

#include <array>
#include <mutex>
#include <utility>
#include <vector>

#include "store/lease_token.h"
#include "store/sqlite_db.h"
#include "store/sqlite_dead_letters.h"
#include "store/sqlite_transitions.h"

namespace acid::store {

namespace {

using provision::AccountDecision;
using provision::AccountEvent;
using provision::decide;
using sqlite::Connection;
using sqlite::Transaction;

// Schema migrations, applied in order; PRAGMA user_version records how many ran. Never edit a
// shipped migration: append a new one.
constexpr std::array<std::string_view, 7> kMigrations = {
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
    // 2: provisioning (facts, state machine, intents, PDS account, jobs, processed log ids).
    R"sql(
CREATE TABLE processed_events (
  log_id     TEXT PRIMARY KEY,
  sub        TEXT NOT NULL,
  type       TEXT NOT NULL,
  applied_ms INTEGER NOT NULL
);
CREATE TABLE accounts (
  sub            TEXT PRIMARY KEY,
  signed_up_ms   INTEGER,
  verified_ms    INTEGER,
  deleted_ms     INTEGER,
  email          TEXT,
  state          TEXT NOT NULL DEFAULT 'none'
                 CHECK (state IN ('none','pending','creating','active','failed','deleting','deleted')),
  attempts       INTEGER NOT NULL DEFAULT 0,
  last_error     TEXT NOT NULL DEFAULT '',
  intent_handle  TEXT,
  intent_password TEXT,
  intent_email   TEXT,
  intent_attempt INTEGER,
  intent_ms      INTEGER,
  did            TEXT UNIQUE,
  pds_handle     TEXT,
  password       TEXT,
  pds_created_at TEXT,
  synced_at      TEXT,
  version        INTEGER NOT NULL DEFAULT 0,
  updated_ms     INTEGER NOT NULL
);
CREATE INDEX accounts_state ON accounts (state);
CREATE TABLE jobs (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  sub            TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('provision','update_handle','delete_account')),
  status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','failed')),
  due_ms         INTEGER NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  lease_owner    TEXT,
  lease_until_ms INTEGER,
  last_error     TEXT NOT NULL DEFAULT '',
  created_ms     INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_one_open_per_kind ON jobs (sub, kind) WHERE status = 'open';
CREATE INDEX jobs_due ON jobs (status, due_ms);
)sql",
    // 3: content records mirrored into PDS repos (moods, paintings) and sync cursors.
    R"sql(
CREATE TABLE moods (
  id             TEXT PRIMARY KEY,
  user_sub       TEXT NOT NULL,
  mood           TEXT,
  when_ms        INTEGER NOT NULL,
  deleted        INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  rkey           TEXT,
  uri            TEXT,
  cid            TEXT,
  version        INTEGER NOT NULL DEFAULT 1,
  synced_version INTEGER NOT NULL DEFAULT 0,
  updated_ms     INTEGER NOT NULL
);
CREATE INDEX moods_user ON moods (user_sub, id);
CREATE INDEX moods_when ON moods (when_ms);
CREATE TABLE paintings (
  id             TEXT PRIMARY KEY,
  user_sub       TEXT NOT NULL,
  slug           TEXT,
  code           TEXT,
  image_url      TEXT,
  recording_url  TEXT,
  bucket         TEXT,
  when_ms        INTEGER NOT NULL,
  nuked          INTEGER NOT NULL DEFAULT 0 CHECK (nuked IN (0, 1)),
  rkey           TEXT,
  uri            TEXT,
  cid            TEXT,
  version        INTEGER NOT NULL DEFAULT 1,
  synced_version INTEGER NOT NULL DEFAULT 0,
  updated_ms     INTEGER NOT NULL
);
CREATE INDEX paintings_user ON paintings (user_sub, id);
CREATE INDEX paintings_when ON paintings (when_ms);
CREATE UNIQUE INDEX paintings_slug_user ON paintings (slug, user_sub);
CREATE TABLE sync_cursors (
  name       TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);
)sql",
    // 4: a fencing token per lease (the owner is per process, shared by its worker threads).
    R"sql(
ALTER TABLE jobs ADD COLUMN lease_token TEXT;
)sql",
    // 5: when an AC handle was first set and last written (@handles createdAt / updatedAt).
    R"sql(
ALTER TABLE handles ADD COLUMN created_ms INTEGER;
ALTER TABLE handles ADD COLUMN updated_ms INTEGER;
)sql",
    // 6: the other content kinds the deployed code mirrors (kidlisp, tapes, pieces); user_sub ''
    // is a guest document (the art account's repo).
    R"sql(
CREATE TABLE kidlisp (
  id TEXT PRIMARY KEY, user_sub TEXT NOT NULL, code TEXT, source TEXT, when_ms INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)), rkey TEXT, uri TEXT, cid TEXT,
  version INTEGER NOT NULL DEFAULT 1, synced_version INTEGER NOT NULL DEFAULT 0,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX kidlisp_user ON kidlisp (user_sub, id);
CREATE TABLE tapes (
  id TEXT PRIMARY KEY, user_sub TEXT NOT NULL, slug TEXT, code TEXT, bucket TEXT,
  when_ms INTEGER NOT NULL, nuked INTEGER NOT NULL DEFAULT 0 CHECK (nuked IN (0, 1)), rkey TEXT,
  uri TEXT, cid TEXT, version INTEGER NOT NULL DEFAULT 1,
  synced_version INTEGER NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL
);
CREATE INDEX tapes_user ON tapes (user_sub, id);
CREATE TABLE pieces (
  id TEXT PRIMARY KEY, user_sub TEXT NOT NULL, slug TEXT, code TEXT, name TEXT, bucket TEXT,
  when_ms INTEGER NOT NULL, nuked INTEGER NOT NULL DEFAULT 0 CHECK (nuked IN (0, 1)), rkey TEXT,
  uri TEXT, cid TEXT, version INTEGER NOT NULL DEFAULT 1,
  synced_version INTEGER NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL
);
CREATE INDEX pieces_user ON pieces (user_sub, id);
)sql",
    // 7: dead letters, and processed log ids namespaced per tenant (issue 13).
    sqlite::kDeadLettersMigration,
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
    auto insert = conn_.cached(
        "INSERT INTO meta (name, value) VALUES (?1, ?2) "
        "ON CONFLICT (name) DO NOTHING");
    if (!insert) return std::move(insert).error();
    ACID_TRY(insert->bind(1, name).bind(2, value_if_absent).run());
    auto select = conn_.cached("SELECT value FROM meta WHERE name = ?1");
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
    auto claimed = claim_in_tx(yy, capacity, candidate, sub);
    if (!claimed) return std::move(claimed).error();
    // The counter moves even when the year turns out exhausted, so the skips are not redone.
    ACID_TRY(tx->commit());
    if (!*claimed) return exhausted(yy);
    return std::move(**claimed);
  }

  Result<std::vector<CodeYearState>> code_year_states(std::optional<int> yy) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.cached(
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
    auto stmt = conn_.cached(
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
      auto claimed = conn_.cached(
          "SELECT EXISTS (SELECT 1 FROM code_claims WHERE code = ?1 AND "
          "(sub IS NULL OR sub <> ?2))");
      if (!claimed) return std::move(claimed).error();
      claimed->bind(1, *user.code).bind(2, user.sub);
      auto row = claimed->step();
      if (!row) return std::move(row).error();
      if (*row && claimed->column_int(0) != 0) return code_taken(*user.code);
    }
    auto stmt = conn_.cached("INSERT INTO users (sub, code, when_ms) VALUES (?1, ?2, ?3)");
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
    auto stmt = conn_.cached("SELECT sub, code, when_ms FROM users WHERE sub = ?1");
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
    auto stmt = conn_.cached("SELECT sub FROM users WHERE code = ?1");
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
    auto stmt = conn_.cached(
        "INSERT INTO verifications (sub, count) VALUES (?1, 0) ON CONFLICT (sub) DO NOTHING");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, sub).run());
    return sqlite3_changes(conn_.raw()) > 0;
  }

  Result<std::int64_t> increment_verifications(std::string_view sub) override {
    if (sub.empty()) return Error(Code::invalid, "empty sub");
    std::lock_guard lock(mu_);
    auto stmt = conn_.cached(
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
    auto stmt = conn_.cached("SELECT count FROM verifications WHERE sub = ?1");
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
    auto stmt = conn_.cached(
        "INSERT INTO handles (sub, handle, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?3) "
        "ON CONFLICT (sub) DO UPDATE SET handle = excluded.handle, updated_ms = "
        "excluded.updated_ms");
    if (!stmt) return std::move(stmt).error();
    Status st = stmt->bind(1, sub).bind(2, handle).bind(3, now_unix_ms()).run();
    if (!st && st.code() == Code::conflict) {
      return Error(Code::conflict, "handle " + std::string(handle) + " is taken",
                   "{\"index\":\"handle\"}");
    }
    return st;
  }

  Result<std::string> get_handle(std::string_view sub) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.cached("SELECT handle FROM handles WHERE sub = ?1");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, sub);
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return Error(Code::not_found, "no handle for " + std::string(sub));
    return stmt->column_text(0);
  }

  // ---- Provisioning ------------------------------------------------------------------------

  Result<ApplyOutcome> apply_event(const EventFact &event, std::uint32_t capacity,
                                   const CodeCandidates &candidates) override {
    auto outcomes = apply_events(std::span(&event, 1), capacity, candidates);
    if (!outcomes) return std::move(outcomes).error();
    return std::move(outcomes->front());
  }

  Result<std::vector<ApplyOutcome>> apply_events(std::span<const EventFact> events,
                                                 std::uint32_t capacity,
                                                 const CodeCandidates &candidates) override {
    for (const EventFact &event : events) {
      if (event.sub.empty() || event.log_id.empty()) {
        return Error(Code::invalid, "an event needs a log_id and a sub");
      }
    }
    std::vector<ApplyOutcome> outcomes;
    outcomes.reserve(events.size());
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    const UnixMillis now = now_unix_ms();
    for (const EventFact &event : events) {
      auto outcome = apply_in_transaction(event, now, capacity, candidates);
      if (!outcome) return std::move(outcome).error();  // the transaction rolls back: no event
      outcomes.push_back(std::move(*outcome));
    }
    ACID_TRY(tx->commit());
    return outcomes;
  }

  // One event's writes inside the caller's transaction (mu_ held).
  Result<ApplyOutcome> apply_in_transaction(const EventFact &event, UnixMillis now,
                                            std::uint32_t capacity,
                                            const CodeCandidates &candidates) {
    ApplyOutcome outcome;

    auto record = conn_.cached(
        "INSERT INTO processed_events (log_id, sub, type, applied_ms) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (log_id) DO NOTHING");
    if (!record) return std::move(record).error();
    ACID_TRY(record->bind(1, event.log_id)
                 .bind(2, event.sub)
                 .bind(3, std::string_view(to_string(event.type)))
                 .bind(4, now)
                 .run());
    if (sqlite3_changes(conn_.raw()) == 0) {
      outcome.duplicate = true;
      return outcome;  // nothing was written for this event
    }

    // One statement creates or touches the account (its version moves with every change) and
    // reads what the event's transition depends on.
    auto touched = touch_account(event, now);
    if (!touched) return std::move(touched).error();
    const AccountDecision decision = decide(provision::account_event(event.type), *touched);

    switch (event.type) {
      case EventType::signup: {
        auto code = ensure_code(event.sub, event.code_time, event.date, capacity, candidates);
        if (!code) return std::move(code).error();
        outcome.new_code = std::move(*code);
        auto v = conn_.cached(
            "INSERT INTO verifications (sub, count) VALUES (?1, 0) ON CONFLICT (sub) DO NOTHING");
        if (!v) return std::move(v).error();
        ACID_TRY(v->bind(1, event.sub).run());
        break;
      }
      case EventType::verified: {
        ACID_TRY(count_verification(event.sub));
        auto code = ensure_code(event.sub, event.code_time, event.code_time, capacity, candidates);
        if (!code) return std::move(code).error();
        outcome.new_code = std::move(*code);
        break;
      }
      case EventType::email_changed:  // touch_account recorded the email
      case EventType::deleted:        // and the deletion
        break;
    }
    // The transition table's answer: state, dropped jobs, the job it schedules.
    ACID_TRY(apply_decision(event.sub, decision, now));
    outcome.job_scheduled = decision.schedule.has_value();
    return outcome;
  }

  Result<Account> get_account(std::string_view sub) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.cached(std::string(kAccountColumns) +
                             "FROM (SELECT ?1 AS sub) s "
                             "LEFT JOIN users u ON u.sub = s.sub "
                             "LEFT JOIN verifications v ON v.sub = s.sub "
                             "LEFT JOIN accounts a ON a.sub = s.sub "
                             "LEFT JOIN handles h ON h.sub = s.sub");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, sub);
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return Error(Code::internal, "account query returned no row");
    if (stmt->column_int(22) == 0 && stmt->column_int(23) == 0 && stmt->column_int(24) == 0) {
      return Error(Code::not_found, "no user " + std::string(sub));
    }
    Account a;
    ACID_TRY(read_account(*stmt, a));
    a.sub = std::string(sub);
    return a;
  }

  Status save_intent(std::string_view sub, const AccountIntent &intent,
                     std::int64_t expected_version) override {
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    auto stored = sqlite::read_account_facts(conn_, sub);
    if (!stored) return std::move(stored).error();
    const bool applies = *stored && (*stored)->version == expected_version &&
                         !decide(AccountEvent::intent_saved, (*stored)->facts).refused;
    if (!applies) {
      return Error(Code::conflict, "account " + std::string(sub) +
                                       " changed since it was read (or is not being provisioned)");
    }
    auto stmt = conn_.cached(
        "UPDATE accounts SET intent_handle = ?3, intent_password = ?4, intent_email = ?5, "
        "  intent_attempt = ?6, intent_ms = ?7, version = version + 1, updated_ms = ?7 "
        "WHERE sub = ?1 AND version = ?2");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, sub)
                 .bind(2, expected_version)
                 .bind(3, intent.handle)
                 .bind(4, intent.sealed_password)
                 .bind(5, intent.email)
                 .bind(6, static_cast<std::int64_t>(intent.attempt))
                 .bind(7, intent.at)
                 .run());
    ACID_TRY(apply_decision(sub, decide(AccountEvent::intent_saved, (*stored)->facts), intent.at));
    return tx->commit();
  }

  Status mark_account_created(std::string_view sub, std::string_view did,
                              std::string_view pds_handle, std::string_view password,
                              std::string_view created_at_iso) override {
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    // A person deleted while createAccount was in flight: the account is recorded (so nothing
    // is orphaned) and the table says a delete job removes it.
    auto decided = decide_for(sub, AccountEvent::created_on_pds);
    if (!decided) return std::move(decided).error();
    if (decided->decision.refused) return not_changed(sub, "the transition table refused it");
    auto stmt = conn_.cached(
        "UPDATE accounts SET did = ?2, pds_handle = ?3, password = ?4, pds_created_at = ?5, "
        "  synced_at = ?5, last_error = '', intent_handle = NULL, intent_password = NULL, "
        "  intent_email = NULL, intent_attempt = NULL, intent_ms = NULL, "
        "  version = version + 1, updated_ms = ?6 "
        "WHERE sub = ?1");
    if (!stmt) return std::move(stmt).error();
    const UnixMillis now = now_unix_ms();
    Status written = stmt->bind(1, sub)
                         .bind(2, did)
                         .bind(3, pds_handle)
                         .bind(4, password)
                         .bind(5, created_at_iso)
                         .bind(6, now)
                         .run();
    if (!written && written.code() == Code::conflict) {
      return Error(Code::conflict, "DID " + std::string(did) + " already belongs to another user",
                   "{\"index\":\"did\"}");
    }
    ACID_TRY(std::move(written));
    ACID_TRY(apply_decision(sub, decided->decision, now));
    return tx->commit();
  }

  Status record_attempt_failure(std::string_view sub, int attempts, std::string_view error_json,
                                bool give_up) override {
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    auto decided = decide_for(sub, give_up ? AccountEvent::gave_up : AccountEvent::attempt_failed);
    if (!decided) return std::move(decided).error();
    if (decided->decision.refused) {
      return not_changed(sub, "its PDS account exists or is being deleted");
    }
    const UnixMillis now = now_unix_ms();
    auto stmt = conn_.cached(
        "UPDATE accounts SET attempts = ?2, last_error = ?3, version = version + 1, "
        "  updated_ms = ?4 WHERE sub = ?1");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, sub)
                 .bind(2, static_cast<std::int64_t>(attempts))
                 .bind(3, error_json)
                 .bind(4, now)
                 .run());
    ACID_TRY(apply_decision(sub, decided->decision, now));
    return tx->commit();
  }

  Status adopt_existing_account(std::string_view sub, std::string_view did,
                                std::int64_t expected_version) override {
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    auto decided = decide_for(sub, AccountEvent::adopted_did);
    if (!decided) return std::move(decided).error();
    if (decided->decision.refused || decided->stored.did != did ||
        decided->stored.version != expected_version) {
      return not_changed(sub, "it changed since it was read");
    }
    const UnixMillis now = now_unix_ms();
    auto stmt = conn_.cached(
        "UPDATE accounts SET last_error = '', intent_handle = NULL, "
        "  intent_password = NULL, intent_email = NULL, intent_attempt = NULL, "
        "  intent_ms = NULL, version = version + 1, updated_ms = ?2 "
        "WHERE sub = ?1");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, sub).bind(2, now).run());
    ACID_TRY(apply_decision(sub, decided->decision, now));
    return tx->commit();
  }

  Status reset_failed(std::string_view sub, UnixMillis now) override {
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    auto decided = decide_for(sub, AccountEvent::reset_failed);
    if (!decided) return std::move(decided).error();
    if (decided->decision.refused) {
      return Error(Code::conflict, "account " + std::string(sub) + " is " +
                                       to_string(decided->stored.facts.state) + ", not failed");
    }
    auto reset = conn_.cached("UPDATE accounts SET attempts = 0 WHERE sub = ?1");
    if (!reset) return std::move(reset).error();
    ACID_TRY(reset->bind(1, sub).run());
    // The failed job stays as history; a fresh open one does the work.
    ACID_TRY(apply_decision(sub, decided->decision, now));
    ACID_TRY(bump(sub));
    return tx->commit();
  }

  Status mark_account_deleted(std::string_view sub) override {
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    auto decided = decide_for(sub, AccountEvent::deleted_on_pds);
    if (!decided) return std::move(decided).error();
    if (decided->decision.refused) return not_changed(sub, "the transition table refused it");
    const UnixMillis now = now_unix_ms();
    auto stmt = conn_.cached(
        "UPDATE accounts SET did = NULL, pds_handle = NULL, password = NULL, "
        "  pds_created_at = NULL, synced_at = NULL, intent_handle = NULL, "
        "  intent_password = NULL, intent_email = NULL, intent_attempt = NULL, "
        "  intent_ms = NULL, last_error = '', version = version + 1, updated_ms = ?2 "
        "WHERE sub = ?1");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, sub).bind(2, now).run());
    ACID_TRY(apply_decision(sub, decided->decision, now));
    return tx->commit();
  }

  Status set_pds_handle(std::string_view sub, std::string_view pds_handle,
                        std::string_view synced_at_iso) override {
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    auto decided = decide_for(sub, AccountEvent::pds_handle_set);
    if (!decided) return std::move(decided).error();
    if (decided->decision.refused) return not_changed(sub, "it is not active");
    const UnixMillis now = now_unix_ms();
    auto stmt = conn_.cached(
        "UPDATE accounts SET pds_handle = ?2, synced_at = ?3, version = version + 1, "
        "  updated_ms = ?4 WHERE sub = ?1");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, sub).bind(2, pds_handle).bind(3, synced_at_iso).bind(4, now).run());
    ACID_TRY(apply_decision(sub, decided->decision, now));
    return tx->commit();
  }

  Status replace_password(std::string_view sub, std::string_view expected,
                          std::string_view replacement) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.cached(
        "UPDATE accounts SET password = ?3, version = version + 1 WHERE sub = ?1 AND "
        "password = ?2");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, sub).bind(2, expected).bind(3, replacement).run());
    if (sqlite3_changes(conn_.raw()) == 0) {
      return Error(Code::conflict, "the stored password of " + std::string(sub) + " changed");
    }
    return Status::ok();
  }

  // ---- Jobs --------------------------------------------------------------------------------

  Result<bool> schedule_job(std::string_view sub, JobKind kind, UnixMillis due_at) override {
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    auto created = schedule_in_tx(sub, kind, due_at);
    if (!created) return std::move(created).error();
    ACID_TRY(tx->commit());
    return *created;
  }

  Result<std::optional<Job>> lease_job(std::string_view owner, UnixMillis now,
                                       std::int64_t lease_ms) override {
    if (owner.empty()) return Error(Code::invalid, "a lease needs an owner");
    auto token = new_lease_token();
    if (!token) return std::move(token).error();
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    auto pick = conn_.cached(std::string(kJobColumns) +
                             " WHERE status = 'open' AND due_ms <= ?1 AND "
                             "(lease_until_ms IS NULL OR lease_until_ms <= ?1) "
                             "ORDER BY due_ms, id LIMIT 1");
    if (!pick) return std::move(pick).error();
    pick->bind(1, now);
    auto row = pick->step();
    if (!row) return std::move(row).error();
    if (!*row) return std::optional<Job>();
    auto job = read_job(*pick);
    if (!job) return std::move(job).error();
    auto take = conn_.cached(
        "UPDATE jobs SET lease_owner = ?2, lease_until_ms = ?3, lease_token = ?4 WHERE id = ?1");
    if (!take) return std::move(take).error();
    ACID_TRY(take->bind(1, job->id).bind(2, owner).bind(3, now + lease_ms).bind(4, *token).run());
    ACID_TRY(tx->commit());
    job->lease_owner = std::string(owner);
    job->lease_token = std::move(*token);
    job->lease_until = now + lease_ms;
    return std::optional<Job>(std::move(*job));
  }

  Status renew_lease(const Job &job, UnixMillis now, std::int64_t lease_ms) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.cached(
        "UPDATE jobs SET lease_until_ms = ?3 WHERE id = ?1 AND lease_token = ?2 "
        "AND status = 'open'");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, job.id).bind(2, job.lease_token).bind(3, now + lease_ms).run());
    return require_lease(job, job.lease_owner);
  }

  Status complete_job(const Job &job, std::string_view owner) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.cached("DELETE FROM jobs WHERE id = ?1 AND lease_token = ?2 AND due_ms = ?3");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, job.id).bind(2, job.lease_token).bind(3, job.due_at).run());
    if (sqlite3_changes(conn_.raw()) > 0) return Status::ok();
    // Asked for again while it ran (see schedule_in_tx): give it back so it runs once more.
    auto requeue = conn_.cached(
        "UPDATE jobs SET lease_owner = NULL, lease_until_ms = NULL, lease_token = NULL "
        "WHERE id = ?1 AND lease_token = ?2");
    if (!requeue) return std::move(requeue).error();
    ACID_TRY(requeue->bind(1, job.id).bind(2, job.lease_token).run());
    return require_lease(job, owner);
  }

  Status reschedule_job(const Job &job, std::string_view owner, UnixMillis due_at,
                        std::string_view error_json) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.cached(
        "UPDATE jobs SET due_ms = ?3, attempts = attempts + 1, last_error = ?4, "
        "lease_owner = NULL, lease_until_ms = NULL, lease_token = NULL "
        "WHERE id = ?1 AND lease_token = ?2");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(
        stmt->bind(1, job.id).bind(2, job.lease_token).bind(3, due_at).bind(4, error_json).run());
    return require_lease(job, owner);
  }

  Status fail_job(const Job &job, std::string_view owner, std::string_view error_json) override {
    std::lock_guard lock(mu_);
    // Asked for again while it ran (its due time moved, see schedule_in_tx): the request is
    // kept, as complete_job keeps it: open, due, a fresh count of attempts, the error noted.
    auto stmt = conn_.cached(
        "UPDATE jobs SET status = CASE WHEN due_ms = ?3 THEN 'failed' ELSE 'open' END, "
        "attempts = CASE WHEN due_ms = ?3 THEN attempts + 1 ELSE 0 END, last_error = ?4, "
        "lease_owner = NULL, lease_until_ms = NULL, lease_token = NULL "
        "WHERE id = ?1 AND lease_token = ?2");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, job.id)
                 .bind(2, job.lease_token)
                 .bind(3, job.due_at)
                 .bind(4, error_json)
                 .run());
    return require_lease(job, owner);
  }

  Status release_job(const Job &job, std::string_view owner) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.cached(
        "UPDATE jobs SET lease_owner = NULL, lease_until_ms = NULL, lease_token = NULL "
        "WHERE id = ?1 AND lease_token = ?2");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, job.id).bind(2, job.lease_token).run());
    return require_lease(job, owner);
  }

  Result<std::vector<Job>> list_jobs(std::string_view sub) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.cached(std::string(kJobColumns) + " WHERE ?1 = '' OR sub = ?1 ORDER BY id");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, sub);
    std::vector<Job> out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      auto job = read_job(*stmt);
      if (!job) return std::move(job).error();
      out.push_back(std::move(*job));
    }
    return out;
  }

  // ---- Audit (issue #6) ----------------------------------------------------------------------

  Status scan_accounts(const AccountScanFilter &filter, const AccountVisitor &visit) override {
    std::lock_guard lock(mu_);
    // One joined scan in three parts, each driven by one table's primary key with the others
    // joined by primary key: accounts, then users without accounts, then verifications with
    // neither (a UNION would sort every sub through a temporary b-tree, 30% slower).
    auto tenant = [&](const char *column) -> std::string {
      const std::string c(column);
      switch (filter.tenant) {
        case SubFilter::all:
          return "1";
        case SubFilter::sotce:
          return "(" + c + " >= 'sotce-' AND " + c + " < 'sotce.')";
        case SubFilter::aesthetic:
          return "NOT (" + c + " >= 'sotce-' AND " + c + " < 'sotce.')";
      }
      return "1";
    };
    const std::string columns = std::string(kAccountColumns) + ", ";
    auto stmt = conn_.prepare(
        columns + "a.sub FROM accounts a LEFT JOIN users u ON u.sub = a.sub " +
        "LEFT JOIN verifications v ON v.sub = a.sub LEFT JOIN handles h ON h.sub = a.sub " +
        "WHERE " + tenant("a.sub") + " UNION ALL " + columns +
        "u.sub FROM users u LEFT JOIN accounts a ON a.sub = u.sub " +
        "LEFT JOIN verifications v ON v.sub = u.sub LEFT JOIN handles h ON h.sub = u.sub " +
        "WHERE a.sub IS NULL AND " + tenant("u.sub") + " UNION ALL " + columns +
        "v.sub FROM verifications v LEFT JOIN users u ON u.sub = v.sub " +
        "LEFT JOIN accounts a ON a.sub = v.sub LEFT JOIN handles h ON h.sub = v.sub " +
        "WHERE u.sub IS NULL AND a.sub IS NULL AND " + tenant("v.sub"));
    if (!stmt) return std::move(stmt).error();
    AuditRow row;
    for (;;) {
      auto more = stmt->step();
      if (!more) return std::move(more).error();
      if (!*more) return Status::ok();
      Account &a = row.account;
      a = Account{};
      ACID_TRY(read_account(*stmt, a));
      a.sub = stmt->column_text(25);
      row.has_user = stmt->column_int(22) != 0;
      row.has_accounts = stmt->column_int(24) != 0;
      ACID_TRY(visit(row));
    }
  }

  Result<std::vector<DuplicateCode>> duplicate_codes() override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare(
        "SELECT lower(u.code), u.sub FROM users u JOIN ("
        "  SELECT lower(code) AS c FROM users WHERE code IS NOT NULL GROUP BY lower(code) "
        "  HAVING count(*) > 1) d ON lower(u.code) = d.c ORDER BY 1, 2");
    if (!stmt) return std::move(stmt).error();
    std::vector<DuplicateCode> out;
    for (;;) {
      auto more = stmt->step();
      if (!more) return std::move(more).error();
      if (!*more) break;
      std::string code = stmt->column_text(0);
      if (out.empty() || out.back().code != code) out.push_back(DuplicateCode{code, {}});
      out.back().subs.push_back(stmt->column_text(1));
    }
    return out;
  }

  // ---- Content records and sync cursors --------------------------------------------------------

  Result<bool> upsert_content(const ContentDoc &doc) override {
    auto table = content_table(doc.collection);
    if (!table) return std::move(table).error();
    const ContentTable &t = **table;
    if (doc.id.empty()) return Error(Code::invalid, "a content document needs a non-empty _id");
    for (const auto &[name, value] : doc.fields) {
      if (t.column_of(name).empty()) {
        return Error(Code::invalid, "field \"" + name + "\" is not part of " + doc.collection);
      }
    }
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    auto existing = read_content_row(t, doc.id);
    if (!existing) return std::move(existing).error();
    if (*existing && (*existing)->user != doc.user && (*existing)->atproto.rkey) {
      return Error(Code::conflict, doc.collection + " " + doc.id +
                                       " has a record in the repo of its user: its user cannot "
                                       "change (delete it and import a new document)");
    }
    std::string columns = "id, user_sub, when_ms, " + std::string(t.deleted_column);
    std::string values = "?1, ?2, ?3, ?4";
    std::string set = "user_sub = excluded.user_sub, when_ms = excluded.when_ms, " +
                      std::string(t.deleted_column) + " = excluded." +
                      std::string(t.deleted_column);
    std::string changed =
        "user_sub IS NOT excluded.user_sub OR when_ms IS NOT excluded.when_ms OR " +
        std::string(t.deleted_column) + " IS NOT excluded." + std::string(t.deleted_column);
    int index = 5;
    for (const auto &[field, column] : t.fields) {
      const std::string col(column);
      columns += ", " + col;
      values += ", ?" + std::to_string(index++);
      set += ", " + col + " = excluded." + col;
      changed += " OR " + col + " IS NOT excluded." + col;
    }
    const std::string now_param = "?" + std::to_string(index);
    auto stmt =
        conn_.prepare("INSERT INTO " + std::string(t.table) + " (" + columns +
                      ", version, synced_version, updated_ms) VALUES (" + values + ", 1, 0, " +
                      now_param + ") ON CONFLICT (id) DO UPDATE SET " + set +
                      ", version = version + 1, updated_ms = excluded.updated_ms WHERE " + changed);
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, doc.id)
        .bind(2, doc.user)
        .bind(3, doc.when)
        .bind(4, static_cast<std::int64_t>(doc.deleted ? 1 : 0));
    index = 5;
    for (const auto &[field, column] : t.fields) {
      auto it = doc.fields.find(std::string(field));
      if (it == doc.fields.end()) {
        stmt->bind_null(index++);
      } else {
        stmt->bind(index++, it->second);
      }
    }
    stmt->bind(index, now_unix_ms());
    Status st = stmt->run();
    if (!st && st.code() == Code::conflict) {
      return Error(
          Code::conflict,
          doc.collection + " " + doc.id + " clashes with another document: " + st.error().message,
          st.error().detail_json);
    }
    ACID_TRY(st);
    const bool did_change = sqlite3_changes(conn_.raw()) > 0;
    ACID_TRY(tx->commit());
    return did_change;
  }

  Result<ContentDoc> get_content(std::string_view collection, std::string_view id) override {
    auto table = content_table(collection);
    if (!table) return std::move(table).error();
    std::lock_guard lock(mu_);
    auto row = read_content_row(**table, id);
    if (!row) return std::move(row).error();
    if (!*row) return content_missing(collection, id);
    return std::move(**row);
  }

  Result<bool> set_content_deleted(std::string_view collection, std::string_view id,
                                   bool deleted) override {
    auto table = content_table(collection);
    if (!table) return std::move(table).error();
    const std::string del((*table)->deleted_column);
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    auto stmt = conn_.prepare("UPDATE " + std::string((*table)->table) + " SET " + del +
                              " = ?2, version = version + 1, updated_ms = ?3 WHERE id = ?1 AND " +
                              del + " <> ?2");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, id)
                 .bind(2, static_cast<std::int64_t>(deleted ? 1 : 0))
                 .bind(3, now_unix_ms())
                 .run());
    const bool changed = sqlite3_changes(conn_.raw()) > 0;
    if (!changed) {
      auto row = read_content_row(**table, id);
      if (!row) return std::move(row).error();
      if (!*row) return content_missing(collection, id);
    }
    ACID_TRY(tx->commit());
    return changed;
  }

  Result<std::vector<ContentDoc>> list_content(std::string_view collection, std::string_view user,
                                               std::string_view after_id,
                                               std::size_t limit) override {
    auto table = content_table(collection);
    if (!table) return std::move(table).error();
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare(content_select(**table) +
                              " WHERE (?1 = '' OR user_sub = ?1) AND id > ?2 ORDER BY id LIMIT ?3");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, user).bind(2, after_id).bind(3, static_cast<std::int64_t>(limit));
    std::vector<ContentDoc> out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      out.push_back(read_content(**table, *stmt));
    }
    return out;
  }

  Result<std::vector<std::string>> content_users(std::string_view collection,
                                                 std::string_view after_user, std::size_t limit,
                                                 bool needing_sync) override {
    auto table = content_table(collection);
    if (!table) return std::move(table).error();
    const std::string del((*table)->deleted_column);
    std::lock_guard lock(mu_);
    // The SQL twin of content_need(): deleted with a key, or live and not (fully) written.
    auto stmt = conn_.prepare(
        "SELECT DISTINCT user_sub FROM " + std::string((*table)->table) +
        " WHERE user_sub > ?1 AND (?3 = 0 OR (" + del + " = 1 AND rkey IS NOT NULL) OR (" + del +
        " = 0 AND (rkey IS NULL OR uri IS NULL OR synced_version < version))) "
        "ORDER BY user_sub LIMIT ?2");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, after_user)
        .bind(2, static_cast<std::int64_t>(limit))
        .bind(3, static_cast<std::int64_t>(needing_sync ? 1 : 0));
    std::vector<std::string> out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      out.push_back(stmt->column_text(0));
    }
    return out;
  }

  Result<std::string> claim_content_rkey(std::string_view collection, std::string_view id,
                                         std::string_view rkey) override {
    auto table = content_table(collection);
    if (!table) return std::move(table).error();
    if (rkey.empty()) return Error(Code::invalid, "an empty record key");
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare("UPDATE " + std::string((*table)->table) +
                              " SET rkey = COALESCE(rkey, ?2), updated_ms = ?3 WHERE id = ?1 "
                              "RETURNING rkey");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, id).bind(2, rkey).bind(3, now_unix_ms());
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return content_missing(collection, id);
    std::string held = stmt->column_text(0);
    ACID_TRY(stmt->run());
    return held;
  }

  Status mark_content_synced(std::string_view collection, std::string_view id,
                             std::string_view rkey, std::string_view uri, std::string_view cid,
                             std::int64_t version) override {
    auto table = content_table(collection);
    if (!table) return std::move(table).error();
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare(
        "UPDATE " + std::string((*table)->table) +
        " SET uri = ?3, cid = ?4, synced_version = MAX(synced_version, ?5), updated_ms = ?6 "
        "WHERE id = ?1 AND rkey = ?2");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, id)
                 .bind(2, rkey)
                 .bind(3, uri)
                 .bind(4, cid)
                 .bind(5, version)
                 .bind(6, now_unix_ms())
                 .run());
    if (sqlite3_changes(conn_.raw()) == 0) return rkey_moved(collection, id, rkey);
    return Status::ok();
  }

  Result<std::vector<std::string>> claim_content_rkeys(
      std::string_view collection, const std::vector<RkeyClaim> &claims) override {
    auto table = content_table(collection);
    if (!table) return std::move(table).error();
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    auto stmt = conn_.prepare("UPDATE " + std::string((*table)->table) +
                              " SET rkey = COALESCE(rkey, ?2), updated_ms = ?3 WHERE id = ?1 "
                              "RETURNING rkey");
    if (!stmt) return std::move(stmt).error();
    std::vector<std::string> held;
    held.reserve(claims.size());
    const UnixMillis now = now_unix_ms();
    for (const RkeyClaim &c : claims) {
      if (c.rkey.empty()) return Error(Code::invalid, "an empty record key");
      ACID_TRY(stmt->reset());
      stmt->bind(1, c.id).bind(2, c.rkey).bind(3, now);
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) return content_missing(collection, c.id);
      held.push_back(stmt->column_text(0));
      ACID_TRY(stmt->run());
    }
    ACID_TRY(tx->commit());
    return held;
  }

  Result<std::vector<bool>> mark_contents_synced(
      std::string_view collection, const std::vector<SyncedRecord> &records) override {
    auto table = content_table(collection);
    if (!table) return std::move(table).error();
    std::lock_guard lock(mu_);
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error();
    auto stmt = conn_.prepare("UPDATE " + std::string((*table)->table) +
                              " SET uri = ?3, cid = ?4, synced_version = MAX(synced_version, ?5), "
                              "updated_ms = ?6 WHERE id = ?1 AND rkey = ?2");
    if (!stmt) return std::move(stmt).error();
    std::vector<bool> matched;
    matched.reserve(records.size());
    const UnixMillis now = now_unix_ms();
    for (const SyncedRecord &r : records) {
      ACID_TRY(stmt->reset());
      ACID_TRY(stmt->bind(1, r.id)
                   .bind(2, r.rkey)
                   .bind(3, r.uri)
                   .bind(4, r.cid)
                   .bind(5, r.version)
                   .bind(6, now)
                   .run());
      matched.push_back(sqlite3_changes(conn_.raw()) > 0);
    }
    ACID_TRY(tx->commit());
    return matched;
  }

  Status clear_content_record(std::string_view collection, std::string_view id,
                              std::string_view rkey) override {
    auto table = content_table(collection);
    if (!table) return std::move(table).error();
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare("UPDATE " + std::string((*table)->table) +
                              " SET rkey = NULL, uri = NULL, cid = NULL, synced_version = 0, "
                              "updated_ms = ?3 WHERE id = ?1 AND rkey = ?2");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, id).bind(2, rkey).bind(3, now_unix_ms()).run());
    if (sqlite3_changes(conn_.raw()) == 0) return rkey_moved(collection, id, rkey);
    return Status::ok();
  }

  Status mark_content_unsynced(std::string_view collection, std::string_view id) override {
    auto table = content_table(collection);
    if (!table) return std::move(table).error();
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare("UPDATE " + std::string((*table)->table) +
                              " SET uri = NULL, cid = NULL, synced_version = 0, updated_ms = ?2 "
                              "WHERE id = ?1");
    if (!stmt) return std::move(stmt).error();
    ACID_TRY(stmt->bind(1, id).bind(2, now_unix_ms()).run());
    if (sqlite3_changes(conn_.raw()) == 0) return content_missing(collection, id);
    return Status::ok();
  }

  Result<std::string> get_sync_cursor(std::string_view name) override {
    std::lock_guard lock(mu_);
    auto stmt = conn_.prepare("SELECT value FROM sync_cursors WHERE name = ?1");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, name);
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return std::string();
    return stmt->column_text(0);
  }

  Status set_sync_cursor(std::string_view name, std::string_view value) override {
    if (name.empty()) return Error(Code::invalid, "a sync cursor needs a name");
    std::lock_guard lock(mu_);
    auto stmt = value.empty()
                    ? conn_.prepare("DELETE FROM sync_cursors WHERE name = ?1")
                    : conn_.prepare(
                          "INSERT INTO sync_cursors (name, value, updated_ms) VALUES (?1, ?2, ?3) "
                          "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
                          "updated_ms = excluded.updated_ms");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, name);
    if (!value.empty()) stmt->bind(2, value).bind(3, now_unix_ms());
    return stmt->run();
  }

  Status record_dead_letters(std::span<const DeadLetter> letters, UnixMillis now) override {
    std::lock_guard lock(mu_);
    return sqlite::record_dead_letters(conn_, letters, now);
  }
  Result<std::vector<DeadLetter>> list_dead_letters(const DeadLetterQuery &query) override {
    std::lock_guard lock(mu_);
    return sqlite::list_dead_letters(conn_, query);
  }
  Result<DeadLetter> get_dead_letter(std::string_view id) override {
    std::lock_guard lock(mu_);
    return sqlite::get_dead_letter(conn_, id);
  }
  Status record_dead_letter_replay(std::string_view id, UnixMillis at, bool applied,
                                   std::string_view outcome_json) override {
    std::lock_guard lock(mu_);
    return sqlite::record_dead_letter_replay(conn_, id, at, applied, outcome_json);
  }

 private:
  // A content collection's table: its columns for the collection's own fields, and the name of
  // its deleted flag (moods.deleted, paintings.nuked), as in the deployed documents.
  struct ContentTable {
    std::string_view collection;
    std::string_view table;
    std::string_view deleted_column;
    std::vector<std::pair<std::string_view, std::string_view>> fields;  // source name, column

    std::string_view column_of(std::string_view field) const {
      for (const auto &[f, c] : fields) {
        if (f == field) return c;
      }
      return {};
    }
  };

  static Result<const ContentTable *> content_table(std::string_view collection) {
    static const ContentTable kMoods{"moods", "moods", "deleted", {{"mood", "mood"}}};
    static const ContentTable kPaintings{"paintings",
                                         "paintings",
                                         "nuked",
                                         {{"slug", "slug"},
                                          {"code", "code"},
                                          {"imageUrl", "image_url"},
                                          {"recordingUrl", "recording_url"},
                                          {"bucket", "bucket"}}};
    static const ContentTable kKidlisp{
        "kidlisp", "kidlisp", "deleted", {{"code", "code"}, {"source", "source"}}};
    static const ContentTable kTapes{
        "tapes", "tapes", "nuked", {{"slug", "slug"}, {"code", "code"}, {"bucket", "bucket"}}};
    static const ContentTable kPieces{
        "pieces",
        "pieces",
        "nuked",
        {{"slug", "slug"}, {"code", "code"}, {"name", "name"}, {"bucket", "bucket"}}};
    for (const ContentTable *t : {&kMoods, &kPaintings, &kKidlisp, &kTapes, &kPieces}) {
      if (collection == t->collection) return t;
    }
    return Error(Code::invalid, "unknown content collection \"" +
                                    std::string(collection.substr(0, 64)) +
                                    "\" (known: moods, paintings, kidlisp, tapes, pieces)");
  }

  static std::string content_select(const ContentTable &t) {
    std::string sql = "SELECT id, user_sub, when_ms, " + std::string(t.deleted_column) +
                      ", rkey, uri, cid, version, synced_version";
    for (const auto &field : t.fields) sql += ", " + std::string(field.second);
    return sql + " FROM " + std::string(t.table);
  }

  static ContentDoc read_content(const ContentTable &t, const sqlite::Statement &stmt) {
    ContentDoc doc;
    doc.collection = std::string(t.collection);
    doc.id = stmt.column_text(0);
    doc.user = stmt.column_text(1);
    doc.when = stmt.column_int(2);
    doc.deleted = stmt.column_int(3) != 0;
    if (!stmt.column_is_null(4)) doc.atproto.rkey = stmt.column_text(4);
    if (!stmt.column_is_null(5)) doc.atproto.uri = stmt.column_text(5);
    if (!stmt.column_is_null(6)) doc.atproto.cid = stmt.column_text(6);
    doc.version = stmt.column_int(7);
    doc.synced_version = stmt.column_int(8);
    int col = 9;
    for (const auto &field : t.fields) {
      if (!stmt.column_is_null(col)) doc.fields[std::string(field.first)] = stmt.column_text(col);
      ++col;
    }
    return doc;
  }

  // Caller holds mu_.
  Result<std::optional<ContentDoc>> read_content_row(const ContentTable &t, std::string_view id) {
    auto stmt = conn_.prepare(content_select(t) + " WHERE id = ?1");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, id);
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return std::optional<ContentDoc>();
    return std::optional<ContentDoc>(read_content(t, *stmt));
  }

  static Error content_missing(std::string_view collection, std::string_view id) {
    return Error(Code::not_found, "no " + std::string(collection) + " document " + std::string(id));
  }

  static Error rkey_moved(std::string_view collection, std::string_view id, std::string_view rkey) {
    return Error(Code::conflict, std::string(collection) + " " + std::string(id) +
                                     " no longer holds record key " + std::string(rkey));
  }

  static constexpr std::string_view kJobColumns =
      "SELECT id, sub, kind, status, due_ms, attempts, lease_owner, lease_until_ms, last_error, "
      "  lease_token FROM jobs";

  static Result<Job> read_job(sqlite::Statement &stmt) {
    Job job;
    job.id = stmt.column_int(0);
    job.sub = stmt.column_text(1);
    auto kind = parse_job_kind(stmt.column_text(2));
    if (!kind) return Error(Code::store, "unknown job kind \"" + stmt.column_text(2) + "\"");
    job.kind = *kind;
    job.failed = stmt.column_text(3) == "failed";
    job.due_at = stmt.column_int(4);
    job.attempts = static_cast<int>(stmt.column_int(5));
    if (!stmt.column_is_null(6)) job.lease_owner = stmt.column_text(6);
    if (!stmt.column_is_null(7)) job.lease_until = stmt.column_int(7);
    job.last_error = stmt.column_text(8);
    if (!stmt.column_is_null(9)) job.lease_token = stmt.column_text(9);
    return job;
  }

  // After a lease-guarded job update: Code::conflict when it matched nothing (lease lost).
  Status require_lease(const Job &job, std::string_view owner) {
    if (sqlite3_changes(conn_.raw()) == 0) {
      return Error(Code::conflict,
                   "job " + std::to_string(job.id) + " is no longer leased by " +
                       std::string(owner) +
                       " under this lease (it expired and was taken, or the job "
                       "was replaced)",
                   "{\"stale_lease\":true}");
    }
    return Status::ok();
  }

  Result<bool> schedule_in_tx(std::string_view sub, JobKind kind, UnixMillis due_at) {
    auto find = conn_.cached(
        "SELECT id, due_ms, lease_owner IS NOT NULL AND lease_until_ms > ?3 FROM jobs "
        "WHERE sub = ?1 AND kind = ?2 AND status = 'open'");
    if (!find) return std::move(find).error();
    find->bind(1, sub).bind(2, std::string_view(to_string(kind))).bind(3, now_unix_ms());
    auto row = find->step();
    if (!row) return std::move(row).error();
    if (*row) {
      if (find->column_int(2) != 0) {
        // Asked for again while it runs: a changed due time tells complete_job to keep the job
        // open, so it runs once more and sees what this request recorded.
        auto again = conn_.cached("UPDATE jobs SET due_ms = max(?2, due_ms + 1) WHERE id = ?1");
        if (!again) return std::move(again).error();
        ACID_TRY(again->bind(1, find->column_int(0)).bind(2, due_at).run());
      } else if (find->column_int(1) > due_at) {
        auto earlier = conn_.cached("UPDATE jobs SET due_ms = ?2 WHERE id = ?1");
        if (!earlier) return std::move(earlier).error();
        ACID_TRY(earlier->bind(1, find->column_int(0)).bind(2, due_at).run());
      }
      return false;
    }
    auto insert =
        conn_.cached("INSERT INTO jobs (sub, kind, due_ms, created_ms) VALUES (?1, ?2, ?3, ?4)");
    if (!insert) return std::move(insert).error();
    ACID_TRY(insert->bind(1, sub)
                 .bind(2, std::string_view(to_string(kind)))
                 .bind(3, due_at)
                 .bind(4, now_unix_ms())
                 .run());
    return true;
  }

  // The joined view of one sub (users u, verifications v, accounts a, handles h): columns 0-21
  // are read by read_account, 22-24 say which of users, verifications and accounts exist.
  static constexpr std::string_view kAccountColumns =
      "SELECT u.code, u.when_ms, v.count, a.signed_up_ms, a.verified_ms, a.deleted_ms, "
      "  a.email, h.handle, a.state, a.attempts, a.last_error, a.intent_handle, "
      "  a.intent_password, a.intent_email, a.intent_attempt, a.intent_ms, a.did, "
      "  a.pds_handle, a.password, a.pds_created_at, a.synced_at, a.version, "
      "  u.sub IS NOT NULL, v.sub IS NOT NULL, a.sub IS NOT NULL ";

  // Fills everything but `sub` from a row of kAccountColumns.
  static Status read_account(sqlite::Statement &stmt, Account &a) {
    auto text = [&](int col) -> std::optional<std::string> {
      if (stmt.column_is_null(col)) return std::nullopt;
      return stmt.column_text(col);
    };
    auto integer = [&](int col) -> std::optional<std::int64_t> {
      if (stmt.column_is_null(col)) return std::nullopt;
      return stmt.column_int(col);
    };
    a.code = text(0);
    a.when = integer(1);
    a.has_verifications = stmt.column_int(23) != 0;
    a.verification_count = integer(2).value_or(0);
    a.signed_up_at = integer(3);
    a.verified_at = integer(4);
    a.deleted_at = integer(5);
    a.email = text(6);
    a.ac_handle = text(7);
    if (auto st = text(8)) {
      auto parsed = parse_account_state(*st);
      if (!parsed) return Error(Code::store, "unknown account state \"" + *st + "\"");
      a.state = *parsed;
    }
    a.attempts = static_cast<int>(integer(9).value_or(0));
    a.last_error = text(10).value_or("");
    if (auto h = text(11)) {
      a.intent = AccountIntent{*h, text(12).value_or(""), text(13).value_or(""),
                               static_cast<int>(integer(14).value_or(0)), integer(15).value_or(0)};
    }
    a.did = text(16);
    a.pds_handle = text(17);
    a.password = text(18);
    a.pds_created_at = text(19);
    a.synced_at = text(20);
    a.version = integer(21).value_or(0);
    return Status::ok();
  }

  // Records the event's facts on the account (creating it if missing: its version moves with
  // every change) and returns what the transition depends on. The first-seen dates keep the
  // earliest value, a deletion date the first one; an email given replaces the stored one.
  // (Plain UPDATE then INSERT: an upsert with RETURNING needs a statement journal, which made
  // this the costliest step of an event.)
  Result<provision::AccountFacts> touch_account(const EventFact &event, UnixMillis now) {
    auto update = conn_.cached(
        "UPDATE accounts SET version = version + 1, updated_ms = ?2, "
        "  signed_up_ms = CASE ?3 WHEN 'ss' THEN min(coalesce(signed_up_ms, ?4), ?4) "
        "                 ELSE signed_up_ms END, "
        "  verified_ms = CASE ?3 WHEN 'sv' THEN min(coalesce(verified_ms, ?4), ?4) "
        "                ELSE verified_ms END, "
        "  deleted_ms = CASE ?3 WHEN 'sdu' THEN coalesce(deleted_ms, ?4) ELSE deleted_ms END, "
        "  email = coalesce(?5, email) "
        "WHERE sub = ?1 "
        "RETURNING state, did IS NOT NULL, intent_handle IS NOT NULL, deleted_ms IS NOT NULL");
    if (!update) return std::move(update).error();
    const std::string_view type = to_string(event.type);
    update->bind(1, event.sub).bind(2, now).bind(3, type).bind(4, event.date);
    if (event.email) {
      update->bind(5, *event.email);
    } else {
      update->bind_null(5);
    }
    auto row = update->step();
    if (!row) return std::move(row).error();
    if (*row) {
      auto state = parse_account_state(update->column_text(0));
      if (!state) {
        return Error(Code::store, "unknown account state \"" + update->column_text(0) + "\"");
      }
      const provision::AccountFacts out{*state, update->column_int(1) != 0,
                                        update->column_int(2) != 0, update->column_int(3) != 0};
      auto done = update->step();  // completes the statement
      if (!done) return std::move(done).error();
      return out;
    }
    auto insert = conn_.cached(
        "INSERT INTO accounts (sub, updated_ms, version, signed_up_ms, verified_ms, deleted_ms, "
        "  email) "
        "VALUES (?1, ?2, 1, CASE ?3 WHEN 'ss' THEN ?4 END, CASE ?3 WHEN 'sv' THEN ?4 END, "
        "  CASE ?3 WHEN 'sdu' THEN ?4 END, ?5)");
    if (!insert) return std::move(insert).error();
    insert->bind(1, event.sub).bind(2, now).bind(3, type).bind(4, event.date);
    if (event.email) {
      insert->bind(5, *event.email);
    } else {
      insert->bind_null(5);
    }
    ACID_TRY(insert->run());
    provision::AccountFacts created;
    created.deletion_recorded = event.type == EventType::deleted;
    return created;
  }

  // verifications.count + 1, creating the record at 1.
  Status count_verification(std::string_view sub) {
    auto update = conn_.cached("UPDATE verifications SET count = count + 1 WHERE sub = ?1");
    if (!update) return std::move(update).error();
    ACID_TRY(update->bind(1, sub).run());
    if (sqlite3_changes(conn_.raw()) > 0) return Status::ok();
    auto insert = conn_.cached("INSERT INTO verifications (sub, count) VALUES (?1, 1)");
    if (!insert) return std::move(insert).error();
    return insert->bind(1, sub).run();
  }

  // Writes a transition table decision inside the caller's transaction: dropped jobs, the new
  // state, and the job it schedules.
  Status apply_decision(std::string_view sub, const AccountDecision &decision, UnixMillis now) {
    ACID_TRY(sqlite::write_decision(conn_, sub, decision));
    if (decision.schedule) {
      auto scheduled = schedule_in_tx(sub, *decision.schedule, now);
      if (!scheduled) return std::move(scheduled).error();
    }
    return Status::ok();
  }

  // The facts of `sub` and the table's decision for `event` (Code::not_found when unknown).
  struct Decided {
    sqlite::StoredFacts stored;
    AccountDecision decision;
  };
  Result<Decided> decide_for(std::string_view sub, AccountEvent event) {
    auto stored = sqlite::read_account_facts(conn_, sub);
    if (!stored) return std::move(stored).error();
    if (!*stored) return Error(Code::not_found, "no account for " + std::string(sub));
    const AccountDecision decision = decide(event, (*stored)->facts);
    return Decided{std::move(**stored), decision};
  }

  static Error not_changed(std::string_view sub, std::string_view why) {
    return Error(Code::conflict,
                 "account " + std::string(sub) + " not changed: " + std::string(why));
  }

  Status bump(std::string_view sub) {
    auto stmt =
        conn_.cached("UPDATE accounts SET version = version + 1, updated_ms = ?2 WHERE sub = ?1");
    if (!stmt) return std::move(stmt).error();
    return stmt->bind(1, sub).bind(2, now_unix_ms()).run();
  }

  // Gives the user a users record with a code if they have none (legacy records without a code
  // included). Returns the code claimed now, if any.
  Result<std::optional<ClaimedCode>> ensure_code(std::string_view sub, UnixMillis code_time,
                                                 UnixMillis when, std::uint32_t capacity,
                                                 const CodeCandidates &candidates) {
    auto read = conn_.cached("SELECT code, when_ms IS NULL FROM users WHERE sub = ?1");
    if (!read) return std::move(read).error();
    read->bind(1, sub);
    auto row = read->step();
    if (!row) return std::move(row).error();
    const bool has_users_record = *row;
    if (*row && !read->column_is_null(0)) {
      if (read->column_int(1) == 0) return std::optional<ClaimedCode>();
      // Already has a code; still record the signup time, which was missing.
      auto when_upd =
          conn_.cached("UPDATE users SET when_ms = coalesce(when_ms, ?2) WHERE sub = ?1");
      if (!when_upd) return std::move(when_upd).error();
      ACID_TRY(when_upd->bind(1, sub).bind(2, when).run());
      return std::optional<ClaimedCode>();
    }
    const int yy = ((utc_year(code_time) % 100) + 100) % 100;
    auto candidate = candidates(yy);
    if (!candidate) return std::move(candidate).error();
    auto claimed = claim_in_tx(yy, capacity, *candidate, sub);
    if (!claimed) return std::move(claimed).error();
    if (!*claimed) return exhausted(yy);
    // The read above told which of the two it is (an upsert would need a statement journal).
    auto write = conn_.cached(
        has_users_record
            ? "UPDATE users SET code = ?2, when_ms = coalesce(when_ms, ?3) WHERE sub = ?1"
            : "INSERT INTO users (sub, code, when_ms) VALUES (?1, ?2, ?3)");
    if (!write) return std::move(write).error();
    ACID_TRY(write->bind(1, sub).bind(2, (*claimed)->code).bind(3, when).run());
    return claimed;
  }

  static Error exhausted(int yy) {
    return Error(Code::exhausted, "no user code left for two-digit year " + year_prefix(yy),
                 "{\"yy\":" + std::to_string(yy) + "}");
  }

  // The body of claim_next_code, inside the caller's transaction. nullopt: the year is
  // exhausted (the counter has still been saved, so the caller should commit).
  Result<std::optional<ClaimedCode>> claim_in_tx(int yy, std::uint32_t capacity,
                                                 const CodeCandidate &candidate,
                                                 std::string_view sub) {
    std::int64_t position = 0;
    std::int64_t skipped_before = 0;
    bool has_counter = false;
    {
      auto read = conn_.cached("SELECT next_position, skipped FROM code_counters WHERE yy = ?1");
      if (!read) return std::move(read).error();
      read->bind(1, static_cast<std::int64_t>(yy));
      auto row = read->step();
      if (!row) return std::move(row).error();
      if (*row) {
        has_counter = true;
        position = read->column_int(0);
        skipped_before = read->column_int(1);
      }
    }
    auto taken = conn_.cached(
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
    auto save = conn_.cached(
        has_counter ? "UPDATE code_counters SET next_position = ?2, skipped = ?3 WHERE yy = ?1"
                    : "INSERT INTO code_counters (yy, next_position, skipped) VALUES (?1, ?2, ?3)");
    if (!save) return std::move(save).error();
    ACID_TRY(save->bind(1, static_cast<std::int64_t>(yy))
                 .bind(2, position)
                 .bind(3, skipped_before + skipped)
                 .run());
    if (!chosen) return std::optional<ClaimedCode>();

    auto claim = conn_.cached(
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
    return std::optional<ClaimedCode>(
        ClaimedCode{std::move(*chosen), static_cast<std::uint32_t>(chosen_position), skipped});
  }

  static Error code_taken(const std::string &code) {
    return Error(Code::conflict, "user code " + code + " is already taken", "{\"index\":\"code\"}");
  }

  Result<std::int64_t> user_version() {
    auto stmt = conn_.cached("PRAGMA user_version");
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
