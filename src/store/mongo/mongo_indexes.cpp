#include "store/mongo/mongo_indexes.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "core/enum_names.h"
#include "core/json.h"

namespace acid::store::mongo {

namespace {

Doc key1(std::string_view field) {
  return Doc().i32(field, 1);
}

std::string shell_collection(std::string_view collection) {
  return "db.getCollection(" + json::quote(collection) + ")";
}

// The shell query listing documents that share a value of `field` (what a unique index on it
// would refuse), restricted to documents where the field is a string.
std::string duplicates_query(std::string_view collection, std::string_view field) {
  const std::string f = json::quote(field);
  return shell_collection(collection) + ".aggregate([{$match: {" + f +
         ": {$type: \"string\"}}}, {$group: {_id: \"$" + std::string(field) +
         "\", n: {$sum: 1}}}, {$match: {n: {$gt: 1}}}])";
}

// ICU collation attributes with their defaults (those of locale "en", the only one the library
// asks for; another locale differs in `locale` already).
struct Collation {
  bool simple = true;
  std::string locale = "simple";
  std::int64_t strength = 3;
  bool case_level = false;
  std::string case_first = "off";
  bool numeric_ordering = false;
  std::string alternate = "non-ignorable";
  std::string max_variable = "punct";
  bool normalization = false;
  bool backwards = false;

  bool operator==(const Collation &o) const {
    if (simple || o.simple) return simple == o.simple;
    return locale == o.locale && strength == o.strength && case_level == o.case_level &&
           case_first == o.case_first && numeric_ordering == o.numeric_ordering &&
           alternate == o.alternate && max_variable == o.max_variable &&
           normalization == o.normalization && backwards == o.backwards;
  }
};

Collation read_collation(const bson_t *doc) {
  Collation c;
  const Field f = Field::find(doc, "collation");
  if (!f.is_document()) return c;
  const auto coll = f.as_doc();
  if (!coll) return c;
  const bson_t *d = coll->get();
  c.locale = Field::find(d, "locale").as_string().value_or("simple");
  c.simple = c.locale == "simple";
  if (auto v = Field::find(d, "strength").as_int()) c.strength = *v;
  if (auto v = Field::find(d, "caseLevel").as_bool()) c.case_level = *v;
  if (auto v = Field::find(d, "caseFirst").as_string()) c.case_first = *v;
  if (auto v = Field::find(d, "numericOrdering").as_bool()) c.numeric_ordering = *v;
  if (auto v = Field::find(d, "alternate").as_string()) c.alternate = *v;
  if (auto v = Field::find(d, "maxVariable").as_string()) c.max_variable = *v;
  if (auto v = Field::find(d, "normalization").as_bool()) c.normalization = *v;
  if (auto v = Field::find(d, "backwards").as_bool()) c.backwards = *v;
  return c;
}

// {f: v} and {f: {$eq: v}} are the same filter; $and lists are normalised element-wise.
Doc normalize_filter(const bson_t *filter) {
  Doc out;
  bson_iter_t it;
  if (!bson_iter_init(&it, filter)) return out;
  while (bson_iter_next(&it)) {
    const std::string key = bson_iter_key(&it);
    bson_t *raw = out.get();
    if (key == "$and" && BSON_ITER_HOLDS_ARRAY(&it)) {
      bson_iter_t child;
      bson_iter_recurse(&it, &child);
      Arr items;
      while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&child)) continue;
        std::uint32_t len = 0;
        const std::uint8_t *data = nullptr;
        bson_iter_document(&child, &len, &data);
        bson_t view;
        if (bson_init_static(&view, data, len)) items.doc(normalize_filter(&view));
      }
      out.arr(key, items);
      continue;
    }
    bool is_operator_doc = false;
    if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
      bson_iter_t child;
      bson_iter_recurse(&it, &child);
      is_operator_doc = bson_iter_next(&child) && bson_iter_key(&child)[0] == '$';
    }
    if (key.rfind('$', 0) == 0 || is_operator_doc) {
      bson_append_iter(raw, key.c_str(), static_cast<int>(key.size()), &it);
    } else {
      bson_t eq;
      bson_append_document_begin(raw, key.c_str(), static_cast<int>(key.size()), &eq);
      bson_append_iter(&eq, "$eq", 3, &it);
      bson_append_document_end(raw, &eq);
    }
  }
  return out;
}

