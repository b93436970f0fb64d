// Set-up checks: configuration, store schema/indexes, PDS, Auth0, credentials key.
#pragma once

#include <string>

#include "core/config.h"
#include "core/status.h"

namespace acid::provision {

struct DoctorReport {
  bool ok = false;   // every check passed (warnings allowed)
  std::string json;  // {"checks":[{"name","status","message","detail"?}],"ok":bool}
};

// Runs every check with the configuration `env` describes. With `fix`, applies the safe store
// changes (creating missing MongoDB indexes). Fails only if the report cannot be built.
Result<DoctorReport> run_doctor(const EnvLookup &env, bool fix);

}  // namespace acid::provision
