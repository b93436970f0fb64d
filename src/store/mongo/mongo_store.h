// The MongoDB store adapter (libmongoc): the production backend, reading and writing the
// deployed collections field for field. See docs/mongodb.md (data model, why every operation is
// single-document, index checks) and docs/scaling.md.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace acid::store {

// Looks an environment variable up (nullopt when unset).
using MongoEnv = std::function<std::optional<std::string>(std::string_view)>;

struct MongoOptions {
  // Where the database-name fallback (ACID_MONGODB_DB, else MONGODB_NAME) is looked up when the
  // URI names no database; empty: nowhere (Config has already put the configured name into the
  // URI).
  MongoEnv env;
};

// Opens the store at a "mongodb://" or "mongodb+srv://" URI. The database is the URI's path
// ("mongodb://host/aesthetic"), else ACID_MONGODB_DB, else MONGODB_NAME looked up through
// options.env (Config::from_env composes them into the URI); Code::config when none names one. One
// mongoc_client_pool serves every thread; retryable reads and writes are forced on; every write
// uses write concern majority (wtimeoutMS from the URI) and every read read concern majority on the
// primary; connect / socket / server-selection timeouts come from the URI. Startup checks the
// indexes the library needs (docs/mongodb.md): missing ones are created, conflicting ones are a
// Code::config error saying how to fix them. mongoc_init() runs once per process; mongoc_cleanup()
// is never called (clients may live until exit, and libmongoc cannot be re-initialised after it).
Result<std::unique_ptr<Store>> open_mongo_store(std::string_view uri,
                                                const MongoOptions &options = {});

// The index report of the database at `uri` as JSON (found / expected / conflicting /
// would_create; see mongo_indexes.h for the shape). With `fix`, missing indexes are created
// (the only change it makes; conflicting ones are reported with the commands to run).
Result<std::string> mongo_doctor(std::string_view uri, bool fix, const MongoOptions &options = {});

// ---- Pure helpers (unit-tested) ---------------------------------------------------------------

// MongoDB's database-name rules: 1-63 bytes, none of / \ . " $ * < > : | ? space or NUL.
bool valid_mongo_database_name(std::string_view name);

// The database to use: `uri_database` when non-empty, else ACID_MONGODB_DB, else MONGODB_NAME.
// Code::config naming the variable when the chosen name is invalid, or when none is set.
Result<std::string> resolve_mongo_database(std::string_view uri_database, const MongoEnv &env);

// The password of a MongoDB URI as written and percent-decoded (empty when there is none), so
// error messages can be scrubbed of it.
std::vector<std::string> mongo_uri_secrets(std::string_view uri);

}  // namespace acid::store
