// Section 2: provisioning verified users on the local PDS with 8 workers.
//
// The library: one Engine (one SQLite store, WAL + synchronous=FULL, one shared XrpcClient);
// 8 threads each call engine.run_jobs(60000, 1) in a loop, so one call runs one provision job:
// lease, read the account, persist the intent (sealed password), createInviteCode (the PDS
// requires invites), createAccount, record the DID, complete the job. The users were ingested
// (ss + sv) before the clock starts.
//
// The baseline: 8 threads calling createInviteCode + createAccount directly through one shared
// acid::pds::XrpcClient, for the same number of accounts; nothing stored.
//
// Rounds alternate who goes first, so the PDS's growth and warm-up hit both sides alike. Every
// account made is deleted (admin deleteAccount) after the measurements.
#include <rapidjson/document.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include "common.h"
#include "core/config.h"
#include "core/random.h"
#include "provision/engine.h"

namespace acid::bench {

namespace {

constexpr const char *kToken = "bench-log-stream-token";
constexpr double kDeadlineSeconds = 900;

struct Outcome {
  std::string name;
  std::size_t accounts = 0;  // created
  std::size_t failed = 0;
  std::size_t retried = 0;
  double seconds = 0;  // from the start until the last account was finished
  std::vector<double> latency_ms{};
  std::vector<std::string> dids{};
  double rate() const { return seconds > 0 ? static_cast<double>(accounts) / seconds : 0; }
};

void print_outcome(const Outcome &o) {
  const Summary s = summarize(o.latency_ms);
  std::printf("%-46s %8zu %6zu %7zu %9.2f %10.2f %9.1f %9.1f %9.1f\n", o.name.c_str(), o.accounts,
              o.failed, o.retried, o.seconds, o.rate(), s.median, s.p90, s.max);
}

pds::ClientOptions client_options(const PdsEnv &pds) {
  pds::ClientOptions opts;
  opts.base_url = pds.url;
  opts.admin_password = pds.admin_password;
  return opts;
}

Outcome run_raw(const PdsEnv &pds, std::size_t n, int workers, int round) {
  Outcome o{"raw XrpcClient: createInviteCode+createAccount"};
  auto made = pds::XrpcClient::create(client_options(pds));
  if (!made) die("XrpcClient::create", made.error());
  pds::XrpcClient &client = **made;
  auto server = client.server_description();  // warm: the cached describeServer
  if (!server) die("describeServer", server.error());
  const std::string tag = random_label(6);

  std::mutex mu;
  std::atomic<std::size_t> next{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (std::size_t i = next++; i < n; i = next++) {
        const std::string label = random_label(9);  // as long as a user code
        auto password =
            random_string(32, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
        if (!password) die("CSPRNG", password.error());
        const auto t = Clock::now();
        auto invite = client.create_invite_code(1);
        if (!invite) die("createInviteCode", invite.error());
        auto session = client.create_account(
            {label + "." + pds.handle_domain,
             "raw." + tag + "." + std::to_string(round) + "." + std::to_string(i) + "@example.com",
             *password, *invite});
        const double ms = ms_since(t);
        std::lock_guard lock(mu);
        if (!session) {
          std::fprintf(stderr, "createAccount failed: %s\n", session.error().message.c_str());
          ++o.failed;
          continue;
        }
        ++o.accounts;
        o.latency_ms.push_back(ms);
        o.dids.push_back(session->did);
      }
    });
  }
  for (auto &t : threads) t.join();
  o.seconds = seconds_since(t0);
  return o;
}

Outcome run_library(const Options &options, const PdsEnv &pds, std::size_t n, int workers,
                    int round) {
  Outcome o{"library: " + std::to_string(workers) + " threads x Engine::run_jobs"};
  const auto path = options.work_dir / ("provision-" + std::to_string(round) + ".db");
  for (const std::string suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path.string() + suffix);
  }
  auto config = Config::from_env(env_from_map({
      {"ACID_STORE", "sqlite:" + path.string()},
      {"PDS_URL", pds.url},
      {"PDS_ADMIN_PASSWORD", pds.admin_password},
      {"ACID_PDS_HANDLE_DOMAIN", pds.handle_domain},
      {"AUTH0_LOG_TOKEN", kToken},
      {"ACID_CREDENTIALS_KEY", fresh_credentials_key()},
  }));
  if (!config) die("config", config.error());
  provision::EngineOptions eo;
  eo.config = std::move(*config);
  auto created = provision::Engine::create(std::move(eo));
  if (!created) die("Engine::create", created.error());
  std::unique_ptr<provision::Engine> engine = std::move(*created);

