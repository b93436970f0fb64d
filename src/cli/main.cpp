// The acidentity command-line tool. It sits above the C ABI like any other user of the library:
// everything it does goes through acidentity.h.
#include <rapidjson/document.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "acidentity/acidentity.h"
#include "cli/common.h"

namespace acid::cli {

namespace {

int code_generate(const std::optional<std::string> &date, int count) {
  auto when = signup_time(date);
  if (!when) return kExitUsage;
  for (int i = 0; i < count; ++i) {
    char code[ACID_USER_CODE_SIZE];
    if (acid_user_code_generate(*when, code) != ACID_OK) return report_failure("code generate");
    std::printf("%s\n", code);
  }
  return kExitOk;
}

int code_check(const std::string &code) {
  if (acid_user_code_check(code.c_str()) == ACID_OK) {
    std::printf("%s: valid\n", code.c_str());
    return kExitOk;
  }
  const acid_error *err = acid_error_last();
  if (err->code != ACID_EINVAL) return report_failure("code check");
  std::printf("%s: invalid: %s\n", code.c_str(), err->message);
  return kExitNo;
}

int code_parse(const std::string &text) {
  char code[ACID_USER_CODE_SIZE];
  const int rc = acid_user_code_parse(text.data(), text.size(), code);
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

int code_allocate(const std::string &store, const std::string &date, int count) {
  auto when = signup_time(date);
  if (!when) return kExitUsage;
  ClientHandle client = open_client(store);
  if (!client) return report_failure("opening the store");
  for (int i = 0; i < count; ++i) {
    char code[ACID_USER_CODE_SIZE];
    if (acid_user_code_allocate(client.get(), *when, code) != ACID_OK) {
      return report_failure("code allocate");
    }
    std::printf("%s\n", code);
  }
  std::fflush(stdout);
  return kExitOk;
}

int code_stats(const std::string &store, std::optional<int> year, bool as_json) {
  ClientHandle client = open_client(store);
  if (!client) return report_failure("opening the store");
  char *json = nullptr;
  const int yy = year ? *year % 100 : -1;
  if (acid_user_code_stats(client.get(), yy, &json) != ACID_OK) {
    return report_failure("code stats");
  }
  const std::string text(json);
  acid_free(json);
  if (as_json) {
    std::printf("%s\n", text.c_str());
    return kExitOk;
  }
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("years")) {
    std::fprintf(stderr, "acidentity: code stats: the library returned malformed JSON\n");
    return kExitFailure;
  }
  std::printf("%-6s %10s %10s %8s %10s %10s\n", "year", "allocated", "legacy", "blocked",
              "remaining", "capacity");
  for (const auto &y : doc["years"].GetArray()) {
    std::printf("ac%02d   %10llu %10llu %8llu %10llu %10llu\n", y["year"].GetInt(),
                static_cast<unsigned long long>(y["allocated"].GetUint64()),
                static_cast<unsigned long long>(y["legacy"].GetUint64()),
                static_cast<unsigned long long>(y["blocked"].GetUint64()),
                static_cast<unsigned long long>(y["remaining"].GetUint64()),
                static_cast<unsigned long long>(y["capacity"].GetUint64()));
  }
  if (doc["years"].GetArray().Empty()) std::printf("(no codes allocated yet)\n");
  return kExitOk;
}

}  // namespace

int run(int argc, char **argv) {
  CLI::App app{"acidentity: user codes, account provisioning and ATProto PDS sync"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(acid_version(nullptr, nullptr, nullptr)));
  std::string store;
  app.add_option("--store", store,
                 "store URI: sqlite:PATH or mongodb://... (default: $ACID_STORE "
                 "or sqlite:acidentity.db)");

  auto *code = app.add_subcommand("code", "user codes");
  code->require_subcommand(1);

  std::optional<std::string> gen_date;
  int gen_count = 1;
  auto *gen = code->add_subcommand("generate", "print random codes in the format (no store)");
  gen->add_option("--date", gen_date, "signup date YYYY-MM-DD (default: today, UTC)");
  gen->add_option("--count", gen_count, "how many")->check(CLI::Range(1, 1000000));

  std::string check_code;
  auto *check = code->add_subcommand("check", "exit 0 if CODE is a valid user code, 1 if not");
  check->add_option("CODE", check_code)->required();

  std::string parse_text;
  auto *parse = code->add_subcommand("parse", "print the first user code found in TEXT");
  parse->add_option("TEXT", parse_text)->required();

  std::string alloc_date;
  int alloc_count = 1;
  auto *alloc = code->add_subcommand("allocate", "allocate unique codes from the store");
  alloc->add_option("--date", alloc_date, "signup date YYYY-MM-DD")->required();
  alloc->add_option("--count", alloc_count, "how many")->check(CLI::Range(1, 200000));

  std::optional<int> stats_year;
  bool stats_json = false;
  auto *stats = code->add_subcommand("stats", "allocated and remaining codes per year");
  stats->add_option("--year", stats_year, "year YYYY")->check(CLI::Range(1900, 9999));
  stats->add_flag("--json", stats_json, "machine-readable output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  if (gen->parsed()) return code_generate(gen_date, gen_count);
  if (check->parsed()) return code_check(check_code);
  if (parse->parsed()) return code_parse(parse_text);
  if (alloc->parsed()) return code_allocate(store, alloc_date, alloc_count);
  if (stats->parsed()) return code_stats(store, stats_year, stats_json);
  std::cerr << app.help();
  return kExitUsage;
}

}  // namespace acid::cli

int main(int argc, char **argv) {
  try {
    return acid::cli::run(argc, argv);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "acidentity: internal error: %s\n", e.what());
    return acid::cli::kExitFailure;
  }
}
