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
    ACID_ASSIGN_OR_RETURN(auto found, run(*find));
    if (!found.document) {
      auto insert = cc.insert(doc);
      if (!insert) return std::move(insert).error();
      ACID_ASSIGN_OR_RETURN(auto r, run(*insert));
      if (!r.duplicate) return true;
      if (r.duplicate->role != IndexRole::id) {
        return Error(Code::conflict, doc.collection + " " + doc.id +
                                         " clashes with another document on index " +
                                         r.duplicate->index);
      }
      continue;  // a concurrent first insert: compare with it next time
    }
    ACID_ASSIGN_OR_RETURN(auto current, mongo::read_content(doc.collection, found.document->get()));
    if (current.user == doc.user && current.fields == doc.fields && current.when == doc.when &&
        current.deleted == doc.deleted) {
      return false;
    }
    if (current.user != doc.user && current.atproto.rkey) {
      return Error(Code::conflict, doc.collection + " " + doc.id +
                                       " has a record in the repo of its user: its user "
                                       "cannot change (delete it and import a new document)");
    }
    const bool has_version =
        Field::find(found.document->get(), "acid.contentVersion").as_int().has_value();
    ACID_ASSIGN_OR_RETURN(auto update, cc.update_content(doc, current.version, has_version));
    ACID_ASSIGN_OR_RETURN(auto r, run(update));
    if (r.duplicate) {
      return Error(Code::conflict, doc.collection + " " + doc.id +
                                       " clashes with another document on index " +
                                       r.duplicate->index);
    }
    if (r.matched > 0) return true;
    // Changed meanwhile: compare again.
  }
  return contention("upsert_content");
}

Result<ContentDoc> MongoStore::get_content(std::string_view collection, std::string_view id) {
  ACID_ASSIGN_OR_RETURN(auto find, mongo::ContentCommands(cmd_).find(collection, id));
  ACID_ASSIGN_OR_RETURN(auto found, run(find));
  if (!found.document) {
    return Error(Code::not_found, "no " + std::string(collection) + " document " + std::string(id));
  }
  return mongo::read_content(collection, found.document->get());
}

Result<bool> MongoStore::set_content_deleted(std::string_view collection, std::string_view id,
                                             bool deleted) {
  ACID_ASSIGN_OR_RETURN(auto op, mongo::ContentCommands(cmd_).set_deleted(collection, id, deleted));
  ACID_ASSIGN_OR_RETURN(auto r, run(op));
  if (r.matched > 0) return true;
  ACID_TRY(get_content(collection, id));
  return false;
}

Result<std::vector<ContentDoc>> MongoStore::list_content(std::string_view collection,
                                                         std::string_view user,
                                                         std::string_view after_id,
                                                         std::size_t limit) {
  ACID_ASSIGN_OR_RETURN(auto op,
                        mongo::ContentCommands(cmd_).list(collection, user, after_id, limit));
  ACID_ASSIGN_OR_RETURN(auto r, run(op));
  std::vector<ContentDoc> out;
  for (const Doc &d : r.documents) {
    ACID_ASSIGN_OR_RETURN(auto doc, mongo::read_content(collection, d.get()));
    out.push_back(std::move(doc));
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
    ACID_ASSIGN_OR_RETURN(auto op, cc.next_user(collection, after, needing_sync));
    ACID_ASSIGN_OR_RETURN(auto r, run(op));
    auto user = string_field(r.document, "user");
    if (!user) break;
    after = *user;
    out.push_back(std::move(*user));
  }
  return out;
}

Result<std::string> MongoStore::claim_content_rkey(std::string_view collection, std::string_view id,
                                                   std::string_view rkey) {
  if (rkey.empty()) return Error(Code::invalid, "an empty record key");
  ACID_ASSIGN_OR_RETURN(auto op, mongo::ContentCommands(cmd_).claim_rkey(collection, id, rkey));
  ACID_ASSIGN_OR_RETURN(auto r, run(op));
  if (r.matched > 0) return std::string(rkey);
  ACID_ASSIGN_OR_RETURN(auto held, get_content(collection, id));
  if (!held.atproto.rkey) return contention("claim_content_rkey");
  return *held.atproto.rkey;
}

