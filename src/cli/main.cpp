// The acidentity command-line tool. It sits above the C ABI like any other user of the library:
// everything it does goes through acidentity.h.
#include <cstdio>
#include <iostream>

#include "cli/common.h"

int main(int argc, char **argv) {
  using namespace acid::cli;
  try {
    CLI::App app{"acidentity: user codes, account provisioning and ATProto PDS sync"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string(acid_version(nullptr, nullptr, nullptr)));
    Context ctx;
    app.add_option("--store", ctx.store,
                   "store URI: sqlite:PATH or mongodb://... (default: $ACID_STORE or "
                   "sqlite:acidentity.db)");
    app.add_flag("--quiet", ctx.quiet, "no structured log lines on stderr");
    add_code_commands(app, ctx);
    add_user_commands(app, ctx);
    add_pds_commands(app, ctx);
    add_serve_commands(app, ctx);
    add_audit_commands(app, ctx);
    add_sync_commands(app, ctx);
    add_credentials_commands(app, ctx);
    add_dead_letter_commands(app, ctx);
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
      return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    return ctx.exit_code;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "acidentity: internal error: %s\n", e.what());
    return kExitFailure;
  }
}
