#include "sync/document.h"

#include "core/json.h"
#include "provision/engine.h"
#include "sync/record_maker.h"
#include "sync/repo_access.h"

namespace acid::sync {

namespace {

struct Outcome {
  std::string action;
  std::string repo, rkey, uri, cid, reason;
  std::vector<MadeRecord::Miss> missing;
};

std::string report_json(const store::ContentDoc &doc, const Outcome &o) {
  return json::object([&](json::Writer &w) {
    const auto put = [&](const char *key, const std::string &value) {
      if (!value.empty()) json::member(w, key, value);
    };
    for (auto [key, value] :
         {std::pair{"collection", &doc.collection}, std::pair{"id", &doc.id},
          std::pair{"action", &o.action}, std::pair{"repo", &o.repo}, std::pair{"rkey", &o.rkey},
          std::pair{"uri", &o.uri}, std::pair{"cid", &o.cid}, std::pair{"reason", &o.reason}}) {
      put(key, *value);
    }
    if (o.missing.empty()) return;
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
  });
}

}  // namespace

struct DocumentMirror::Impl {
  explicit Impl(MirrorParts parts)
      : store(parts.content),
        repos(parts.accounts, std::move(parts.remote)),
        metrics(parts.metrics),
        log(std::move(parts.log)),
        maker(std::move(parts.media_base), parts.metrics) {}

  store::ContentStore &store;
  RepoAccess repos;
  provision::Metrics &metrics;
  LogFn log;
  RecordMaker maker;

  void failed(const CollectionMapping &m, const store::ContentDoc &doc, const char *op,
              const Error &error) {
    metrics.add("acid_sync_failures_total",
                {{"collection", std::string(m.collection)}, {"op", op}});
    if (log) {
      log("sync_failure", doc.user,
          failure_log_json({std::string(m.collection), doc.user, doc.id, op, error}));
    }
  }

  // The record at `rkey` (putRecord: an upsert), then the write-back guarded by the key.
  Status put(const CollectionMapping &m, const store::ContentDoc &doc, const std::string &repo,
             Outcome &o) {
    ACID_ASSIGN_OR_RETURN(auto made,
                          maker.make(m, doc, [&](std::string_view bytes, std::string_view mime) {
                            return repos.upload(repo, bytes, mime);
                          }));
    o.missing = std::move(made.missing);
    pds::RecordWrite write;
    write.repo = repo;
    write.collection = std::string(m.nsid);
    write.rkey = o.rkey;
    write.record_json = std::move(made.json);
    ACID_ASSIGN_OR_RETURN(auto ref, repos.put_record(write));
    o.uri = ref.uri;
    o.cid = ref.cid;
    return store.mark_content_synced(m.collection, doc.id, o.rkey, o.uri, o.cid, doc.version);
  }

  Status write(const CollectionMapping &m, const store::ContentDoc &doc, store::ContentNeed need,
               const std::string &repo, Outcome &o) {
    switch (need) {
      case store::ContentNeed::remove: {
        o.action = "deleted";
        o.rkey = *doc.atproto.rkey;
        ACID_TRY(repos.delete_record(repo, m.nsid, o.rkey));
        return store.clear_content_record(m.collection, doc.id, o.rkey);
      }
      case store::ContentNeed::create: {
        ACID_ASSIGN_OR_RETURN(auto fresh, repos.next_tid());
        // Keys first: stored before anything is written; a key stored meanwhile wins.
        ACID_ASSIGN_OR_RETURN(auto held, store.claim_content_rkey(m.collection, doc.id, fresh));
        o.action = held == fresh ? "created" : "retried";
        o.rkey = held;
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
    ACID_ASSIGN_OR_RETURN(auto mapping, mapping_for(collection));
    const CollectionMapping &m = *mapping;
    ACID_ASSIGN_OR_RETURN(auto doc, store.get_content(collection, id));
    Outcome o;
    const store::ContentNeed need = store::content_need(doc);
    if (need == store::ContentNeed::none) {
      o.action = "unchanged";
      return report_json(doc, o);
    }
    const std::string owner = repo_owner(m, doc);
    ACID_ASSIGN_OR_RETURN(
        auto did, owner.empty() ? Result<std::optional<std::string>>(std::optional<std::string>())
                                : repos.writable_did(owner, o.reason));
    if (!did) {
      if (owner.empty()) o.reason = "no user (a guest document of a collection without guests)";
      o.action = "skipped";
      metrics.add("acid_sync_document_skipped_total", {{"collection", std::string(m.collection)}});
      return report_json(doc, o);
    }
    const char *op = need == store::ContentNeed::remove ? "delete" : "write";
    Status st = repos.connect();
    auto repo = st ? repos.login(owner, *did) : Result<std::string>(st.error());
    if (!repo) {
      failed(m, doc, "login", repo.error());
      return std::move(repo).error().context("sync document: logging in as the repo's owner");
    }
    o.repo = *repo;
    st = write(m, doc, need, *repo, o);
    if (!st) {
      failed(m, doc, op, st.error());
      return std::move(st).error().context("sync document " + doc.collection + " " + doc.id);
    }
    metrics.add("acid_sync_records_total", {{"collection", std::string(m.collection)},
                                            {"op", o.action == "deleted"   ? "delete"
                                                   : o.action == "updated" ? "update"
                                                   : o.action == "retried" ? "retry"
                                                                           : "create"}});
    return report_json(doc, o);
  }
};

DocumentMirror::DocumentMirror(MirrorParts parts)
    : impl_(std::make_unique<Impl>(std::move(parts))) {}

DocumentMirror::~DocumentMirror() = default;

Result<std::string> DocumentMirror::sync_document(std::string_view collection,
                                                  std::string_view id) {
  return impl_->sync_document(collection, id);
}

Result<std::unique_ptr<DocumentMirror>> make_document_mirror(provision::Engine &engine) {
  return std::make_unique<DocumentMirror>(engine_parts(engine));
}

}  // namespace acid::sync