// The options that change what an index means.
struct Semantics {
  bool unique = false;
  bool sparse = false;
  bool hidden = false;
  std::string partial;  // canonical JSON of the normalised filter, "" when none
  std::optional<double> expire;

  bool operator==(const Semantics &o) const {
    return unique == o.unique && sparse == o.sparse && hidden == o.hidden && partial == o.partial &&
           expire == o.expire;
  }
};

Semantics read_semantics(const bson_t *doc) {
  Semantics s;
  s.unique = Field::find(doc, "unique").as_bool().value_or(false);
  s.sparse = Field::find(doc, "sparse").as_bool().value_or(false);
  s.hidden = Field::find(doc, "hidden").as_bool().value_or(false);
  const Field partial = Field::find(doc, "partialFilterExpression");
  if (partial.is_document()) {
    if (auto d = partial.as_doc()) s.partial = normalize_filter(d->get()).canonical_json();
  }
  s.expire = Field::find(doc, "expireAfterSeconds").as_number();
  return s;
}

std::string partial_text(const std::string &canonical) {
  if (canonical.empty()) return "none";
  auto d = Doc::from_json(canonical);
  return d ? d->relaxed_json() : canonical;
}

std::string number_text(double v) {
  if (v == static_cast<double>(static_cast<std::int64_t>(v))) {
    return std::to_string(static_cast<std::int64_t>(v));
  }
  return std::to_string(v);
}

// "unique: false (needs true); sparse: false (needs true)"
std::string differences(const Semantics &have, const Semantics &need) {
  std::vector<std::string> parts;
  auto flag = [&](const char *name, bool h, bool n) {
    if (h != n) {
      parts.push_back(std::string(name) + ": " + (h ? "true" : "false") + " (needs " +
                      (n ? "true" : "false") + ")");
    }
  };
  flag("unique", have.unique, need.unique);
  flag("sparse", have.sparse, need.sparse);
  flag("hidden", have.hidden, need.hidden);
  if (have.partial != need.partial) {
    parts.push_back("partialFilterExpression: " + partial_text(have.partial) + " (needs " +
                    partial_text(need.partial) + ")");
  }
  if (have.expire != need.expire) {
    parts.push_back("expireAfterSeconds: " + (have.expire ? number_text(*have.expire) : "none") +
                    " (needs " + (need.expire ? number_text(*need.expire) : "none") + ")");
  }
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += "; ";
    out += parts[i];
  }
  return out;
}

bool numeric(const bson_iter_t &it) {
  const bson_type_t t = bson_iter_type(&it);
  return t == BSON_TYPE_INT32 || t == BSON_TYPE_INT64 || t == BSON_TYPE_DOUBLE ||
         t == BSON_TYPE_DECIMAL128;
}

double number_of(const bson_iter_t &it) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
      return bson_iter_int32(&it);
    case BSON_TYPE_INT64:
      return static_cast<double>(bson_iter_int64(&it));
    case BSON_TYPE_DOUBLE:
      return bson_iter_double(&it);
    default:
      return 0.0;  // decimal128 keys do not occur in practice; compared as unequal below
  }
}

// Same fields in the same order with the same directions (numbers compared by value) or types
// ("hashed", "text", "2dsphere").
bool same_key(const bson_t *a, const bson_t *b) {
  bson_iter_t ia, ib;
  if (!bson_iter_init(&ia, a) || !bson_iter_init(&ib, b)) return false;
  for (;;) {
    const bool more_a = bson_iter_next(&ia);
    const bool more_b = bson_iter_next(&ib);
    if (more_a != more_b) return false;
    if (!more_a) return true;
    if (std::string_view(bson_iter_key(&ia)) != bson_iter_key(&ib)) return false;
    if (numeric(ia) && numeric(ib)) {
      if (bson_iter_type(&ia) == BSON_TYPE_DECIMAL128 ||
          bson_iter_type(&ib) == BSON_TYPE_DECIMAL128) {
        return false;
      }
      if (number_of(ia) != number_of(ib)) return false;
    } else if (BSON_ITER_HOLDS_UTF8(&ia) && BSON_ITER_HOLDS_UTF8(&ib)) {
      if (std::string_view(bson_iter_utf8(&ia, nullptr)) != bson_iter_utf8(&ib, nullptr)) {
        return false;
      }
    } else {
      return false;
    }
  }
}

