// A small fault-injecting HTTP/1.1 proxy for tests, on 127.0.0.1 (ephemeral port), in front of
// the real PDS. Each request is logged, then a rule decides: forward it, answer it directly
// (e.g. 500, 429 with rate-limit headers), forward it after a delay, reset the connection before
// or after forwarding, or forward and rewrite the answer.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/status.h"

namespace acid::pds::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct ProxyRequest {
  std::string method;  // GET, POST
  std::string target;  // path and query, e.g. /xrpc/com.atproto.repo.getRecord?repo=...
  std::string nsid;    // the part after /xrpc/ without the query
  Headers headers;     // names lowercased
  std::string body;
  std::optional<std::string> header(std::string_view lower_name) const;
};

struct ProxyResponse {
  int status = 200;
  Headers headers;  // without framing headers (Content-Length is recomputed)
  std::string body;
};

struct Fault {
  enum class Action {
    forward,             // pass to the PDS and back
    respond,             // answer with `response`, the PDS never sees the request
    delay_then_forward,  // sleep delay_ms, then forward
    reset,               // reset the connection (TCP RST) without answering
    forward_then_reset,  // the PDS handles the request, the answer is lost (RST)
  };
  Action action = Action::forward;
  int delay_ms = 0;
  ProxyResponse response;
  std::function<void(ProxyResponse &)> rewrite;  // applied to forwarded answers
};

// Decides what to do with one request; `nth` counts the requests seen for the same NSID
// (1 for the first).
using FaultRule = std::function<Fault(const ProxyRequest &request, int nth)>;

// Convenience rules.
Fault forward();
Fault respond(int status, std::string body, Headers headers = {});
Fault xrpc_error(int status, const std::string &error, const std::string &message,
                 Headers headers = {});

class FaultProxy {
 public:
  explicit FaultProxy(int upstream_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy &) = delete;
  FaultProxy &operator=(const FaultProxy &) = delete;

  Status start();
  void stop();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void set_rule(FaultRule rule);
  std::vector<ProxyRequest> requests() const;
  int count(std::string_view nsid) const;
  int connections() const { return connections_.load(); }
  void clear();

 private:
  void accept_loop();
  void serve(int fd);
  Result<ProxyResponse> forward_upstream(const ProxyRequest &request);

  int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  FaultRule rule_;
  std::vector<ProxyRequest> log_;
  std::set<int> open_fds_;
  std::vector<std::thread> workers_;
};

}  // namespace acid::pds::test
