#include "cli/common.h"

#include <cstdio>

#include "core/time.h"

namespace acid::cli {

ClientHandle open_client(const std::string &store) {
  acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
  opts.store_uri = store.empty() ? nullptr : store.c_str();
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
