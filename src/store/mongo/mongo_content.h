// The content collections (moods, paintings) and sync cursors in MongoDB: the deployed documents
// read and written in place, field for field. Pure builders of the documents sent (one Op per
// round trip) and readers of the documents returned; mongo_store.cpp executes them.
//
//   moods     {_id: ObjectId, user, mood, when: Date, deleted?, atproto?{rkey, uri?, cid?},
//              acid?{contentVersion, syncedVersion}}
//   paintings {_id, user?, slug, code, imageUrl?, recordingUrl?, bucket?, when: Date, nuked?,
//              atproto?{rkey, uri?, cid?}, acid?{contentVersion, syncedVersion}}
//   acid_sync_cursors {_id: name, value, updatedAt}
//
// The port's id is the ObjectId's 24 hex digits (a string _id is used as it is). Legacy documents
// without acid.* have version 0; one holding atproto.rkey but no uri (written by the deployed
// createRecord path) is a record to write again at the same key, which converges.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/mongo/mongo_bson.h"
#include "store/mongo/mongo_commands.h"
#include "store/store.h"

namespace acid::store::mongo {

inline constexpr std::string_view kSyncCursors = "acid_sync_cursors";

class ContentCommands {
 public:
  explicit ContentCommands(const Commands &commands) : commands_(commands) {}

  // Code::invalid for a collection that is not a content collection.
  static Result<std::string_view> deleted_field(std::string_view collection);

  Result<Op> find(std::string_view collection, std::string_view id) const;
  Result<Op> insert(const ContentDoc &doc) const;
  // Replaces the content fields of a document still at `seen_version` (compare-and-set) and
  // bumps its version.
  Result<Op> update_content(const ContentDoc &doc, std::int64_t seen_version,
                            bool seen_has_version) const;
  Result<Op> set_deleted(std::string_view collection, std::string_view id, bool deleted) const;
  Result<Op> list(std::string_view collection, std::string_view user, std::string_view after_id,
                  std::size_t limit) const;
  // The first user after `after_user` (one index-backed find_one per distinct user).
  Result<Op> next_user(std::string_view collection, std::string_view after_user,
                       bool needing_sync) const;
  Result<Op> claim_rkey(std::string_view collection, std::string_view id,
                        std::string_view rkey) const;
  Result<Op> mark_synced(std::string_view collection, std::string_view id, std::string_view rkey,
                         std::string_view uri, std::string_view cid, std::int64_t version) const;
  Result<Op> clear_record(std::string_view collection, std::string_view id,
                          std::string_view rkey) const;
  Result<Op> mark_unsynced(std::string_view collection, std::string_view id) const;
  Op get_cursor(std::string_view name) const;
  Op set_cursor(std::string_view name, std::string_view value, UnixMillis now) const;
  Op delete_cursor(std::string_view name) const;

 private:
  Op write(Op::Kind kind, std::string_view collection, Doc filter, Doc update,
           Doc options = Doc()) const;
  Op read(Op::Kind kind, std::string_view collection, Doc filter, Doc options = Doc()) const;

  const Commands &commands_;
};

// A content document as the port sees it. Code::store when a field has an unexpected type.
Result<ContentDoc> read_content(std::string_view collection, const bson_t *doc);

}  // namespace acid::store::mongo
