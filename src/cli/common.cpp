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

ClientHandle open_command_client(const Context &ctx) {
  Context quiet = ctx;
  quiet.quiet = true;
  ClientHandle client = open_client(quiet);
  if (!client) report_failure("opening the store");
  return client;
}

int call_status(int rc, std::initializer_list<int> refusals, const char *what) {
  if (rc == ACID_OK) return kExitOk;
  for (const int refusal : refusals) {
    if (rc == refusal) {
      std::fprintf(stderr, "acidentity: %s: %s\n", what, acid_error_last()->message);
      return kExitNo;
    }
  }
  return report_failure(what);
}

int call_library(const Context &ctx, const char *what, std::initializer_list<int> refusals,
                 const std::function<int(acid_client *client)> &call) {
  ClientHandle client = open_command_client(ctx);
  if (!client) return kExitFailure;
  return call_status(call(client.get()), refusals, what);
}

std::optional<rapidjson::Document> parse_reply(const OwnedText &reply, const char *what,
                                               const char *member) {
  rapidjson::Document doc;
  doc.Parse(reply.ptr == nullptr ? "" : reply.ptr);
  if (doc.HasParseError() || !doc.IsObject() || (member != nullptr && !doc.HasMember(member))) {
    std::fprintf(stderr, "acidentity: %s: malformed reply from the library\n", what);
    return std::nullopt;
  }
  return doc;
}

int print_reply(const OwnedText &reply, int exit_code) {
  std::printf("%s\n", reply.ptr);
  return exit_code;
}

std::string text_member(const rapidjson::Value &object, const char *name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return "-";
  return std::string(it->value.GetString(), it->value.GetStringLength());
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
