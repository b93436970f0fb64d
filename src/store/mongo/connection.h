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

  // libmongoc handles, destroyed by their library function.
  template <auto Destroy>
  struct Destroyer {
    template <typename T>
    void operator()(T *handle) const {
      Destroy(handle);
    }
  };
  using Collection = std::unique_ptr<mongoc_collection_t, Destroyer<&mongoc_collection_destroy>>;
  using FamOpts = std::unique_ptr<mongoc_find_and_modify_opts_t,
                                  Destroyer<&mongoc_find_and_modify_opts_destroy>>;

  Collection collection(mongoc_client_t *client, const std::string &name) const {
    return Collection(mongoc_client_get_collection(client, db_.c_str(), name.c_str()));
  }
  // The findAndModify options of an Op (sort, fields, upsert, new; the rest appended as is).
  static FamOpts fam_opts(const Op &op);

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
