// The XRPC client for an ATProto PDS (@atproto/pds 0.4 / 0.5), over libcurl.
//
//   auto client = acid::pds::XrpcClient::create({.base_url = pds_url, .admin_password = pw});
//   auto server = (*client)->server_description();          // cached describeServer
//   std::optional<std::string> invite;
//   if (server->invite_code_required) invite = *(*client)->create_invite_code();
//   auto session = (*client)->create_account({handle, email, password, invite});
//   if (!session && acid::pds::kind_of(session.error()) == acid::pds::ErrorKind::handle_taken)
//     session = (*client)->create_session(handle, password);  // prove it is ours
//
// Every call returns acid::Result / acid::Status; nothing throws, prints or logs. Failures carry
// the HTTP status, XRPC error name, rate-limit facts and an ErrorKind (pds_error.h). Transient
// failures of calls that are safe to repeat are retried by the client itself (retry.h lists
// which); the final error says how many attempts were made and, when the server said so, when to
// come back (retry_after_ms).
//
// Thread safety: one XrpcClient may be shared by any number of threads (see net/http_transport.h
// for how connections are pooled and reused). Passwords, JWTs and the admin secret never appear in
// an error message or detail.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "pds/pds_error.h"
#include "pds/retry.h"
#include "pds/xrpc_parse.h"
#include "pds/xrpc_types.h"

namespace acid::net {
class HttpTransport;
}  // namespace acid::net

namespace acid::pds {

struct ClientOptions {
  // PDS_URL, e.g. "https://pds.example.com" or "http://127.0.0.1:2583". Plain http is accepted
  // for loopback hosts only (127.0.0.0/8, ::1, localhost); anything else must be https.
  std::string base_url;
  // PDS_ADMIN_PASSWORD: needed by createInviteCode and admin.* (Basic admin:<password>).
  std::string admin_password;
  std::int64_t connect_timeout_ms = 5'000;
  std::int64_t request_timeout_ms = 30'000;  // one attempt, from start to last byte
  RetryPolicy retry;
  // Extra trust anchors (PEM file) for https. Certificate and host verification are always on.
  std::string ca_file;
  std::string user_agent = "libacidentity";
  std::size_t max_response_bytes = 16u << 20;
  std::size_t max_idle_handles = 16;  // easy handles (each with its connections) kept for reuse
  std::int64_t describe_cache_ms = 300'000;  // lifetime of the cached describeServer answer
  std::optional<RetryClock> clock;           // defaults to RetryClock::system()
};

// Authorisation of a raw call.
enum class AuthKind { none, bearer, admin };

// A call to any NSID, for the few the typed API does not cover. Errors are classified the same.
struct RawCall {
  std::string nsid;
  bool procedure = false;                                   // POST (procedure) or GET (query)
  std::vector<std::pair<std::string, std::string>> params;  // query parameters
  std::string body_json;     // procedure input, sent as is (any bytes when content_type is set)
  std::string content_type;  // of the input; empty = application/json (uploadBlob: image/png)
  AuthKind auth = AuthKind::none;
  std::string bearer;  // the access (or refresh) JWT when auth == bearer
  bool idempotent = false;
  std::vector<std::string> secrets;  // extra strings to keep out of error messages
};

class XrpcClient {
 public:
  // Fails with Code::config on a malformed or non-https (non-loopback) URL or bad options.
  static Result<std::unique_ptr<XrpcClient>> create(ClientOptions options);
  ~XrpcClient();
  XrpcClient(const XrpcClient &) = delete;
  XrpcClient &operator=(const XrpcClient &) = delete;

  const std::string &base_url() const { return base_url_; }

