// The audit report as JSON (schema acidentity.audit/1, docs/audit.md).
#include <iterator>
#include <map>
#include <optional>
#include <string>

#include "audit/audit.h"
#include "core/enum_names.h"
#include "core/json.h"

namespace acid::audit {

namespace {

// text, or nothing when it is empty (no sub for an orphan, no error): written as null.
std::optional<std::string> unless_empty(const std::string &text) {
  return text.empty() ? std::nullopt : std::optional<std::string>(text);
}

void write_stats(json::Writer &w, const Report &r) {
  w.Key("stats");
  w.StartObject();
  for (auto [key, count] :
       {std::pair{"users_checked", r.users_checked}, std::pair{"auth0_users", r.auth0_users},
        std::pair{"pds_accounts", r.pds_accounts},
        std::pair{"pds_dids_checked", r.pds_dids_checked},
        std::pair{"sessions_checked", r.sessions_checked}, std::pair{"unchecked", r.unchecked}}) {
    json::member(w, key, count);
  }
  for (auto [key, seconds] :
       {std::pair{"seconds", r.seconds}, std::pair{"store_seconds", r.store_seconds},
        std::pair{"pds_seconds", r.pds_seconds}}) {
    json::member(w, key, seconds);
  }
  w.EndObject();
}

// Every kind, with how many findings it has (0 included).
void write_summary(json::Writer &w, const Report &r) {
  std::map<std::string, std::uint64_t> counts;
  for (const Finding &f : r.findings) ++counts[to_string(f.kind)];
  w.Key("summary");
  w.StartObject();
  for (int k = 0; k < kKindCount; ++k) {
    const char *name = to_string(static_cast<Kind>(k));
    json::member(w, name, counts[name]);
  }
  w.EndObject();
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
  static_assert(in_declaration_order(kNames) && std::size(kNames) == std::size_t{kKindCount});
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
  return json::object([&](json::Writer &w) {
    json::member(w, "schema", "acidentity.audit/1");
    json::member(w, "scope", r.scope);
    json::member(w, "tenant", r.tenant);
    json::member(w, "deep", r.deep);
    json::member(w, "clean", r.findings.empty());
    write_stats(w, r);
    write_summary(w, r);
    json::object_array(w, "findings", r.findings, [](json::Writer &o, const Finding &f) {
      json::member(o, "kind", to_string(f.kind));
      json::member(o, "sub", unless_empty(f.sub));
      json::member(o, "did", f.did);
      json::member(o, "evidence", f.evidence);
      json::member(o, "action", to_string(f.action));
      json::member(o, "fix", f.fix);
    });
    json::object_array(w, "service_accounts", r.service_accounts,
                       [](json::Writer &o, const ServiceAccountSeen &s) {
                         json::member(o, "sub", s.sub);
                         json::member(o, "did", s.did);
                         json::member(o, "handle", s.pds_handle);
                         json::member(o, "reason", s.reason);
                       });
    json::string_array(w, "notes", r.notes);
  });
}

std::string to_json(const Progress &progress) {
  return json::object([&](json::Writer &w) {
    json::member(w, "phase", progress.phase);
    json::member(w, "done", progress.done);
    json::member(w, "total", progress.total);
    json::member(w, "failed", progress.failed);
    json::member(w, "elapsed_s", progress.elapsed_s);
  });
}

std::string to_json(const BackfillReport &report) {
  std::map<std::string, std::uint64_t> tally;
  for (const PlannedAction &p : report.plan) ++tally[p.status];
  return json::object([&](json::Writer &w) {
    json::member(w, "schema", "acidentity.backfill/1");
    json::member(w, "dry_run", report.dry_run);
    json::raw_member(w, "audit", to_json(report.before));
    json::object_array(w, "plan", report.plan, [](json::Writer &o, const PlannedAction &p) {
      json::member(o, "action", to_string(p.action));
      json::member(o, "sub", unless_empty(p.sub));
      json::member(o, "did", p.did);
      o.Key("kinds");
      o.StartArray();
      for (Kind k : p.kinds) o.String(to_string(k));
      o.EndArray();
      json::member(o, "evidence", p.evidence);
      json::member(o, "status", p.status);
      json::member(o, "error", unless_empty(p.error));
    });
    w.Key("totals");
    w.StartObject();
    for (const char *k : {"planned", "fixed", "failed", "skipped"}) json::member(w, k, tally[k]);
    w.EndObject();
    w.Key("jobs");
    w.StartObject();
    json::member(w, "ran", report.jobs_ran);
    json::member(w, "failed", report.jobs_failed);
    w.EndObject();
    if (report.after) {
      json::raw_member(w, "after", to_json(*report.after));
    } else {
      json::member(w, "after", std::optional<std::string>());
    }
    json::member(w, "seconds", report.seconds);
  });
}

}  // namespace acid::audit
