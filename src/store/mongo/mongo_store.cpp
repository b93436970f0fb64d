// The MongoDB adapter's entry points: the database name, the secrets of a URI, open, doctor.
#include "store/mongo/mongo_store.h"

#include <mongoc/mongoc.h>

#include <cstdlib>
#include <mutex>
#include <set>

#include "core/json.h"
#include "store/lease_token.h"
#include "store/mongo/mongo_audit.h"
#include "store/mongo/mongo_bson.h"
#include "store/mongo/mongo_commands.h"
#include "store/mongo/mongo_content.h"
#include "store/mongo/mongo_dead_letters.h"
#include "store/mongo/mongo_errors.h"
#include "store/mongo/mongo_indexes.h"
#include "store/mongo/mongo_read.h"
#include "store/mongo/mongo_transitions.h"

#include "store/mongo/adapter.h"

namespace acid::store {

namespace mongo {

MongoStore::MongoStore(std::unique_ptr<Connection> conn,
                       const std::vector<mongo::IndexCheck> &missing)
    : conn_(std::move(conn)), cmd_(conn_->commands()) {
  for (const mongo::IndexCheck &check : missing) {
    missing_roles_.insert(check.spec.role);
    problems_.push_back(mongo::problem_line(check));
  }
}

}  // namespace mongo

using mongo::check_indexes;
using mongo::Connection;
using mongo::MongoStore;

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
  ACID_ASSIGN_OR_RETURN(auto missing, mongo::open_decision((*conn)->database(), *report));
  return std::unique_ptr<Store>(std::make_unique<MongoStore>(std::move(*conn), std::move(missing)));
}

Result<std::string> mongo_doctor(std::string_view uri, bool fix, const MongoOptions &options) {
  ACID_ASSIGN_OR_RETURN(auto conn, Connection::open(uri, options));
  ACID_ASSIGN_OR_RETURN(auto report, check_indexes(*conn, fix));
  return mongo::doctor_json(conn->database(), fix, report);
}

}  // namespace acid::store
