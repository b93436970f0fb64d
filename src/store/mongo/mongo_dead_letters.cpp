#include "store/mongo/mongo_dead_letters.h"

#include "core/base64.h"

namespace acid::store::mongo {

Op DeadLetterCommands::record(const DeadLetter &letter, UnixMillis now) const {
  Doc insert;
  insert.str("tenant", letter.tenant).str("kind", letter.kind).str("reason", letter.reason);
  if (letter.log_id) insert.str("logId", *letter.log_id);
  if (bson_utf8_validate(letter.entry.data(), letter.entry.size(), false)) {
    insert.str("entry", letter.entry);
  } else {
    insert.str("entryBase64", base64::encode(letter.entry));
  }
  insert.date("firstSeen", now);
  Doc update;
  update.doc("$setOnInsert", insert)
      .doc("$set", Doc().date("lastSeen", now))
      .doc("$inc", Doc().i64("deliveries", 1));
  return Op{Op::Kind::update_one, std::string(kDeadLetters), Doc().str("_id", letter.id),
            std::move(update),
            Doc().boolean("upsert", true).doc("writeConcern", commands_.write_concern())};
}

Op DeadLetterCommands::list(const DeadLetterQuery &query) const {
  Doc filter;
  if (!query.include_replayed) filter.doc("replayedAt", Doc().boolean("$exists", false));
  return Op{Op::Kind::find, std::string(kDeadLetters), std::move(filter), Doc(),
            Doc()
                .doc("sort", Doc().i32("firstSeen", -1).i32("_id", 1))
                .i64("limit", static_cast<std::int64_t>(query.limit))
                .doc("readConcern", Commands::read_concern())};
}

Op DeadLetterCommands::get(std::string_view id) const {
  return Op{Op::Kind::find_one, std::string(kDeadLetters), Doc().str("_id", id), Doc(),
            Doc().i64("limit", 1).doc("readConcern", Commands::read_concern())};
}

Op DeadLetterCommands::record_replay(std::string_view id, UnixMillis at, bool applied,
                                     std::string_view outcome_json) const {
  Doc set;
  set.str("replayOutcome", outcome_json);
  if (applied) set.date("replayedAt", at);
  return Op{Op::Kind::update_one, std::string(kDeadLetters), Doc().str("_id", id),
            Doc().doc("$set", set), Doc().doc("writeConcern", commands_.write_concern())};
}

Result<DeadLetter> read_dead_letter(const bson_t *doc) {
  auto bad = [](const char *field) {
    return Error(Code::store,
                 std::string("acid_dead_letters: field \"") + field + "\" has an unexpected type");
  };
  DeadLetter d;
  auto text = [&](const char *field, std::string &out) -> bool {
    auto v = Field::find(doc, field).as_string();
    if (!v) return false;
    out = std::move(*v);
    return true;
  };
  if (!text("_id", d.id)) return bad("_id");
  if (!text("tenant", d.tenant)) return bad("tenant");
  if (!text("kind", d.kind)) return bad("kind");
  if (!text("reason", d.reason)) return bad("reason");
  if (const Field f = Field::find(doc, "logId"); !f.absent()) {
    if (!f.as_string()) return bad("logId");
    d.log_id = f.as_string();
  }
  if (const Field f = Field::find(doc, "entryBase64"); !f.absent()) {
    auto encoded = f.as_string();
    if (!encoded) return bad("entryBase64");
    auto bytes = base64::decode(*encoded);
    if (!bytes) return bad("entryBase64");
    d.entry = std::move(*bytes);
  } else if (!text("entry", d.entry)) {
    return bad("entry");
  }
  auto first = Field::find(doc, "firstSeen").as_date();
  auto last = Field::find(doc, "lastSeen").as_date();
  auto deliveries = Field::find(doc, "deliveries").as_int();
  if (!first) return bad("firstSeen");
  if (!last) return bad("lastSeen");
  if (!deliveries) return bad("deliveries");
  d.first_seen = *first;
  d.last_seen = *last;
  d.deliveries = *deliveries;
  if (const Field f = Field::find(doc, "replayedAt"); !f.absent()) {
    if (!f.as_date()) return bad("replayedAt");
    d.replayed_at = f.as_date();
  }
  if (const Field f = Field::find(doc, "replayOutcome"); !f.absent()) {
    if (!f.as_string()) return bad("replayOutcome");
    d.replay_outcome = *f.as_string();
  }
  return d;
}

}  // namespace acid::store::mongo
