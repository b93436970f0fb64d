// The content mirror's reports and log lines as JSON: one writer per type (docs/sync.md).
#include "sync/mirror_report.h"

#include <utility>

namespace acid::sync {

namespace {

void put_string(json::Writer &w, const char *key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void put_int(json::Writer &w, const char *key, std::int64_t value) {
  w.Key(key);
  w.Int64(value);
}

void put_raw(json::Writer &w, const char *key, std::string_view raw_json) {
  w.Key(key);
  w.RawValue(raw_json.data(), raw_json.size(), rapidjson::kObjectType);
}

std::string_view detail_of(const Error &error) {
  return error.detail_json.empty() ? std::string_view("{}") : std::string_view(error.detail_json);
}

std::string text_of(const rapidjson::StringBuffer &buf) {
  return std::string(buf.GetString(), buf.GetSize());
}

void write_tally(json::Writer &w, const SyncTally &t, bool apply) {
  put_int(w, "users", t.users);
  put_int(w, "skipped_users", t.skipped_users);
  put_int(w, "unchanged", t.unchanged);
  if (apply) {
    for (auto [k, v] : {std::pair{"created", t.created}, std::pair{"retried", t.retried},
                        std::pair{"updated", t.updated}, std::pair{"deleted", t.deleted},
                        std::pair{"failed", t.failed}, std::pair{"fallbacks", t.fallbacks},
                        std::pair{"batches", t.batches}}) {
      put_int(w, k, v);
    }
  } else {
    for (auto [k, v] :
         {std::pair{"would_create", t.would_create}, std::pair{"would_update", t.would_update},
          std::pair{"would_delete", t.would_delete}}) {
      put_int(w, k, v);
    }
  }
}

void write_problems(json::Writer &w, const SyncProblems &p) {
  w.Key("skipped");
  w.StartArray();
  for (const SyncSkip &s : p.skipped) {
    w.StartObject();
    put_string(w, "collection", s.collection);
    put_string(w, "user", s.user);
    put_string(w, "reason", s.reason);
    w.EndObject();
  }
  w.EndArray();
  w.Key("failures");
  w.StartArray();
  for (const SyncFailure &f : p.failures) {
    w.StartObject();
    put_string(w, "collection", f.collection);
    put_string(w, "user", f.user);
    if (!f.id.empty()) put_string(w, "id", f.id);
    put_string(w, "op", f.op);
    put_string(w, "code", code_name(f.error.code));
    put_string(w, "message", f.error.message);
    put_raw(w, "detail", detail_of(f.error));
    w.EndObject();
  }
  w.EndArray();
  put_int(w, "failures_total", p.failures_total);
}

void write_verify_collection(json::Writer &w, const VerifyCollectionReport &c, bool fix) {
  const VerifyTally &t = c.tally;
  w.StartObject();
  put_string(w, "collection", c.collection);
  put_string(w, "nsid", c.nsid);
  for (auto [k, v] :
       {std::pair{"users", t.users}, std::pair{"skipped_users", t.skipped_users},
        std::pair{"documents", t.documents}, std::pair{"records", t.records},
        std::pair{"missing", t.missing}, std::pair{"extra", t.extra},
        std::pair{"duplicates", t.duplicates}, std::pair{"unreferenced", t.unreferenced},
        std::pair{"stale_pointers", t.stale_pointers}, std::pair{"failed", t.failed}}) {
    put_int(w, k, v);
  }
  if (fix) {
    const SyncTally &s = c.synced;
    w.Key("fixed");
    w.StartObject();
    for (auto [k, v] :
         {std::pair{"deleted_records", t.deleted_records}, std::pair{"adopted", t.adopted},
          std::pair{"rewritten", t.rewritten}, std::pair{"created", s.created},
          std::pair{"retried", s.retried}, std::pair{"updated", s.updated},
          std::pair{"deleted", s.deleted}, std::pair{"failed", s.failed}}) {
      put_int(w, k, v);
    }
    w.EndObject();
  }
  w.EndObject();
}

void write_issues(json::Writer &w, const std::vector<VerifyIssue> &issues) {
  w.Key("issues");
  w.StartArray();
  for (const VerifyIssue &i : issues) {
    w.StartObject();
    put_string(w, "collection", i.collection);
    put_string(w, "user", i.user);
    put_string(w, "kind", i.kind);
    if (!i.ref.empty()) put_string(w, "ref", i.ref);
    w.Key("rkeys");
    w.StartArray();
    for (const auto &k : i.rkeys) w.String(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

std::string to_json(const SyncReport &report) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::member(w, "dry_run", report.dry_run);
  w.Key("collections");
  w.StartArray();
  for (const SyncCollectionReport &c : report.collections) {
    w.StartObject();
    put_string(w, "collection", c.collection);
    put_string(w, "nsid", c.nsid);
    if (!c.resumed_after.empty()) put_string(w, "resumed_after", c.resumed_after);
    write_tally(w, c.tally, !report.dry_run);
    w.EndObject();
  }
  w.EndArray();
  write_problems(w, report.problems);
  json::member(w, "pds_calls", report.pds_calls);
  w.EndObject();
  return text_of(buf);
}

std::string to_json(const VerifyReport &report) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::member(w, "fix", report.fix);
  w.Key("collections");
  w.StartArray();
  for (const VerifyCollectionReport &c : report.collections) {
    write_verify_collection(w, c, report.fix);
  }
  w.EndArray();
  write_issues(w, report.issues);
  put_int(w, "issues_total", report.issues_total);
  write_problems(w, report.problems);
  json::member(w, "pds_calls", report.pds_calls);
  w.EndObject();
  return text_of(buf);
}

std::string to_json(const SyncProgress &progress) {
  const SyncTally &t = *progress.tally;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  put_string(w, "collection", progress.collection);
  put_string(w, "user", progress.user);
  put_int(w, "users_done", progress.users_done);
  put_int(w, "created", t.created);
  put_int(w, "retried", t.retried);
  put_int(w, "updated", t.updated);
  put_int(w, "deleted", t.deleted);
  put_int(w, "failed", t.failed);
  put_int(w, "skipped_users", t.skipped_users);
  w.EndObject();
  return text_of(buf);
}

std::string failure_log_json(const SyncFailure &failure) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  put_string(w, "collection", failure.collection);
  put_string(w, "id", failure.id);
  put_string(w, "op", failure.op);
  put_string(w, "error", failure.error.message);
  put_raw(w, "detail", detail_of(failure.error));
  w.EndObject();
  return text_of(buf);
}

std::string batch_fallback_log_json(std::string_view collection, std::int64_t documents,
                                    const Error &error) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  put_string(w, "collection", collection);
  put_int(w, "documents", documents);
  put_string(w, "error", error.message);
  w.EndObject();
  return text_of(buf);
}

std::string records_log_json(std::string_view collection, const SyncTally &tally) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  put_string(w, "collection", collection);
  put_int(w, "created", tally.created);
  put_int(w, "retried", tally.retried);
  put_int(w, "updated", tally.updated);
  put_int(w, "deleted", tally.deleted);
  put_int(w, "failed", tally.failed);
  w.EndObject();
  return text_of(buf);
}

}  // namespace acid::sync
