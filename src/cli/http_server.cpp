#include "cli/http_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iterator>
#include <system_error>
#include <thread>

#include "core/enum_names.h"

namespace acid::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = std::size_t{16} * 1024;
constexpr std::size_t kMaxChunkLine = 1024;           // "<hex size>[;extensions]\r\n"
constexpr std::size_t kLingerDrainBytes = 256 << 10;  // discarded after a refusal, at most
constexpr int kLingerMs = 250;
constexpr int kConnectionNice = 10;  // reading and refusing: below the handlers (nice 0)

const char *reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::string serialize(const HttpResponse &res) {
  std::string out = "HTTP/1.1 " + std::to_string(res.status) + " " + reason_phrase(res.status) +
                    "\r\nContent-Type: " + res.content_type +
                    "\r\nContent-Length: " + std::to_string(res.body.size()) +
                    "\r\nConnection: close\r\n";
  if (res.status == 503) out += "Retry-After: 1\r\n";
  out += "\r\n";
  out += res.body;
  return out;
}

HttpResponse error_response(int status, std::string_view message) {
  // The messages are fixed texts of this file: no quoting needed beyond what they hold.
  return HttpResponse{status, "{\"error\":\"" + std::string(message) + "\"}", "application/json"};
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A refusal the connection answers with, and why it is counted.
struct Failure {
  HttpRefusal reason;
  int status;  // 0: close without an answer
  std::string detail;
};

}  // namespace

constexpr EnumName<HttpRefusal> kRefusalNames[] = {
    {HttpRefusal::busy, "busy"},
    {HttpRefusal::body_budget, "body_budget"},
    {HttpRefusal::head_too_large, "head_too_large"},
    {HttpRefusal::bad_request, "bad_request"},
    {HttpRefusal::unsupported, "unsupported"},
    {HttpRefusal::content_encoding, "content_encoding"},
    {HttpRefusal::body_too_large, "body_too_large"},
    {HttpRefusal::timeout, "timeout"},
    {HttpRefusal::client_gone, "client_gone"},
    {HttpRefusal::write_failed, "write_failed"},
    {HttpRefusal::stopping, "stopping"},
    {HttpRefusal::handler_error, "handler_error"}};
static_assert(in_declaration_order(kRefusalNames));
static_assert(std::size(kRefusalNames) == static_cast<std::size_t>(HttpRefusal::count_),
              "every refusal has a name");

const char *refusal_name(HttpRefusal r) {
  return name_of(kRefusalNames, r);
}

std::optional<std::string_view> HttpRequest::header(std::string_view lower_name) const {
  for (const auto &[name, value] : headers) {
    if (name == lower_name) return std::string_view(value);
  }
  return std::nullopt;
}

// One accepted connection: reads one request within the limits, answers it, closes.
class Connection {
 public:
  Connection(HttpServer &server, int fd)
      : server_(server),
        limits_(server.limits_),
        fd_(fd),
        deadline_(Clock::now() + std::chrono::milliseconds(limits_.request_deadline_ms)) {}
  ~Connection() {
    server_.release_body(reserved_);
    ::close(fd_);
  }

  void run() {
    HttpRequest request;
    if (auto f = read_head(request)) return fail(*f);
    if (auto refused = server_.routes_.admit(request)) {
      answer(*refused);
      return linger();
    }
    if (auto f = read_body(request)) return fail(*f);
    answer(server_.call_handler(request));
  }

 private:
  enum class Wait { ready, timeout, stopped };

