#include "store/mongo/mongo_read.h"

#include "core/json.h"

namespace acid::store::mongo {

namespace {

Error bad_field(std::string_view what, std::string_view path, const Field &f,
                std::string_view expected) {
  return Error(Code::store,
               std::string(what) + ": field " + std::string(path) + " is a " + f.type_name() +
                   ", expected " + std::string(expected),
               "{\"field\":" + json::quote(path) + ",\"type\":" + json::quote(f.type_name()) + "}");
}

// A reader over one document, naming it in its errors ("users document of auth0|x").
class Reader {
 public:
  Reader(const bson_t *doc, std::string what) : doc_(doc), what_(std::move(what)) {}

  Result<std::optional<std::string>> text(std::string_view path) const {
    const Field f = Field::find(doc_, path);
    if (f.absent()) return std::optional<std::string>();
    if (auto s = f.as_string()) return std::optional<std::string>(std::move(*s));
    return bad_field(what_, path, f, "string");
  }

  // A Date; an ISO 8601 string is accepted (field drift in the deployed data).
  Result<std::optional<UnixMillis>> time(std::string_view path) const {
    const Field f = Field::find(doc_, path);
    if (f.absent()) return std::optional<UnixMillis>();
    if (auto d = f.as_date()) return std::optional<UnixMillis>(*d);
    if (auto s = f.as_string()) {
      auto parsed = parse_timestamp(*s);
      if (!parsed) {
        return Error(Code::store, what_ + ": field " + std::string(path) +
                                      " is not an ISO 8601 time: " + parsed.error().message);
      }
      return std::optional<UnixMillis>(*parsed);
    }
    return bad_field(what_, path, f, "date or ISO 8601 string");
  }

  // An ISO 8601 string as stored; a Date is formatted as one.
  Result<std::optional<std::string>> iso(std::string_view path) const {
    const Field f = Field::find(doc_, path);
    if (f.absent()) return std::optional<std::string>();
    if (auto s = f.as_string()) return std::optional<std::string>(std::move(*s));
    if (auto d = f.as_date()) return std::optional<std::string>(format_iso8601(*d));
    return bad_field(what_, path, f, "ISO 8601 string or date");
  }

  Result<std::optional<std::int64_t>> integer(std::string_view path) const {
    const Field f = Field::find(doc_, path);
    if (f.absent()) return std::optional<std::int64_t>();
    if (auto v = f.as_int()) return std::optional<std::int64_t>(*v);
    return bad_field(what_, path, f, "integer");
  }

  // The first present of several paths (nested atproto first, then the legacy flat field).
  template <typename T, typename Fn>
  Result<std::optional<T>> first_of(std::initializer_list<std::string_view> paths, Fn fn) const {
    for (std::string_view p : paths) {
      auto v = (this->*fn)(p);
      if (!v) return std::move(v).error();
      if (*v) return v;
    }
    return std::optional<T>();
  }

  Status require_object_or_absent(std::string_view path) const {
    const Field f = Field::find(doc_, path);
    if (f.absent() || f.is_document()) return Status::ok();
    return bad_field(what_, path, f, "object");
  }

  const bson_t *doc() const { return doc_; }
  const std::string &what() const { return what_; }

