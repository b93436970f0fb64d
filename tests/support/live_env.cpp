#include "support/live_env.h"

#include <sqlite3.h>

#include <array>

#include "core/base64.h"
#include "core/config.h"
#include "core/random.h"
#include "support/local_pds.h"

namespace acid::sync::test {

namespace {
constexpr const char *kToken = "sync-test-webhook-token";
}

Result<std::unique_ptr<LiveEnv>> LiveEnv::create(const std::string &store_uri,
                                                 const std::map<std::string, std::string> &extra) {
  auto env = pds::test::load_pds_env();
  if (!env) return std::move(env).error();
  auto out = std::make_unique<LiveEnv>();
  out->pds_url = env->url;
  out->admin_password = env->admin_password;
  out->handle_domain = env->handle_domain;
  std::array<std::uint8_t, 32> key{};
  ACID_TRY(random_bytes(key));
  out->credentials_key = base64::encode(std::span<const std::uint8_t>(key));
  out->run = pds::test::unique_label(6);
  out->store_uri = store_uri;
  std::map<std::string, std::string, std::less<>> vars = {
      {"ACID_STORE", store_uri},
      {"PDS_URL", env->url},
      {"PDS_ADMIN_PASSWORD", env->admin_password},
      {"ACID_PDS_HANDLE_DOMAIN", env->handle_domain},
      {"AUTH0_LOG_TOKEN", kToken},
      {"ACID_CREDENTIALS_KEY", out->credentials_key},
      {"ACID_MAX_ATTEMPTS", "3"},
  };
  for (const auto &[name, value] : extra) vars[name] = value;
  auto config = Config::from_env(env_from_map(vars));
  if (!config) return std::move(config).error();
  provision::EngineOptions opts;
  opts.config = std::move(*config);
  auto engine = provision::Engine::create(std::move(opts));
  if (!engine) return std::move(engine).error();
  out->engine = std::move(*engine);
  pds::ClientOptions o;
  o.base_url = env->url;
  o.admin_password = env->admin_password;
  auto admin = pds::XrpcClient::create(o);
  if (!admin) return std::move(admin).error();
  out->admin = std::move(*admin);
  return out;
}

Result<std::string> LiveEnv::active_user(const std::string &name) {
  return active_account(sub(name), run + name);
}

Result<std::string> LiveEnv::active_account(const std::string &s, const std::string &label) {
  const std::string email = label + "@example.com";
  const auto entry = [&](const std::string &id, const char *type) {
    return R"({"log_id":")" + id + R"(","data":{"type":")" + type +
           R"(","date":"2028-10-14T08:30:00.000Z","user_id":")" + s + R"(","user_name":")" + email +
           R"("}})";
  };
  const provision::HttpAnswer r = engine->handle_log_stream(
      Tenant::aesthetic, std::string_view(kToken),
      "[" + entry(label + "-ss", "ss") + "," + entry(label + "-sv", "sv") + "]");
  if (r.status != 200) return Error(Code::internal, "webhook answered " + r.body);
  for (int i = 0; i < 20; ++i) {
    auto summary = engine->run_jobs(60'000, 100);
    if (!summary) return std::move(summary).error();
    if (summary->ran == 0) break;
  }
  auto account = engine->store().get_account(s);
  if (!account) return std::move(account).error();
  if (account->state != store::AccountState::active || !account->did) {
    return Error(Code::internal, "provisioning did not finish: " + account->last_error);
  }
  dids_made.push_back(*account->did);
  return *account->did;
}

Result<std::string> LiveEnv::service_account(const std::string &s, const std::string &label) {
  constexpr std::string_view kScheme = "sqlite:";
  if (!store_uri.starts_with(kScheme)) {
    return Error(Code::invalid, "service_account writes a SQLite store directly");
  }
  std::string path = store_uri.substr(kScheme.size());
  path = path.substr(0, path.find('?'));
  auto invite = admin->create_invite_code(1);
  if (!invite) return std::move(invite).error();
  const std::string handle = label + "." + handle_domain;
  const std::string password = "service-" + run + "-password";
  auto created = admin->create_account({handle, label + "@example.com", password, *invite});
  if (!created) return std::move(created).error();
  sqlite3 *db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    return Error(Code::store, "cannot open " + path);
  }
  char *sql = sqlite3_mprintf(
      "INSERT INTO users (sub) VALUES (%Q);"
      "INSERT INTO accounts (sub, state, did, pds_handle, password, updated_ms) "
      "VALUES (%Q, 'active', %Q, %Q, %Q, 1);",
      s.c_str(), s.c_str(), created->did.c_str(), handle.c_str(), password.c_str());
  char *message = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  const std::string why = message ? message : "";
  sqlite3_free(message);
  sqlite3_free(sql);
  sqlite3_close(db);
  if (rc != SQLITE_OK) return Error(Code::store, "writing the service account: " + why);
  dids_made.push_back(created->did);
  return created->did;
}

Result<std::string> LiveEnv::password(const std::string &s) {
  auto account = engine->store().get_account(s);
  if (!account) return std::move(account).error();
  auto provisioner = engine->provisioner();
  if (!provisioner) return std::move(provisioner).error();
  return (*provisioner)->open_password(s, account->password.value_or(""));
}

Result<std::vector<pds::Record>> LiveEnv::repo_records(const std::string &did,
                                                       const std::string &nsid) {
  std::vector<pds::Record> out;
  pds::ListRecordsQuery q;
  q.repo = did;
  q.collection = nsid;
  q.limit = 100;
  for (;;) {
    auto page = admin->list_records(q);
    if (!page) return std::move(page).error();
    for (auto &r : page->records) out.push_back(std::move(r));
    if (!page->cursor || page->records.empty()) return out;
    q.cursor = page->cursor;
  }
}

}  // namespace acid::sync::test
