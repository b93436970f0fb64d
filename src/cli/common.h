// Helpers shared by the CLI's commands: exit codes, error reporting, client handles.
#pragma once

#include <rapidjson/document.h>
#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
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

// What every command shares: the global options and the exit status the command chose.
struct Context {
  std::string store;
  bool quiet = false;  // no structured log lines on stderr
  int exit_code = kExitOk;
};

// Opens a client on the context's store (empty: the library's default), with log lines and
// alerts printed to stderr. Null on failure (see acid_error_last).
ClientHandle open_client(const Context &ctx);

// Prints "acidentity: WHAT: message (ACID_E...)" for the thread's last error; returns
// kExitFailure.
int report_failure(const char *what);

// A one-shot command's client: no log lines (alerts still reach stderr). Null, with the failure
// reported, when the store cannot be opened.
ClientHandle open_command_client(const Context &ctx);

// The exit status of a command's library call: kExitOk for ACID_OK; kExitNo, printing
// "acidentity: WHAT: message", when `rc` is one of `refusals` (the answer is no: bad input, not
// found, taken); otherwise kExitFailure, reported as report_failure(what) does.
int call_status(int rc, std::initializer_list<int> refusals, const char *what);

// One library call of a one-shot command: opens the command's client (open_command_client),
// makes `call` with it, and returns the exit status as call_status gives it.
int call_library(const Context &ctx, const char *what, std::initializer_list<int> refusals,
                 const std::function<int(acid_client *client)> &call);

// Milliseconds since the epoch for "YYYY-MM-DD" (midnight UTC), or now when absent. Prints the
// problem and returns nullopt when the date is malformed.
std::optional<std::int64_t> signup_time(const std::optional<std::string> &date);

// A library-allocated string, freed on scope exit.
struct OwnedText {
  char *ptr = nullptr;
  OwnedText() = default;
  OwnedText(const OwnedText &) = delete;
  OwnedText &operator=(const OwnedText &) = delete;
  ~OwnedText() { acid_free(ptr); }
  std::string str() const { return ptr ? std::string(ptr) : std::string(); }
};

// The library's JSON reply, parsed: nullopt, with "acidentity: WHAT: malformed reply from the
// library" printed, when it is not a JSON object (holding `member`, when one is named).
std::optional<rapidjson::Document> parse_reply(const OwnedText &reply, const char *what,
                                               const char *member = nullptr);

// Prints the library's reply as it came, on one line (--json), and returns `exit_code`.
int print_reply(const OwnedText &reply, int exit_code = kExitOk);

// A string member of a reply object, or "-" when it is absent or not a string.
std::string text_member(const rapidjson::Value &object, const char *name);

void add_code_commands(CLI::App &app, Context &ctx);
void add_user_commands(CLI::App &app, Context &ctx);
void add_pds_commands(CLI::App &app, Context &ctx);
void add_serve_commands(CLI::App &app, Context &ctx);
void add_audit_commands(CLI::App &app, Context &ctx);
void add_sync_commands(CLI::App &app, Context &ctx);
// After add_user_commands: it adds `user credentials` to the `user` command.
void add_credentials_commands(CLI::App &app, Context &ctx);
void add_dead_letter_commands(CLI::App &app, Context &ctx);

}  // namespace acid::cli
