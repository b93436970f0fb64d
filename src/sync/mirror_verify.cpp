// The verify pass of the content mirror: each user's repo (listRecords) against the store:
// missing, extra, duplicate and unreferenced records and stale pointers; with `fix`, the repairs
// (duplicates keep the record the store points to, else exactly one) and then a sync of the user.
#include <algorithm>

#include "sync/mirror_impl.h"

namespace acid::sync {

using namespace mirror_detail;

namespace {

std::string rkey_of(std::string_view uri) {
  const std::size_t slash = uri.rfind('/');
  return std::string(slash == std::string_view::npos ? uri : uri.substr(slash + 1));
}

std::vector<std::string> rkeys_of(const std::vector<RemoteRecord> &records) {
  std::vector<std::string> keys;
  keys.reserve(records.size());
  for (const auto &r : records) keys.push_back(r.rkey);
  return keys;
}

}  // namespace

Result<std::vector<std::pair<RemoteRecord, std::string>>> Mirror::Impl::list_repo(
    const CollectionMapping &m, const std::string &did) {
  std::vector<std::pair<RemoteRecord, std::string>> out;  // record, ref
  pds::ListRecordsQuery q;
  q.repo = did;
  q.collection = std::string(m.nsid);
  q.limit = 100;
  q.reverse = true;
  for (;;) {
    ACID_ASSIGN_OR_RETURN(auto page, pds().list_records(q));
    for (const pds::Record &r : page.records) {
      out.push_back(
          {RemoteRecord{rkey_of(r.uri), r.uri, r.cid.value_or("")}, record_ref(r.value_json)});
    }
    if (!page.cursor || page.records.empty()) break;
    q.cursor = page.cursor;
  }
  return out;
}

// The repo's records by the document they name (each list sorted by key); a record that names
// none is an "unreferenced" issue and left alone.
Mirror::Impl::RecordsByRef Mirror::Impl::group_by_ref(
    const CollectionMapping &m, const std::string &user,
    std::vector<std::pair<RemoteRecord, std::string>> &remote, VerifyTally &t) {
  RecordsByRef by_ref;
  for (auto &[rec, ref] : remote) {
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
  return by_ref;
}

// One document against the records that name it: extra records of a deleted document, a missing
// record, duplicates, and a stored pointer that is not the record kept.
void Mirror::Impl::check_document(const CollectionMapping &m, const std::string &user,
                                  const store::ContentDoc &d, std::vector<RemoteRecord> recs,
                                  RepairPlan &plan, VerifyTally &t) {
  if (d.deleted) {
    if (!recs.empty()) {
      std::vector<std::string> keys = rkeys_of(recs);
      t.extra += static_cast<std::int64_t>(recs.size());
      issue(m, user, "extra", d.id, keys);
      plan.to_delete.insert(plan.to_delete.end(), keys.begin(), keys.end());
    }
    return;
  }
  if (recs.empty()) {
    ++t.missing;
    issue(m, user, "missing", d.id,
          d.atproto.rkey ? std::vector{*d.atproto.rkey} : std::vector<std::string>{});
    if (d.atproto.uri) plan.rewrite.push_back(&d);  // else the sync writes it anyway
    return;
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
    plan.to_delete.insert(plan.to_delete.end(), keys.begin(), keys.end());
  }
  if (d.atproto.rkey != kept->rkey || d.atproto.uri != kept->uri) {
    ++t.stale_pointers;
    issue(m, user, "stale_pointer", d.id, {kept->rkey});
    plan.adopt.push_back({&d, *kept});
  }
}

// Every document against its records, then the records of documents the store does not have.
Mirror::Impl::RepairPlan Mirror::Impl::compare_with_repo(const CollectionMapping &m,
                                                         const std::string &user,
                                                         const std::vector<store::ContentDoc> &docs,
                                                         RecordsByRef by_ref, VerifyTally &t) {
  RepairPlan plan;
  for (const store::ContentDoc &d : docs) {
    auto it = by_ref.find(d.id);
    std::vector<RemoteRecord> recs;
    if (it != by_ref.end()) {
      recs = std::move(it->second);
      by_ref.erase(it);
    }
    check_document(m, user, d, std::move(recs), plan, t);
  }
  for (auto &[ref, recs] : by_ref) {
    std::vector<std::string> keys = rkeys_of(recs);
    t.extra += static_cast<std::int64_t>(recs.size());
    issue(m, user, "extra", ref, keys);
    plan.to_delete.insert(plan.to_delete.end(), keys.begin(), keys.end());
  }
  return plan;
}

// Deletes records in applyWrites batches; a failed batch is retried one deleteRecord at a
// time (a record deleted meanwhile makes a batch delete fail with 500, deleteRecord not).
void Mirror::Impl::delete_records(const CollectionMapping &m, const std::string &user,
                                  const std::string &did, const std::vector<std::string> &rkeys,
                                  VerifyTally &t) {
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
    auto r = repos.with_session(
        did, [&](std::string_view jwt) { return pds().apply_writes(jwt, input); });
    if (r) {
      t.deleted_records += static_cast<std::int64_t>(end - start);
      counted(m, "verify_delete", static_cast<std::int64_t>(end - start));
      continue;
    }
    for (std::size_t i = start; i < end; ++i) {
      Status st = repos.delete_record(did, m.nsid, rkeys[i]);
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

// Points the document at the record kept: its old key is released, the kept key claimed, and
// the record's URI and CID written back.
Status Mirror::Impl::adopt_record(const CollectionMapping &m, const Adoption &a) {
  if (a.doc->atproto.rkey && *a.doc->atproto.rkey != a.keep.rkey) {
    ACID_TRY(store.clear_content_record(m.collection, a.doc->id, *a.doc->atproto.rkey));
  }
  auto held = store.claim_content_rkey(m.collection, a.doc->id, a.keep.rkey);
  if (!held) return held.status();
  if (*held != a.keep.rkey) return Error(Code::conflict, "the document's key moved during verify");
  return store.mark_content_synced(m.collection, a.doc->id, a.keep.rkey, a.keep.uri, a.keep.cid,
                                   a.doc->version);
}

// Carries out a plan in the user's repo: surplus records deleted, stale pointers adopted, and
// documents pointing at a missing record marked for rewriting.
void Mirror::Impl::repair(const CollectionMapping &m, const std::string &user,
                          const std::string &did, const RepairPlan &plan, VerifyTally &t) {
  delete_records(m, user, did, plan.to_delete, t);
  for (const Adoption &a : plan.adopt) {
    Status st = adopt_record(m, a);
    if (!st) {
      ++t.failed;
      record_failure(m, user, a.doc->id, "adopt", st.error());
      continue;
    }
    ++t.adopted;
  }
  for (const store::ContentDoc *d : plan.rewrite) {
    Status st = store.mark_content_unsynced(m.collection, d->id);
    if (!st) {
      ++t.failed;
      record_failure(m, user, d->id, "rewrite", st.error());
      continue;
    }
    ++t.rewritten;
  }
}

Status Mirror::Impl::verify_user(const CollectionMapping &m, const std::string &user, bool fix,
                                 VerifyTally &t, SyncTally &synced) {
  ACID_ASSIGN_OR_RETURN(const std::optional<std::string> did,
                        did_or_skip(m, user, t.skipped_users));
  if (!did) return Status::ok();
  ++t.users;
  ACID_ASSIGN_OR_RETURN(auto docs, load(m, user));
  auto remote = list_repo(m, *did);
  if (!remote) {
    ++t.failed;
    record_failure(m, user, "", "list_records", remote.error());
    return Status::ok();
  }
  t.documents += static_cast<std::int64_t>(docs.size());
  t.records += static_cast<std::int64_t>(remote->size());
  const RepairPlan plan = compare_with_repo(m, user, docs, group_by_ref(m, user, *remote, t), t);
  if (!fix) return Status::ok();

  auto session_did = repos.login(owner_of(m, user), *did);
  if (!session_did) {
    ++t.failed;
    record_failure(m, user, "", "login", session_did.error());
    return Status::ok();
  }
  repair(m, user, *session_did, plan, t);
  // Missing records (and anything else pending) are written now.
  return sync_user(m, user, true, synced);
}

// The art account's repo against the guest documents, when there are any.
Status Mirror::Impl::verify_guests(const CollectionMapping &m, bool fix, VerifyTally &t,
                                   SyncTally &synced) {
  ACID_ASSIGN_OR_RETURN(auto guests, load(m, ""));
  if (guests.empty()) return Status::ok();
  return verify_user(m, "", fix, t, synced);
}

Result<VerifyCollectionReport> Mirror::Impl::verify_collection(const VerifyOptions &o,
                                                               const CollectionMapping &m) {
  VerifyCollectionReport report{std::string(m.collection), std::string(m.nsid), {}, {}};
  if (!o.user.empty()) {
    ACID_TRY(verify_user(m, o.user, o.fix, report.tally, report.synced));
    return report;
  }
  if (m.guest_repo) ACID_TRY(verify_guests(m, o.fix, report.tally, report.synced));
  std::string after;
  for (;;) {
    ACID_ASSIGN_OR_RETURN(auto users, store.content_users(m.collection, after, kUsersPage, false));
    if (users.empty()) break;
    for (const std::string &user : users) {
      after = user;
      ACID_TRY(verify_user(m, user, o.fix, report.tally, report.synced));
    }
  }
  return report;
}

Result<VerifyReport> Mirror::Impl::verify(const VerifyOptions &o) {
  reset_run();
  ACID_TRY(repos.connect());
  const std::uint64_t calls_before = repos.pds_calls();
  VerifyReport report;
  report.fix = o.fix;
  for (const CollectionMapping *m : selected(o.collections)) {
    ACID_ASSIGN_OR_RETURN(VerifyCollectionReport collection, verify_collection(o, *m));
    report.collections.push_back(std::move(collection));
  }
  report.issues = std::move(issues);
  report.issues_total = issues_total;
  report.problems = std::move(problems);
  report.pds_calls = repos.pds_calls() - calls_before;
  return report;
}

}  // namespace acid::sync
