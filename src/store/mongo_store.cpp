// The MongoDB adapter: executes the documents built by mongo_commands.cpp through a
// mongoc_client_pool and turns replies into the port's results. Every port operation is one
// atomic single-document step, an insert guarded by a unique index, or a findAndModify; the
// multi-step ones (apply_event, claim_next_code, insert_user, reset_failed) are idempotent
// sequences of such steps (docs/mongodb.md explains why they converge).
#include "store/mongo_store.h"

#include <mongoc/mongoc.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>

#include "core/json.h"
#include "store/lease_token.h"
#include "store/mongo_audit.h"
#include "store/mongo_bson.h"
#include "store/mongo_commands.h"
#include "store/mongo_content.h"
#include "store/mongo_dead_letters.h"
#include "store/mongo_errors.h"
#include "store/mongo_indexes.h"
#include "store/mongo_read.h"
#include "store/mongo_transitions.h"

namespace acid::store {

namespace {

using mongo::Commands;
using mongo::Doc;
using mongo::DuplicateKey;
using mongo::Field;
using mongo::IndexRole;
using mongo::Op;
using mongo::Owed;

// Bounded retries of a step that lost a race (a concurrent first insert of the same document).
constexpr int kRaceRetries = 8;
// How old an owed-job marker must be before a worker's sweep finishes it for its writer.
constexpr std::int64_t kOwedGraceMs = 60'000;
// How often one store instance sweeps (only when a worker asks for a job).
constexpr std::int64_t kSweepEveryMs = 30'000;
constexpr std::int32_t kSweepBatch = 16;

void global_init() {
  static std::once_flag once;
  // mongoc_cleanup() is deliberately never called: clients may exist until the process exits
  // and libmongoc cannot be initialised again after a cleanup.
  std::call_once(once, [] { mongoc_init(); });
}

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

std::int64_t reply_int(const bson_t *reply, const char *field) {
  return Field::find(reply, field).as_int().value_or(0);
}

// Owns the URI, the pool and the read preference.
class Connection {
 public:
  Connection() = default;
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;
  ~Connection() {
    if (pool_ != nullptr) mongoc_client_pool_destroy(pool_);
    if (uri_ != nullptr) mongoc_uri_destroy(uri_);
    if (primary_ != nullptr) mongoc_read_prefs_destroy(primary_);
  }

