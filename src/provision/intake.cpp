// The webhook intake behind Engine::handle_log_stream (after the token check): entries parsed
// one by one, refused ones kept as dead letters, the rest applied in one store batch; the
// bounded Auth0 lookup of the code's year; the operator's view and replay of dead letters.
#include <vector>

#include "auth0/log_stream.h"
#include "code/user_code.h"
#include "core/base64.h"
#include "core/json.h"
#include "provision/engine.h"

namespace acid::provision {

namespace {

std::optional<store::EventType> event_type(std::string_view type) {
  if (type == "ss") return store::EventType::signup;
  if (type == "sv") return store::EventType::verified;
  if (type == "sce") return store::EventType::email_changed;
  if (type == "sdu") return store::EventType::deleted;
  return std::nullopt;
}

using json::error_body;
using json::error_json;

// How long the webhook leaves Auth0 alone after a 429 or an unreachable Management API.
constexpr std::int64_t kLookupPauseMs = 60'000;

std::vector<store::DeadLetter> dead_letters_of(Tenant tenant, const auth0::ParsedBatch &batch) {
  std::vector<store::DeadLetter> letters;
  letters.reserve(batch.rejected.size());
  const std::string tenant_text(tenant_name(tenant));
  for (const auth0::RejectedEntry &r : batch.rejected) {
    store::DeadLetter d;
    d.id = store::dead_letter_id(tenant_text, r.text);
    d.tenant = tenant_text;
    d.kind = r.kind;
    d.reason = r.reason;
    d.log_id = r.log_id;
    d.entry = r.text;
    letters.push_back(std::move(d));
  }
  return letters;
}

struct Applied {
  std::size_t applied = 0, duplicates = 0, codes = 0, jobs = 0;
  std::optional<Error> store_failure;
};

void write_rejected(json::Writer &w, Tenant tenant, const auth0::ParsedBatch &batch, bool kept) {
  json::object_array(
      w, "rejected", batch.rejected, [&](json::Writer &o, const auth0::RejectedEntry &r) {
        json::member(o, "index", r.index);
        if (r.log_id) json::member(o, "log_id", *r.log_id);
        json::member(o, "kind", r.kind);
        json::member(o, "reason", r.reason);
        if (kept) {
          json::member(o, "dead_letter", store::dead_letter_id(tenant_name(tenant), r.text));
        }
      });
  w.Key("dropped");
  w.StartArray();
  for (const auth0::LogEvent &ev : batch.events) {
    for (const auth0::DroppedField &d : ev.dropped) {
      w.StartObject();
      json::member(w, "log_id", ev.log_id);
      json::member(w, "field", d.field);
      json::member(w, "reason", d.reason);
      w.EndObject();
    }
  }
  w.EndArray();
}

std::string reply_body(Tenant tenant, const auth0::ParsedBatch &batch, const Applied &a,
                       bool kept) {
  return json::object([&](json::Writer &w) {
    for (auto [key, count] :
         {std::pair{"received", batch.total}, std::pair{"applied", a.applied},
          std::pair{"duplicates", a.duplicates}, std::pair{"ignored", batch.ignored},
          std::pair{"codes_assigned", a.codes}, std::pair{"jobs_scheduled", a.jobs}}) {
      json::member(w, key, count);
    }
    write_rejected(w, tenant, batch, kept);
    if (a.store_failure) {
      // Auth0 resends the whole batch; log_ids already applied are no-ops then.
      json::member(w, "error", a.store_failure->message);
      json::member(w, "retry", true);
    }
  });
}

// Every refused entry and dropped field: counted and logged (the reply lists them too).
void note_refusals(Engine &engine, const std::string &tenant_label,
                   const auth0::ParsedBatch &batch) {
  for (const auth0::RejectedEntry &r : batch.rejected) {
    engine.metrics().add("acid_webhook_rejected_entries_total",
                         {{"tenant", tenant_label}, {"kind", r.kind}});
    engine.log("event.rejected", "", json::object([&](json::Writer &w) {
                 json::member(w, "tenant", tenant_label);
                 json::member(w, "index", r.index);
                 json::member(w, "kind", r.kind);
                 json::member(w, "reason", r.reason);
               }));
  }
  for (const auth0::LogEvent &ev : batch.events) {
    for (const auth0::DroppedField &d : ev.dropped) {
      engine.metrics().add("acid_event_fields_dropped_total", {{"field", d.field}});
      engine.log("event.field_dropped", ev.sub, json::object([&](json::Writer &w) {
                   json::member(w, "log_id", ev.log_id);
                   json::member(w, "field", d.field);
                   json::member(w, "reason", d.reason);
                 }));
    }
  }
}

}  // namespace

HttpAnswer Engine::intake(Tenant tenant, std::string_view body, bool keep_dead_letters,
                          IntakeSummary *summary) {
  const std::string tenant_label(tenant_name(tenant));
  auto answer = [&](int status, std::string text) {
    metrics_.add("acid_webhook_requests_total",
                 {{"tenant", tenant_label}, {"status", std::to_string(status)}});
    return HttpAnswer{status, std::move(text)};
  };
  auto parsed = auth0::parse_log_stream(body, tenant);
  if (!parsed) {
    return answer(auth0::is_too_large(parsed.error()) ? 413 : 400,
                  error_body(parsed.error().message));
  }
  note_refusals(*this, tenant_label, *parsed);
  if (keep_dead_letters && !parsed->rejected.empty()) {
    const std::vector<store::DeadLetter> letters = dead_letters_of(tenant, *parsed);
    if (Status kept = store_->record_dead_letters(letters, now_unix_ms()); !kept) {
      log("event.store_error", "", error_json(kept.error()));
      return answer(503, error_body("the refused entries could not be kept: " +
                                    kept.error().message + " (resend the batch)"));
    }
    metrics_.add("acid_dead_letters_recorded_total", {{"tenant", tenant_label}}, letters.size());
  }

  // The whole body goes to the store as one batch: one commit makes every fact durable before
  // the 200, instead of one commit per event.
  const UnixMillis lookup_deadline = now_unix_ms() + options_.intake_lookup_budget_ms;
  std::vector<store::EventFact> facts;
  std::vector<const auth0::LogEvent *> sources;
  for (const auth0::LogEvent &ev : parsed->events) {
    const auto type = event_type(ev.type);
    if (!type) continue;  // the parser only passes handled types
    if (skip_service_account(ev)) continue;
    store::EventFact fact{
        auth0::stored_log_id(tenant, ev.log_id), *type, ev.sub, ev.date, ev.email, ev.date};
    if (*type == store::EventType::verified) {
      fact.code_time = code_time_for_verification(ev, lookup_deadline);
    }
    facts.push_back(std::move(fact));
    sources.push_back(&ev);
  }
  Applied a;
  a.duplicates = parsed->duplicates_in_batch;
  auto outcomes = store_->apply_events(
      facts, code::kCodesPerYear,
      [this](int yy) -> Result<store::CodeCandidate> { return allocator_->candidates(yy); });
  if (!outcomes) {
    a.store_failure = std::move(outcomes).error();
    for (const auth0::LogEvent *ev : sources) {
      metrics_.add("acid_events_total",
                   {{"type", std::string(auth0::type_label(ev->type))}, {"outcome", "error"}});
    }
  } else {
    for (std::size_t i = 0; i < sources.size(); ++i) {
      const auth0::LogEvent &ev = *sources[i];
      const store::ApplyOutcome &outcome = (*outcomes)[i];
      const std::string label(auth0::type_label(ev.type));
      if (outcome.duplicate) {
        ++a.duplicates;
        metrics_.add("acid_events_total", {{"type", label}, {"outcome", "duplicate"}});
        continue;
      }
      ++a.applied;
      metrics_.add("acid_events_total", {{"type", label}, {"outcome", "applied"}});
      if (outcome.new_code) ++a.codes;
      if (outcome.job_scheduled) ++a.jobs;
      log("event.applied", ev.sub, json::object([&](json::Writer &w) {
            json::member(w, "type", ev.type);
            json::member(w, "log_id", ev.log_id);
            if (outcome.new_code) json::member(w, "code", outcome.new_code->code);
            if (outcome.job_scheduled) json::member(w, "job_scheduled", true);
          }));
    }
  }
  for (const auto &[type, n] : parsed->ignored_by_type) {
    metrics_.add("acid_events_total",
                 {{"type", std::string(auth0::type_label(type))}, {"outcome", "ignored"}}, n);
  }
  if (!parsed->rejected.empty()) {
    metrics_.add("acid_events_total", {{"type", "invalid"}, {"outcome", "rejected"}},
                 parsed->rejected.size());
  }
  if (summary != nullptr) {
    *summary = IntakeSummary{parsed->events.size(), a.applied, parsed->rejected.size(),
                             parsed->ignored, a.duplicates};
  }
  std::string body_out = reply_body(tenant, *parsed, a, keep_dead_letters);
  if (a.store_failure) {
    log("event.store_error", "", error_json(*a.store_failure));
    return answer(503, std::move(body_out));
  }
  return answer(200, std::move(body_out));
}

Result<auth0::ManagementClient *> Engine::intake_management(Tenant tenant) {
  std::lock_guard lock(auth0_mu_);
  auto &slot = intake_auth0_clients_[tenant == Tenant::sotce ? 1 : 0];
  if (!slot) {
    ACID_ASSIGN_OR_RETURN(auth0::ManagementConfig mc, management_config(tenant));
    // The webhook's budget: one attempt, no backoff, a 429 is an answer rather than a wait.
    const std::int64_t budget = std::max<std::int64_t>(options_.intake_lookup_budget_ms, 1);
    mc.connect_timeout_ms = budget;
    mc.request_timeout_ms = budget;
    mc.max_attempts = 1;
    mc.max_rate_limit_wait_ms = 0;
    mc.max_rate_limit_retries = 0;
    ACID_ASSIGN_OR_RETURN(auto client, auth0::ManagementClient::create(std::move(mc)));
    slot = std::move(client);
  }
  return slot.get();
}

UnixMillis Engine::code_time_for_verification(const auth0::LogEvent &ev, UnixMillis deadline) {
  // A verification seen before any signup names the code's year by the Auth0 user's
  // created_at when the Management API is configured and answers within the delivery's budget;
  // otherwise by the event date (right unless the signup happened in an earlier year).
  const Tenant tenant = tenant_of_sub(ev.sub);
  if (!options_.config.require_auth0_m2m(tenant)) return ev.date;
  auto existing = store_->get_account(ev.sub);
  if (existing && existing->code) return ev.date;  // the code exists; the time is unused
  const UnixMillis now = now_unix_ms();
  const char *skipped = nullptr;
  if (now >= deadline) skipped = "budget";
  if (now < intake_lookups_paused_until_.load()) skipped = "paused";
  if (skipped != nullptr) {
    metrics_.add("acid_auth0_lookup_skipped_total",
                 {{"purpose", "created_at"}, {"reason", skipped}});
    return ev.date;
  }
  auto client = intake_management(tenant);
  Result<auth0::User> user =
      client ? (*client)->get_user(auth0_user_id_of(ev.sub)) : std::move(client).error();
  if (user && user->created_at) return *user->created_at;
  if (!user && (user.code() == Code::rate_limited || user.code() == Code::unavailable ||
                user.code() == Code::timeout)) {
    intake_lookups_paused_until_.store(now_unix_ms() + kLookupPauseMs);
  }
  // Counted and logged: the code then takes the event's year.
  metrics_.add("acid_auth0_lookup_failures_total", {{"purpose", "created_at"}});
  log("auth0.lookup_failed", ev.sub,
      user ? json::object([](json::Writer &w) { json::member(w, "reason", "no created_at"); })
           : error_json(user.error()));
  return ev.date;
}

Result<std::string> Engine::dead_letters_json(const store::DeadLetterQuery &query) {
  ACID_ASSIGN_OR_RETURN(auto letters, store_->list_dead_letters(query));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("dead_letters");
  w.StartArray();
  for (const store::DeadLetter &d : letters) {
    w.StartObject();
    for (const auto &[key, value] : {std::pair<const char *, const std::string *>{"id", &d.id},
                                     {"tenant", &d.tenant},
                                     {"kind", &d.kind},
                                     {"reason", &d.reason}}) {
      w.Key(key);
      w.String(*value);
    }
    w.Key("log_id");
    d.log_id ? w.String(*d.log_id) : w.Null();
    const bool text = auth0::is_utf8(d.entry);
    w.Key(text ? "entry" : "entry_base64");
    w.String(text ? d.entry : base64::encode(d.entry));
    json::member(w, "first_seen", format_iso8601(d.first_seen));
    json::member(w, "last_seen", format_iso8601(d.last_seen));
    json::member(w, "deliveries", d.deliveries);
    w.Key("replayed_at");
    d.replayed_at ? w.String(format_iso8601(*d.replayed_at)) : w.Null();
    w.Key("replay_outcome");
    if (d.replay_outcome.empty()) {
      w.Null();
    } else {
      w.RawValue(d.replay_outcome.data(), d.replay_outcome.size(), rapidjson::kObjectType);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<std::string> Engine::replay_dead_letter(std::string_view id) {
  ACID_ASSIGN_OR_RETURN(auto letter, store_->get_dead_letter(id));
  const std::optional<Tenant> tenant = parse_tenant(letter.tenant);
  if (!tenant) {
    return Error(Code::store, "dead letter " + std::string(id) + " names an unknown tenant \"" +
                                  letter.tenant + "\"");
  }
  // The entry alone is a one-line JSON lines body of its stream.
  IntakeSummary summary;
  const HttpAnswer reply = intake(*tenant, letter.entry, false, &summary);
  const bool applied = reply.status == 200 && summary.rejected == 0;
  const std::string outcome = json::object([&](json::Writer &w) {
    json::member(w, "at", format_iso8601(now_unix_ms()));
    json::member(w, "status", reply.status);
    json::member(w, "applied", applied);
    json::raw_member(w, "reply", reply.body);
  });
  ACID_TRY(store_->record_dead_letter_replay(id, now_unix_ms(), applied, outcome));
  log("dead_letter.replayed", "", json::object([&](json::Writer &w) {
        json::member(w, "id", id);
        json::member(w, "applied", applied);
      }));
  metrics_.add("acid_dead_letter_replays_total", {{"outcome", applied ? "applied" : "refused"}});
  if (reply.status == 503) {
    return Error(Code::unavailable,
                 "dead letter " + std::string(id) + " could not be applied now (retry)", outcome);
  }
  if (!applied) {
    return Error(Code::invalid, "dead letter " + std::string(id) + " is still refused", outcome);
  }
  return outcome;
}

}  // namespace acid::provision
