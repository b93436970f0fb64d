// Fencing tokens for job leases: every lease_job draws a fresh one, and a job's completion,
// rescheduling, failure, release and renewal match it, so a worker whose lease expired and was
// taken (even by another thread of the same process, which shares the owner name) changes
// nothing. Header-only: both adapters use it and the fuzz targets link no store.cpp.
#pragma once

#include <string>

#include "core/random.h"
#include "core/status.h"

namespace acid::store {

// 22 characters over 62 symbols: about 131 bits, never reused in practice.
inline Result<std::string> new_lease_token() {
  return random_string(22, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
}

}  // namespace acid::store
