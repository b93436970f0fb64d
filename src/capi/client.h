// The object behind the C ABI's opaque `acid_client`: shared by the files implementing the
// exported functions (capi.cpp and one file per subsystem).
#pragma once

#include <memory>
#include <mutex>

#include "acidentity/acidentity.h"
#include "provision/credentials.h"
#include "provision/engine.h"

struct acid_client {
  std::unique_ptr<acid::provision::Engine> engine;
  // PDS sessions per person (acid_pds_session), created on first use; declared after the
  // engine, whose store and configuration it uses, so it is destroyed first.
  std::mutex sessions_mutex;
  std::unique_ptr<acid::provision::PdsSessions> sessions;
};
