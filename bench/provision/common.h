// Shared pieces of the provisioning benchmark (bench/provision): Auth0 log batches built in
// memory, latency summaries, the local PDS's env file, and a fatal-error helper. A benchmark is
// not a test: a failure here stops the run with a message, nothing asserts a timing.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace acid::bench {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0);
double seconds_since(Clock::time_point t0);

// Prints "<what>: <message>" on stderr and exits with status 1.
[[noreturn]] void die(const std::string &what, const Error &error);
[[noreturn]] void die(const std::string &what);

// One person's identity as the Auth0 logs show it.
struct Person {
  std::string user_id;  // "auth0|<24 hex>"
  std::string email;
};

// `count` people with distinct ids and emails; `tag` keeps runs (and PDS emails) apart.
std::vector<Person> make_people(std::size_t count, const std::string &tag);

// One Auth0 log-stream POST body: a JSON array of `type` ("ss" or "sv") log objects shaped as
// Auth0 sends them (log_id, data.{date,type,description,connection,client_id,client_name,ip,
// user_agent,details,user_id,user_name,strategy,strategy_type,log_id,tenant_name}), for
// people[first, first+count). `seq` numbers the log ids so every body's ids are unique.
std::string auth0_batch(const std::vector<Person> &people, std::size_t first, std::size_t count,
                        const char *type, std::int64_t base_unix_ms, std::uint64_t &seq);

// The bodies for signups and verifications of every person, `per_batch` events each, in
// delivery order: the ss batch of a group of people, then its sv batch.
std::vector<std::string> signup_and_verify_batches(const std::vector<Person> &people,
                                                   std::size_t per_batch,
                                                   std::int64_t base_unix_ms);

struct Summary {
  std::size_t n = 0;
  double median = 0, p90 = 0, max = 0;
};
Summary summarize(std::vector<double> ms);

// The local PDS (what `scripts/pds start DIR` writes to DIR/env).
struct PdsEnv {
  std::string url, admin_password, handle_domain = "at.aesthetic.test";
};
Result<PdsEnv> load_pds_env(const std::filesystem::path &file);

// base64 of 32 random bytes: an ACID_CREDENTIALS_KEY for the run.
std::string fresh_credentials_key();

// A random lowercase label: a letter then `length - 1` letters or digits.
std::string random_label(std::size_t length);

// Section entry points (one source file each).
struct Options {
  std::filesystem::path work_dir;  // store files and daemon logs
  std::optional<std::filesystem::path> pds_env_file;
  std::filesystem::path acidentity;   // the CLI binary for the daemon section
  std::size_t ingest_users = 10'000;  // ss + sv events each
  int ingest_rounds = 3;              // raw/library pairs per synchronous mode; medians compared
  std::size_t provision_users = 200;
  int provision_workers = 8;
  int provision_rounds = 1;  // raw/library pairs, alternating who goes first
  std::size_t daemon_users = 300;
  int daemon_workers = 8;
};

void run_ingest(const Options &options);
void run_provisioning(const Options &options, const PdsEnv &pds);
void run_daemon(const Options &options, const PdsEnv &pds);

}  // namespace acid::bench
