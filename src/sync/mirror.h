// The content mirror: each person's moods, paintings, kidlisp, tapes and pieces as records in
// their own PDS repo (guest documents in the art account's).
//
// Exactly-once by construction (docs/sync.md):
//   - a document without a record gets a fresh TID, stored on the document BEFORE any write
//     (ContentStore::claim_content_rkey; the stored key wins over a concurrent claim);
//   - fresh keys are created in applyWrites batches of up to 200 per repo;
//   - a key stored by an earlier run that never got its URI back (a crash, a lost answer) is
//     written with putRecord at that same key: an upsert, so a record that did land is
//     overwritten, never duplicated (an applyWrites create on an existing key is a 500 that
//     fails the whole batch; a failed batch falls back to putRecord per document for the
//     same reason);
//   - an edited document is a putRecord; a deleted / nuked one is a deleteRecord (a missing
//     record is fine) and its key is forgotten, so an undelete creates a new record;
//   - URI and CID are written back to the document.
// Failures are per user (no account, login refused) or per document; each is in the report and
// counted in the metrics (acid_sync_failures_total), never only logged.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "pds/session.h"
#include "pds/xrpc_client.h"
#include "provision/metrics.h"
#include "provision/provisioner.h"
#include "store/account_reader.h"
#include "store/content_store.h"
#include "sync/mapping.h"
#include "sync/mirror_report.h"
#include "sync/record_maker.h"
#include "sync/tid.h"

namespace acid::provision {
class Engine;
}

namespace acid::sync {

using ProgressFn = std::function<void(std::string_view json)>;
// What writing to repos needs: the PDS client and the provisioner (it opens the stored
// credentials). Asked for on first use only, so a dry run needs no PDS configured.
struct Remote {
  pds::XrpcClient *pds = nullptr;
  const provision::Provisioner *provisioner = nullptr;
};
using RemoteSource = std::function<Result<Remote>()>;
using LogFn =
    std::function<void(std::string_view event, std::string_view sub, std::string_view extra_json)>;

struct SyncOptions {
  std::vector<std::string> collections;  // empty: every mapped collection
  std::string user;                      // one sub, or empty for everyone
  bool apply = false;                    // false: dry run, nothing is written anywhere
  ProgressFn progress;                   // one JSON object per user done (optional)
};

struct VerifyOptions {
  std::vector<std::string> collections;
  std::string user;
  bool fix = false;
};

// Parses {"collection":"<a mapped collection>|all","user":"SUB","fix":bool} (every member optional;
// "dry_run":true is accepted as the opposite of fix). Code::invalid on anything else.
Result<SyncOptions> parse_sync_options(std::string_view json_text);
Result<VerifyOptions> parse_verify_options(std::string_view json_text);

// What a mirror works with: the content documents, the owners' accounts (read only), the remote,
// the metrics and log, and ACID_MEDIA_BASE_URL (painting image URLs are derived from it).
struct MirrorParts {
  store::ContentStore &content;
  store::AccountReader &accounts;
  RemoteSource remote;
  provision::Metrics &metrics;
  LogFn log;
  std::string media_base = std::string(kDefaultMediaBase);
};

// What an engine lends a mirror: its store, its PDS client and provisioner (asked for on first
// use), its metrics, log and media base.
MirrorParts engine_parts(provision::Engine &engine);

class Mirror {
 public:
  explicit Mirror(MirrorParts parts);
  ~Mirror();

  // Brings the repos in line with the store (or, as a dry run, reports what it would do).
  // Resumable: without a user filter, a pass stores its position per collection
  // ("records:<collection>") after each user and a new run starts after it.
  // Report: docs/sync.md (to_json in mirror_report.h writes it).
  Result<SyncReport> sync(const SyncOptions &options);

  // Compares each user's repo (listRecords) with the store: missing, extra, duplicate and
  // unreferenced records, and stale pointers; with `fix`, repairs them (duplicates keep the
  // record the store points to, else exactly one) and then syncs the user.
  Result<VerifyReport> verify(const VerifyOptions &options);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A mirror over an engine's parts (engine_parts).
Result<std::unique_ptr<Mirror>> make_mirror(provision::Engine &engine);

}  // namespace acid::sync
