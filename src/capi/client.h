// The object behind the C ABI's opaque `acid_client`: shared by the files implementing the
// exported functions (capi.cpp and one file per subsystem).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "acidentity/acidentity.h"
#include "core/redact.h"
#include "provision/credentials.h"
#include "provision/engine.h"
#include "sync/document.h"

struct acid_client {
  std::unique_ptr<acid::provision::Engine> engine;
  acid::provision::LogSink
      log;  // the caller's log callback behind the redaction pass; may be empty
  // PDS sessions per person (acid_pds_session), created on first use; declared after the
  // engine, whose store and configuration it uses, so it is destroyed first.
  std::mutex sessions_mutex;
  std::unique_ptr<acid::provision::PdsSessions> sessions;
  // acid_sync_document's mirror, made on first use and kept: it holds the repo sessions.
  std::mutex documents_mu;
  std::unique_ptr<acid::sync::DocumentMirror> documents;
};

namespace acid::capi {
// `line` with every secret and URI credential hidden. Still one JSON object when `line` was: a
// line the redaction would break is replaced by {"event":"log.unprintable",...} (spelled so
// that it holds no secret either; empty, to be dropped, in the absurd case that every spelling
// does).
std::string redacted_line(const Redactor &redactor, std::string_view line);
}  // namespace acid::capi