  static Result<std::unique_ptr<Connection>> open(std::string_view uri_text,
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
    MongoEnv env = options.env;
    if (!env) {
      env = [](std::string_view name) -> std::optional<std::string> {
        const char *v = std::getenv(std::string(name).c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
      };
    }
    auto db = resolve_mongo_database(path_db == nullptr ? "" : path_db, env);
    if (!db) return std::move(db).error();
    conn->db_ = std::move(*db);

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

  const std::string &database() const { return db_; }
  const Commands &commands() const { return commands_; }
  const std::vector<std::string> &secrets() const { return secrets_; }
  // What the audit's cursor-based scans (mongo_audit.cpp) borrow.
  mongo::ScanContext scan_context() const { return {pool_, db_, primary_, &secrets_}; }

  Result<OpResult> run(const Op &op) {
    if (!op.valid()) {
      return Error(Code::invalid, "a document for " + op.collection + " is too large to send");
    }
    Client client(pool_);
    Collection coll(client.get(), db_, op.collection);
    bson_error_t error{};
    bson_t reply;
    bson_init(&reply);
    OpResult out;
    bool ok = true;
    switch (op.kind) {
      case Op::Kind::find_one:
      case Op::Kind::find: {
        mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(coll.get(), op.filter.get(),
                                                                   op.options.get(), primary_);
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
                 ? mongoc_collection_delete_one(coll.get(), op.filter.get(), op.options.get(),
                                                &reply, &error)
                 : mongoc_collection_delete_many(coll.get(), op.filter.get(), op.options.get(),
                                                 &reply, &error);
        if (ok) out.deleted = reply_int(&reply, "deletedCount");
        break;
      case Op::Kind::find_and_modify: {
        bson_destroy(&reply);
        FamOpts opts(op);
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
      Error e = mongo::classify_error(
          error, &reply, std::string(mongo::to_string(op.kind)) + " on " + op.collection,
          op.collection, secrets_);
      bson_destroy(&reply);
      return e;
    }
    bson_destroy(&reply);
    return out;
  }

  // listIndexes of a collection (none when the collection does not exist yet).
  Result<std::vector<Doc>> list_indexes(const std::string &collection) {
    Client client(pool_);
    Collection coll(client.get(), db_, collection);
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

  Status create_index(const mongo::IndexSpec &spec) {
    Client client(pool_);
    mongoc_database_t *database = mongoc_client_get_database(client.get(), db_.c_str());
    const Doc command = mongo::create_indexes_command(spec.collection, {&spec});
    const Doc opts = Doc().doc("writeConcern", commands_.write_concern());
    bson_error_t error{};
    bson_t reply;
    const bool ok = mongoc_database_write_command_with_opts(database, command.get(), opts.get(),
                                                            &reply, &error);
    Status status;
    if (!ok) {
      status = mongo::classify_error(error, &reply, "createIndexes on " + spec.collection,
                                     spec.collection, secrets_);
    }
    bson_destroy(&reply);
    mongoc_database_destroy(database);
    return status;
  }

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
Result<mongo::IndexReport> check_indexes(Connection &conn, bool create) {
  const std::vector<mongo::IndexSpec> specs = mongo::required_indexes();
  mongo::IndexReport report;
  for (const std::string &collection : mongo::indexed_collections(specs)) {
    auto listed = conn.list_indexes(collection);
    if (!listed) return std::move(listed).error();
    mongo::compare_indexes(collection, *listed, specs, report);
  }
  if (!create) return report;
  for (mongo::IndexCheck &check : report.checks) {
    if (check.status != mongo::IndexStatus::missing) continue;
    ACID_TRY(mongo::record_creation(check, conn.create_index(check.spec)));
  }
  return report;
}

// ---- The store ---------------------------------------------------------------------------------

Error exhausted(int yy) {
  return Error(Code::exhausted, "no user code left for two-digit year " + mongo::year_prefix(yy),
               "{\"yy\":" + std::to_string(yy) + "}");
}

Error code_taken(std::string_view code) {
  return Error(Code::conflict, "user code " + std::string(code) + " is already taken",
               "{\"index\":\"code\"}");
}

Error contention(std::string_view what) {
  return Error(Code::unavailable,
               std::string(what) + " kept losing races with concurrent writers; try again");
}

Error content_rkey_moved(std::string_view collection, std::string_view id, std::string_view rkey) {
  return Error(Code::conflict, std::string(collection) + " " + std::string(id) +
                                   " no longer holds record key " + std::string(rkey));
}

Error unexpected_duplicate(const DuplicateKey &dup) {
  return Error(Code::conflict, "unexpected duplicate key: " + dup.message,
               "{\"index\":" + json::quote(dup.index) +
                   ",\"role\":" + json::quote(mongo::to_string(dup.role)) + "}");
}

Error lease_lost(std::int64_t id, std::string_view owner) {
  return Error(Code::conflict,
               "job " + std::to_string(id) + " is no longer leased by " + std::string(owner) +
                   " under this lease (it expired and was taken, or the job was replaced)",
               "{\"stale_lease\":true}");
}

std::optional<std::string> string_field(const std::optional<Doc> &doc, const char *path) {
  if (!doc) return std::nullopt;
  return Field::find(doc->get(), path).as_string();
}

class MongoStore final : public Store {
 public:
  MongoStore(std::unique_ptr<Connection> conn, std::vector<mongo::IndexCheck> missing)
      : conn_(std::move(conn)), cmd_(conn_->commands()) {
    for (const mongo::IndexCheck &check : missing) {
      missing_roles_.insert(check.spec.role);
      problems_.push_back(mongo::problem_line(check));
    }
  }

  std::string_view backend() const override { return "mongodb"; }

  std::vector<std::string> open_problems() const override { return problems_; }

  Result<std::string> get_or_put_secret(std::string_view name,
                                        std::string_view value_if_absent) override {
    for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
      auto r = run(cmd_.get_or_put_secret(name, value_if_absent, now_unix_ms()));
      if (!r) return std::move(r).error();
      if (r->duplicate) continue;  // a concurrent first writer: read its value next time
      if (auto v = string_field(r->document, "value")) return *v;
      return Error(Code::store, "acid_meta secret " + std::string(name) + " has no string value");
    }
    return contention("get_or_put_secret");
  }

  Result<ClaimedCode> claim_next_code(int yy, std::uint32_t capacity,
                                      const CodeCandidate &candidate,
                                      std::string_view sub) override {
    if (yy < 0 || yy > 99) return Error(Code::invalid, "two-digit year out of range");
    return claim(yy, capacity, candidate, sub);
  }

  Result<std::vector<CodeYearState>> code_year_states(std::optional<int> yy) override {
    auto counters = run(cmd_.list_counters(yy));
    if (!counters) return std::move(counters).error();
    std::vector<CodeYearState> out;
    for (const Doc &d : counters->documents) {
      const auto year = Field::find(d.get(), "_id").as_int();
      if (!year || *year < 0 || *year > 99) {
        return Error(Code::store, "acid_code_counters holds a document whose _id is not a year");
      }
      auto allocated = run(cmd_.count_allocated(static_cast<int>(*year)));
      if (!allocated) return std::move(allocated).error();
      out.push_back(CodeYearState{
          static_cast<int>(*year),
          static_cast<std::uint32_t>(Field::find(d.get(), "next").as_int().value_or(0)),
          static_cast<std::uint32_t>(Field::find(d.get(), "skipped").as_int().value_or(0)),
          static_cast<std::uint64_t>(allocated->count)});
    }
    return out;
  }

  Result<std::vector<std::string>> legacy_codes(int yy) override {
    if (yy < 0 || yy > 99) return Error(Code::invalid, "two-digit year out of range");
    auto claims = run(cmd_.allocated_claims_of_year(yy));
    if (!claims) return std::move(claims).error();
    std::set<std::string> allocated;
    for (const Doc &d : claims->documents) {
      if (auto code = Field::find(d.get(), "_id").as_string()) allocated.insert(*code);
    }
    auto users = run(cmd_.year_codes_in_users(yy));
    if (!users) return std::move(users).error();
    std::vector<std::string> out;
    for (const Doc &d : users->documents) {
      auto code = Field::find(d.get(), "code").as_string();
      if (code && allocated.count(*code) == 0) out.push_back(std::move(*code));
    }
    return out;
  }

  Status insert_user(const UserRecord &user) override {
    if (user.sub.empty()) return Error(Code::invalid, "a user needs a non-empty sub");
    bool claimed_now = false;
    if (user.code) {
      // The claim keeps the allocator from handing the code out while the users write runs.
      for (int attempt = 0;; ++attempt) {
        if (attempt == kRaceRetries) return contention("insert_user");
        auto claim = run(cmd_.insert_external_claim(*user.code, user.sub, now_unix_ms()));
        if (!claim) return std::move(claim).error();
        if (!claim->duplicate) {
          claimed_now = true;
          break;
        }
        auto existing = run(cmd_.read_claim(*user.code));
        if (!existing) return std::move(existing).error();
        if (!existing->document) continue;  // removed meanwhile by a failed insert: retry
        if (string_field(existing->document, "sub") != user.sub) return code_taken(*user.code);
        break;  // claimed for this very user (by the allocator, or by an earlier attempt)
      }
    }
    auto written = run(cmd_.insert_user(user));
    std::optional<Error> failure;
    if (!written) {
      failure = std::move(written).error();
    } else if (written->duplicate) {
      const DuplicateKey &dup = *written->duplicate;
      if (dup.role == IndexRole::id) {
        failure = Error(Code::exists, "user " + user.sub + " already exists");
      } else if (dup.role == IndexRole::code) {
        failure = code_taken(user.code.value_or(""));
      } else {
        failure = unexpected_duplicate(dup);
      }
    }
    if (!failure) return Status::ok();
    if (claimed_now) {
      auto undo = run(cmd_.delete_external_claim(*user.code, user.sub));
      if (!undo) {
        failure->message += " (and removing the claim on code " + *user.code +
                            " failed: " + undo.error().message + "; the code stays reserved)";
      }
    }
    return std::move(*failure);
  }

  Result<UserRecord> get_user(std::string_view sub) override {
    auto r = run(cmd_.get_user(sub));
    if (!r) return std::move(r).error();
    return mongo::read_user_record(sub, r->document ? r->document->get() : nullptr);
  }

  Result<std::string> find_code_owner(std::string_view code) override {
    auto r = run(cmd_.find_code_owner(code));
    if (!r) return std::move(r).error();
    if (!r->document) return Error(Code::not_found, "no user has code " + std::string(code));
    if (auto sub = string_field(r->document, "_id")) return *sub;
    return Error(Code::store,
                 "the users document holding code " + std::string(code) + " has a non-string _id");
  }

  Result<bool> ensure_verifications(std::string_view sub) override {
    if (sub.empty()) return Error(Code::invalid, "empty sub");
    auto r = run(cmd_.ensure_verifications(sub));
    if (!r) return std::move(r).error();
    if (r->duplicate) {
      if (r->duplicate->role != IndexRole::id) return unexpected_duplicate(*r->duplicate);
      return false;  // created concurrently by someone else
    }
    return r->upserted;
  }

  Result<std::int64_t> increment_verifications(std::string_view sub) override {
    if (sub.empty()) return Error(Code::invalid, "empty sub");
    for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
      auto r = run(cmd_.increment_verifications(sub));
      if (!r) return std::move(r).error();
      if (r->duplicate) continue;  // concurrent creation: the retry increments it
      if (!r->document) return Error(Code::store, "increment returned no document");
      return mongo::read_count(r->document->get());
    }
    return contention("increment_verifications");
  }

  Result<std::int64_t> get_verifications(std::string_view sub) override {
    auto r = run(cmd_.get_verifications(sub));
    if (!r) return std::move(r).error();
    if (!r->document) {
      return Error(Code::not_found, "no verifications record for " + std::string(sub));
    }
    return mongo::read_count(r->document->get());
  }

  Status set_handle(std::string_view sub, std::string_view handle) override {
    if (sub.empty() || handle.empty()) return Error(Code::invalid, "empty sub or handle");
    if (missing_roles_.contains(IndexRole::handle)) {
      // acid_handle_ci_unique could not be built: check first (a race remains, which the
      // deployed case-sensitive handle_1 narrows to case variants; the problem is alerted).
      auto held = run(cmd_.handle_held_by_other(sub, handle));
      if (!held) return std::move(held).error();
      if (held->document) {
        return Error(Code::conflict, "handle " + std::string(handle) + " is taken",
                     "{\"index\":\"handle\",\"name\":\"(checked: acid_handle_ci_unique is "
                     "missing)\"}");
      }
    }
    for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
      auto r = run(cmd_.set_handle(sub, handle, now_unix_ms()));
      if (!r) return std::move(r).error();
      if (!r->duplicate) return Status::ok();
      if (r->duplicate->role == IndexRole::id) continue;  // concurrent creation: retry
      // Any unique index on @handles.handle (the library's case-insensitive one, or the
      // deployed case-sensitive handle_1) means someone else holds it.
      return Error(Code::conflict, "handle " + std::string(handle) + " is taken",
                   "{\"index\":\"handle\",\"name\":" + json::quote(r->duplicate->index) + "}");
    }
    return contention("set_handle");
  }

  Result<std::string> get_handle(std::string_view sub) override {
    auto r = run(cmd_.get_handle(sub));
    if (!r) return std::move(r).error();
    if (!r->document) return Error(Code::not_found, "no handle for " + std::string(sub));
    if (auto h = string_field(r->document, "handle")) return *h;
    return Error(Code::store,
                 "the @handles document of " + std::string(sub) + " has no string handle");
  }

  // ---- Provisioning --------------------------------------------------------------------------

  Result<ApplyOutcome> apply_event(const EventFact &event, std::uint32_t capacity,
                                   const CodeCandidates &candidates) override {
    if (event.sub.empty() || event.log_id.empty()) {
      return Error(Code::invalid, "an event needs a log_id and a sub");
    }
    ApplyOutcome outcome;
    auto seen = run(cmd_.event_seen(event.log_id));
    if (!seen) return std::move(seen).error();
    if (seen->document) {
      outcome.duplicate = true;
      return outcome;
    }
    const UnixMillis now = now_unix_ms();

    // 1. Code and verifications (idempotent, or guarded by the log id).
    if (event.type == EventType::signup) {
      auto code = ensure_code(event.sub, event.code_time, event.date, capacity, candidates);
      if (!code) return std::move(code).error();
      outcome.new_code = std::move(*code);
      auto v = run(cmd_.ensure_verifications(event.sub));
      if (!v) return std::move(v).error();
      if (v->duplicate && v->duplicate->role != IndexRole::id) {
        return unexpected_duplicate(*v->duplicate);
      }
    } else if (event.type == EventType::verified) {
      ACID_TRY(guarded(cmd_.verified_increment(event.sub, event.log_id),
                       cmd_.verifications_applied(event.sub, event.log_id)));
      auto code = ensure_code(event.sub, event.code_time, event.code_time, capacity, candidates);
      if (!code) return std::move(code).error();
      outcome.new_code = std::move(*code);
    }

    // 2. Facts (earliest dates, email), guarded by the log id.
    ACID_TRY(guarded(cmd_.record_facts(event, now), cmd_.account_applied(event.sub, event.log_id)));

    // 3. The transition table's state change with the job it owes, then the job itself.
    auto scheduled = log_transition(event, now);
    if (!scheduled) return std::move(scheduled).error();
    outcome.job_scheduled = *scheduled;

    // 4. The log id, last: a crash before it lets a redelivery finish the steps above.
    auto recorded = run(cmd_.record_event(event, now));
    if (!recorded) return std::move(recorded).error();
    if (recorded->duplicate) {
      if (recorded->duplicate->role != IndexRole::id) {
        return unexpected_duplicate(*recorded->duplicate);
      }
      return ApplyOutcome{true, std::nullopt, false};  // a concurrent delivery recorded it first
    }
    return outcome;
  }

  Result<Account> get_account(std::string_view sub) override {
    auto user = run(cmd_.get_account_user(sub));
    if (!user) return std::move(user).error();
    auto verifications = run(cmd_.get_account_verifications(sub));
    if (!verifications) return std::move(verifications).error();
    auto handle = run(cmd_.get_handle(sub));
    if (!handle) return std::move(handle).error();
    return mongo::read_account(sub, user->document ? user->document->get() : nullptr,
                               verifications->document ? verifications->document->get() : nullptr,
                               handle->document ? handle->document->get() : nullptr);
  }

  Status save_intent(std::string_view sub, const AccountIntent &intent,
                     std::int64_t expected_version) override {
    auto r = run(cmd_.save_intent(sub, intent, expected_version));
    if (!r) return std::move(r).error();
    if (r->matched == 0) {
      return Error(Code::conflict, "account " + std::string(sub) +
                                       " changed since it was read (or is not being provisioned)");
    }
    return Status::ok();
  }

  Status mark_account_created(std::string_view sub, std::string_view did,
                              std::string_view pds_handle, std::string_view password,
                              std::string_view created_at_iso) override {
    if (missing_roles_.contains(IndexRole::did)) {
      // acid_atproto_did_unique could not be built: check first (DIDs come from the PDS, one
      // per account, so only two adoptions of one DID at once could slip through).
      auto held = run(cmd_.did_held_by_other(sub, did));
      if (!held) return std::move(held).error();
      if (held->document) {
        return Error(Code::conflict, "DID " + std::string(did) + " already belongs to another user",
                     "{\"index\":\"did\"}");
      }
    }
    const UnixMillis now = now_unix_ms();
    // One update per group of the table's cells (disjoint filters): usually not deleted, else
    // deleted while createAccount was in flight. A deletion recorded between two updates makes
    // the first miss and a later one match.
    for (const provision::DecisionGroup &group :
         mongo::groups_to_apply(provision::AccountEvent::created_on_pds)) {
      auto owed = owed_by(group.decision, now, now, "created-after-deletion");
      if (!owed) return std::move(owed).error();
      auto r = run(cmd_.mark_account_created(sub, did, pds_handle, password, created_at_iso, now,
                                             group, *owed ? &**owed : nullptr));
      if (!r) return std::move(r).error();
      if (r->duplicate) {
        if (r->duplicate->role == IndexRole::did) {
          return Error(Code::conflict,
                       "DID " + std::string(did) + " already belongs to another user",
                       "{\"index\":\"did\"}");
        }
        return unexpected_duplicate(*r->duplicate);
      }
      if (r->matched == 0) continue;
      if (*owed) return settle_owed(sub);
      return Status::ok();
    }
    return Error(Code::not_found, "no account for " + std::string(sub));
  }

  Status record_attempt_failure(std::string_view sub, int attempts, std::string_view error_json,
                                bool give_up) override {
    auto r = run(cmd_.record_attempt_failure(sub, attempts, error_json, give_up, now_unix_ms()));
    if (!r) return std::move(r).error();
    return require_matched_in_state(*r, sub, "its PDS account exists or is being deleted");
  }

  Status adopt_existing_account(std::string_view sub, std::string_view did,
                                std::int64_t expected_version) override {
    auto r = run(cmd_.adopt_existing_account(sub, did, expected_version, now_unix_ms()));
    if (!r) return std::move(r).error();
    return require_matched_in_state(*r, sub, "it changed since it was read");
  }

  Status reset_failed(std::string_view sub, UnixMillis now) override {
    for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
      auto read = run(cmd_.read_state(sub));
      if (!read) return std::move(read).error();
      if (!read->document) return Error(Code::not_found, "no account for " + std::string(sub));
      auto facts = mongo::read_facts(read->document->get());
      if (!facts) return std::move(facts).error();
      const auto decision = provision::decide(provision::AccountEvent::reset_failed, *facts);
      if (decision.refused) {
        return Error(Code::conflict, "account " + std::string(sub) + " is " +
                                         to_string(facts->state) + ", not failed");
      }
      const UnixMillis written = now_unix_ms();
      auto owed = owed_by(decision, now, written, "reset");
      if (!owed) return std::move(owed).error();
      if (!*owed) return Error(Code::internal, "a reset owes no job");
      auto r = run(cmd_.reset_failed(sub, group_of(provision::AccountEvent::reset_failed, decision),
                                     **owed, written));
      if (!r) return std::move(r).error();
      if (r->modified > 0) return settle_owed(sub);
      // The account changed between the read and the update: look again.
    }
    return contention("reset_failed");
  }

  Status mark_account_deleted(std::string_view sub) override {
    auto r = run(cmd_.mark_account_deleted(sub, now_unix_ms()));
    if (!r) return std::move(r).error();
    return require_matched(*r, sub);
  }

  Status set_pds_handle(std::string_view sub, std::string_view pds_handle,
                        std::string_view synced_at_iso) override {
    auto r = run(cmd_.set_pds_handle(sub, pds_handle, synced_at_iso, now_unix_ms()));
    if (!r) return std::move(r).error();
    return require_matched_in_state(*r, sub, "it is not active");
  }

  Status replace_password(std::string_view sub, std::string_view expected,
                          std::string_view replacement) override {
    const UnixMillis now = now_unix_ms();
    auto nested = run(cmd_.replace_password_nested(sub, expected, replacement, now));
    if (!nested) return std::move(nested).error();
    if (nested->matched > 0) return Status::ok();
    auto flat = run(cmd_.replace_password_flat(sub, expected, replacement, now));
    if (!flat) return std::move(flat).error();
    if (flat->matched > 0) return Status::ok();
    return Error(Code::conflict, "the stored password of " + std::string(sub) + " changed");
  }

  // ---- Jobs ----------------------------------------------------------------------------------

  Result<bool> schedule_job(std::string_view sub, JobKind kind, UnixMillis due_at) override {
    if (sub.empty()) return Error(Code::invalid, "a job needs a sub");
    return schedule(sub, kind, due_at);
  }

  Result<std::optional<Job>> lease_job(std::string_view owner, UnixMillis now,
                                       std::int64_t lease_ms) override {
    if (owner.empty()) return Error(Code::invalid, "a lease needs an owner");
    ACID_TRY(maybe_sweep());
    auto token = new_lease_token();
    if (!token) return std::move(token).error();
    auto r = run(cmd_.lease_job(owner, *token, now, lease_ms));
    if (!r) return std::move(r).error();
    if (!r->document) return std::optional<Job>();
    auto job = mongo::read_job(r->document->get());
    if (!job) return std::move(job).error();
    return std::optional<Job>(std::move(*job));
  }

  Status renew_lease(const Job &job, UnixMillis now, std::int64_t lease_ms) override {
    auto r = run(cmd_.renew_lease(job.id, job.lease_token, now + lease_ms));
    if (!r) return std::move(r).error();
    if (r->matched == 0) return lease_lost(job.id, job.lease_owner);
    return Status::ok();
  }

  Status complete_job(const Job &job, std::string_view owner) override {
    auto r = run(cmd_.complete_job(job.id, job.lease_token));
    if (!r) return std::move(r).error();
    if (r->deleted > 0) return Status::ok();
    // Asked for again while it ran (or the lease is gone): run it once more if still ours.
    auto again = run(cmd_.requeue_job(job.id, job.lease_token));
    if (!again) return std::move(again).error();
    if (again->matched == 0) return lease_lost(job.id, owner);
    return Status::ok();
  }

  Status reschedule_job(const Job &job, std::string_view owner, UnixMillis due_at,
                        std::string_view error_json) override {
    auto r = run(cmd_.reschedule_job(job.id, job.lease_token, due_at, error_json));
    if (!r) return std::move(r).error();
    if (r->matched == 0) return lease_lost(job.id, owner);
    return Status::ok();
  }

  Status fail_job(const Job &job, std::string_view owner, std::string_view error_json) override {
    auto r = run(cmd_.fail_job(job.id, job.lease_token, error_json));
    if (!r) return std::move(r).error();
    if (r->matched > 0) return Status::ok();
    // Asked for again while it ran (or the lease is gone): keep the request if still ours.
    auto again = run(cmd_.fail_job_keep_rerun(job.id, job.lease_token, error_json));
    if (!again) return std::move(again).error();
    if (again->matched == 0) return lease_lost(job.id, owner);
    return Status::ok();
  }

  Status release_job(const Job &job, std::string_view owner) override {
    auto r = run(cmd_.release_job(job.id, job.lease_token));
    if (!r) return std::move(r).error();
    if (r->matched == 0) return lease_lost(job.id, owner);
    return Status::ok();
  }

  Result<std::vector<Job>> list_jobs(std::string_view sub) override {
    auto r = run(cmd_.list_jobs(sub));
    if (!r) return std::move(r).error();
    std::vector<Job> out;
    for (const Doc &d : r->documents) {
      auto job = mongo::read_job(d.get());
      if (!job) return std::move(job).error();
      out.push_back(std::move(*job));
    }
    return out;
  }

  // ---- Audit (issue #6): cursor-based, in mongo_audit.cpp ------------------------------------

  Status scan_accounts(const AccountScanFilter &filter, const AccountVisitor &visit) override {
    return mongo::scan_accounts(conn_->scan_context(), filter, visit);
  }

  Result<std::vector<DuplicateCode>> duplicate_codes() override {
    return mongo::duplicate_codes(conn_->scan_context());
  }

  // ---- Content records and sync cursors (documents: mongo_content.h) --------------------------

  Result<bool> upsert_content(const ContentDoc &doc) override {
    if (doc.id.empty()) return Error(Code::invalid, "a content document needs a non-empty _id");
    const mongo::ContentCommands cc(cmd_);
    for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
      auto find = cc.find(doc.collection, doc.id);
      if (!find) return std::move(find).error();
      auto found = run(*find);
      if (!found) return std::move(found).error();
      if (!found->document) {
        auto insert = cc.insert(doc);
        if (!insert) return std::move(insert).error();
        auto r = run(*insert);
        if (!r) return std::move(r).error();
        if (!r->duplicate) return true;
        if (r->duplicate->role != IndexRole::id) {
          return Error(Code::conflict, doc.collection + " " + doc.id +
                                           " clashes with another document on index " +
                                           r->duplicate->index);
        }
        continue;  // a concurrent first insert: compare with it next time
      }
      auto current = mongo::read_content(doc.collection, found->document->get());
      if (!current) return std::move(current).error();
      if (current->user == doc.user && current->fields == doc.fields && current->when == doc.when &&
          current->deleted == doc.deleted) {
        return false;
      }
      if (current->user != doc.user && current->atproto.rkey) {
        return Error(Code::conflict, doc.collection + " " + doc.id +
                                         " has a record in the repo of its user: its user "
                                         "cannot change (delete it and import a new document)");
      }
      const bool has_version =
          Field::find(found->document->get(), "acid.contentVersion").as_int().has_value();
      auto update = cc.update_content(doc, current->version, has_version);
      if (!update) return std::move(update).error();
      auto r = run(*update);
      if (!r) return std::move(r).error();
      if (r->duplicate) {
        return Error(Code::conflict, doc.collection + " " + doc.id +
                                         " clashes with another document on index " +
                                         r->duplicate->index);
      }
      if (r->matched > 0) return true;
      // Changed meanwhile: compare again.
    }
    return contention("upsert_content");
  }

  Result<ContentDoc> get_content(std::string_view collection, std::string_view id) override {
    auto find = mongo::ContentCommands(cmd_).find(collection, id);
    if (!find) return std::move(find).error();
    auto found = run(*find);
    if (!found) return std::move(found).error();
    if (!found->document) {
      return Error(Code::not_found,
                   "no " + std::string(collection) + " document " + std::string(id));
    }
    return mongo::read_content(collection, found->document->get());
  }

  Result<bool> set_content_deleted(std::string_view collection, std::string_view id,
                                   bool deleted) override {
    auto op = mongo::ContentCommands(cmd_).set_deleted(collection, id, deleted);
    if (!op) return std::move(op).error();
    auto r = run(*op);
    if (!r) return std::move(r).error();
    if (r->matched > 0) return true;
    auto exists = get_content(collection, id);
    if (!exists) return std::move(exists).error();
    return false;
  }

  Result<std::vector<ContentDoc>> list_content(std::string_view collection, std::string_view user,
                                               std::string_view after_id,
                                               std::size_t limit) override {
    auto op = mongo::ContentCommands(cmd_).list(collection, user, after_id, limit);
    if (!op) return std::move(op).error();
    auto r = run(*op);
    if (!r) return std::move(r).error();
    std::vector<ContentDoc> out;
    for (const Doc &d : r->documents) {
      auto doc = mongo::read_content(collection, d.get());
      if (!doc) return std::move(doc).error();
      out.push_back(std::move(*doc));
    }
    return out;
  }

  Result<std::vector<std::string>> content_users(std::string_view collection,
                                                 std::string_view after_user, std::size_t limit,
                                                 bool needing_sync) override {
    const mongo::ContentCommands cc(cmd_);
    std::vector<std::string> out;
    std::string after(after_user);
    while (out.size() < limit) {
      auto op = cc.next_user(collection, after, needing_sync);
      if (!op) return std::move(op).error();
      auto r = run(*op);
      if (!r) return std::move(r).error();
      auto user = string_field(r->document, "user");
      if (!user) break;
      after = *user;
      out.push_back(std::move(*user));
    }
    return out;
  }

  Result<std::string> claim_content_rkey(std::string_view collection, std::string_view id,
                                         std::string_view rkey) override {
    if (rkey.empty()) return Error(Code::invalid, "an empty record key");
    auto op = mongo::ContentCommands(cmd_).claim_rkey(collection, id, rkey);
    if (!op) return std::move(op).error();
    auto r = run(*op);
    if (!r) return std::move(r).error();
    if (r->matched > 0) return std::string(rkey);
    auto held = get_content(collection, id);
    if (!held) return std::move(held).error();
    if (!held->atproto.rkey) return contention("claim_content_rkey");
    return *held->atproto.rkey;
  }

  Status mark_content_synced(std::string_view collection, std::string_view id,
                             std::string_view rkey, std::string_view uri, std::string_view cid,
                             std::int64_t version) override {
    auto op = mongo::ContentCommands(cmd_).mark_synced(collection, id, rkey, uri, cid, version);
    if (!op) return std::move(op).error();
    auto r = run(*op);
    if (!r) return std::move(r).error();
    if (r->matched == 0) return content_rkey_moved(collection, id, rkey);
    return Status::ok();
  }

  Result<std::vector<std::string>> claim_content_rkeys(
      std::string_view collection, const std::vector<RkeyClaim> &claims) override {
    std::vector<std::string> held;
    held.reserve(claims.size());
    for (const RkeyClaim &c : claims) {  // one single-document step each
      auto key = claim_content_rkey(collection, c.id, c.rkey);
      if (!key) return std::move(key).error();
      held.push_back(std::move(*key));
    }
    return held;
  }

  Result<std::vector<bool>> mark_contents_synced(
      std::string_view collection, const std::vector<SyncedRecord> &records) override {
    std::vector<bool> matched;
    matched.reserve(records.size());
    for (const SyncedRecord &r : records) {
      Status st = mark_content_synced(collection, r.id, r.rkey, r.uri, r.cid, r.version);
      if (!st && st.code() != Code::conflict) return std::move(st).error();
      matched.push_back(st.is_ok());
    }
    return matched;
  }

  Status clear_content_record(std::string_view collection, std::string_view id,
                              std::string_view rkey) override {
    auto op = mongo::ContentCommands(cmd_).clear_record(collection, id, rkey);
    if (!op) return std::move(op).error();
    auto r = run(*op);
    if (!r) return std::move(r).error();
    if (r->matched == 0) return content_rkey_moved(collection, id, rkey);
    return Status::ok();
  }

  Status mark_content_unsynced(std::string_view collection, std::string_view id) override {
    auto op = mongo::ContentCommands(cmd_).mark_unsynced(collection, id);
    if (!op) return std::move(op).error();
    auto r = run(*op);
    if (!r) return std::move(r).error();
    if (r->matched == 0) {
      return Error(Code::not_found,
                   "no " + std::string(collection) + " document " + std::string(id));
    }
    return Status::ok();
  }

  Result<std::string> get_sync_cursor(std::string_view name) override {
    auto r = run(mongo::ContentCommands(cmd_).get_cursor(name));
    if (!r) return std::move(r).error();
    return string_field(r->document, "value").value_or("");
  }

  Status set_sync_cursor(std::string_view name, std::string_view value) override {
    if (name.empty()) return Error(Code::invalid, "a sync cursor needs a name");
    const mongo::ContentCommands cc(cmd_);
    auto r =
        run(value.empty() ? cc.delete_cursor(name) : cc.set_cursor(name, value, now_unix_ms()));
    if (!r) return std::move(r).error();
    return Status::ok();
  }

  Status record_dead_letters(std::span<const DeadLetter> letters, UnixMillis now) override {
    for (const DeadLetter &letter : letters) ACID_TRY(validate_dead_letter(letter));
    const mongo::DeadLetterCommands dl(cmd_);
    for (const DeadLetter &letter : letters) {
      int attempt = 0;
      for (;; ++attempt) {
        if (attempt == kRaceRetries) return contention("record_dead_letters");
        auto r = run(dl.record(letter, now));
        if (!r) return std::move(r).error();
        if (!r->duplicate) break;  // else a concurrent first insert won: count this delivery
      }
    }
    return Status::ok();
  }

  Result<std::vector<DeadLetter>> list_dead_letters(const DeadLetterQuery &query) override {
    auto r = run(mongo::DeadLetterCommands(cmd_).list(query));
    if (!r) return std::move(r).error();
    std::vector<DeadLetter> out;
    for (const Doc &d : r->documents) {
      auto letter = mongo::read_dead_letter(d.get());
      if (!letter) return std::move(letter).error();
      out.push_back(std::move(*letter));
    }
    return out;
  }

  Result<DeadLetter> get_dead_letter(std::string_view id) override {
    auto r = run(mongo::DeadLetterCommands(cmd_).get(id));
    if (!r) return std::move(r).error();
    if (!r->document) return Error(Code::not_found, "no dead letter " + std::string(id));
    return mongo::read_dead_letter(r->document->get());
  }

  Status record_dead_letter_replay(std::string_view id, UnixMillis at, bool applied,
                                   std::string_view outcome_json) override {
    auto r = run(mongo::DeadLetterCommands(cmd_).record_replay(id, at, applied, outcome_json));
    if (!r) return std::move(r).error();
    if (r->matched == 0) return Error(Code::not_found, "no dead letter " + std::string(id));
    return Status::ok();
  }

 private:
  Result<OpResult> run(const Op &op) { return conn_->run(op); }

  static Status require_matched(const OpResult &r, std::string_view sub) {
    if (r.matched == 0) return Error(Code::not_found, "no account for " + std::string(sub));
    return Status::ok();
  }

  // After a state-guarded update: Code::not_found for an unknown sub, else Code::conflict.
  Status require_matched_in_state(const OpResult &r, std::string_view sub, std::string_view why) {
    if (r.matched > 0) return Status::ok();
    auto read = run(cmd_.read_state(sub));
    if (!read) return std::move(read).error();
    if (!read->document) return Error(Code::not_found, "no account for " + std::string(sub));
    return Error(Code::conflict,
                 "account " + std::string(sub) + " not changed: " + std::string(why));
  }

  // An upsert guarded by {acid.applied: {$ne: log_id}}: when it finds the document already
  // holding the log id, the upsert's insert collides on _id; `applied` tells that apart from a
  // concurrent first insert of the document (then the update is simply run again).
  Status guarded(const Op &update, const Op &applied) {
    for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
      auto r = run(update);
      if (!r) return std::move(r).error();
      if (!r->duplicate) return Status::ok();
      if (r->duplicate->role != IndexRole::id) return unexpected_duplicate(*r->duplicate);
      auto seen = run(applied);
      if (!seen) return std::move(seen).error();
      if (seen->document) return Status::ok();  // this log id's effect is already there
    }
    return contention("applying an event");
  }

