// The audit report as JSON (schema acidentity.audit/1, docs/audit.md).
#include <map>

#include "audit/audit.h"
#include "core/json.h"

namespace acid::audit {

namespace {

void write_service_accounts(json::Writer &w, const Report &r) {
  w.Key("service_accounts");
  w.StartArray();
  for (const ServiceAccountSeen &s : r.service_accounts) {
    w.StartObject();
    json::member(w, "sub", s.sub);
    w.Key("did");
    if (s.did) {
      w.String(*s.did);
    } else {
      w.Null();
    }
    w.Key("handle");
    if (s.pds_handle) {
      w.String(*s.pds_handle);
    } else {
      w.Null();
    }
    json::member(w, "reason", s.reason);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

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
    w.Key("sub");
    if (f.sub.empty()) {
      w.Null();
    } else {
      w.String(f.sub);
    }
    w.Key("did");
    if (f.did) {
      w.String(*f.did);
    } else {
      w.Null();
    }
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

}  // namespace acid::audit
