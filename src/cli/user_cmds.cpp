// acidentity ingest | work | user show|retry|delete|set-handle
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/common.h"

namespace acid::cli {

namespace {

struct UserArgs {
  std::string file;
  std::string tenant = "aesthetic";
  bool until_idle = false;
  int max_jobs = 1000;
  std::string sub;
  std::string handle;
  bool json = false;
};

std::optional<acid_tenant> parse_tenant(const std::string &name) {
  if (name == "aesthetic") return ACID_TENANT_AESTHETIC;
  if (name == "sotce") return ACID_TENANT_SOTCE;
  return std::nullopt;
}

int ingest(const Context &ctx, const UserArgs &a) {
  const auto tenant = parse_tenant(a.tenant);
  if (!tenant) {
    std::fprintf(stderr, "acidentity: ingest: --tenant must be aesthetic or sotce\n");
    return kExitUsage;
  }
  std::ifstream in(a.file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "acidentity: ingest: cannot read %s\n", a.file.c_str());
    return kExitFailure;
  }
  std::ostringstream body;
  body << in.rdbuf();
  // The same rules as the endpoint, token included: the file is processed as if Auth0 had
  // posted it with the configured token.
  const char *token_var =
      *tenant == ACID_TENANT_SOTCE ? "SOTCE_AUTH0_LOG_TOKEN" : "AUTH0_LOG_TOKEN";
  const char *token = std::getenv(token_var);
  ClientHandle client = open_client(ctx);
  if (!client) return report_failure("opening the store");
  int status = 0;
  OwnedText reply;
  const std::string text = body.str();
  if (acid_handle_log_stream(client.get(), *tenant, token, text.data(), text.size(), &status,
                             &reply.ptr) != ACID_OK) {
    return report_failure("ingest");
  }
  std::printf("%d %s\n", status, reply.ptr);
  if (status == 503 && token == nullptr) {
    std::fprintf(stderr, "acidentity: ingest: set %s (the endpoint refuses without it)\n",
                 token_var);
  }
  return status == 200 ? kExitOk : kExitFailure;
}

int work(const Context &ctx, const UserArgs &a) {
  ClientHandle client = open_client(ctx);
  if (!client) return report_failure("opening the store");
  int total = 0;
  for (;;) {
    OwnedText summary;
    const int batch = std::min(a.max_jobs - total, 50);
    if (batch <= 0) break;
    if (acid_run_jobs(client.get(), 60'000, batch, &summary.ptr) != ACID_OK) {
      return report_failure("work");
    }
    const auto doc = parse_reply(summary, "work", "ran");
    if (!doc) return kExitFailure;
    const int ran = (*doc)["ran"].GetInt();
    total += ran;
    std::printf("%s\n", summary.ptr);
    std::fflush(stdout);
    if (ran == 0) {
      if (a.until_idle) break;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  return kExitOk;
}

int user_show(const Context &ctx, const UserArgs &a) {
  ClientHandle client = open_command_client(ctx);
  if (!client) return kExitFailure;
  OwnedText json;
  const int rc = acid_user_get(client.get(), a.sub.c_str(), &json.ptr);
  if (rc == ACID_ENOTFOUND) {
    std::fprintf(stderr, "acidentity: no user %s\n", a.sub.c_str());
    return kExitNo;
  }
  if (rc != ACID_OK) return report_failure("user show");
  if (a.json) return print_reply(json);
  const auto doc = parse_reply(json, "user show");
  if (!doc) return kExitFailure;
  auto field = [&](const char *name) -> std::string {
    if (!doc->HasMember(name) || (*doc)[name].IsNull()) return "-";
    const auto &v = (*doc)[name];
    if (v.IsString()) return v.GetString();
    if (v.IsBool()) return v.GetBool() ? "yes" : "no";
    if (v.IsInt64()) return std::to_string(v.GetInt64());
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    return buf.GetString();
  };
  for (const char *name : {"sub", "code", "verifications", "email_verified", "handle", "state",
                           "did", "pds_handle", "credentials", "attempts", "last_error"}) {
    std::printf("%-15s %s\n", name, field(name).c_str());
  }
  return kExitOk;
}

int user_retry(const Context &ctx, const UserArgs &a) {
  const int status = call_library(ctx, "user retry", {}, [&](acid_client *client) {
    return acid_user_retry(client, a.sub.c_str());
  });
  if (status != kExitOk) return status;
  std::printf("%s: retry scheduled\n", a.sub.c_str());
  return kExitOk;
}

int user_set_handle(const Context &ctx, const UserArgs &a) {
  const int status =
      call_library(ctx, "user set-handle", {ACID_EINVAL, ACID_ECONFLICT}, [&](acid_client *client) {
        return acid_handle_changed(client, a.sub.c_str(), a.handle.c_str());
      });
  if (status != kExitOk) return status;
  std::printf("%s: handle %s\n", a.sub.c_str(), a.handle.c_str());
  return kExitOk;
}

int user_delete(const Context &ctx, const UserArgs &a) {
  const int status = call_library(ctx, "user delete", {}, [&](acid_client *client) {
    return acid_user_delete(client, a.sub.c_str());
  });
  if (status != kExitOk) return status;
  std::printf(
      "%s: deleted (the PDS account is deleted by the next `acidentity work`; the code "
      "is kept)\n",
      a.sub.c_str());
  return kExitOk;
}

}  // namespace

void add_user_commands(CLI::App &app, Context &ctx) {
  auto args = std::make_shared<UserArgs>();
  auto *ingest_cmd = app.add_subcommand("ingest", "process an Auth0 log-stream payload file");
  ingest_cmd->add_option("FILE", args->file)->required();
  ingest_cmd->add_option("--tenant", args->tenant, "aesthetic (default) or sotce");
  ingest_cmd->callback([&ctx, args] { ctx.exit_code = ingest(ctx, *args); });

  auto *work_cmd = app.add_subcommand("work", "run provisioning jobs");
  work_cmd->add_flag("--until-idle", args->until_idle, "stop when no job is due");
  work_cmd->add_option("--max-jobs", args->max_jobs, "stop after this many jobs")
      ->check(CLI::Range(1, 100000000));
  work_cmd->callback([&ctx, args] { ctx.exit_code = work(ctx, *args); });

  auto *user = app.add_subcommand("user", "one person's record");
  user->require_subcommand(1);
  auto *show = user->add_subcommand("show", "code, verification, state, DID, PDS handle, error");
  show->add_option("SUB", args->sub)->required();
  show->add_flag("--json", args->json, "machine-readable output");
  show->callback([&ctx, args] { ctx.exit_code = user_show(ctx, *args); });
  auto *retry = user->add_subcommand("retry", "move a failed user back to pending");
  retry->add_option("SUB", args->sub)->required();
  retry->callback([&ctx, args] { ctx.exit_code = user_retry(ctx, *args); });
  auto *remove = user->add_subcommand("delete", "delete the person (PDS account too; code kept)");
  remove->add_option("SUB", args->sub)->required();
  remove->callback([&ctx, args] { ctx.exit_code = user_delete(ctx, *args); });
  auto *set_handle =
      user->add_subcommand("set-handle", "record the person's AC handle; their PDS handle follows");
  set_handle->add_option("SUB", args->sub)->required();
  set_handle->add_option("HANDLE", args->handle)->required();
  set_handle->callback([&ctx, args] { ctx.exit_code = user_set_handle(ctx, *args); });
}

}  // namespace acid::cli
