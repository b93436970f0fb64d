// acidentity code generate|check|parse|allocate|stats
#include <cstdio>

#include "cli/common.h"

namespace acid::cli {

namespace {

struct CodeArgs {
  std::optional<std::string> gen_date;
  int gen_count = 1;
  std::string check_code;
  std::string parse_text;
  std::string alloc_date;
  int alloc_count = 1;
  std::optional<int> stats_year;
  bool stats_json = false;
};

int code_generate(const CodeArgs &a) {
  auto when = signup_time(a.gen_date);
  if (!when) return kExitUsage;
  for (int i = 0; i < a.gen_count; ++i) {
    char code[ACID_USER_CODE_SIZE];
    if (acid_user_code_generate(*when, code) != ACID_OK) return report_failure("code generate");
    std::printf("%s\n", code);
  }
  return kExitOk;
}

int code_check(const CodeArgs &a) {
  if (acid_user_code_check(a.check_code.c_str()) == ACID_OK) {
    std::printf("%s: valid\n", a.check_code.c_str());
    return kExitOk;
  }
  const acid_error *err = acid_error_last();
  if (err->code != ACID_EINVAL) return report_failure("code check");
  std::printf("%s: invalid: %s\n", a.check_code.c_str(), err->message);
  return kExitNo;
}

int code_parse(const CodeArgs &a) {
  char code[ACID_USER_CODE_SIZE];
  const int rc = acid_user_code_parse(a.parse_text.data(), a.parse_text.size(), code);
  if (rc == ACID_OK) {
    std::printf("%s\n", code);
    return kExitOk;
  }
  if (rc == ACID_ENOTFOUND) {
    std::fprintf(stderr, "no user code found\n");
    return kExitNo;
  }
  return report_failure("code parse");
}

int code_allocate(const Context &ctx, const CodeArgs &a) {
  auto when = signup_time(a.alloc_date);
  if (!when) return kExitUsage;
  ClientHandle client = open_command_client(ctx);
  if (!client) return kExitFailure;
  for (int i = 0; i < a.alloc_count; ++i) {
    char code[ACID_USER_CODE_SIZE];
    if (acid_user_code_allocate(client.get(), *when, code) != ACID_OK) {
      return report_failure("code allocate");
    }
    std::printf("%s\n", code);
  }
  std::fflush(stdout);
  return kExitOk;
}

int code_stats(const Context &ctx, const CodeArgs &a) {
  const int yy = a.stats_year ? *a.stats_year % 100 : -1;
  OwnedText json;
  const int status = call_library(ctx, "code stats", {}, [&](acid_client *client) {
    return acid_user_code_stats(client, yy, &json.ptr);
  });
  if (status != kExitOk) return status;
  if (a.stats_json) return print_reply(json);
  const auto doc = parse_reply(json, "code stats", "years");
  if (!doc) return kExitFailure;
  const auto &years = (*doc)["years"];
  std::printf("%-6s %10s %10s %8s %10s %10s\n", "year", "allocated", "legacy", "blocked",
              "remaining", "capacity");
  for (const auto &y : years.GetArray()) {
    std::printf("ac%02d   %10llu %10llu %8llu %10llu %10llu\n", y["year"].GetInt(),
                static_cast<unsigned long long>(y["allocated"].GetUint64()),
                static_cast<unsigned long long>(y["legacy"].GetUint64()),
                static_cast<unsigned long long>(y["blocked"].GetUint64()),
                static_cast<unsigned long long>(y["remaining"].GetUint64()),
                static_cast<unsigned long long>(y["capacity"].GetUint64()));
  }
  if (years.Empty()) std::printf("(no codes allocated yet)\n");
  return kExitOk;
}

}  // namespace

void add_code_commands(CLI::App &app, Context &ctx) {
  auto args = std::make_shared<CodeArgs>();
  auto *code = app.add_subcommand("code", "user codes");
  code->require_subcommand(1);

  auto *gen = code->add_subcommand("generate", "print random codes in the format (no store)");
  gen->add_option("--date", args->gen_date, "signup date YYYY-MM-DD (default: today, UTC)");
  gen->add_option("--count", args->gen_count, "how many")->check(CLI::Range(1, 1000000));
  gen->callback([&ctx, args] { ctx.exit_code = code_generate(*args); });

  auto *check = code->add_subcommand("check", "exit 0 if CODE is a valid user code, 1 if not");
  check->add_option("CODE", args->check_code)->required();
  check->callback([&ctx, args] { ctx.exit_code = code_check(*args); });

  auto *parse = code->add_subcommand("parse", "print the first user code found in TEXT");
  parse->add_option("TEXT", args->parse_text)->required();
  parse->callback([&ctx, args] { ctx.exit_code = code_parse(*args); });

  auto *alloc = code->add_subcommand("allocate", "allocate unique codes from the store");
  alloc->add_option("--date", args->alloc_date, "signup date YYYY-MM-DD")->required();
  alloc->add_option("--count", args->alloc_count, "how many")->check(CLI::Range(1, 200000));
  alloc->callback([&ctx, args] { ctx.exit_code = code_allocate(ctx, *args); });

  auto *stats = code->add_subcommand("stats", "allocated and remaining codes per year");
  stats->add_option("--year", args->stats_year, "year YYYY")->check(CLI::Range(1900, 9999));
  stats->add_flag("--json", args->stats_json, "machine-readable output");
  stats->callback([&ctx, args] { ctx.exit_code = code_stats(ctx, *args); });
}

}  // namespace acid::cli
