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

}  // namespace

void add_pds_commands(CLI::App &app, Context &ctx) {
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
