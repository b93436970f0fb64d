// The C ABI of the dead letters: acid_dead_letters_list, acid_dead_letter_replay.
#include "acidentity/acidentity.h"
#include "capi/client.h"
#include "capi/guard.h"
#include "core/json.h"

using acid::Code;
using acid::Error;
using acid::Result;
using acid::Status;
using acid::capi::guard;
using acid::capi::require;

namespace {

Result<acid::store::DeadLetterQuery> list_options(const char *options_json) {
  acid::store::DeadLetterQuery query;
  const std::string_view text(options_json);
  if (text.size() > 4096) return Error(Code::invalid, "options_json is too large");
  auto doc = acid::json::parse(text);
  if (!doc) return std::move(doc).error().context("options_json");
  if (!doc->IsObject()) return Error(Code::invalid, "options_json must be a JSON object");
  for (auto it = doc->MemberBegin(); it != doc->MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    if (name == "include_replayed" && it->value.IsBool()) {
      query.include_replayed = it->value.GetBool();
    } else if (name == "limit" && it->value.IsInt64() && it->value.GetInt64() >= 1 &&
               it->value.GetInt64() <= 10000) {
      query.limit = static_cast<std::size_t>(it->value.GetInt64());
    } else {
      return Error(Code::invalid, "acid_dead_letters_list: \"" + std::string(name) +
                                      "\" is unknown or out of range (include_replayed: bool, "
                                      "limit: 1..10000)");
    }
  }
  return query;
}

Status give(const std::string &text, char **out) {
  auto copy = acid::capi::dup_for_caller(text);
  if (!copy) return std::move(copy).error();
  *out = *copy;
  return Status::ok();
}

}  // namespace

extern "C" {

ACID_EXTERN int acid_dead_letters_list(acid_client *client, const char *options_json,
                                       char **list_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr && options_json != nullptr && list_json != nullptr,
                     "acid_dead_letters_list: client, options_json and list_json are required"));
    *list_json = nullptr;
    auto query = list_options(options_json);
    if (!query) return std::move(query).error();
    auto text = client->engine->dead_letters_json(*query);
    if (!text) return std::move(text).error();
    return give(*text, list_json);
  });
}

ACID_EXTERN int acid_dead_letter_replay(acid_client *client, const char *id, char **outcome_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr && id != nullptr && outcome_json != nullptr,
                     "acid_dead_letter_replay: client, id and outcome_json are required"));
    *outcome_json = nullptr;
    auto outcome = client->engine->replay_dead_letter(id);
    if (!outcome) return std::move(outcome).error();
    return give(*outcome, outcome_json);
  });
}

}  // extern "C"
