// The object behind the C ABI's opaque `acid_client`: shared by the files implementing the
// exported functions (capi.cpp and one file per subsystem).
#pragma once

#include <memory>
#include <mutex>

#include "acidentity/acidentity.h"
#include "provision/engine.h"
#include "sync/document.h"

struct acid_client {
  std::unique_ptr<acid::provision::Engine> engine;
  // acid_sync_document's mirror, made on first use and kept: it holds the repo sessions.
  std::mutex documents_mu;
  std::unique_ptr<acid::sync::DocumentMirror> documents;
};
