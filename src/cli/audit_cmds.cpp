// `acidentity audit` and `acidentity backfill` (docs/audit.md), over acid_audit / acid_backfill.
#include <rapidjson/stringbuffer.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/common.h"
#include "core/json.h"

namespace acid::cli {

namespace {

struct ScopeArgs {
  std::optional<int> limit;
  bool all = false;
  std::optional<std::string> user;
  std::string tenant = "all";
  bool deep = false;
  bool json = false;
  std::vector<std::string> ignore_dids;
  // backfill
  bool fix = false;
  int concurrency = 4;
  bool delete_orphans = false;
  int budget_s = 600;
};

// The options JSON of acid_audit / acid_backfill (read by the library's one parser, which
// checks every value); nullopt (after a message) on a usage error.
std::optional<std::string> options_json(const ScopeArgs &a, bool backfill) {
  const int scopes = (a.limit ? 1 : 0) + (a.all ? 1 : 0) + (a.user ? 1 : 0);
  if (scopes != 1) {
    std::fprintf(stderr, "acidentity: give exactly one scope: --limit N, --all or --user SUB\n");
    return std::nullopt;
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  if (a.limit) json::member(w, "limit", *a.limit);
  if (a.all) json::member(w, "all", true);
  if (a.user) json::member(w, "user", *a.user);
  json::member(w, "tenant", a.tenant);
  json::member(w, "deep", a.deep);
  if (!a.ignore_dids.empty()) {
    w.Key("ignore_dids");
    w.StartArray();
    for (const std::string &did : a.ignore_dids) {
      w.String(did.data(), static_cast<rapidjson::SizeType>(did.size()));
    }
    w.EndArray();
  }
  if (backfill) {
    json::member(w, "fix", a.fix);
    json::member(w, "concurrency", a.concurrency);
    json::member(w, "delete_orphans", a.delete_orphans);
    json::member(w, "budget_ms", static_cast<std::int64_t>(a.budget_s) * 1000);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// The user a finding or planned action is about: its sub, or the DID of an orphan.
std::string who(const rapidjson::Value &entry) {
  return entry["sub"].IsString() ? entry["sub"].GetString() : text_member(entry, "did");
}

// Summary lines: one per finding kind that occurred, then the total.
void print_summary(const rapidjson::Value &audit) {
  std::uint64_t total = 0;
  for (const auto &m : audit["summary"].GetObject()) {
    if (m.value.GetUint64() == 0) continue;
    std::printf("  %-26s %llu\n", m.name.GetString(),
                static_cast<unsigned long long>(m.value.GetUint64()));
    total += m.value.GetUint64();
  }
  const auto &stats = audit["stats"];
  std::printf(
      "%llu finding(s); %llu user(s) checked, %llu PDS account(s) listed, %llu DID(s) "
      "looked up, %llu login(s) in %.2f s\n",
      static_cast<unsigned long long>(total),
      static_cast<unsigned long long>(stats["users_checked"].GetUint64()),
      static_cast<unsigned long long>(stats["pds_accounts"].GetUint64()),
      static_cast<unsigned long long>(stats["pds_dids_checked"].GetUint64()),
      static_cast<unsigned long long>(stats["sessions_checked"].GetUint64()),
      stats["seconds"].GetDouble());
  if (audit.HasMember("service_accounts")) {
    for (const auto &a : audit["service_accounts"].GetArray()) {
      std::printf("service account (not audited): %s %s: %s\n", text_member(a, "sub").c_str(),
                  text_member(a, "did").c_str(), text_member(a, "reason").c_str());
    }
  }
  for (const auto &n : audit["notes"].GetArray()) std::printf("note: %s\n", n.GetString());
}

int audit_command(const Context &ctx, const ScopeArgs &args) {
  auto opts = options_json(args, false);
  if (!opts) return kExitUsage;
  ClientHandle client = open_client(ctx);
  if (!client) return report_failure("audit");
  OwnedText report;
  if (acid_audit(client.get(), opts->c_str(), &report.ptr) != ACID_OK) {
    return report_failure("audit");
  }
  const auto doc = parse_reply(report, "audit", "findings");
  if (!doc) return kExitFailure;
  const bool clean = (*doc)["clean"].GetBool();
  if (args.json) return print_reply(report, clean ? kExitOk : kExitNo);
  if (!clean) {
    std::printf("%-24s %-40s %-20s %s\n", "KIND", "USER / DID", "ACTION", "EVIDENCE");
    for (const auto &f : (*doc)["findings"].GetArray()) {
      std::printf("%-24s %-40s %-20s %s\n", f["kind"].GetString(), who(f).c_str(),
                  f["action"].GetString(), f["evidence"].GetString());
    }
  }
  print_summary(*doc);
  return clean ? kExitOk : kExitNo;
}

// Progress: a bar with rate and ETA on a terminal, a plain line every few seconds otherwise.
struct ProgressPrinter {
  bool tty = false;
  std::chrono::steady_clock::time_point last{};
  std::string last_phase;
  bool bar_open = false;

  static void on_progress(const char *json, void *user_data) {
    static_cast<ProgressPrinter *>(user_data)->print(json);
  }

  void print(const char *json) {
    rapidjson::Document d;
    d.Parse(json);
    if (d.HasParseError() || !d.IsObject()) return;
    const std::string phase = d["phase"].GetString();
    const double done = static_cast<double>(d["done"].GetUint64());
    const double total = static_cast<double>(d["total"].GetUint64());
    const double elapsed = d["elapsed_s"].GetDouble();
    const auto failed = d["failed"].GetUint64();
    const auto now = std::chrono::steady_clock::now();
    const bool changed = phase != last_phase;
    if (!tty && !changed && now - last < std::chrono::seconds(2) && done < total) return;
    last = now;
    last_phase = phase;
    const double rate = elapsed > 0 ? done / elapsed : 0;
    const double eta = rate > 0 && total > done ? (total - done) / rate : 0;
    if (tty) {
      const int width = 30;
      const int filled = total > 0 ? static_cast<int>(width * std::min(1.0, done / total)) : 0;
      std::string bar(static_cast<std::size_t>(filled), '#');
      bar.append(static_cast<std::size_t>(width - filled), '-');
      std::fprintf(stderr, "\r%-7s [%s] %.0f/%.0f  %.1f/s  ETA %.0fs  failed %llu   ",
                   phase.c_str(), bar.c_str(), done, total, rate, eta,
                   static_cast<unsigned long long>(failed));
      bar_open = true;
      if (phase == "done") {
        std::fprintf(stderr, "\n");
        bar_open = false;
      }
    } else {
      std::fprintf(stderr, "backfill: %s %.0f/%.0f (%.1f/s, eta %.0fs, failed %llu)\n",
                   phase.c_str(), done, total, rate, eta, static_cast<unsigned long long>(failed));
    }
    std::fflush(stderr);
  }
};

int backfill_command(const Context &ctx, const ScopeArgs &args) {
  auto opts = options_json(args, true);
  if (!opts) return kExitUsage;
  ClientHandle client = open_client(ctx);
  if (!client) return report_failure("backfill");
  if (args.fix && args.delete_orphans) {
    // Orphans are printed before anything is deleted (the fix run's own audit decides again).
    ScopeArgs dry = args;
    dry.fix = false;
    auto dry_opts = options_json(dry, true);
    OwnedText plan;
    if (!dry_opts ||
        acid_backfill(client.get(), dry_opts->c_str(), nullptr, nullptr, &plan.ptr) != ACID_OK) {
      return report_failure("backfill (listing orphans)");
    }
    const auto d = parse_reply(plan, "backfill", "plan");
    if (!d) return kExitFailure;
    std::size_t orphans = 0;
    for (const auto &p : (*d)["plan"].GetArray()) {
      if (std::string(p["action"].GetString()) != "delete_orphan") continue;
      std::printf("orphan to delete: %s  %s\n", text_member(p, "did").c_str(),
                  p["evidence"].GetString());
      ++orphans;
    }
    std::printf("%zu orphan PDS account(s) will be deleted\n", orphans);
    std::fflush(stdout);
  }
  ProgressPrinter printer;
  printer.tty = isatty(STDERR_FILENO) == 1;
  OwnedText report;
  const int rc = acid_backfill(client.get(), opts->c_str(), &ProgressPrinter::on_progress, &printer,
                               &report.ptr);
  if (printer.bar_open) std::fprintf(stderr, "\n");
  if (rc != ACID_OK) return report_failure("backfill");
  const auto reply = parse_reply(report, "backfill", "plan");
  if (!reply) return kExitFailure;
  const rapidjson::Document &doc = *reply;
  const auto &totals = doc["totals"];
  const bool dry = doc["dry_run"].GetBool();
  const std::uint64_t failed = totals["failed"].GetUint64();
  const std::uint64_t planned = totals["planned"].GetUint64();
  const bool after_clean = !dry && doc["after"].IsObject() && doc["after"]["clean"].GetBool();
  const int exit_code =
      dry ? (planned == 0 ? kExitOk : kExitNo) : (failed == 0 && after_clean ? kExitOk : kExitNo);
  if (args.json) return print_reply(report, exit_code);
  if (!doc["plan"].Empty()) {
    std::printf("%-20s %-40s %-9s %s\n", "ACTION", "USER / DID", "STATUS", "FINDINGS / ERROR");
    for (const auto &p : doc["plan"].GetArray()) {
      std::string kinds;
      for (const auto &k : p["kinds"].GetArray())
        kinds += (kinds.empty() ? "" : ",") + std::string(k.GetString());
      std::printf("%-20s %-40s %-9s %s%s%s\n", p["action"].GetString(), who(p).c_str(),
                  p["status"].GetString(), kinds.c_str(), p["error"].IsString() ? ": " : "",
                  p["error"].IsString() ? p["error"].GetString() : "");
    }
  }
  std::printf("audit before:\n");
  print_summary(doc["audit"]);
  if (dry) {
    std::printf(
        "dry run: %llu action(s) planned, %llu skipped (manual or needing "
        "--delete-orphans); run with --fix to apply\n",
        static_cast<unsigned long long>(planned),
        static_cast<unsigned long long>(totals["skipped"].GetUint64()));
  } else {
    std::printf("audit after:\n");
    print_summary(doc["after"]);
    std::printf("fixed %llu, failed %llu, skipped %llu; %llu job(s) ran in %.1f s\n",
                static_cast<unsigned long long>(totals["fixed"].GetUint64()),
                static_cast<unsigned long long>(failed),
                static_cast<unsigned long long>(totals["skipped"].GetUint64()),
                static_cast<unsigned long long>(doc["jobs"]["ran"].GetUint64()),
                doc["seconds"].GetDouble());
  }
  return exit_code;
}

void add_scope_options(CLI::App *cmd, ScopeArgs &a) {
  cmd->add_option("--limit", a.limit, "the N most recent Auth0 users per tenant (1-1000)")
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--all", a.all, "every user in the store (and orphan PDS accounts)");
  cmd->add_option("--user", a.user, "one stored sub (sotce users: sotce-auth0|...)");
  cmd->add_option("--tenant", a.tenant, "aesthetic, sotce or all (default all)")
      ->check(CLI::IsMember({"aesthetic", "sotce", "all"}));
  cmd->add_flag("--deep", a.deep, "log in with every stored password (createSession)");
  cmd->add_option("--ignore-did", a.ignore_dids,
                  "a PDS account that belongs to no user by design (repeatable)");
  cmd->add_flag("--json", a.json, "the machine-readable report (docs/audit.md)");
}

}  // namespace

void add_audit_commands(CLI::App &app, Context &ctx) {
  auto audit_args = std::make_shared<ScopeArgs>();
  auto *audit = app.add_subcommand(
      "audit", "find drift between Auth0, the store and the PDS (exit 0 clean, 1 findings)");
  add_scope_options(audit, *audit_args);
  audit->callback([&ctx, audit_args] { ctx.exit_code = audit_command(ctx, *audit_args); });

  auto fill_args = std::make_shared<ScopeArgs>();
  auto *fill = app.add_subcommand(
      "backfill", "plan (default) or, with --fix, repair what the audit finds, through the jobs");
  add_scope_options(fill, *fill_args);
  fill->add_flag("--fix", fill_args->fix, "apply the plan (default: dry run)");
  fill->add_option("--concurrency", fill_args->concurrency, "job workers (default 4)")
      ->check(CLI::Range(1, 64));
  fill->add_flag("--delete-orphans", fill_args->delete_orphans,
                 "also delete PDS accounts no user references (printed first)");
  fill->add_option("--budget", fill_args->budget_s,
                   "stop running jobs after this many seconds (re-run to resume; default 600)")
      ->check(CLI::Range(1, 86400));
  fill->callback([&ctx, fill_args] { ctx.exit_code = backfill_command(ctx, *fill_args); });
}

}  // namespace acid::cli