std::string fix_for(const IndexSpec &spec, std::string_view existing_name) {
  std::string fix;
  if (!spec.check.empty()) {
    fix += "check that " + spec.check + " returns nothing (resolve any duplicates first), then ";
  }
  fix += "run " + shell_collection(spec.collection) + ".dropIndex(" + json::quote(existing_name) +
         ") and `acidentity doctor --fix`, which creates " + json::quote(spec.name) + " " +
         spec.key.relaxed_json() + " " + spec.options.relaxed_json();
  return fix;
}

}  // namespace

std::vector<IndexSpec> required_indexes() {
  std::vector<IndexSpec> specs;
  auto add = [&](std::string collection, std::string name, IndexRole role, Doc key, Doc options,
                 std::string purpose, std::string check) {
    specs.push_back(IndexSpec{std::move(collection), std::move(name), role, std::move(key),
                              std::move(options), std::move(purpose), std::move(check), false});
  };
  add("users", "code_unique", IndexRole::code, key1("code"),
      Doc().boolean("unique", true).boolean("sparse", true),
      "a user code belongs to one person; documents without a code are not indexed",
      duplicates_query("users", "code"));
  add("users", "acid_atproto_did_unique", IndexRole::did, key1("atproto.did"),
      Doc()
          .boolean("unique", true)
          .doc("partialFilterExpression", Doc().doc("atproto.did", Doc().str("$type", "string"))),
      "a DID belongs to one person (documents whose atproto.did is missing or null are not "
      "indexed)",
      duplicates_query("users", "atproto.did"));
  add("users", "acid_owed_at", IndexRole::other, key1("acid.owed.at"),
      Doc().boolean("sparse", true),
      "finds state changes whose job scheduling was interrupted (normally empty)", "");
  add("@handles", "acid_handle_ci_unique", IndexRole::handle, key1("handle"),
      Doc().boolean("unique", true).doc("collation", Doc().str("locale", "en").i32("strength", 2)),
      "an AC handle belongs to one person, compared case-insensitively",
      shell_collection("@handles") +
          ".aggregate([{$group: {_id: {$toLower: \"$handle\"}, n: {$sum: 1}}}, {$match: {n: "
          "{$gt: 1}}}])");
  add("acid_jobs", "acid_jobs_open_unique", IndexRole::open_job, Doc().i32("sub", 1).i32("kind", 1),
      Doc().boolean("unique", true).doc("partialFilterExpression", Doc().str("status", "open")),
      "at most one open job per person and kind",
      shell_collection("acid_jobs") +
          ".aggregate([{$match: {status: \"open\"}}, {$group: {_id: {sub: \"$sub\", kind: "
          "\"$kind\"}, n: {$sum: 1}}}, {$match: {n: {$gt: 1}}}])");
  // Scheduling a job is an insert this index alone keeps single (no software check can); it
  // lives on the library's own collection, so no one else's data can make it unbuildable.
  specs.back().required = true;
  add("acid_jobs", "acid_jobs_due", IndexRole::other,
      Doc().i32("status", 1).i32("due", 1).i32("_id", 1), Doc(),
      "workers lease the open job due first", "");
  add("acid_jobs", "acid_jobs_sub", IndexRole::other, Doc().i32("sub", 1).i32("_id", 1), Doc(),
      "lists the jobs of one person", "");
  add("acid_code_claims", "acid_claims_yy", IndexRole::other, key1("yy"), Doc(),
      "counts the codes the allocator handed out per year", "");
  return specs;
}

