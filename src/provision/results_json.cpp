// The engine's operator results as JSON: one writer per type (provision/results.h).
#include "provision/results.h"

#include "core/json.h"
#include "core/seal.h"
#include "core/time.h"

namespace acid::provision {

std::string to_json(const JobRunSummary &summary) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  for (auto [key, value] :
       {std::pair{"ran", summary.ran}, std::pair{"done", summary.done},
        std::pair{"retried", summary.retried}, std::pair{"failed", summary.failed},
        std::pair{"superseded", summary.superseded}}) {
    w.Key(key);
    w.Int(value);
  }
  json::member(w, "remaining_due", summary.remaining_due);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string to_json(const UserView &user) {
  const store::Account &a = user.account;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  auto opt_string = [&](const char *key, const std::optional<std::string> &v) {
    w.Key(key);
    if (v) {
      w.String(*v);
    } else {
      w.Null();
    }
  };
  auto opt_time = [&](const char *key, const std::optional<UnixMillis> &v) {
    w.Key(key);
    if (v) {
      w.String(format_iso8601(*v));
    } else {
      w.Null();
    }
  };
  w.StartObject();
  json::member(w, "sub", a.sub);
  opt_string("code", a.code);
  opt_time("when", a.when);
  w.Key("verifications");
  if (a.has_verifications) {
    w.Int64(a.verification_count);
  } else {
    w.Null();
  }
  json::member(w, "email_verified", a.verified_at.has_value());
  opt_time("signed_up_at", a.signed_up_at);
  opt_time("verified_at", a.verified_at);
  opt_time("deleted_at", a.deleted_at);
  opt_string("handle", a.ac_handle);
  json::member(w, "state", to_string(a.state));
  opt_string("did", a.did);
  opt_string("pds_handle", a.pds_handle);
  opt_string("pds_created_at", a.pds_created_at);
  w.Key("credentials");
  if (!a.password) {
    w.Null();
  } else {
    w.String(seal::is_sealed(*a.password) ? "sealed" : "plaintext");
  }
  json::member(w, "attempts", a.attempts);
  w.Key("last_error");
  if (a.last_error.empty()) {
    w.Null();
  } else {
    w.RawValue(a.last_error.data(), a.last_error.size(), rapidjson::kObjectType);
  }
  w.Key("jobs");
  w.StartArray();
  for (const auto &j : user.jobs) {
    w.StartObject();
    json::member(w, "kind", to_string(j.kind));
    json::member(w, "status", j.failed ? "failed" : "open");
    json::member(w, "attempts", j.attempts);
    json::member(w, "due", format_iso8601(j.due_at));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string to_json(const PdsDescription &pds) {
  const pds::ServerDescription &desc = pds.server;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::member(w, "url", pds.url);
  json::member(w, "did", desc.did);
  w.Key("availableUserDomains");
  w.StartArray();
  for (const auto &d : desc.available_user_domains) w.String(d);
  w.EndArray();
  json::member(w, "inviteCodeRequired", desc.invite_code_required);
  json::member(w, "phoneVerificationRequired", desc.phone_verification_required);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace acid::provision
