// The provisioning benchmarks (issue 4 §6), in one run:
//   1. ingest of 10,000 ss + 10,000 sv Auth0 events into the SQLite store through
//      Engine::handle_log_stream, against a raw sqlite3 handler, synchronous FULL and NORMAL;
//   2. provisioning of 200 verified users on the local PDS with 8 workers, against bare
//      createInviteCode + createAccount calls with the same concurrency;
//   3. the peak RSS of `acidentity serve --workers 8` provisioning a few hundred people.
// Each section prints its table and the ratio against its baseline measured in the same run.
// Nothing asserts a timing. Sections 2 and 3 need a running PDS (scripts/pds start DIR);
// bench/provision/run.sh starts one, runs everything and stops it.
//
//   bench_provision [--pds-env DIR/env] [--acidentity PATH] [--work-dir DIR]
//                   [--only ingest,provision,daemon] [--rounds N] [--ingest-rounds N] [--quick]
//                   [--ingest-users N] [--provision-users N] [--daemon-users N]
#include <sqlite3.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "common.h"

namespace {

using namespace acid::bench;

[[noreturn]] void usage(const char *problem) {
  std::fprintf(stderr,
               "bench_provision: %s\nusage: bench_provision [--pds-env FILE] [--acidentity PATH] "
               "[--work-dir DIR] [--only ingest,provision,daemon] [--rounds N] [--ingest-rounds N] "
               "[--quick] "
               "[--ingest-users N] [--provision-users N] [--daemon-users N]\n",
               problem);
  std::exit(64);
}

std::size_t count_arg(const char *text) {
  char *end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || v == 0 || v > 1'000'000) usage("bad count");
  return static_cast<std::size_t>(v);
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

}  // namespace

int main(int argc, char **argv) {
  Options options;
#ifdef ACID_BENCH_ACIDENTITY
  options.acidentity = ACID_BENCH_ACIDENTITY;
#endif
  std::set<std::string> only;
  bool work_dir_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> const char * {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--pds-env") {
      options.pds_env_file = value();
    } else if (a == "--acidentity") {
      options.acidentity = value();
    } else if (a == "--work-dir") {
      options.work_dir = value();
      work_dir_given = true;
    } else if (a == "--only") {
      std::stringstream list(value());
      for (std::string item; std::getline(list, item, ',');) {
        if (item != "ingest" && item != "provision" && item != "daemon") usage("bad --only item");
        only.insert(item);
      }
    } else if (a == "--rounds") {
      options.provision_rounds = static_cast<int>(count_arg(value()));
    } else if (a == "--ingest-rounds") {
      options.ingest_rounds = static_cast<int>(count_arg(value()));
    } else if (a == "--quick") {
      options.ingest_users = 1'000;
      options.provision_users = 40;
      options.daemon_users = 60;
    } else if (a == "--ingest-users") {
      options.ingest_users = count_arg(value());
    } else if (a == "--provision-users") {
      options.provision_users = count_arg(value());
    } else if (a == "--daemon-users") {
      options.daemon_users = count_arg(value());
    } else {
      usage(("unknown argument " + a).c_str());
    }
  }
  if (only.empty()) only = {"ingest", "provision", "daemon"};
  if (!work_dir_given) {
    options.work_dir = std::filesystem::temp_directory_path() /
                       ("acid-provision-bench-" + std::to_string(::getpid()));
  }
  std::filesystem::create_directories(options.work_dir);

  utsname uts{};
  ::uname(&uts);
  std::printf("provisioning benchmarks: %s, %u hardware threads, Linux %s, SQLite %s\n",
              cpu_model().c_str(), std::thread::hardware_concurrency(), uts.release,
              sqlite3_libversion());

  if (only.count("ingest")) run_ingest(options);

  const bool needs_pds = only.count("provision") || only.count("daemon");
  if (needs_pds) {
    if (!options.pds_env_file) {
      if (const char *p = std::getenv("ACID_PDS_ENV_FILE")) options.pds_env_file = p;
    }
    if (!options.pds_env_file) {
      std::printf(
          "\nsections 2 and 3 not run: no PDS (pass --pds-env DIR/env; "
          "bench/provision/run.sh starts one)\n");
    } else {
      auto pds = load_pds_env(*options.pds_env_file);
      if (!pds) die("PDS env", pds.error());
      if (only.count("provision")) run_provisioning(options, *pds);
      if (only.count("daemon")) run_daemon(options, *pds);
    }
  }
  if (!work_dir_given) std::filesystem::remove_all(options.work_dir);
  return 0;
}