  // The allocator: a findAndModify $inc per position, a unique insert per claim.
  Result<ClaimedCode> claim(int yy, std::uint32_t capacity, const CodeCandidate &candidate,
                            std::string_view sub) {
    if (capacity == 0) return exhausted(yy);
    std::uint32_t pending_skips = 0;  // not yet added to the counter's skip count
    std::uint32_t skipped = 0;
    int races = 0;
    for (;;) {
      auto step = run(cmd_.counter_step(yy, capacity, pending_skips));
      if (!step) return std::move(step).error();
      if (step->duplicate) {
        // The counter is at capacity (the filter missed and the upsert hit _id), or another
        // caller created the year's counter first.
        auto counter = run(cmd_.read_counter(yy));
        if (!counter) return std::move(counter).error();
        const auto next = counter->document ? Field::find(counter->document->get(), "next").as_int()
                                            : std::nullopt;
        if (next && *next >= static_cast<std::int64_t>(capacity)) {
          if (pending_skips > 0) {
            auto add = run(cmd_.add_skipped(yy, pending_skips));
            if (!add) return std::move(add).error();
          }
          return exhausted(yy);
        }
        if (++races > kRaceRetries) return contention("claim_next_code");
        continue;
      }
      pending_skips = 0;
      const auto next =
          step->document ? Field::find(step->document->get(), "next").as_int() : std::nullopt;
      if (!next || *next < 1) return Error(Code::store, "the code counter returned no position");
      const auto position = static_cast<std::uint32_t>(*next - 1);
      const std::optional<std::string> code = candidate(position);
      if (!code) {
        ++pending_skips;
        ++skipped;
        continue;
      }
      auto in_users = run(cmd_.code_in_users(*code));
      if (!in_users) return std::move(in_users).error();
      if (in_users->document) {  // a legacy code
        ++pending_skips;
        ++skipped;
        continue;
      }
      auto inserted = run(cmd_.insert_allocated_claim(*code, yy, position, sub, now_unix_ms()));
      if (!inserted) return std::move(inserted).error();
      if (inserted->duplicate) {
        if (inserted->duplicate->role != IndexRole::id) {
          return unexpected_duplicate(*inserted->duplicate);
        }
        ++pending_skips;  // claimed by insert_user for someone (a legacy code)
        ++skipped;
        continue;
      }
      if (pending_skips > 0) {
        auto add = run(cmd_.add_skipped(yy, pending_skips));
        if (!add) return std::move(add).error();
      }
      return ClaimedCode{*code, position, skipped};
    }
  }

