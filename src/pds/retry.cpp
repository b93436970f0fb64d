#include "pds/retry.h"

#include <algorithm>

namespace acid::pds {

std::int64_t backoff_cap_ms(const RetryPolicy &policy, int attempt) {
  const std::int64_t initial = std::max<std::int64_t>(policy.initial_backoff_ms, 0);
  const std::int64_t cap = std::max<std::int64_t>(policy.max_backoff_ms, 0);
  std::int64_t value = initial;
  for (int i = 1; i < attempt && value < cap; ++i) value *= 2;
  return std::min(value, cap);
}

RetryDecision decide_retry(const RetryPolicy &policy, int attempt, std::int64_t elapsed_ms,
                           const AttemptOutcome &outcome,
                           const std::function<std::uint64_t(std::uint64_t)> &jitter) {
  RetryDecision d;
  if (!outcome.transient) {
    d.why = RetryDecision::Why::permanent;
    return d;
  }
  if (!outcome.may_repeat) {
    d.why = RetryDecision::Why::not_repeatable;
    return d;
  }
  if (attempt >= policy.max_attempts) {
    d.why = RetryDecision::Why::attempts;
    return d;
  }
  std::int64_t delay = 0;
  if (outcome.server_delay_ms) {
    delay = std::max<std::int64_t>(*outcome.server_delay_ms, 0);
  } else {
    const std::int64_t cap = backoff_cap_ms(policy, attempt);
    const std::uint64_t drawn = jitter ? jitter(static_cast<std::uint64_t>(cap)) : 0;
    delay =
        static_cast<std::int64_t>(std::min<std::uint64_t>(drawn, static_cast<std::uint64_t>(cap)));
  }
  if (elapsed_ms + delay >= policy.total_deadline_ms) {
    d.why = RetryDecision::Why::deadline;
    d.delay_ms = delay;
    return d;
  }
  d.retry = true;
  d.delay_ms = delay;
  d.why = RetryDecision::Why::retry;
  return d;
}

}  // namespace acid::pds
