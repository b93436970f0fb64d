#include "pds/xrpc_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <type_traits>

#include "core/base64.h"
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
  return local_failure("", ErrorKind::config, std::move(message));
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

// Whether a call may be sent again after a failed attempt that reached the server.
enum class Repeatable : bool { no = false, yes = true };

// Reads a 2xx body with a typed parser, giving it the call's NSID when it takes one.
template <typename Read>
auto read_body(const Read &read, std::string_view method, std::string_view body) {
  if constexpr (std::is_invocable_v<const Read &, std::string_view, std::string_view>) {
    return read(method, body);
  } else {
    return read(body);
  }
}

}  // namespace

// One XRPC request: every call of the client is built as one and sent by execute().
struct XrpcClient::Prepared {
  std::string_view method;
  bool post = false;
  std::vector<std::pair<std::string, std::string>> params;
  std::string body;
  std::string content_type;  // empty: application/json
  std::string authorization;
  bool idempotent = false;
  std::vector<std::string_view> secrets;

  // A GET; queries change nothing, so they are always safe to repeat.
  static Prepared query(std::string_view method,
                        std::vector<std::pair<std::string, std::string>> params = {}) {
    Prepared p;
    p.method = method;
    p.params = std::move(params);
    p.idempotent = true;
    return p;
  }
  // A POST with a JSON body (empty: no input).
  static Prepared procedure(std::string_view method, std::string body, Repeatable repeatable) {
    Prepared p;
    p.method = method;
    p.post = true;
    p.body = std::move(body);
    p.idempotent = repeatable == Repeatable::yes;
    return p;
  }
  // Sent with this Authorization header (the admin's Basic credentials).
  Prepared &authorized(const std::string &header) {
    authorization = header;
    return *this;
  }
  // Sent as the account whose access (or refresh) JWT this is.
  Prepared &bearer(std::string_view jwt) {
    authorization = "Bearer " + std::string(jwt);
    return hiding(jwt);
  }
  // Keeps `secret` out of any error message or detail.
  Prepared &hiding(std::string_view secret) {
    secrets.push_back(secret);
    return *this;
  }
};

XrpcClient::XrpcClient(ClientOptions options, std::string base_url,
                       std::unique_ptr<net::HttpTransport> transport)
    : options_(std::move(options)),
      base_url_(std::move(base_url)),
      clock_(options_.clock ? *options_.clock : RetryClock::system()),
      transport_(std::move(transport)) {
  if (!options_.admin_password.empty()) {
    admin_basic_ = "Basic " + base64::encode("admin:" + options_.admin_password);
  }
}

XrpcClient::~XrpcClient() = default;

