// Helpers shared by the CLI's commands: exit codes, error reporting, client handles.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "acidentity/acidentity.h"

namespace acid::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNo = 1;       // the answer is "no" (invalid code, none found, findings)
inline constexpr int kExitFailure = 2;  // the command itself could not run
inline constexpr int kExitUsage = 64;   // bad command line (sysexits EX_USAGE)

struct ClientDeleter {
  void operator()(acid_client *c) const { acid_client_destroy(c); }
};
using ClientHandle = std::unique_ptr<acid_client, ClientDeleter>;

// Opens a client on `store` (empty: the library's default). Null on failure (see acid_error_last).
ClientHandle open_client(const std::string &store);

// Prints "acidentity: WHAT: message" for the thread's last error and returns the exit status
// that fits it (kExitNo for exhaustion-type refusals is not used: any failure is kExitFailure).
int report_failure(const char *what);

// Milliseconds since the epoch for "YYYY-MM-DD" (midnight UTC), or now when absent. Prints the
// problem and returns nullopt when the date is malformed.
std::optional<std::int64_t> signup_time(const std::optional<std::string> &date);

}  // namespace acid::cli
