// Retry policy for transient PDS failures: exponential backoff with full jitter, a cap per wait,
// a total deadline, and the server's Retry-After / RateLimit-Reset honoured when present.
//
// Which calls the client retries by itself (RetryPolicy applies to these only):
//  - idempotent calls: describeServer, getSession, refreshSession (the PDS hands out the same new
//    pair when an old refresh token is reused inside its grace window), createSession (a spare
//    session is harmless), resolveHandle, updateHandle, putRecord, deleteRecord, listRecords,
//    getRecord, listRepos, getAccountInfo(s), deleteAccount;
//  - any call whose request provably never reached the server (connection refused, DNS failure)
//    or was refused by the rate limiter (HTTP 429: the handler did not run).
// Never retried automatically after the request was sent: createAccount (provisioning persists an
// intent and proves ownership with createSession when a retry meets "already taken"),
// createInviteCode, createRecord and applyWrites (a lost reply would turn into a duplicate).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "net/clock.h"

namespace acid::pds {

struct RetryPolicy {
  int max_attempts = 4;                     // attempts in all, the first included (1 = no retry)
  std::int64_t initial_backoff_ms = 250;    // cap of the first backoff; doubles each attempt
  std::int64_t max_backoff_ms = 10'000;     // cap of any single backoff
  std::int64_t total_deadline_ms = 30'000;  // no attempt starts, no wait ends, after this
};

// The passage of time, injectable so tests run instantly.
using RetryClock = net::Clock;

// What a failed attempt tells the policy.
struct AttemptOutcome {
  bool transient = false;   // the failure may go away
  bool may_repeat = false;  // repeating the request cannot do harm (idempotent, or not sent)
  std::optional<std::int64_t> server_delay_ms;  // Retry-After / RateLimit-Reset, when given
};

struct RetryDecision {
  bool retry = false;
  std::int64_t delay_ms = 0;
  enum class Why { retry, permanent, not_repeatable, attempts, deadline } why = Why::permanent;
};

// The upper bound of the jittered backoff before attempt `attempt` + 1 (attempt is 1-based):
// min(max_backoff_ms, initial_backoff_ms * 2^(attempt-1)).
std::int64_t backoff_cap_ms(const RetryPolicy &policy, int attempt);

// Decides after attempt `attempt` (1-based) failed, `elapsed_ms` after the first one started.
// `jitter` draws the full-jitter backoff in [0, cap]. A server-given delay replaces the backoff
// (it is waited in full, never shortened); when it would pass the deadline there is no retry and
// the caller reports the delay instead.
RetryDecision decide_retry(const RetryPolicy &policy, int attempt, std::int64_t elapsed_ms,
                           const AttemptOutcome &outcome,
                           const std::function<std::uint64_t(std::uint64_t)> &jitter);

}  // namespace acid::pds
