// The daemon's HTTP/1.1 server: a small server of the project's own whose every input is bounded.
//
// Why not cpp-httplib (Debian's 0.11): it checks its payload limit only against Content-Length
// (a chunked body is read whole), reads the body of every POST before routing, decompresses
// gzip/brotli bodies without a bound, has no bound on the size or number of header lines, no
// per-request deadline, and queues connections without limit behind its 8 threads. Its hooks
// (pre-routing handler, content receivers, its task queue) fix the first two but not the rest:
// header parsing and connection admission happen before any hook runs. See docs/daemon.md.
//
// What this server guarantees:
// - A connection over `max_connections` is answered 503 at once and closed: never queued.
// - The request line and headers together hold at most `max_head_bytes` in at most
//   `max_header_count` lines (431 otherwise); obsolete line folding, a request both chunked and
//   with Content-Length, or any Transfer-Encoding other than chunked is refused (400/501).
// - Content-Encoding other than identity is refused with 415: nothing is ever decompressed.
// - `admit` sees the head (method, path, headers) before a byte of the body is read, so a wrong
//   path, method or token is refused without reading the body; 100-continue is sent only after.
// - The body, chunked or not, is counted as it arrives and refused with 413 the moment it would
//   pass `max_body_bytes`; buffered body bytes beyond a small per-connection allowance come from
//   one shared budget (503 when it is spent), so memory stays bounded under any mix of clients.
// - Every read waits at most `idle_timeout_ms` for a byte and the whole request must arrive
//   within `request_deadline_ms` (408 otherwise); every write gives up after `write_timeout_ms`.
// - Every response closes the connection (no keep-alive: Auth0 delivers one batch per request).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace acid::cli {

struct HttpLimits {
  std::size_t max_connections = 512;
  std::size_t max_head_bytes = std::size_t{16} * 1024;
  std::size_t max_header_count = 64;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t body_allowance_bytes =
      std::size_t{64} * 1024;                       // per connection, outside the shared budget
  std::size_t shared_body_budget_bytes = 16 << 20;  // all connections' bodies beyond allowance
  std::size_t max_concurrent_handlers = 8;  // handler threads: requests in the library at once
  int idle_timeout_ms = 5'000;
  int request_deadline_ms = 15'000;
  int write_timeout_ms = 5'000;
};

struct HttpRequest {
  std::string method;
  std::string path;                                          // the target without its query
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // The value of the first header named `lower_name`, if any.
  std::optional<std::string_view> header(std::string_view lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// Why a request was refused by the server itself (not by a route), counted per reason.
enum class HttpRefusal : int {
  busy = 0,          // over max_connections (503)
  body_budget,       // shared body budget spent (503)
  head_too_large,    // 431
  bad_request,       // malformed head or framing (400)
  unsupported,       // a Transfer-Encoding other than chunked (501)
  content_encoding,  // 415
  body_too_large,    // 413
  timeout,           // idle timeout or request deadline (408, or closed)
  client_gone,       // the client closed or reset before the request was complete
  write_failed,      // the answer could not be written in time
  stopping,          // the daemon stopped while the request was being read (503)
  handler_error,     // the route threw (500)
  count_
};
const char *refusal_name(HttpRefusal r);

struct HttpRoutes {
  // Sees the head before the body is read: a response refuses the request, nullopt reads the body.
  std::function<std::optional<HttpResponse>(const HttpRequest &head)> admit;
  // Answers a complete request.
  std::function<HttpResponse(const HttpRequest &request)> handle;
  // Told of each refusal, with a short human-readable detail (one log line).
  std::function<void(HttpRefusal, std::string_view detail)> refused;
};

class HttpServer {
 public:
  HttpServer(HttpLimits limits, HttpRoutes routes);
  ~HttpServer();
  HttpServer(const HttpServer &) = delete;
  HttpServer &operator=(const HttpServer &) = delete;

  // Binds and listens on host:port (IPv4 or IPv6 literal, or a name getaddrinfo resolves).
  // Returns an error message, or nullopt on success.
  std::optional<std::string> bind(const std::string &host, int port);
  // Accepts connections until stop(); then waits for open connections to finish (each is woken
  // and gives up its reads at once) and returns.
  void run();
  // Thread-safe, idempotent; may be called before run(), which then returns at once.
  void stop();

  long refusals(HttpRefusal r) const { return refusals_[static_cast<int>(r)].load(); }
  long open_connections() const { return open_.load(); }

 private:
  friend class Connection;
  void serve_connection(int fd);
  void refuse_busy(int fd);
  void count(HttpRefusal r, std::string_view detail);
  bool reserve_body(std::size_t bytes);
  void release_body(std::size_t bytes);
  HttpResponse call_handler(const HttpRequest &request);
  void handler_loop();

  HttpLimits limits_;
  HttpRoutes routes_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: written once by stop(), polled by every blocking wait
  std::atomic<bool> stopping_{false};
  std::atomic<long> open_{0};
  std::atomic<long> refusals_[static_cast<int>(HttpRefusal::count_)] = {};
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t body_in_use_ = 0;  // bytes of the shared body budget, under mu_
  struct HandlerJob {
    const HttpRequest *request;
    HttpResponse response;
    bool done;
    std::condition_variable cv;
  };
  std::deque<HandlerJob *> jobs_;  // complete requests waiting for a handler, oldest first
  std::condition_variable jobs_cv_;
  bool handlers_stop_ = false;  // under mu_
};

}  // namespace acid::cli