  // Waits until the socket is readable/writable, within the idle timeout and the deadline.
  Wait wait_for(short events, int idle_ms) {
    const auto now = Clock::now();
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now).count();
    if (left <= 0) return Wait::timeout;  // also when bytes keep coming: the deadline is total
    const int ms = static_cast<int>(std::min<long long>(idle_ms, left));
    pollfd fds[2] = {{fd_, events, 0}, {server_.wake_[0], POLLIN, 0}};
    int n = 0;
    do {
      n = ::poll(fds, 2, ms);
    } while (n < 0 && errno == EINTR);
    if (n > 0 && (fds[1].revents & POLLIN) != 0) return Wait::stopped;
    if (n > 0) return Wait::ready;
    return Wait::timeout;
  }

  // Appends at least one byte to buf_. A failure when the client is gone, slow or we stop.
  std::optional<Failure> fill() {
    char chunk[kReadChunk];
    while (true) {
      switch (wait_for(POLLIN, limits_.idle_timeout_ms)) {
        case Wait::stopped:
          return Failure{HttpRefusal::stopping, 503, "the daemon is stopping"};
        case Wait::timeout:
          return Failure{HttpRefusal::timeout, 408,
                         Clock::now() >= deadline_ ? "request deadline passed"
                                                   : "no byte within the idle timeout"};
        case Wait::ready:
          break;
      }
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        buf_.append(chunk, static_cast<std::size_t>(n));
        return std::nullopt;
      }
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      return Failure{HttpRefusal::client_gone, 0, n == 0 ? "closed early" : std::strerror(errno)};
    }
  }

  std::optional<Failure> read_head(HttpRequest &req) {
    std::size_t end = std::string::npos;
    std::size_t searched = 0;
    while ((end = buf_.find("\r\n\r\n", searched)) == std::string::npos) {
      if (buf_.size() > limits_.max_head_bytes) {
        return Failure{HttpRefusal::head_too_large, 431, "request head over the limit"};
      }
      searched = buf_.size() < 3 ? 0 : buf_.size() - 3;
      if (auto f = fill()) {
        if (f->reason == HttpRefusal::client_gone && buf_.empty()) f->detail = "no request";
        return f;
      }
    }
    if (end + 4 > limits_.max_head_bytes) {
      return Failure{HttpRefusal::head_too_large, 431, "request head over the limit"};
    }
    const std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    return parse_head(head, req);
  }

  std::optional<Failure> parse_head(std::string_view head, HttpRequest &req) {
    const auto bad = [](const char *why) { return Failure{HttpRefusal::bad_request, 400, why}; };
    std::size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
      return bad("malformed request line");
    }
    req.method = std::string(line.substr(0, sp1));
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (req.method.empty() || !std::all_of(req.method.begin(), req.method.end(), is_token_char)) {
      return bad("malformed method");
    }
    if (target.empty() || target.front() != '/') return bad("malformed target");
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return bad("unsupported HTTP version");
    http10_ = version == "HTTP/1.0";
    req.path = std::string(target.substr(0, target.find('?')));

    while (eol != std::string_view::npos) {
      const std::size_t start = eol + 2;
      eol = head.find("\r\n", start);
      const std::string_view field = head.substr(start, eol == head.npos ? eol : eol - start);
      if (req.headers.size() == limits_.max_header_count) {
        return Failure{HttpRefusal::head_too_large, 431, "too many header lines"};
      }
      const std::size_t colon = field.find(':');
      if (colon == 0 || colon == std::string_view::npos) return bad("malformed header line");
      const std::string_view name = field.substr(0, colon);
      if (!std::all_of(name.begin(), name.end(), is_token_char)) {
        return bad("malformed header name (or obsolete line folding)");
      }
      const std::string_view value = trim(field.substr(colon + 1));
      if (value.find_first_of("\r\n") != std::string_view::npos) return bad("bare CR or LF");
      req.headers.emplace_back(lowercase(name), std::string(value));
    }
    return check_framing(req);
  }

  std::optional<Failure> check_framing(const HttpRequest &req) {
    int lengths = 0;
    int encodings = 0;
    for (const auto &[name, value] : req.headers) {
      if (name == "content-length") ++lengths;
      if (name == "transfer-encoding") ++encodings;
      if (name == "content-encoding" && lowercase(value) != "identity") {
        return Failure{HttpRefusal::content_encoding, 415,
                       "Content-Encoding is not accepted: send the body uncompressed"};
      }
    }
    if (encodings > 0) {
      if (lengths > 0 || encodings > 1 || http10_) {
        return Failure{HttpRefusal::bad_request, 400, "ambiguous body framing"};
      }
      if (lowercase(*req.header("transfer-encoding")) != "chunked") {
        return Failure{HttpRefusal::unsupported, 501, "only chunked transfer coding is accepted"};
      }
      chunked_ = true;
      return std::nullopt;
    }
    if (lengths > 1) return Failure{HttpRefusal::bad_request, 400, "several Content-Length"};
    if (lengths == 1) {
      const std::string_view v = *req.header("content-length");
      if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != v.npos) {
        return Failure{HttpRefusal::bad_request, 400, "malformed Content-Length"};
      }
      content_length_ = std::stoull(std::string(v));
      if (content_length_ > limits_.max_body_bytes) return too_large();
    }
    return std::nullopt;
  }

  Failure too_large() const {
    return Failure{HttpRefusal::body_too_large, 413,
                   "body larger than " + std::to_string(limits_.max_body_bytes) + " bytes"};
  }

  // Grows the body to `size` bytes' worth of reservation; false when the shared budget is spent.
  bool reserve(std::size_t size) {
    const std::size_t beyond =
        size > limits_.body_allowance_bytes ? size - limits_.body_allowance_bytes : 0;
    if (beyond <= reserved_) return true;
    if (!server_.reserve_body(beyond - reserved_)) return false;
    reserved_ = beyond;
    return true;
  }

  std::optional<Failure> take_body(HttpRequest &req, std::size_t n) {
    if (req.body.size() + n > limits_.max_body_bytes) return too_large();
    if (!reserve(req.body.size() + n)) {
      return Failure{HttpRefusal::body_budget, 503, "the daemon's body memory budget is spent"};
    }
    // Grow geometrically but never past the limit, so a body's capacity stays within it.
    if (req.body.size() + n > req.body.capacity()) {
      req.body.reserve(
          std::min(limits_.max_body_bytes, std::max(req.body.size() + n, 2 * req.body.capacity())));
    }
    while (n > 0) {
      if (buf_.empty()) {
        if (auto f = fill()) return f;
      }
      const std::size_t move = std::min(n, buf_.size());
      req.body.append(buf_, 0, move);
      buf_.erase(0, move);
      n -= move;
    }
    return std::nullopt;
  }

  std::optional<Failure> read_line(std::string &line) {
    std::size_t eol = 0;
    while ((eol = buf_.find("\r\n")) == std::string::npos) {
      if (buf_.size() > kMaxChunkLine) {
        return Failure{HttpRefusal::bad_request, 400, "chunk line too long"};
      }
      if (auto f = fill()) return f;
    }
    if (eol > kMaxChunkLine) return Failure{HttpRefusal::bad_request, 400, "chunk line too long"};
    line = buf_.substr(0, eol);
    buf_.erase(0, eol + 2);
    return std::nullopt;
  }

  std::optional<Failure> read_chunked(HttpRequest &req) {
    std::string line;
    std::size_t trailers = 0;
    while (true) {
      if (auto f = read_line(line)) return f;
      const std::string_view size_text = trim(std::string_view(line).substr(0, line.find(';')));
      if (size_text.empty() || size_text.size() > 8 ||
          size_text.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
        return Failure{HttpRefusal::bad_request, 400, "malformed chunk size"};
      }
      const std::size_t size = std::stoul(std::string(size_text), nullptr, 16);
      if (size == 0) break;
      if (auto f = take_body(req, size)) return f;
      if (auto f = read_line(line)) return f;
      if (!line.empty()) return Failure{HttpRefusal::bad_request, 400, "chunk without CRLF"};
    }
    do {  // trailer fields, ignored, bounded like headers
      if (auto f = read_line(line)) return f;
      if (++trailers > limits_.max_header_count) {
        return Failure{HttpRefusal::head_too_large, 431, "too many trailer lines"};
      }
    } while (!line.empty());
    return std::nullopt;
  }

  std::optional<Failure> read_body(HttpRequest &req) {
    const auto expect = req.header("expect");
    if (expect && lowercase(*expect) == "100-continue" && !http10_ &&
        (chunked_ || content_length_ > 0)) {
      if (!write_all("HTTP/1.1 100 Continue\r\n\r\n")) {
        return Failure{HttpRefusal::write_failed, 0, "100 Continue not written"};
      }
    }
    if (chunked_) return read_chunked(req);
    return take_body(req, static_cast<std::size_t>(content_length_));
  }

  bool write_all(std::string_view data) {
    const auto write_deadline = Clock::now() + std::chrono::milliseconds(limits_.write_timeout_ms);
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(write_deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd pfd{fd_, POLLOUT, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) return false;
    }
    return true;
  }

  void answer(const HttpResponse &res) {
    if (!write_all(serialize(res))) {
      server_.count(HttpRefusal::write_failed, "answer not written within the write timeout");
    }
  }

  void fail(const Failure &f) {
    server_.count(f.reason, f.detail);
    if (f.status == 0) return;
    answer(error_response(f.status, f.detail));
    linger();
  }

  // After answering early, the client may still be sending: stop writing, then discard what it
  // sends (bounded in bytes and time) so closing doesn't reset the connection before it has
  // read the answer.
  void linger() {
    ::shutdown(fd_, SHUT_WR);
    deadline_ = Clock::now() + std::chrono::milliseconds(kLingerMs);
    char sink[kReadChunk];
    std::size_t drained = 0;
    while (drained < kLingerDrainBytes && wait_for(POLLIN, kLingerMs) == Wait::ready) {
      const ssize_t n = ::recv(fd_, sink, sizeof sink, 0);
      if (n <= 0) break;
      drained += static_cast<std::size_t>(n);
    }
  }

  HttpServer &server_;
  const HttpLimits &limits_;
  int fd_;
  Clock::time_point deadline_;
  std::string buf_;  // received, not yet consumed
  bool http10_ = false;
  bool chunked_ = false;
  unsigned long long content_length_ = 0;
  std::size_t reserved_ = 0;  // bytes held from the shared body budget
};

