// The MongoDB adapter: content documents and sync cursors.
#include "core/json.h"
#include "store/lease_token.h"
#include "store/mongo/adapter.h"

namespace acid::store::mongo {

Result<bool> MongoStore::upsert_content(const ContentDoc &doc) {
  if (doc.id.empty()) return Error(Code::invalid, "a content document needs a non-empty _id");
  const mongo::ContentCommands cc(cmd_);
  for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
    auto find = cc.find(doc.collection, doc.id);
    if (!find) return std::move(find).error();
    auto found = run(*find);
    if (!found) return std::move(found).error();
    if (!found->document) {
      auto insert = cc.insert(doc);
      if (!insert) return std::move(insert).error();
      auto r = run(*insert);
      if (!r) return std::move(r).error();
      if (!r->duplicate) return true;
      if (r->duplicate->role != IndexRole::id) {
        return Error(Code::conflict, doc.collection + " " + doc.id +
                                         " clashes with another document on index " +
                                         r->duplicate->index);
      }
      continue;  // a concurrent first insert: compare with it next time
    }
    auto current = mongo::read_content(doc.collection, found->document->get());
    if (!current) return std::move(current).error();
    if (current->user == doc.user && current->fields == doc.fields && current->when == doc.when &&
        current->deleted == doc.deleted) {
      return false;
    }
    if (current->user != doc.user && current->atproto.rkey) {
      return Error(Code::conflict, doc.collection + " " + doc.id +
                                       " has a record in the repo of its user: its user "
                                       "cannot change (delete it and import a new document)");
    }
    const bool has_version =
        Field::find(found->document->get(), "acid.contentVersion").as_int().has_value();
    auto update = cc.update_content(doc, current->version, has_version);
    if (!update) return std::move(update).error();
    auto r = run(*update);
    if (!r) return std::move(r).error();
    if (r->duplicate) {
      return Error(Code::conflict, doc.collection + " " + doc.id +
                                       " clashes with another document on index " +
                                       r->duplicate->index);
    }
    if (r->matched > 0) return true;
    // Changed meanwhile: compare again.
  }
  return contention("upsert_content");
}

Result<ContentDoc> MongoStore::get_content(std::string_view collection, std::string_view id) {
  auto find = mongo::ContentCommands(cmd_).find(collection, id);
  if (!find) return std::move(find).error();
  auto found = run(*find);
  if (!found) return std::move(found).error();
  if (!found->document) {
    return Error(Code::not_found, "no " + std::string(collection) + " document " + std::string(id));
  }
  return mongo::read_content(collection, found->document->get());
}

Result<bool> MongoStore::set_content_deleted(std::string_view collection, std::string_view id,
                                             bool deleted) {
  auto op = mongo::ContentCommands(cmd_).set_deleted(collection, id, deleted);
  if (!op) return std::move(op).error();
  auto r = run(*op);
  if (!r) return std::move(r).error();
  if (r->matched > 0) return true;
  auto exists = get_content(collection, id);
  if (!exists) return std::move(exists).error();
  return false;
}

Result<std::vector<ContentDoc>> MongoStore::list_content(std::string_view collection,
                                                         std::string_view user,
                                                         std::string_view after_id,
                                                         std::size_t limit) {
  auto op = mongo::ContentCommands(cmd_).list(collection, user, after_id, limit);
  if (!op) return std::move(op).error();
  auto r = run(*op);
  if (!r) return std::move(r).error();
  std::vector<ContentDoc> out;
  for (const Doc &d : r->documents) {
    auto doc = mongo::read_content(collection, d.get());
    if (!doc) return std::move(doc).error();
    out.push_back(std::move(*doc));
  }
  return out;
}

Result<std::vector<std::string>> MongoStore::content_users(std::string_view collection,
                                                           std::string_view after_user,
                                                           std::size_t limit, bool needing_sync) {
  const mongo::ContentCommands cc(cmd_);
  std::vector<std::string> out;
  std::string after(after_user);
  while (out.size() < limit) {
    auto op = cc.next_user(collection, after, needing_sync);
    if (!op) return std::move(op).error();
    auto r = run(*op);
    if (!r) return std::move(r).error();
    auto user = string_field(r->document, "user");
    if (!user) break;
    after = *user;
    out.push_back(std::move(*user));
  }
  return out;
}

Result<std::string> MongoStore::claim_content_rkey(std::string_view collection, std::string_view id,
                                                   std::string_view rkey) {
  if (rkey.empty()) return Error(Code::invalid, "an empty record key");
  auto op = mongo::ContentCommands(cmd_).claim_rkey(collection, id, rkey);
  if (!op) return std::move(op).error();
  auto r = run(*op);
  if (!r) return std::move(r).error();
  if (r->matched > 0) return std::string(rkey);
  auto held = get_content(collection, id);
  if (!held) return std::move(held).error();
  if (!held->atproto.rkey) return contention("claim_content_rkey");
  return *held->atproto.rkey;
}

