// Cursor-based audit reads on MongoDB: see mongo_audit.h.
#include "store/mongo/mongo_audit.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include "core/tenant.h"
#include "store/mongo/mongo_bson.h"
#include "store/mongo/mongo_commands.h"
#include "store/mongo/mongo_errors.h"
#include "store/mongo/mongo_read.h"

namespace acid::store::mongo {

namespace {

// A pooled client, one collection and one cursor over it, released in reverse order.
class Stream {
 public:
  Stream(const ScanContext &ctx, std::string_view collection)
      : ctx_(ctx), name_(collection), client_(mongoc_client_pool_pop(ctx.pool)) {
    coll_ = mongoc_client_get_collection(client_, ctx.database.c_str(), name_.c_str());
  }
  ~Stream() {
    if (cursor_ != nullptr) mongoc_cursor_destroy(cursor_);
    mongoc_collection_destroy(coll_);
    mongoc_client_pool_push(ctx_.pool, client_);
  }
  Stream(const Stream &) = delete;
  Stream &operator=(const Stream &) = delete;

  // find(filter) sorted by _id, read concern majority.
  void find(const Doc &filter) {
    const Doc opts = Doc()
                         .doc("sort", Doc().i32("_id", 1))
                         .doc("readConcern", Commands::read_concern())
                         .i32("batchSize", 1000);
    cursor_ = mongoc_collection_find_with_opts(coll_, filter.get(), opts.get(), ctx_.primary);
  }
  void aggregate(const Doc &pipeline_doc, const Doc &opts) {
    cursor_ = mongoc_collection_aggregate(coll_, MONGOC_QUERY_NONE, pipeline_doc.get(), opts.get(),
                                          ctx_.primary);
  }

  // Moves to the next document with a string _id; false at the end (or on an error: check
  // status()).
  bool next() {
    const bson_t *doc = nullptr;
    while (mongoc_cursor_next(cursor_, &doc)) {
      bson_iter_t it;
      if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_UTF8(&it)) {
        std::uint32_t len = 0;
        const char *id = bson_iter_utf8(&it, &len);
        id_.assign(id, len);
        doc_ = doc;
        return true;
      }
    }
    doc_ = nullptr;
    return false;
  }

  Status status() const {
    bson_error_t error{};
    const bson_t *reply = nullptr;
    if (cursor_ != nullptr && mongoc_cursor_error_document(cursor_, &error, &reply)) {
      if (error.code == kNamespaceNotFound) return Status::ok();  // collection never created
      return classify_error(error, reply, "scanning " + name_, name_,
                            ctx_.secrets != nullptr ? *ctx_.secrets : std::vector<std::string>{});
    }
    return Status::ok();
  }

  bool live() const { return doc_ != nullptr; }
  const std::string &id() const { return id_; }
  const bson_t *doc() const { return doc_; }

 private:
  const ScanContext &ctx_;
  std::string name_;
  mongoc_client_t *client_;
  mongoc_collection_t *coll_ = nullptr;
  mongoc_cursor_t *cursor_ = nullptr;
  std::string id_;
  const bson_t *doc_ = nullptr;
};

bool wanted(const AccountScanFilter &filter, std::string_view sub) {
  const bool sotce = is_sotce_sub(sub);
  switch (filter.tenant) {
    case SubFilter::all:
      return true;
    case SubFilter::sotce:
      return sotce;
    case SubFilter::aesthetic:
      return !sotce;
  }
  return true;
}

Doc tenant_filter(const AccountScanFilter &filter) {
  // The sotce range is selected on the server; the aesthetic complement is filtered here (a
  // $not range would also match non-string _ids, which are skipped anyway).
  if (filter.tenant != SubFilter::sotce) return Doc();
  return Doc().doc("_id", Doc().str("$gte", kSotceSubPrefix).str("$lt", kSotceSubUpperBound));
}

}  // namespace

Status scan_accounts(const ScanContext &ctx, const AccountScanFilter &filter,
                     const AccountVisitor &visit) {
  Stream users(ctx, kUsers);
  Stream verifications(ctx, kVerifications);
  Stream handles(ctx, kHandles);
  const Doc f = tenant_filter(filter);
  users.find(f);
  verifications.find(f);
  handles.find(f);
  users.next();
  verifications.next();
  handles.next();
  AuditRow row;
  // A three-way merge on _id: the smallest current id is the next sub; handles only join.
  while (users.live() || verifications.live()) {
    std::string sub;
    if (users.live() && (!verifications.live() || users.id() <= verifications.id())) {
      sub = users.id();
    } else {
      sub = verifications.id();
    }
    while (handles.live() && handles.id() < sub) handles.next();
    const bson_t *u = users.live() && users.id() == sub ? users.doc() : nullptr;
    const bson_t *v =
        verifications.live() && verifications.id() == sub ? verifications.doc() : nullptr;
    const bson_t *h = handles.live() && handles.id() == sub ? handles.doc() : nullptr;
    if (wanted(filter, sub)) {
      auto account = read_account(sub, u, v, h);
      if (account) {
        row.account = std::move(*account);
        row.has_user = u != nullptr && read_user_record(sub, u).is_ok();
        row.has_accounts = u != nullptr;
        ACID_TRY(visit(row));
      } else if (account.code() != Code::not_found) {
        return std::move(account).error();
      }
    }
    if (u != nullptr) users.next();
    if (v != nullptr) verifications.next();
  }
  ACID_TRY(users.status());
  ACID_TRY(verifications.status());
  return handles.status();
}

Result<std::vector<DuplicateCode>> duplicate_codes(const ScanContext &ctx) {
  Stream users(ctx, kUsers);
  // [{$match:{code:{$type:"string"}}},
  //  {$group:{_id:{$toLower:"$code"},subs:{$push:"$_id"},n:{$sum:1}}},
  //  {$match:{n:{$gt:1}}}, {$sort:{_id:1}}]
  ACID_ASSIGN_OR_RETURN(
      auto pipeline,
      Doc::from_json(
          R"({"pipeline":[{"$match":{"code":{"$type":"string"}}},)"
          R"({"$group":{"_id":{"$toLower":"$code"},"subs":{"$push":"$_id"},"n":{"$sum":1}}},)"
          R"({"$match":{"n":{"$gt":1}}},{"$sort":{"_id":1}}]})"));
  const Doc opts = Doc().boolean("allowDiskUse", true).doc("readConcern", Commands::read_concern());
  users.aggregate(pipeline, opts);
  std::vector<DuplicateCode> out;
  while (users.next()) {
    DuplicateCode d;
    d.code = users.id();
    bson_iter_t it;
    bson_iter_t child;
    if (bson_iter_init_find(&it, users.doc(), "subs") && BSON_ITER_HOLDS_ARRAY(&it) &&
        bson_iter_recurse(&it, &child)) {
      while (bson_iter_next(&child)) {
        if (BSON_ITER_HOLDS_UTF8(&child)) d.subs.emplace_back(bson_iter_utf8(&child, nullptr));
      }
    }
    std::sort(d.subs.begin(), d.subs.end());
    out.push_back(std::move(d));
  }
  ACID_TRY(users.status());
  return out;
}

}  // namespace acid::store::mongo