  // Gives the user a code if they have none. Returns the code claimed now, if any.
  Result<std::optional<ClaimedCode>> ensure_code(std::string_view sub, UnixMillis code_time,
                                                 UnixMillis when, std::uint32_t capacity,
                                                 const CodeCandidates &candidates) {
    auto current = run(cmd_.read_code_and_when(sub));
    if (!current) return std::move(current).error();
    const bson_t *doc = current->document ? current->document->get() : nullptr;
    const Field code_field = Field::find(doc, "code");
    const bool has_when = !Field::find(doc, "when").absent();
    if (!code_field.absent()) {
      if (!code_field.as_string()) {
        return Error(Code::store, "the users document of " + std::string(sub) +
                                      " has a code that is not a string");
      }
      if (!has_when) {
        auto w = run(cmd_.set_when_if_missing(sub, when));
        if (!w) return std::move(w).error();
      }
      return std::optional<ClaimedCode>();
    }
    const int yy = ((utc_year(code_time) % 100) + 100) % 100;
    auto candidate = candidates(yy);
    if (!candidate) return std::move(candidate).error();
    auto claimed = claim(yy, capacity, *candidate, sub);
    if (!claimed) return std::move(claimed).error();
    auto set = run(cmd_.set_code(sub, claimed->code, when));
    if (!set) return std::move(set).error();
    if (set->duplicate) {
      if (set->duplicate->role == IndexRole::id) {
        // A concurrent delivery gave the user a code first; this claim stays reserved for the
        // same sub and is never handed out again.
        return std::optional<ClaimedCode>();
      }
      if (set->duplicate->role == IndexRole::code) return code_taken(claimed->code);
      return unexpected_duplicate(*set->duplicate);
    }
    if (!set->upserted && !has_when) {
      auto w = run(cmd_.set_when_if_missing(sub, when));
      if (!w) return std::move(w).error();
    }
    return std::optional<ClaimedCode>(std::move(*claimed));
  }

