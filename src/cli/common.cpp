#include "cli/common.h"

#include <cstdio>
#include <string>

#include "cli/json_line.h"
#include "core/time.h"

namespace acid::cli {

namespace {

// Lines arrive already redacted by the library; each is written with one call, so lines from
// several threads never interleave.
void print_line(const char *json, void *) {
  const std::string line = std::string(json) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}
void print_alert(const char *json, void *) {
  JsonLine line("alert");
  line.json("alert", json);
  write_line(nullptr, line);
}

}  // namespace

ClientHandle open_client(const Context &ctx) {
  acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
  opts.store_uri = ctx.store.empty() ? nullptr : ctx.store.c_str();
  if (!ctx.quiet) opts.log = print_line;
  opts.alert = print_alert;
  acid_client *client = nullptr;
  if (acid_client_create(&client, &opts) != ACID_OK) return ClientHandle();
  return ClientHandle(client);
}

int report_failure(const char *what) {
  const acid_error *err = acid_error_last();
  std::fprintf(stderr, "acidentity: %s: %s (%s)\n", what, err->message,
               acid_status_name(err->code));
  return kExitFailure;
}

std::optional<std::int64_t> signup_time(const std::optional<std::string> &date) {
  if (!date) return now_unix_ms();
  auto parsed = parse_timestamp(*date);
  if (!parsed) {
    std::fprintf(stderr, "acidentity: --date: %s\n", parsed.error().message.c_str());
    return std::nullopt;
  }
  return *parsed;
}

}  // namespace acid::cli
