#include "sync/document.h"

#include <map>
#include <mutex>
#include <optional>

#include "core/json.h"
#include "pds/session.h"
#include "provision/engine.h"
#include "sync/record_maker.h"
#include "sync/tid.h"

namespace acid::sync {

namespace {

struct Outcome {
  std::string action;
  std::string repo, rkey, uri, cid, reason;
  std::vector<MadeRecord::Miss> missing;
};

std::string report_json(const store::ContentDoc &doc, const Outcome &o) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  const auto put = [&](const char *key, const std::string &value) {
    if (value.empty()) return;
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  put("collection", doc.collection);
  put("id", doc.id);
  put("action", o.action);
  put("repo", o.repo);
  put("rkey", o.rkey);
  put("uri", o.uri);
  put("cid", o.cid);
  put("reason", o.reason);
  if (!o.missing.empty()) {
    w.Key("blobs_missing");
    w.StartArray();
    for (const auto &m : o.missing) {
      w.StartObject();
      put("blob", m.blob);
      put("reason", m.reason);
      put("message", m.message);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

struct DocumentMirror::Impl {
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
  provision::Metrics &metrics;
  LogFn log;
  RecordMaker maker;
  pds::SessionManager sessions;

  std::mutex mu_;  // guards the members below
  pds::XrpcClient *pds_client = nullptr;
  const provision::Provisioner *provisioner = nullptr;
  std::optional<TidClock> tids;
  std::map<std::string, std::string> logged_in;  // owner sub -> DID

  Status connect() {
    std::lock_guard lock(mu_);
    if (pds_client != nullptr) return Status::ok();
    auto r = remote_source();
    if (!r) return std::move(r).error();
    pds_client = r->pds;
    provisioner = r->provisioner;
    return Status::ok();
  }

  Result<std::string> next_tid() {
    std::lock_guard lock(mu_);
    if (!tids) {
      auto clock = TidClock::create();
      if (!clock) return std::move(clock).error();
      tids.emplace(std::move(*clock));
    }
    return tids->next();
  }

  // The DID of the owner's repo, or nullopt with the reason it has none we may write to. The
  // art account is a service account: its DID and password are enough.
  Result<std::optional<std::string>> owner_did(const std::string &owner, std::string &reason) {
    auto account = store.get_account(owner);
    if (!account) {
      if (account.code() != Code::not_found) return std::move(account).error();
      reason = owner == kArtGuestSub ? "the art account (art-guest) is not in the store"
                                     : "unknown user";
      return std::optional<std::string>();
    }
    const bool usable = account->did && account->password &&
                        (owner == kArtGuestSub || account->state == store::AccountState::active);
    if (!usable) {
      reason =
          std::string("no active PDS account (state ") + store::to_string(account->state) + ")";
      return std::optional<std::string>();
    }
    return std::optional<std::string>(*account->did);
  }

  Result<std::string> login(const std::string &owner, const std::string &did) {
    {
      std::lock_guard lock(mu_);
      auto known = logged_in.find(owner);
      if (known != logged_in.end() && sessions.get(known->second)) return known->second;
    }
    auto account = store.get_account(owner);
    if (!account) return std::move(account).error();
    if (!account->password) return Error(Code::not_found, "no stored PDS password for " + owner);
    auto password = provisioner->open_password(owner, *account->password);
    if (!password) return std::move(password).error();
    auto session = pds_client->create_session(did, *password);
    if (!session) return std::move(session).error();
    sessions.put(*session);
    std::lock_guard lock(mu_);
    logged_in[owner] = session->did;
    return session->did;
  }

  void failed(const CollectionMapping &m, const store::ContentDoc &doc, const char *op,
              const Error &error) {
    metrics.add("acid_sync_failures_total",
                {{"collection", std::string(m.collection)}, {"op", op}});
    if (log) {
      log("sync_failure", doc.user,
          "{\"collection\":" + json::quote(m.collection) + ",\"id\":" + json::quote(doc.id) +
              ",\"op\":" + json::quote(op) + ",\"error\":" + json::quote(error.message) +
              ",\"detail\":" + (error.detail_json.empty() ? "{}" : error.detail_json) + "}");
    }
  }

  // The record at `rkey` (putRecord: an upsert), then the write-back guarded by the key.
  Status put(const CollectionMapping &m, const store::ContentDoc &doc, const std::string &repo,
             Outcome &o) {
    auto made = maker.make(m, doc, [&](std::string_view bytes, std::string_view mime) {
      return sessions.with_session(
          repo, [&](std::string_view jwt) { return upload_blob(*pds_client, jwt, bytes, mime); });
    });
    if (!made) return std::move(made).error();
    o.missing = std::move(made->missing);
    pds::RecordWrite write;
    write.repo = repo;
    write.collection = std::string(m.nsid);
    write.rkey = o.rkey;
    write.record_json = std::move(made->json);
    auto ref = sessions.with_session(
        repo, [&](std::string_view jwt) { return pds_client->put_record(jwt, write); });
    if (!ref) return std::move(ref).error();
    o.uri = ref->uri;
    o.cid = ref->cid;
    return store.mark_content_synced(m.collection, doc.id, o.rkey, o.uri, o.cid, doc.version);
  }

  Status write(const CollectionMapping &m, const store::ContentDoc &doc, store::ContentNeed need,
               const std::string &repo, Outcome &o) {
    switch (need) {
      case store::ContentNeed::remove: {
        o.action = "deleted";
        o.rkey = *doc.atproto.rkey;
        ACID_TRY(sessions.with_session(repo, [&](std::string_view jwt) {
          return pds_client->delete_record(jwt, repo, m.nsid, o.rkey);
        }));
        return store.clear_content_record(m.collection, doc.id, o.rkey);
      }
      case store::ContentNeed::create: {
        auto fresh = next_tid();
        if (!fresh) return std::move(fresh).error();
        // Keys first: stored before anything is written; a key stored meanwhile wins.
        auto held = store.claim_content_rkey(m.collection, doc.id, *fresh);
        if (!held) return std::move(held).error();
        o.action = *held == *fresh ? "created" : "retried";
        o.rkey = *held;
        return put(m, doc, repo, o);
      }
      case store::ContentNeed::retry_create:
        o.action = "retried";
        o.rkey = *doc.atproto.rkey;
        return put(m, doc, repo, o);
      case store::ContentNeed::update:
        o.action = "updated";
        o.rkey = *doc.atproto.rkey;
        return put(m, doc, repo, o);
      case store::ContentNeed::none:
        break;
    }
    o.action = "unchanged";
    return Status::ok();
  }

  Result<std::string> sync_document(std::string_view collection, std::string_view id) {
    auto mapping = mapping_for(collection);
    if (!mapping) return std::move(mapping).error();
    const CollectionMapping &m = **mapping;
    auto doc = store.get_content(collection, id);
    if (!doc) return std::move(doc).error();
    Outcome o;
    const store::ContentNeed need = store::content_need(*doc);
    if (need == store::ContentNeed::none) {
      o.action = "unchanged";
      return report_json(*doc, o);
    }
    const std::string owner = repo_owner(m, *doc);
    auto did = owner.empty() ? Result<std::optional<std::string>>(std::optional<std::string>())
                             : owner_did(owner, o.reason);
    if (!did) return std::move(did).error();
    if (!*did) {
      if (owner.empty()) o.reason = "no user (a guest document of a collection without guests)";
      o.action = "skipped";
      metrics.add("acid_sync_document_skipped_total", {{"collection", std::string(m.collection)}});
      return report_json(*doc, o);
    }
    const char *op = need == store::ContentNeed::remove ? "delete" : "write";
    Status st = connect();
    auto repo = st ? login(owner, **did) : Result<std::string>(st.error());
    if (!repo) {
      failed(m, *doc, "login", repo.error());
      return std::move(repo).error().context("sync document: logging in as the repo's owner");
    }
    o.repo = *repo;
    st = write(m, *doc, need, *repo, o);
    if (!st) {
      failed(m, *doc, op, st.error());
      return std::move(st).error().context("sync document " + doc->collection + " " + doc->id);
    }
    metrics.add("acid_sync_records_total", {{"collection", std::string(m.collection)},
                                            {"op", o.action == "deleted"   ? "delete"
                                                   : o.action == "updated" ? "update"
                                                   : o.action == "retried" ? "retry"
                                                                           : "create"}});
    return report_json(*doc, o);
  }
};

DocumentMirror::DocumentMirror(store::Store &store, RemoteSource remote,
                               provision::Metrics &metrics, LogFn log, std::string media_base)
    : impl_(std::make_unique<Impl>(store, std::move(remote), metrics, std::move(log),
                                   std::move(media_base))) {}

DocumentMirror::~DocumentMirror() = default;

Result<std::string> DocumentMirror::sync_document(std::string_view collection,
                                                  std::string_view id) {
  return impl_->sync_document(collection, id);
}

Result<std::unique_ptr<DocumentMirror>> make_document_mirror(provision::Engine &engine) {
  return std::make_unique<DocumentMirror>(engine.store(), engine_remote(engine), engine.metrics(),
                                          engine_log(engine), engine.config().media_base_url);
}

}  // namespace acid::sync
