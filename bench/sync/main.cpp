// Content sync benchmark (issue 7 §4): N moods of one person mirrored into their PDS repo by the
// library (TIDs stored first, applyWrites batches of 200) against the deployed approach (one
// createRecord per mood, the rkey written back), in the same run, on the same PDS and store.
//
//   bench_sync --pds-env DIR/env [--moods 1000]
//
// Prints records/s for both, the ratio, and the PDS calls each made (XrpcClient::stats()).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/json.h"
#include "store/store.h"
#include "support/live_env.h"
#include "support/temp_dir.h"
#include "sync/content_import.h"
#include "sync/mirror.h"

namespace {

using Clock = std::chrono::steady_clock;

int fail(const std::string &what, const acid::Error &e) {
  std::fprintf(stderr, "bench_sync: %s: %s\n", what.c_str(), e.message.c_str());
  return 2;
}

std::string moods_jsonl(const std::string &prefix, const std::string &user, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += R"({"collection":"moods","_id":")" + prefix + std::to_string(i) + R"(","user":")" +
           user + R"(","mood":"feeling number )" + std::to_string(i) +
           R"(","when":"2025-10-14T00:00:00.000Z"})" + "\n";
  }
  return out;
}

// How many moods `did`'s repo holds (0 when it cannot be listed).
std::size_t mood_count(acid::sync::test::LiveEnv &e, const std::string &did) {
  auto records = e.repo_records(did, "computer.aesthetic.mood");
  return records ? records->size() : 0;
}

}  // namespace

int main(int argc, char **argv) {
  int moods = 1000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--pds-env" && i + 1 < argc) {
      ::setenv("ACID_TEST_PDS_ENV_FILE", argv[++i], 1);
    } else if (arg == "--moods" && i + 1 < argc) {
      moods = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bench_sync --pds-env DIR/env [--moods N]\n");
      return 64;
    }
  }
  if (moods < 1 || moods > 100000) {
    std::fprintf(stderr, "bench_sync: --moods must be 1..100000\n");
    return 64;
  }
  acid::testing::TempDir dir;
  auto env = acid::sync::test::LiveEnv::create(dir.sqlite_uri());
  if (!env) return fail("environment", env.error());
  auto &e = **env;
  auto did_lib = e.active_user("lib");
  if (!did_lib) return fail("provisioning the library's person", did_lib.error());
  auto did_base = e.active_user("base");
  if (!did_base) return fail("provisioning the baseline's person", did_base.error());
  const std::string lib = e.sub("lib");
  const std::string base = e.sub("base");
  acid::store::Store &store = e.engine->store();
  auto imported = acid::sync::import_content(
      store, moods_jsonl(e.run + "L", lib, moods) + moods_jsonl(e.run + "B", base, moods));
  if (!imported) return fail("import", imported.error());

  // --- The library: one sync of the person's moods.
  auto pds = e.engine->pds_client();
  if (!pds) return fail("PDS client", pds.error());
  auto mirror = acid::sync::make_mirror(*e.engine);
  if (!mirror) return fail("mirror", mirror.error());
  acid::sync::SyncOptions o;
  o.user = lib;
  o.apply = true;
  o.collections = {"moods"};
  const auto lib_calls_before = (*pds)->stats().calls;
  const auto t0 = Clock::now();
  auto report = (*mirror)->sync(o);
  const double lib_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!report) return fail("sync", report.error());
  const auto lib_calls = (*pds)->stats().calls - lib_calls_before;
  if (report->collections.empty() || report->collections[0].tally.created != moods ||
      report->problems.failures_total != 0) {
    std::fprintf(stderr, "bench_sync: the library's sync did not create every record: %s\n",
                 acid::sync::to_json(*report).c_str());
    return 2;
  }

  // --- The deployed approach: log in, then one createRecord per mood (the PDS picks the rkey),
  // each key written back to the store. (The deployed code also logged in again per mood; this
  // baseline logs in once, which favours it.)
  acid::pds::ClientOptions co;
  co.base_url = e.pds_url;
  auto client = acid::pds::XrpcClient::create(co);
  if (!client) return fail("baseline client", client.error());
  auto password = e.password(base);
  if (!password) return fail("baseline password", password.error());
  auto docs = store.list_content("moods", base, "", static_cast<std::size_t>(moods) + 1);
  if (!docs) return fail("baseline documents", docs.error());
  const auto t1 = Clock::now();
  auto session = (*client)->create_session(*did_base, *password);
  if (!session) return fail("baseline login", session.error());
  for (const acid::store::ContentDoc &d : *docs) {
    acid::pds::RecordWrite w;
    w.repo = *did_base;
    w.collection = "computer.aesthetic.mood";
    w.record_json = R"({"$type":"computer.aesthetic.mood","mood":)" +
                    acid::json::quote(d.fields.at("mood")) + R"(,"when":")" +
                    acid::format_iso8601(d.when) + R"(","ref":)" + acid::json::quote(d.id) + "}";
    auto ref = (*client)->create_record(session->access_jwt, w);
    if (!ref) return fail("baseline createRecord", ref.error());
    const std::string rkey = ref->uri.substr(ref->uri.rfind('/') + 1);
    auto held = store.claim_content_rkey("moods", d.id, rkey);
    if (!held) return fail("baseline write-back", held.error());
  }
  const double base_s = std::chrono::duration<double>(Clock::now() - t1).count();
  const auto base_calls = (*client)->stats().calls;

  const std::size_t lib_records = mood_count(e, *did_lib);
  const std::size_t base_records = mood_count(e, *did_base);
  const double lib_rate = moods / lib_s;
  const double base_rate = moods / base_s;
  std::printf(
      "content sync, %d moods of one person (records on the PDS afterwards: library %zu, "
      "baseline %zu)\n",
      moods, lib_records, base_records);
  std::printf("  library  (applyWrites x200): %8.2f s  %8.1f records/s  %5llu PDS calls\n", lib_s,
              lib_rate, static_cast<unsigned long long>(lib_calls));
  std::printf("  baseline (createRecord x1):  %8.2f s  %8.1f records/s  %5llu PDS calls\n", base_s,
              base_rate, static_cast<unsigned long long>(base_calls));
  std::printf("  ratio: %.1fx (target >= 5x)\n", lib_rate / base_rate);
  return lib_records == static_cast<std::size_t>(moods) &&
                 base_records == static_cast<std::size_t>(moods)
             ? 0
             : 1;
}
