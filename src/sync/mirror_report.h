// What a content sync or verify pass did, as types, and the one place each is written as JSON
// (docs/sync.md describes the reports field by field).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace acid::sync {

// Counts of one collection's sync pass (or of the sync that follows a verify --fix).
struct SyncTally {
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

// Counts of one collection's verify pass.
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

struct SyncFailure {
  std::string collection, user, id, op;  // id empty: the failure concerns no single document
  Error error;
};

struct SyncSkip {
  std::string collection, user, reason;
};

struct VerifyIssue {
  std::string collection, user, kind, ref;  // kind: missing|extra|duplicate|unreferenced|...
  std::vector<std::string> rkeys;
};

// What went wrong in a pass: the first entries of each kind, and how many there were in all.
struct SyncProblems {
  std::vector<SyncSkip> skipped;
  std::vector<SyncFailure> failures;
  std::int64_t failures_total = 0;
};

struct SyncCollectionReport {
  std::string collection, nsid;
  std::string resumed_after;  // the user a resumed pass started after; empty: from the start
  SyncTally tally;
};

struct SyncReport {
  bool dry_run = true;
  std::vector<SyncCollectionReport> collections;
  SyncProblems problems;
  std::uint64_t pds_calls = 0;
};

struct VerifyCollectionReport {
  std::string collection, nsid;
  VerifyTally tally;
  SyncTally synced;  // the sync that followed the repairs (fix only)
};

struct VerifyReport {
  bool fix = false;
  std::vector<VerifyCollectionReport> collections;
  std::vector<VerifyIssue> issues;
  std::int64_t issues_total = 0;
  SyncProblems problems;
  std::uint64_t pds_calls = 0;
};

// One progress line of a sync: the counts so far after `users_done` users of a collection.
struct SyncProgress {
  std::string_view collection, user;
  std::int64_t users_done = 0;
  const SyncTally *tally = nullptr;
};

std::string to_json(const SyncReport &report);
std::string to_json(const VerifyReport &report);
std::string to_json(const SyncProgress &progress);

// The extra fields of the mirror's log lines (sync_failure, sync_batch_fallback, sync_records).
std::string failure_log_json(const SyncFailure &failure);
std::string batch_fallback_log_json(std::string_view collection, std::int64_t documents,
                                    const Error &error);
std::string records_log_json(std::string_view collection, const SyncTally &tally);

}  // namespace acid::sync
