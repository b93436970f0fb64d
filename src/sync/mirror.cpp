#include "sync/mirror.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "core/json.h"
#include "pds/pds_error.h"
#include "provision/engine.h"
#include "sync/blob.h"

namespace acid::sync {

namespace {

constexpr std::size_t kBatch = 200;      // the PDS's applyWrites limit
constexpr std::size_t kPage = 500;       // store documents read at a time
constexpr std::size_t kUsersPage = 100;  // users read at a time
constexpr std::size_t kReportedFailures = 100;
constexpr std::size_t kReportedIssues = 200;

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

std::string rkey_of(std::string_view uri) {
  const std::size_t slash = uri.rfind('/');
  return std::string(slash == std::string_view::npos ? uri : uri.substr(slash + 1));
}

void put_string(json::Writer &w, const char *key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void put_raw(json::Writer &w, const char *key, std::string_view raw_json) {
  w.Key(key);
  w.RawValue(raw_json.data(), raw_json.size(), rapidjson::kObjectType);
}

struct Tally {
  std::int64_t users = 0;
  std::int64_t skipped_users = 0;
  std::int64_t created = 0;
  std::int64_t retried = 0;  // putRecord at a key stored by an earlier, unfinished write
  std::int64_t updated = 0;
  std::int64_t deleted = 0;
  std::int64_t unchanged = 0;
  std::int64_t failed = 0;
  std::int64_t fallbacks = 0;  // documents of failed batches written one by one
  std::int64_t would_create = 0;
  std::int64_t would_update = 0;
  std::int64_t would_delete = 0;
  std::int64_t batches = 0;
};

struct VerifyTally {
  std::int64_t users = 0;
  std::int64_t skipped_users = 0;
  std::int64_t records = 0;
  std::int64_t documents = 0;
  std::int64_t missing = 0;
  std::int64_t extra = 0;
  std::int64_t duplicates = 0;  // surplus records (a ref with n records counts n - 1)
  std::int64_t unreferenced = 0;
  std::int64_t stale_pointers = 0;
  std::int64_t deleted_records = 0;
  std::int64_t adopted = 0;
  std::int64_t rewritten = 0;
  std::int64_t failed = 0;
};

struct FailureEntry {
  std::string collection, user, id, op;
  Error error;
};

struct SkipEntry {
  std::string collection, user, reason;
};

struct IssueEntry {
  std::string collection, user, kind, ref;
  std::vector<std::string> rkeys;
};

// A document and its record, ready to write.
struct Pending {
  store::ContentDoc doc;
  std::string rkey;
  std::string record;
};

struct RemoteRecord {
  std::string rkey, uri, cid;
};

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

struct Mirror::Impl {
  Impl(store::Store &s, RemoteSource r, provision::Metrics &m, LogFn l, std::string media_base)
      : store(s),
        remote_source(std::move(r)),
        metrics(m),
        log(std::move(l)),
        maker(std::move(media_base), m),
        sessions([this](std::string_view refresh_jwt) {
          return pds_client->refresh_session(refresh_jwt);
        }) {}

  store::Store &store;
  RemoteSource remote_source;
  pds::XrpcClient *pds_client = nullptr;                // set by connect(): a dry run needs
  const provision::Provisioner *provisioner = nullptr;  // neither the PDS nor the credentials
  provision::Metrics &metrics;
  LogFn log;
  RecordMaker maker;
  pds::SessionManager sessions;
  std::optional<TidClock> tids;
  std::map<std::string, std::string> logged_in;  // sub -> DID, for this object's lifetime

  // Per run.
  std::vector<FailureEntry> failures;
  std::int64_t failures_total = 0;
  std::vector<SkipEntry> skipped;
  std::vector<IssueEntry> issues;
  std::int64_t issues_total = 0;

  Status connect() {
    if (pds_client != nullptr) return Status::ok();
    auto r = remote_source();
    if (!r) return std::move(r).error();
    pds_client = r->pds;
    provisioner = r->provisioner;
    return Status::ok();
  }
  pds::XrpcClient &pds() { return *pds_client; }
  std::uint64_t pds_calls() const { return pds_client == nullptr ? 0 : pds_client->stats().calls; }

  void reset_run() {
    failures.clear();
    failures_total = 0;
    skipped.clear();
    issues.clear();
    issues_total = 0;
  }

  void fail(Tally &t, const CollectionMapping &m, const std::string &user, const std::string &id,
            const char *op, const Error &error, std::int64_t documents = 1) {
    t.failed += documents;
    record_failure(m, user, id, op, error);
  }

  void record_failure(const CollectionMapping &m, const std::string &user, const std::string &id,
                      const char *op, const Error &error) {
    ++failures_total;
    metrics.add("acid_sync_failures_total",
                {{"collection", std::string(m.collection)}, {"op", op}});
    if (failures.size() < kReportedFailures) {
      failures.push_back({std::string(m.collection), user, id, op, error});
    }
    if (log) {
      log("sync_failure", user,
          "{\"collection\":" + json::quote(m.collection) + ",\"id\":" + json::quote(id) +
              ",\"op\":" + json::quote(op) + ",\"error\":" + json::quote(error.message) +
              ",\"detail\":" + (error.detail_json.empty() ? "{}" : error.detail_json) + "}");
    }
  }

  void skip(const CollectionMapping &m, const std::string &user, std::string reason) {
    metrics.add("acid_sync_skipped_users_total", {{"collection", std::string(m.collection)}});
    if (skipped.size() < kReportedFailures) {
      skipped.push_back({std::string(m.collection), user, std::move(reason)});
    }
  }

  void issue(const CollectionMapping &m, const std::string &user, const char *kind,
             const std::string &ref, std::vector<std::string> rkeys) {
    ++issues_total;
    metrics.add("acid_sync_verify_issues_total",
                {{"collection", std::string(m.collection)}, {"kind", kind}});
    if (issues.size() < kReportedIssues) {
      issues.push_back({std::string(m.collection), user, kind, ref, std::move(rkeys)});
    }
  }

  void counted(const CollectionMapping &m, const char *op, std::int64_t n = 1) {
    if (n > 0) {
      metrics.add("acid_sync_records_total",
                  {{"collection", std::string(m.collection)}, {"op", op}},
                  static_cast<std::uint64_t>(n));
    }
  }

  // The documents of one user; user "" = the guest documents (their repo is the art account's).
  Result<std::vector<store::ContentDoc>> load(const CollectionMapping &m, const std::string &user) {
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
  static std::string owner_of(const CollectionMapping &m, const std::string &user) {
    return user.empty() && m.guest_repo ? std::string(kArtGuestSub) : user;
  }

  Result<std::optional<std::string>> account_did(const CollectionMapping &m,
                                                 const std::string &user, std::string &reason) {
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
      reason =
          std::string("no active PDS account (state ") + store::to_string(account->state) + ")";
      return std::optional<std::string>();
    }
    return std::optional<std::string>(*account->did);
  }

  // Logs in as the user with the stored credentials (once per Mirror).
  Result<std::string> login(const std::string &user, const std::string &did) {
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
  Result<std::string> make_record(const CollectionMapping &m, const store::ContentDoc &d,
                                  const std::string &repo) {
    auto made = maker.make(m, d, [&](std::string_view bytes, std::string_view mime) {
      return sessions.with_session(
          repo, [&](std::string_view jwt) { return upload_blob(pds(), jwt, bytes, mime); });
    });
    if (!made) return std::move(made).error();
    return std::move(made->json);
  }

  Status write_back(const CollectionMapping &m, const Pending &p, std::string_view uri,
                    std::string_view cid) {
    return store.mark_content_synced(m.collection, p.doc.id, p.rkey, uri, cid, p.doc.version);
  }

  // putRecord at the document's key: an upsert, safe to repeat.
  Status put(const CollectionMapping &m, const std::string &did, const Pending &p) {
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

  // Creates fresh keys in batches; a failed batch falls back to putRecord per document.
  // Returns false when a failure concerns the whole repo (the rest of the user is abandoned).
  bool create_batches(const CollectionMapping &m, const std::string &user, const std::string &did,
                      std::vector<Pending> &fresh, Tally &t) {
    for (std::size_t start = 0; start < fresh.size(); start += kBatch) {
      const std::size_t end = std::min(fresh.size(), start + kBatch);
      pds::ApplyWritesInput input;
      input.repo = did;
      for (std::size_t i = start; i < end; ++i) {
        pds::WriteOperation op;
        op.op = pds::WriteOp::create;
        op.collection = std::string(m.nsid);
        op.rkey = fresh[i].rkey;
        op.value_json = fresh[i].record;
        input.writes.push_back(std::move(op));
      }
      ++t.batches;
      auto result = sessions.with_session(
          did, [&](std::string_view jwt) { return pds().apply_writes(jwt, input); });
      if (result && result->results.size() == end - start) {
        // One write-back for the whole batch (one store transaction on SQLite).
        std::vector<store::Store::SyncedRecord> written;
        for (std::size_t i = start; i < end; ++i) {
          const pds::WriteResult &r = result->results[i - start];
          if (!r.uri || !r.cid) {
            fail(t, m, user, fresh[i].doc.id, "create",
                 Error(Code::pds, "applyWrites returned no uri/cid for a create"));
            continue;
          }
          written.push_back({fresh[i].doc.id, fresh[i].rkey, *r.uri, *r.cid, fresh[i].doc.version});
        }
        auto matched = store.mark_contents_synced(m.collection, written);
        if (!matched) {
          fail(t, m, user, "", "write_back", matched.error(),
               static_cast<std::int64_t>(written.size()));
          continue;
        }
        for (std::size_t k = 0; k < written.size(); ++k) {
          if (!(*matched)[k]) {
            fail(t, m, user, written[k].id, "write_back",
                 Error(Code::conflict, "the document no longer holds key " + written[k].rkey));
            continue;
          }
          ++t.created;
          counted(m, "create");
        }
        continue;
      }
      Error error =
          result
              ? Error(Code::pds, "applyWrites answered " + std::to_string(result->results.size()) +
                                     " results for " + std::to_string(end - start) + " writes")
              : std::move(result).error();
      if (fatal_for_user(error)) {
        std::int64_t left = 0;
        for (std::size_t i = start; i < fresh.size(); ++i) ++left;
        fail(t, m, user, "", "create_batch", error, left);
        return false;
      }
      // The batch may or may not have landed (a lost answer), or one key already exists (the
      // PDS answers 500 for the whole batch): putRecord at the same keys converges either way.
      if (log) {
        log("sync_batch_fallback", user,
            "{\"collection\":" + json::quote(m.collection) + ",\"documents\":" +
                std::to_string(end - start) + ",\"error\":" + json::quote(error.message) + "}");
      }
      metrics.add("acid_sync_batch_fallbacks_total", {{"collection", std::string(m.collection)}});
      for (std::size_t i = start; i < end; ++i) {
        ++t.fallbacks;
        Status st = put(m, did, fresh[i]);
        if (!st) {
          if (fatal_for_user(st.error())) {
            fail(t, m, user, fresh[i].doc.id, "create", st.error(),
                 static_cast<std::int64_t>(fresh.size() - i));
            return false;
          }
          fail(t, m, user, fresh[i].doc.id, "create", st.error());
          continue;
        }
        ++t.created;
        counted(m, "create");
      }
    }
    return true;
  }

  // Syncs one user's documents of one collection.
  Status sync_user(const CollectionMapping &m, const std::string &user, bool apply, Tally &t) {
    auto docs = load(m, user);
    if (!docs) return std::move(docs).error();
    std::vector<store::ContentDoc> creates, retries, updates, removes;
    for (auto &d : *docs) {
      switch (store::content_need(d)) {
        case store::ContentNeed::none:
          ++t.unchanged;
          break;
        case store::ContentNeed::create:
          creates.push_back(std::move(d));
          break;
        case store::ContentNeed::retry_create:
          retries.push_back(std::move(d));
          break;
        case store::ContentNeed::update:
          updates.push_back(std::move(d));
          break;
        case store::ContentNeed::remove:
          removes.push_back(std::move(d));
          break;
      }
    }
    const std::int64_t pending = static_cast<std::int64_t>(creates.size() + retries.size() +
                                                           updates.size() + removes.size());
    if (pending == 0) return Status::ok();
    ++t.users;
    std::string reason;
    auto did = account_did(m, user, reason);
    if (!did) return std::move(did).error();
    if (!*did) {
      ++t.skipped_users;
      skip(m, user, reason);
      return Status::ok();
    }
    if (!apply) {
      t.would_create += static_cast<std::int64_t>(creates.size() + retries.size());
      t.would_update += static_cast<std::int64_t>(updates.size());
      t.would_delete += static_cast<std::int64_t>(removes.size());
      return Status::ok();
    }
    auto session_did = login(owner_of(m, user), **did);
    if (!session_did) {
      fail(t, m, user, "", "login", session_did.error(), pending);
      return Status::ok();
    }
    const std::string &repo = *session_did;
    if (!tids) {
      auto clock = TidClock::create();
      if (!clock) return std::move(clock).error();
      tids.emplace(std::move(*clock));
    }

    // Keys first: each new document gets its TID stored before anything is written (all of
    // the user's new keys in one store call).
    std::vector<Pending> fresh, again, candidates;
    std::vector<store::Store::RkeyClaim> claims;
    for (auto &d : creates) {
      auto record = make_record(m, d, repo);
      if (!record) {
        fail(t, m, user, d.id, "validate", record.error());
        continue;
      }
      std::string rkey = tids->next();
      claims.push_back({d.id, rkey});
      candidates.push_back(Pending{std::move(d), std::move(rkey), std::move(*record)});
    }
    if (!claims.empty()) {
      auto held = store.claim_content_rkeys(m.collection, claims);
      if (!held) {
        fail(t, m, user, "", "claim_rkey", held.error(),
             static_cast<std::int64_t>(candidates.size()));
        candidates.clear();
      }
      for (std::size_t i = 0; i < candidates.size(); ++i) {
        if ((*held)[i] == candidates[i].rkey) {
          fresh.push_back(std::move(candidates[i]));
        } else {
          candidates[i].rkey = (*held)[i];  // someone else claimed a key first: reuse it
          again.push_back(std::move(candidates[i]));
        }
      }
    }
    for (auto &d : retries) {
      auto record = make_record(m, d, repo);
      if (!record) {
        fail(t, m, user, d.id, "validate", record.error());
        continue;
      }
      const std::string rkey = *d.atproto.rkey;
      again.push_back(Pending{std::move(d), rkey, std::move(*record)});
    }
    if (!create_batches(m, user, repo, fresh, t)) {
      const std::int64_t left =
          static_cast<std::int64_t>(again.size() + updates.size() + removes.size());
      if (left > 0) t.failed += left;
      return Status::ok();
    }
    // Keys stored by an earlier run (or a concurrent one) and updates: putRecord each.
    const auto put_all = [&](std::vector<Pending> &items, const char *op,
                             std::int64_t &done) -> bool {
      for (std::size_t i = 0; i < items.size(); ++i) {
        Status st = put(m, repo, items[i]);
        if (!st) {
          const bool fatal = fatal_for_user(st.error());
          fail(t, m, user, items[i].doc.id, op, st.error(),
               fatal ? static_cast<std::int64_t>(items.size() - i) : 1);
          if (fatal) return false;
          continue;
        }
        ++done;
        counted(m, op);
      }
      return true;
    };
    if (!put_all(again, "retry", t.retried)) {
      t.failed += static_cast<std::int64_t>(updates.size() + removes.size());
      return Status::ok();
    }
    std::vector<Pending> changed;
    for (auto &d : updates) {
      auto record = make_record(m, d, repo);
      if (!record) {
        fail(t, m, user, d.id, "validate", record.error());
        continue;
      }
      const std::string rkey = *d.atproto.rkey;
      changed.push_back(Pending{std::move(d), rkey, std::move(*record)});
    }
    if (!put_all(changed, "update", t.updated)) {
      t.failed += static_cast<std::int64_t>(removes.size());
      return Status::ok();
    }
    for (std::size_t i = 0; i < removes.size(); ++i) {
      const store::ContentDoc &d = removes[i];
      const std::string rkey = *d.atproto.rkey;
      Status st = sessions.with_session(
          repo, [&](std::string_view jwt) { return pds().delete_record(jwt, repo, m.nsid, rkey); });
      if (st) st = store.clear_content_record(m.collection, d.id, rkey);
      if (!st) {
        const bool fatal = fatal_for_user(st.error());
        fail(t, m, user, d.id, "delete", st.error(),
             fatal ? static_cast<std::int64_t>(removes.size() - i) : 1);
        if (fatal) return Status::ok();
        continue;
      }
      ++t.deleted;
      counted(m, "delete");
    }
    return Status::ok();
  }

  void progress(const SyncOptions &o, const CollectionMapping &m, const std::string &user,
                std::int64_t users_done, const Tally &t) {
    if (!o.progress) return;
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    w.StartObject();
    put_string(w, "collection", m.collection);
    put_string(w, "user", user);
    w.Key("users_done");
    w.Int64(users_done);
    w.Key("created");
    w.Int64(t.created);
    w.Key("retried");
    w.Int64(t.retried);
    w.Key("updated");
    w.Int64(t.updated);
    w.Key("deleted");
    w.Int64(t.deleted);
    w.Key("failed");
    w.Int64(t.failed);
    w.Key("skipped_users");
    w.Int64(t.skipped_users);
    w.EndObject();
    o.progress(std::string_view(buf.GetString(), buf.GetSize()));
  }

  void write_failures(json::Writer &w) {
    w.Key("skipped");
    w.StartArray();
    for (const SkipEntry &s : skipped) {
      w.StartObject();
      put_string(w, "collection", s.collection);
      put_string(w, "user", s.user);
      put_string(w, "reason", s.reason);
      w.EndObject();
    }
    w.EndArray();
    w.Key("failures");
    w.StartArray();
    for (const FailureEntry &f : failures) {
      w.StartObject();
      put_string(w, "collection", f.collection);
      put_string(w, "user", f.user);
      if (!f.id.empty()) put_string(w, "id", f.id);
      put_string(w, "op", f.op);
      put_string(w, "code", code_name(f.error.code));
      put_string(w, "message", f.error.message);
      put_raw(w, "detail", f.error.detail_json.empty() ? "{}" : f.error.detail_json);
      w.EndObject();
    }
    w.EndArray();
    w.Key("failures_total");
    w.Int64(failures_total);
  }

  static void write_tally(json::Writer &w, const Tally &t, bool apply) {
    w.Key("users");
    w.Int64(t.users);
    w.Key("skipped_users");
    w.Int64(t.skipped_users);
    w.Key("unchanged");
    w.Int64(t.unchanged);
    if (apply) {
      for (auto [k, v] : {std::pair{"created", t.created}, std::pair{"retried", t.retried},
                          std::pair{"updated", t.updated}, std::pair{"deleted", t.deleted},
                          std::pair{"failed", t.failed}, std::pair{"fallbacks", t.fallbacks},
                          std::pair{"batches", t.batches}}) {
        w.Key(k);
        w.Int64(v);
      }
    } else {
      for (auto [k, v] :
           {std::pair{"would_create", t.would_create}, std::pair{"would_update", t.would_update},
            std::pair{"would_delete", t.would_delete}}) {
        w.Key(k);
        w.Int64(v);
      }
    }
  }

  Result<std::string> sync(const SyncOptions &o) {
    reset_run();
    if (o.apply) ACID_TRY(connect());
    const std::uint64_t calls_before = pds_calls();
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    w.StartObject();
    w.Key("dry_run");
    w.Bool(!o.apply);
    w.Key("collections");
    w.StartArray();
    for (const CollectionMapping *m : selected(o.collections)) {
      Tally t;
      std::string resumed_from;
      std::int64_t users_done = 0;
      if (!o.user.empty()) {
        ACID_TRY(sync_user(*m, o.user, o.apply, t));
        progress(o, *m, o.user, ++users_done, t);
      } else {
        const std::string cursor_name = "records:" + std::string(m->collection);
        if (o.apply) {
          auto cursor = store.get_sync_cursor(cursor_name);
          if (!cursor) return std::move(cursor).error();
          resumed_from = *cursor;
        }
        // Guest documents (user "") sort before every sub, so the user walk below never meets
        // them: their pass (the art account's repo) comes first, on every run.
        if (m->guest_repo) ACID_TRY(sync_user(*m, "", o.apply, t));
        std::set<std::string> done;
        std::string after = resumed_from;
        bool wrapped = resumed_from.empty();
        for (;;) {
          auto users = store.content_users(m->collection, after, kUsersPage, true);
          if (!users) return std::move(users).error();
          if (users->empty()) {
            if (wrapped) break;
            wrapped = true;  // resumed mid-way: the users before the cursor come last
            after.clear();
            continue;
          }
          for (const std::string &user : *users) {
            after = user;
            if (!done.insert(user).second) continue;
            ACID_TRY(sync_user(*m, user, o.apply, t));
            if (o.apply) ACID_TRY(store.set_sync_cursor(cursor_name, user));
            progress(o, *m, user, ++users_done, t);
          }
        }
        if (o.apply) ACID_TRY(store.set_sync_cursor(cursor_name, ""));  // the pass is complete
      }
      w.StartObject();
      put_string(w, "collection", m->collection);
      put_string(w, "nsid", m->nsid);
      if (!resumed_from.empty()) put_string(w, "resumed_after", resumed_from);
      write_tally(w, t, o.apply);
      w.EndObject();
      if (log && o.apply) {
        log("sync_records", o.user,
            "{\"collection\":" + json::quote(m->collection) + ",\"created\":" +
                std::to_string(t.created) + ",\"retried\":" + std::to_string(t.retried) +
                ",\"updated\":" + std::to_string(t.updated) + ",\"deleted\":" +
                std::to_string(t.deleted) + ",\"failed\":" + std::to_string(t.failed) + "}");
      }
    }
    w.EndArray();
    write_failures(w);
    w.Key("pds_calls");
    w.Uint64(pds_calls() - calls_before);
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
  }

  // ---- verify ----

  Result<std::vector<std::pair<RemoteRecord, std::string>>> list_repo(const CollectionMapping &m,
                                                                      const std::string &did) {
    std::vector<std::pair<RemoteRecord, std::string>> out;  // record, ref
    pds::ListRecordsQuery q;
    q.repo = did;
    q.collection = std::string(m.nsid);
    q.limit = 100;
    q.reverse = true;
    for (;;) {
      auto page = pds().list_records(q);
      if (!page) return std::move(page).error();
      for (const pds::Record &r : page->records) {
        out.push_back(
            {RemoteRecord{rkey_of(r.uri), r.uri, r.cid.value_or("")}, record_ref(r.value_json)});
      }
      if (!page->cursor || page->records.empty()) break;
      q.cursor = page->cursor;
    }
    return out;
  }

  // Deletes records in applyWrites batches; a failed batch is retried one deleteRecord at a
  // time (a record deleted meanwhile makes a batch delete fail with 500, deleteRecord not).
  void delete_records(const CollectionMapping &m, const std::string &user, const std::string &did,
                      const std::vector<std::string> &rkeys, VerifyTally &t) {
    for (std::size_t start = 0; start < rkeys.size(); start += kBatch) {
      const std::size_t end = std::min(rkeys.size(), start + kBatch);
      pds::ApplyWritesInput input;
      input.repo = did;
      for (std::size_t i = start; i < end; ++i) {
        pds::WriteOperation op;
        op.op = pds::WriteOp::remove;
        op.collection = std::string(m.nsid);
        op.rkey = rkeys[i];
        input.writes.push_back(std::move(op));
      }
      auto r = sessions.with_session(
          did, [&](std::string_view jwt) { return pds().apply_writes(jwt, input); });
      if (r) {
        t.deleted_records += static_cast<std::int64_t>(end - start);
        counted(m, "verify_delete", static_cast<std::int64_t>(end - start));
        continue;
      }
      for (std::size_t i = start; i < end; ++i) {
        Status st = sessions.with_session(did, [&](std::string_view jwt) {
          return pds().delete_record(jwt, did, m.nsid, rkeys[i]);
        });
        if (!st) {
          ++t.failed;
          record_failure(m, user, rkeys[i], "verify_delete", st.error());
          continue;
        }
        ++t.deleted_records;
        counted(m, "verify_delete");
      }
    }
  }

  Status verify_user(const CollectionMapping &m, const std::string &user, bool fix, VerifyTally &t,
                     Tally &synced) {
    std::string reason;
    auto did = account_did(m, user, reason);
    if (!did) return std::move(did).error();
    if (!*did) {
      ++t.skipped_users;
      skip(m, user, reason);
      return Status::ok();
    }
    ++t.users;
    auto docs = load(m, user);
    if (!docs) return std::move(docs).error();
    auto remote = list_repo(m, **did);
    if (!remote) {
      ++t.failed;
      record_failure(m, user, "", "list_records", remote.error());
      return Status::ok();
    }
    t.documents += static_cast<std::int64_t>(docs->size());
    t.records += static_cast<std::int64_t>(remote->size());
    std::map<std::string, std::vector<RemoteRecord>> by_ref;
    for (auto &[rec, ref] : *remote) {
      if (ref.empty()) {
        ++t.unreferenced;
        issue(m, user, "unreferenced", "", {rec.rkey});
        continue;
      }
      by_ref[ref].push_back(rec);
    }
    for (auto &[ref, recs] : by_ref) {
      std::sort(recs.begin(), recs.end(),
                [](const RemoteRecord &a, const RemoteRecord &b) { return a.rkey < b.rkey; });
    }
    std::vector<std::string> to_delete;
    struct Adopt {
      const store::ContentDoc *doc;
      RemoteRecord keep;
    };
    std::vector<Adopt> adopt;
    std::vector<const store::ContentDoc *> rewrite;
    for (const store::ContentDoc &d : *docs) {
      auto it = by_ref.find(d.id);
      std::vector<RemoteRecord> recs;
      if (it != by_ref.end()) {
        recs = std::move(it->second);
        by_ref.erase(it);
      }
      if (d.deleted) {
        if (!recs.empty()) {
          std::vector<std::string> keys;
          for (const auto &r : recs) keys.push_back(r.rkey);
          t.extra += static_cast<std::int64_t>(recs.size());
          issue(m, user, "extra", d.id, keys);
          to_delete.insert(to_delete.end(), keys.begin(), keys.end());
        }
        continue;
      }
      if (recs.empty()) {
        ++t.missing;
        issue(m, user, "missing", d.id,
              d.atproto.rkey ? std::vector{*d.atproto.rkey} : std::vector<std::string>{});
        if (d.atproto.uri) rewrite.push_back(&d);  // else the sync writes it anyway
        continue;
      }
      // Keep the record the store points to; else exactly one (the oldest key).
      auto kept = recs.begin();
      for (auto r = recs.begin(); r != recs.end(); ++r) {
        if (d.atproto.rkey && r->rkey == *d.atproto.rkey) kept = r;
      }
      if (recs.size() > 1) {
        std::vector<std::string> keys;
        for (auto r = recs.begin(); r != recs.end(); ++r) {
          if (r != kept) keys.push_back(r->rkey);
        }
        t.duplicates += static_cast<std::int64_t>(keys.size());
        issue(m, user, "duplicate", d.id, keys);
        to_delete.insert(to_delete.end(), keys.begin(), keys.end());
      }
      if (d.atproto.rkey != kept->rkey || d.atproto.uri != kept->uri) {
        ++t.stale_pointers;
        issue(m, user, "stale_pointer", d.id, {kept->rkey});
        adopt.push_back({&d, *kept});
      }
    }
    for (auto &[ref, recs] : by_ref) {
      std::vector<std::string> keys;
      for (const auto &r : recs) keys.push_back(r.rkey);
      t.extra += static_cast<std::int64_t>(recs.size());
      issue(m, user, "extra", ref, keys);
      to_delete.insert(to_delete.end(), keys.begin(), keys.end());
    }
    if (!fix) return Status::ok();

    auto session_did = login(owner_of(m, user), **did);
    if (!session_did) {
      ++t.failed;
      record_failure(m, user, "", "login", session_did.error());
      return Status::ok();
    }
    delete_records(m, user, *session_did, to_delete, t);
    for (const Adopt &a : adopt) {
      Status st = Status::ok();
      if (a.doc->atproto.rkey && *a.doc->atproto.rkey != a.keep.rkey) {
        st = store.clear_content_record(m.collection, a.doc->id, *a.doc->atproto.rkey);
      }
      if (st) {
        auto held = store.claim_content_rkey(m.collection, a.doc->id, a.keep.rkey);
        if (!held) {
          st = held.status();
        } else if (*held != a.keep.rkey) {
          st = Error(Code::conflict, "the document's key moved during verify");
        }
      }
      if (st) {
        st = store.mark_content_synced(m.collection, a.doc->id, a.keep.rkey, a.keep.uri, a.keep.cid,
                                       a.doc->version);
      }
      if (!st) {
        ++t.failed;
        record_failure(m, user, a.doc->id, "adopt", st.error());
        continue;
      }
      ++t.adopted;
    }
    for (const store::ContentDoc *d : rewrite) {
      Status st = store.mark_content_unsynced(m.collection, d->id);
      if (!st) {
        ++t.failed;
        record_failure(m, user, d->id, "rewrite", st.error());
        continue;
      }
      ++t.rewritten;
    }
    // Missing records (and anything else pending) are written now.
    return sync_user(m, user, true, synced);
  }

  // The art account's repo against the guest documents, when there are any.
  Status verify_guests(const CollectionMapping &m, bool fix, VerifyTally &t, Tally &synced) {
    auto guests = load(m, "");
    if (!guests) return std::move(guests).error();
    if (guests->empty()) return Status::ok();
    return verify_user(m, "", fix, t, synced);
  }

  Result<std::string> verify(const VerifyOptions &o) {
    reset_run();
    ACID_TRY(connect());
    const std::uint64_t calls_before = pds_calls();
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    w.StartObject();
    w.Key("fix");
    w.Bool(o.fix);
    w.Key("collections");
    w.StartArray();
    for (const CollectionMapping *m : selected(o.collections)) {
      VerifyTally t;
      Tally synced;
      if (!o.user.empty()) {
        ACID_TRY(verify_user(*m, o.user, o.fix, t, synced));
      } else {
        if (m->guest_repo) ACID_TRY(verify_guests(*m, o.fix, t, synced));
        std::string after;
        for (;;) {
          auto users = store.content_users(m->collection, after, kUsersPage, false);
          if (!users) return std::move(users).error();
          if (users->empty()) break;
          for (const std::string &user : *users) {
            after = user;
            ACID_TRY(verify_user(*m, user, o.fix, t, synced));
          }
        }
      }
      w.StartObject();
      put_string(w, "collection", m->collection);
      put_string(w, "nsid", m->nsid);
      for (auto [k, v] :
           {std::pair{"users", t.users}, std::pair{"skipped_users", t.skipped_users},
            std::pair{"documents", t.documents}, std::pair{"records", t.records},
            std::pair{"missing", t.missing}, std::pair{"extra", t.extra},
            std::pair{"duplicates", t.duplicates}, std::pair{"unreferenced", t.unreferenced},
            std::pair{"stale_pointers", t.stale_pointers}, std::pair{"failed", t.failed}}) {
        w.Key(k);
        w.Int64(v);
      }
      if (o.fix) {
        w.Key("fixed");
        w.StartObject();
        for (auto [k, v] :
             {std::pair{"deleted_records", t.deleted_records}, std::pair{"adopted", t.adopted},
              std::pair{"rewritten", t.rewritten}, std::pair{"created", synced.created},
              std::pair{"retried", synced.retried}, std::pair{"updated", synced.updated},
              std::pair{"deleted", synced.deleted}, std::pair{"failed", synced.failed}}) {
          w.Key(k);
          w.Int64(v);
        }
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndArray();
    w.Key("issues");
    w.StartArray();
    for (const IssueEntry &i : issues) {
      w.StartObject();
      put_string(w, "collection", i.collection);
      put_string(w, "user", i.user);
      put_string(w, "kind", i.kind);
      if (!i.ref.empty()) put_string(w, "ref", i.ref);
      w.Key("rkeys");
      w.StartArray();
      for (const auto &k : i.rkeys) w.String(k.data(), static_cast<rapidjson::SizeType>(k.size()));
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    w.Key("issues_total");
    w.Int64(issues_total);
    write_failures(w);
    w.Key("pds_calls");
    w.Uint64(pds_calls() - calls_before);
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
  }
};

Mirror::Mirror(store::Store &store, RemoteSource remote, provision::Metrics &metrics, LogFn log,
               std::string media_base)
    : impl_(std::make_unique<Impl>(store, std::move(remote), metrics, std::move(log),
                                   std::move(media_base))) {}

Mirror::~Mirror() = default;

Result<std::string> Mirror::sync(const SyncOptions &options) {
  return impl_->sync(options);
}

Result<std::string> Mirror::verify(const VerifyOptions &options) {
  return impl_->verify(options);
}

Result<std::unique_ptr<Mirror>> make_mirror(provision::Engine &engine) {
  provision::Engine *e = &engine;
  return std::make_unique<Mirror>(
      engine.store(),
      [e]() -> Result<Remote> {
        auto provisioner = e->provisioner();
        if (!provisioner) return std::move(provisioner).error();
        auto pds = e->pds_client();
        if (!pds) return std::move(pds).error();
        return Remote{*pds, *provisioner};
      },
      engine.metrics(),
      [e](std::string_view event, std::string_view sub, std::string_view extra) {
        e->log(event, sub, extra);
      },
      engine.config().media_base_url);
}

}  // namespace acid::sync
