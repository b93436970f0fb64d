// The engine's operator results as JSON: one writer per type (provision/results.h).
#include "provision/results.h"

#include "core/json.h"
#include "core/seal.h"
#include "core/time.h"

namespace acid::provision {

namespace {

std::optional<std::string> iso8601(const std::optional<UnixMillis> &when) {
  if (!when) return std::nullopt;
  return format_iso8601(*when);
}

void write_account(json::Writer &w, const store::Account &a) {
  json::member(w, "sub", a.sub);
  json::member(w, "code", a.code);
  json::member(w, "when", iso8601(a.when));
  json::member(w, "verifications",
               a.has_verifications ? std::optional(a.verification_count) : std::nullopt);
  json::member(w, "email_verified", a.verified_at.has_value());
  json::member(w, "signed_up_at", iso8601(a.signed_up_at));
  json::member(w, "verified_at", iso8601(a.verified_at));
  json::member(w, "deleted_at", iso8601(a.deleted_at));
  json::member(w, "handle", a.ac_handle);
  json::member(w, "state", to_string(a.state));
  json::member(w, "did", a.did);
  json::member(w, "pds_handle", a.pds_handle);
  json::member(w, "pds_created_at", a.pds_created_at);
  json::member(
      w, "credentials",
      a.password ? std::optional<std::string>(seal::is_sealed(*a.password) ? "sealed" : "plaintext")
                 : std::nullopt);
  json::member(w, "attempts", a.attempts);
  if (a.last_error.empty()) {
    json::member(w, "last_error", std::optional<std::string>());
  } else {
    json::raw_member(w, "last_error", a.last_error);
  }
}

}  // namespace

std::string to_json(const JobRunSummary &summary) {
  return json::object([&](json::Writer &w) {
    for (auto [key, value] :
         {std::pair{"ran", summary.ran}, std::pair{"done", summary.done},
          std::pair{"retried", summary.retried}, std::pair{"failed", summary.failed},
          std::pair{"superseded", summary.superseded}}) {
      json::member(w, key, value);
    }
    json::member(w, "remaining_due", summary.remaining_due);
  });
}

std::string to_json(const UserView &user) {
  return json::object([&](json::Writer &w) {
    write_account(w, user.account);
    json::object_array(w, "jobs", user.jobs, [](json::Writer &o, const store::Job &j) {
      json::member(o, "kind", to_string(j.kind));
      json::member(o, "status", j.failed ? "failed" : "open");
      json::member(o, "attempts", j.attempts);
      json::member(o, "due", format_iso8601(j.due_at));
    });
  });
}

std::string to_json(const PdsDescription &pds) {
  const pds::ServerDescription &desc = pds.server;
  return json::object([&](json::Writer &w) {
    json::member(w, "url", pds.url);
    json::member(w, "did", desc.did);
    json::string_array(w, "availableUserDomains", desc.available_user_domains);
    json::member(w, "inviteCodeRequired", desc.invite_code_required);
    json::member(w, "phoneVerificationRequired", desc.phone_verification_required);
  });
}

}  // namespace acid::provision
