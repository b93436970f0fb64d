// The library's HTTP transport (internal), shared by the PDS client, the Auth0 Management API
// client and the media fetch: libcurl easy handles kept in a pool.
//
// Thread safety: perform() may be called from any number of threads at once. Each call checks
// an easy handle out of the pool, so a handle is never used by two threads; the handle keeps its
// connections open when it goes back, which is how connections are reused. DNS and TLS sessions
// are shared between the handles through one CURLSH guarded by a mutex per data kind. (libcurl
// does not support sharing the connection cache itself between concurrent threads.)
//
// TLS: peer and host verification are always on; there is no way to turn them off. `ca_file`
// only adds trust anchors. HTTP/2 is negotiated over TLS when the server offers it; plain http
// is HTTP/1.1. Redirects are followed only when a request asks (max_redirects); only http and
// https are allowed.
//
// Non-idempotent requests go out on a fresh connection (HttpRequest::fresh_connection) so that
// libcurl's transparent retry on a dead reused connection can never send them twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "net/http_reply.h"

namespace acid::net {

struct HttpRequest {
  std::string url;
  bool post = false;
  std::string body;                               // sent as content_type when post
  std::string content_type = "application/json";  // of the body (uploadBlob: the blob's type)
  std::string accept = "application/json";        // a media fetch asks for images instead
  std::string authorization;                      // full Authorization header value, or empty
  std::int64_t connect_timeout_ms = 5'000;
  std::int64_t timeout_ms = 30'000;
  std::size_t max_body_bytes = 16u << 20;
  std::string ca_file;
  std::string user_agent;
  // Open a new connection instead of reusing one. libcurl silently re-sends a request once when
  // a reused connection dies before any response byte arrives; for a non-idempotent call
  // (createAccount, createRecord, applyWrites) that would repeat an action the PDS may already
  // have performed. On a fresh connection libcurl never does that. The new connection is kept
  // for reuse by later calls.
  bool fresh_connection = false;
  // Redirects to follow (http/https only); 0 = none, as every XRPC call. A media fetch follows
  // a few (the deployed /media/... answers with a redirect to object storage).
  int max_redirects = 0;
};

struct HttpOutcome {
  int curl_code = 0;  // CURLE_OK when a complete HTTP response arrived
  std::string curl_message;
  bool request_sent = false;  // false: the request provably never left (connect/DNS failure)
  bool body_too_large = false;
  long new_connections = 0;
  HttpReply reply;
};

// Why a transfer failed (curl_code != CURLE_OK), as each client maps it to its own errors.
enum class TransferError {
  network,           // connection refused or reset, DNS failure, broken transfer
  timeout,           // the connect or total timeout passed
  tls,               // certificate verification or TLS setup failed
  config,            // a bad URL or an option libcurl does not support
  invalid_response,  // a reply that cannot be read (or larger than allowed)
};
TransferError classify_curl(int curl_code, bool body_too_large);

class HttpTransport {
 public:
  static Result<std::unique_ptr<HttpTransport>> create(std::size_t max_idle_handles);
  ~HttpTransport();
  HttpTransport(const HttpTransport &) = delete;
  HttpTransport &operator=(const HttpTransport &) = delete;

  HttpOutcome perform(const HttpRequest &request);

 private:
  struct Impl;
  explicit HttpTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace acid::net
