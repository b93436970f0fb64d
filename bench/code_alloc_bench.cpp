// User-code allocation: the permutation allocator against the deployed algorithm (draw a random
// code, look it up, retry up to 100 times, then insert), on the same SQLite store, in one run.
//
// Prints codes per second, store round trips per code, counter steps per code and failures for
// each scenario, and the ratios. Not a test: nothing here asserts a timing.
#include <sqlite3.h>

#include <unistd.h>
#include <chrono>
#include <cstdio>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "code/allocator.h"
#include "code/user_code.h"
#include "store/store.h"
#include "support/store_reader.h"

namespace {

using Clock = std::chrono::steady_clock;
using acid::code::kCodesPerYear;

constexpr int kYear = 2025;
constexpr int kYY = 25;
constexpr int kDeployedMaxAttempts = 100;  // as in generateUniqueUserCode

struct Outcome {
  const char *algorithm;
  std::string scenario;
  std::uint64_t codes = 0;
  std::uint64_t failures = 0;
  std::uint64_t round_trips = 0;
  std::uint64_t counter_steps = 0;  // permutation only
  double seconds = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(codes) / seconds : 0; }
};

void print(const Outcome &o) {
  const double per = o.codes ? static_cast<double>(o.round_trips) / static_cast<double>(o.codes)
                             : static_cast<double>(o.round_trips);
  char steps[32] = "-";
  if (o.counter_steps) {
    std::snprintf(
        steps, sizeof steps, "%.3f",
        o.codes ? static_cast<double>(o.counter_steps) / static_cast<double>(o.codes) : 0.0);
  }
  std::printf("%-12s %-34s %8llu %10.0f %9.2f %10s %9llu\n", o.algorithm, o.scenario.c_str(),
              static_cast<unsigned long long>(o.codes), o.rate(), per, steps,
              static_cast<unsigned long long>(o.failures));
}

struct Bench {
  std::filesystem::path dir;
  int store_seq = 0;

  // A fresh store whose year 2025 is pre-filled with `fill` (0..1) of the year's codes, drawn
  // at random as the old scheme did. Pre-filling is fixture set-up, done in one transaction.
  std::unique_ptr<acid::store::Store> fresh_store(double fill, std::mt19937_64 &rng) {
    const std::string path = (dir / ("s" + std::to_string(store_seq++) + ".db")).string();
    auto store = acid::store::open_store("sqlite:" + path + "?synchronous=normal");
    if (!store) {
      std::fprintf(stderr, "open: %s\n", store.error().message.c_str());
      std::exit(2);
    }
    const auto target = static_cast<std::uint32_t>(fill * kCodesPerYear);
    if (target == 0) return std::move(*store);
    std::vector<std::uint32_t> all(kCodesPerYear);
    for (std::uint32_t i = 0; i < kCodesPerYear; ++i) all[i] = i;
    std::shuffle(all.begin(), all.end(), rng);
    sqlite3 *db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt *ins = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO users (sub, code, when_ms) VALUES (?1, ?2, 0)", -1, &ins,
                       nullptr);
    for (std::uint32_t i = 0; i < target; ++i) {
      const std::string sub = "auth0|legacy" + std::to_string(i);
      const std::string code = acid::code::format_code(kYY, all[i]);
      sqlite3_bind_text(ins, 1, sub.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins, 2, code.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(ins) != SQLITE_DONE) {
        std::fprintf(stderr, "prefill: %s\n", sqlite3_errmsg(db));
        std::exit(2);
      }
      sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return std::move(*store);
  }
};

// The permutation allocator: one store round trip per code; `limit` codes or until exhausted.
Outcome run_permutation(acid::store::Store &store, const std::string &scenario,
                        std::uint64_t limit) {
  Outcome o{"permutation", scenario};
  auto alloc = acid::code::CodeAllocator::create(store);
  if (!alloc) {
    std::fprintf(stderr, "allocator: %s\n", alloc.error().message.c_str());
    std::exit(2);
  }
  const auto start = Clock::now();
  while (o.codes < limit) {
    auto claimed = (*alloc)->allocate(kYear, "");
    ++o.round_trips;
    if (!claimed) {
      if (claimed.code() != acid::Code::exhausted) {
        std::fprintf(stderr, "allocate: %s\n", claimed.error().message.c_str());
        std::exit(2);
      }
      break;  // the year is full: a clean stop, not a failure
    }
    ++o.codes;
    o.counter_steps += 1 + claimed->skipped;
  }
  o.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return o;
}

