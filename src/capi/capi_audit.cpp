// The C ABI of the audit and the backfill (docs/audit.md): acid_audit, acid_backfill.
#include <mutex>

#include "acidentity/acidentity.h"
#include "audit/audit.h"
#include "capi/client.h"
#include "capi/guard.h"
#include "core/json.h"

using acid::Code;
using acid::Error;
using acid::Result;
using acid::Status;
using acid::capi::guard;
using acid::capi::require;

namespace {

constexpr std::size_t kMaxOptionsBytes = 1 << 20;

Result<rapidjson::Document> options_document(const char *options_json) {
  const std::string_view text(options_json);
  if (text.size() > kMaxOptionsBytes) return Error(Code::invalid, "options_json is too large");
  auto doc = acid::json::parse(text);
  if (!doc) return std::move(doc).error().context("options_json");
  if (!doc->IsObject()) return Error(Code::invalid, "options_json must be a JSON object");
  return doc;
}

}  // namespace

extern "C" {

ACID_EXTERN int acid_audit(acid_client *client, const char *options_json, char **report_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr && options_json != nullptr && report_json != nullptr,
                     "acid_audit: client, options_json and report_json are required"));
    *report_json = nullptr;
    auto doc = options_document(options_json);
    if (!doc) return std::move(doc).error();
    for (const char *member : {"fix", "concurrency", "delete_orphans", "budget_ms"}) {
      if (doc->HasMember(member)) {
        return Error(Code::invalid, std::string("acid_audit: \"") + member +
                                        "\" is a backfill option (use acid_backfill)");
      }
    }
    auto options = acid::audit::parse_options(*doc);
    if (!options) return std::move(options).error();
    auto report = acid::audit::run_audit(*client->engine, *options);
    if (!report) return std::move(report).error();
    return acid::capi::hand_out(acid::audit::to_json(*report), report_json);
  });
}

ACID_EXTERN int acid_backfill(acid_client *client, const char *options_json,
                              acid_progress_fn progress, void *user_data, char **report_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr && options_json != nullptr && report_json != nullptr,
                     "acid_backfill: client, options_json and report_json are required"));
    *report_json = nullptr;
    auto doc = options_document(options_json);
    if (!doc) return std::move(doc).error();
    auto audit_options = acid::audit::parse_options(*doc);
    if (!audit_options) return std::move(audit_options).error();
    acid::audit::BackfillOptions options;
    options.audit = std::move(*audit_options);
    if (auto it = doc->FindMember("fix"); it != doc->MemberEnd()) {
      if (!it->value.IsBool())
        return Error(Code::invalid, "backfill option \"fix\" must be a boolean");
      options.fix = it->value.GetBool();
    }
    if (auto it = doc->FindMember("delete_orphans"); it != doc->MemberEnd()) {
      if (!it->value.IsBool()) {
        return Error(Code::invalid, "backfill option \"delete_orphans\" must be a boolean");
      }
      options.delete_orphans = it->value.GetBool();
    }
    if (auto it = doc->FindMember("concurrency"); it != doc->MemberEnd()) {
      if (!it->value.IsInt() || it->value.GetInt() < 1 || it->value.GetInt() > 64) {
        return Error(Code::invalid, "backfill option \"concurrency\" must be from 1 to 64");
      }
      options.concurrency = it->value.GetInt();
    }
    if (auto it = doc->FindMember("budget_ms"); it != doc->MemberEnd()) {
      if (!it->value.IsInt64() || it->value.GetInt64() < 1) {
        return Error(Code::invalid, "backfill option \"budget_ms\" must be a positive integer");
      }
      options.budget_ms = it->value.GetInt64();
    }
    if (options.delete_orphans && options.audit.scope != acid::audit::Scope::all) {
      return Error(Code::invalid,
                   "\"delete_orphans\" needs the \"all\" scope (orphans are only "
                   "found against the whole store)");
    }
    std::mutex mu;  // one progress call at a time, whichever thread makes it
    acid::audit::ProgressSink sink;
    if (progress != nullptr) {
      sink = [&](const acid::audit::Progress &p) {
        const std::string line =
            "{\"phase\":" + acid::json::quote(p.phase) + ",\"done\":" + std::to_string(p.done) +
            ",\"total\":" + std::to_string(p.total) + ",\"failed\":" + std::to_string(p.failed) +
            ",\"elapsed_s\":" + std::to_string(p.elapsed_s) + "}";
        std::lock_guard lock(mu);
        progress(line.c_str(), user_data);
      };
    }
    auto report = acid::audit::run_backfill(*client->engine, options, sink);
    if (!report) return std::move(report).error();
    return acid::capi::hand_out(acid::audit::to_json(*report), report_json);
  });
}

}  // extern "C"
