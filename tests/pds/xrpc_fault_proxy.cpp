#include "xrpc_fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>

#include "core/json.h"

namespace acid::pds::test {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

// Splits "a\r\nb\r\n..." header block lines into lowercase name/value pairs.
Headers parse_headers(std::string_view block) {
  Headers out;
  std::size_t pos = 0;
  while (pos < block.size()) {
    std::size_t eol = block.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = block.size();
    const std::string_view line = block.substr(pos, eol - pos);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      out.emplace_back(lower(std::string(line.substr(0, colon))), trim(line.substr(colon + 1)));
    }
    pos = eol + 2;
  }
  return out;
}

std::optional<std::string> find_header(const Headers &headers, std::string_view name) {
  for (const auto &[k, v] : headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads more bytes into buf; false on EOF or error.
bool read_more(int fd, std::string &buf) {
  char tmp[16384];
  const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
  if (n <= 0) return false;
  buf.append(tmp, static_cast<std::size_t>(n));
  return true;
}

const char *reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::string serialize(const ProxyResponse &r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) + "\r\n";
  for (const auto &[k, v] : r.headers) {
    if (k == "content-length" || k == "transfer-encoding" || k == "connection" ||
        k == "keep-alive") {
      continue;
    }
    out += k + ": " + v + "\r\n";
  }
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += "Connection: keep-alive\r\n\r\n";
  out += r.body;
  return out;
}

// Decodes a chunked body; nullopt when incomplete or malformed.
std::optional<std::string> dechunk(std::string_view data) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const auto eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) return std::nullopt;
    const std::string size_text(data.substr(pos, eol - pos));
    std::size_t size = 0;
    try {
      size = std::stoul(size_text, nullptr, 16);
    } catch (const std::exception &) {
      return std::nullopt;
    }
    pos = eol + 2;
    if (size == 0) return out;
    if (pos + size + 2 > data.size()) return std::nullopt;
    out.append(data.substr(pos, size));
    pos += size + 2;
  }
}

void reset_and_close(int fd) {
  linger lg{};
  lg.l_onoff = 1;
  lg.l_linger = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  ::close(fd);
}

}  // namespace

std::optional<std::string> ProxyRequest::header(std::string_view lower_name) const {
  return find_header(headers, lower_name);
}

Fault forward() {
  return Fault{};
}

Fault respond(int status, std::string body, Headers headers) {
  Fault f;
  f.action = Fault::Action::respond;
  f.response.status = status;
  f.response.body = std::move(body);
  f.response.headers = std::move(headers);
  f.response.headers.emplace_back("content-type", "application/json; charset=utf-8");
  return f;
}

Fault xrpc_error(int status, const std::string &error, const std::string &message,
                 Headers headers) {
  return respond(status,
                 "{\"error\":" + json::quote(error) + ",\"message\":" + json::quote(message) + "}",
                 std::move(headers));
}

FaultProxy::FaultProxy(int upstream_port) : upstream_port_(upstream_port) {}

FaultProxy::~FaultProxy() {
  stop();
}

Status FaultProxy::start() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) return Error(Code::internal, "socket failed");
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    return Error(Code::internal, std::string("bind/listen failed: ") + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr *>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
  return Status::ok();
}

void FaultProxy::stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto &t : workers) t.join();
}

void FaultProxy::set_rule(FaultRule rule) {
  std::lock_guard lock(mutex_);
  rule_ = std::move(rule);
}

std::vector<ProxyRequest> FaultProxy::requests() const {
  std::lock_guard lock(mutex_);
  return log_;
}

int FaultProxy::count(std::string_view nsid) const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(std::count_if(log_.begin(), log_.end(),
                                        [&](const ProxyRequest &r) { return r.nsid == nsid; }));
}

void FaultProxy::clear() {
  std::lock_guard lock(mutex_);
  log_.clear();
}

