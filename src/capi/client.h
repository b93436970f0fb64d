// The object behind the C ABI's opaque `acid_client`: shared by the files implementing the
// exported functions (capi.cpp and one file per subsystem).
#pragma once

#include <memory>

#include "acidentity/acidentity.h"
#include "provision/engine.h"

struct acid_client {
  std::unique_ptr<acid::provision::Engine> engine;
};
