// Section 3: the daemon's peak RSS under a provisioning load.
//
// Starts `acidentity serve --listen 127.0.0.1:<free port> --workers 8` with a fresh SQLite store
// and the local PDS, POSTs the signups and verifications of N people to /auth0-events (bodies of
// 100 events), polls /metrics until every provision job finished, reads VmHWM/VmRSS from
// /proc/PID/status, stops it with SIGTERM and reads the peak RSS it prints on stop
// ({"event":"daemon.stopped","peak_rss_kib":N}). The same figures right after start-up (idle)
// are the baseline. The PDS accounts it made are deleted afterwards.
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "common.h"
#include "core/time.h"
#include "pds/xrpc_client.h"
#include "store/store.h"

extern char **environ;

namespace acid::bench {

namespace {

constexpr const char *kToken = "bench-daemon-log-token";

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
    ::close(fd);
    die("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct Memory {
  long rss_kib = -1;
  long hwm_kib = -1;
  long threads = -1;
};

// VmRSS, VmHWM and threads from /proc/PID/status; -1 for what is missing (an exiting process).
Memory try_read_memory(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  Memory m;
  for (std::string line; std::getline(in, line);) {
    const auto value = [&] { return std::stol(line.substr(line.find(':') + 1)); };
    if (line.rfind("VmRSS:", 0) == 0) m.rss_kib = value();
    if (line.rfind("VmHWM:", 0) == 0) m.hwm_kib = value();
    if (line.rfind("Threads:", 0) == 0) m.threads = value();
  }
  return m;
}

Memory read_memory(pid_t pid) {
  const Memory m = try_read_memory(pid);
  if (m.rss_kib < 0 || m.hwm_kib < 0) die("cannot read /proc/" + std::to_string(pid) + "/status");
  return m;
}

// The value of one series in a Prometheus text exposition, 0 when absent.
std::uint64_t series(const std::string &text, const std::string &name_and_labels) {
  const std::string key = "\n" + name_and_labels + " ";
  const auto at = ("\n" + text).find(key);
  if (at == std::string::npos) return 0;
  return std::stoull(text.substr(at + key.size() - 1));
}

bool exited(pid_t pid, int &status) {
  return ::waitpid(pid, &status, WNOHANG) == pid;
}

}  // namespace

void run_daemon(const Options &options, const PdsEnv &pds) {
  const std::size_t n = options.daemon_users;
  if (!std::filesystem::exists(options.acidentity)) {
    die("the acidentity binary is not at " + options.acidentity.string() +
        " (build the acidentity_cli target, or pass --acidentity PATH)");
  }
  const auto db = options.work_dir / "daemon.db";
  for (const std::string suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(db.string() + suffix);
  const auto log_path = options.work_dir / "daemon.stderr.log";
  const int port = free_port();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  const std::string workers = std::to_string(options.daemon_workers);

  // The caller's environment without any configuration of ours, then the daemon's.
  std::vector<std::string> env_strings;
  for (char **e = environ; *e != nullptr; ++e) {
    const std::string_view v(*e);
    if (v.rfind("ACID_", 0) == 0 || v.rfind("PDS_", 0) == 0 || v.rfind("AUTH0_", 0) == 0 ||
        v.rfind("SOTCE_", 0) == 0 || v.rfind("MONGODB_", 0) == 0) {
      continue;
    }
    env_strings.emplace_back(v);
  }
  env_strings.push_back("ACID_STORE=sqlite:" + db.string());
  env_strings.push_back("PDS_URL=" + pds.url);
  env_strings.push_back("PDS_ADMIN_PASSWORD=" + pds.admin_password);
  env_strings.push_back("ACID_PDS_HANDLE_DOMAIN=" + pds.handle_domain);
  env_strings.push_back(std::string("AUTH0_LOG_TOKEN=") + kToken);
  env_strings.push_back("ACID_CREDENTIALS_KEY=" + fresh_credentials_key());
  std::vector<char *> envp;
  for (auto &s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string bin = options.acidentity.string();
  std::vector<std::string> arg_strings = {bin, "serve", "--listen", listen, "--workers", workers};
  std::vector<char *> argv;
  for (auto &s : arg_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // Linux carries the spawning process's peak RSS into the child's ru_maxrss across exec
  // (exec_mmap folds the old mm's high-water mark into signal->maxrss; with posix_spawn's
  // vfork-style clone the old mm is ours), so the daemon's getrusage figure is at least ours.
  const Memory launcher = read_memory(::getpid());
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) die("posix_spawn " + bin + " failed: " + std::strerror(spawned));

  std::printf(
      "\n== 3. daemon: acidentity serve --listen %s --workers %s (pid %d), %zu people "
      "(ss + sv), store %s\n",
      listen.c_str(), workers.c_str(), static_cast<int>(pid), n, db.c_str());

  int status = 0;
  httplib::Client http("127.0.0.1", port);
  http.set_read_timeout(60, 0);
  const auto started = Clock::now();
  for (;;) {
    if (exited(pid, status)) die("the daemon exited at start-up; see " + log_path.string());
    if (auto res = http.Get("/healthz"); res && res->status == 200) break;
    if (seconds_since(started) > 30) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      die("the daemon did not answer /healthz within 30 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // settle: workers idle
  const Memory idle = read_memory(pid);

  const std::vector<Person> people = make_people(n, "daemon" + random_label(6));
  const std::vector<std::string> bodies =
      signup_and_verify_batches(people, 100, now_unix_ms() - 60'000);
  const httplib::Headers headers = {{"Authorization", std::string("Bearer ") + kToken}};
  const auto t0 = Clock::now();
  for (const std::string &body : bodies) {
    auto res = http.Post("/auth0-events", headers, body, "application/json");
    if (!res || res->status != 200) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, &status, 0);
      die("POST /auth0-events failed: " +
          (res ? std::to_string(res->status) + " " + res->body : httplib::to_string(res.error())));
    }
  }
  const double post_seconds = seconds_since(t0);

  std::uint64_t done = 0, failed = 0;
  long max_rss_seen = 0;
  for (;;) {
    auto res = http.Get("/metrics");
    if (!res || res->status != 200) die("GET /metrics failed");
    done = series(res->body, "acid_jobs_total{kind=\"provision\",outcome=\"done\"}");
    failed = series(res->body, "acid_jobs_total{kind=\"provision\",outcome=\"failed\"}");
    max_rss_seen = std::max(max_rss_seen, read_memory(pid).rss_kib);
    if (done + failed >= n) break;
    if (exited(pid, status)) die("the daemon exited under load; see " + log_path.string());
    if (seconds_since(t0) > 900) die("the daemon did not provision everyone within 900 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double all_seconds = seconds_since(t0);
  const Memory loaded = read_memory(pid);
  // The daemon's own view at the same moment: getrusage(RUSAGE_SELF).ru_maxrss via /healthz.
  long healthz_peak = -1;
  if (auto res = http.Get("/healthz"); res && res->status == 200) {
    const std::string key = "\"peak_rss_kib\":";
    if (const auto at = res->body.find(key); at != std::string::npos) {
      healthz_peak = std::stol(res->body.substr(at + key.size()));
    }
  }
  if (healthz_peak < 0) die("GET /healthz gave no peak_rss_kib");

  ::kill(pid, SIGTERM);
  const auto stopping = Clock::now();
  long shutdown_hwm = loaded.hwm_kib;  // VmHWM while stopping, as long as /proc shows it
  while (!exited(pid, status)) {
    shutdown_hwm = std::max(shutdown_hwm, try_read_memory(pid).hwm_kib);
    if (seconds_since(stopping) > 60) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      die("the daemon did not stop within 60 s of SIGTERM");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double stop_seconds = seconds_since(stopping);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    die("the daemon exited with status " + std::to_string(status) + "; see " + log_path.string());
  }

  std::ifstream log(log_path);
  std::stringstream text;
  text << log.rdbuf();
  const std::string all = text.str();
  const std::string marker = "\"event\":\"daemon.stopped\",\"peak_rss_kib\":";
  const auto at = all.find(marker);
  if (at == std::string::npos) die("no daemon.stopped line in " + log_path.string());
  const long reported = std::stol(all.substr(at + marker.size()));

  std::printf("%-58s %10s %10s %8s\n", "moment", "VmRSS KiB", "VmHWM KiB", "threads");
  std::printf("%-58s %10ld %10ld %8ld\n", "idle, after start-up (baseline)", idle.rss_kib,
              idle.hwm_kib, idle.threads);
  std::printf("%-58s %10ld %10ld %8ld\n", "all provisioned, before SIGTERM", loaded.rss_kib,
              loaded.hwm_kib, loaded.threads);
  std::printf("%-58s %10ld\n", "largest VmRSS seen while polling /metrics", max_rss_seen);
  std::printf("%-58s %10s %10ld\n", "getrusage ru_maxrss via /healthz, before SIGTERM", "",
              healthz_peak);
  std::printf("%-58s %10s %10ld\n", "largest VmHWM seen between SIGTERM and exit", "",
              shutdown_hwm);
  std::printf("peak RSS reported by the daemon on stop (getrusage ru_maxrss): %ld KiB (%.1f MiB)\n",
              reported, static_cast<double>(reported) / 1024.0);
  std::printf("%-58s %10ld %10ld\n", "the launcher (this benchmark process) at spawn",
              launcher.rss_kib, launcher.hwm_kib);
  std::printf("daemon peak RSS = VmHWM before SIGTERM: %ld KiB (%.1f MiB), %.2fx its idle VmHWM\n",
              std::max(loaded.hwm_kib, shutdown_hwm),
              static_cast<double>(std::max(loaded.hwm_kib, shutdown_hwm)) / 1024.0,
              static_cast<double>(std::max(loaded.hwm_kib, shutdown_hwm)) /
                  static_cast<double>(idle.hwm_kib));
  if (reported > std::max(loaded.hwm_kib, shutdown_hwm) + 1024 &&
      launcher.hwm_kib >= reported - 1024) {
    std::printf(
        "note: the daemon's own figure (%ld KiB) is the launcher's peak (%ld KiB) carried "
        "across exec by ru_maxrss, not the daemon's memory\n",
        reported, launcher.hwm_kib);
  }
  std::printf(
      "load: %zu bodies POSTed in %.2f s; %llu provisioned, %llu failed in %.1f s "
      "(%.2f accounts/s end to end); SIGTERM to exit: %.2f s\n",
      bodies.size(), post_seconds, static_cast<unsigned long long>(done),
      static_cast<unsigned long long>(failed), all_seconds, static_cast<double>(done) / all_seconds,
      stop_seconds);

  // Not measured: check the store and delete the PDS accounts.
  auto store = store::open_store("sqlite:" + db.string());
  if (!store) die("opening the daemon's store", store.error());
  pds::ClientOptions client_options;
  client_options.base_url = pds.url;
  client_options.admin_password = pds.admin_password;
  auto client = pds::XrpcClient::create(std::move(client_options));
  if (!client) die("XrpcClient::create", client.error());
  std::size_t active = 0, deleted = 0;
  for (const Person &p : people) {
    auto account = (*store)->get_account(p.user_id);
    if (!account) die("get_account", account.error());
    if (account->state != store::AccountState::active || !account->did) continue;
    ++active;
    if ((*client)->delete_account(*account->did)) ++deleted;
  }
  std::printf("check: %zu of %zu active in the daemon's store; cleanup: %zu PDS accounts deleted\n",
              active, n, deleted);
  if (active != n || deleted != active) die("the daemon run did not provision everyone cleanly");
}

}  // namespace acid::bench
