// Section 1: Auth0 log-stream ingest into the SQLite store.
//
// The library: Engine::handle_log_stream for every body (authorization check, strict parse,
// Store::apply_event per event: processed log id, account facts, permutation code claim, users
// row, verifications, provision job; one transaction per event, as the engine does it).
//
// The baseline: a hand-written handler over the raw sqlite3 C API: RapidJSON parse of the same
// bodies, then per body ONE transaction inserting the equivalent rows with prepared statements
// reused across bodies: processed log id; for ss an accounts row (signup date, email), a users
// row with a code (a counter formatted as a user code, no permutation or blocklist) and a
// verifications row; for sv the accounts update (verified, pending), the verifications
// increment and a provision job. Same PRAGMAs as the store: WAL, synchronous FULL or NORMAL,
// foreign_keys=ON, busy timeout.
#include <rapidjson/document.h>
#include <sqlite3.h>
#include <algorithm>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "auth0/log_stream.h"
#include "code/user_code.h"
#include "common.h"
#include "core/config.h"
#include "core/time.h"
#include "provision/engine.h"

namespace acid::bench {

namespace {

constexpr std::size_t kPerBatch = 100;
constexpr const char *kToken = "bench-log-stream-token";

struct Row {
  std::string implementation;
  std::string sync;
  std::uint64_t events = 0;
  double seconds = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(events) / seconds : 0; }
};

void print_row(const Row &r) {
  std::printf("%-52s %-7s %8llu %9.3f %11.0f\n", r.implementation.c_str(), r.sync.c_str(),
              static_cast<unsigned long long>(r.events), r.seconds, r.rate());
}

// ---- the raw sqlite3 baseline ------------------------------------------------------------------

class RawSqlite {
 public:
  RawSqlite(const std::string &path, bool full, bool tx_per_event) : tx_per_event_(tx_per_event) {
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      fail("open");
    }
    sqlite3_busy_timeout(db_, 10'000);
    exec("PRAGMA journal_mode=WAL");
    exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    exec(R"sql(
CREATE TABLE processed_events (log_id TEXT PRIMARY KEY, sub TEXT NOT NULL, type TEXT NOT NULL,
                               applied_ms INTEGER NOT NULL);
CREATE TABLE users (sub TEXT PRIMARY KEY, code TEXT UNIQUE, when_ms INTEGER);
CREATE TABLE verifications (sub TEXT PRIMARY KEY, count INTEGER NOT NULL DEFAULT 0);
CREATE TABLE accounts (sub TEXT PRIMARY KEY, signed_up_ms INTEGER, verified_ms INTEGER,
                       email TEXT, state TEXT NOT NULL DEFAULT 'none', updated_ms INTEGER NOT NULL);
CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, sub TEXT NOT NULL, kind TEXT NOT NULL,
                   status TEXT NOT NULL DEFAULT 'open', due_ms INTEGER NOT NULL,
                   created_ms INTEGER NOT NULL);
CREATE INDEX jobs_due ON jobs (status, due_ms);
)sql");
    processed_ = prepare(
        "INSERT INTO processed_events (log_id, sub, type, applied_ms) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (log_id) DO NOTHING");
    signup_account_ = prepare(
        "INSERT INTO accounts (sub, signed_up_ms, email, updated_ms) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (sub) DO UPDATE SET signed_up_ms = min(coalesce(signed_up_ms, ?2), ?2), "
        "email = coalesce(?3, email), updated_ms = ?4");
    user_ = prepare(
        "INSERT INTO users (sub, code, when_ms) VALUES (?1, ?2, ?3) ON CONFLICT (sub) DO NOTHING");
    verifications_zero_ = prepare(
        "INSERT INTO verifications (sub, count) VALUES (?1, 0) ON CONFLICT (sub) DO NOTHING");
    verify_account_ = prepare(
        "INSERT INTO accounts (sub, verified_ms, email, state, updated_ms) "
        "VALUES (?1, ?2, ?3, 'pending', ?4) "
        "ON CONFLICT (sub) DO UPDATE SET verified_ms = min(coalesce(verified_ms, ?2), ?2), "
        "email = coalesce(?3, email), state = 'pending', updated_ms = ?4");
    verifications_inc_ = prepare(
        "INSERT INTO verifications (sub, count) VALUES (?1, 1) "
        "ON CONFLICT (sub) DO UPDATE SET count = count + 1");
    job_ = prepare(
        "INSERT INTO jobs (sub, kind, due_ms, created_ms) VALUES (?1, 'provision', ?2, ?2)");
  }
  ~RawSqlite() {
    for (sqlite3_stmt *s : {processed_, signup_account_, user_, verifications_zero_,
                            verify_account_, verifications_inc_, job_}) {
      sqlite3_finalize(s);
    }
    sqlite3_close_v2(db_);
  }
  RawSqlite(const RawSqlite &) = delete;
  RawSqlite &operator=(const RawSqlite &) = delete;

