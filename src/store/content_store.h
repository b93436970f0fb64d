// Content documents (every mapped kind) as the mirror keeps them, and its sync
// cursors. Every method is one atomic single-document step; `collection` must
// be a content collection (Code::invalid otherwise).
#pragma once

#include "store/records.h"

namespace acid::store {

class ContentStore {
 public:
  virtual ~ContentStore() = default;

  // Every method is one atomic single-document step. `collection` must be a content collection
  // (Code::invalid otherwise).

  // Inserts the document, or updates its content (user, fields, when, deleted) by id. A change
  // of the content bumps `version`; the atproto fields and sync state are never touched here.
  // Returns true when something changed.
  virtual Result<bool> upsert_content(const ContentDoc &doc) = 0;
  // Code::not_found when absent.
  virtual Result<ContentDoc> get_content(std::string_view collection, std::string_view id) = 0;
  // Marks deleted (or not): bumps `version` when the flag changes. Code::not_found when absent.
  virtual Result<bool> set_content_deleted(std::string_view collection, std::string_view id,
                                           bool deleted) = 0;
  // Documents of one user (or of all users when `user` is empty), by id, after `after_id`.
  virtual Result<std::vector<ContentDoc>> list_content(std::string_view collection,
                                                       std::string_view user,
                                                       std::string_view after_id,
                                                       std::size_t limit) = 0;
  // Users (sorted, distinct) after `after_user` owning documents of the collection; with
  // `needing_sync`, only those owning a document whose content_need() is not none.
  virtual Result<std::vector<std::string>> content_users(std::string_view collection,
                                                         std::string_view after_user,
                                                         std::size_t limit, bool needing_sync) = 0;
  // Stores `rkey` as the document's record key unless it has one; returns the key it holds
  // (the stored one wins, so a retry reuses it).
  virtual Result<std::string> claim_content_rkey(std::string_view collection, std::string_view id,
                                                 std::string_view rkey) = 0;
  // The PDS holds version `version` at rkey: stores uri, cid and synced_version, if the stored
  // rkey is still `rkey` (Code::conflict otherwise).
  virtual Status mark_content_synced(std::string_view collection, std::string_view id,
                                     std::string_view rkey, std::string_view uri,
                                     std::string_view cid, std::int64_t version) = 0;
  // Many claims / write-backs in one call (each item is its own atomic step; the embedded store
  // runs them in one transaction, saving a sync per document). Results in the order given:
  // the key each document holds, and whether each write-back matched its key.
  struct RkeyClaim {
    std::string id;
    std::string rkey;
  };
  virtual Result<std::vector<std::string>> claim_content_rkeys(
      std::string_view collection, const std::vector<RkeyClaim> &claims) = 0;
  struct SyncedRecord {
    std::string id;
    std::string rkey;
    std::string uri;
    std::string cid;
    std::int64_t version = 0;
  };
  virtual Result<std::vector<bool>> mark_contents_synced(
      std::string_view collection, const std::vector<SyncedRecord> &records) = 0;
  // The record at `rkey` was deleted (or never existed): clears rkey, uri and cid if the stored
  // rkey is still `rkey` (Code::conflict otherwise).
  virtual Status clear_content_record(std::string_view collection, std::string_view id,
                                      std::string_view rkey) = 0;
  // Forgets uri/cid (keeping the rkey) so the next sync writes the record again (verify --fix
  // of a record missing on the PDS).
  virtual Status mark_content_unsynced(std::string_view collection, std::string_view id) = 0;
  // Named sync cursors ("records:moods"): resumable passes. Empty string when none is stored.
  virtual Result<std::string> get_sync_cursor(std::string_view name) = 0;
  // Stores the cursor; an empty value removes it.
  virtual Status set_sync_cursor(std::string_view name, std::string_view value) = 0;
};

}  // namespace acid::store
