// Reading the deployed documents, legacy shapes included, into the port's types. Pure.
//
// users: {_id: sub, code, when (Date; an ISO string is accepted), atproto: {did, handle,
//   password, createdAt | created (ISO string or Date), syncedAt}, acid: {...}}; the legacy
//   flat atproto_did / atproto_handle / atproto_password / atproto_created_at are read for each
//   field the nested atproto lacks. Subs are stored as they are ("sotce-auth0|..." included).
// A users document without acid.state is "active" when it has a DID (the deployed system
// created the PDS account), else "none".
#pragma once

#include <optional>
#include <string_view>

#include "store/mongo/mongo_bson.h"
#include "store/mongo/mongo_commands.h"
#include "store/store.h"

namespace acid::store::mongo {

// A users document is a users record once it has a code or a signup time (documents holding
// only the library's or the PDS's fields are not). Code::not_found otherwise.
Result<UserRecord> read_user_record(std::string_view sub, const bson_t *users_doc);

// Everything known about `sub` from its users, verifications and @handles documents (each may
// be null). Code::not_found when there is neither a users nor a verifications document.
Result<Account> read_account(std::string_view sub, const bson_t *users_doc,
                             const bson_t *verifications_doc, const bson_t *handles_doc);

// The derived state of a users document (see above).
Result<AccountState> read_state(const bson_t *users_doc);

// verifications.count (int, long or integral double; missing = 0).
Result<std::int64_t> read_count(const bson_t *verifications_doc);

Result<Job> read_job(const bson_t *job_doc);

// users.acid.owed, nullopt when absent.
Result<std::optional<Owed>> read_owed(const bson_t *users_doc);

}  // namespace acid::store::mongo
