#include "sync/content_import.h"

#include <map>
#include <vector>

#include "core/json.h"
#include "core/time.h"
#include "sync/mapping.h"

namespace acid::sync {

namespace {

constexpr std::size_t kMaxIdBytes = 128;

bool printable(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

Error line_error(std::size_t line, const std::string &message) {
  return Error(Code::invalid, "line " + std::to_string(line) + ": " + message,
               "{\"line\":" + std::to_string(line) + "}");
}

Result<store::ContentDoc> parse_line(std::string_view text, std::size_t line) {
  auto parsed = json::parse(text);
  if (!parsed) return line_error(line, "not JSON: " + parsed.error().message);
  const rapidjson::Value &v = *parsed;
  if (!v.IsObject()) return line_error(line, "not a JSON object");
  auto collection = json::get_string(v, "collection");
  if (!collection) return line_error(line, "\"collection\" (a string) is required");
  auto mapping = mapping_for(*collection);
  if (!mapping) return line_error(line, mapping.error().message);
  const CollectionMapping &m = **mapping;
  store::ContentDoc doc;
  doc.collection = std::string(m.collection);
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const std::string name(it->name.GetString(), it->name.GetStringLength());
    const rapidjson::Value &value = it->value;
    if (name == "collection") continue;
    if (name == "_id") {
      if (!value.IsString() || value.GetStringLength() == 0) {
        return line_error(line, "\"_id\" must be a non-empty string");
      }
      doc.id.assign(value.GetString(), value.GetStringLength());
      if (doc.id.size() > kMaxIdBytes || !printable(doc.id)) {
        return line_error(line, "\"_id\" must be at most 128 printable bytes");
      }
    } else if (name == "user") {
      if (!value.IsString()) return line_error(line, "\"user\" must be a string");
      doc.user.assign(value.GetString(), value.GetStringLength());
      if (!printable(doc.user) || doc.user.size() > 256) {
        return line_error(line, "\"user\" must be at most 256 printable bytes");
      }
    } else if (name == "when") {
      if (!value.IsString()) return line_error(line, "\"when\" must be an ISO 8601 string");
      auto t = parse_timestamp(std::string_view(value.GetString(), value.GetStringLength()));
      if (!t) return line_error(line, "\"when\": " + t.error().message);
      doc.when = *t;
    } else if (name == m.deleted_field) {
      if (!value.IsBool()) return line_error(line, "\"" + name + "\" must be true or false");
      doc.deleted = value.GetBool();
    } else {
      bool known = false;
      for (const FieldRule &rule : m.fields) known = known || rule.source == name;
      if (!known) {
        return line_error(
            line, "unknown field \"" + name.substr(0, 64) + "\" for " + std::string(m.collection));
      }
      if (!value.IsString()) return line_error(line, "\"" + name + "\" must be a string");
      doc.fields[name].assign(value.GetString(), value.GetStringLength());
    }
  }
  if (doc.id.empty()) return line_error(line, "\"_id\" is required");
  if (!v.HasMember("when")) return line_error(line, "\"when\" is required");
  if (doc.user.empty() && !m.guest_repo) {
    return line_error(line, "\"user\" is required for " + std::string(m.collection));
  }
  Status st = validate(m, doc);
  if (!st) return line_error(line, st.error().message);
  return doc;
}

}  // namespace

Result<std::vector<store::ContentDoc>> parse_content_lines(std::string_view jsonl) {
  std::vector<store::ContentDoc> docs;
  std::map<std::pair<std::string, std::string>, std::size_t> seen;  // (collection, id) -> line
  std::size_t line = 0;
  while (!jsonl.empty()) {
    const std::size_t nl = jsonl.find('\n');
    std::string_view text = jsonl.substr(0, nl);
    jsonl = nl == std::string_view::npos ? std::string_view() : jsonl.substr(nl + 1);
    ++line;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.find_first_not_of(" \t") == std::string_view::npos) continue;
    ACID_ASSIGN_OR_RETURN(auto doc, parse_line(text, line));
    auto [it, inserted] = seen.emplace(std::pair{doc.collection, doc.id}, line);
    if (!inserted) {
      return line_error(line, "_id " + doc.id + " appears again (first on line " +
                                  std::to_string(it->second) + ")");
    }
    docs.push_back(std::move(doc));
  }
  if (docs.empty()) return Error(Code::invalid, "no documents in the input");
  return docs;
}

Result<ImportReport> import_content(store::ContentStore &store, std::string_view jsonl) {
  ACID_ASSIGN_OR_RETURN(auto parsed, parse_content_lines(jsonl));
  const std::vector<store::ContentDoc> &docs = parsed;
  ImportReport report;
  report.documents = static_cast<std::int64_t>(docs.size());
  for (const store::ContentDoc &d : docs) {
    auto r = store.upsert_content(d);
    if (!r) {
      return std::move(r).error().context("importing " + d.collection + " " + d.id + " (after " +
                                          std::to_string(report.changed) + " changed documents)");
    }
    if (*r) ++report.changed;
    ++report.collections[d.collection];
  }
  return report;
}

std::string to_json(const ImportReport &report) {
  return json::object([&](json::Writer &w) {
    json::member(w, "documents", report.documents);
    json::member(w, "changed", report.changed);
    json::member(w, "unchanged", report.documents - report.changed);
    w.Key("collections");
    w.StartObject();
    for (const auto &[collection, n] : report.collections) json::member(w, collection, n);
    w.EndObject();
  });
}

std::string to_json(const ContentDeletion &deletion) {
  return json::object([&](json::Writer &w) {
    json::member(w, "collection", deletion.collection);
    json::member(w, "id", deletion.id);
    json::member(w, "changed", deletion.changed);
  });
}

Result<ContentDeletion> delete_content(store::ContentStore &store, std::string_view collection,
                                       std::string_view id) {
  ACID_TRY(mapping_for(collection));
  if (id.empty()) return Error(Code::invalid, "an empty _id");
  ACID_ASSIGN_OR_RETURN(auto changed, store.set_content_deleted(collection, id, true));
  return ContentDeletion{std::string(collection), std::string(id), changed};
}

}  // namespace acid::sync