  // A log event's transition: one guarded update per group of the table's cells that writes
  // (their filters are disjoint, so at most one matches); true when that group scheduled a job.
  Result<bool> log_transition(const EventFact &event, UnixMillis now) {
    const provision::AccountEvent e = provision::account_event(event.type);
    const std::vector<provision::DecisionGroup> groups = mongo::groups_to_apply(e);
    if (groups.empty()) return false;  // the event changes no state
    for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
      for (const provision::DecisionGroup &group : groups) {
        auto owed = owed_by(group.decision, now, now, event.log_id);
        if (!owed) return std::move(owed).error();
        auto r = run(cmd_.transition(event.sub, group, *owed ? &**owed : nullptr, now));
        if (!r) return std::move(r).error();
        if (r->modified == 0) continue;
        ACID_TRY(settle_owed(event.sub));
        return group.decision.schedule.has_value();
      }
      // No update matched. With one group, the account sat in a cell whose decision writes
      // nothing; with more, it may have moved between the updates: look, and evaluate again.
      bool writes = false;
      if (groups.size() > 1) {
        auto read = run(cmd_.read_state(event.sub));
        if (!read) return std::move(read).error();
        if (!read->document) return Error(Code::internal, "account vanished during an event");
        auto facts = mongo::read_facts(read->document->get());
        if (!facts) return std::move(facts).error();
        const provision::AccountDecision d = provision::decide(e, *facts);
        writes = d.new_state || d.schedule || d.drop_open_jobs;
      }
      if (!writes) {
        ACID_TRY(settle_owed(event.sub));  // finish what an interrupted delivery left
        return false;
      }
    }
    return contention(std::string("applying a ") + to_string(event.type) + " event");
  }

