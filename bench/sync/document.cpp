// Write-time mirroring latency (issue 15 §5): `sync document` for one mood, as a Netlify function
// calls it right after storing the mood, against one bare createRecord of the same mood (an
// existing session, nothing stored back), in the same run, on the same PDS, interleaved call by
// call so both see the same load.
//
//   bench_sync_document --pds-env DIR/env [--moods 300]
//
// Each library call reads the document from the SQLite store (synchronous=full), stores a TID on
// it, writes the record with putRecord and writes URI/CID back (two store commits). Its first
// call logs the person in and is left out (a warm function instance keeps the session); the
// baseline logs in once before timing. Prints median and p99 of each, their ratios, and checks
// that both repos hold exactly N records.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/json.h"
#include "support/live_env.h"
#include "support/temp_dir.h"
#include "sync/content_import.h"
#include "sync/document.h"

namespace {

using Clock = std::chrono::steady_clock;

int fail(const std::string &what, const acid::Error &e) {
  std::fprintf(stderr, "bench_sync_document: %s: %s\n", what.c_str(), e.message.c_str());
  return 2;
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string mood_line(const std::string &id, const std::string &user, int i) {
  return R"({"collection":"moods","_id":")" + id + R"(","user":")" + user +
         R"(","mood":"feeling number )" + std::to_string(i) +
         R"(","when":"2025-10-14T00:00:00.000Z"})" + "\n";
}

// How many moods `did`'s repo holds (0 when it cannot be listed).
std::size_t mood_count(acid::sync::test::LiveEnv &e, const std::string &did) {
  auto records = e.repo_records(did, "computer.aesthetic.mood");
  return records ? records->size() : 0;
}

}  // namespace

int main(int argc, char **argv) {
  int moods = 300;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--pds-env" && i + 1 < argc) {
      ::setenv("ACID_TEST_PDS_ENV_FILE", argv[++i], 1);
    } else if (arg == "--moods" && i + 1 < argc) {
      moods = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bench_sync_document --pds-env DIR/env [--moods N]\n");
      return 64;
    }
  }
  if (moods < 2 || moods > 10000) {
    std::fprintf(stderr, "bench_sync_document: --moods must be 2..10000\n");
    return 64;
  }
  acid::testing::TempDir dir;
  auto env = acid::sync::test::LiveEnv::create(dir.sqlite_uri());
  if (!env) return fail("environment", env.error());
  auto &e = **env;
  auto did_lib = e.active_user("wlib");
  if (!did_lib) return fail("provisioning the library's person", did_lib.error());
  auto did_base = e.active_user("wbase");
  if (!did_base) return fail("provisioning the baseline's person", did_base.error());
  const std::string lib = e.sub("wlib");
  const std::string base = e.sub("wbase");
  auto documents = acid::sync::make_document_mirror(*e.engine);
  if (!documents) return fail("document mirror", documents.error());

  acid::pds::ClientOptions co;
  co.base_url = e.pds_url;
  auto client = acid::pds::XrpcClient::create(co);
  if (!client) return fail("baseline client", client.error());
  auto password = e.password(base);
  if (!password) return fail("baseline password", password.error());
  auto session = (*client)->create_session(*did_base, *password);
  if (!session) return fail("baseline login", session.error());

  // The stored documents exist before timing starts, as after the deployed insertOne.
  std::string lines;
  for (int i = 0; i < moods; ++i) lines += mood_line(e.run + "W" + std::to_string(i), lib, i);
  auto imported = acid::sync::import_content(e.engine->store(), lines);
  if (!imported) return fail("import", imported.error());

  std::vector<double> lib_ms, base_ms;
  for (int i = 0; i < moods; ++i) {
    const std::string id = e.run + "W" + std::to_string(i);
    auto t0 = Clock::now();
    auto report = (*documents)->sync_document("moods", id);
    const double lib_t = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!report) return fail("sync document " + id, report.error());
    if (report->find("\"action\":\"created\"") == std::string::npos) {
      std::fprintf(stderr, "bench_sync_document: not created: %s\n", report->c_str());
      return 2;
    }
    acid::pds::RecordWrite w;
    w.repo = *did_base;
    w.collection = "computer.aesthetic.mood";
    w.record_json = R"({"$type":"computer.aesthetic.mood","mood":"feeling number )" +
                    std::to_string(i) + R"(","when":"2025-10-14T00:00:00.000Z","ref":")" + id +
                    "\"}";
    t0 = Clock::now();
    auto created = (*client)->create_record(session->access_jwt, w);
    const double base_t = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!created) return fail("createRecord", created.error());
    if (i == 0) continue;  // the library's first call includes the login
    lib_ms.push_back(lib_t);
    base_ms.push_back(base_t);
  }
  const std::size_t lib_records = mood_count(e, *did_lib);
  const std::size_t base_records = mood_count(e, *did_base);
  if (lib_records != static_cast<std::size_t>(moods) ||
      base_records != static_cast<std::size_t>(moods)) {
    std::fprintf(stderr, "bench_sync_document: repos hold %zu / %zu records, expected %d\n",
                 lib_records, base_records, moods);
    return 2;
  }
  const double lib_p50 = quantile(lib_ms, 0.5), lib_p99 = quantile(lib_ms, 0.99);
  const double base_p50 = quantile(base_ms, 0.5), base_p99 = quantile(base_ms, 0.99);
  std::printf("sync document (one mood, %zu timed calls): median %.2f ms, p99 %.2f ms\n",
              lib_ms.size(), lib_p50, lib_p99);
  std::printf("bare createRecord (same run, interleaved): median %.2f ms, p99 %.2f ms\n", base_p50,
              base_p99);
  std::printf("ratio: median %.2fx, p99 %.2fx (target: median <= 1.5x)\n", lib_p50 / base_p50,
              lib_p99 / base_p99);
  return 0;
}