HttpServer::HttpServer(HttpLimits limits, HttpRoutes routes)
    : limits_(limits), routes_(std::move(routes)) {
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
}

HttpServer::~HttpServer() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_[0] >= 0) ::close(wake_[0]);
  if (wake_[1] >= 0) ::close(wake_[1]);
}

std::optional<std::string> HttpServer::bind(const std::string &host, int port) {
  if (wake_[0] < 0) return std::string("cannot create the wake-up pipe");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo *found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return std::string("cannot resolve ") + host + ": " + ::gai_strerror(rc);
  }
  std::string error = "no address";
  for (addrinfo *a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      listen_fd_ = fd;
      break;
    }
    error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (listen_fd_ < 0) return error;
  return std::nullopt;
}

void HttpServer::run() {
  // The handlers keep the default priority; connection threads lower theirs (below), so a flood
  // being read and refused yields the CPU to requests being answered.
  std::vector<std::thread> handlers;
  for (std::size_t i = 0; i < limits_.max_concurrent_handlers; ++i) {
    handlers.emplace_back([this] { handler_loop(); });
  }
  while (!stopping_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;  // EINTR
    if ((fds[1].revents & POLLIN) != 0) break;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      // The peer left already (retry at once), or no descriptor is free: wait a little, or the
      // still-readable listening socket would spin this loop.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        count(HttpRefusal::busy, "no file descriptor for a new connection");
        ::usleep(10'000);
      }
      continue;
    }
    if (static_cast<std::size_t>(open_.load()) >= limits_.max_connections) {
      refuse_busy(fd);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++open_;
    try {
      std::thread([this, fd] {
        serve_connection(fd);
        std::lock_guard lock(mu_);
        --open_;
        cv_.notify_all();
      }).detach();
    } catch (const std::system_error &) {  // no thread to be had: refused like any excess
      --open_;
      refuse_busy(fd);
    }
  }
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_.load() == 0; });
    handlers_stop_ = true;
    jobs_cv_.notify_all();
  }
  for (auto &h : handlers) h.join();
}

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  const char byte = 1;
  // The pipe is empty and non-blocking: this write succeeds, and every poll sees it from now on.
  [[maybe_unused]] const ssize_t n = ::write(wake_[1], &byte, 1);
}