  // The owed-job marker of a decision, nullopt when it owes nothing.
  static Result<std::optional<Owed>> owed_by(const provision::AccountDecision &decision,
                                             UnixMillis due, UnixMillis at, std::string by) {
    auto kind = mongo::owed_kind(decision);
    if (!kind) return std::move(kind).error();
    if (!*kind) return std::optional<Owed>();
    return std::optional<Owed>(Owed{**kind, due, at, std::move(by)});
  }

  // The group of `event`'s cells whose decision writes what `decision` writes.
  static provision::DecisionGroup group_of(provision::AccountEvent event,
                                           const provision::AccountDecision &decision) {
    for (provision::DecisionGroup &g : mongo::groups_to_apply(event)) {
      if (g.decision.same_writes(decision)) return std::move(g);
    }
    return provision::DecisionGroup{};
  }

  // Schedules the job the account's owed marker names, then clears the marker (if it is still
  // the same one). Idempotent: any caller may finish another's interrupted sequence.
  Status settle_owed(std::string_view sub) {
    auto read = run(cmd_.read_owed(sub));
    if (!read) return std::move(read).error();
    if (!read->document) return Status::ok();
    auto owed = mongo::read_owed(read->document->get());
    if (!owed) return std::move(owed).error();
    if (!*owed) return Status::ok();
    const Owed &o = **owed;
    if (o.kind == "delete_account" || o.kind == "cancel") {
      auto drop = run(cmd_.drop_open_jobs_except_delete(sub));
      if (!drop) return std::move(drop).error();
    }
    if (o.kind == "provision" || o.kind == "delete_account") {
      auto scheduled = schedule(
          sub, o.kind == "provision" ? JobKind::provision : JobKind::delete_account, o.due);
      if (!scheduled) return std::move(scheduled).error();
    }
    auto clear = run(cmd_.clear_owed(sub, o));
    if (!clear) return std::move(clear).error();
    return Status::ok();
  }

