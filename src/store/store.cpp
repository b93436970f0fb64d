#include "store/store.h"

#include <algorithm>

#include "core/enum_names.h"
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

namespace {

constexpr EnumName<AccountState> kAccountStates[] = {
    {AccountState::none, "none"},         {AccountState::pending, "pending"},
    {AccountState::creating, "creating"}, {AccountState::active, "active"},
    {AccountState::failed, "failed"},     {AccountState::deleting, "deleting"},
    {AccountState::deleted, "deleted"}};
static_assert(in_declaration_order(kAccountStates));

// The Auth0 log event type codes the store records.
constexpr EnumName<EventType> kEventTypes[] = {{EventType::signup, "ss"},
                                               {EventType::verified, "sv"},
                                               {EventType::email_changed, "sce"},
                                               {EventType::deleted, "sdu"}};
static_assert(in_declaration_order(kEventTypes));

constexpr EnumName<JobKind> kJobKinds[] = {{JobKind::provision, "provision"},
                                           {JobKind::update_handle, "update_handle"},
                                           {JobKind::delete_account, "delete_account"}};
static_assert(in_declaration_order(kJobKinds));

}  // namespace

const char *to_string(AccountState state) {
  return name_of(kAccountStates, state);
}

std::optional<AccountState> parse_account_state(std::string_view text) {
  return value_named(kAccountStates, text);
}

const char *to_string(EventType type) {
  return name_of(kEventTypes, type);
}

const char *to_string(JobKind kind) {
  return name_of(kJobKinds, kind);
}

std::optional<JobKind> parse_job_kind(std::string_view text) {
  return value_named(kJobKinds, text);
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
