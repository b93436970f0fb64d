// The audit report as JSON (schema acidentity.audit/1, docs/audit.md).
#include <map>

#include <optional>
#include <string>
#include "audit/audit.h"
#include "core/enum_names.h"
#include "core/json.h"

namespace acid::audit {

namespace {

// "key": value, or null when there is no value.
void member_or_null(json::Writer &w, const char *key, const std::optional<std::string> &value) {
  w.Key(key);
  if (value) {
    w.String(*value);
  } else {
    w.Null();
  }
}
// "key": text, or null when the text is empty (no sub for an orphan, no error).
void text_or_null(json::Writer &w, const char *key, const std::string &text) {
  member_or_null(w, key, text.empty() ? std::nullopt : std::optional<std::string>(text));
}

void write_service_accounts(json::Writer &w, const Report &r) {
  w.Key("service_accounts");
  w.StartArray();
  for (const ServiceAccountSeen &s : r.service_accounts) {
    w.StartObject();
    json::member(w, "sub", s.sub);
    member_or_null(w, "did", s.did);
    member_or_null(w, "handle", s.pds_handle);
    json::member(w, "reason", s.reason);
    w.EndObject();
  }
  w.EndArray();
}

void raw_object(json::Writer &w, const std::string &json_text) {
  w.RawValue(json_text.data(), json_text.size(), rapidjson::kObjectType);
}

}  // namespace

// The names of kinds and actions, as the report and the options write them.
const char *to_string(Kind kind) {
  using enum Kind;
  static constexpr EnumName<Kind> kNames[] = {{missing_verifications, "missing_verifications"},
                                              {missing_users_record, "missing_users_record"},
                                              {missing_code, "missing_code"},
                                              {invalid_code, "invalid_code"},
                                              {duplicate_code, "duplicate_code"},
                                              {verified_no_pds_account, "verified_no_pds_account"},
                                              {did_unknown_to_pds, "did_unknown_to_pds"},
                                              {pds_handle_differs, "pds_handle_differs"},
                                              {stale_handle_domain, "stale_handle_domain"},
                                              {orphan_pds_account, "orphan_pds_account"},
                                              {credentials_unusable, "credentials_unusable"},
                                              {plaintext_credentials, "plaintext_credentials"},
                                              {state_failed, "state_failed"},
                                              {state_stuck, "state_stuck"},
                                              {deleted_in_auth0_on_pds, "deleted_in_auth0_on_pds"},
                                              {ac_handle_differs, "ac_handle_differs"},
                                              {users_without_auth0, "users_without_auth0"}};
  static_assert(in_declaration_order(kNames));
  return name_of(kNames, kind, "unknown");
}

const char *to_string(Action action) {
  using enum Action;
  static constexpr EnumName<Action> kNames[] = {{manual, "manual"},
                                                {record_signup, "record_signup"},
                                                {record_verification, "record_verification"},
                                                {schedule_provision, "schedule_provision"},
                                                {retry_failed, "retry_failed"},
                                                {reprovision, "reprovision"},
                                                {resync_handle, "resync_handle"},
                                                {record_deletion, "record_deletion"},
                                                {schedule_delete, "schedule_delete"},
                                                {delete_orphan, "delete_orphan"}};
  static_assert(in_declaration_order(kNames));
  return name_of(kNames, action, "manual");
}

std::string to_json(const Report &r) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::member(w, "schema", "acidentity.audit/1");
  json::member(w, "scope", r.scope);
  json::member(w, "tenant", r.tenant);
  json::member(w, "deep", r.deep);
  json::member(w, "clean", r.findings.empty());
  w.Key("stats");
  w.StartObject();
  json::member(w, "users_checked", r.users_checked);
  json::member(w, "auth0_users", r.auth0_users);
  json::member(w, "pds_accounts", r.pds_accounts);
  json::member(w, "pds_dids_checked", r.pds_dids_checked);
  json::member(w, "sessions_checked", r.sessions_checked);
  json::member(w, "unchecked", r.unchecked);
  w.Key("seconds");
  w.Double(r.seconds);
  w.Key("store_seconds");
  w.Double(r.store_seconds);
  w.Key("pds_seconds");
  w.Double(r.pds_seconds);
  w.EndObject();
  w.Key("summary");
  w.StartObject();
  std::map<std::string, std::uint64_t> counts;
  for (int k = 0; k < kKindCount; ++k) counts[to_string(static_cast<Kind>(k))] = 0;
  for (const Finding &f : r.findings) ++counts[to_string(f.kind)];
  for (int k = 0; k < kKindCount; ++k) {
    const char *name = to_string(static_cast<Kind>(k));
    w.Key(name);
    w.Uint64(counts[name]);
  }
  w.EndObject();
  w.Key("findings");
  w.StartArray();
  for (const Finding &f : r.findings) {
    w.StartObject();
    json::member(w, "kind", to_string(f.kind));
    text_or_null(w, "sub", f.sub);
    member_or_null(w, "did", f.did);
    json::member(w, "evidence", f.evidence);
    json::member(w, "action", to_string(f.action));
    json::member(w, "fix", f.fix);
    w.EndObject();
  }
  w.EndArray();
  write_service_accounts(w, r);
  w.Key("notes");
  w.StartArray();
  for (const std::string &n : r.notes) w.String(n);
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

std::string to_json(const Progress &progress) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::member(w, "phase", progress.phase);
  json::member(w, "done", progress.done);
  json::member(w, "total", progress.total);
  json::member(w, "failed", progress.failed);
  w.Key("elapsed_s");
  w.Double(progress.elapsed_s);
  w.EndObject();
  return buf.GetString();
}

std::string to_json(const BackfillReport &report) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  std::map<std::string, std::uint64_t> tally;
  w.StartObject();
  json::member(w, "schema", "acidentity.backfill/1");
  json::member(w, "dry_run", report.dry_run);
  w.Key("audit");
  raw_object(w, to_json(report.before));
  w.Key("plan");
  w.StartArray();
  for (const PlannedAction &p : report.plan) {
    ++tally[p.status];
    w.StartObject();
    json::member(w, "action", to_string(p.action));
    text_or_null(w, "sub", p.sub);
    member_or_null(w, "did", p.did);
    w.Key("kinds");
    w.StartArray();
    for (Kind k : p.kinds) w.String(to_string(k));
    w.EndArray();
    json::member(w, "evidence", p.evidence);
    json::member(w, "status", p.status);
    text_or_null(w, "error", p.error);
    w.EndObject();
  }
  w.EndArray();
  w.Key("totals");
  w.StartObject();
  for (const char *k : {"planned", "fixed", "failed", "skipped"}) {
    w.Key(k);
    w.Uint64(tally[k]);
  }
  w.EndObject();
  w.Key("jobs");
  w.StartObject();
  json::member(w, "ran", report.jobs_ran);
  json::member(w, "failed", report.jobs_failed);
  w.EndObject();
  w.Key("after");
  if (report.after) {
    raw_object(w, to_json(*report.after));
  } else {
    w.Null();
  }
  w.Key("seconds");
  w.Double(report.seconds);
  w.EndObject();
  return buf.GetString();
}

}  // namespace acid::audit