  Result<bool> schedule(std::string_view sub, JobKind kind, UnixMillis due) {
    for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
      auto moved = run(cmd_.move_open_job_earlier(sub, kind, due));
      if (!moved) return std::move(moved).error();
      if (moved->matched > 0) return false;
      auto id = run(cmd_.next_job_id());
      if (!id) return std::move(id).error();
      if (id->duplicate) continue;  // the sequence document was created concurrently
      const auto n = id->document ? Field::find(id->document->get(), "n").as_int() : std::nullopt;
      if (!n) return Error(Code::store, "the job id sequence returned no number");
      auto inserted = run(cmd_.insert_job(*n, sub, kind, due, now_unix_ms()));
      if (!inserted) return std::move(inserted).error();
      if (!inserted->duplicate) return true;
      if (inserted->duplicate->role != IndexRole::open_job) {
        return unexpected_duplicate(*inserted->duplicate);
      }
      // Someone opened the same job meanwhile: move that one earlier instead.
    }
    return contention("schedule_job");
  }

  // Finishes state changes whose job scheduling was interrupted (a crash between the update
  // and the job insert). Runs at most every kSweepEveryMs per store, from lease_job.
  Status maybe_sweep() {
    const std::int64_t steady = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                    .count();
    std::int64_t last = last_sweep_.load();
    if (last != 0 && steady - last < kSweepEveryMs) return Status::ok();
    if (!last_sweep_.compare_exchange_strong(last, steady)) return Status::ok();
    auto stale = run(cmd_.stale_owed(now_unix_ms() - kOwedGraceMs, kSweepBatch));
    if (!stale) return std::move(stale).error();
    for (const Doc &d : stale->documents) {
      auto sub = Field::find(d.get(), "_id").as_string();
      if (!sub) continue;  // not a library-managed users document
      ACID_TRY(settle_owed(*sub));
    }
    return Status::ok();
  }

