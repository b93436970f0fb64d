// The embedded store's entry points: options from the URI, open and migrate.
#include "store/sqlite/sqlite_store.h"

#include "store/sqlite/adapter.h"

namespace acid::store {

using sqlite::Connection;
using sqlite::SqliteStore;

Result<SqliteOptions> parse_sqlite_options(std::string_view query) {
  SqliteOptions options;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    if (key == "synchronous" && (value == "full" || value == "normal")) {
      options.synchronous_full = value == "full";
    } else if (key == "busy_timeout_ms" && !value.empty() && value.size() <= 7 &&
               value.find_first_not_of("0123456789") == std::string_view::npos) {
      options.busy_timeout_ms = std::stoi(std::string(value));
    } else {
      return Error(Code::config, "unknown or malformed sqlite store option \"" +
                                     std::string(item.substr(0, 64)) +
                                     "\" (known: synchronous=full|normal, busy_timeout_ms=N)");
    }
  }
  return options;
}

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string &path,
                                                 const SqliteOptions &options) {
  if (path.empty()) return Error(Code::config, "sqlite store URI needs a path: sqlite:PATH");
  ACID_ASSIGN_OR_RETURN(Connection conn,
                        Connection::open(path, options.busy_timeout_ms, options.synchronous_full));
  auto store = std::make_unique<SqliteStore>(std::move(conn));
  ACID_TRY(store->migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace acid::store
