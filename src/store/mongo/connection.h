// The MongoDB adapter's connection (internal to src/store/mongo): the URI, the client pool and
// the read preference, and one server round trip per command document.
#pragma once

#include <mongoc/mongoc.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/mongo/mongo_audit.h"
#include "store/mongo/mongo_bson.h"
#include "store/mongo/mongo_commands.h"
#include "store/mongo/mongo_errors.h"
#include "store/mongo/mongo_indexes.h"
#include "store/mongo/mongo_store.h"

namespace acid::store::mongo {

// mongoc_init, once per process.
void global_init();

// ---- Execution ---------------------------------------------------------------------------------

// What one server round trip returned. A duplicate-key failure is a result, not an error: the
// callers decide what it means (exists, taken, lost a race, already applied).
struct OpResult {
  std::int64_t matched = 0;
  std::int64_t modified = 0;
  std::int64_t deleted = 0;
  bool upserted = false;
  std::int64_t count = 0;
  std::optional<Doc> document;  // find_one / find_and_modify value
  std::vector<Doc> documents;   // find
  std::optional<DuplicateKey> duplicate;
};

inline std::int64_t reply_int(const bson_t *reply, const char *field) {
  return Field::find(reply, field).as_int().value_or(0);
}

// Owns the URI, the pool and the read preference.
class Connection {
 public:
  Connection() = default;
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;
  ~Connection();
  static Result<std::unique_ptr<Connection>> open(std::string_view uri_text,
                                                  const MongoOptions &options);

  const std::string &database() const { return db_; }
  const Commands &commands() const { return commands_; }
  const std::vector<std::string> &secrets() const { return secrets_; }
  // What the audit's cursor-based scans (mongo_audit.cpp) borrow.
  mongo::ScanContext scan_context() const { return {pool_, db_, primary_, &secrets_}; }
  Result<OpResult> run(const Op &op);

  // listIndexes of a collection (none when the collection does not exist yet).
  Result<std::vector<Doc>> list_indexes(const std::string &collection);
  Status create_index(const mongo::IndexSpec &spec);

 private:
  class Client {
   public:
    explicit Client(mongoc_client_pool_t *pool)
        : pool_(pool), client_(mongoc_client_pool_pop(pool)) {}
    ~Client() { mongoc_client_pool_push(pool_, client_); }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    mongoc_client_t *get() const { return client_; }

   private:
    mongoc_client_pool_t *pool_;
    mongoc_client_t *client_;
  };

  class Collection {
   public:
    Collection(mongoc_client_t *client, const std::string &db, const std::string &name)
        : coll_(mongoc_client_get_collection(client, db.c_str(), name.c_str())) {}
    ~Collection() { mongoc_collection_destroy(coll_); }
    Collection(const Collection &) = delete;
    Collection &operator=(const Collection &) = delete;
    mongoc_collection_t *get() const { return coll_; }

   private:
    mongoc_collection_t *coll_;
  };

  // The findAndModify options of an Op (sort, fields, upsert, new; the rest appended as is).
  class FamOpts {
   public:
    explicit FamOpts(const Op &op) : opts_(mongoc_find_and_modify_opts_new()) {
      mongoc_find_and_modify_opts_set_update(opts_, op.update.get());
      int flags = MONGOC_FIND_AND_MODIFY_NONE;
      Doc extra;
      bson_iter_t it;
      if (bson_iter_init(&it, op.options.get())) {
        while (bson_iter_next(&it)) {
          const std::string key = bson_iter_key(&it);
          const Field f = Field::find(op.options.get(), key);
          if (key == "sort" || key == "fields") {
            if (auto d = f.as_doc()) {
              if (key == "sort") {
                mongoc_find_and_modify_opts_set_sort(opts_, d->get());
              } else {
                mongoc_find_and_modify_opts_set_fields(opts_, d->get());
              }
            }
          } else if (key == "upsert") {
            if (f.as_bool().value_or(false)) flags |= MONGOC_FIND_AND_MODIFY_UPSERT;
          } else if (key == "new") {
            if (f.as_bool().value_or(false)) flags |= MONGOC_FIND_AND_MODIFY_RETURN_NEW;
          } else {
            bson_append_iter(extra.get(), key.c_str(), static_cast<int>(key.size()), &it);
          }
        }
      }
      mongoc_find_and_modify_opts_set_flags(opts_,
                                            static_cast<mongoc_find_and_modify_flags_t>(flags));
      if (!extra.empty()) mongoc_find_and_modify_opts_append(opts_, extra.get());
    }
    ~FamOpts() { mongoc_find_and_modify_opts_destroy(opts_); }
    FamOpts(const FamOpts &) = delete;
    FamOpts &operator=(const FamOpts &) = delete;
    mongoc_find_and_modify_opts_t *get() const { return opts_; }

   private:
    mongoc_find_and_modify_opts_t *opts_;
  };

  mongoc_uri_t *uri_ = nullptr;
  mongoc_client_pool_t *pool_ = nullptr;
  mongoc_read_prefs_t *primary_ = nullptr;
  std::string db_;
  std::vector<std::string> secrets_;
  Commands commands_;
};

// Checks every index the library needs; with `create`, creates the missing ones.
Result<IndexReport> check_indexes(Connection &conn, bool create);

}  // namespace acid::store::mongo