std::vector<std::string> indexed_collections(const std::vector<IndexSpec> &specs) {
  std::vector<std::string> out;
  for (const auto &s : specs) {
    if (std::find(out.begin(), out.end(), s.collection) == out.end()) out.push_back(s.collection);
  }
  return out;
}

const char *to_string(IndexStatus status) {
  using enum IndexStatus;
  static constexpr EnumName<IndexStatus> kNames[] = {{found, "found"},
                                                     {missing, "would_create"},
                                                     {conflicting, "conflicting"},
                                                     {created, "created"},
                                                     {create_failed, "create_failed"}};
  static_assert(in_declaration_order(kNames));
  return name_of(kNames, status, "unknown");
}

std::size_t IndexReport::count(IndexStatus status) const {
  return static_cast<std::size_t>(std::count_if(
      checks.begin(), checks.end(), [&](const IndexCheck &c) { return c.status == status; }));
}

void compare_indexes(std::string_view collection, const std::vector<Doc> &listed,
                     const std::vector<IndexSpec> &specs, IndexReport &report) {
  std::vector<bool> used(listed.size(), false);
  for (const IndexSpec &spec : specs) {
    if (spec.collection != collection) continue;
    const Semantics need = read_semantics(spec.options.get());
    const Collation need_collation = read_collation(spec.options.get());
    IndexCheck check{spec, IndexStatus::missing, "", Doc(), "", ""};
    std::optional<std::size_t> conflicting;
    for (std::size_t i = 0; i < listed.size(); ++i) {
      const bson_t *entry = listed[i].get();
      const Field key = Field::find(entry, "key");
      const auto key_doc = key.as_doc();
      if (!key_doc || !same_key(key_doc->get(), spec.key.get())) continue;
      if (!(read_collation(entry) == need_collation)) continue;  // a distinct index
      if (read_semantics(entry) == need) {
        check.status = IndexStatus::found;
        check.existing_name = Field::find(entry, "name").as_string().value_or("");
        check.existing = listed[i];
        used[i] = true;
        conflicting.reset();
        break;
      }
      if (!conflicting) conflicting = i;
    }
    if (conflicting) {
      const bson_t *entry = listed[*conflicting].get();
      used[*conflicting] = true;
      check.status = IndexStatus::conflicting;
      check.existing_name = Field::find(entry, "name").as_string().value_or("");
      check.existing = listed[*conflicting];
      check.problem = std::string(collection) + ": existing index " +
                      json::quote(check.existing_name) + " on " + spec.key.relaxed_json() +
                      " has " + differences(read_semantics(entry), need) +
                      "; libacidentity needs it because " + spec.purpose;
      check.fix = fix_for(spec, check.existing_name);
    }
    report.checks.push_back(std::move(check));
  }
  for (std::size_t i = 0; i < listed.size(); ++i) {
    if (used[i]) continue;
    const bson_t *entry = listed[i].get();
    const std::string name = Field::find(entry, "name").as_string().value_or("");
    if (name == "_id_") continue;
    report.extra.push_back(ExtraIndex{std::string(collection), name,
                                      Field::find(entry, "key").as_doc().value_or(Doc())});
  }
}

Doc create_indexes_command(std::string_view collection,
                           const std::vector<const IndexSpec *> &specs) {
  Arr indexes;
  for (const IndexSpec *spec : specs) {
    Doc index;
    index.doc("key", spec->key).str("name", spec->name);
    bson_iter_t it;
    if (bson_iter_init(&it, spec->options.get())) {
      while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        bson_append_iter(index.get(), k, static_cast<int>(std::strlen(k)), &it);
      }
    }
    indexes.doc(index);
  }
  return Doc().str("createIndexes", collection).arr("indexes", indexes);
}

Status record_creation(IndexCheck &check, const Status &created) {
  if (created) {
    check.status = IndexStatus::created;
    return Status::ok();
  }
  const Code code = created.code();
  if (code == Code::unavailable || code == Code::auth || code == Code::timeout) return created;
  check.status = IndexStatus::create_failed;
  check.problem = check.spec.collection + ": creating index " + json::quote(check.spec.name) +
                  " failed: " + created.error().message;
  check.fix = check.spec.check.empty() ? "fix the cause above, then run `acidentity doctor --fix`"
                                       : "resolve the documents listed by " + check.spec.check +
                                             ", then run `acidentity doctor --fix`";
  return Status::ok();
}