  // Set-up, not timed: the signups and verifications arrive, one provision job per person.
  const std::vector<Person> people = make_people(n, "prov" + random_label(6));
  for (const std::string &body : signup_and_verify_batches(people, 100, now_unix_ms() - 60'000)) {
    auto reply =
        engine->handle_log_stream(Tenant::aesthetic, std::string("Bearer ") + kToken, body);
    if (reply.status != 200) die("ingest for provisioning: " + reply.body);
  }
  auto described = engine->describe_pds();  // warm: the client and cached describeServer
  if (!described) die("describeServer", described.error());

  std::mutex mu;
  std::atomic<std::size_t> finished{0};
  std::atomic<bool> timed_out{false};
  Clock::time_point last_finished{};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      while (finished.load() < n) {
        if (seconds_since(t0) > kDeadlineSeconds) {
          timed_out = true;
          return;
        }
        const auto t = Clock::now();
        auto summary = engine->run_jobs(60'000, 1);
        const double ms = ms_since(t);
        if (!summary) die("run_jobs", summary.error());
        if (summary->ran == 0) {
          // Nothing due right now (the rest is leased by other threads, or waits for a retry).
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        std::lock_guard lock(mu);
        o.retried += static_cast<std::size_t>(summary->retried);
        const int done = summary->done;
        const int failed = summary->failed;
        if (done > 0) o.latency_ms.push_back(ms);
        o.failed += static_cast<std::size_t>(failed);
        if (done + failed > 0) {
          finished += static_cast<std::size_t>(done + failed);
          last_finished = Clock::now();
        }
      }
    });
  }
  for (auto &t : threads) t.join();
  if (timed_out) die("library provisioning did not finish within the deadline");
  o.seconds = std::chrono::duration<double>(last_finished - t0).count();

  // Not timed: every person must now be active with a DID.
  for (const Person &p : people) {
    auto account = engine->store().get_account(p.user_id);
    if (!account) die("get_account", account.error());
    if (account->state == store::AccountState::active && account->did) {
      ++o.accounts;
      o.dids.push_back(*account->did);
    } else {
      std::fprintf(stderr, "%s is %s: %s\n", p.user_id.c_str(), to_string(account->state),
                   account->last_error.c_str());
    }
  }
  return o;
}

}  // namespace

void run_provisioning(const Options &options, const PdsEnv &pds) {
  const std::size_t n = options.provision_users;
  const int workers = options.provision_workers;
  std::printf(
      "\n== 2. provisioning: %zu verified users per side, %d workers, PDS %s "
      "(invites required)\n",
      n, workers, pds.url.c_str());
  std::printf(
      "   library = %d threads calling run_jobs(60000, 1) on ONE Engine (one store, one "
      "XrpcClient); latency = one run_jobs call = one account\n",
      workers);
  std::printf("%-46s %8s %6s %7s %9s %10s %9s %9s %9s\n", "implementation", "accounts", "failed",
              "retried", "seconds", "accounts/s", "median", "p90", "max ms");

  std::vector<Outcome> raw, lib;
  for (int round = 0; round < options.provision_rounds; ++round) {
    if (round % 2 == 0) {
      raw.push_back(run_raw(pds, n, workers, round));
      print_outcome(raw.back());
      lib.push_back(run_library(options, pds, n, workers, round));
      print_outcome(lib.back());
    } else {
      lib.push_back(run_library(options, pds, n, workers, round));
      print_outcome(lib.back());
      raw.push_back(run_raw(pds, n, workers, round));
      print_outcome(raw.back());
    }
  }
  const auto total = [](const std::vector<Outcome> &v, const std::string &name) {
    Outcome all{name};
    for (const Outcome &o : v) {
      all.accounts += o.accounts;
      all.failed += o.failed;
      all.retried += o.retried;
      all.seconds += o.seconds;
      all.latency_ms.insert(all.latency_ms.end(), o.latency_ms.begin(), o.latency_ms.end());
    }
    return all;
  };
  const Outcome raw_all = total(raw, "raw, all rounds");
  const Outcome lib_all = total(lib, "library, all rounds");
  if (options.provision_rounds > 1) {
    print_outcome(raw_all);
    print_outcome(lib_all);
  }
  std::printf("ratio library/raw accounts/s: %.3fx (%.2f vs %.2f accounts/s; target >= 0.8x)\n",
              lib_all.rate() / raw_all.rate(), lib_all.rate(), raw_all.rate());
  std::printf("ratio library/raw median latency: %.3fx\n",
              summarize(lib_all.latency_ms).median / summarize(raw_all.latency_ms).median);

  // Leave the PDS as we found it.
  auto made = pds::XrpcClient::create(client_options(pds));
  if (!made) die("XrpcClient::create", made.error());
  std::size_t deleted = 0, undeleted = 0;
  for (const auto *side : {&raw, &lib}) {
    for (const Outcome &o : *side) {
      for (const std::string &did : o.dids) {
        if ((*made)->delete_account(did)) {
          ++deleted;
        } else {
          ++undeleted;
        }
      }
    }
  }
  std::printf("cleanup: %zu PDS accounts deleted, %zu could not be\n", deleted, undeleted);
  if (undeleted) die("cleanup of the PDS accounts failed");
}

}  // namespace acid::bench
