// acidentity sync records|verify|document, content import|delete (docs/sync.md)
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/common.h"
#include "core/json.h"

namespace acid::cli {

namespace {

struct SyncArgs {
  std::string collection = "all";
  std::string user;
  bool fix = false;
  std::string file;
  std::string id;
};

std::string options_json(const SyncArgs &a) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::member(w, "collection", a.collection.c_str());
  if (!a.user.empty()) {
    json::member(w, "user", a.user.c_str());
  }
  json::member(w, "fix", a.fix);
  w.EndObject();
  return buf.GetString();
}

void print_progress(const char *json, void *user_data) {
  if (user_data == nullptr) return;  // --quiet
  rapidjson::Document d;
  d.Parse(json);
  if (d.HasParseError() || !d.IsObject()) return;
  std::fprintf(stderr,
               "sync: %s %s: users %lld, created %lld, retried %lld, updated %lld, "
               "deleted %lld, failed %lld\n",
               d["collection"].GetString(), d["user"].GetString(),
               static_cast<long long>(d["users_done"].GetInt64()),
               static_cast<long long>(d["created"].GetInt64()),
               static_cast<long long>(d["retried"].GetInt64()),
               static_cast<long long>(d["updated"].GetInt64()),
               static_cast<long long>(d["deleted"].GetInt64()),
               static_cast<long long>(d["failed"].GetInt64()));
}

// Exit status of a report: findings (failures; for verify without --fix, issues) are "no".
int report_status(const OwnedText &report, const char *what, bool issues_count) {
  const auto d = parse_reply(report, what);
  if (!d) return kExitFailure;
  const auto count = [&](const char *name) {
    return d->HasMember(name) ? (*d)[name].GetInt64() : 0;
  };
  if (count("failures_total") > 0) return kExitNo;
  if (issues_count && count("issues_total") > 0) return kExitNo;
  return kExitOk;
}

int sync_records(const Context &ctx, const SyncArgs &a) {
  OwnedText report;
  int marker = 1;  // progress lines unless --quiet; the report says the rest
  const int status = call_library(ctx, "sync records", {}, [&](acid_client *client) {
    return acid_sync_records(client, options_json(a).c_str(), print_progress,
                             ctx.quiet ? nullptr : &marker, &report.ptr);
  });
  if (status != kExitOk) return status;
  std::printf("%s\n", report.ptr);
  if (!a.fix) std::fprintf(stderr, "sync: dry run; run again with --fix to write to the PDS\n");
  return report_status(report, "sync records", false);
}

int sync_verify(const Context &ctx, const SyncArgs &a) {
  OwnedText report;
  const int status = call_library(ctx, "sync verify", {}, [&](acid_client *client) {
    return acid_sync_verify(client, options_json(a).c_str(), &report.ptr);
  });
  if (status != kExitOk) return status;
  std::printf("%s\n", report.ptr);
  return report_status(report, "sync verify", !a.fix);
}

int content_import(const Context &ctx, const SyncArgs &a) {
  std::ostringstream body;
  if (a.file == "-") {
    body << std::cin.rdbuf();
  } else {
    std::ifstream in(a.file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "acidentity: content import: cannot read %s\n", a.file.c_str());
      return kExitFailure;
    }
    body << in.rdbuf();
  }
  ClientHandle client = open_command_client(ctx);
  if (!client) return kExitFailure;
  const std::string text = body.str();
  OwnedText report;
  const int rc = acid_content_import(client.get(), text.data(), text.size(), &report.ptr);
  if (rc == ACID_EINVAL) {
    std::fprintf(stderr, "acidentity: content import: %s (nothing was imported)\n",
                 acid_error_last()->message);
    return kExitNo;
  }
  if (rc != ACID_OK) return report_failure("content import");
  std::printf("%s\n", report.ptr);
  return kExitOk;
}

int content_delete(const Context &ctx, const SyncArgs &a) {
  const int status =
      call_library(ctx, "content delete", {ACID_EINVAL, ACID_ENOTFOUND}, [&](acid_client *client) {
        return acid_content_delete(client, a.collection.c_str(), a.id.c_str());
      });
  if (status != kExitOk) return status;
  std::printf("%s %s: marked deleted (the next sync removes its record)\n", a.collection.c_str(),
              a.id.c_str());
  return kExitOk;
}

int sync_document(const Context &ctx, const SyncArgs &a) {
  OwnedText report;
  const int status =
      call_library(ctx, "sync document", {ACID_EINVAL, ACID_ENOTFOUND}, [&](acid_client *client) {
        return acid_sync_document(client, a.collection.c_str(), a.id.c_str(), &report.ptr);
      });
  return status == kExitOk ? print_reply(report) : status;
}

}  // namespace

void add_sync_commands(CLI::App &app, Context &ctx) {
  auto args = std::make_shared<SyncArgs>();
  auto *sync = app.add_subcommand("sync", "mirror content records into each person's PDS repo");
  sync->require_subcommand(1);
  auto *records = sync->add_subcommand(
      "records", "create, update and delete records (dry run unless --fix); resumable");
  auto *verify = sync->add_subcommand(
      "verify", "compare repos with the store: missing, extra, duplicate records (--fix repairs)");
  for (CLI::App *cmd : {records, verify}) {
    cmd->add_option("--collection", args->collection,
                    "moods, paintings, kidlisp, tapes, pieces or all (default)")
        ->check(CLI::IsMember({"moods", "paintings", "kidlisp", "tapes", "pieces", "all"}));
    cmd->add_option("--user", args->user, "only this person (sub)");
  }
  records->add_flag("--fix", args->fix, "write to the PDS (default: dry run)");
  verify->add_flag("--fix", args->fix, "repair what is found");
  auto *document = sync->add_subcommand(
      "document", "mirror one document now (create, update or delete by its current state)");
  document->add_option("COLLECTION", args->collection)->required();
  document->add_option("ID", args->id)->required();
  document->callback([&ctx, args] { ctx.exit_code = sync_document(ctx, *args); });
  records->callback([&ctx, args] { ctx.exit_code = sync_records(ctx, *args); });
  verify->callback([&ctx, args] { ctx.exit_code = sync_verify(ctx, *args); });

  auto *content =
      app.add_subcommand("content", "source documents (moods, paintings, kidlisp, tapes, pieces)");
  content->require_subcommand(1);
  auto *import = content->add_subcommand(
      "import", "insert or update documents by _id from JSON lines (FILE, or - for stdin)");
  import->add_option("FILE", args->file)->required();
  import->callback([&ctx, args] { ctx.exit_code = content_import(ctx, *args);
});
auto *del = content->add_subcommand("delete", "mark one document deleted");
del->add_option("COLLECTION", args->collection)->required();
del->add_option("ID", args->id)->required();
del->callback([&ctx, args] { ctx.exit_code = content_delete(ctx, *args); });
}  // namespace acid::cli

}  // namespace acid::cli