Status MongoStore::mark_content_synced(std::string_view collection, std::string_view id,
                                       std::string_view rkey, std::string_view uri,
                                       std::string_view cid, std::int64_t version) {
  ACID_ASSIGN_OR_RETURN(
      auto op, mongo::ContentCommands(cmd_).mark_synced(collection, id, rkey, uri, cid, version));
  ACID_ASSIGN_OR_RETURN(auto r, run(op));
  if (r.matched == 0) return content_rkey_moved(collection, id, rkey);
  return Status::ok();
}

Result<std::vector<std::string>> MongoStore::claim_content_rkeys(
    std::string_view collection, const std::vector<RkeyClaim> &claims) {
  std::vector<std::string> held;
  held.reserve(claims.size());
  for (const RkeyClaim &c : claims) {  // one single-document step each
    ACID_ASSIGN_OR_RETURN(auto key, claim_content_rkey(collection, c.id, c.rkey));
    held.push_back(std::move(key));
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
  ACID_ASSIGN_OR_RETURN(auto op, mongo::ContentCommands(cmd_).clear_record(collection, id, rkey));
  ACID_ASSIGN_OR_RETURN(auto r, run(op));
  if (r.matched == 0) return content_rkey_moved(collection, id, rkey);
  return Status::ok();
}

Status MongoStore::mark_content_unsynced(std::string_view collection, std::string_view id) {
  ACID_ASSIGN_OR_RETURN(auto op, mongo::ContentCommands(cmd_).mark_unsynced(collection, id));
  ACID_ASSIGN_OR_RETURN(auto r, run(op));
  if (r.matched == 0) {
    return Error(Code::not_found, "no " + std::string(collection) + " document " + std::string(id));
  }
  return Status::ok();
}

Result<std::string> MongoStore::get_sync_cursor(std::string_view name) {
  ACID_ASSIGN_OR_RETURN(auto r, run(mongo::ContentCommands(cmd_).get_cursor(name)));
  return string_field(r.document, "value").value_or("");
}

Status MongoStore::set_sync_cursor(std::string_view name, std::string_view value) {
  if (name.empty()) return Error(Code::invalid, "a sync cursor needs a name");
  const mongo::ContentCommands cc(cmd_);
  ACID_ASSIGN_OR_RETURN(auto r, run(value.empty() ? cc.delete_cursor(name)
                                                  : cc.set_cursor(name, value, now_unix_ms())));
  return Status::ok();
}

Status MongoStore::record_dead_letters(std::span<const DeadLetter> letters, UnixMillis now) {
  for (const DeadLetter &letter : letters) ACID_TRY(validate_dead_letter(letter));
  const mongo::DeadLetterCommands dl(cmd_);
  for (const DeadLetter &letter : letters) {
    int attempt = 0;
    for (;; ++attempt) {
      if (attempt == kRaceRetries) return contention("record_dead_letters");
      ACID_ASSIGN_OR_RETURN(auto r, run(dl.record(letter, now)));
      if (!r.duplicate) break;  // else a concurrent first insert won: count this delivery
    }
  }
  return Status::ok();
}

Result<std::vector<DeadLetter>> MongoStore::list_dead_letters(const DeadLetterQuery &query) {
  ACID_ASSIGN_OR_RETURN(auto r, run(mongo::DeadLetterCommands(cmd_).list(query)));
  std::vector<DeadLetter> out;
  for (const Doc &d : r.documents) {
    ACID_ASSIGN_OR_RETURN(auto letter, mongo::read_dead_letter(d.get()));
    out.push_back(std::move(letter));
  }
  return out;
}

Result<DeadLetter> MongoStore::get_dead_letter(std::string_view id) {
  ACID_ASSIGN_OR_RETURN(auto r, run(mongo::DeadLetterCommands(cmd_).get(id)));
  if (!r.document) return Error(Code::not_found, "no dead letter " + std::string(id));
  return mongo::read_dead_letter(r.document->get());
}

Status MongoStore::record_dead_letter_replay(std::string_view id, UnixMillis at, bool applied,
                                             std::string_view outcome_json) {
  ACID_ASSIGN_OR_RETURN(
      auto r, run(mongo::DeadLetterCommands(cmd_).record_replay(id, at, applied, outcome_json)));
  if (r.matched == 0) return Error(Code::not_found, "no dead letter " + std::string(id));
  return Status::ok();
}

}  // namespace acid::store::mongo
