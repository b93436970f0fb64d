// The daemon under load and attack (issue 13 §7): valid Auth0 deliveries from 200 concurrent
// clients, first alone (the baseline), then in the same run mixed with chunked floods,
// decompression bombs, oversized heads and slow clients. Prints deliveries/s, p50/p99/max
// latency of the valid deliveries, their failures, and the daemon's peak RSS (VmHWM) after each
// phase. Everything runs on 127.0.0.1 and every loop is bounded in count and time.
//
//   daemon_load [--cli PATH] [--clients 200] [--per-client 5] [--floods 16] [--flood-mib-s 8]
//               [--slow 64] [--sqlite-query ?synchronous=normal]
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char **environ;

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char *kToken = "bench-daemon-load-token-0123456789";
constexpr auto kPhaseCap = std::chrono::seconds(120);  // no phase runs longer than this

[[noreturn]] void die(const std::string &why) {
  std::fprintf(stderr, "daemon_load: %s\n", why.c_str());
  std::exit(2);
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) != 0) {
    die("no free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string &data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// The status of the answer, read until the server closes (every answer closes); 0 for none.
int read_status(int fd) {
  std::string data;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0 && data.size() < (1 << 16)) {
    data.append(buf, static_cast<std::size_t>(n));
  }
  if (data.size() < 12 || data.compare(0, 5, "HTTP/") != 0) return 0;
  return std::atoi(data.c_str() + 9);
}

std::string post(const std::string &path, const std::string &body, const std::string &extra) {
  return "POST " + path + " HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + kToken +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + extra + "\r\n" + body;
}

long vm_hwm_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

struct Options {
  std::string cli;
  int clients = 200;
  int per_client = 5;
  int floods = 16;
  int slow = 64;
  std::string sqlite_query;  // e.g. "?synchronous=normal"; default: the store's default (full)
  int flood_mib_s = 8;       // per flooder: 16 x 8 MiB/s is about a saturated 1 Gbit/s link
};

struct PhaseResult {
  double seconds = 0;
  int ok = 0;
  int failed = 0;
  std::vector<double> latencies_ms;
  long hwm_kib = 0;
  long hostile_requests = 0;
};

// `clients` threads, each sending `per_client` one-signup deliveries one after the other.
PhaseResult valid_deliveries(int port, const Options &o, const std::string &prefix, pid_t pid) {
  PhaseResult r;
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(o.clients));
  std::atomic<int> ok{0}, failed{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; i < o.per_client && Clock::now() - start < kPhaseCap; ++i) {
        const std::string id = prefix + std::to_string(c) + "-" + std::to_string(i);
        const std::string body = R"([{"log_id":")" + id +
                                 R"(","data":{"type":"ss","date":"2025-10-14T08:30:00Z",)"
                                 R"("user_id":"auth0|)" +
                                 id + R"(","user_name":")" + id + R"(@example.com"}}])";
        const auto t0 = Clock::now();
        const int fd = connect_to(port);
        const int status =
            fd >= 0 && send_all(fd, post("/auth0-events", body, "")) ? read_status(fd) : 0;
        if (fd >= 0) ::close(fd);
        lat[static_cast<std::size_t>(c)].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        (status == 200 ? ok : failed)++;
      }
    });
  }
  for (auto &t : threads) t.join();
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.ok = ok;
  r.failed = failed;
  for (auto &v : lat) r.latencies_ms.insert(r.latencies_ms.end(), v.begin(), v.end());
  std::sort(r.latencies_ms.begin(), r.latencies_ms.end());
  r.hwm_kib = vm_hwm_kib(pid);
  return r;
}

// Holds one attacker to a byte rate (an attacker's link, not this machine's loopback, bounds
// what reaches a real daemon; unpaced, the flooders here would mostly measure two shared cores).
class Pacer {
 public:
  explicit Pacer(double bytes_per_s) : rate_(bytes_per_s), start_(Clock::now()) {}
  void sent(std::size_t bytes) {
    total_ += static_cast<double>(bytes);
    const auto due = start_ + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(total_ / rate_));
    std::this_thread::sleep_until(due);
  }

 private:
  double rate_;
  Clock::time_point start_;
  double total_ = 0;
};