void FaultProxy::accept_loop() {
  while (!stopping_) {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    ++connections_;
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.insert(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void FaultProxy::serve(int fd) {
  bool reset = false;
  std::string buf;
  while (!stopping_) {
    std::size_t head_end;
    bool eof = false;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more(fd, buf)) {
        eof = true;
        break;
      }
    }
    if (eof) break;
    ProxyRequest req;
    const std::string_view head(buf.data(), head_end);
    const auto first_eol = head.find("\r\n");
    const std::string_view request_line = head.substr(0, first_eol);
    const auto sp1 = request_line.find(' ');
    const auto sp2 = request_line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) break;
    req.method = std::string(request_line.substr(0, sp1));
    req.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    if (first_eol != std::string_view::npos)
      req.headers = parse_headers(head.substr(first_eol + 2));
    std::string path = req.target.substr(0, req.target.find('?'));
    if (path.rfind("/xrpc/", 0) == 0) req.nsid = path.substr(6);
    const std::size_t length = std::stoul(req.header("content-length").value_or("0"));
    while (buf.size() < head_end + 4 + length) {
      if (!read_more(fd, buf)) {
        eof = true;
        break;
      }
    }
    if (eof) break;
    req.body = buf.substr(head_end + 4, length);
    buf.erase(0, head_end + 4 + length);

    FaultRule rule;
    int nth = 0;
    {
      std::lock_guard lock(mutex_);
      log_.push_back(req);
      nth = static_cast<int>(std::count_if(
          log_.begin(), log_.end(), [&](const ProxyRequest &r) { return r.nsid == req.nsid; }));
      rule = rule_;
    }
    const Fault fault = rule ? rule(req, nth) : forward();

    if (fault.action == Fault::Action::reset) {
      reset = true;
      break;
    }
    if (fault.action == Fault::Action::delay_then_forward) {
      const auto until =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(fault.delay_ms);
      while (!stopping_ && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    ProxyResponse response;
    if (fault.action == Fault::Action::respond) {
      response = fault.response;
    } else {
      auto upstream = forward_upstream(req);
      if (!upstream) {
        response.status = 502;
        response.body = "{\"error\":\"UpstreamFailure\",\"message\":\"proxy: upstream failed\"}";
      } else {
        response = std::move(*upstream);
        if (fault.rewrite) fault.rewrite(response);
      }
    }
    if (fault.action == Fault::Action::forward_then_reset) {
      reset = true;
      break;
    }
    if (!send_all(fd, serialize(response))) break;
  }
  {
    std::lock_guard lock(mutex_);
    open_fds_.erase(fd);
  }
  if (reset) {
    reset_and_close(fd);
  } else {
    ::close(fd);
  }
}

Result<ProxyResponse> FaultProxy::forward_upstream(const ProxyRequest &req) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Error(Code::internal, "socket failed");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  timeval tv{};
  tv.tv_sec = 60;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(upstream_port_));
  if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
    return Error(Code::unavailable, "upstream connect failed");
  }
  std::string out = req.method + " " + req.target + " HTTP/1.1\r\n";
  for (const auto &[k, v] : req.headers) {
    if (k == "connection" || k == "keep-alive" || k == "accept-encoding" || k == "te" ||
        k == "content-length" || k == "transfer-encoding" || k == "upgrade") {
      continue;
    }
    out += k + ": " + v + "\r\n";
  }
  if (req.method != "GET" || !req.body.empty()) {
    out += "content-length: " + std::to_string(req.body.size()) + "\r\n";
  }
  out += "connection: close\r\n\r\n";
  out += req.body;
  if (!send_all(fd, out)) return Error(Code::unavailable, "upstream send failed");
  std::string raw;
  while (read_more(fd, raw)) {
  }
  const auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return Error(Code::unavailable, "upstream reply incomplete");
  const std::string_view head(raw.data(), head_end);
  const auto first_eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, first_eol);
  ProxyResponse r;
  const auto sp = status_line.find(' ');
  if (sp == std::string_view::npos) return Error(Code::unavailable, "bad upstream status line");
  r.status = std::atoi(std::string(status_line.substr(sp + 1, 3)).c_str());
  if (first_eol != std::string_view::npos) r.headers = parse_headers(head.substr(first_eol + 2));
  const std::string_view rest = std::string_view(raw).substr(head_end + 4);
  if (lower(find_header(r.headers, "transfer-encoding").value_or("")) == "chunked") {
    auto body = dechunk(rest);
    if (!body) return Error(Code::unavailable, "bad chunked upstream body");
    r.body = std::move(*body);
  } else if (auto cl = find_header(r.headers, "content-length")) {
    r.body = std::string(rest.substr(0, std::stoul(*cl)));
  } else {
    r.body = std::string(rest);
  }
  return r;
}

}  // namespace acid::pds::test
