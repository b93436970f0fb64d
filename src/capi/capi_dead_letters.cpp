// The C ABI of the dead letters: acid_dead_letters_list, acid_dead_letter_replay.
#include "acidentity/acidentity.h"
#include "capi/client.h"
#include "capi/guard.h"
#include "store/dead_letters.h"

using acid::Result;
using acid::capi::answer;

extern "C" {

ACID_EXTERN int acid_dead_letters_list(acid_client *client, const char *options_json,
                                       char **list_json) {
  return answer(__func__, client != nullptr && options_json != nullptr && list_json != nullptr,
                "acid_dead_letters_list: client, options_json and list_json are required",
                list_json, [&]() -> Result<std::string> {
                  ACID_ASSIGN_OR_RETURN(auto query,
                                        acid::store::parse_dead_letter_query(options_json));
                  return client->engine->dead_letters_json(query);
                });
}

ACID_EXTERN int acid_dead_letter_replay(acid_client *client, const char *id, char **outcome_json) {
  return answer(__func__, client != nullptr && id != nullptr && outcome_json != nullptr,
                "acid_dead_letter_replay: client, id and outcome_json are required", outcome_json,
                [&] { return client->engine->replay_dead_letter(id); });
}

}  // extern "C"
