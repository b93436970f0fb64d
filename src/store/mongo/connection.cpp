// The MongoDB adapter's connection: opening the pool, running command documents, indexes.
#include "store/mongo/connection.h"

#include <mutex>

namespace acid::store::mongo {

void global_init() {
  static std::once_flag once;
  // mongoc_cleanup() is deliberately never called: clients may exist until the process exits
  // and libmongoc cannot be initialised again after a cleanup.
  std::call_once(once, [] { mongoc_init(); });
}

Connection::~Connection() {
  if (pool_ != nullptr) mongoc_client_pool_destroy(pool_);
  if (uri_ != nullptr) mongoc_uri_destroy(uri_);
  if (primary_ != nullptr) mongoc_read_prefs_destroy(primary_);
}

Connection::FamOpts Connection::fam_opts(const Op &op) {
  FamOpts opts(mongoc_find_and_modify_opts_new());
  mongoc_find_and_modify_opts_set_update(opts.get(), op.update.get());
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
            mongoc_find_and_modify_opts_set_sort(opts.get(), d->get());
          } else {
            mongoc_find_and_modify_opts_set_fields(opts.get(), d->get());
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
  mongoc_find_and_modify_opts_set_flags(opts.get(),
                                        static_cast<mongoc_find_and_modify_flags_t>(flags));
  if (!extra.empty()) mongoc_find_and_modify_opts_append(opts.get(), extra.get());
  return opts;
}

Result<std::unique_ptr<Connection>> Connection::open(std::string_view uri_text,
                                                     const MongoOptions &options) {
  global_init();
  auto conn = std::make_unique<Connection>();
  conn->secrets_ = mongo_uri_secrets(uri_text);
  const std::string text(uri_text);
  bson_error_t error;
  conn->uri_ = mongoc_uri_new_with_error(text.c_str(), &error);
  if (conn->uri_ == nullptr) {
    return Error(Code::config,
                 "invalid MongoDB URI: " + mongo::redact_text(error.message, conn->secrets_));
  }
  if (const char *password = mongoc_uri_get_password(conn->uri_); password != nullptr) {
    if (*password != '\0') conn->secrets_.emplace_back(password);
  }
  const char *path_db = mongoc_uri_get_database(conn->uri_);
  // The database comes from the URI, or from the caller's options; never from the process
  // environment behind the caller's back (Config puts ACID_MONGODB_DB / MONGODB_NAME into the
  // URI when it reads the environment).
  ACID_ASSIGN_OR_RETURN(auto db,
                        resolve_mongo_database(path_db == nullptr ? "" : path_db, options.env));
  conn->db_ = std::move(db);

  // Retries are part of the correctness argument (docs/mongodb.md): forced on.
  mongoc_uri_set_option_as_bool(conn->uri_, MONGOC_URI_RETRYWRITES, true);
  mongoc_uri_set_option_as_bool(conn->uri_, MONGOC_URI_RETRYREADS, true);
  const std::int64_t wtimeout =
      mongoc_write_concern_get_wtimeout_int64(mongoc_uri_get_write_concern(conn->uri_));
  conn->commands_ = Commands(wtimeout > 0 ? wtimeout : 0);

  conn->pool_ = mongoc_client_pool_new_with_error(conn->uri_, &error);
  if (conn->pool_ == nullptr) {
    // A mongodb+srv:// name that does not resolve is the network's fault; anything else
    // (TLS files, options) is the URI's.
    if (error.domain == MONGOC_ERROR_STREAM || error.domain == MONGOC_ERROR_SERVER_SELECTION) {
      return mongo::classify_error(error, nullptr, "connecting", "", conn->secrets_);
    }
    return Error(Code::config, "cannot use this MongoDB URI: " +
                                   mongo::redact_text(error.message, conn->secrets_));
  }
  // The URI's appName, when it has one, is kept (setting it twice is an error).
  if (!mongoc_client_pool_set_error_api(conn->pool_, MONGOC_ERROR_API_VERSION_2) ||
      (mongoc_uri_get_appname(conn->uri_) == nullptr &&
       !mongoc_client_pool_set_appname(conn->pool_, "libacidentity"))) {
    return Error(Code::internal, "configuring the MongoDB client pool failed");
  }
  conn->primary_ = mongoc_read_prefs_new(MONGOC_READ_PRIMARY);
  return conn;
}

Result<OpResult> Connection::run(const Op &op) {
  if (!op.valid()) {
    return Error(Code::invalid, "a document for " + op.collection + " is too large to send");
  }
  Client client(pool_);
  const Collection coll = collection(client.get(), op.collection);
  bson_error_t error{};
  bson_t reply;
  bson_init(&reply);
  OpResult out;
  bool ok = true;
  switch (op.kind) {
    case Op::Kind::find_one:
    case Op::Kind::find: {
      mongoc_cursor_t *cursor =
          mongoc_collection_find_with_opts(coll.get(), op.filter.get(), op.options.get(), primary_);
      const bson_t *doc = nullptr;
      while (mongoc_cursor_next(cursor, &doc)) {
        out.documents.push_back(Doc::copy_of(doc));
        if (op.kind == Op::Kind::find_one) break;
      }
      const bson_t *error_doc = nullptr;
      if (mongoc_cursor_error_document(cursor, &error, &error_doc)) {
        bson_destroy(&reply);
        bson_copy_to(error_doc, &reply);
        ok = false;
      }
      mongoc_cursor_destroy(cursor);
      if (op.kind == Op::Kind::find_one && !out.documents.empty()) {
        out.document = std::move(out.documents.front());
        out.documents.clear();
      }
      break;
    }
    case Op::Kind::count: {
      bson_destroy(&reply);
      const std::int64_t n = mongoc_collection_count_documents(
          coll.get(), op.filter.get(), op.options.get(), primary_, &reply, &error);
      ok = n >= 0;
      out.count = n;
      break;
    }
    case Op::Kind::insert_one:
      bson_destroy(&reply);
      ok = mongoc_collection_insert_one(coll.get(), op.filter.get(), op.options.get(), &reply,
                                        &error);
      break;
    case Op::Kind::update_one:
      bson_destroy(&reply);
      ok = mongoc_collection_update_one(coll.get(), op.filter.get(), op.update.get(),
                                        op.options.get(), &reply, &error);
      if (ok) {
        out.matched = reply_int(&reply, "matchedCount");
        out.modified = reply_int(&reply, "modifiedCount");
        out.upserted =
            Field::find(&reply, "upsertedId").present() || reply_int(&reply, "upsertedCount") > 0;
      }
      break;
    case Op::Kind::delete_one:
    case Op::Kind::delete_many:
      bson_destroy(&reply);
      ok = op.kind == Op::Kind::delete_one
               ? mongoc_collection_delete_one(coll.get(), op.filter.get(), op.options.get(), &reply,
                                              &error)
               : mongoc_collection_delete_many(coll.get(), op.filter.get(), op.options.get(),
                                               &reply, &error);
      if (ok) out.deleted = reply_int(&reply, "deletedCount");
      break;
    case Op::Kind::find_and_modify: {
      bson_destroy(&reply);
      const FamOpts opts = fam_opts(op);
      ok = mongoc_collection_find_and_modify_with_opts(coll.get(), op.filter.get(), opts.get(),
                                                       &reply, &error);
      if (ok) {
        const Field value = Field::find(&reply, "value");
        if (value.is_document()) out.document = value.as_doc();
      }
      break;
    }
  }
  if (!ok) {
    if (mongo::is_duplicate_key(error)) {
      out.duplicate = mongo::parse_duplicate_key(
          op.collection, mongo::redact_text(error.message, secrets_), &reply);
      bson_destroy(&reply);
      return out;
    }
    Error e = mongo::classify_error(error, &reply,
                                    std::string(mongo::to_string(op.kind)) + " on " + op.collection,
                                    op.collection, secrets_);
    bson_destroy(&reply);
    return e;
  }
  bson_destroy(&reply);
  return out;
}

Result<std::vector<Doc>> Connection::list_indexes(const std::string &collection) {
  Client client(pool_);
  const Collection coll = this->collection(client.get(), collection);
  mongoc_cursor_t *cursor = mongoc_collection_find_indexes_with_opts(coll.get(), nullptr);
  std::vector<Doc> out;
  const bson_t *doc = nullptr;
  while (mongoc_cursor_next(cursor, &doc)) out.push_back(Doc::copy_of(doc));
  bson_error_t error{};
  const bson_t *error_doc = nullptr;
  Status status;
  if (mongoc_cursor_error_document(cursor, &error, &error_doc) &&
      error.code != mongo::kNamespaceNotFound) {
    status = mongo::classify_error(error, error_doc, "listIndexes on " + collection, collection,
                                   secrets_);
  }
  mongoc_cursor_destroy(cursor);
  if (!status) return std::move(status).error();
  return out;
}

Status Connection::create_index(const mongo::IndexSpec &spec) {
  Client client(pool_);
  mongoc_database_t *database = mongoc_client_get_database(client.get(), db_.c_str());
  const Doc command = mongo::create_indexes_command(spec.collection, {&spec});
  const Doc opts = Doc().doc("writeConcern", commands_.write_concern());
  bson_error_t error{};
  bson_t reply;
  const bool ok =
      mongoc_database_write_command_with_opts(database, command.get(), opts.get(), &reply, &error);
  Status status;
  if (!ok) {
    status = mongo::classify_error(error, &reply, "createIndexes on " + spec.collection,
                                   spec.collection, secrets_);
  }
  bson_destroy(&reply);
  mongoc_database_destroy(database);
  return status;
}

Result<mongo::IndexReport> check_indexes(Connection &conn, bool create) {
  const std::vector<mongo::IndexSpec> specs = mongo::required_indexes();
  mongo::IndexReport report;
  for (const std::string &collection : mongo::indexed_collections(specs)) {
    ACID_ASSIGN_OR_RETURN(auto listed, conn.list_indexes(collection));
    mongo::compare_indexes(collection, listed, specs, report);
  }
  if (!create) return report;
  for (mongo::IndexCheck &check : report.checks) {
    if (check.status != mongo::IndexStatus::missing) continue;
    ACID_TRY(mongo::record_creation(check, conn.create_index(check.spec)));
  }
  return report;
}

}  // namespace acid::store::mongo
