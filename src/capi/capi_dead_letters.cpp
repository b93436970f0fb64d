// The C ABI of the dead letters: acid_dead_letters_list, acid_dead_letter_replay.
#include "acidentity/acidentity.h"
#include "capi/client.h"
#include "capi/guard.h"
#include "core/json.h"

using acid::Code;
using acid::Error;
using acid::Result;
using acid::capi::answer;

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

}  // namespace

extern "C" {

ACID_EXTERN int acid_dead_letters_list(acid_client *client, const char *options_json,
                                       char **list_json) {
  return answer(__func__, client != nullptr && options_json != nullptr && list_json != nullptr,
                "acid_dead_letters_list: client, options_json and list_json are required",
                list_json, [&]() -> Result<std::string> {
                  ACID_ASSIGN_OR_RETURN(auto query, list_options(options_json));
                  return client->engine->dead_letters_json(query);
                });
}

ACID_EXTERN int acid_dead_letter_replay(acid_client *client, const char *id, char **outcome_json) {
  return answer(__func__, client != nullptr && id != nullptr && outcome_json != nullptr,
                "acid_dead_letter_replay: client, id and outcome_json are required", outcome_json,
                [&] { return client->engine->replay_dead_letter(id); });
}

}  // extern "C"
