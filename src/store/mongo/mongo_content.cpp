#include "store/mongo/mongo_content.h"

#include <cctype>

#include "core/json.h"

namespace acid::store::mongo {

namespace {

// The collection's own string fields, by their names in the documents (= the port's names).
std::vector<std::string_view> content_fields(std::string_view collection) {
  if (collection == "moods") return {"mood"};
  if (collection == "kidlisp") return {"code", "source"};
  if (collection == "tapes") return {"slug", "code", "bucket"};
  if (collection == "pieces") return {"slug", "code", "name", "bucket"};
  return {"slug", "code", "imageUrl", "recordingUrl", "bucket"};
}

bool is_object_id(std::string_view id) {
  if (id.size() != 24) return false;
  for (char c : id) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) ||
        std::isupper(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// {"_id": ObjectId | string}
std::string id_json(std::string_view id) {
  if (is_object_id(id)) return "{\"$oid\":\"" + std::string(id) + "\"}";
  return json::quote(id);
}

Result<Doc> parse(const std::string &json_text) {
  auto d = Doc::from_json(json_text);
  if (!d) return Error(Code::internal, "building a MongoDB document: " + d.error().message);
  return d;
}

Result<Doc> by_id(std::string_view id, const std::string &more = "") {
  return parse("{\"_id\":" + id_json(id) + more + "}");
}

// The port's twin of content_need() != none, as a query.
constexpr std::string_view kNeedsSync =
    R"({"$or":[{"DEL":true,"atproto.rkey":{"$type":"string"}},)"
    R"({"DEL":{"$ne":true},"$or":[{"atproto.rkey":{"$not":{"$type":"string"}}},)"
    R"({"atproto.uri":{"$not":{"$type":"string"}}},)"
    R"({"$expr":{"$lt":[{"$ifNull":["$acid.syncedVersion",0]},)"
    R"({"$ifNull":["$acid.contentVersion",0]}]}}]}]})";

std::string needs_sync(std::string_view deleted) {
  std::string q(kNeedsSync);
  for (std::size_t at = q.find("DEL"); at != std::string::npos; at = q.find("DEL", at)) {
    q.replace(at, 3, deleted);
  }
  return q;
}

}  // namespace

Result<std::string_view> ContentCommands::deleted_field(std::string_view collection) {
  if (collection == "moods") return std::string_view("deleted");
  if (collection == "paintings" || collection == "tapes" || collection == "pieces") {
    return std::string_view("nuked");
  }
  // The deployed kidlisp documents have no soft-delete flag: "deleted" is the library's own.
  if (collection == "kidlisp") return std::string_view("deleted");
  return Error(Code::invalid, "unknown content collection \"" +
                                  std::string(collection.substr(0, 64)) +
                                  "\" (known: moods, paintings, kidlisp, tapes, pieces)");
}

Op ContentCommands::write(Op::Kind kind, std::string_view collection, Doc filter, Doc update,
                          Doc options) const {
  options.doc("writeConcern", commands_.write_concern());
  return Op{kind, std::string(collection), std::move(filter), std::move(update),
            std::move(options)};
}

Op ContentCommands::read(Op::Kind kind, std::string_view collection, Doc filter,
                         Doc options) const {
  if (kind == Op::Kind::find_one) options.i64("limit", 1);
  options.doc("readConcern", Commands::read_concern());
  return Op{kind, std::string(collection), std::move(filter), Doc(), std::move(options)};
}

Result<Op> ContentCommands::find(std::string_view collection, std::string_view id) const {
  ACID_TRY(deleted_field(collection));
  ACID_ASSIGN_OR_RETURN(auto filter, by_id(id));
  return read(Op::Kind::find_one, collection, std::move(filter));
}

Result<Op> ContentCommands::insert(const ContentDoc &doc) const {
  ACID_ASSIGN_OR_RETURN(auto del, deleted_field(doc.collection));
  ACID_ASSIGN_OR_RETURN(auto d, by_id(doc.id));
  if (!doc.user.empty()) d.str("user", doc.user);
  for (const auto &[name, value] : doc.fields) d.str(name, value);
  d.date("when", doc.when);
  d.boolean(del, doc.deleted);
  d.doc("acid", Doc().i64("contentVersion", 1).i64("syncedVersion", 0));
  return write(Op::Kind::insert_one, doc.collection, std::move(d), Doc());
}

Result<Op> ContentCommands::update_content(const ContentDoc &doc, std::int64_t seen_version,
                                           bool seen_has_version) const {
  ACID_ASSIGN_OR_RETURN(auto del, deleted_field(doc.collection));
  ACID_ASSIGN_OR_RETURN(auto filter, by_id(doc.id));
  if (seen_has_version) {
    filter.i64("acid.contentVersion", seen_version);
  } else {
    filter.doc("acid.contentVersion", Doc().boolean("$exists", false));
  }
  Doc set;
  Doc unset;
  if (doc.user.empty()) {
    unset.str("user", "");
  } else {
    set.str("user", doc.user);
  }
  for (std::string_view name : content_fields(doc.collection)) {
    auto it = doc.fields.find(std::string(name));
    if (it == doc.fields.end()) {
      unset.str(name, "");
    } else {
      set.str(name, it->second);
    }
  }
  set.date("when", doc.when).boolean(del, doc.deleted);
  Doc update;
  update.doc("$set", set);
  if (!unset.empty()) update.doc("$unset", unset);
  update.doc("$inc", Doc().i64("acid.contentVersion", seen_has_version ? 1 : seen_version + 1));
  return write(Op::Kind::update_one, doc.collection, std::move(filter), std::move(update));
}

Result<Op> ContentCommands::set_deleted(std::string_view collection, std::string_view id,
                                        bool deleted) const {
  ACID_ASSIGN_OR_RETURN(auto del, deleted_field(collection));
  ACID_ASSIGN_OR_RETURN(auto filter, by_id(id));
  filter.doc(del, Doc().boolean("$ne", deleted));
  return write(Op::Kind::update_one, collection, std::move(filter),
               Doc()
                   .doc("$set", Doc().boolean(del, deleted))
                   .doc("$inc", Doc().i64("acid.contentVersion", 1)));
}

Result<Op> ContentCommands::list(std::string_view collection, std::string_view user,
                                 std::string_view after_id, std::size_t limit) const {
  ACID_TRY(deleted_field(collection));
  std::string q = "{";
  if (!user.empty()) q += "\"user\":" + json::quote(user) + ",";
  q += "\"_id\":{\"$gt\":" +
       (after_id.empty() ? std::string("{\"$minKey\":1}") : id_json(after_id)) + "}}";
  ACID_ASSIGN_OR_RETURN(auto filter, parse(q));
  return read(
      Op::Kind::find, collection, std::move(filter),
      Doc().doc("sort", Doc().i32("_id", 1)).i64("limit", static_cast<std::int64_t>(limit)));
}

Result<Op> ContentCommands::next_user(std::string_view collection, std::string_view after_user,
                                      bool needing_sync) const {
  ACID_ASSIGN_OR_RETURN(auto del, deleted_field(collection));
  std::string q = "{\"user\":{\"$gt\":" + json::quote(after_user) + ",\"$type\":\"string\"}";
  if (needing_sync) {
    const std::string need = needs_sync(del);
    // The clauses inside need's braces, appended in place (`"," + std::string` makes GCC 12 at
    // -O3 report a false -Wrestrict inside libstdc++, GCC bug 105329).
    q += ',';
    q.append(need, 1, need.size() - 2);
  }
  q += "}";
  ACID_ASSIGN_OR_RETURN(auto filter, parse(q));
  return read(Op::Kind::find_one, collection, std::move(filter),
              Doc().doc("sort", Doc().i32("user", 1)).doc("projection", Doc().i32("user", 1)));
}

Result<Op> ContentCommands::claim_rkey(std::string_view collection, std::string_view id,
                                       std::string_view rkey) const {
  ACID_TRY(deleted_field(collection));
  ACID_ASSIGN_OR_RETURN(auto filter, by_id(id, R"(,"atproto.rkey":{"$not":{"$type":"string"}})"));
  return write(Op::Kind::update_one, collection, std::move(filter),
               Doc().doc("$set", Doc().str("atproto.rkey", rkey)));
}

Result<Op> ContentCommands::mark_synced(std::string_view collection, std::string_view id,
                                        std::string_view rkey, std::string_view uri,
                                        std::string_view cid, std::int64_t version) const {
  ACID_TRY(deleted_field(collection));
  ACID_ASSIGN_OR_RETURN(auto filter, by_id(id));
  filter.str("atproto.rkey", rkey);
  return write(Op::Kind::update_one, collection, std::move(filter),
               Doc()
                   .doc("$set", Doc().str("atproto.uri", uri).str("atproto.cid", cid))
                   .doc("$max", Doc().i64("acid.syncedVersion", version)));
}

Result<Op> ContentCommands::clear_record(std::string_view collection, std::string_view id,
                                         std::string_view rkey) const {
  ACID_TRY(deleted_field(collection));
  ACID_ASSIGN_OR_RETURN(auto filter, by_id(id));
  filter.str("atproto.rkey", rkey);
  return write(Op::Kind::update_one, collection, std::move(filter),
               Doc()
                   .doc("$unset",
                        Doc().str("atproto.rkey", "").str("atproto.uri", "").str("atproto.cid", ""))
                   .doc("$set", Doc().i64("acid.syncedVersion", 0)));
}

Result<Op> ContentCommands::mark_unsynced(std::string_view collection, std::string_view id) const {
  ACID_TRY(deleted_field(collection));
  ACID_ASSIGN_OR_RETURN(auto filter, by_id(id));
  return write(Op::Kind::update_one, collection, std::move(filter),
               Doc()
                   .doc("$unset", Doc().str("atproto.uri", "").str("atproto.cid", ""))
                   .doc("$set", Doc().i64("acid.syncedVersion", 0)));
}

Op ContentCommands::get_cursor(std::string_view name) const {
  return read(Op::Kind::find_one, kSyncCursors, Doc().str("_id", name));
}

Op ContentCommands::set_cursor(std::string_view name, std::string_view value,
                               UnixMillis now) const {
  return write(Op::Kind::update_one, kSyncCursors, Doc().str("_id", name),
               Doc().doc("$set", Doc().str("value", value).date("updatedAt", now)),
               Doc().boolean("upsert", true));
}

Op ContentCommands::delete_cursor(std::string_view name) const {
  return write(Op::Kind::delete_one, kSyncCursors, Doc().str("_id", name), Doc());
}

Result<ContentDoc> read_content(std::string_view collection, const bson_t *doc) {
  ACID_ASSIGN_OR_RETURN(auto del, ContentCommands::deleted_field(collection));
  ContentDoc out;
  out.collection = std::string(collection);
  Field id = Field::find(doc, "_id");
  if (id.type() == BSON_TYPE_OID) {
    char hex[25];
    bson_oid_to_string(bson_iter_oid(&id.iter()), hex);
    out.id = hex;
  } else if (auto s = id.as_string()) {
    out.id = *s;
  } else {
    return Error(Code::store, std::string(collection) + " holds a document whose _id is a " +
                                  id.type_name() + ", not an ObjectId or a string");
  }
  const auto bad = [&](const char *field, const Field &f) {
    return Error(Code::store,
                 std::string(collection) + " " + out.id + ": " + field + " is a " + f.type_name());
  };
  Field user = Field::find(doc, "user");
  if (!user.absent()) {
    auto s = user.as_string();
    if (!s) return bad("user", user);
    out.user = *s;
  }
  for (std::string_view name : content_fields(collection)) {
    Field f = Field::find(doc, name);
    if (f.absent()) continue;
    auto s = f.as_string();
    if (!s) return bad(std::string(name).c_str(), f);
    out.fields[std::string(name)] = *s;
  }
  Field when = Field::find(doc, "when");
  if (auto d = when.as_date()) {
    out.when = *d;
  } else if (auto s = when.as_string()) {
    auto t = parse_timestamp(*s);
    if (!t) return bad("when", when);
    out.when = *t;
  } else if (!when.absent()) {
    return bad("when", when);
  }
  Field deleted = Field::find(doc, del);
  out.deleted = !deleted.absent() && deleted.as_bool().value_or(false);
  for (auto [path, slot] :
       {std::pair{"atproto.rkey", &out.atproto.rkey}, std::pair{"atproto.uri", &out.atproto.uri},
        std::pair{"atproto.cid", &out.atproto.cid}}) {
    Field f = Field::find(doc, path);
    if (f.absent()) continue;
    auto s = f.as_string();
    if (!s) return bad(path, f);
    *slot = *s;
  }
  out.version = Field::find(doc, "acid.contentVersion").as_int().value_or(0);
  out.synced_version = Field::find(doc, "acid.syncedVersion").as_int().value_or(0);
  return out;
}

}  // namespace acid::store::mongo
