// One document, now: the write-time mirror (acid_sync_document, identity.mirrorContent,
// `acidentity sync document`). Called right after the deployed code stores a document, it
// creates, updates or deletes that document's record according to its current state, by the
// batch's exactly-once rule (docs/sync.md):
//   - a live document without a key gets a TID stored on it BEFORE the write
//     (claim_content_rkey: the stored key wins, so a racing batch or a second call agree on one
//     key), and the record is written with putRecord at that key: an upsert, so calling twice,
//     or racing a batch sync (whose applyWrites create then fails and falls back to putRecord),
//     leaves one record;
//   - an edited document is a putRecord at its key; a deleted / nuked one a deleteRecord, and
//     its key is cleared so an undelete creates a new record;
//   - a painting's imageUrl is derived and its thumbnail uploaded as a blob (record_maker.h);
//     a guest painting goes to the art account's repo ("art-guest").
// The batch sync stays the repair path: whatever fails here is still pending in the store.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "provision/metrics.h"
#include "sync/mirror.h"

namespace acid::sync {

class DocumentMirror {
 public:
  explicit DocumentMirror(MirrorParts parts);
  ~DocumentMirror();

  // Report: {"collection","id","action":"created"|"retried"|"updated"|"deleted"|"unchanged"|
  // "skipped", "repo"?, "rkey"?, "uri"?, "cid"?, "reason"? (skipped), "blobs_missing"?:
  // [{"blob","reason","message"}]}. "skipped": the document has no owner with a PDS account (a
  // normal outcome, counted in acid_sync_document_skipped_total). Errors: Code::invalid (unknown
  // collection, a document the lexicon refuses), Code::not_found (no such document), or the
  // PDS's / store's error; each failure is counted in acid_sync_failures_total and logged.
  Result<std::string> sync_document(std::string_view collection, std::string_view id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Over an engine's parts (engine_parts in mirror.h). Keep
// it for the engine's lifetime: it holds the repo sessions, so a second document of the same
// person needs no new login.
Result<std::unique_ptr<DocumentMirror>> make_document_mirror(provision::Engine &engine);

}  // namespace acid::sync
