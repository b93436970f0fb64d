// The content mirror's reports and log lines as JSON: one writer per type (docs/sync.md).
#include "sync/mirror_report.h"

#include <utility>

namespace acid::sync {

namespace {

std::string_view detail_of(const Error &error) {
  return error.detail_json.empty() ? std::string_view("{}") : std::string_view(error.detail_json);
}

// What the writes of a pass did, in the order every report and log line lists them.
void write_outcomes(json::Writer &w, const SyncTally &t) {
  for (auto [k, v] : {std::pair{"created", t.created}, std::pair{"retried", t.retried},
                      std::pair{"updated", t.updated}, std::pair{"deleted", t.deleted},
                      std::pair{"failed", t.failed}}) {
    json::member(w, k, v);
  }
}

void write_tally(json::Writer &w, const SyncTally &t, bool apply) {
  json::member(w, "users", t.users);
  json::member(w, "skipped_users", t.skipped_users);
  json::member(w, "unchanged", t.unchanged);
  if (apply) {
    write_outcomes(w, t);
    json::member(w, "fallbacks", t.fallbacks);
    json::member(w, "batches", t.batches);
  } else {
    for (auto [k, v] :
         {std::pair{"would_create", t.would_create}, std::pair{"would_update", t.would_update},
          std::pair{"would_delete", t.would_delete}}) {
      json::member(w, k, v);
    }
  }
}

void write_problems(json::Writer &w, const SyncProblems &p) {
  json::object_array(w, "skipped", p.skipped, [](json::Writer &o, const SyncSkip &s) {
    json::member(o, "collection", s.collection);
    json::member(o, "user", s.user);
    json::member(o, "reason", s.reason);
  });
  json::object_array(w, "failures", p.failures, [](json::Writer &o, const SyncFailure &f) {
    json::member(o, "collection", f.collection);
    json::member(o, "user", f.user);
    if (!f.id.empty()) json::member(o, "id", f.id);
    json::member(o, "op", f.op);
    json::error_members(o, f.error);
  });
  json::member(w, "failures_total", p.failures_total);
}

void write_verify_collection(json::Writer &w, const VerifyCollectionReport &c, bool fix) {
  const VerifyTally &t = c.tally;
  json::member(w, "collection", c.collection);
  json::member(w, "nsid", c.nsid);
  for (auto [k, v] :
       {std::pair{"users", t.users}, std::pair{"skipped_users", t.skipped_users},
        std::pair{"documents", t.documents}, std::pair{"records", t.records},
        std::pair{"missing", t.missing}, std::pair{"extra", t.extra},
        std::pair{"duplicates", t.duplicates}, std::pair{"unreferenced", t.unreferenced},
        std::pair{"stale_pointers", t.stale_pointers}, std::pair{"failed", t.failed}}) {
    json::member(w, k, v);
  }
  if (!fix) return;
  w.Key("fixed");
  w.StartObject();
  json::member(w, "deleted_records", t.deleted_records);
  json::member(w, "adopted", t.adopted);
  json::member(w, "rewritten", t.rewritten);
  write_outcomes(w, c.synced);
  w.EndObject();
}

void write_issues(json::Writer &w, const std::vector<VerifyIssue> &issues) {
  json::object_array(w, "issues", issues, [](json::Writer &o, const VerifyIssue &i) {
    json::member(o, "collection", i.collection);
    json::member(o, "user", i.user);
    json::member(o, "kind", i.kind);
    if (!i.ref.empty()) json::member(o, "ref", i.ref);
    o.Key("rkeys");
    o.StartArray();
    for (const auto &k : i.rkeys) o.String(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    o.EndArray();
  });
}

}  // namespace

std::string to_json(const SyncReport &report) {
  return json::object([&](json::Writer &w) {
    json::member(w, "dry_run", report.dry_run);
    json::object_array(w, "collections", report.collections,
                       [&](json::Writer &o, const SyncCollectionReport &c) {
                         json::member(o, "collection", c.collection);
                         json::member(o, "nsid", c.nsid);
                         if (!c.resumed_after.empty()) {
                           json::member(o, "resumed_after", c.resumed_after);
                         }
                         write_tally(o, c.tally, !report.dry_run);
                       });
    write_problems(w, report.problems);
    json::member(w, "pds_calls", report.pds_calls);
  });
}

std::string to_json(const VerifyReport &report) {
  return json::object([&](json::Writer &w) {
    json::member(w, "fix", report.fix);
    json::object_array(w, "collections", report.collections,
                       [&](json::Writer &o, const VerifyCollectionReport &c) {
                         write_verify_collection(o, c, report.fix);
                       });
    write_issues(w, report.issues);
    json::member(w, "issues_total", report.issues_total);
    write_problems(w, report.problems);
    json::member(w, "pds_calls", report.pds_calls);
  });
}

std::string to_json(const SyncProgress &progress) {
  return json::object([&](json::Writer &w) {
    json::member(w, "collection", progress.collection);
    json::member(w, "user", progress.user);
    json::member(w, "users_done", progress.users_done);
    write_outcomes(w, *progress.tally);
    json::member(w, "skipped_users", progress.tally->skipped_users);
  });
}

std::string failure_log_json(const SyncFailure &failure) {
  return json::object([&](json::Writer &w) {
    json::member(w, "collection", failure.collection);
    json::member(w, "id", failure.id);
    json::member(w, "op", failure.op);
    json::member(w, "error", failure.error.message);
    json::raw_member(w, "detail", detail_of(failure.error));
  });
}

std::string batch_fallback_log_json(std::string_view collection, std::int64_t documents,
                                    const Error &error) {
  return json::object([&](json::Writer &w) {
    json::member(w, "collection", collection);
    json::member(w, "documents", documents);
    json::member(w, "error", error.message);
  });
}

std::string records_log_json(std::string_view collection, const SyncTally &tally) {
  return json::object([&](json::Writer &w) {
    json::member(w, "collection", collection);
    write_outcomes(w, tally);
  });
}

}  // namespace acid::sync