  // One webhook body: parse, then write. Returns the events applied.
  std::uint64_t handle(const std::string &body) {
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsArray()) die("raw handler: body is not a JSON array");
    std::uint64_t applied = 0;
    if (!tx_per_event_) exec("BEGIN IMMEDIATE");
    for (const auto &entry : doc.GetArray()) {
      const auto &data = entry["data"];
      const std::string_view log_id = entry["log_id"].GetString();
      const std::string_view type = data["type"].GetString();
      const std::string_view sub = data["user_id"].GetString();
      const std::string_view email = data["user_name"].GetString();
      auto date = parse_timestamp(data["date"].GetString());
      if (!date) die("raw handler: date", date.error());
      if (tx_per_event_) exec("BEGIN IMMEDIATE");
      const std::int64_t now = now_unix_ms();
      bind(processed_, 1, log_id);
      bind(processed_, 2, sub);
      bind(processed_, 3, type);
      sqlite3_bind_int64(processed_, 4, now);
      step(processed_);
      if (sqlite3_changes(db_) == 0) {  // a duplicate delivery: nothing else to do
        if (tx_per_event_) exec("COMMIT");
        continue;
      }
      if (type == "ss") {
        bind(signup_account_, 1, sub);
        sqlite3_bind_int64(signup_account_, 2, *date);
        bind(signup_account_, 3, email);
        sqlite3_bind_int64(signup_account_, 4, now);
        step(signup_account_);
        const std::string code = code::format_code(utc_year(*date) % 100, next_code_++);
        bind(user_, 1, sub);
        bind(user_, 2, code);
        sqlite3_bind_int64(user_, 3, *date);
        step(user_);
        bind(verifications_zero_, 1, sub);
        step(verifications_zero_);
      } else {
        bind(verify_account_, 1, sub);
        sqlite3_bind_int64(verify_account_, 2, *date);
        bind(verify_account_, 3, email);
        sqlite3_bind_int64(verify_account_, 4, now);
        step(verify_account_);
        bind(verifications_inc_, 1, sub);
        step(verifications_inc_);
        bind(job_, 1, sub);
        sqlite3_bind_int64(job_, 2, now);
        step(job_);
      }
      if (tx_per_event_) exec("COMMIT");
      ++applied;
    }
    if (!tx_per_event_) exec("COMMIT");
    return applied;
  }

 private:
  [[noreturn]] void fail(const char *what) {
    die(std::string("raw sqlite3 ") + what + ": " + (db_ ? sqlite3_errmsg(db_) : "no handle"));
  }
  void exec(const char *sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
  }
  sqlite3_stmt *prepare(const char *sql) {
    sqlite3_stmt *stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) fail("prepare");
    return stmt;
  }
  static void bind(sqlite3_stmt *stmt, int index, std::string_view text) {
    sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void step(sqlite3_stmt *stmt) {
    if (sqlite3_step(stmt) != SQLITE_DONE) fail("step");
    sqlite3_reset(stmt);
  }

  sqlite3 *db_ = nullptr;
  bool tx_per_event_;
  std::uint32_t next_code_ = 0;
  sqlite3_stmt *processed_ = nullptr, *signup_account_ = nullptr, *user_ = nullptr,
               *verifications_zero_ = nullptr, *verify_account_ = nullptr,
               *verifications_inc_ = nullptr, *job_ = nullptr;
};

