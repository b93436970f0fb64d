// acidentity serve: the daemon. POST /auth0-events[/<tenant>], POST /handle-changed, GET /healthz,
// GET /metrics, and background job workers, behind the bounded HTTP server (cli/http_server.h).
// SIGTERM/SIGINT stop it at any moment, start-up included: the listener closes, open requests
// are woken, each worker finishes the job it holds (its outcome recorded), nothing is left
// leased. Core dumps are off (they would hold tokens and keys). Every log line is one JSON
// object written by cli/json_line.h through the library's redaction pass.
#include <malloc.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "cli/common.h"
#include "cli/http_server.h"
#include "cli/json_line.h"
#include "core/json.h"

namespace acid::cli {

namespace {

struct ServeArgs {
  std::string listen;  // empty: ACID_DAEMON_LISTEN, else 127.0.0.1:8787 (the library's Config)
  int workers = 2;
  int max_connections = 512;
  int idle_timeout_ms = HttpLimits{}.idle_timeout_ms;
  int request_deadline_ms = HttpLimits{}.request_deadline_ms;
};

// Stop requests from the signal thread, at any point of start-up or running. Hooks registered
// after stop() run at once, so no start-up step can miss a stop.
class Stopper {
 public:
  void stop() {
    std::vector<std::function<void()>> hooks;
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
      hooks.swap(hooks_);
    }
    cv_.notify_all();
    for (auto &h : hooks) h();
  }
  void on_stop(std::function<void()> hook) {
    {
      std::lock_guard lock(mu_);
      if (!stopped_) {
        hooks_.push_back(std::move(hook));
        return;
      }
    }
    hook();
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
  std::vector<std::function<void()>> hooks_;
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

// No core file and no ptrace/proc access by other users: a dump would hold the webhook tokens,
// the PDS admin password and the credentials key.
bool disable_core_dumps() {
  const rlimit none{0, 0};
  return setrlimit(RLIMIT_CORE, &none) == 0 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
}

// Bodies of up to 1 MiB come and go on hundreds of threads. glibc would otherwise raise its
// mmap threshold after the first large free (keeping later bodies in per-thread arenas that
// are never returned) and create up to 8 arenas per core: a fixed threshold returns every large
// body to the system when it is freed, and few arenas keep the rest compact.
void bound_allocator() {
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  mallopt(M_ARENA_MAX, 4);
}

void log_library_error(acid_client *client, const char *event) {
  JsonLine line(event);
  line.str("code", acid_status_name(acid_error_last()->code))
      .str("message", acid_error_last()->message);
  write_line(client, line);
}

void worker_loop(acid_client *client, Stopper &stopper, std::atomic<long> &errors) {
  while (!stopper.stopped()) {
    OwnedText summary;
    // Small batches, so a stop request waits for at most a few jobs.
    if (acid_run_jobs(client, 5'000, 5, &summary.ptr) != ACID_OK) {
      ++errors;
      log_library_error(client, "worker.error");
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

// The routes, on top of the C ABI.
class Routes {
 public:
  Routes(acid_client *client, const std::atomic<long> &worker_errors)
      : client_(client), worker_errors_(worker_errors) {}
  void attach(const HttpServer *server) { server_ = server; }

  // The library route name of a POST path ("auth0-events/sotce"), "" for none, or nullopt when
  // the path is not one of ours.
  static std::optional<std::string> post_route(const std::string &path) {
    if (path == "/auth0-events" || path == "/auth0-events/aesthetic") {
      return std::string("auth0-events/aesthetic");
    }
    if (path == "/auth0-events/sotce") return std::string("auth0-events/sotce");
    if (path == "/handle-changed") return std::string("handle-changed");
    if (path.starts_with("/auth0-events/")) return std::string();  // unknown tenant
    return std::nullopt;
  }

  // Refusals before the body are logged like answered requests.
  std::optional<HttpResponse> admit(const HttpRequest &head) {
    auto refusal = admit_or_refuse(head);
    if (refusal) log_request(head, *refusal, 0);
    return refusal;
  }

  std::optional<HttpResponse> admit_or_refuse(const HttpRequest &head) {
    const bool get_path = head.path == "/healthz" || head.path == "/metrics";
    const auto route = post_route(head.path);
    if (!get_path && !route) return HttpResponse{404, R"({"error":"not found"})"};
    if (route && route->empty()) return HttpResponse{404, R"({"error":"unknown tenant"})"};
    if (get_path != (head.method == "GET") || (route && head.method != "POST")) {
      return HttpResponse{405, R"({"error":"method not allowed"})"};
    }
    if (get_path) return std::nullopt;
    const auto auth = head.header("authorization");
    const std::string auth_text = auth ? std::string(*auth) : std::string();
    int status = 0;
    OwnedText reply;
    if (acid_request_authorize(client_, route->c_str(), auth ? auth_text.c_str() : nullptr, &status,
                               &reply.ptr) != ACID_OK) {
      log_library_error(client_, "http.authorize_error");
      return HttpResponse{500, R"({"error":"internal error"})"};
    }
    if (status == 0) return std::nullopt;
    return HttpResponse{status, reply.str()};
  }

  HttpResponse handle(const HttpRequest &req) {
    const auto started = std::chrono::steady_clock::now();
    HttpResponse res = dispatch(req);
    if (req.path != "/healthz" && req.path != "/metrics") {
      log_request(req, res,
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count());
    }
    return res;
  }

  void log_request(const HttpRequest &req, const HttpResponse &res, long long ms) {
    JsonLine line("http.request");
    line.str("method", req.method).str("path", req.path).num("status", res.status);
    line.num("bytes", static_cast<long long>(req.body.size())).num("ms", ms);
    if (res.status >= 400) line.json("reply", res.body);
    write_line(client_, line);
  }

  void refused(HttpRefusal reason, std::string_view detail) {
    if (reason == HttpRefusal::busy) return;  // counted only: the acceptor must stay fast
    JsonLine line("http.refused");
    line.str("reason", refusal_name(reason)).str("detail", detail);
    write_line(client_, line);
  }

 private:
  HttpResponse dispatch(const HttpRequest &req) {
    if (req.path == "/healthz") return healthz();
    if (req.path == "/metrics") return metrics();
    const std::string route = *post_route(req.path);
    const auto auth = req.header("authorization");
    const std::string auth_text = auth ? std::string(*auth) : std::string();
    const char *auth_arg = auth ? auth_text.c_str() : nullptr;
    int status = 0;
    OwnedText body;
    const int rc =
        route == "handle-changed"
            ? acid_handle_changed_request(client_, auth_arg, req.body.data(), req.body.size(),
                                          &status, &body.ptr)
            : acid_handle_log_stream(
                  client_,
                  route == "auth0-events/sotce" ? ACID_TENANT_SOTCE : ACID_TENANT_AESTHETIC,
                  auth_arg, req.body.data(), req.body.size(), &status, &body.ptr);
    if (rc != ACID_OK) {
      log_library_error(client_,
                        route == "handle-changed" ? "handle_changed.error" : "webhook.error");
      return HttpResponse{500, R"({"error":"internal error"})"};
    }
    return HttpResponse{status, body.str()};
  }

  HttpResponse healthz() const {
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    w.StartObject();
    json::member(w, "ok", true);
    json::member(w, "worker_errors", worker_errors_.load());
    json::member(w, "peak_rss_kib", peak_rss_kib());
    json::member(w, "open_connections", server_ ? server_->open_connections() : 0);
    w.EndObject();
    return HttpResponse{200, std::string(buf.GetString(), buf.GetSize())};
  }

  HttpResponse metrics() const {
    OwnedText text;
    if (acid_metrics(client_, &text.ptr) != ACID_OK) {
      log_library_error(client_, "metrics.error");
      return HttpResponse{500, R"({"error":"internal error"})"};
    }
    std::string out = text.str();
    out += "# TYPE acid_worker_errors_total counter\nacid_worker_errors_total " +
           std::to_string(worker_errors_.load()) + "\n";
    out += "# TYPE acid_peak_rss_kib gauge\nacid_peak_rss_kib " + std::to_string(peak_rss_kib()) +
           "\n";
    if (server_ != nullptr) {
      out += "# TYPE acid_http_open_connections gauge\nacid_http_open_connections " +
             std::to_string(server_->open_connections()) + "\n";
      out += "# TYPE acid_http_refused_total counter\n";
      for (int r = 0; r < static_cast<int>(HttpRefusal::count_); ++r) {
        const auto reason = static_cast<HttpRefusal>(r);
        out += std::string("acid_http_refused_total{reason=\"") + refusal_name(reason) + "\"} " +
               std::to_string(server_->refusals(reason)) + "\n";
      }
    }
    return HttpResponse{200, out, "text/plain; version=0.0.4"};
  }

  acid_client *client_;
  const std::atomic<long> &worker_errors_;
  const HttpServer *server_ = nullptr;
};

// Binds, runs the workers and the server until a stop; the client is open.
int run_daemon(acid_client *client, const ServeArgs &a, Stopper &stopper) {
  std::string listen = a.listen;
  if (listen.empty()) {
    OwnedText configured;
    if (acid_daemon_listen(client, &configured.ptr) != ACID_OK) {
      log_library_error(client, "daemon.failed");
      return kExitFailure;
    }
    listen = configured.str();
  }
  const auto endpoint = split_listen(listen);
  if (!endpoint) {
    JsonLine line("daemon.failed");
    line.str("reason", "--listen must be HOST:PORT").str("listen", listen);
    write_line(client, line);
    return kExitUsage;
  }
  HttpLimits limits;
  limits.max_body_bytes = acid_webhook_max_body_bytes();
  limits.max_connections = static_cast<std::size_t>(a.max_connections);
  limits.idle_timeout_ms = a.idle_timeout_ms;
  limits.request_deadline_ms = a.request_deadline_ms;
  std::atomic<long> worker_errors{0};
  Routes routes(client, worker_errors);
  HttpServer server(limits,
                    HttpRoutes{[&](const HttpRequest &h) { return routes.admit(h); },
                               [&](const HttpRequest &r) { return routes.handle(r); },
                               [&](HttpRefusal r, std::string_view d) { routes.refused(r, d); }});
  routes.attach(&server);
  if (const auto error = server.bind(endpoint->first, endpoint->second)) {
    JsonLine line("daemon.failed");
    line.str("reason", "cannot listen").str("listen", listen).str("error", *error);
    write_line(client, line);
    return kExitFailure;
  }
  stopper.on_stop([&server] { server.stop(); });
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(a.workers));
  for (int i = 0; i < a.workers; ++i) {
    workers.emplace_back(worker_loop, client, std::ref(stopper), std::ref(worker_errors));
  }
  JsonLine line("daemon.listening");
  line.str("listen", listen).num("workers", a.workers);
  line.num("max_body_bytes", static_cast<long long>(limits.max_body_bytes));
  line.num("max_connections", a.max_connections);
  write_line(client, line);
  server.run();    // returns once stop() ran, at once if it already had
  stopper.stop();  // the workers stop too when the server ended on its own
  for (auto &w : workers) w.join();
  return kExitOk;
}

int serve(const Context &ctx, const ServeArgs &a) {
  // Signals are taken by a dedicated thread from the first moment; every other thread blocks
  // them, so a SIGTERM during start-up is seen by the same path as one while running.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  Stopper stopper;
  std::atomic<acid_client *> log_client{nullptr};
  std::atomic<bool> finishing{false};
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (finishing.load()) return;  // woken by finish() below
    JsonLine line("daemon.stopping");
    line.num("signal", sig);
    write_line(log_client.load(), line);
    stopper.stop();
  });
  const auto finish = [&](int code) {
    stopper.stop();
    finishing = true;
    // Wakes the signal thread if no signal came; harmless when it has already returned
    // (a thread not yet joined can still be named).
    // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread): it wakes sigwait, it kills nothing
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
    return code;
  };
  if (!disable_core_dumps()) {
    JsonLine line("daemon.failed");
    line.str("reason", "cannot disable core dumps");
    write_line(nullptr, line);
    return finish(kExitFailure);
  }
  bound_allocator();
  ClientHandle client = open_client(ctx);
  if (!client) {
    JsonLine line("daemon.failed");
    line.str("reason", "cannot open the client")
        .str("code", acid_status_name(acid_error_last()->code))
        .str("message", acid_error_last()->message);
    write_line(nullptr, line);
    return finish(kExitFailure);
  }
  log_client = client.get();
  int code = kExitOk;
  if (!stopper.stopped()) code = run_daemon(client.get(), a, stopper);
  code = finish(code);
  JsonLine line("daemon.stopped");
  line.num("peak_rss_kib", peak_rss_kib());
  write_line(client.get(), line);
  return code;
}

}  // namespace

void add_serve_commands(CLI::App &app, Context &ctx) {
  auto args = std::make_shared<ServeArgs>();
  auto *cmd = app.add_subcommand("serve", "the daemon: webhook endpoint, health, metrics, workers");
  cmd->add_option("--listen", args->listen,
                  "HOST:PORT (default: $ACID_DAEMON_LISTEN, else 127.0.0.1:8787)");
  cmd->add_option("--workers", args->workers, "job worker threads")->check(CLI::Range(0, 64));
  cmd->add_option("--max-connections", args->max_connections,
                  "open connections at most; more are answered 503 at once (default 512)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--idle-timeout-ms", args->idle_timeout_ms,
                  "longest wait for a client's next byte (default 5000)")
      ->check(CLI::Range(100, 600'000));
  cmd->add_option("--request-deadline-ms", args->request_deadline_ms,
                  "a whole request must arrive within this (default 15000; 408 otherwise)")
      ->check(CLI::Range(100, 600'000));
  cmd->callback([&ctx, args] { ctx.exit_code = serve(ctx, *args); });
}

}  // namespace acid::cli
