// The MongoDB adapter: users, verifications and @handles.
#include "core/json.h"
#include "store/lease_token.h"
#include "store/mongo/adapter.h"

namespace acid::store::mongo {

namespace {

// The string `field` of the document a lookup found: Code::not_found (`missing`) when it found
// none, Code::store (`malformed`) when the field is not a string.
Result<std::string> found_string(const std::optional<Doc> &document, const char *field,
                                 std::string missing, std::string malformed) {
  if (!document) return Error(Code::not_found, std::move(missing));
  if (auto value = string_field(document, field)) return *value;
  return Error(Code::store, std::move(malformed));
}

}  // namespace

Status MongoStore::insert_user(const UserRecord &user) {
  if (user.sub.empty()) return Error(Code::invalid, "a user needs a non-empty sub");
  bool claimed_now = false;
  if (user.code) {
    // The claim keeps the allocator from handing the code out while the users write runs.
    for (int attempt = 0;; ++attempt) {
      if (attempt == kRaceRetries) return contention("insert_user");
      ACID_ASSIGN_OR_RETURN(auto claim,
                            run(cmd_.insert_external_claim(*user.code, user.sub, now_unix_ms())));
      if (!claim.duplicate) {
        claimed_now = true;
        break;
      }
      ACID_ASSIGN_OR_RETURN(auto existing, run(cmd_.read_claim(*user.code)));
      if (!existing.document) continue;  // removed meanwhile by a failed insert: retry
      if (string_field(existing.document, "sub") != user.sub) return code_taken(*user.code);
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

Result<UserRecord> MongoStore::get_user(std::string_view sub) {
  ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.get_user(sub)));
  return mongo::read_user_record(sub, r.document ? r.document->get() : nullptr);
}

Result<std::string> MongoStore::find_code_owner(std::string_view code) {
  ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.find_code_owner(code)));
  return found_string(
      r.document, "_id", "no user has code " + std::string(code),
      "the users document holding code " + std::string(code) + " has a non-string _id");
}

Result<bool> MongoStore::ensure_verifications(std::string_view sub) {
  if (sub.empty()) return Error(Code::invalid, "empty sub");
  ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.ensure_verifications(sub)));
  if (r.duplicate) {
    if (r.duplicate->role != IndexRole::id) return unexpected_duplicate(*r.duplicate);
    return false;  // created concurrently by someone else
  }
  return r.upserted;
}

Result<std::int64_t> MongoStore::increment_verifications(std::string_view sub) {
  if (sub.empty()) return Error(Code::invalid, "empty sub");
  for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
    ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.increment_verifications(sub)));
    if (r.duplicate) continue;  // concurrent creation: the retry increments it
    if (!r.document) return Error(Code::store, "increment returned no document");
    return mongo::read_count(r.document->get());
  }
  return contention("increment_verifications");
}

Result<std::int64_t> MongoStore::get_verifications(std::string_view sub) {
  ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.get_verifications(sub)));
  if (!r.document) {
    return Error(Code::not_found, "no verifications record for " + std::string(sub));
  }
  return mongo::read_count(r.document->get());
}

Status MongoStore::set_handle(std::string_view sub, std::string_view handle) {
  if (sub.empty() || handle.empty()) return Error(Code::invalid, "empty sub or handle");
  if (missing_roles_.contains(IndexRole::handle)) {
    // acid_handle_ci_unique could not be built: check first (a race remains, which the
    // deployed case-sensitive handle_1 narrows to case variants; the problem is alerted).
    ACID_ASSIGN_OR_RETURN(auto held, run(cmd_.handle_held_by_other(sub, handle)));
    if (held.document) {
      return Error(Code::conflict, "handle " + std::string(handle) + " is taken",
                   "{\"index\":\"handle\",\"name\":\"(checked: acid_handle_ci_unique is "
                   "missing)\"}");
    }
  }
  for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
    ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.set_handle(sub, handle, now_unix_ms())));
    if (!r.duplicate) return Status::ok();
    if (r.duplicate->role == IndexRole::id) continue;  // concurrent creation: retry
    // Any unique index on @handles.handle (the library's case-insensitive one, or the
    // deployed case-sensitive handle_1) means someone else holds it.
    return Error(Code::conflict, "handle " + std::string(handle) + " is taken",
                 json::object([&](json::Writer &w) {
                   json::member(w, "index", "handle");
                   json::member(w, "name", r.duplicate->index);
                 }));
  }
  return contention("set_handle");
}

Result<std::string> MongoStore::get_handle(std::string_view sub) {
  ACID_ASSIGN_OR_RETURN(auto r, run(cmd_.get_handle(sub)));
  return found_string(r.document, "handle", "no handle for " + std::string(sub),
                      "the @handles document of " + std::string(sub) + " has no string handle");
}

}  // namespace acid::store::mongo
