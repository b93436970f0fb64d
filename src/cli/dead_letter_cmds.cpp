// `acidentity dead-letters list|replay`: the webhook entries refused one by one.
#include <rapidjson/stringbuffer.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cli/common.h"
#include "core/json.h"

namespace acid::cli {

namespace {

struct DeadLetterArgs {
  bool all = false;
  int limit = 100;
  bool json = false;
  std::string id;
};

int list(const Context &ctx, const DeadLetterArgs &a) {
  rapidjson::StringBuffer options;
  json::Writer w(options);
  w.StartObject();
  json::member(w, "include_replayed", a.all);
  json::member(w, "limit", a.limit);
  w.EndObject();
  OwnedText reply;
  const int status = call_library(ctx, "dead-letters list", {}, [&](acid_client *client) {
    return acid_dead_letters_list(client, options.GetString(), &reply.ptr);
  });
  if (status != kExitOk) return status;
  if (a.json) return print_reply(reply);
  const auto doc = parse_reply(reply, "dead-letters list", "dead_letters");
  if (!doc || !(*doc)["dead_letters"].IsArray()) return kExitFailure;
  const auto &letters = (*doc)["dead_letters"];
  for (const auto &d : letters.GetArray()) {
    const long long deliveries = d["deliveries"].IsInt64() ? d["deliveries"].GetInt64() : 0;
    std::printf("%s  %-9s  %-13s  %s  x%lld  %s%s\n", text_member(d, "id").c_str(),
                text_member(d, "tenant").c_str(), text_member(d, "kind").c_str(),
                text_member(d, "first_seen").c_str(), deliveries, text_member(d, "reason").c_str(),
                d["replayed_at"].IsString() ? "  (replayed)" : "");
  }
  std::fprintf(stderr, "%u dead letter(s)%s; `--json` shows the entries\n", letters.Size(),
               a.all ? "" : " not yet replayed");
  return kExitOk;
}

int replay(const Context &ctx, const DeadLetterArgs &a) {
  ClientHandle client = open_client(ctx);
  if (!client) return report_failure("opening the store");
  OwnedText json;
  const int rc = acid_dead_letter_replay(client.get(), a.id.c_str(), &json.ptr);
  if (rc == ACID_ENOTFOUND) {
    std::fprintf(stderr, "acidentity: no dead letter %s\n", a.id.c_str());
    return kExitNo;
  }
  if (rc == ACID_EINVAL) {
    const acid_error *e = acid_error_last();
    std::printf("%s\n", e != nullptr && e->detail_json != nullptr ? e->detail_json : "{}");
    std::fprintf(stderr, "acidentity: dead letter %s is still refused (outcome recorded)\n",
                 a.id.c_str());
    return kExitNo;
  }
  if (rc != ACID_OK) return report_failure("dead-letters replay");
  std::printf("%s\n", json.ptr);
  return kExitOk;
}

}  // namespace

void add_dead_letter_commands(CLI::App &app, Context &ctx) {
  auto args = std::make_shared<DeadLetterArgs>();
  auto *cmd = app.add_subcommand(
      "dead-letters", "webhook entries refused one by one, kept verbatim with their reason");
  cmd->require_subcommand(1);
  auto *list_cmd = cmd->add_subcommand("list", "newest first; replayed ones only with --all");
  list_cmd->add_flag("--all", args->all, "include letters already replayed");
  list_cmd->add_option("--limit", args->limit, "at most this many (default 100)")
      ->check(CLI::Range(1, 10000));
  list_cmd->add_flag("--json", args->json, "machine-readable output, entries included");
  list_cmd->callback([&ctx, args] { ctx.exit_code = list(ctx, *args); });
  auto *replay_cmd =
      cmd->add_subcommand("replay", "apply a letter's entry again, as its stream would");
  replay_cmd->add_option("ID", args->id, "the letter's id (see list)")->required();
  replay_cmd->callback([&ctx, args] { ctx.exit_code = replay(ctx, *args); });
}

}  // namespace acid::cli