std::vector<const IndexCheck *> index_problems(const IndexReport &report) {
  std::vector<const IndexCheck *> out;
  for (const IndexCheck &c : report.checks) {
    if (c.status == IndexStatus::conflicting || c.status == IndexStatus::create_failed) {
      out.push_back(&c);
    }
  }
  return out;
}

Result<std::vector<IndexCheck>> open_decision(std::string_view database,
                                              const IndexReport &report) {
  IndexReport blocking;
  std::vector<IndexCheck> degraded;
  for (const IndexCheck *c : index_problems(report)) {
    if (c->spec.required) {
      blocking.checks.push_back(*c);
    } else {
      degraded.push_back(*c);
    }
  }
  if (!blocking.checks.empty()) return conflicts_error(database, blocking);
  return degraded;
}

std::string problem_line(const IndexCheck &check) {
  return check.spec.collection + "." + check.spec.name + " " + to_string(check.status) + ": " +
         check.problem + " (fix: " + check.fix + ")";
}

Error conflicts_error(std::string_view database, const IndexReport &report) {
  std::string message = "the MongoDB database " + json::quote(database) +
                        " has indexes libacidentity cannot work with";
  std::vector<const IndexCheck *> refused;
  for (const IndexCheck &c : report.checks) {
    if (c.status != IndexStatus::conflicting && c.status != IndexStatus::create_failed) continue;
    message += "\n- " + c.problem + "\n  fix: " + c.fix;
    refused.push_back(&c);
  }
  std::string detail = json::object([&](json::Writer &w) {
    json::object_array(w, "indexes", refused, [](json::Writer &o, const IndexCheck *c) {
      json::member(o, "collection", c->spec.collection);
      json::member(o, "name", c->spec.name);
      json::member(o, "status", to_string(c->status));
      json::member(o, "existing_name", c->existing_name);
    });
  });
  message += "\n(`acidentity doctor` prints the full report)";
  return Error(Code::config, std::move(message), std::move(detail));
}

std::string doctor_json(std::string_view database, bool fix, const IndexReport &report) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  auto raw = [&](const Doc &d) {
    const std::string text = d.relaxed_json();
    w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
  };
  w.StartObject();
  w.Key("database");
  w.String(database.data(), static_cast<rapidjson::SizeType>(database.size()));
  json::member(w, "fix", fix);
  json::member(w, "ready", report.ready());
  w.Key("summary");
  w.StartObject();
  json::member(w, "expected", report.checks.size());
  for (IndexStatus s : {IndexStatus::found, IndexStatus::conflicting, IndexStatus::missing,
                        IndexStatus::created, IndexStatus::create_failed}) {
    w.Key(to_string(s));
    w.Uint64(report.count(s));
  }
  w.EndObject();
  w.Key("indexes");
  w.StartArray();
  for (const IndexCheck &c : report.checks) {
    w.StartObject();
    json::member(w, "collection", c.spec.collection);
    json::member(w, "name", c.spec.name);
    w.Key("key");
    raw(c.spec.key);
    w.Key("options");
    raw(c.spec.options);
    json::member(w, "purpose", c.spec.purpose);
    json::member(w, "status", to_string(c.status));
    if (!c.existing_name.empty()) {
      json::member(w, "existing_name", c.existing_name);
      w.Key("existing");
      raw(c.existing);
    }
    if (!c.problem.empty()) {
      json::member(w, "problem", c.problem);
    }
    if (!c.fix.empty()) {
      json::member(w, "fix", c.fix);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("extra");
  w.StartArray();
  for (const ExtraIndex &e : report.extra) {
    w.StartObject();
    json::member(w, "collection", e.collection);
    json::member(w, "name", e.name);
    w.Key("key");
    raw(e.key);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace acid::store::mongo
