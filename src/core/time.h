// Civil-time helpers, always UTC: user codes take the UTC signup year.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace acid {

using UnixMillis = std::int64_t;

// Milliseconds since the epoch, from the system clock.
UnixMillis now_unix_ms();

// The UTC calendar year of an instant (e.g. 2025).
int utc_year(UnixMillis t);

// Parses "YYYY-MM-DD" (midnight UTC) or an RFC 3339 / ISO 8601 timestamp
// ("2025-10-14T08:30:00Z", "...00.123Z", "...+02:00"). Anything else is Code::invalid.
Result<UnixMillis> parse_timestamp(std::string_view text);

// "2025-10-14T08:30:00.123Z"
std::string format_iso8601(UnixMillis t);

}  // namespace acid