Result<std::unique_ptr<XrpcClient>> XrpcClient::create(ClientOptions options) {
  ACID_ASSIGN_OR_RETURN(std::string base, normalize_base_url(options.base_url));
  if (options.connect_timeout_ms <= 0 || options.request_timeout_ms <= 0) {
    return config_error("timeouts must be positive");
  }
  if (options.retry.max_attempts < 1) return config_error("retry.max_attempts must be at least 1");
  if (options.max_response_bytes == 0) return config_error("max_response_bytes must be positive");
  if (options.clock && (!options.clock->steady_ms || !options.clock->unix_ms ||
                        !options.clock->sleep_ms || !options.clock->uniform)) {
    return config_error("an injected clock must provide every function");
  }
  ACID_ASSIGN_OR_RETURN(auto transport, net::HttpTransport::create(options.max_idle_handles));
  return std::unique_ptr<XrpcClient>(
      new XrpcClient(std::move(options), std::move(base), std::move(transport)));
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
    return local_failure(method, ErrorKind::config,
                         "no admin password configured (PDS_ADMIN_PASSWORD)");
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

template <typename Read>
auto XrpcClient::send(const Prepared &request, Read read) {
  using Answer = decltype(read_body(read, request.method, std::string_view()));
  auto reply = execute(request);
  if (!reply) return Answer(std::move(reply).error());
  return read_body(read, request.method, reply->body);
}

// --- server ---

Result<ServerDescription> XrpcClient::describe_server() {
  ACID_ASSIGN_OR_RETURN(ServerDescription desc,
                        send(Prepared::query(nsid::describe_server), parse_server_description));
  std::lock_guard lock(describe_mutex_);
  describe_cache_ = desc;
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
  std::string body = json::Object().member("useCount", use_count).text();
  return send(Prepared::procedure(nsid::create_invite_code, std::move(body), Repeatable::no)
                  .authorized(admin_basic_),
              parse_invite_code);
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
  std::string body = json::Object()
                         .member("handle", in.handle)
                         .member("email", in.email)
                         .member("password", in.password)
                         .member("inviteCode", invite)
                         .text();
  return send(Prepared::procedure(nsid::create_account, std::move(body), Repeatable::no)
                  .hiding(in.password),
              parse_session);
}

Result<Session> XrpcClient::create_session(std::string_view identifier, std::string_view password) {
  if (identifier.empty()) return invalid_input(nsid::create_session, "identifier is empty");
  std::string body =
      json::Object().member("identifier", identifier).member("password", password).text();
  return send(
      Prepared::procedure(nsid::create_session, std::move(body), Repeatable::yes).hiding(password),
      parse_session);
}

Result<Session> XrpcClient::refresh_session(std::string_view refresh_jwt) {
  ACID_TRY(need_token(nsid::refresh_session, refresh_jwt));
  return send(Prepared::procedure(nsid::refresh_session, "", Repeatable::yes).bearer(refresh_jwt),
              parse_session);
}

Result<SessionInfo> XrpcClient::get_session(std::string_view access_jwt) {
  ACID_TRY(need_token(nsid::get_session, access_jwt));
  return send(Prepared::query(nsid::get_session).bearer(access_jwt), parse_session_info);
}

Status XrpcClient::delete_session(std::string_view refresh_jwt) {
  ACID_TRY(need_token(nsid::delete_session, refresh_jwt));
  return send(Prepared::procedure(nsid::delete_session, "", Repeatable::yes).bearer(refresh_jwt),
              parse_empty_output);
}

// --- identity ---

Status XrpcClient::update_handle(std::string_view access_jwt, std::string_view handle) {
  ACID_TRY(need_token(nsid::update_handle, access_jwt));
  if (handle.empty()) return invalid_input(nsid::update_handle, "handle is empty");
  std::string body = json::Object().member("handle", handle).text();
  return send(
      Prepared::procedure(nsid::update_handle, std::move(body), Repeatable::yes).bearer(access_jwt),
      parse_empty_output);
}

Result<std::string> XrpcClient::resolve_handle(std::string_view handle) {
  if (handle.empty()) return invalid_input(nsid::resolve_handle, "handle is empty");
  return send(Prepared::query(nsid::resolve_handle, {{"handle", std::string(handle)}}),
              parse_resolved_did);
}

// --- repo ---

namespace {

Result<std::string> record_body(std::string_view method, const RecordWrite &in, bool put) {
  if (in.repo.empty()) return invalid_input(method, "repo is empty");
  if (in.collection.empty()) return invalid_input(method, "collection is empty");
  if (put && (!in.rkey || in.rkey->empty()))
    return invalid_input(method, "putRecord needs an rkey");
  ACID_ASSIGN_OR_RETURN(const std::string record,
                        prepare_record_json(method, in.record_json, in.collection));
  json::Object body;
  body.member("repo", in.repo)
      .member("collection", in.collection)
      .member("rkey", in.rkey)
      .member("validate", in.validate);
  body.writer().Key("record");
  body.writer().RawValue(record.data(), record.size(), rapidjson::kObjectType);
  if (put) body.member("swapRecord", in.swap_record);
  body.member("swapCommit", in.swap_commit);
  return body.text();
}

Result<std::string> apply_writes_body(const ApplyWritesInput &in) {
  json::Object body;
  body.member("repo", in.repo).member("validate", in.validate).member("swapCommit", in.swap_commit);
  json::Writer &w = body.writer();
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
    json::member(w, "$type",
                 op.op == WriteOp::create   ? "com.atproto.repo.applyWrites#create"
                 : op.op == WriteOp::update ? "com.atproto.repo.applyWrites#update"
                                            : "com.atproto.repo.applyWrites#delete");
    json::member(w, "collection", op.collection);
    if (op.rkey) json::member(w, "rkey", *op.rkey);
    if (op.op != WriteOp::remove) {
      auto value = prepare_record_json(nsid::apply_writes, op.value_json, op.collection);
      if (!value) return std::move(value).error().context(where);
      w.Key("value");
      w.RawValue(value->data(), value->size(), rapidjson::kObjectType);
    }
    w.EndObject();
  }
  w.EndArray();
  return body.text();
}

}  // namespace

Result<RecordRef> XrpcClient::create_record(std::string_view access_jwt, const RecordWrite &in) {
  ACID_TRY(need_token(nsid::create_record, access_jwt));
  ACID_ASSIGN_OR_RETURN(std::string body, record_body(nsid::create_record, in, false));
  return send(
      Prepared::procedure(nsid::create_record, std::move(body), Repeatable::no).bearer(access_jwt),
      parse_record_ref);
}

Result<RecordRef> XrpcClient::put_record(std::string_view access_jwt, const RecordWrite &in) {
  ACID_TRY(need_token(nsid::put_record, access_jwt));
  ACID_ASSIGN_OR_RETURN(std::string body, record_body(nsid::put_record, in, true));
  // An upsert repeats harmlessly; a compare-and-swap does not (the repeat would see its own
  // write and fail with InvalidSwap).
  const bool upsert = !in.swap_record && !in.swap_commit;
  return send(
      Prepared::procedure(nsid::put_record, std::move(body), Repeatable{upsert}).bearer(access_jwt),
      parse_record_ref);
}

