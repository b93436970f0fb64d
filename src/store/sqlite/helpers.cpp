// The embedded store: helpers shared by its roles (reading rows, guards, scheduling
// inside a transaction, code claims).
#include "store/lease_token.h"
#include "store/sqlite/adapter.h"
#include "store/sqlite/sqlite_dead_letters.h"
#include "store/sqlite/sqlite_transitions.h"

namespace acid::store::sqlite {

using provision::decide;

std::string year_prefix(int yy) {
  std::string p = "ac";
  p.push_back(static_cast<char>('0' + yy / 10));
  p.push_back(static_cast<char>('0' + yy % 10));
  return p;
}

Result<const SqliteStore::ContentTable *> SqliteStore::content_table(std::string_view collection) {
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

std::string SqliteStore::content_select(const ContentTable &t) {
  std::string sql = "SELECT id, user_sub, when_ms, " + std::string(t.deleted_column) +
                    ", rkey, uri, cid, version, synced_version";
  for (const auto &field : t.fields) sql += ", " + std::string(field.second);
  return sql + " FROM " + std::string(t.table);
}

ContentDoc SqliteStore::read_content(const ContentTable &t, const sqlite::Statement &stmt) {
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

Result<std::optional<ContentDoc>> SqliteStore::read_content_row(const ContentTable &t,
                                                                std::string_view id) {
  ACID_ASSIGN_OR_RETURN(auto stmt, conn_.query(content_select(t) + " WHERE id = ?1", id));
  ACID_ASSIGN_OR_RETURN(const bool found, stmt.step());
  if (!found) return std::optional<ContentDoc>();
  return std::optional<ContentDoc>(read_content(t, stmt));
}

Result<Job> SqliteStore::read_job(const sqlite::Statement &stmt) {
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

Status SqliteStore::require_lease(const Job &job, std::string_view owner) {
  if (sqlite3_changes(conn_.raw()) == 0) {
    return Error(Code::conflict,
                 "job " + std::to_string(job.id) + " is no longer leased by " + std::string(owner) +
                     " under this lease (it expired and was taken, or the job "
                     "was replaced)",
                 "{\"stale_lease\":true}");
  }
  return Status::ok();
}

Result<bool> SqliteStore::schedule_in_tx(std::string_view sub, JobKind kind, UnixMillis due_at) {
  ACID_ASSIGN_OR_RETURN(
      auto find,
      conn_.query("SELECT id, due_ms, lease_owner IS NOT NULL AND lease_until_ms > ?3 FROM jobs "
                  "WHERE sub = ?1 AND kind = ?2 AND status = 'open'",
                  sub, to_string(kind), now_unix_ms()));
  ACID_ASSIGN_OR_RETURN(const bool open, find.step());
  if (open) {
    if (find.column_int(2) != 0) {
      // Asked for again while it runs: a changed due time tells complete_job to keep the job
      // open, so it runs once more and sees what this request recorded.
      ACID_TRY(conn_.run("UPDATE jobs SET due_ms = max(?2, due_ms + 1) WHERE id = ?1",
                         find.column_int(0), due_at));
    } else if (find.column_int(1) > due_at) {
      ACID_TRY(conn_.run("UPDATE jobs SET due_ms = ?2 WHERE id = ?1", find.column_int(0), due_at));
    }
    return false;
  }
  ACID_TRY(conn_.run("INSERT INTO jobs (sub, kind, due_ms, created_ms) VALUES (?1, ?2, ?3, ?4)",
                     sub, to_string(kind), due_at, now_unix_ms()));
  return true;
}

Status SqliteStore::read_account(const sqlite::Statement &stmt, Account &a) {
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

Result<provision::AccountFacts> SqliteStore::touch_account(const EventFact &event, UnixMillis now) {
  const std::string_view type = to_string(event.type);
  ACID_ASSIGN_OR_RETURN(
      auto update,
      conn_.query(
          "UPDATE accounts SET version = version + 1, updated_ms = ?2, "
          "  signed_up_ms = CASE ?3 WHEN 'ss' THEN min(coalesce(signed_up_ms, ?4), ?4) "
          "                 ELSE signed_up_ms END, "
          "  verified_ms = CASE ?3 WHEN 'sv' THEN min(coalesce(verified_ms, ?4), ?4) "
          "                ELSE verified_ms END, "
          "  deleted_ms = CASE ?3 WHEN 'sdu' THEN coalesce(deleted_ms, ?4) ELSE deleted_ms END, "
          "  email = coalesce(?5, email) "
          "WHERE sub = ?1 "
          "RETURNING state, did IS NOT NULL, intent_handle IS NOT NULL, deleted_ms IS NOT NULL",
          event.sub, now, type, event.date, event.email));
  ACID_ASSIGN_OR_RETURN(const bool existed, update.step());
  if (existed) {
    auto state = parse_account_state(update.column_text(0));
    if (!state) {
      return Error(Code::store, "unknown account state \"" + update.column_text(0) + "\"");
    }
    const provision::AccountFacts out{*state, update.column_int(1) != 0, update.column_int(2) != 0,
                                      update.column_int(3) != 0};
    ACID_TRY(update.step());  // completes the statement
    return out;
  }
  ACID_TRY(conn_.run(
      "INSERT INTO accounts (sub, updated_ms, version, signed_up_ms, verified_ms, deleted_ms, "
      "  email) "
      "VALUES (?1, ?2, 1, CASE ?3 WHEN 'ss' THEN ?4 END, CASE ?3 WHEN 'sv' THEN ?4 END, "
      "  CASE ?3 WHEN 'sdu' THEN ?4 END, ?5)",
      event.sub, now, type, event.date, event.email));
  provision::AccountFacts created;
  created.deletion_recorded = event.type == EventType::deleted;
  return created;
}

Status SqliteStore::count_verification(std::string_view sub) {
  ACID_ASSIGN_OR_RETURN(
      const int counted,
      conn_.run_counting_changes("UPDATE verifications SET count = count + 1 WHERE sub = ?1", sub));
  if (counted > 0) return Status::ok();
  return conn_.run("INSERT INTO verifications (sub, count) VALUES (?1, 1)", sub);
}

Status SqliteStore::apply_decision(std::string_view sub, const AccountDecision &decision,
                                   UnixMillis now) {
  ACID_TRY(sqlite::write_decision(conn_, sub, decision));
  if (decision.schedule) ACID_TRY(schedule_in_tx(sub, *decision.schedule, now));
  return Status::ok();
}

Result<SqliteStore::Decided> SqliteStore::decide_for(std::string_view sub, AccountEvent event) {
  ACID_ASSIGN_OR_RETURN(auto stored, sqlite::read_account_facts(conn_, sub));
  if (!stored) return Error(Code::not_found, "no account for " + std::string(sub));
  const AccountDecision decision = decide(event, stored->facts);
  return Decided{std::move(*stored), decision};
}

Status SqliteStore::bump(std::string_view sub) {
  return conn_.run("UPDATE accounts SET version = version + 1, updated_ms = ?2 WHERE sub = ?1", sub,
                   now_unix_ms());
}

Result<std::optional<ClaimedCode>> SqliteStore::ensure_code(std::string_view sub,
                                                            UnixMillis code_time, UnixMillis when,
                                                            std::uint32_t capacity,
                                                            const CodeCandidates &candidates) {
  ACID_ASSIGN_OR_RETURN(auto read,
                        conn_.query("SELECT code, when_ms IS NULL FROM users WHERE sub = ?1", sub));
  ACID_ASSIGN_OR_RETURN(const bool has_users_record, read.step());
  if (has_users_record && !read.column_is_null(0)) {
    if (read.column_int(1) == 0) return std::optional<ClaimedCode>();
    // Already has a code; still record the signup time, which was missing.
    ACID_TRY(
        conn_.run("UPDATE users SET when_ms = coalesce(when_ms, ?2) WHERE sub = ?1", sub, when));
    return std::optional<ClaimedCode>();
  }
  const int yy = ((utc_year(code_time) % 100) + 100) % 100;
  ACID_ASSIGN_OR_RETURN(const CodeCandidate candidate, candidates(yy));
  ACID_ASSIGN_OR_RETURN(auto claimed, claim_in_tx(yy, capacity, candidate, sub));
  if (!claimed) return exhausted(yy);
  // The read above told which of the two it is (an upsert would need a statement journal).
  ACID_TRY(
      conn_.run(has_users_record
                    ? "UPDATE users SET code = ?2, when_ms = coalesce(when_ms, ?3) WHERE sub = ?1"
                    : "INSERT INTO users (sub, code, when_ms) VALUES (?1, ?2, ?3)",
                sub, claimed->code, when));
  return claimed;
}

Result<std::optional<ClaimedCode>> SqliteStore::claim_in_tx(int yy, std::uint32_t capacity,
                                                            const CodeCandidate &candidate,
                                                            std::string_view sub) {
  std::int64_t position = 0;
  std::int64_t skipped_before = 0;
  bool has_counter = false;
  {
    ACID_ASSIGN_OR_RETURN(
        auto read,
        conn_.query("SELECT next_position, skipped FROM code_counters WHERE yy = ?1", yy));
    ACID_ASSIGN_OR_RETURN(has_counter, read.step());
    if (has_counter) {
      position = read.column_int(0);
      skipped_before = read.column_int(1);
    }
  }
  ACID_ASSIGN_OR_RETURN(auto taken,
                        conn_.cached("SELECT EXISTS (SELECT 1 FROM users WHERE code = ?1) OR "
                                     "EXISTS (SELECT 1 FROM code_claims WHERE code = ?1)"));

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
    ACID_TRY(taken.reset());
    ACID_ASSIGN_OR_RETURN(const bool found, taken.bind_all(*code).step());
    if (found && taken.column_int(0) != 0) {
      ++skipped;
      continue;
    }
    chosen = std::move(code);
    chosen_position = pos;
    break;
  }
  ACID_TRY(conn_.run(
      has_counter ? "UPDATE code_counters SET next_position = ?2, skipped = ?3 WHERE yy = ?1"
                  : "INSERT INTO code_counters (yy, next_position, skipped) VALUES (?1, ?2, ?3)",
      yy, position, skipped_before + skipped));
  if (!chosen) return std::optional<ClaimedCode>();

  // An allocation for no one yet (an empty sub) is claimed with a NULL sub.
  const auto owner = sub.empty() ? std::nullopt : std::optional<std::string_view>(sub);
  ACID_TRY(conn_.run(
      "INSERT INTO code_claims (code, yy, position, sub, claimed_ms) VALUES (?1, ?2, ?3, ?4, "
      "?5)",
      *chosen, yy, chosen_position, owner, now_unix_ms()));
  return std::optional<ClaimedCode>(
      ClaimedCode{std::move(*chosen), static_cast<std::uint32_t>(chosen_position), skipped});
}

Result<std::int64_t> SqliteStore::user_version() {
  return conn_.query_value<std::int64_t>(Error(Code::store, "PRAGMA user_version returned nothing"),
                                         "PRAGMA user_version");
}

}  // namespace acid::store::sqlite
