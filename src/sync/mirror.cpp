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
  return pds::kind_reach(pds::kind_of(error)) != pds::ErrorReach::request;
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
  ACID_TRY(mapping_for(name));  // an unknown collection is an error
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
  ACID_ASSIGN_OR_RETURN(auto c, parse_common(json_text));
  return SyncOptions{.collections = std::move(c.collections),
                     .user = std::move(c.user),
                     .apply = c.fix,
                     .progress = {}};
}

Result<VerifyOptions> parse_verify_options(std::string_view json_text) {
  ACID_ASSIGN_OR_RETURN(auto c, parse_common(json_text));
  return VerifyOptions{
      .collections = std::move(c.collections), .user = std::move(c.user), .fix = c.fix};
}

Mirror::Impl::Impl(MirrorParts parts)
    : store(parts.content),
      repos(parts.accounts, std::move(parts.remote)),
      metrics(parts.metrics),
      log(std::move(parts.log)),
      maker(std::move(parts.media_base), parts.metrics) {}

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
    ACID_ASSIGN_OR_RETURN(auto page, store.list_content(m.collection, user, after, kPage));
    if (page.empty()) break;
    after = page.back().id;
    const std::size_t got = page.size();
    for (auto &d : page) {
      if (!user.empty() || d.user.empty()) all.push_back(std::move(d));
    }
    if (got < kPage) break;
  }
  return all;
}

// Whose repo a user's documents go to: guest documents ("") go to the art account's where the
// collection has a guest repo.
std::string Mirror::Impl::owner_of(const CollectionMapping &m, const std::string &user) {
  return user.empty() && m.guest_repo ? std::string(kArtGuestSub) : user;
}

// The DID of the owner's repo when it may be written; nullopt (with the reason) when not.
Result<std::optional<std::string>> Mirror::Impl::account_did(const CollectionMapping &m,
                                                             const std::string &user,
                                                             std::string &reason) {
  const std::string owner = owner_of(m, user);
  if (owner.empty()) {
    reason = "no user (a guest document)";
    return std::optional<std::string>();
  }
  return repos.writable_did(owner, reason);
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

// The record (derived fields, blobs uploaded to `repo`); blob misses are counted by the maker.
Result<std::string> Mirror::Impl::make_record(const CollectionMapping &m,
                                              const store::ContentDoc &d, const std::string &repo) {
  ACID_ASSIGN_OR_RETURN(auto made,
                        maker.make(m, d, [&](std::string_view bytes, std::string_view mime) {
                          return repos.upload(repo, bytes, mime);
                        }));
  return std::move(made.json);
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
  ACID_ASSIGN_OR_RETURN(auto ref, repos.put_record(write));
  return write_back(m, p, ref.uri, ref.cid);
}

Mirror::Mirror(MirrorParts parts) : impl_(std::make_unique<Impl>(std::move(parts))) {}

Mirror::~Mirror() = default;

Result<SyncReport> Mirror::sync(const SyncOptions &options) {
  return impl_->sync(options);
}

Result<VerifyReport> Mirror::verify(const VerifyOptions &options) {
  return impl_->verify(options);
}

MirrorParts engine_parts(provision::Engine &engine) {
  provision::Engine *e = &engine;
  return MirrorParts{
      .content = engine.store(),
      .accounts = engine.store(),
      .remote = [e]() -> Result<Remote> {
        ACID_ASSIGN_OR_RETURN(auto provisioner, e->provisioner());
        ACID_ASSIGN_OR_RETURN(auto pds, e->pds_client());
        return Remote{pds, provisioner};
      },
      .metrics = engine.metrics(),
      .log = [e](std::string_view event, std::string_view sub,
                 std::string_view extra) { e->log(event, sub, extra); },
      .media_base = engine.config().media_base_url,
  };
}

Result<std::unique_ptr<Mirror>> make_mirror(provision::Engine &engine) {
  return std::make_unique<Mirror>(engine_parts(engine));
}

}  // namespace acid::sync
