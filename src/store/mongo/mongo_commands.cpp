#include "store/mongo/mongo_commands.h"

#include "core/enum_names.h"
#include "store/mongo/mongo_transitions.h"

namespace acid::store::mongo {

namespace {

// A BSON date for "no lease": every job carries leaseUntil, so one index range finds free ones.
constexpr UnixMillis kNoLease = 0;

Doc by_id(std::string_view id) {
  return Doc().str("_id", id);
}

Doc owed_doc(const Owed &owed) {
  return Doc().str("kind", owed.kind).date("due", owed.due).date("at", owed.at).str("by", owed.by);
}

Doc push_log_id(std::string_view log_id) {
  return Doc().doc("acid.applied",
                   Doc().arr("$each", Arr().str(log_id)).i32("$slice", -kAppliedLogIds));
}

Doc inc_version() {
  return Doc().i64("acid.version", 1);
}

// The state a transition table decision writes, if it changes it.
Doc &set_state(Doc &set, const provision::AccountDecision &decision) {
  if (decision.new_state) set.str("acid.state", store::to_string(*decision.new_state));
  return set;
}

// `filter` (the _id and any other guard) and the condition of the group's cells.
Doc guarded(Doc filter, const provision::DecisionGroup &group,
            std::optional<std::string_view> did = std::nullopt) {
  append_cells_condition(filter, group.cells, did);
  return filter;
}

}  // namespace

std::string year_prefix(int yy) {
  std::string p = "ac";
  p.push_back(static_cast<char>('0' + yy / 10));
  p.push_back(static_cast<char>('0' + yy % 10));
  return p;
}

const char *to_string(Op::Kind kind) {
  using enum Op::Kind;
  static constexpr EnumName<Op::Kind> kNames[] = {{find_one, "find_one"},
                                                  {find, "find"},
                                                  {count, "count"},
                                                  {insert_one, "insert_one"},
                                                  {update_one, "update_one"},
                                                  {delete_one, "delete_one"},
                                                  {delete_many, "delete_many"},
                                                  {find_and_modify, "find_and_modify"}};
  static_assert(in_declaration_order(kNames));
  return name_of(kNames, kind, "unknown");
}

std::string Op::to_json() const {
  Doc d;
  d.str("op", mongo::to_string(kind)).str("collection", collection).doc("filter", filter);
  if (kind == Kind::update_one || kind == Kind::find_and_modify) d.doc("update", update);
  d.doc("options", options);
  return d.canonical_json();
}

Doc Commands::write_concern() const {
  Doc wc;
  wc.str("w", "majority");
  if (wtimeout_ms_ > 0) wc.i64("wtimeout", wtimeout_ms_);
  return wc;
}

Doc Commands::read_concern() {
  return Doc().str("level", "majority");
}

Op Commands::write(Op::Kind kind, std::string_view collection, Doc filter, Doc update,
                   Doc options) const {
  options.doc("writeConcern", write_concern());
  return Op{kind, std::string(collection), std::move(filter), std::move(update),
            std::move(options)};
}

Op Commands::read(Op::Kind kind, std::string_view collection, Doc filter, Doc options) const {
  if (kind == Op::Kind::find_one) options.i64("limit", 1);
  options.doc("readConcern", read_concern());
  return Op{kind, std::string(collection), std::move(filter), Doc(), std::move(options)};
}

Op Commands::fam(std::string_view collection, Doc query, Doc update, bool upsert, bool return_new,
                 const Doc &fields, const Doc &sort) const {
  Doc options;
  if (!sort.empty()) options.doc("sort", sort);
  if (!fields.empty()) options.doc("fields", fields);
  options.boolean("upsert", upsert).boolean("new", return_new);
  return write(Op::Kind::find_and_modify, collection, std::move(query), std::move(update),
               std::move(options));
}

// ---- secrets ----------------------------------------------------------------------------------

Op Commands::get_or_put_secret(std::string_view name, std::string_view value,
                               UnixMillis now) const {
  return fam(kMeta, by_id("secret/" + std::string(name)),
             Doc().doc("$setOnInsert", Doc().str("value", value).date("createdAt", now)), true,
             true, Doc().i32("value", 1));
}

// ---- codes ------------------------------------------------------------------------------------

Op Commands::counter_step(int yy, std::uint32_t capacity, std::uint32_t skipped) const {
  return fam(
      kCounters,
      Doc().i32("_id", yy).doc("next", Doc().i64("$lt", static_cast<std::int64_t>(capacity))),
      Doc().doc("$inc", Doc().i64("next", 1).i64("skipped", skipped)), true, true,
      Doc().i32("next", 1).i32("skipped", 1));
}

Op Commands::read_counter(int yy) const {
  return read(Op::Kind::find_one, kCounters, Doc().i32("_id", yy),
              Doc().doc("projection", Doc().i32("next", 1).i32("skipped", 1)));
}

Op Commands::add_skipped(int yy, std::uint32_t skipped) const {
  return write(Op::Kind::update_one, kCounters, Doc().i32("_id", yy),
               Doc().doc("$inc", Doc().i64("skipped", skipped)));
}

Op Commands::code_in_users(std::string_view code) const {
  return read(Op::Kind::find_one, kUsers, Doc().str("code", code),
              Doc().doc("projection", Doc().i32("_id", 1)));
}

Op Commands::insert_allocated_claim(std::string_view code, int yy, std::uint32_t position,
                                    std::string_view sub, UnixMillis now) const {
  Doc claim;
  claim.str("_id", code).i32("yy", yy).i64("position", position);
  if (!sub.empty()) claim.str("sub", sub);
  claim.date("at", now);
  return write(Op::Kind::insert_one, kClaims, std::move(claim));
}

Op Commands::list_counters(std::optional<int> yy) const {
  Doc filter;
  if (yy) filter.i32("_id", *yy);
  return read(Op::Kind::find, kCounters, std::move(filter), Doc().doc("sort", Doc().i32("_id", 1)));
}

Op Commands::count_allocated(int yy) const {
  return read(Op::Kind::count, kClaims, Doc().i32("yy", yy));
}

Op Commands::year_codes_in_users(int yy) const {
  const std::string prefix = year_prefix(yy);
  // Every code of the year sorts in ["acYY", "acYY{"): '{' follows 'z'.
  return read(Op::Kind::find, kUsers,
              Doc().doc("code", Doc().str("$gte", prefix).str("$lt", prefix + "{")),
              Doc()
                  .doc("projection", Doc().i32("code", 1).i32("_id", 0))
                  .doc("sort", Doc().i32("code", 1)));
}

Op Commands::allocated_claims_of_year(int yy) const {
  return read(Op::Kind::find, kClaims, Doc().i32("yy", yy),
              Doc().doc("projection", Doc().i32("_id", 1)));
}

// ---- users ------------------------------------------------------------------------------------

Op Commands::insert_external_claim(std::string_view code, std::string_view sub,
                                   UnixMillis now) const {
  return write(Op::Kind::insert_one, kClaims,
               Doc().str("_id", code).str("sub", sub).date("at", now));
}

Op Commands::read_claim(std::string_view code) const {
  return read(Op::Kind::find_one, kClaims, by_id(code),
              Doc().doc("projection", Doc().i32("sub", 1).i32("yy", 1)));
}

Op Commands::delete_external_claim(std::string_view code, std::string_view sub) const {
  return write(Op::Kind::delete_one, kClaims,
               by_id(code).str("sub", sub).doc("yy", Doc().boolean("$exists", false)));
}

Op Commands::insert_user(const UserRecord &user) const {
  if (!user.code && !user.when) {
    return write(Op::Kind::insert_one, kUsers, by_id(user.sub));
  }
  // A document holding only the library's or the PDS's fields is not a users record yet: the
  // record is "present" once it has a code or a signup time.
  Doc set;
  if (user.code) set.str("code", *user.code);
  if (user.when) set.date("when", *user.when);
  return write(Op::Kind::update_one, kUsers,
               by_id(user.sub)
                   .doc("code", Doc().boolean("$exists", false))
                   .doc("when", Doc().boolean("$exists", false)),
               Doc().doc("$set", set), Doc().boolean("upsert", true));
}

Op Commands::get_user(std::string_view sub) const {
  return read(Op::Kind::find_one, kUsers, by_id(sub),
              Doc().doc("projection", Doc().i32("code", 1).i32("when", 1)));
}

Op Commands::find_code_owner(std::string_view code) const {
  return read(Op::Kind::find_one, kUsers, Doc().str("code", code),
              Doc().doc("projection", Doc().i32("_id", 1)));
}

// ---- verifications / handles ------------------------------------------------------------------

Op Commands::ensure_verifications(std::string_view sub) const {
  return write(Op::Kind::update_one, kVerifications, by_id(sub),
               Doc().doc("$setOnInsert", Doc().i32("count", 0)), Doc().boolean("upsert", true));
}

Op Commands::increment_verifications(std::string_view sub) const {
  return fam(kVerifications, by_id(sub), Doc().doc("$inc", Doc().i32("count", 1)), true, true,
             Doc().i32("count", 1));
}

Op Commands::get_verifications(std::string_view sub) const {
  return read(Op::Kind::find_one, kVerifications, by_id(sub),
              Doc().doc("projection", Doc().i32("count", 1)));
}

Op Commands::set_handle(std::string_view sub, std::string_view handle, UnixMillis now) const {
  // createdAt / updatedAt as the deployed handle.mjs writes them (Dates).
  return write(Op::Kind::update_one, kHandles, by_id(sub),
               Doc()
                   .doc("$set", Doc().str("handle", handle).date("updatedAt", now))
                   .doc("$setOnInsert", Doc().date("createdAt", now)),
               Doc().boolean("upsert", true));
}

Doc handle_collation() {
  return Doc().str("locale", "en").i32("strength", 2);
}

Op Commands::handle_held_by_other(std::string_view sub, std::string_view handle) const {
  return read(Op::Kind::find_one, kHandles,
              Doc().str("handle", handle).doc("_id", Doc().str("$ne", sub)),
              Doc().doc("projection", Doc().i32("_id", 1)).doc("collation", handle_collation()));
}

Op Commands::did_held_by_other(std::string_view sub, std::string_view did) const {
  return read(Op::Kind::find_one, kUsers,
              Doc().str("atproto.did", did).doc("_id", Doc().str("$ne", sub)),
              Doc().doc("projection", Doc().i32("_id", 1)));
}

Op Commands::get_handle(std::string_view sub) const {
  return read(Op::Kind::find_one, kHandles, by_id(sub),
              Doc().doc("projection", Doc().i32("handle", 1)));
}

// ---- apply_event ------------------------------------------------------------------------------

Op Commands::event_seen(std::string_view log_id) const {
  return read(Op::Kind::find_one, kEvents, by_id(log_id),
              Doc().doc("projection", Doc().i32("_id", 1)));
}

Op Commands::read_code_and_when(std::string_view sub) const {
  return get_user(sub);
}

Op Commands::set_code(std::string_view sub, std::string_view code, UnixMillis when) const {
  return write(
      Op::Kind::update_one, kUsers, by_id(sub).doc("code", Doc().boolean("$exists", false)),
      Doc().doc("$set", Doc().str("code", code)).doc("$setOnInsert", Doc().date("when", when)),
      Doc().boolean("upsert", true));
}

Op Commands::set_when_if_missing(std::string_view sub, UnixMillis when) const {
  return write(Op::Kind::update_one, kUsers,
               by_id(sub).doc("when", Doc().boolean("$exists", false)),
               Doc().doc("$set", Doc().date("when", when)));
}

Op Commands::verified_increment(std::string_view sub, std::string_view log_id) const {
  return write(Op::Kind::update_one, kVerifications,
               by_id(sub).doc("acid.applied", Doc().str("$ne", log_id)),
               Doc().doc("$inc", Doc().i32("count", 1)).doc("$push", push_log_id(log_id)),
               Doc().boolean("upsert", true));
}

Op Commands::verifications_applied(std::string_view sub, std::string_view log_id) const {
  return read(Op::Kind::find_one, kVerifications, by_id(sub).str("acid.applied", log_id),
              Doc().doc("projection", Doc().i32("_id", 1)));
}

Op Commands::record_facts(const EventFact &event, UnixMillis now) const {
  Doc update;
  switch (event.type) {
    case EventType::signup:
      update.doc("$min", Doc().date("acid.signedUpAt", event.date));
      break;
    case EventType::verified:
      update.doc("$min", Doc().date("acid.verifiedAt", event.date));
      break;
    case EventType::deleted:
      update.doc("$min", Doc().date("acid.deletedAt", event.date));
      break;
    case EventType::email_changed:
      break;
  }
  Doc set;
  if (event.email) set.str("acid.email", *event.email);
  set.date("acid.updatedAt", now);
  update.doc("$set", set).doc("$inc", inc_version()).doc("$push", push_log_id(event.log_id));
  return write(Op::Kind::update_one, kUsers,
               by_id(event.sub).doc("acid.applied", Doc().str("$ne", event.log_id)),
               std::move(update), Doc().boolean("upsert", true));
}

Op Commands::account_applied(std::string_view sub, std::string_view log_id) const {
  return read(Op::Kind::find_one, kUsers, by_id(sub).str("acid.applied", log_id),
              Doc().doc("projection", Doc().i32("_id", 1)));
}

Op Commands::transition(std::string_view sub, const provision::DecisionGroup &group,
                        const Owed *owed, UnixMillis now) const {
  Doc set;
  set_state(set, group.decision);
  if (owed != nullptr) set.doc("acid.owed", owed_doc(*owed));
  set.date("acid.updatedAt", now);
  return write(Op::Kind::update_one, kUsers, guarded(by_id(sub), group),
               Doc().doc("$set", set).doc("$inc", inc_version()));
}

Op Commands::read_state(std::string_view sub) const {
  return read(Op::Kind::find_one, kUsers, by_id(sub),
              Doc().doc("projection", Doc()
                                          .i32("acid.state", 1)
                                          .i32("acid.intent", 1)
                                          .i32("acid.deletedAt", 1)
                                          .i32("atproto.did", 1)
                                          .i32("atproto_did", 1)));
}

Op Commands::record_event(const EventFact &event, UnixMillis now) const {
  return write(Op::Kind::insert_one, kEvents,
               by_id(event.log_id)
                   .str("sub", event.sub)
                   .str("type", store::to_string(event.type))
                   .date("at", now));
}

// ---- owed jobs --------------------------------------------------------------------------------

Op Commands::read_owed(std::string_view sub) const {
  return read(Op::Kind::find_one, kUsers, by_id(sub),
              Doc().doc("projection", Doc().i32("acid.owed", 1)));
}

Op Commands::drop_open_jobs_except_delete(std::string_view sub) const {
  return write(Op::Kind::delete_many, kJobs,
               Doc()
                   .str("sub", sub)
                   .str("status", "open")
                   .doc("kind", Doc().str("$ne", to_string(JobKind::delete_account))));
}

Op Commands::clear_owed(std::string_view sub, const Owed &owed) const {
  return write(Op::Kind::update_one, kUsers,
               by_id(sub)
                   .str("acid.owed.kind", owed.kind)
                   .date("acid.owed.at", owed.at)
                   .str("acid.owed.by", owed.by),
               Doc().doc("$unset", Doc().str("acid.owed", "")));
}

Op Commands::stale_owed(UnixMillis written_before, std::int32_t limit) const {
  return read(Op::Kind::find, kUsers, Doc().doc("acid.owed.at", Doc().date("$lte", written_before)),
              Doc()
                  .doc("projection", Doc().i32("acid.owed", 1))
                  .doc("sort", Doc().i32("acid.owed.at", 1))
                  .i32("limit", limit));
}

// ---- account ----------------------------------------------------------------------------------

Op Commands::get_account_user(std::string_view sub) const {
  return read(Op::Kind::find_one, kUsers, by_id(sub),
              Doc().doc("projection", Doc().i32("acid.applied", 0)));
}

Op Commands::get_account_verifications(std::string_view sub) const {
  return get_verifications(sub);
}

Op Commands::save_intent(std::string_view sub, const AccountIntent &intent,
                         std::int64_t expected_version) const {
  const provision::DecisionGroup group = single_group(provision::AccountEvent::intent_saved);
  Doc set;
  set.doc("acid.intent", Doc()
                             .str("handle", intent.handle)
                             .str("password", intent.sealed_password)
                             .str("email", intent.email)
                             .i32("attempt", intent.attempt)
                             .date("at", intent.at));
  set_state(set, group.decision).date("acid.updatedAt", intent.at);
  return write(Op::Kind::update_one, kUsers,
               guarded(by_id(sub).i64("acid.version", expected_version), group),
               Doc().doc("$set", set).doc("$inc", inc_version()));
}

Op Commands::mark_account_created(std::string_view sub, std::string_view did,
                                  std::string_view pds_handle, std::string_view password,
                                  std::string_view created_at_iso, UnixMillis now,
                                  const provision::DecisionGroup &group, const Owed *owed) const {
  // Deleted while createAccount was in flight: the account is recorded (so nothing is
  // orphaned) and the table's state owes a delete job.
  Doc set;
  // The whole sub-document, as the deployed createAtprotoAccount writes it (this also works
  // where a legacy document holds atproto: null).
  set.doc("atproto", Doc()
                         .str("did", did)
                         .str("handle", pds_handle)
                         .str("password", password)
                         .str("createdAt", created_at_iso)
                         .str("syncedAt", created_at_iso));
  set_state(set, group.decision);
  if (owed != nullptr) set.doc("acid.owed", owed_doc(*owed));
  set.str("acid.lastError", "").date("acid.updatedAt", now);
  return write(Op::Kind::update_one, kUsers, guarded(by_id(sub), group),
               Doc()
                   .doc("$set", set)
                   .doc("$unset", Doc().str("acid.intent", ""))
                   .doc("$inc", inc_version()));
}

Op Commands::record_attempt_failure(std::string_view sub, int attempts, std::string_view error_json,
                                    bool give_up, UnixMillis now) const {
  // The table keeps a stale worker's failure away from an account that exists on the PDS or is
  // being deleted.
  const provision::DecisionGroup group = single_group(
      give_up ? provision::AccountEvent::gave_up : provision::AccountEvent::attempt_failed);
  Doc set;
  set.i32("acid.attempts", attempts).str("acid.lastError", error_json);
  set_state(set, group.decision).date("acid.updatedAt", now);
  return write(Op::Kind::update_one, kUsers, guarded(by_id(sub), group),
               Doc().doc("$set", set).doc("$inc", inc_version()));
}

Op Commands::adopt_existing_account(std::string_view sub, std::string_view did,
                                    std::int64_t expected_version, UnixMillis now) const {
  // The DID may sit in the nested field or the legacy flat one; either is adopted as it is.
  const provision::DecisionGroup group = single_group(provision::AccountEvent::adopted_did);
  Doc set;
  set_state(set, group.decision).str("acid.lastError", "").date("acid.updatedAt", now);
  return write(Op::Kind::update_one, kUsers,
               guarded(by_id(sub).i64("acid.version", expected_version), group, did),
               Doc()
                   .doc("$set", set)
                   .doc("$unset", Doc().str("acid.intent", ""))
                   .doc("$inc", inc_version()));
}

Op Commands::reset_failed(std::string_view sub, const provision::DecisionGroup &group,
                          const Owed &owed, UnixMillis now) const {
  Doc set;
  set_state(set, group.decision)
      .i32("acid.attempts", 0)
      .doc("acid.owed", owed_doc(owed))
      .date("acid.updatedAt", now);
  return write(Op::Kind::update_one, kUsers, guarded(by_id(sub), group),
               Doc().doc("$set", set).doc("$inc", inc_version()));
}

Op Commands::mark_account_deleted(std::string_view sub, UnixMillis now) const {
  const provision::DecisionGroup group = single_group(provision::AccountEvent::deleted_on_pds);
  Doc set;
  set_state(set, group.decision).str("acid.lastError", "").date("acid.updatedAt", now);
  return write(Op::Kind::update_one, kUsers, guarded(by_id(sub), group),
               Doc()
                   .doc("$set", set)
                   .doc("$unset", Doc()
                                      .str("atproto", "")
                                      .str("atproto_did", "")
                                      .str("atproto_handle", "")
                                      .str("atproto_password", "")
                                      .str("atproto_created_at", "")
                                      .str("acid.intent", ""))
                   .doc("$inc", inc_version()));
}

Op Commands::set_pds_handle(std::string_view sub, std::string_view pds_handle,
                            std::string_view synced_at_iso, UnixMillis now) const {
  // Where the table allows it (an active account, a legacy document with a DID included).
  const provision::DecisionGroup group = single_group(provision::AccountEvent::pds_handle_set);
  return write(Op::Kind::update_one, kUsers, guarded(by_id(sub), group),
               Doc()
                   .doc("$set", Doc()
                                    .str("atproto.handle", pds_handle)
                                    .str("atproto.syncedAt", synced_at_iso)
                                    .date("acid.updatedAt", now))
                   .doc("$inc", inc_version()));
}

Op Commands::replace_password_nested(std::string_view sub, std::string_view expected,
                                     std::string_view replacement, UnixMillis now) const {
  return write(
      Op::Kind::update_one, kUsers, by_id(sub).str("atproto.password", expected),
      Doc()
          .doc("$set", Doc().str("atproto.password", replacement).date("acid.updatedAt", now))
          .doc("$inc", inc_version()));
}

Op Commands::replace_password_flat(std::string_view sub, std::string_view expected,
                                   std::string_view replacement, UnixMillis now) const {
  return write(
      Op::Kind::update_one, kUsers,
      by_id(sub)
          .doc("atproto.password", Doc().boolean("$exists", false))
          .str("atproto_password", expected),
      Doc()
          .doc("$set", Doc().str("atproto_password", replacement).date("acid.updatedAt", now))
          .doc("$inc", inc_version()));
}

// ---- jobs -------------------------------------------------------------------------------------

Op Commands::move_open_job_earlier(std::string_view sub, JobKind kind, UnixMillis due) const {
  return write(Op::Kind::update_one, kJobs,
               Doc().str("sub", sub).str("kind", to_string(kind)).str("status", "open"),
               // rerun: asked for again; if it is running now, complete_job keeps it open.
               Doc().doc("$min", Doc().date("due", due)).doc("$set", Doc().boolean("rerun", true)));
}

Op Commands::next_job_id() const {
  return fam(kMeta, by_id("seq/jobs"), Doc().doc("$inc", Doc().i64("n", 1)), true, true,
             Doc().i32("n", 1));
}

Op Commands::insert_job(std::int64_t id, std::string_view sub, JobKind kind, UnixMillis due,
                        UnixMillis now) const {
  return write(Op::Kind::insert_one, kJobs,
               Doc()
                   .i64("_id", id)
                   .str("sub", sub)
                   .str("kind", to_string(kind))
                   .str("status", "open")
                   .date("due", due)
                   .i32("attempts", 0)
                   .date("leaseUntil", kNoLease)
                   .str("lastError", "")
                   .date("createdAt", now));
}

Op Commands::lease_job(std::string_view owner, std::string_view token, UnixMillis now,
                       std::int64_t lease_ms) const {
  return fam(kJobs,
             Doc()
                 .str("status", "open")
                 .doc("due", Doc().date("$lte", now))
                 .doc("leaseUntil", Doc().date("$lte", now)),
             Doc()
                 .doc("$set", Doc()
                                  .str("leaseOwner", owner)
                                  .str("leaseToken", token)
                                  .date("leaseUntil", now + lease_ms))
                 .doc("$unset", Doc().str("rerun", "")),
             false, true, Doc(), Doc().i32("due", 1).i32("_id", 1));
}

Op Commands::renew_lease(std::int64_t id, std::string_view token, UnixMillis until) const {
  return write(Op::Kind::update_one, kJobs,
               Doc().i64("_id", id).str("leaseToken", token).str("status", "open"),
               Doc().doc("$set", Doc().date("leaseUntil", until)));
}

Op Commands::complete_job(std::int64_t id, std::string_view token) const {
  return write(
      Op::Kind::delete_one, kJobs,
      Doc().i64("_id", id).str("leaseToken", token).doc("rerun", Doc().boolean("$ne", true)));
}

Op Commands::requeue_job(std::int64_t id, std::string_view token) const {
  return write(
      Op::Kind::update_one, kJobs, Doc().i64("_id", id).str("leaseToken", token),
      Doc()
          .doc("$set", Doc().date("leaseUntil", kNoLease))
          .doc("$unset", Doc().str("leaseOwner", "").str("leaseToken", "").str("rerun", "")));
}

Op Commands::reschedule_job(std::int64_t id, std::string_view token, UnixMillis due,
                            std::string_view error_json) const {
  return write(
      Op::Kind::update_one, kJobs, Doc().i64("_id", id).str("leaseToken", token),
      Doc()
          .doc("$set",
               Doc().date("due", due).str("lastError", error_json).date("leaseUntil", kNoLease))
          .doc("$inc", Doc().i32("attempts", 1))
          .doc("$unset", Doc().str("leaseOwner", "").str("leaseToken", "")));
}

Op Commands::fail_job(std::int64_t id, std::string_view token, std::string_view error_json) const {
  return write(
      Op::Kind::update_one, kJobs,
      Doc().i64("_id", id).str("leaseToken", token).doc("rerun", Doc().boolean("$ne", true)),
      Doc()
          .doc("$set", Doc()
                           .str("status", "failed")
                           .str("lastError", error_json)
                           .date("leaseUntil", kNoLease))
          .doc("$inc", Doc().i32("attempts", 1))
          .doc("$unset", Doc().str("leaseOwner", "").str("leaseToken", "")));
}

Op Commands::fail_job_keep_rerun(std::int64_t id, std::string_view token,
                                 std::string_view error_json) const {
  return write(
      Op::Kind::update_one, kJobs,
      Doc().i64("_id", id).str("leaseToken", token).boolean("rerun", true),
      Doc()
          .doc("$set",
               Doc().i32("attempts", 0).str("lastError", error_json).date("leaseUntil", kNoLease))
          .doc("$unset", Doc().str("leaseOwner", "").str("leaseToken", "").str("rerun", "")));
}

Op Commands::release_job(std::int64_t id, std::string_view token) const {
  return write(Op::Kind::update_one, kJobs, Doc().i64("_id", id).str("leaseToken", token),
               Doc()
                   .doc("$set", Doc().date("leaseUntil", kNoLease))
                   .doc("$unset", Doc().str("leaseOwner", "").str("leaseToken", "")));
}

Op Commands::list_jobs(std::string_view sub) const {
  Doc filter;
  if (!sub.empty()) filter.str("sub", sub);
  return read(Op::Kind::find, kJobs, std::move(filter), Doc().doc("sort", Doc().i32("_id", 1)));
}

}  // namespace acid::store::mongo
