// The C ABI of the audit and the backfill (docs/audit.md): acid_audit, acid_backfill. The
// options are read by the core (audit/options.cpp); this layer forwards.
#include <mutex>

#include "acidentity/acidentity.h"
#include "audit/audit.h"
#include "audit/engine_parts.h"
#include "capi/client.h"
#include "capi/guard.h"

using acid::Result;
using acid::capi::answer;

extern "C" {

ACID_EXTERN int acid_audit(acid_client *client, const char *options_json, char **report_json) {
  return answer(__func__, client != nullptr && options_json != nullptr && report_json != nullptr,
                "acid_audit: client, options_json and report_json are required", report_json,
                [&]() -> Result<std::string> {
                  ACID_ASSIGN_OR_RETURN(auto options,
                                        acid::audit::parse_audit_options(options_json));
                  ACID_ASSIGN_OR_RETURN(
                      auto report,
                      acid::audit::run_audit(acid::audit::audit_sources(*client->engine), options));
                  return acid::audit::to_json(report);
                });
}

ACID_EXTERN int acid_backfill(acid_client *client, const char *options_json,
                              acid_progress_fn progress, void *user_data, char **report_json) {
  return answer(
      __func__, client != nullptr && options_json != nullptr && report_json != nullptr,
      "acid_backfill: client, options_json and report_json are required", report_json,
      [&]() -> Result<std::string> {
        ACID_ASSIGN_OR_RETURN(auto options, acid::audit::parse_backfill_options(options_json));
        std::mutex mu;  // one progress call at a time, whichever thread makes it
        acid::audit::ProgressSink sink;
        if (progress != nullptr) {
          sink = [&](const acid::audit::Progress &p) {
            const std::string line = acid::audit::to_json(p);
            std::lock_guard lock(mu);
            progress(line.c_str(), user_data);
          };
        }
        ACID_ASSIGN_OR_RETURN(
            auto report,
            acid::audit::run_backfill(acid::audit::backfill_parts(*client->engine), options, sink));
        return acid::audit::to_json(report);
      });
}

}  // extern "C"
