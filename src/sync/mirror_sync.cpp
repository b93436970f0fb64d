// The sync pass of the content mirror: for each user, the documents whose records need a write
// are sorted by need (create, retry at a stored key, update, remove) and written in that order,
// keys first (docs/sync.md: exactly-once by construction).
#include <algorithm>
#include <set>

#include "sync/mirror_impl.h"

namespace acid::sync {

using namespace mirror_detail;

std::int64_t Mirror::Impl::NeededWrites::total() const {
  return static_cast<std::int64_t>(creates.size() + retries.size() + updates.size() +
                                   removes.size());
}

Mirror::Impl::NeededWrites Mirror::Impl::sort_by_need(std::vector<store::ContentDoc> &docs,
                                                      SyncTally &t) {
  NeededWrites needed;
  for (auto &d : docs) {
    switch (store::content_need(d)) {
      case store::ContentNeed::none:
        ++t.unchanged;
        break;
      case store::ContentNeed::create:
        needed.creates.push_back(std::move(d));
        break;
      case store::ContentNeed::retry_create:
        needed.retries.push_back(std::move(d));
        break;
      case store::ContentNeed::update:
        needed.updates.push_back(std::move(d));
        break;
      case store::ContentNeed::remove:
        needed.removes.push_back(std::move(d));
        break;
    }
  }
  return needed;
}

// The records of documents that already have a key (retries and updates); a document the
// lexicon refuses is a failure of its own.
std::vector<Mirror::Impl::Pending> Mirror::Impl::with_records(const CollectionMapping &m,
                                                              const std::string &user,
                                                              const std::string &repo,
                                                              std::vector<store::ContentDoc> &docs,
                                                              SyncTally &t) {
  std::vector<Pending> out;
  for (auto &d : docs) {
    auto record = make_record(m, d, repo);
    if (!record) {
      fail(t, m, user, d.id, "validate", record.error());
      continue;
    }
    const std::string rkey = *d.atproto.rkey;
    out.push_back(Pending{std::move(d), rkey, std::move(*record)});
  }
  return out;
}

// Each new document gets its TID stored before anything is written (all of the user's new keys
// in one store call). A key someone else claimed first goes to `again` (putRecord at that key).
void Mirror::Impl::claim_fresh_keys(const CollectionMapping &m, const std::string &user,
                                    const std::string &repo,
                                    std::vector<store::ContentDoc> &creates,
                                    std::vector<Pending> &fresh, std::vector<Pending> &again,
                                    SyncTally &t) {
  std::vector<Pending> candidates;
  std::vector<store::ContentStore::RkeyClaim> claims;
  for (auto &d : creates) {
    auto record = make_record(m, d, repo);
    if (!record) {
      fail(t, m, user, d.id, "validate", record.error());
      continue;
    }
    auto rkey = repos.next_tid();
    if (!rkey) {
      fail(t, m, user, d.id, "claim_rkey", rkey.error());
      continue;
    }
    claims.push_back({d.id, *rkey});
    candidates.push_back(Pending{std::move(d), std::move(*rkey), std::move(*record)});
  }
  if (claims.empty()) return;
  auto held = store.claim_content_rkeys(m.collection, claims);
  if (!held) {
    fail(t, m, user, "", "claim_rkey", held.error(), static_cast<std::int64_t>(candidates.size()));
    return;
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

pds::ApplyWritesInput Mirror::Impl::create_writes(const CollectionMapping &m,
                                                  const std::string &did,
                                                  std::span<const Pending> batch) {
  pds::ApplyWritesInput input;
  input.repo = did;
  for (const Pending &p : batch) {
    pds::WriteOperation op;
    op.op = pds::WriteOp::create;
    op.collection = std::string(m.nsid);
    op.rkey = p.rkey;
    op.value_json = p.record;
    input.writes.push_back(std::move(op));
  }
  return input;
}

// One write-back for the whole batch (one store transaction on SQLite).
void Mirror::Impl::write_back_batch(const CollectionMapping &m, const std::string &user,
                                    std::span<const Pending> batch,
                                    const pds::ApplyWritesResult &result, SyncTally &t) {
  std::vector<store::ContentStore::SyncedRecord> written;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const pds::WriteResult &r = result.results[i];
    if (!r.uri || !r.cid) {
      fail(t, m, user, batch[i].doc.id, "create",
           Error(Code::pds, "applyWrites returned no uri/cid for a create"));
      continue;
    }
    written.push_back({batch[i].doc.id, batch[i].rkey, *r.uri, *r.cid, batch[i].doc.version});
  }
  auto matched = store.mark_contents_synced(m.collection, written);
  if (!matched) {
    fail(t, m, user, "", "write_back", matched.error(), static_cast<std::int64_t>(written.size()));
    return;
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
}

// The batch [start, end) may or may not have landed (a lost answer), or one key already exists
// (the PDS answers 500 for the whole batch): putRecord at the same keys converges either way.
// Returns false when a failure concerns the whole repo (every document left is abandoned).
bool Mirror::Impl::fall_back_to_puts(const CollectionMapping &m, const std::string &user,
                                     const std::string &did, std::vector<Pending> &fresh,
                                     std::size_t start, std::size_t end, const Error &error,
                                     SyncTally &t) {
  if (log)
    log("sync_batch_fallback", user,
        batch_fallback_log_json(m.collection, static_cast<std::int64_t>(end - start), error));
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
  return true;
}

// Creates fresh keys in batches; a failed batch falls back to putRecord per document.
// Returns false when a failure concerns the whole repo (the rest of the user is abandoned).
bool Mirror::Impl::create_batches(const CollectionMapping &m, const std::string &user,
                                  const std::string &did, std::vector<Pending> &fresh,
                                  SyncTally &t) {
  for (std::size_t start = 0; start < fresh.size(); start += kBatch) {
    const std::size_t end = std::min(fresh.size(), start + kBatch);
    const std::span<const Pending> batch(fresh.data() + start, end - start);
    const pds::ApplyWritesInput input = create_writes(m, did, batch);
    ++t.batches;
    auto result = repos.with_session(
        did, [&](std::string_view jwt) { return pds().apply_writes(jwt, input); });
    if (result && result->results.size() == batch.size()) {
      write_back_batch(m, user, batch, *result, t);
      continue;
    }
    Error error =
        result ? Error(Code::pds, "applyWrites answered " + std::to_string(result->results.size()) +
                                      " results for " + std::to_string(batch.size()) + " writes")
               : std::move(result).error();
    if (fatal_for_user(error)) {
      fail(t, m, user, "", "create_batch", error, static_cast<std::int64_t>(fresh.size() - start));
      return false;
    }
    if (!fall_back_to_puts(m, user, did, fresh, start, end, error, t)) return false;
  }
  return true;
}

// putRecord each item (keys stored by an earlier or concurrent run, and updates). Returns false
// when a failure concerns the whole repo (the items left are counted as failed).
bool Mirror::Impl::put_one_by_one(const CollectionMapping &m, const std::string &user,
                                  const std::string &did, std::vector<Pending> &items,
                                  const char *op, std::int64_t &done, SyncTally &t) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    Status st = put(m, did, items[i]);
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
}

// deleteRecord for each removed document, then its key is forgotten (an undelete creates a new
// record). Returns false when a failure concerns the whole repo.
bool Mirror::Impl::delete_removed(const CollectionMapping &m, const std::string &user,
                                  const std::string &repo,
                                  const std::vector<store::ContentDoc> &removes, SyncTally &t) {
  for (std::size_t i = 0; i < removes.size(); ++i) {
    const store::ContentDoc &d = removes[i];
    const std::string rkey = *d.atproto.rkey;
    Status st = repos.delete_record(repo, m.nsid, rkey);
    if (st) st = store.clear_content_record(m.collection, d.id, rkey);
    if (!st) {
      const bool fatal = fatal_for_user(st.error());
      fail(t, m, user, d.id, "delete", st.error(),
           fatal ? static_cast<std::int64_t>(removes.size() - i) : 1);
      if (fatal) return false;
      continue;
    }
    ++t.deleted;
    counted(m, "delete");
  }
  return true;
}

// Writes what the user's documents need, in order: new keys claimed, retries' records made,
// creates, retries, updates, deletes. A failure that concerns the whole repo stops the user and
// counts every write not attempted as failed.
void Mirror::Impl::write_needed(const CollectionMapping &m, const std::string &user,
                                const std::string &repo, NeededWrites &needed, SyncTally &t) {
  std::vector<Pending> fresh, again;
  claim_fresh_keys(m, user, repo, needed.creates, fresh, again, t);
  for (Pending &p : with_records(m, user, repo, needed.retries, t)) again.push_back(std::move(p));
  if (!create_batches(m, user, repo, fresh, t)) {
    const std::int64_t left =
        static_cast<std::int64_t>(again.size() + needed.updates.size() + needed.removes.size());
    if (left > 0) t.failed += left;
    return;
  }
  if (!put_one_by_one(m, user, repo, again, "retry", t.retried, t)) {
    t.failed += static_cast<std::int64_t>(needed.updates.size() + needed.removes.size());
    return;
  }
  std::vector<Pending> changed = with_records(m, user, repo, needed.updates, t);
  if (!put_one_by_one(m, user, repo, changed, "update", t.updated, t)) {
    t.failed += static_cast<std::int64_t>(needed.removes.size());
    return;
  }
  delete_removed(m, user, repo, needed.removes, t);
}

// Syncs one user's documents of one collection.
Status Mirror::Impl::sync_user(const CollectionMapping &m, const std::string &user, bool apply,
                               SyncTally &t) {
  ACID_ASSIGN_OR_RETURN(auto docs, load(m, user));
  NeededWrites needed = sort_by_need(docs, t);
  const std::int64_t pending = needed.total();
  if (pending == 0) return Status::ok();
  ++t.users;
  ACID_ASSIGN_OR_RETURN(const std::optional<std::string> did,
                        did_or_skip(m, user, t.skipped_users));
  if (!did) return Status::ok();
  if (!apply) {
    t.would_create += static_cast<std::int64_t>(needed.creates.size() + needed.retries.size());
    t.would_update += static_cast<std::int64_t>(needed.updates.size());
    t.would_delete += static_cast<std::int64_t>(needed.removes.size());
    return Status::ok();
  }
  auto session_did = repos.login(owner_of(m, user), *did);
  if (!session_did) {
    fail(t, m, user, "", "login", session_did.error(), pending);
    return Status::ok();
  }
  write_needed(m, user, *session_did, needed, t);
  return Status::ok();
}

void Mirror::Impl::progress(const SyncOptions &o, const CollectionMapping &m,
                            const std::string &user, std::int64_t users_done, const SyncTally &t) {
  if (!o.progress) return;
  o.progress(to_json(SyncProgress{m.collection, user, users_done, &t}));
}

// One collection: one user, or every user with documents (guests first), resuming after the
// stored cursor and storing it after each user.
Result<SyncCollectionReport> Mirror::Impl::sync_collection(const SyncOptions &o,
                                                           const CollectionMapping &m) {
  SyncCollectionReport report{std::string(m.collection), std::string(m.nsid), {}, {}};
  SyncTally &t = report.tally;
  std::int64_t users_done = 0;
  if (!o.user.empty()) {
    ACID_TRY(sync_user(m, o.user, o.apply, t));
    progress(o, m, o.user, ++users_done, t);
    return report;
  }
  const std::string cursor_name = "records:" + std::string(m.collection);
  if (o.apply) {
    ACID_ASSIGN_OR_RETURN(auto cursor, store.get_sync_cursor(cursor_name));
    report.resumed_after = cursor;
  }
  // Guest documents (user "") sort before every sub, so the user walk below never meets
  // them: their pass (the art account's repo) comes first, on every run.
  if (m.guest_repo) ACID_TRY(sync_user(m, "", o.apply, t));
  std::set<std::string> done;
  std::string after = report.resumed_after;
  bool wrapped = report.resumed_after.empty();
  for (;;) {
    auto users = store.content_users(m.collection, after, kUsersPage, true);
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
      ACID_TRY(sync_user(m, user, o.apply, t));
      if (o.apply) ACID_TRY(store.set_sync_cursor(cursor_name, user));
      progress(o, m, user, ++users_done, t);
    }
  }
  if (o.apply) ACID_TRY(store.set_sync_cursor(cursor_name, ""));  // the pass is complete
  return report;
}

Result<SyncReport> Mirror::Impl::sync(const SyncOptions &o) {
  reset_run();
  if (o.apply) ACID_TRY(repos.connect());
  const std::uint64_t calls_before = repos.pds_calls();
  SyncReport report;
  report.dry_run = !o.apply;
  for (const CollectionMapping *m : selected(o.collections)) {
    ACID_ASSIGN_OR_RETURN(SyncCollectionReport collection, sync_collection(o, *m));
    if (log && o.apply)
      log("sync_records", o.user, records_log_json(m->collection, collection.tally));
    report.collections.push_back(std::move(collection));
  }
  report.problems = std::move(problems);
  report.pds_calls = repos.pds_calls() - calls_before;
  return report;
}

}  // namespace acid::sync
