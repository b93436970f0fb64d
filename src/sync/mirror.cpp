// The content mirror's core: options, the remote, the run's bookkeeping (failures, skips,
// issues, metrics), a user's documents, account and session, and writing one record. The sync
// pass is in mirror_sync.cpp, verify in mirror_verify.cpp, the reports' JSON in mirror_report.cpp.
#include "sync/mirror.h"

#include <algorithm>

#include "core/json.h"
#include "pds/pds_error.h"
#include "provision/engine.h"
#include "sync/blob.h"
#include "sync/mirror_impl.h"

namespace acid::sync {

namespace mirror_detail {

// A failure that concerns the whole repo: nothing else for this user can succeed now.
bool fatal_for_user(const Error &error) {
  switch (pds::kind_of(error)) {
    case pds::ErrorKind::auth_failed:
    case pds::ErrorKind::expired_token:
    case pds::ErrorKind::invalid_token:
    case pds::ErrorKind::account_not_found:
    case pds::ErrorKind::account_takedown:
    case pds::ErrorKind::account_deactivated:
    case pds::ErrorKind::repo_not_found:
    case pds::ErrorKind::rate_limited:
    case pds::ErrorKind::network:
    case pds::ErrorKind::tls:
    case pds::ErrorKind::config:
      return true;
    default:
      return false;
  }
}

std::vector<const CollectionMapping *> selected(const std::vector<std::string> &names) {
  std::vector<const CollectionMapping *> out;
  for (const CollectionMapping &m : mappings()) {
    if (names.empty() ||
        std::find(names.begin(), names.end(), std::string(m.collection)) != names.end()) {
      out.push_back(&m);
    }
  }
  return out;
}

}  // namespace mirror_detail

namespace {

using namespace mirror_detail;

Result<std::vector<std::string>> parse_collections(const rapidjson::Value &doc) {
  std::vector<std::string> out;
  auto it = doc.FindMember("collection");
  if (it == doc.MemberEnd() || it->value.IsNull()) return out;
  if (!it->value.IsString()) return Error(Code::invalid, "\"collection\" must be a string");
  const std::string_view name(it->value.GetString(), it->value.GetStringLength());
  if (name == "all" || name.empty()) return out;
  auto mapping = mapping_for(name);
  if (!mapping) return std::move(mapping).error();
  out.emplace_back(name);
  return out;
}

Status check_members(const rapidjson::Value &doc, std::initializer_list<std::string_view> known) {
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    const std::string_view name(m->name.GetString(), m->name.GetStringLength());
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return Error(Code::invalid, "unknown option \"" + std::string(name.substr(0, 64)) + "\"");
    }
  }
  return Status::ok();
}

struct CommonOptions {
  std::vector<std::string> collections;
  std::string user;
  bool fix = false;
};

Result<CommonOptions> parse_common(std::string_view json_text) {
  CommonOptions out;
  if (json_text.empty()) return out;
  auto doc = json::parse(json_text);
  if (!doc) return std::move(doc).error().context("options");
  if (!doc->IsObject()) return Error(Code::invalid, "options must be a JSON object");
  ACID_TRY(check_members(*doc, {"collection", "user", "fix", "dry_run"}));
  auto collections = parse_collections(*doc);
  if (!collections) return std::move(collections).error();
  out.collections = std::move(*collections);
  auto user = doc->FindMember("user");
  if (user != doc->MemberEnd() && !user->value.IsNull()) {
    if (!user->value.IsString()) return Error(Code::invalid, "\"user\" must be a string");
    out.user.assign(user->value.GetString(), user->value.GetStringLength());
  }
  auto fix = doc->FindMember("fix");
  auto dry = doc->FindMember("dry_run");
  if (fix != doc->MemberEnd() && !fix->value.IsBool()) {
    return Error(Code::invalid, "\"fix\" must be true or false");
  }
  if (dry != doc->MemberEnd() && !dry->value.IsBool()) {
    return Error(Code::invalid, "\"dry_run\" must be true or false");
  }
  const bool fix_v = fix != doc->MemberEnd() && fix->value.GetBool();
  const bool dry_v = dry != doc->MemberEnd() && dry->value.GetBool();
  if (fix_v && dry_v) return Error(Code::invalid, "\"fix\" and \"dry_run\" contradict each other");
  out.fix = fix_v;
  return out;
}

}  // namespace

