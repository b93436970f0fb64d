// Internal to the content mirror (mirror.cpp: records and bookkeeping (repo_access.h: sessions);
// mirror_sync.cpp: the sync pass; mirror_verify.cpp: the verify pass; mirror_report.cpp: JSON).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sync/mirror.h"
#include "sync/mirror_report.h"
#include "sync/record_maker.h"
#include "sync/repo_access.h"

namespace acid::sync::mirror_detail {

inline constexpr std::size_t kBatch = 200;      // the PDS's applyWrites limit
inline constexpr std::size_t kPage = 500;       // store documents read at a time
inline constexpr std::size_t kUsersPage = 100;  // users read at a time
inline constexpr std::size_t kReportedFailures = 100;
inline constexpr std::size_t kReportedIssues = 200;

// A document and its record, ready to write.
struct Pending {
  store::ContentDoc doc;
  std::string rkey;
  std::string record;
};

struct RemoteRecord {
  std::string rkey, uri, cid;
};

// A failure that concerns the whole repo: nothing else for this user can succeed now.
bool fatal_for_user(const Error &error);

// The mappings named (all of them when `names` is empty), in mapping order.
std::vector<const CollectionMapping *> selected(const std::vector<std::string> &names);

}  // namespace acid::sync::mirror_detail

namespace acid::sync {

struct Mirror::Impl {
  using Pending = mirror_detail::Pending;
  using RemoteRecord = mirror_detail::RemoteRecord;

  explicit Impl(MirrorParts parts);

  store::ContentStore &store;
  RepoAccess repos;
  provision::Metrics &metrics;
  LogFn log;
  RecordMaker maker;

  // Per run.
  SyncProblems problems;
  std::vector<VerifyIssue> issues;
  std::int64_t issues_total = 0;

  // ---- mirror.cpp: bookkeeping, documents, accounts and records ----
  pds::XrpcClient &pds() { return repos.pds(); }
  void reset_run();
  void fail(SyncTally &t, const CollectionMapping &m, const std::string &user,
            const std::string &id, const char *op, const Error &error, std::int64_t documents = 1);
  void record_failure(const CollectionMapping &m, const std::string &user, const std::string &id,
                      const char *op, const Error &error);
  void skip(const CollectionMapping &m, const std::string &user, std::string reason);
  void issue(const CollectionMapping &m, const std::string &user, const char *kind,
             const std::string &ref, std::vector<std::string> rkeys);
  void counted(const CollectionMapping &m, const char *op, std::int64_t n = 1);
  Result<std::vector<store::ContentDoc>> load(const CollectionMapping &m, const std::string &user);
  static std::string owner_of(const CollectionMapping &m, const std::string &user);
  Result<std::optional<std::string>> account_did(const CollectionMapping &m,
                                                 const std::string &user, std::string &reason);
  Result<std::optional<std::string>> did_or_skip(const CollectionMapping &m,
                                                 const std::string &user,
                                                 std::int64_t &skipped_users);
  Result<std::string> make_record(const CollectionMapping &m, const store::ContentDoc &d,
                                  const std::string &repo);
  Status write_back(const CollectionMapping &m, const Pending &p, std::string_view uri,
                    std::string_view cid);
  Status put(const CollectionMapping &m, const std::string &did, const Pending &p);

  // ---- mirror_sync.cpp ----
  // A user's documents sorted by what their records need.
  struct NeededWrites {
    std::vector<store::ContentDoc> creates, retries, updates, removes;
    std::int64_t total() const;
  };
  NeededWrites sort_by_need(std::vector<store::ContentDoc> &docs, SyncTally &t);
  std::vector<Pending> with_records(const CollectionMapping &m, const std::string &user,
                                    const std::string &repo, std::vector<store::ContentDoc> &docs,
                                    SyncTally &t);
  void claim_fresh_keys(const CollectionMapping &m, const std::string &user,
                        const std::string &repo, std::vector<store::ContentDoc> &creates,
                        std::vector<Pending> &fresh, std::vector<Pending> &again, SyncTally &t);
  pds::ApplyWritesInput create_writes(const CollectionMapping &m, const std::string &did,
                                      std::span<const Pending> batch);
  void write_back_batch(const CollectionMapping &m, const std::string &user,
                        std::span<const Pending> batch, const pds::ApplyWritesResult &result,
                        SyncTally &t);
  bool fall_back_to_puts(const CollectionMapping &m, const std::string &user,
                         const std::string &did, std::vector<Pending> &fresh, std::size_t start,
                         std::size_t end, const Error &error, SyncTally &t);
  bool put_one_by_one(const CollectionMapping &m, const std::string &user, const std::string &did,
                      std::vector<Pending> &items, const char *op, std::int64_t &done,
                      SyncTally &t);
  bool create_batches(const CollectionMapping &m, const std::string &user, const std::string &did,
                      std::vector<Pending> &fresh, SyncTally &t);
  bool delete_removed(const CollectionMapping &m, const std::string &user, const std::string &repo,
                      const std::vector<store::ContentDoc> &removes, SyncTally &t);
  void write_needed(const CollectionMapping &m, const std::string &user, const std::string &repo,
                    NeededWrites &needed, SyncTally &t);
  Status sync_user(const CollectionMapping &m, const std::string &user, bool apply, SyncTally &t);
  void progress(const SyncOptions &o, const CollectionMapping &m, const std::string &user,
                std::int64_t users_done, const SyncTally &t);
  Result<SyncCollectionReport> sync_collection(const SyncOptions &o, const CollectionMapping &m);
  Result<SyncReport> sync(const SyncOptions &o);

  // ---- mirror_verify.cpp ----
  // What verify found to repair in one user's repo (pointers into the user's documents).
  struct Adoption {
    const store::ContentDoc *doc;
    RemoteRecord keep;
  };
  struct RepairPlan {
    std::vector<std::string> to_delete;
    std::vector<Adoption> adopt;
    std::vector<const store::ContentDoc *> rewrite;
  };
  using RecordsByRef = std::map<std::string, std::vector<RemoteRecord>>;
  Result<std::vector<std::pair<RemoteRecord, std::string>>> list_repo(const CollectionMapping &m,
                                                                      const std::string &did);
  RecordsByRef group_by_ref(const CollectionMapping &m, const std::string &user,
                            std::vector<std::pair<RemoteRecord, std::string>> &remote,
                            VerifyTally &t);
  void check_document(const CollectionMapping &m, const std::string &user,
                      const store::ContentDoc &d, std::vector<RemoteRecord> recs, RepairPlan &plan,
                      VerifyTally &t);
  RepairPlan compare_with_repo(const CollectionMapping &m, const std::string &user,
                               const std::vector<store::ContentDoc> &docs, RecordsByRef by_ref,
                               VerifyTally &t);
  void delete_records(const CollectionMapping &m, const std::string &user, const std::string &did,
                      const std::vector<std::string> &rkeys, VerifyTally &t);
  Status adopt_record(const CollectionMapping &m, const Adoption &a);
  void repair(const CollectionMapping &m, const std::string &user, const std::string &did,
              const RepairPlan &plan, VerifyTally &t);
  Status verify_user(const CollectionMapping &m, const std::string &user, bool fix, VerifyTally &t,
                     SyncTally &synced);
  Status verify_guests(const CollectionMapping &m, bool fix, VerifyTally &t, SyncTally &synced);
  Result<VerifyCollectionReport> verify_collection(const VerifyOptions &o,
                                                   const CollectionMapping &m);
  Result<VerifyReport> verify(const VerifyOptions &o);
};

}  // namespace acid::sync
