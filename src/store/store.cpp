#include "store/store.h"

#include <algorithm>

#include "store/mongo/mongo_store.h"
#include "store/sqlite/sqlite_store.h"

namespace acid::store {

ContentNeed content_need(const ContentDoc &doc) {
  if (doc.deleted) return doc.atproto.rkey ? ContentNeed::remove : ContentNeed::none;
  if (!doc.atproto.rkey) return ContentNeed::create;
  if (!doc.atproto.uri) return ContentNeed::retry_create;
  if (doc.synced_version < doc.version) return ContentNeed::update;
  return ContentNeed::none;
}

const char *to_string(AccountState state) {
  switch (state) {
    case AccountState::none:
      return "none";
    case AccountState::pending:
      return "pending";
    case AccountState::creating:
      return "creating";
    case AccountState::active:
      return "active";
    case AccountState::failed:
      return "failed";
    case AccountState::deleting:
      return "deleting";
    case AccountState::deleted:
      return "deleted";
  }
  return "unknown";
}

std::optional<AccountState> parse_account_state(std::string_view text) {
  for (AccountState s :
       {AccountState::none, AccountState::pending, AccountState::creating, AccountState::active,
        AccountState::failed, AccountState::deleting, AccountState::deleted}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

const char *to_string(EventType type) {
  switch (type) {
    case EventType::signup:
      return "ss";
    case EventType::verified:
      return "sv";
    case EventType::email_changed:
      return "sce";
    case EventType::deleted:
      return "sdu";
  }
  return "unknown";
}

const char *to_string(JobKind kind) {
  switch (kind) {
    case JobKind::provision:
      return "provision";
    case JobKind::update_handle:
      return "update_handle";
    case JobKind::delete_account:
      return "delete_account";
  }
  return "unknown";
}

std::optional<JobKind> parse_job_kind(std::string_view text) {
  for (JobKind k : {JobKind::provision, JobKind::update_handle, JobKind::delete_account}) {
    if (text == to_string(k)) return k;
  }
  return std::nullopt;
}

Result<std::unique_ptr<Store>> open_store(std::string_view uri) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (uri.substr(0, kSqlite.size()) == kSqlite) {
    std::string_view rest = uri.substr(kSqlite.size());
    // "sqlite://PATH" is accepted too, as people write URIs that way.
    if (rest.substr(0, 2) == "//") rest.remove_prefix(2);
    const std::size_t q = rest.find('?');
    auto options =
        parse_sqlite_options(q == std::string_view::npos ? std::string_view() : rest.substr(q + 1));
    if (!options) return std::move(options).error();
    return open_sqlite_store(std::string(rest.substr(0, q)), *options);
  }
  if (uri.rfind("mongodb://", 0) == 0 || uri.rfind("mongodb+srv://", 0) == 0) {
    return open_mongo_store(uri);
  }
  // Only the scheme is echoed: a URI may carry a password.
  const std::string scheme(uri.substr(0, std::min<std::size_t>(uri.find(':'), 32)));
  return Error(Code::config, "unknown store URI scheme \"" + scheme +
                                 "\": expected sqlite:PATH or mongodb://...");
}

}  // namespace acid::store