// One hostile request of kind `k`, bounded: a chunked flood of up to 64 MiB, a gzip body, an
// oversized head, or a Content-Length far over the limit.
void hostile_request(int port, int k, Pacer &pacer) {
  const int fd = connect_to(port);
  if (fd < 0) return;
  static const std::string chunk = "100000\r\n" + std::string(1 << 20, '\0') + "\r\n";
  switch (k % 4) {
    case 0: {
      const bool authorised = (k / 4) % 2 == 0;
      std::string head = std::string("POST ") + (authorised ? "/auth0-events" : "/anything") +
                         " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n";
      if (authorised) head += std::string("Authorization: ") + kToken + "\r\n";
      if (send_all(fd, head + "\r\n")) {
        for (int i = 0; i < 64 && send_all(fd, chunk); ++i) pacer.sent(chunk.size());
      }
      break;
    }
    case 1: {  // a gzip member header and 256 KiB of deflate data: refused unread (415)
      std::string body =
          std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03", 10) + std::string(256 << 10, 'x');
      send_all(fd, post("/auth0-events", body, "Content-Encoding: gzip\r\n"));
      pacer.sent(body.size());
      break;
    }
    case 2: {
      std::string head = "GET /healthz HTTP/1.1\r\n";
      for (int i = 0; i < 5000; ++i) head += "X-Flood-" + std::to_string(i) + ": v\r\n";
      send_all(fd, head + "\r\n");
      pacer.sent(head.size());
      break;
    }
    default:  // a 4 GB Content-Length, and the body after it until the daemon closes
      if (send_all(fd, std::string("POST /auth0-events HTTP/1.1\r\nAuthorization: ") + kToken +
                           "\r\nContent-Length: 4000000000\r\n\r\n")) {
        for (int i = 0; i < 4 && send_all(fd, chunk); ++i) pacer.sent(chunk.size());
      }
  }
  read_status(fd);
  ::close(fd);
}

// A slow client: one header byte a second, reconnecting when the daemon closes it.
void slow_client(int port, const std::atomic<bool> &stop) {
  while (!stop.load()) {
    const int fd = connect_to(port);
    if (fd < 0) return;
    const std::string head = "POST /auth0-events HTTP/1.1\r\nX-Slow: " + std::string(4000, 'a');
    for (char c : head) {
      for (int i = 0; i < 10 && !stop.load(); ++i) ::usleep(100'000);
      if (stop.load() || ::send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;
    }
    ::close(fd);
  }
}

pid_t start_daemon(const Options &o, int port, const std::filesystem::path &dir) {
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  std::vector<std::string> env_text;
  for (char **e = environ; *e != nullptr; ++e) env_text.emplace_back(*e);
  env_text.push_back("ACID_STORE=sqlite:" + (dir / "bench.db").string() + o.sqlite_query);
  env_text.push_back(std::string("AUTH0_LOG_TOKEN=") + kToken);
  env_text.push_back("ACID_DAEMON_LISTEN=" + listen);
  std::vector<char *> env;
  for (auto &s : env_text) env.push_back(s.data());
  env.push_back(nullptr);
  std::string cli = o.cli, serve = "serve", workers = "--workers", zero = "0", quiet = "--quiet";
  char *argv[] = {cli.data(), quiet.data(), serve.data(), workers.data(), zero.data(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, o.cli.c_str(), nullptr, nullptr, argv, env.data()) != 0) {
    die("cannot start " + o.cli);
  }
  for (int i = 0; i < 200; ++i) {
    const int fd = connect_to(port);
    if (fd >= 0) {
      const bool up = send_all(fd, "GET /healthz HTTP/1.1\r\n\r\n") && read_status(fd) == 200;
      ::close(fd);
      if (up) return pid;
    }
    ::usleep(50'000);
  }
  die("the daemon did not start");
}

double percentile(const PhaseResult &r, double p) {
  if (r.latencies_ms.empty()) return 0.0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(r.latencies_ms.size() - 1));
  return r.latencies_ms[i];
}

void print_phase(const char *name, const PhaseResult &r) {
  const auto pct = [&](double p) { return percentile(r, p); };
  std::printf("| %-22s | %8.1f | %7.1f | %7.1f | %7.1f | %5d | %6d | %9.1f |\n", name,
              r.ok / r.seconds, pct(0.5), pct(0.99),
              r.latencies_ms.empty() ? 0.0 : r.latencies_ms.back(), r.failed,
              static_cast<int>(r.hostile_requests), r.hwm_kib / 1024.0);
}

Options parse(int argc, char **argv) {
  Options o;
#ifdef ACID_BENCH_ACIDENTITY
  o.cli = ACID_BENCH_ACIDENTITY;
#endif
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--cli") {
      o.cli = v;
    } else if (k == "--clients") {
      o.clients = std::clamp(std::atoi(v.c_str()), 1, 400);
    } else if (k == "--per-client") {
      o.per_client = std::clamp(std::atoi(v.c_str()), 1, 100);
    } else if (k == "--floods") {
      o.floods = std::clamp(std::atoi(v.c_str()), 0, 64);
    } else if (k == "--sqlite-query") {
      o.sqlite_query = v;
    } else if (k == "--flood-mib-s") {
      o.flood_mib_s = std::clamp(std::atoi(v.c_str()), 1, 1024);
    } else if (k == "--slow") {
      o.slow = std::clamp(std::atoi(v.c_str()), 0, 200);
    } else {
      die("unknown option " + k);
    }
  }
  if (o.cli.empty()) die("--cli PATH_TO_ACIDENTITY is required");
  return o;
}

}  // namespace