Status MongoStore::mark_content_synced(std::string_view collection, std::string_view id,
                                       std::string_view rkey, std::string_view uri,
                                       std::string_view cid, std::int64_t version) {
  auto op = mongo::ContentCommands(cmd_).mark_synced(collection, id, rkey, uri, cid, version);
  if (!op) return std::move(op).error();
  auto r = run(*op);
  if (!r) return std::move(r).error();
  if (r->matched == 0) return content_rkey_moved(collection, id, rkey);
  return Status::ok();
}

Result<std::vector<std::string>> MongoStore::claim_content_rkeys(
    std::string_view collection, const std::vector<RkeyClaim> &claims) {
  std::vector<std::string> held;
  held.reserve(claims.size());
  for (const RkeyClaim &c : claims) {  // one single-document step each
    auto key = claim_content_rkey(collection, c.id, c.rkey);
    if (!key) return std::move(key).error();
    held.push_back(std::move(*key));
  }
  return held;
}

Result<std::vector<bool>> MongoStore::mark_contents_synced(
    std::string_view collection, const std::vector<SyncedRecord> &records) {
  std::vector<bool> matched;
  matched.reserve(records.size());
  for (const SyncedRecord &r : records) {
    Status st = mark_content_synced(collection, r.id, r.rkey, r.uri, r.cid, r.version);
    if (!st && st.code() != Code::conflict) return std::move(st).error();
    matched.push_back(st.is_ok());
  }
  return matched;
}

Status MongoStore::clear_content_record(std::string_view collection, std::string_view id,
                                        std::string_view rkey) {
  auto op = mongo::ContentCommands(cmd_).clear_record(collection, id, rkey);
  if (!op) return std::move(op).error();
  auto r = run(*op);
  if (!r) return std::move(r).error();
  if (r->matched == 0) return content_rkey_moved(collection, id, rkey);
  return Status::ok();
}

Status MongoStore::mark_content_unsynced(std::string_view collection, std::string_view id) {
  auto op = mongo::ContentCommands(cmd_).mark_unsynced(collection, id);
  if (!op) return std::move(op).error();
  auto r = run(*op);
  if (!r) return std::move(r).error();
  if (r->matched == 0) {
    return Error(Code::not_found, "no " + std::string(collection) + " document " + std::string(id));
  }
  return Status::ok();
}

Result<std::string> MongoStore::get_sync_cursor(std::string_view name) {
  auto r = run(mongo::ContentCommands(cmd_).get_cursor(name));
  if (!r) return std::move(r).error();
  return string_field(r->document, "value").value_or("");
}

Status MongoStore::set_sync_cursor(std::string_view name, std::string_view value) {
  if (name.empty()) return Error(Code::invalid, "a sync cursor needs a name");
  const mongo::ContentCommands cc(cmd_);
  auto r = run(value.empty() ? cc.delete_cursor(name) : cc.set_cursor(name, value, now_unix_ms()));
  if (!r) return std::move(r).error();
  return Status::ok();
}

Status MongoStore::record_dead_letters(std::span<const DeadLetter> letters, UnixMillis now) {
  for (const DeadLetter &letter : letters) ACID_TRY(validate_dead_letter(letter));
  const mongo::DeadLetterCommands dl(cmd_);
  for (const DeadLetter &letter : letters) {
    int attempt = 0;
    for (;; ++attempt) {
      if (attempt == kRaceRetries) return contention("record_dead_letters");
      auto r = run(dl.record(letter, now));
      if (!r) return std::move(r).error();
      if (!r->duplicate) break;  // else a concurrent first insert won: count this delivery
    }
  }
  return Status::ok();
}

Result<std::vector<DeadLetter>> MongoStore::list_dead_letters(const DeadLetterQuery &query) {
  auto r = run(mongo::DeadLetterCommands(cmd_).list(query));
  if (!r) return std::move(r).error();
  std::vector<DeadLetter> out;
  for (const Doc &d : r->documents) {
    auto letter = mongo::read_dead_letter(d.get());
    if (!letter) return std::move(letter).error();
    out.push_back(std::move(*letter));
  }
  return out;
}

Result<DeadLetter> MongoStore::get_dead_letter(std::string_view id) {
  auto r = run(mongo::DeadLetterCommands(cmd_).get(id));
  if (!r) return std::move(r).error();
  if (!r->document) return Error(Code::not_found, "no dead letter " + std::string(id));
  return mongo::read_dead_letter(r->document->get());
}

Status MongoStore::record_dead_letter_replay(std::string_view id, UnixMillis at, bool applied,
                                             std::string_view outcome_json) {
  auto r = run(mongo::DeadLetterCommands(cmd_).record_replay(id, at, applied, outcome_json));
  if (!r) return std::move(r).error();
  if (r->matched == 0) return Error(Code::not_found, "no dead letter " + std::string(id));
  return Status::ok();
}

}  // namespace acid::store::mongo