// ---- checks (after the timed part) -------------------------------------------------------------

std::int64_t count(sqlite3 *db, const char *sql) {
  sqlite3_stmt *stmt = nullptr;
  std::int64_t n = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    n = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return n;
}

// Both schemas name these tables alike: the same facts must have been written.
void check_rows(const std::string &path, std::size_t users, const std::string &label) {
  sqlite3 *db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    die("opening " + path + " for the row check");
  }
  const std::int64_t u = static_cast<std::int64_t>(users);
  const std::int64_t events = count(db, "SELECT count(*) FROM processed_events");
  const std::int64_t coded = count(db, "SELECT count(*) FROM users WHERE code IS NOT NULL");
  const std::int64_t distinct = count(db, "SELECT count(DISTINCT code) FROM users");
  const std::int64_t verified = count(db, "SELECT coalesce(sum(count), 0) FROM verifications");
  const std::int64_t jobs = count(db, "SELECT count(*) FROM jobs WHERE kind = 'provision'");
  const std::int64_t pending = count(db, "SELECT count(*) FROM accounts WHERE state = 'pending'");
  sqlite3_close_v2(db);
  if (events != 2 * u || coded != u || distinct != u || verified != u || jobs != u ||
      pending != u) {
    die(label + ": unexpected rows: events " + std::to_string(events) + ", users with code " +
        std::to_string(coded) + " (" + std::to_string(distinct) + " distinct), verifications " +
        std::to_string(verified) + ", jobs " + std::to_string(jobs) + ", pending " +
        std::to_string(pending));
  }
}

Row run_library(const std::vector<std::string> &bodies, const std::string &path, bool full,
                std::size_t users) {
  std::string uri = "sqlite:" + path;
  if (!full) uri += "?synchronous=normal";
  auto config = Config::from_env(env_from_map({{"ACID_STORE", uri}, {"AUTH0_LOG_TOKEN", kToken}}));
  if (!config) die("config", config.error());
  provision::EngineOptions options;
  options.config = std::move(*config);
  auto created = provision::Engine::create(std::move(options));
  if (!created) die("Engine::create", created.error());
  std::unique_ptr<provision::Engine> engine = std::move(*created);

  const std::string authorization = std::string("Bearer ") + kToken;
  std::vector<provision::HttpAnswer> replies;
  replies.reserve(bodies.size());
  const auto t0 = Clock::now();
  for (const std::string &body : bodies) {
    replies.push_back(engine->handle_log_stream(Tenant::aesthetic, authorization, body));
  }
  Row row{"library: Engine::handle_log_stream", full ? "full" : "normal", 0, seconds_since(t0)};

  for (const auto &reply : replies) {
    rapidjson::Document doc;
    doc.Parse(reply.body.data(), reply.body.size());
    if (reply.status != 200 || doc.HasParseError() || !doc.HasMember("applied")) {
      die("handle_log_stream answered " + std::to_string(reply.status) + ": " + reply.body);
    }
    row.events += doc["applied"].GetUint64();
  }
  engine.reset();  // closes the store before the row check
  check_rows(path, users, row.implementation);
  return row;
}

Row run_raw(const std::vector<std::string> &bodies, const std::string &path, bool full,
            bool tx_per_event, std::size_t users) {
  Row row{tx_per_event ? "raw sqlite3, 1 transaction per EVENT (informative)"
                       : "raw sqlite3 + RapidJSON, 1 transaction per batch",
          full ? "full" : "normal"};
  {
    RawSqlite raw(path, full, tx_per_event);
    const auto t0 = Clock::now();
    for (const std::string &body : bodies) row.events += raw.handle(body);
    row.seconds = seconds_since(t0);
  }
  check_rows(path, users, row.implementation);
  return row;
}

