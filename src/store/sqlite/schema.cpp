// The embedded store's schema: its migrations, applied in order at open.
#include <array>

#include "store/lease_token.h"
#include "store/sqlite/adapter.h"
#include "store/sqlite/sqlite_dead_letters.h"
#include "store/sqlite/sqlite_transitions.h"

namespace acid::store::sqlite {

namespace {

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
    // 7: dead letters, and processed log ids namespaced per tenant.
    sqlite::kDeadLettersMigration,
};

}  // namespace

Status SqliteStore::migrate() {
  std::lock_guard lock(mu_);
  for (;;) {
    auto tx = Transaction::begin(conn_);
    if (!tx) return std::move(tx).error().context("migrating the SQLite store");
    ACID_ASSIGN_OR_RETURN(const std::int64_t version, user_version());
    if (version > static_cast<std::int64_t>(kMigrations.size())) {
      return Error(Code::store, "the SQLite store has schema version " + std::to_string(version) +
                                    ", newer than this library (" +
                                    std::to_string(kMigrations.size()) +
                                    "): upgrade libacidentity");
    }
    if (version == static_cast<std::int64_t>(kMigrations.size())) return Status::ok();
    ACID_TRY(conn_.exec(kMigrations[static_cast<std::size_t>(version)]));
    ACID_TRY(conn_.exec("PRAGMA user_version=" + std::to_string(version + 1)));
    ACID_TRY(tx->commit());
  }
}

}  // namespace acid::store::sqlite
