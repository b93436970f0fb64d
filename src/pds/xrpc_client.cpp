#include "pds/xrpc_client.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>

#include "core/json.h"
#include "core/percent_encode.h"
#include "net/http_transport.h"

namespace acid::pds {
namespace {

namespace nsid {
constexpr std::string_view describe_server = "com.atproto.server.describeServer";
constexpr std::string_view create_invite_code = "com.atproto.server.createInviteCode";
constexpr std::string_view create_account = "com.atproto.server.createAccount";
constexpr std::string_view create_session = "com.atproto.server.createSession";
constexpr std::string_view refresh_session = "com.atproto.server.refreshSession";
constexpr std::string_view get_session = "com.atproto.server.getSession";
constexpr std::string_view delete_session = "com.atproto.server.deleteSession";
constexpr std::string_view update_handle = "com.atproto.identity.updateHandle";
constexpr std::string_view resolve_handle = "com.atproto.identity.resolveHandle";
constexpr std::string_view create_record = "com.atproto.repo.createRecord";
constexpr std::string_view put_record = "com.atproto.repo.putRecord";
constexpr std::string_view delete_record = "com.atproto.repo.deleteRecord";
constexpr std::string_view apply_writes = "com.atproto.repo.applyWrites";
constexpr std::string_view list_records = "com.atproto.repo.listRecords";
constexpr std::string_view get_record = "com.atproto.repo.getRecord";
constexpr std::string_view list_repos = "com.atproto.sync.listRepos";
constexpr std::string_view get_account_info = "com.atproto.admin.getAccountInfo";
constexpr std::string_view get_account_infos = "com.atproto.admin.getAccountInfos";
constexpr std::string_view delete_account = "com.atproto.admin.deleteAccount";
}  // namespace nsid

constexpr std::size_t kMaxWrites = 200;

Error config_error(std::string message) {
  Failure f;
  f.kind = ErrorKind::config;
  f.local_message = std::move(message);
  f.request_sent = false;
  f.attempts = 0;
  return to_error(f, {});
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  return host.rfind("127.", 0) == 0 && std::all_of(host.begin(), host.end(), [](char c) {
           return (c >= '0' && c <= '9') || c == '.';
         });
}

// Validates PDS_URL and returns it without a trailing slash.
Result<std::string> normalize_base_url(const std::string &url) {
  if (url.empty()) return config_error("PDS URL is empty");
  CURLU *u = curl_url();
  if (!u) return Error(Code::no_memory, "curl_url failed");
  struct Guard {
    CURLU *u;
    ~Guard() { curl_url_cleanup(u); }
  } guard{u};
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return config_error("PDS URL is not a valid absolute URL");
  }
  const auto part = [&](CURLUPart which) -> std::optional<std::string> {
    char *value = nullptr;
    if (curl_url_get(u, which, &value, 0) != CURLUE_OK || !value) return std::nullopt;
    std::string out(value);
    curl_free(value);
    return out;
  };
  const auto scheme = part(CURLUPART_SCHEME);
  const auto host = part(CURLUPART_HOST);
  if (!scheme || !host) return config_error("PDS URL needs a scheme and a host");
  if (part(CURLUPART_USER) || part(CURLUPART_PASSWORD)) {
    return config_error("PDS URL must not carry credentials");
  }
  if (part(CURLUPART_QUERY) || part(CURLUPART_FRAGMENT)) {
    return config_error("PDS URL must not have a query or fragment");
  }
  if (*scheme == "http") {
    if (!is_loopback_host(*host)) {
      return config_error("PDS URL must use https (plain http only for a loopback host)");
    }
  } else if (*scheme != "https") {
    return config_error("PDS URL must use https");
  }
  std::string out = url;
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                                reinterpret_cast<const unsigned char *>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

void put_string(json::Writer &w, const char *key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string query_string(const std::vector<std::pair<std::string, std::string>> &params) {
  std::string q;
  for (const auto &[key, value] : params) {
    q += q.empty() ? "?" : "&";
    q += percent_encode(key);
    q += '=';
    q += percent_encode(value);
  }
  return q;
}

Status need_token(std::string_view method, std::string_view token) {
  if (token.empty()) return invalid_input(method, "no token given");
  return Status::ok();
}

}  // namespace

struct XrpcClient::Prepared {
  std::string_view method;
  bool post = false;
  std::vector<std::pair<std::string, std::string>> params;
  std::string body;
  std::string content_type;  // empty: application/json
  std::string authorization;
  bool idempotent = false;
  std::vector<std::string_view> secrets;
};

XrpcClient::XrpcClient(ClientOptions options, std::string base_url,
                       std::unique_ptr<net::HttpTransport> transport)
    : options_(std::move(options)),
      base_url_(std::move(base_url)),
      clock_(options_.clock ? *options_.clock : RetryClock::system()),
      transport_(std::move(transport)) {
  if (!options_.admin_password.empty()) {
    admin_basic_ = "Basic " + base64("admin:" + options_.admin_password);
  }
}

XrpcClient::~XrpcClient() = default;

Result<std::unique_ptr<XrpcClient>> XrpcClient::create(ClientOptions options) {
  auto base = normalize_base_url(options.base_url);
  if (!base) return std::move(base).error();
  if (options.connect_timeout_ms <= 0 || options.request_timeout_ms <= 0) {
    return config_error("timeouts must be positive");
  }
  if (options.retry.max_attempts < 1) return config_error("retry.max_attempts must be at least 1");
  if (options.max_response_bytes == 0) return config_error("max_response_bytes must be positive");
  if (options.clock && (!options.clock->steady_ms || !options.clock->unix_ms ||
                        !options.clock->sleep_ms || !options.clock->uniform)) {
    return config_error("an injected clock must provide every function");
  }
  auto transport = net::HttpTransport::create(options.max_idle_handles);
  if (!transport) return std::move(transport).error();
  return std::unique_ptr<XrpcClient>(
      new XrpcClient(std::move(options), std::move(*base), std::move(*transport)));
}

XrpcClient::Stats XrpcClient::stats() const {
  Stats s;
  s.calls = calls_.load();
  s.attempts = attempts_.load();
  s.retries = retries_.load();
  s.new_connections = new_connections_.load();
  return s;
}

Status XrpcClient::require_admin(std::string_view method) const {
  if (admin_basic_.empty()) {
    Failure f;
    f.method = std::string(method);
    f.kind = ErrorKind::config;
    f.local_message = "no admin password configured (PDS_ADMIN_PASSWORD)";
    f.request_sent = false;
    f.attempts = 0;
    return to_error(f, {});
  }
  return Status::ok();
}

Result<HttpReply> XrpcClient::execute(const Prepared &p) {
  calls_.fetch_add(1, std::memory_order_relaxed);
  std::vector<std::string_view> secrets = p.secrets;
  secrets.push_back(options_.admin_password);
  if (admin_basic_.size() > 6) secrets.push_back(std::string_view(admin_basic_).substr(6));

  net::HttpRequest req;
  req.url = base_url_ + "/xrpc/" + std::string(p.method) + query_string(p.params);
  req.post = p.post;
  req.body = p.body;
  if (!p.content_type.empty()) req.content_type = p.content_type;
  req.authorization = p.authorization;
  req.connect_timeout_ms = options_.connect_timeout_ms;
  req.max_body_bytes = options_.max_response_bytes;
  req.ca_file = options_.ca_file;
  req.user_agent = options_.user_agent;
  req.fresh_connection = !p.idempotent;

  const std::int64_t start = clock_.steady_ms();
  for (int attempt = 1;; ++attempt) {
    const std::int64_t remaining = options_.retry.total_deadline_ms - (clock_.steady_ms() - start);
    req.timeout_ms = std::max<std::int64_t>(1, std::min(options_.request_timeout_ms, remaining));
    attempts_.fetch_add(1, std::memory_order_relaxed);
    if (attempt > 1) retries_.fetch_add(1, std::memory_order_relaxed);
    net::HttpOutcome out = transport_->perform(req);
    new_connections_.fetch_add(static_cast<std::uint64_t>(std::max(0L, out.new_connections)),
                               std::memory_order_relaxed);

    Failure f;
    if (out.curl_code == CURLE_OK) {
      if (out.reply.status >= 200 && out.reply.status < 300) return std::move(out.reply);
      f = failure_from_reply(p.method, out.reply, clock_.unix_ms());
    } else {
      f.method = std::string(p.method);
      f.kind = kind_of(net::classify_curl(out.curl_code, out.body_too_large));
      f.curl_code = out.curl_code;
      f.local_message =
          out.body_too_large
              ? "response larger than " + std::to_string(options_.max_response_bytes) + " bytes"
              : out.curl_message;
      f.request_sent = out.request_sent;
    }
    f.attempts = attempt;

    AttemptOutcome o;
    o.transient = kind_is_transient(f.kind);
    // A 429 comes from the rate limiter before the handler runs, and an unsent request did
    // nothing: both are safe to repeat whatever the call.
    o.may_repeat = p.idempotent || !f.request_sent || f.kind == ErrorKind::rate_limited;
    o.server_delay_ms = f.retry_after_ms;
    const RetryDecision d =
        decide_retry(options_.retry, attempt, clock_.steady_ms() - start, o, clock_.uniform);
    if (!d.retry) return to_error(f, secrets);
    clock_.sleep_ms(d.delay_ms);
  }
}

// --- server ---

Result<ServerDescription> XrpcClient::describe_server() {
  Prepared p;
  p.method = nsid::describe_server;
  p.idempotent = true;
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  auto desc = parse_server_description(reply->body);
  if (!desc) return desc;
  std::lock_guard lock(describe_mutex_);
  describe_cache_ = *desc;
  describe_cached_at_ = clock_.steady_ms();
  return desc;
}

Result<ServerDescription> XrpcClient::server_description() {
  {
    std::lock_guard lock(describe_mutex_);
    if (describe_cache_ && clock_.steady_ms() - describe_cached_at_ < options_.describe_cache_ms) {
      return *describe_cache_;
    }
  }
  return describe_server();
}

Result<std::string> XrpcClient::create_invite_code(int use_count) {
  ACID_TRY(require_admin(nsid::create_invite_code));
  if (use_count < 1) return invalid_input(nsid::create_invite_code, "useCount must be at least 1");
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::member(w, "useCount", use_count);
  w.EndObject();
  Prepared p;
  p.method = nsid::create_invite_code;
  p.post = true;
  p.body.assign(buf.GetString(), buf.GetSize());
  p.authorization = admin_basic_;
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_invite_code(reply->body);
}

Result<Session> XrpcClient::create_account(const CreateAccountInput &in) {
  if (in.handle.empty()) return invalid_input(nsid::create_account, "handle is empty");
  if (in.password.empty()) {
    return invalid_input(nsid::create_account,
                         "password is empty (the account could never log in)");
  }
  std::optional<std::string_view> invite;
  if (in.invite_code) {
    auto desc = server_description();
    if (!desc) return std::move(desc).error().context("deciding whether to send the invite code");
    if (desc->invite_code_required) invite = *in.invite_code;
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  put_string(w, "handle", in.handle);
  put_string(w, "email", in.email);
  put_string(w, "password", in.password);
  if (invite) put_string(w, "inviteCode", *invite);
  w.EndObject();
  Prepared p;
  p.method = nsid::create_account;
  p.post = true;
  p.body.assign(buf.GetString(), buf.GetSize());
  p.idempotent = false;
  p.secrets = {in.password};
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_session(nsid::create_account, reply->body);
}

Result<Session> XrpcClient::create_session(std::string_view identifier, std::string_view password) {
  if (identifier.empty()) return invalid_input(nsid::create_session, "identifier is empty");
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  put_string(w, "identifier", identifier);
  put_string(w, "password", password);
  w.EndObject();
  Prepared p;
  p.method = nsid::create_session;
  p.post = true;
  p.body.assign(buf.GetString(), buf.GetSize());
  p.idempotent = true;
  p.secrets = {password};
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_session(nsid::create_session, reply->body);
}

Result<Session> XrpcClient::refresh_session(std::string_view refresh_jwt) {
  ACID_TRY(need_token(nsid::refresh_session, refresh_jwt));
  Prepared p;
  p.method = nsid::refresh_session;
  p.post = true;
  p.authorization = "Bearer " + std::string(refresh_jwt);
  p.idempotent = true;
  p.secrets = {refresh_jwt};
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  auto session = parse_session(nsid::refresh_session, reply->body);
  return session;
}

Result<SessionInfo> XrpcClient::get_session(std::string_view access_jwt) {
  ACID_TRY(need_token(nsid::get_session, access_jwt));
  Prepared p;
  p.method = nsid::get_session;
  p.authorization = "Bearer " + std::string(access_jwt);
  p.idempotent = true;
  p.secrets = {access_jwt};
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_session_info(reply->body);
}

Status XrpcClient::delete_session(std::string_view refresh_jwt) {
  ACID_TRY(need_token(nsid::delete_session, refresh_jwt));
  Prepared p;
  p.method = nsid::delete_session;
  p.post = true;
  p.authorization = "Bearer " + std::string(refresh_jwt);
  p.idempotent = true;
  p.secrets = {refresh_jwt};
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_empty_output(nsid::delete_session, reply->body);
}

// --- identity ---

Status XrpcClient::update_handle(std::string_view access_jwt, std::string_view handle) {
  ACID_TRY(need_token(nsid::update_handle, access_jwt));
  if (handle.empty()) return invalid_input(nsid::update_handle, "handle is empty");
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  put_string(w, "handle", handle);
  w.EndObject();
  Prepared p;
  p.method = nsid::update_handle;
  p.post = true;
  p.body.assign(buf.GetString(), buf.GetSize());
  p.authorization = "Bearer " + std::string(access_jwt);
  p.idempotent = true;
  p.secrets = {access_jwt};
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_empty_output(nsid::update_handle, reply->body);
}

Result<std::string> XrpcClient::resolve_handle(std::string_view handle) {
  if (handle.empty()) return invalid_input(nsid::resolve_handle, "handle is empty");
  Prepared p;
  p.method = nsid::resolve_handle;
  p.params = {{"handle", std::string(handle)}};
  p.idempotent = true;
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_resolved_did(reply->body);
}

// --- repo ---

namespace {

Result<std::string> record_body(std::string_view method, const RecordWrite &in, bool put) {
  if (in.repo.empty()) return invalid_input(method, "repo is empty");
  if (in.collection.empty()) return invalid_input(method, "collection is empty");
  if (put && (!in.rkey || in.rkey->empty()))
    return invalid_input(method, "putRecord needs an rkey");
  auto record = prepare_record_json(method, in.record_json, in.collection);
  if (!record) return std::move(record).error();
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  put_string(w, "repo", in.repo);
  put_string(w, "collection", in.collection);
  if (in.rkey) put_string(w, "rkey", *in.rkey);
  if (in.validate) {
    json::member(w, "validate", *in.validate);
  }
  w.Key("record");
  w.RawValue(record->data(), record->size(), rapidjson::kObjectType);
  if (put && in.swap_record) put_string(w, "swapRecord", *in.swap_record);
  if (in.swap_commit) put_string(w, "swapCommit", *in.swap_commit);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

Result<RecordRef> XrpcClient::create_record(std::string_view access_jwt, const RecordWrite &in) {
  ACID_TRY(need_token(nsid::create_record, access_jwt));
  auto body = record_body(nsid::create_record, in, false);
  if (!body) return std::move(body).error();
  Prepared p;
  p.method = nsid::create_record;
  p.post = true;
  p.body = std::move(*body);
  p.authorization = "Bearer " + std::string(access_jwt);
  p.idempotent = false;
  p.secrets = {access_jwt};
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_record_ref(nsid::create_record, reply->body);
}

Result<RecordRef> XrpcClient::put_record(std::string_view access_jwt, const RecordWrite &in) {
  ACID_TRY(need_token(nsid::put_record, access_jwt));
  auto body = record_body(nsid::put_record, in, true);
  if (!body) return std::move(body).error();
  Prepared p;
  p.method = nsid::put_record;
  p.post = true;
  p.body = std::move(*body);
  p.authorization = "Bearer " + std::string(access_jwt);
  // An upsert repeats harmlessly; a compare-and-swap does not (the repeat would see its own
  // write and fail with InvalidSwap).
  p.idempotent = !in.swap_record && !in.swap_commit;
  p.secrets = {access_jwt};
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_record_ref(nsid::put_record, reply->body);
}

Status XrpcClient::delete_record(std::string_view access_jwt, std::string_view repo,
                                 std::string_view collection, std::string_view rkey,
                                 std::optional<std::string_view> swap_record) {
  ACID_TRY(need_token(nsid::delete_record, access_jwt));
  if (repo.empty() || collection.empty() || rkey.empty()) {
    return invalid_input(nsid::delete_record, "repo, collection and rkey are required");
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  put_string(w, "repo", repo);
  put_string(w, "collection", collection);
  put_string(w, "rkey", rkey);
  if (swap_record) put_string(w, "swapRecord", *swap_record);
  w.EndObject();
  Prepared p;
  p.method = nsid::delete_record;
  p.post = true;
  p.body.assign(buf.GetString(), buf.GetSize());
  p.authorization = "Bearer " + std::string(access_jwt);
  p.idempotent = !swap_record;
  p.secrets = {access_jwt};
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_empty_output(nsid::delete_record, reply->body);
}

Result<ApplyWritesResult> XrpcClient::apply_writes(std::string_view access_jwt,
                                                   const ApplyWritesInput &in) {
  ACID_TRY(need_token(nsid::apply_writes, access_jwt));
  if (in.repo.empty()) return invalid_input(nsid::apply_writes, "repo is empty");
  if (in.writes.size() > kMaxWrites) {
    return invalid_input(
        nsid::apply_writes,
        "too many writes: " + std::to_string(in.writes.size()) + " (the PDS takes at most 200)");
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  put_string(w, "repo", in.repo);
  if (in.validate) {
    json::member(w, "validate", *in.validate);
  }
  if (in.swap_commit) put_string(w, "swapCommit", *in.swap_commit);
  w.Key("writes");
  w.StartArray();
  for (std::size_t i = 0; i < in.writes.size(); ++i) {
    const WriteOperation &op = in.writes[i];
    const std::string where = "writes[" + std::to_string(i) + "]: ";
    if (op.collection.empty())
      return invalid_input(nsid::apply_writes, where + "collection is empty");
    if (op.op != WriteOp::create && (!op.rkey || op.rkey->empty())) {
      return invalid_input(nsid::apply_writes, where + "update and delete need an rkey");
    }
    w.StartObject();
    put_string(w, "$type",
               op.op == WriteOp::create   ? "com.atproto.repo.applyWrites#create"
               : op.op == WriteOp::update ? "com.atproto.repo.applyWrites#update"
                                          : "com.atproto.repo.applyWrites#delete");
    put_string(w, "collection", op.collection);
    if (op.rkey) put_string(w, "rkey", *op.rkey);
    if (op.op != WriteOp::remove) {
      auto value = prepare_record_json(nsid::apply_writes, op.value_json, op.collection);
      if (!value) return std::move(value).error().context(where);
      w.Key("value");
      w.RawValue(value->data(), value->size(), rapidjson::kObjectType);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  Prepared p;
  p.method = nsid::apply_writes;
  p.post = true;
  p.body.assign(buf.GetString(), buf.GetSize());
  p.authorization = "Bearer " + std::string(access_jwt);
  p.idempotent = false;
  p.secrets = {access_jwt};
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_apply_writes(reply->body);
}

Result<RecordPage> XrpcClient::list_records(const ListRecordsQuery &q) {
  if (q.repo.empty() || q.collection.empty()) {
    return invalid_input(nsid::list_records, "repo and collection are required");
  }
  if (q.limit < 1 || q.limit > 100)
    return invalid_input(nsid::list_records, "limit must be 1..100");
  Prepared p;
  p.method = nsid::list_records;
  p.params = {{"repo", q.repo}, {"collection", q.collection}, {"limit", std::to_string(q.limit)}};
  if (q.cursor) p.params.emplace_back("cursor", *q.cursor);
  if (q.reverse) p.params.emplace_back("reverse", "true");
  p.idempotent = true;
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_record_page(reply->body);
}

Result<Record> XrpcClient::get_record(std::string_view repo, std::string_view collection,
                                      std::string_view rkey) {
  if (repo.empty() || collection.empty() || rkey.empty()) {
    return invalid_input(nsid::get_record, "repo, collection and rkey are required");
  }
  Prepared p;
  p.method = nsid::get_record;
  p.params = {{"repo", std::string(repo)},
              {"collection", std::string(collection)},
              {"rkey", std::string(rkey)}};
  p.idempotent = true;
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_record(reply->body);
}

// --- sync ---

Result<RepoPage> XrpcClient::list_repos(int limit, std::optional<std::string> cursor) {
  if (limit < 1 || limit > 1000) return invalid_input(nsid::list_repos, "limit must be 1..1000");
  Prepared p;
  p.method = nsid::list_repos;
  p.params = {{"limit", std::to_string(limit)}};
  if (cursor) p.params.emplace_back("cursor", std::move(*cursor));
  p.idempotent = true;
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_repo_page(reply->body);
}

// --- admin ---

Result<AccountInfo> XrpcClient::get_account_info(std::string_view did) {
  ACID_TRY(require_admin(nsid::get_account_info));
  if (did.empty()) return invalid_input(nsid::get_account_info, "did is empty");
  Prepared p;
  p.method = nsid::get_account_info;
  p.params = {{"did", std::string(did)}};
  p.authorization = admin_basic_;
  p.idempotent = true;
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_account_info(reply->body);
}

Result<std::vector<AccountInfo>> XrpcClient::get_account_infos(
    const std::vector<std::string> &dids) {
  ACID_TRY(require_admin(nsid::get_account_infos));
  std::vector<AccountInfo> all;
  for (std::size_t start = 0; start < dids.size(); start += kAccountInfosBatch) {
    const std::size_t end = std::min(dids.size(), start + kAccountInfosBatch);
    Prepared p;
    p.method = nsid::get_account_infos;
    for (std::size_t i = start; i < end; ++i) {
      if (dids[i].empty()) return invalid_input(nsid::get_account_infos, "a DID is empty");
      p.params.emplace_back("dids", dids[i]);
    }
    p.authorization = admin_basic_;
    p.idempotent = true;
    auto reply = execute(p);
    if (!reply) return std::move(reply).error();
    auto infos = parse_account_infos(reply->body);
    if (!infos) return std::move(infos).error();
    for (auto &info : *infos) all.push_back(std::move(info));
  }
  return all;
}

Status XrpcClient::delete_account(std::string_view did) {
  ACID_TRY(require_admin(nsid::delete_account));
  if (did.empty()) return invalid_input(nsid::delete_account, "did is empty");
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  put_string(w, "did", did);
  w.EndObject();
  Prepared p;
  p.method = nsid::delete_account;
  p.post = true;
  p.body.assign(buf.GetString(), buf.GetSize());
  p.authorization = admin_basic_;
  p.idempotent = true;
  auto reply = execute(p);
  if (!reply) return std::move(reply).error();
  return parse_empty_output(nsid::delete_account, reply->body);
}

Result<HttpReply> XrpcClient::call(const RawCall &c) {
  if (c.nsid.empty() || c.nsid.find_first_of("/?#& ") != std::string::npos) {
    return invalid_input(c.nsid, "not an NSID");
  }
  Prepared p;
  p.method = c.nsid;
  p.post = c.procedure;
  p.params = c.params;
  p.body = c.body_json;
  p.content_type = c.content_type;
  p.idempotent = c.idempotent;
  for (const auto &s : c.secrets) p.secrets.push_back(s);
  switch (c.auth) {
    case AuthKind::none:
      break;
    case AuthKind::bearer:
      ACID_TRY(need_token(c.nsid, c.bearer));
      p.authorization = "Bearer " + c.bearer;
      p.secrets.push_back(c.bearer);
      break;
    case AuthKind::admin:
      ACID_TRY(require_admin(c.nsid));
      p.authorization = admin_basic_;
      break;
  }
  return execute(p);
}

}  // namespace acid::pds