// The deployed algorithm: random draw, findOne, retry up to 100 times, then insert.
Outcome run_deployed(acid::store::Store &store, const std::string &scenario, std::uint64_t attempts,
                     std::mt19937_64 &rng) {
  Outcome o{"deployed", scenario};
  std::uniform_int_distribution<std::uint32_t> pick(0, kCodesPerYear - 1);
  const auto start = Clock::now();
  for (std::uint64_t n = 0; n < attempts; ++n) {
    bool placed = false;
    for (int attempt = 0; attempt < kDeployedMaxAttempts && !placed; ++attempt) {
      const std::string code = acid::code::format_code(kYY, pick(rng));
      auto owner = acid::testing::inspect(store).find_code_owner(code);
      ++o.round_trips;
      if (owner.is_ok()) continue;  // collision: draw again
      if (owner.code() != acid::Code::not_found) {
        std::fprintf(stderr, "lookup: %s\n", owner.error().message.c_str());
        std::exit(2);
      }
      const std::string sub = "auth0|deployed" + std::to_string(n);
      acid::Status st = acid::testing::inspect(store).insert_user({sub, code, 0});
      ++o.round_trips;
      if (st) {
        placed = true;
      } else if (st.code() != acid::Code::conflict) {
        std::fprintf(stderr, "insert: %s\n", st.error().message.c_str());
        std::exit(2);
      }
    }
    if (placed) {
      ++o.codes;
    } else {
      ++o.failures;  // the deployed code throws here and the signup gets no users record
    }
  }
  o.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return o;
}

}  // namespace

int main(int argc, char **argv) {
  // --quick: a smaller run for smoke tests; the README's figures come from the full run.
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  Bench bench;
  bench.dir =
      std::filesystem::temp_directory_path() / ("acid-code-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(bench.dir);
  std::mt19937_64 rng(20251014);

  std::printf("user-code allocation, SQLite store (WAL, synchronous=normal), %u codes per year\n",
              kCodesPerYear);
  std::printf("%-12s %-34s %8s %10s %9s %10s %9s\n", "algorithm", "scenario", "codes", "codes/s",
              "rt/code", "steps/code", "failures");

  const std::uint64_t whole_year = quick ? 5000 : kCodesPerYear;
  {
    auto store = bench.fresh_store(0.0, rng);
    print(run_permutation(*store, quick ? "fresh year (first 5000)" : "fresh year, until full",
                          whole_year));
  }
  {
    auto store = bench.fresh_store(0.5, rng);
    print(run_permutation(
        *store, quick ? "50% legacy-filled (first 5000)" : "50% legacy-filled, until full",
        whole_year));
  }

  const std::uint64_t sample = quick ? 300 : 2000;
  std::vector<std::pair<Outcome, Outcome>> pairs;
  for (double fill : {0.0, 0.5, 0.9, 0.99}) {
    char scenario[64];
    std::snprintf(scenario, sizeof scenario, "%llu signups at %.0f%% fill",
                  static_cast<unsigned long long>(sample), fill * 100);
    auto s1 = bench.fresh_store(fill, rng);
    Outcome ours = run_permutation(*s1, scenario, sample);
    auto s2 = bench.fresh_store(fill, rng);
    Outcome theirs = run_deployed(*s2, scenario, sample, rng);
    print(ours);
    print(theirs);
    pairs.emplace_back(ours, theirs);
  }

  std::printf("\nratios (permutation / deployed):\n");
  for (const auto &[ours, theirs] : pairs) {
    const double ours_rt = static_cast<double>(ours.round_trips) / std::max<double>(1, ours.codes);
    const double theirs_rt =
        static_cast<double>(theirs.round_trips) / std::max<double>(1, theirs.codes);
    std::printf("  %-34s speed %.2fx, round trips per code %.2f vs %.2f, failures %llu vs %llu\n",
                ours.scenario.c_str(), theirs.rate() > 0 ? ours.rate() / theirs.rate() : 0.0,
                ours_rt, theirs_rt, static_cast<unsigned long long>(ours.failures),
                static_cast<unsigned long long>(theirs.failures));
  }
  std::filesystem::remove_all(bench.dir);
  return 0;
}
