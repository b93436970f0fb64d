#include "support/lexicon_check.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "core/json.h"
#include "sync/mapping.h"

namespace acid::sync::test {

namespace {

std::string run(const std::string &command, int &status) {
  std::string out;
  FILE *p = popen(command.c_str(), "r");
  if (p == nullptr) {
    status = -1;
    return "popen failed";
  }
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  status = pclose(p);
  return out;
}

}  // namespace

std::vector<std::string> mirrored_nsids() {
  std::vector<std::string> out;
  for (const CollectionMapping &m : mappings()) out.emplace_back(m.nsid);
  return out;
}

Result<std::size_t> check_repo_records(pds::XrpcClient &client,
                                       const std::vector<std::string> &dids,
                                       const std::vector<std::string> &nsids) {
  const std::string work = std::string(ACID_BINARY_DIR) + "/tests/lexicon-check";
  int status = 0;
  std::string out =
      run(std::string(ACID_SOURCE_DIR) + "/tests/lexicon/install.sh " + work + " 2>&1", status);
  if (status != 0) return Error(Code::internal, "installing the lexicon checker: " + out);
  const std::string file = work + "/records-" + std::to_string(::getpid()) + ".jsonl";
  std::size_t count = 0;
  {
    std::ofstream f(file, std::ios::trunc);
    for (const std::string &did : dids) {
      for (const std::string &nsid : nsids) {
        pds::ListRecordsQuery q;
        q.repo = did;
        q.collection = nsid;
        q.limit = 100;
        for (;;) {
          auto page = client.list_records(q);
          if (!page) return std::move(page).error();
          for (const auto &r : page->records) {
            f << "{\"uri\":" << json::quote(r.uri) << ",\"value\":" << r.value_json << "}\n";
            ++count;
          }
          if (!page->cursor || page->records.empty()) break;
          q.cursor = page->cursor;
        }
      }
    }
  }
  out = run("node " + work + "/validate.mjs " + file + " 2>&1", status);
  std::remove(file.c_str());
  if (status != 0) return Error(Code::invalid, out);
  return count;
}

}  // namespace acid::sync::test