  // --- com.atproto.server ---
  // Always asks the PDS, and refreshes the cached answer.
  Result<ServerDescription> describe_server();
  // The cached answer when younger than describe_cache_ms, else describe_server().
  Result<ServerDescription> server_description();
  // Admin. Not retried once sent (each call makes a new code).
  Result<std::string> create_invite_code(int use_count = 1);
  // Not retried once sent. The invite code is sent only when the server requires one (asked
  // through server_description(); an unused code is dropped, never sent: a bogus code is checked
  // even when none is required and leaves an orphan DID in the PLC). An empty password is
  // refused locally (the PDS would create an account nobody can log into).
  Result<Session> create_account(const CreateAccountInput &input);
  // identifier: handle, email or DID.
  Result<Session> create_session(std::string_view identifier, std::string_view password);
  Result<Session> refresh_session(std::string_view refresh_jwt);
  Result<SessionInfo> get_session(std::string_view access_jwt);
  // Revokes the refresh token (and its session).
  Status delete_session(std::string_view refresh_jwt);

  // --- com.atproto.identity ---
  Status update_handle(std::string_view access_jwt, std::string_view handle);
  Result<std::string> resolve_handle(std::string_view handle);  // the DID

  // --- com.atproto.repo ---
  // The record JSON is checked first (no floats, int64 range, $type): Code::invalid, nothing sent.
  // createRecord and applyWrites are not retried once sent; use put_record with a deterministic
  // rkey for an idempotent upsert.
  Result<RecordRef> create_record(std::string_view access_jwt, const RecordWrite &write);
  Result<RecordRef> put_record(std::string_view access_jwt, const RecordWrite &write);
  // Succeeds when the record does not exist (the PDS answers 200 without a commit).
  Status delete_record(std::string_view access_jwt, std::string_view repo,
                       std::string_view collection, std::string_view rkey,
                       std::optional<std::string_view> swap_record = std::nullopt);
  // At most 200 writes (else Code::invalid). Each create/update value is checked like a record.
  Result<ApplyWritesResult> apply_writes(std::string_view access_jwt,
                                         const ApplyWritesInput &input);
  // No authentication needed. limit must be 1..100.
  Result<RecordPage> list_records(const ListRecordsQuery &query);
  Result<Record> get_record(std::string_view repo, std::string_view collection,
                            std::string_view rkey);

  // --- com.atproto.sync ---
  // limit 1..1000.
  Result<RepoPage> list_repos(int limit = 500, std::optional<std::string> cursor = std::nullopt);

  // --- com.atproto.admin (Basic admin:<admin_password>) ---
  Result<AccountInfo> get_account_info(std::string_view did);
  // Asks in batches of kAccountInfosBatch DIDs; the answers are concatenated in PDS order. DIDs
  // the PDS does not know are simply missing from the result.
  static constexpr std::size_t kAccountInfosBatch = 100;
  Result<std::vector<AccountInfo>> get_account_infos(const std::vector<std::string> &dids);
  // Idempotent: deleting an unknown DID succeeds.
  Status delete_account(std::string_view did);

  // Any XRPC call; returns the 2xx reply or the classified error.
  Result<HttpReply> call(const RawCall &call);

  struct Stats {
    std::uint64_t calls = 0;            // calls made (each may take several attempts)
    std::uint64_t attempts = 0;         // HTTP attempts
    std::uint64_t retries = 0;          // attempts after the first
    std::uint64_t new_connections = 0;  // TCP/TLS connections opened (reuse keeps this low)
  };
  Stats stats() const;

 private:
  struct Prepared;
  XrpcClient(ClientOptions options, std::string base_url,
             std::unique_ptr<net::HttpTransport> transport);
  Result<HttpReply> execute(const Prepared &request);
  // Every typed call: execute(request), then read the 2xx body with `read` (one of the parsers
  // of xrpc_parse.h, given the NSID when it takes one).
  template <typename Read>
  auto send(const Prepared &request, Read read);
  Status require_admin(std::string_view method) const;

  ClientOptions options_;
  std::string base_url_;
  std::string admin_basic_;  // "Basic base64(admin:password)"
  RetryClock clock_;
  std::unique_ptr<net::HttpTransport> transport_;

  std::mutex describe_mutex_;
  std::optional<ServerDescription> describe_cache_;
  std::int64_t describe_cached_at_ = 0;

  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::uint64_t> attempts_{0};
  std::atomic<std::uint64_t> retries_{0};
  std::atomic<std::uint64_t> new_connections_{0};
};

}  // namespace acid::pds