  std::unique_ptr<Connection> conn_;
  Commands cmd_;
  std::set<IndexRole> missing_roles_;  // unique indexes it opened without (checked in software)
  std::vector<std::string> problems_;
  std::atomic<std::int64_t> last_sweep_{0};
};

}  // namespace

bool valid_mongo_database_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  constexpr std::string_view kForbidden("/\\. \"$*<>:|?\0", 13);
  return name.find_first_of(kForbidden) == std::string_view::npos;
}

Result<std::string> resolve_mongo_database(std::string_view uri_database, const MongoEnv &env) {
  if (!uri_database.empty()) {
    if (!valid_mongo_database_name(uri_database)) {
      return Error(Code::config, "the MongoDB store URI names an invalid database");
    }
    return std::string(uri_database);
  }
  for (std::string_view var :
       {std::string_view("ACID_MONGODB_DB"), std::string_view("MONGODB_NAME")}) {
    std::optional<std::string> value = env ? env(var) : std::nullopt;
    if (!value || value->empty()) continue;
    if (!valid_mongo_database_name(*value)) {
      return Error(Code::config, std::string(var) + ": not a valid MongoDB database name",
                   "{\"variables\":[" + json::quote(var) + "]}");
    }
    return std::move(*value);
  }
  return Error(Code::config,
               "the MongoDB store URI names no database: put it in the URI's path "
               "(mongodb://host/DATABASE) or set ACID_MONGODB_DB (or MONGODB_NAME)",
               "{\"variables\":[\"ACID_MONGODB_DB\",\"MONGODB_NAME\"]}");
}

std::vector<std::string> mongo_uri_secrets(std::string_view uri) {
  std::vector<std::string> out;
  const std::size_t scheme = uri.find("://");
  if (scheme == std::string_view::npos) return out;
  const std::string_view rest = uri.substr(scheme + 3);
  // The last '@' ends the userinfo even when the password holds an unescaped '/', '?' or '@';
  // at worst more than the password is treated as secret.
  const std::size_t at = rest.rfind('@');
  if (at == std::string_view::npos) return out;
  const std::string_view userinfo = rest.substr(0, at);
  const std::size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) return out;
  const std::string_view password = userinfo.substr(colon + 1);
  if (password.empty()) return out;
  out.emplace_back(password);
  std::string decoded;
  for (std::size_t i = 0; i < password.size(); ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (password[i] == '%' && i + 2 < password.size() && hex(password[i + 1]) >= 0 &&
        hex(password[i + 2]) >= 0) {
      decoded.push_back(static_cast<char>(hex(password[i + 1]) * 16 + hex(password[i + 2])));
      i += 2;
    } else {
      decoded.push_back(password[i]);
    }
  }
  if (decoded != password) out.push_back(std::move(decoded));
  return out;
}

Result<std::unique_ptr<Store>> open_mongo_store(std::string_view uri, const MongoOptions &options) {
  auto conn = Connection::open(uri, options);
  if (!conn) return std::move(conn).error().context("opening the MongoDB store");
  auto report = check_indexes(**conn, true);
  if (!report) return std::move(report).error().context("opening the MongoDB store");
  // Only a required index stops the store; the others are reported (open_problems()).
  auto missing = mongo::open_decision((*conn)->database(), *report);
  if (!missing) return std::move(missing).error();
  return std::unique_ptr<Store>(
      std::make_unique<MongoStore>(std::move(*conn), std::move(*missing)));
}

Result<std::string> mongo_doctor(std::string_view uri, bool fix, const MongoOptions &options) {
  auto conn = Connection::open(uri, options);
  if (!conn) return std::move(conn).error();
  auto report = check_indexes(**conn, fix);
  if (!report) return std::move(report).error();
  return mongo::doctor_json((*conn)->database(), fix, *report);
}

}  // namespace acid::store
