// The audit's and the backfill's parts taken from a provisioning engine: the one place that
// knows which engine member serves which part (audit.cpp and backfill.cpp never see the engine).
// The parts borrow from the engine, which must outlive them.
#pragma once

#include "audit/audit.h"
#include "provision/engine.h"

namespace acid::audit {

Sources audit_sources(provision::Engine &engine);
BackfillParts backfill_parts(provision::Engine &engine);

}  // namespace acid::audit