Result<SyncOptions> parse_sync_options(std::string_view json_text) {
  auto common = parse_common(json_text);
  if (!common) return std::move(common).error();
  SyncOptions out;
  out.collections = std::move(common->collections);
  out.user = std::move(common->user);
  out.apply = common->fix;
  return out;
}

Result<VerifyOptions> parse_verify_options(std::string_view json_text) {
  auto common = parse_common(json_text);
  if (!common) return std::move(common).error();
  VerifyOptions out;
  out.collections = std::move(common->collections);
  out.user = std::move(common->user);
  out.fix = common->fix;
  return out;
}

Mirror::Impl::Impl(store::Store &s, RemoteSource r, provision::Metrics &m, LogFn l,
                   std::string media_base)
    : store(s),
      remote_source(std::move(r)),
      metrics(m),
      log(std::move(l)),
      maker(std::move(media_base), m),
      sessions([this](std::string_view refresh_jwt) {
        return pds_client->refresh_session(refresh_jwt);
      }) {}

Status Mirror::Impl::connect() {
  if (pds_client != nullptr) return Status::ok();
  auto r = remote_source();
  if (!r) return std::move(r).error();
  pds_client = r->pds;
  provisioner = r->provisioner;
  return Status::ok();
}
void Mirror::Impl::reset_run() {
  problems = SyncProblems{};
  issues.clear();
  issues_total = 0;
}

void Mirror::Impl::fail(SyncTally &t, const CollectionMapping &m, const std::string &user,
                        const std::string &id, const char *op, const Error &error,
                        std::int64_t documents) {
  t.failed += documents;
  record_failure(m, user, id, op, error);
}

void Mirror::Impl::record_failure(const CollectionMapping &m, const std::string &user,
                                  const std::string &id, const char *op, const Error &error) {
  ++problems.failures_total;
  metrics.add("acid_sync_failures_total", {{"collection", std::string(m.collection)}, {"op", op}});
  SyncFailure failure{std::string(m.collection), user, id, op, error};
  if (log) log("sync_failure", user, failure_log_json(failure));
  if (problems.failures.size() < kReportedFailures) problems.failures.push_back(std::move(failure));
}

void Mirror::Impl::skip(const CollectionMapping &m, const std::string &user, std::string reason) {
  metrics.add("acid_sync_skipped_users_total", {{"collection", std::string(m.collection)}});
  if (problems.skipped.size() < kReportedFailures) {
    problems.skipped.push_back({std::string(m.collection), user, std::move(reason)});
  }
}

void Mirror::Impl::issue(const CollectionMapping &m, const std::string &user, const char *kind,
                         const std::string &ref, std::vector<std::string> rkeys) {
  ++issues_total;
  metrics.add("acid_sync_verify_issues_total",
              {{"collection", std::string(m.collection)}, {"kind", kind}});
  if (issues.size() < kReportedIssues) {
    issues.push_back({std::string(m.collection), user, kind, ref, std::move(rkeys)});
  }
}

void Mirror::Impl::counted(const CollectionMapping &m, const char *op, std::int64_t n) {
  if (n > 0) {
    metrics.add("acid_sync_records_total", {{"collection", std::string(m.collection)}, {"op", op}},
                static_cast<std::uint64_t>(n));
  }
}

// The documents of one user; user "" = the guest documents (their repo is the art account's).
Result<std::vector<store::ContentDoc>> Mirror::Impl::load(const CollectionMapping &m,
                                                          const std::string &user) {
  std::vector<store::ContentDoc> all;
  std::string after;
  for (;;) {
    auto page = store.list_content(m.collection, user, after, kPage);
    if (!page) return std::move(page).error();
    if (page->empty()) break;
    after = page->back().id;
    const std::size_t got = page->size();
    for (auto &d : *page) {
      if (!user.empty() || d.user.empty()) all.push_back(std::move(d));
    }
    if (got < kPage) break;
  }
  return all;
}

// The user's DID when they have an active PDS account; nullopt (with the reason) when not.
std::string Mirror::Impl::owner_of(const CollectionMapping &m, const std::string &user) {
  return user.empty() && m.guest_repo ? std::string(kArtGuestSub) : user;
}

