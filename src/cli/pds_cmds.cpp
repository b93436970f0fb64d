// acidentity pds handle|describe
#include <cstdio>

#include "cli/common.h"

namespace acid::cli {

namespace {

struct PdsArgs {
  std::string handle;
  std::string code = "ac00babab";
  std::string domain = "at.aesthetic.computer";
};

int pds_handle(const PdsArgs &a) {
  OwnedText json;
  if (acid_pds_handle_choose(a.handle.c_str(), a.code.c_str(), a.domain.c_str(), &json.ptr) !=
      ACID_OK) {
    return report_failure("pds handle");
  }
  std::printf("%s\n", json.ptr);
  return kExitOk;
}

int pds_describe(Context ctx) {
  ctx.quiet = true;
  ClientHandle client = open_client(ctx);
  if (!client) return report_failure("opening the client");
  OwnedText json;
  if (acid_pds_describe(client.get(), &json.ptr) != ACID_OK) return report_failure("pds describe");
  std::printf("%s\n", json.ptr);
  return kExitOk;
}

int doctor(const Context &ctx, bool fix, bool as_json) {
  acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
  opts.store_uri = ctx.store.empty() ? nullptr : ctx.store.c_str();
  int ok = 0;
  OwnedText json;
  if (acid_doctor(&opts, fix ? 1 : 0, &ok, &json.ptr) != ACID_OK) return report_failure("doctor");
  if (as_json) return print_reply(json, ok ? kExitOk : kExitNo);
  const auto doc = parse_reply(json, "doctor", "checks");
  if (!doc) return kExitFailure;
  for (const auto &c : (*doc)["checks"].GetArray()) {
    std::printf("%-5s %-32s %s\n", c["status"].GetString(), c["name"].GetString(),
                c["message"].GetString());
  }
  std::printf("%s\n", ok ? "all checks passed" : "some checks failed");
  return ok ? kExitOk : kExitNo;
}

}  // namespace

void add_pds_commands(CLI::App &app, Context &ctx) {
  auto doctor_fix = std::make_shared<bool>(false);
  auto doctor_json = std::make_shared<bool>(false);
  auto *doc = app.add_subcommand("doctor", "check configuration, store, PDS and Auth0 set-up");
  doc->add_flag("--fix", *doctor_fix, "apply safe store changes (create missing indexes)");
  doc->add_flag("--json", *doctor_json, "machine-readable report");
  doc->callback(
      [&ctx, doctor_fix, doctor_json] { ctx.exit_code = doctor(ctx, *doctor_fix, *doctor_json); });

  auto args = std::make_shared<PdsArgs>();
  auto *pds = app.add_subcommand("pds", "the ATProto PDS");
  pds->require_subcommand(1);
  auto *handle = pds->add_subcommand("handle", "the PDS handle the rules choose for HANDLE");
  handle->add_option("HANDLE", args->handle)->required();
  handle->add_option("--code", args->code, "the user's code, for the fallback");
  handle->add_option("--domain", args->domain, "handle domain (default at.aesthetic.computer)");
  handle->callback([&ctx, args] { ctx.exit_code = pds_handle(*args); });
  auto *describe = pds->add_subcommand("describe", "describeServer of PDS_URL");
  describe->callback([&ctx] { ctx.exit_code = pds_describe(ctx); });
}

}  // namespace acid::cli
