#include "audit/engine_parts.h"

namespace acid::audit {

Sources audit_sources(provision::Engine &engine) {
  const Config &config = engine.config();
  return Sources{
      .scan = engine.store(),
      .accounts = engine.store(),
      .jobs = engine.store(),
      .pds = [&engine] { return engine.pds_client(); },
      .management = [&engine](Tenant tenant) { return engine.management(tenant); },
      .auth0_user = [&engine](std::string_view sub) { return engine.auth0_user(sub); },
      .open_password = [&engine](const std::string &sub,
                                 const std::string &stored) -> Result<std::string> {
        ACID_ASSIGN_OR_RETURN(const provision::Provisioner *provisioner, engine.provisioner());
        return provisioner->open_password(sub, stored);
      },
      .service_accounts = config.service_accounts,
      .pds_handle_domain = config.pds_handle_domain,
      .has_credentials_key = config.credentials_key.has_value(),
  };
}

BackfillParts backfill_parts(provision::Engine &engine) {
  return BackfillParts{
      .audit = audit_sources(engine),
      .accounts = engine.store(),
      .allocator = engine.allocator(),
      .retry_user = [&engine](std::string_view sub) { return engine.retry_user(sub); },
      .run_jobs = [&engine](std::int64_t budget_ms,
                            int max_jobs) { return engine.run_jobs(budget_ms, max_jobs); },
      .log = [&engine](std::string_view event, std::string_view sub,
                       std::string_view extra_json) { engine.log(event, sub, extra_json); },
  };
}

}  // namespace acid::audit