Result<std::optional<std::string>> Mirror::Impl::account_did(const CollectionMapping &m,
                                                             const std::string &user,
                                                             std::string &reason) {
  const std::string owner = owner_of(m, user);
  if (owner.empty()) {
    reason = "no user (a guest document)";
    return std::optional<std::string>();
  }
  auto account = store.get_account(owner);
  if (!account) {
    if (account.code() == Code::not_found) {
      reason = "unknown user";
      return std::optional<std::string>();
    }
    return std::move(account).error();
  }
  // The art account is a service account: its DID and password are enough.
  const bool active = account->state == store::AccountState::active || owner == kArtGuestSub;
  if (!active || !account->did || !account->password) {
    reason = std::string("no active PDS account (state ") + store::to_string(account->state) + ")";
    return std::optional<std::string>();
  }
  return std::optional<std::string>(*account->did);
}

// The DID of the repo the user's documents go to; nullopt when there is no active account (then
// counted in `skipped_users` and listed in the report with the reason).
Result<std::optional<std::string>> Mirror::Impl::did_or_skip(const CollectionMapping &m,
                                                             const std::string &user,
                                                             std::int64_t &skipped_users) {
  std::string reason;
  auto did = account_did(m, user, reason);
  if (!did) return std::move(did).error();
  if (!*did) {
    ++skipped_users;
    skip(m, user, reason);
  }
  return did;
}

// Logs in as the user with the stored credentials (once per Mirror).
Result<std::string> Mirror::Impl::login(const std::string &user, const std::string &did) {
  auto known = logged_in.find(user);
  if (known != logged_in.end() && sessions.get(did)) return known->second;
  auto account = store.get_account(user);
  if (!account) return std::move(account).error();
  if (!account->password) return Error(Code::not_found, "no stored PDS password for " + user);
  auto password = provisioner->open_password(user, *account->password);
  if (!password) return std::move(password).error();
  auto session = pds().create_session(did, *password);
  if (!session) return std::move(session).error();
  sessions.put(*session);
  logged_in[user] = session->did;
  return session->did;
}

// The record (derived fields, blobs uploaded to `repo`); blob misses are counted by the maker.
Result<std::string> Mirror::Impl::make_record(const CollectionMapping &m,
                                              const store::ContentDoc &d, const std::string &repo) {
  auto made = maker.make(m, d, [&](std::string_view bytes, std::string_view mime) {
    return sessions.with_session(
        repo, [&](std::string_view jwt) { return upload_blob(pds(), jwt, bytes, mime); });
  });
  if (!made) return std::move(made).error();
  return std::move(made->json);
}

Status Mirror::Impl::write_back(const CollectionMapping &m, const Pending &p, std::string_view uri,
                                std::string_view cid) {
  return store.mark_content_synced(m.collection, p.doc.id, p.rkey, uri, cid, p.doc.version);
}

// putRecord at the document's key: an upsert, safe to repeat.
Status Mirror::Impl::put(const CollectionMapping &m, const std::string &did, const Pending &p) {
  pds::RecordWrite write;
  write.repo = did;
  write.collection = std::string(m.nsid);
  write.rkey = p.rkey;
  write.record_json = p.record;
  auto ref = sessions.with_session(
      did, [&](std::string_view jwt) { return pds().put_record(jwt, write); });
  if (!ref) return std::move(ref).error();
  return write_back(m, p, ref->uri, ref->cid);
}

Mirror::Mirror(store::Store &store, RemoteSource remote, provision::Metrics &metrics, LogFn log,
               std::string media_base)
    : impl_(std::make_unique<Impl>(store, std::move(remote), metrics, std::move(log),
                                   std::move(media_base))) {}

Mirror::~Mirror() = default;

Result<SyncReport> Mirror::sync(const SyncOptions &options) {
  return impl_->sync(options);
}

Result<VerifyReport> Mirror::verify(const VerifyOptions &options) {
  return impl_->verify(options);
}

RemoteSource engine_remote(provision::Engine &engine) {
  provision::Engine *e = &engine;
  return [e]() -> Result<Remote> {
    auto provisioner = e->provisioner();
    if (!provisioner) return std::move(provisioner).error();
    auto pds = e->pds_client();
    if (!pds) return std::move(pds).error();
    return Remote{*pds, *provisioner};
  };
}

LogFn engine_log(provision::Engine &engine) {
  provision::Engine *e = &engine;
  return [e](std::string_view event, std::string_view sub, std::string_view extra) {
    e->log(event, sub, extra);
  };
}

Result<std::unique_ptr<Mirror>> make_mirror(provision::Engine &engine) {
  return std::make_unique<Mirror>(engine.store(), engine_remote(engine), engine.metrics(),
                                  engine_log(engine), engine.config().media_base_url);
}

}  // namespace acid::sync
