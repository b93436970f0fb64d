// extern "C" entry points of the content sync (src/sync): argument checks, then the mirror.
#include <mutex>
#include <string>
#include <string_view>

#include "acidentity/acidentity.h"
#include "capi/client.h"
#include "capi/guard.h"
#include "sync/content_import.h"
#include "sync/mirror.h"

namespace {

using acid::Result;
using acid::Status;
using acid::capi::answer;
using acid::capi::guard;
using acid::capi::require;

std::string_view text_or_empty(const char *text) {
  return text == nullptr ? std::string_view() : std::string_view(text);
}

// A sync or verify run: the parsed options (their error named after `function`), a new mirror,
// `run` on it, and its report as JSON.
template <typename Options, typename Run>
Result<std::string> mirror_report(acid_client &client, Result<Options> options,
                                  const char *function, Run &&run) {
  if (!options) return std::move(options).error().context(function);
  ACID_ASSIGN_OR_RETURN(auto mirror, acid::sync::make_mirror(*client.engine));
  ACID_ASSIGN_OR_RETURN(auto report, run(*mirror, *options));
  return acid::sync::to_json(report);
}

}  // namespace

extern "C" {

ACID_EXTERN int acid_sync_records(acid_client *client, const char *options_json,
                                  acid_progress_fn progress, void *user_data, char **report_json) {
  return answer(__func__, client != nullptr && report_json != nullptr,
                "acid_sync_records: client and report_json are required", report_json,
                [&]() -> Result<std::string> {
                  auto options = acid::sync::parse_sync_options(text_or_empty(options_json));
                  if (options && progress != nullptr) {
                    options->progress = [progress, user_data](std::string_view json) {
                      const std::string text(json);
                      progress(text.c_str(), user_data);
                    };
                  }
                  return mirror_report(
                      *client, std::move(options), "acid_sync_records",
                      [](acid::sync::Mirror &m, const auto &o) { return m.sync(o); });
                });
}

ACID_EXTERN int acid_sync_verify(acid_client *client, const char *options_json,
                                 char **report_json) {
  return answer(__func__, client != nullptr && report_json != nullptr,
                "acid_sync_verify: client and report_json are required", report_json,
                [&]() -> Result<std::string> {
                  return mirror_report(
                      *client, acid::sync::parse_verify_options(text_or_empty(options_json)),
                      "acid_sync_verify",
                      [](acid::sync::Mirror &m, const auto &o) { return m.verify(o); });
                });
}

ACID_EXTERN int acid_sync_document(acid_client *client, const char *collection, const char *id,
                                   char **report_json) {
  if (report_json != nullptr) *report_json = nullptr;  // cleared before any check can fail
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(
        client != nullptr && collection != nullptr && id != nullptr && report_json != nullptr,
        "acid_sync_document: client, collection, id and report_json are required"));
    acid::sync::DocumentMirror *documents = nullptr;
    {
      std::lock_guard lock(client->documents_mu);
      if (!client->documents) {
        ACID_ASSIGN_OR_RETURN(client->documents, acid::sync::make_document_mirror(*client->engine));
      }
      documents = client->documents.get();
    }
    ACID_ASSIGN_OR_RETURN(const std::string report, documents->sync_document(collection, id));
    return acid::capi::hand_out(report, report_json);
  });
}

ACID_EXTERN int acid_content_import(acid_client *client, const char *jsonl, size_t len,
                                    char **report_json) {
  return answer(
      __func__, client != nullptr && report_json != nullptr,
      "acid_content_import: client and report_json are required", report_json,
      [&]() -> Result<std::string> {
        ACID_TRY(require(jsonl != nullptr || len == 0, "acid_content_import: jsonl is NULL"));
        ACID_ASSIGN_OR_RETURN(
            auto report,
            acid::sync::import_content(client->engine->store(),
                                       std::string_view(jsonl == nullptr ? "" : jsonl, len)));
        return acid::sync::to_json(report);
      });
}

ACID_EXTERN int acid_content_delete(acid_client *client, const char *collection, const char *id) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr && collection != nullptr && id != nullptr,
                     "acid_content_delete: client, collection and id are required"));
    return acid::sync::delete_content(client->engine->store(), collection, id).status();
  });
}

}  // extern "C"