Row run_parse_only(const std::vector<std::string> &bodies) {
  Row row{"auth0::parse_log_stream only (informative)", "-"};
  const auto t0 = Clock::now();
  for (const std::string &body : bodies) {
    auto parsed = auth0::parse_log_stream(body, auth0::Tenant::aesthetic);
    if (!parsed) die("parse_log_stream", parsed.error());
    row.events += parsed->events.size();
  }
  row.seconds = seconds_since(t0);
  return row;
}

}  // namespace

void run_ingest(const Options &options) {
  const std::vector<Person> people = make_people(options.ingest_users, "ingest");
  const std::int64_t base = now_unix_ms() - 86'400'000;
  const std::vector<std::string> bodies = signup_and_verify_batches(people, kPerBatch, base);
  std::size_t bytes = 0;
  for (const auto &b : bodies) bytes += b.size();

  std::printf(
      "\n== 1. ingest: %zu ss + %zu sv events in %zu bodies of %zu (%.0f bytes/event), "
      "SQLite WAL, files in %s\n",
      people.size(), people.size(), bodies.size(), kPerBatch,
      static_cast<double>(bytes) / static_cast<double>(2 * people.size()),
      options.work_dir.string().c_str());
  std::printf("%-52s %-7s %8s %9s %11s\n", "implementation", "sync", "events", "seconds",
              "events/s");

  const auto file = [&](const char *name) {
    const auto p = options.work_dir / name;
    std::filesystem::remove(p);
    std::filesystem::remove(p.string() + "-wal");
    std::filesystem::remove(p.string() + "-shm");
    return p.string();
  };
  // Interleaved rounds, alternating who goes first, so drift on the machine (other work, page
  // cache) hits both sides alike; the medians of the rounds are compared.
  std::map<std::string, Row> rows;
  std::map<std::string, std::vector<double>> rates;
  const int rounds = std::max(1, options.ingest_rounds);
  for (int round = 0; round < rounds; ++round) {
    for (bool full : {true, false}) {
      const std::string s = full ? "full" : "normal";
      const auto raw = [&] {
        Row r = run_raw(bodies, file(full ? "raw-full.db" : "raw-normal.db"), full, false,
                        people.size());
        print_row(r);
        rates["raw-" + s].push_back(r.rate());
      };
      const auto lib = [&] {
        Row r =
            run_library(bodies, file(full ? "lib-full.db" : "lib-normal.db"), full, people.size());
        print_row(r);
        rates["lib-" + s].push_back(r.rate());
      };
      if (round % 2 == 0) {
        raw();
        lib();
      } else {
        lib();
        raw();
      }
    }
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  // Informative: the raw handler with the engine's commit granularity (one per event), and
  // the library's parser alone.
  for (bool full : {true, false}) {
    const std::string s = full ? "full" : "normal";
    rows["raw-event-" + s] =
        run_raw(bodies, file(full ? "raw-event-full.db" : "raw-event-normal.db"), full, true,
                people.size());
    print_row(rows["raw-event-" + s]);
  }
  print_row(run_parse_only(bodies));

  for (const char *s : {"full", "normal"}) {
    const double lib = median(rates[std::string("lib-") + s]);
    const double raw = median(rates[std::string("raw-") + s]);
    std::printf(
        "ratio library/raw, synchronous=%-6s : %.3fx (medians of %d rounds: %.0f vs %.0f "
        "events/s; target >= 0.5x)\n",
        s, lib / raw, rounds, lib, raw);
  }
  for (const char *s : {"full", "normal"}) {
    const double lib = median(rates[std::string("lib-") + s]);
    const Row &raw = rows[std::string("raw-event-") + s];
    std::printf(
        "ratio library/raw with 1 transaction per event, synchronous=%-6s : %.3fx "
        "(informative: same commit count)\n",
        s, lib / raw.rate());
  }
}

}  // namespace acid::bench
