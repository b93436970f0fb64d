// The test-support reader: what only tests and benchmarks read and write in a store (planting a
// legacy user, reading a counter; store/inspection.h), reached from a store opened by URI. The
// port (store.h) that the library's consumers receive does not carry these operations.
#pragma once

#include <cstdlib>
#include <iostream>

#include "store/inspection.h"
#include "store/store.h"

namespace acid::testing {

inline store::Inspection &inspect(store::Store &store) {
  auto *inspection = dynamic_cast<store::Inspection *>(&store);
  if (inspection == nullptr) {
    std::cerr << "this store adapter does not implement store::Inspection\n";
    std::abort();
  }
  return *inspection;
}

}  // namespace acid::testing