void HttpServer::serve_connection(int fd) {
  // Linux nice values are per thread. Raising one's own is always allowed; should it fail, the
  // thread keeps the handlers' priority, which is only less fair under load.
  [[maybe_unused]] const int rc =
      ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kConnectionNice);
  Connection(*this, fd).run();
}

void HttpServer::refuse_busy(int fd) {
  static const std::string kBusy = serialize(error_response(503, "too many connections"));
  // Non-blocking, best effort: the refusal must cost the acceptor nothing.
  [[maybe_unused]] const ssize_t n =
      ::send(fd, kBusy.data(), kBusy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd);
  count(HttpRefusal::busy, "over the connection limit");
}

void HttpServer::count(HttpRefusal r, std::string_view detail) {
  ++refusals_[static_cast<int>(r)];
  if (routes_.refused) routes_.refused(r, detail);
}

bool HttpServer::reserve_body(std::size_t bytes) {
  std::lock_guard lock(mu_);
  if (body_in_use_ + bytes > limits_.shared_body_budget_bytes) return false;
  body_in_use_ += bytes;
  return true;
}

void HttpServer::release_body(std::size_t bytes) {
  if (bytes == 0) return;
  std::lock_guard lock(mu_);
  body_in_use_ -= bytes;
}

// First come, first served: complete requests queue for the handler threads in arrival order
// (a plain condition variable lets late arrivals overtake, which stretches the tail).
HttpResponse HttpServer::call_handler(const HttpRequest &request) {
  HandlerJob job{&request, {}, false, {}};
  std::unique_lock lock(mu_);
  jobs_.push_back(&job);
  jobs_cv_.notify_one();
  job.cv.wait(lock, [&job] { return job.done; });
  return std::move(job.response);
}

void HttpServer::handler_loop() {
  std::unique_lock lock(mu_);
  while (true) {
    jobs_cv_.wait(lock, [this] { return !jobs_.empty() || handlers_stop_; });
    if (jobs_.empty()) return;  // stopping, and nothing is left to answer
    HandlerJob *job = jobs_.front();
    jobs_.pop_front();
    lock.unlock();
    HttpResponse response;
    try {
      response = routes_.handle(*job->request);
    } catch (const std::exception &e) {
      // The routes call the C ABI, which never throws; std::bad_alloc of the response is left.
      response = error_response(500, "internal error");
      count(HttpRefusal::handler_error, e.what());
    }
    lock.lock();
    job->response = std::move(response);
    job->done = true;
    job->cv.notify_one();
  }
}

}  // namespace acid::cli