 private:
  const bson_t *doc_;
  std::string what_;
};

bool has_did(const bson_t *users_doc) {
  return Field::find(users_doc, "atproto.did").type() == BSON_TYPE_UTF8 ||
         Field::find(users_doc, "atproto_did").type() == BSON_TYPE_UTF8;
}

#define ACID_READ(target, expr)                            \
  do {                                                     \
    auto acid_read_ = (expr);                              \
    if (!acid_read_) return std::move(acid_read_).error(); \
    (target) = std::move(*acid_read_);                     \
  } while (0)

}  // namespace

Result<UserRecord> read_user_record(std::string_view sub, const bson_t *users_doc) {
  if (users_doc == nullptr) return Error(Code::not_found, "no user " + std::string(sub));
  const Reader r(users_doc, "users document of " + std::string(sub));
  UserRecord user;
  user.sub = std::string(sub);
  ACID_READ(user.code, r.text("code"));
  ACID_READ(user.when, r.time("when"));
  if (!user.code && !user.when) return Error(Code::not_found, "no user " + std::string(sub));
  return user;
}

Result<AccountState> read_state(const bson_t *users_doc) {
  const Field f = Field::find(users_doc, "acid.state");
  if (f.absent()) return has_did(users_doc) ? AccountState::active : AccountState::none;
  auto text = f.as_string();
  if (!text) return bad_field("users document", "acid.state", f, "string");
  auto state = parse_account_state(*text);
  if (!state) return Error(Code::store, "unknown account state \"" + *text + "\"");
  return *state;
}

Result<std::int64_t> read_count(const bson_t *verifications_doc) {
  const Reader r(verifications_doc, "verifications document");
  std::optional<std::int64_t> count;
  ACID_READ(count, r.integer("count"));
  return count.value_or(0);
}

Result<Account> read_account(std::string_view sub, const bson_t *users_doc,
                             const bson_t *verifications_doc, const bson_t *handles_doc) {
  if (users_doc == nullptr && verifications_doc == nullptr) {
    return Error(Code::not_found, "no user " + std::string(sub));
  }
  Account a;
  a.sub = std::string(sub);
  if (verifications_doc != nullptr) {
    a.has_verifications = true;
    ACID_READ(a.verification_count, read_count(verifications_doc));
  }
  if (handles_doc != nullptr) {
    const Reader h(handles_doc, "@handles document of " + std::string(sub));
    ACID_READ(a.ac_handle, h.text("handle"));
  }
  if (users_doc == nullptr) return a;

  const Reader r(users_doc, "users document of " + std::string(sub));
  ACID_TRY(r.require_object_or_absent("atproto"));
  ACID_TRY(r.require_object_or_absent("acid"));
  ACID_READ(a.code, r.text("code"));
  ACID_READ(a.when, r.time("when"));
  ACID_READ(a.signed_up_at, r.time("acid.signedUpAt"));
  ACID_READ(a.verified_at, r.time("acid.verifiedAt"));
  ACID_READ(a.deleted_at, r.time("acid.deletedAt"));
  ACID_READ(a.email, r.text("acid.email"));
  ACID_READ(a.state, read_state(users_doc));
  std::optional<std::int64_t> number;
  ACID_READ(number, r.integer("acid.attempts"));
  a.attempts = static_cast<int>(number.value_or(0));
  std::optional<std::string> text;
  ACID_READ(text, r.text("acid.lastError"));
  a.last_error = text.value_or("");
  ACID_READ(number, r.integer("acid.version"));
  a.version = number.value_or(0);

  ACID_TRY(r.require_object_or_absent("acid.intent"));
  if (Field::find(users_doc, "acid.intent").is_document()) {
    AccountIntent intent;
    ACID_READ(text, r.text("acid.intent.handle"));
    intent.handle = text.value_or("");
    ACID_READ(text, r.text("acid.intent.password"));
    intent.sealed_password = text.value_or("");
    ACID_READ(text, r.text("acid.intent.email"));
    intent.email = text.value_or("");
    ACID_READ(number, r.integer("acid.intent.attempt"));
    intent.attempt = static_cast<int>(number.value_or(0));
    std::optional<UnixMillis> at;
    ACID_READ(at, r.time("acid.intent.at"));
    intent.at = at.value_or(0);
    a.intent = std::move(intent);
  }

  using S = std::string;
  ACID_READ(a.did, r.first_of<S>({"atproto.did", "atproto_did"}, &Reader::text));
  ACID_READ(a.pds_handle, r.first_of<S>({"atproto.handle", "atproto_handle"}, &Reader::text));
  ACID_READ(a.password, r.first_of<S>({"atproto.password", "atproto_password"}, &Reader::text));
  ACID_READ(
      a.pds_created_at,
      r.first_of<S>({"atproto.createdAt", "atproto.created", "atproto_created_at"}, &Reader::iso));
  ACID_READ(a.synced_at, r.iso("atproto.syncedAt"));
  return a;
}

Result<Job> read_job(const bson_t *job_doc) {
  const Reader r(job_doc, "acid_jobs document");
  Job job;
  std::optional<std::int64_t> number;
  ACID_READ(number, r.integer("_id"));
  if (!number) return Error(Code::store, "acid_jobs document without a numeric _id");
  job.id = *number;
  std::optional<std::string> text;
  ACID_READ(text, r.text("sub"));
  job.sub = text.value_or("");
  ACID_READ(text, r.text("kind"));
  auto kind = parse_job_kind(text.value_or(""));
  if (!kind) return Error(Code::store, "unknown job kind \"" + text.value_or("") + "\"");
  job.kind = *kind;
  ACID_READ(text, r.text("status"));
  if (text != "open" && text != "failed") {
    return Error(Code::store, "unknown job status \"" + text.value_or("") + "\"");
  }
  job.failed = text == "failed";
  std::optional<UnixMillis> time;
  ACID_READ(time, r.time("due"));
  job.due_at = time.value_or(0);
  ACID_READ(number, r.integer("attempts"));
  job.attempts = static_cast<int>(number.value_or(0));
  ACID_READ(text, r.text("leaseOwner"));
  job.lease_owner = text.value_or("");
  ACID_READ(text, r.text("leaseToken"));
  job.lease_token = text.value_or("");
  ACID_READ(time, r.time("leaseUntil"));
  job.lease_until = job.lease_owner.empty() ? 0 : time.value_or(0);
  ACID_READ(text, r.text("lastError"));
  job.last_error = text.value_or("");
  return job;
}

Result<std::optional<Owed>> read_owed(const bson_t *users_doc) {
  const Field f = Field::find(users_doc, "acid.owed");
  if (f.absent()) return std::optional<Owed>();
  if (!f.is_document()) return bad_field("users document", "acid.owed", f, "object");
  const Reader r(users_doc, "users document");
  Owed owed;
  std::optional<std::string> text;
  ACID_READ(text, r.text("acid.owed.kind"));
  owed.kind = text.value_or("");
  if (owed.kind != "provision" && owed.kind != "delete_account" && owed.kind != "cancel") {
    return Error(Code::store, "unknown owed job kind \"" + owed.kind + "\"");
  }
  std::optional<UnixMillis> time;
  ACID_READ(time, r.time("acid.owed.due"));
  owed.due = time.value_or(0);
  ACID_READ(time, r.time("acid.owed.at"));
  owed.at = time.value_or(0);
  ACID_READ(text, r.text("acid.owed.by"));
  owed.by = text.value_or("");
  return std::optional<Owed>(std::move(owed));
}

}  // namespace acid::store::mongo

#undef ACID_READ