Status XrpcClient::delete_record(std::string_view access_jwt, std::string_view repo,
                                 std::string_view collection, std::string_view rkey,
                                 std::optional<std::string_view> swap_record) {
  ACID_TRY(need_token(nsid::delete_record, access_jwt));
  if (repo.empty() || collection.empty() || rkey.empty()) {
    return invalid_input(nsid::delete_record, "repo, collection and rkey are required");
  }
  std::string body = json::Object()
                         .member("repo", repo)
                         .member("collection", collection)
                         .member("rkey", rkey)
                         .member("swapRecord", swap_record)
                         .text();
  return send(Prepared::procedure(nsid::delete_record, std::move(body), Repeatable{!swap_record})
                  .bearer(access_jwt),
              parse_empty_output);
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
  ACID_ASSIGN_OR_RETURN(std::string body, apply_writes_body(in));
  return send(
      Prepared::procedure(nsid::apply_writes, std::move(body), Repeatable::no).bearer(access_jwt),
      parse_apply_writes);
}

Result<RecordPage> XrpcClient::list_records(const ListRecordsQuery &q) {
  if (q.repo.empty() || q.collection.empty()) {
    return invalid_input(nsid::list_records, "repo and collection are required");
  }
  if (q.limit < 1 || q.limit > 100)
    return invalid_input(nsid::list_records, "limit must be 1..100");
  Prepared request = Prepared::query(
      nsid::list_records,
      {{"repo", q.repo}, {"collection", q.collection}, {"limit", std::to_string(q.limit)}});
  if (q.cursor) request.params.emplace_back("cursor", *q.cursor);
  if (q.reverse) request.params.emplace_back("reverse", "true");
  return send(request, parse_record_page);
}

Result<Record> XrpcClient::get_record(std::string_view repo, std::string_view collection,
                                      std::string_view rkey) {
  if (repo.empty() || collection.empty() || rkey.empty()) {
    return invalid_input(nsid::get_record, "repo, collection and rkey are required");
  }
  return send(Prepared::query(nsid::get_record, {{"repo", std::string(repo)},
                                                 {"collection", std::string(collection)},
                                                 {"rkey", std::string(rkey)}}),
              parse_record);
}

// --- sync ---

Result<RepoPage> XrpcClient::list_repos(int limit, std::optional<std::string> cursor) {
  if (limit < 1 || limit > 1000) return invalid_input(nsid::list_repos, "limit must be 1..1000");
  Prepared request = Prepared::query(nsid::list_repos, {{"limit", std::to_string(limit)}});
  if (cursor) request.params.emplace_back("cursor", std::move(*cursor));
  return send(request, parse_repo_page);
}

// --- admin ---

Result<AccountInfo> XrpcClient::get_account_info(std::string_view did) {
  ACID_TRY(require_admin(nsid::get_account_info));
  if (did.empty()) return invalid_input(nsid::get_account_info, "did is empty");
  return send(
      Prepared::query(nsid::get_account_info, {{"did", std::string(did)}}).authorized(admin_basic_),
      parse_account_info);
}

Result<std::vector<AccountInfo>> XrpcClient::get_account_infos(
    const std::vector<std::string> &dids) {
  ACID_TRY(require_admin(nsid::get_account_infos));
  std::vector<AccountInfo> all;
  for (std::size_t start = 0; start < dids.size(); start += kAccountInfosBatch) {
    const std::size_t end = std::min(dids.size(), start + kAccountInfosBatch);
    Prepared request = Prepared::query(nsid::get_account_infos);
    for (std::size_t i = start; i < end; ++i) {
      if (dids[i].empty()) return invalid_input(nsid::get_account_infos, "a DID is empty");
      request.params.emplace_back("dids", dids[i]);
    }
    ACID_ASSIGN_OR_RETURN(auto infos, send(request.authorized(admin_basic_), parse_account_infos));
    for (auto &info : infos) all.push_back(std::move(info));
  }
  return all;
}

Status XrpcClient::delete_account(std::string_view did) {
  ACID_TRY(require_admin(nsid::delete_account));
  if (did.empty()) return invalid_input(nsid::delete_account, "did is empty");
  std::string body = json::Object().member("did", did).text();
  return send(Prepared::procedure(nsid::delete_account, std::move(body), Repeatable::yes)
                  .authorized(admin_basic_),
              parse_empty_output);
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
  for (const auto &s : c.secrets) p.hiding(s);
  switch (c.auth) {
    case AuthKind::none:
      break;
    case AuthKind::bearer:
      ACID_TRY(need_token(c.nsid, c.bearer));
      p.bearer(c.bearer);
      break;
    case AuthKind::admin:
      ACID_TRY(require_admin(c.nsid));
      p.authorized(admin_basic_);
      break;
  }
  return execute(p);
}

}  // namespace acid::pds
