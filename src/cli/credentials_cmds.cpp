// `acidentity user credentials SUB [--reveal]`, `acidentity credentials status` and
// `acidentity credentials seal (--all | --user SUB) [--dry-run]`, over acid_pds_credentials,
// acid_credentials_status and acid_credentials_seal.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cli/common.h"
#include "core/json.h"

namespace acid::cli {

namespace {

struct CredentialsArgs {
  std::string sub;
  bool reveal = false;
  bool json = false;
  bool all = false;
  std::string user;
  bool dry_run = false;
};

std::string number(const rapidjson::Value &o, const char *key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsUint64()) return "-";
  return std::to_string(it->value.GetUint64());
}

int show_credentials(const Context &ctx, const CredentialsArgs &a) {
  OwnedText json;
  const int status = call_library(
      ctx, "user credentials", {ACID_ENOTFOUND, ACID_ENOACCOUNT},
      [&](acid_client *client) { return acid_pds_credentials(client, a.sub.c_str(), &json.ptr); });
  if (status != kExitOk) return status;
  auto reply = parse_reply(json, "user credentials", "password");
  if (!reply) return kExitFailure;
  rapidjson::Document &doc = *reply;
  if (!a.reveal) doc["password"].SetNull();
  if (a.json) {
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    doc.Accept(w);
    std::printf("%s\n", buf.GetString());
    return kExitOk;
  }
  std::printf("did       %s\nhandle    %s\nservice   %s\n", text_member(doc, "did").c_str(),
              text_member(doc, "handle").c_str(), text_member(doc, "service").c_str());
  if (a.reveal) {
    std::printf("password  %s\n", text_member(doc, "password").c_str());
  } else {
    std::printf("password  (hidden: --reveal prints it)\n");
  }
  return kExitOk;
}

int credentials_status(const Context &ctx, const CredentialsArgs &a) {
  OwnedText json;
  const int status = call_library(ctx, "credentials status", {}, [&](acid_client *client) {
    return acid_credentials_status(client, &json.ptr);
  });
  if (status != kExitOk) return status;
  if (a.json) return print_reply(json);
  const auto reply = parse_reply(json, "credentials status");
  if (!reply) return kExitFailure;
  const rapidjson::Document &doc = *reply;
  std::printf("accounts   %s (users with a DID)\n", number(doc, "accounts").c_str());
  std::printf("sealed     %s (%s with a key other than the primary)\n",
              number(doc, "sealed").c_str(), number(doc, "old_key").c_str());
  std::printf("plaintext  %s\n", number(doc, "plaintext").c_str());
  std::printf("missing    %s (a DID without a stored password)\n", number(doc, "missing").c_str());
  std::printf("service    %s plaintext (service accounts: never sealed)\n",
              number(doc, "service_plaintext").c_str());
  const std::string key = text_member(doc, "key");
  std::printf("key        %s\n",
              key == "-" ? "none (ACID_CREDENTIALS_KEY is not set)" : key.c_str());
  return kExitOk;
}

int credentials_seal(const Context &ctx, const CredentialsArgs &a) {
  if (a.all == !a.user.empty()) {
    std::fprintf(stderr, "acidentity: credentials seal: give exactly one of --all or --user SUB\n");
    return kExitUsage;
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  if (a.all) {
    json::member(w, "all", true);
  } else {
    w.Key("user");
    w.String(a.user.c_str(), static_cast<rapidjson::SizeType>(a.user.size()));
  }
  json::member(w, "dry_run", a.dry_run);
  w.EndObject();
  OwnedText json;
  const int status = call_library(
      ctx, "credentials seal", {ACID_EINVAL, ACID_ENOTFOUND}, [&](acid_client *client) {
        return acid_credentials_seal(client, buf.GetString(), &json.ptr);
      });
  if (status != kExitOk) return status;
  const auto reply = parse_reply(json, "credentials seal");
  if (!reply) return kExitFailure;
  const rapidjson::Document &doc = *reply;
  const bool failed = doc.HasMember("failed") && !doc["failed"].Empty();
  if (a.json) return print_reply(json, failed ? kExitNo : kExitOk);
  if (a.dry_run) {
    std::printf("dry run: would seal %s, would reseal %s (older key), ",
                number(doc, "would_seal").c_str(), number(doc, "would_reseal").c_str());
  } else {
    std::printf("sealed %s, resealed %s (older key), ", number(doc, "sealed").c_str(),
                number(doc, "resealed").c_str());
  }
  std::printf("already sealed %s, of %s checked (key %s)\n", number(doc, "already_sealed").c_str(),
              number(doc, "checked").c_str(), text_member(doc, "key").c_str());
  for (const auto &s : doc["skipped"].GetArray()) {
    std::printf("skipped  %s: %s\n", text_member(s, "sub").c_str(),
                text_member(s, "reason").c_str());
  }
  for (const auto &f : doc["failed"].GetArray()) {
    std::printf("failed   %s: %s (%s)\n", text_member(f, "sub").c_str(),
                text_member(f, "error").c_str(), text_member(f, "code").c_str());
  }
  return failed ? kExitNo : kExitOk;
}

}  // namespace

void add_credentials_commands(CLI::App &app, Context &ctx) {
  auto args = std::make_shared<CredentialsArgs>();
  CLI::App *user = app.get_subcommand("user");
  auto *show = user->add_subcommand(
      "credentials", "the person's PDS credentials: DID, handle, service (password: --reveal)");
  show->add_option("SUB", args->sub)->required();
  show->add_flag("--reveal", args->reveal, "print the password (it is a secret)");
  show->add_flag("--json", args->json, "machine-readable output");
  show->callback([&ctx, args] { ctx.exit_code = show_credentials(ctx, *args); });

  auto *credentials =
      app.add_subcommand("credentials", "stored PDS passwords: status, and sealing on purpose");
  credentials->require_subcommand(1);
  auto *status =
      credentials->add_subcommand("status", "how many stored passwords are sealed or plaintext");
  status->add_flag("--json", args->json, "machine-readable output");
  status->callback([&ctx, args] { ctx.exit_code = credentials_status(ctx, *args); });
  auto *seal = credentials->add_subcommand(
      "seal",
      "seal plaintext passwords with ACID_CREDENTIALS_KEY (only after every reader of "
      "users.atproto.password uses the library: docs/migrating.md)");
  seal->add_flag("--all", args->all, "every person's stored password");
  seal->add_option("--user", args->user, "one person's (SUB)");
  seal->add_flag("--dry-run", args->dry_run, "report what would be sealed; write nothing");
  seal->add_flag("--json", args->json, "machine-readable output");
  seal->callback([&ctx, args] { ctx.exit_code = credentials_seal(ctx, *args); });
}

}  // namespace acid::cli