int main(int argc, char **argv) {
  const Options o = parse(argc, argv);
  const auto dir =
      std::filesystem::temp_directory_path() / ("acid-daemon-load-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const int port = free_port();
  const pid_t pid = start_daemon(o, port, dir);
  const long idle_kib = vm_hwm_kib(pid);

  const PhaseResult quiet = valid_deliveries(port, o, "q", pid);

  std::atomic<bool> stop{false};
  std::atomic<long> hostile{0};
  std::vector<std::thread> attackers;
  for (int f = 0; f < o.floods; ++f) {
    attackers.emplace_back([&, f] {
      Pacer pacer(o.flood_mib_s * 1048576.0);
      for (int k = f; !stop.load() && hostile.load() < 100'000; k += o.floods) {
        hostile_request(port, k, pacer);
        ++hostile;
      }
    });
  }
  for (int s = 0; s < o.slow; ++s) attackers.emplace_back(slow_client, port, std::cref(stop));
  ::usleep(1'000'000);  // the attack is under way before the first valid delivery
  PhaseResult attacked = valid_deliveries(port, o, "a", pid);
  stop = true;
  for (auto &t : attackers) t.join();
  attacked.hostile_requests = hostile.load();
  attacked.hwm_kib = vm_hwm_kib(pid);

  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::filesystem::remove_all(dir);

  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) < 0) load[0] = -1;
  std::printf(
      "# daemon under load: %d clients x %d deliveries, %d flooders at %d MiB/s each, %d slow "
      "clients; idle peak RSS %.1f MiB; load average %.2f\n",
      o.clients, o.per_client, o.floods, o.flood_mib_s, o.slow, idle_kib / 1024.0, load[0]);
  std::printf(
      "| phase                  | deliv/s  | p50 ms  | p99 ms  | max ms  | fail  | "
      "hostile | peak MiB  |\n|---|---|---|---|---|---|---|---|\n");
  print_phase("valid only (baseline)", quiet);
  print_phase("valid under attack", attacked);
  std::printf("ratio (attack / baseline): deliveries/s %.2fx, p99 %.2fx\n",
              (attacked.ok / attacked.seconds) / (quiet.ok / quiet.seconds),
              percentile(attacked, 0.99) / std::max(percentile(quiet, 0.99), 1e-9));
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
