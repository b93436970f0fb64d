// acidentity serve: the daemon. POST /auth0-events[/<tenant>], POST /handle-changed, GET /healthz,
// GET /metrics, and
// background job workers. SIGTERM/SIGINT stop it gracefully: the listener closes, each worker
// finishes the job it holds (its outcome recorded), and nothing is left leased.
#include <httplib.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "cli/common.h"

namespace acid::cli {

namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:8787";
  int workers = 2;
  std::int64_t max_body_bytes = 2 << 20;
};

class Stopper {
 public:
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() {
    std::lock_guard lock(mu_);
    return stopped_;
  }
  // Sleeps up to `ms`, waking early on stop(). Returns true if stopped.
  bool sleep_for(int ms) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopped_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

std::optional<std::pair<std::string, int>> split_listen(const std::string &listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const int p = std::stoi(port);
  if (p > 65535) return std::nullopt;
  return std::make_pair(host, p);
}

// The process's own peak resident set (VmHWM). getrusage's ru_maxrss would also count the
// memory of a large parent that started the daemon, since it survives exec.
long peak_rss_kib() {
  std::FILE *status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
  }
  std::fclose(status);
  return kib;
}

void worker_loop(acid_client *client, Stopper &stopper, std::atomic<long> &errors) {
  while (!stopper.stopped()) {
    OwnedText summary;
    // Small batches, so a stop request waits for at most a few jobs.
    if (acid_run_jobs(client, 5'000, 5, &summary.ptr) != ACID_OK) {
      ++errors;
      std::fprintf(stderr, "{\"event\":\"worker.error\",\"message\":\"%s\"}\n",
                   acid_error_last()->message);
      if (stopper.sleep_for(2'000)) return;
      continue;
    }
    rapidjson::Document doc;
    doc.Parse(summary.ptr);
    const bool idle = !doc.HasParseError() && doc.IsObject() && doc.HasMember("ran") &&
                      doc["ran"].IsInt() && doc["ran"].GetInt() == 0;
    if (idle && stopper.sleep_for(500)) return;
  }
}

int serve(const Context &ctx, const ServeArgs &a) {
  const auto endpoint = split_listen(a.listen);
  if (!endpoint) {
    std::fprintf(stderr, "acidentity: serve: --listen must be HOST:PORT\n");
    return kExitUsage;
  }
  ClientHandle client = open_client(ctx);
  if (!client) return report_failure("opening the client");

  // Signals are taken by a dedicated thread; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  httplib::Server server;
  server.set_payload_max_length(static_cast<std::size_t>(a.max_body_bytes));
  std::atomic<long> worker_errors{0};

  auto events = [&](const httplib::Request &req, httplib::Response &res) {
    acid_tenant tenant = ACID_TENANT_AESTHETIC;
    if (req.matches.size() > 1 && req.matches[1].matched) {
      const std::string name = req.matches[1].str();
      if (name == "sotce") {
        tenant = ACID_TENANT_SOTCE;
      } else if (name != "aesthetic") {
        res.status = 404;
        res.set_content("{\"error\":\"unknown tenant\"}", "application/json");
        return;
      }
    }
    const std::string auth = req.get_header_value("Authorization");
    int status = 0;
    OwnedText body;
    if (acid_handle_log_stream(client.get(), tenant,
                               req.has_header("Authorization") ? auth.c_str() : nullptr,
                               req.body.data(), req.body.size(), &status, &body.ptr) != ACID_OK) {
      res.status = 500;
      res.set_content("{\"error\":\"internal error\"}", "application/json");
      std::fprintf(stderr, "{\"event\":\"webhook.error\",\"message\":\"%s\"}\n",
                   acid_error_last()->message);
      return;
    }
    res.status = status;
    res.set_content(body.str(), "application/json");
  };
  server.Post(R"(/auth0-events(?:/([a-z]+))?)", events);
  server.Post("/handle-changed", [&](const httplib::Request &req, httplib::Response &res) {
    const std::string auth = req.get_header_value("Authorization");
    int status = 0;
    OwnedText body;
    if (acid_handle_changed_request(
            client.get(), req.has_header("Authorization") ? auth.c_str() : nullptr, req.body.data(),
            req.body.size(), &status, &body.ptr) != ACID_OK) {
      res.status = 500;
      res.set_content("{\"error\":\"internal error\"}", "application/json");
      std::fprintf(stderr, "{\"event\":\"handle_changed.error\",\"message\":\"%s\"}\n",
                   acid_error_last()->message);
      return;
    }
    res.status = status;
    res.set_content(body.str(), "application/json");
  });
  server.Get("/healthz", [&](const httplib::Request &, httplib::Response &res) {
    res.set_content("{\"ok\":true,\"worker_errors\":" + std::to_string(worker_errors.load()) +
                        ",\"peak_rss_kib\":" + std::to_string(peak_rss_kib()) + "}",
                    "application/json");
  });
  server.Get("/metrics", [&](const httplib::Request &, httplib::Response &res) {
    OwnedText text;
    if (acid_metrics(client.get(), &text.ptr) != ACID_OK) {
      res.status = 500;
      return;
    }
    std::string out = text.str();
    out += "# TYPE acid_worker_errors_total counter\nacid_worker_errors_total " +
           std::to_string(worker_errors.load()) + "\n";
    out += "# TYPE acid_peak_rss_kib gauge\nacid_peak_rss_kib " + std::to_string(peak_rss_kib()) +
           "\n";
    res.set_content(out, "text/plain; version=0.0.4");
  });

  if (!server.bind_to_port(endpoint->first, endpoint->second)) {
    std::fprintf(stderr, "acidentity: serve: cannot listen on %s\n", a.listen.c_str());
    return kExitFailure;
  }
  Stopper stopper;
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::fprintf(stderr, "{\"event\":\"daemon.stopping\",\"signal\":%d}\n", sig);
    stopper.stop();
    server.stop();
  });
  std::vector<std::thread> workers;
  for (int i = 0; i < a.workers; ++i) {
    workers.emplace_back(worker_loop, client.get(), std::ref(stopper), std::ref(worker_errors));
  }
  std::fprintf(stderr, "{\"event\":\"daemon.listening\",\"listen\":\"%s\",\"workers\":%d}\n",
               a.listen.c_str(), a.workers);
  const bool listened = server.listen_after_bind();
  // listen_after_bind returns when stop() ran (or the socket failed): stop everything.
  if (!stopper.stopped()) {
    stopper.stop();
    pthread_kill(signal_thread.native_handle(), SIGTERM);
  }
  signal_thread.join();
  for (auto &w : workers) w.join();
  std::fprintf(stderr, "{\"event\":\"daemon.stopped\",\"peak_rss_kib\":%ld}\n", peak_rss_kib());
  return listened ? kExitOk : kExitFailure;
}

}  // namespace

void add_serve_commands(CLI::App &app, Context &ctx) {
  auto args = std::make_shared<ServeArgs>();
  auto *cmd = app.add_subcommand("serve", "the daemon: webhook endpoint, health, metrics, workers");
  cmd->add_option("--listen", args->listen, "HOST:PORT (default 127.0.0.1:8787)");
  cmd->add_option("--workers", args->workers, "job worker threads")->check(CLI::Range(0, 64));
  cmd->callback([&ctx, args] { ctx.exit_code = serve(ctx, *args); });
}

}  // namespace acid::cli
