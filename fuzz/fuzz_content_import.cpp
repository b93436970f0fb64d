// libFuzzer target for the content import (acidentity content import / acid_content_import):
// parse_content_lines over arbitrary JSON-lines input, and record_json over what it accepts.
//
// Input: the raw file. Seeds in fuzz/corpus/content_import.
//
// Build and run (see the content_import block in fuzz/CMakeLists.txt):
//   CC=clang CXX=clang++ cmake -S fuzz -B build-fuzz -G Ninja && cmake --build build-fuzz
//   build-fuzz/fuzz_content_import -max_total_time=60 -max_len=65536 <scratch dir>
//   fuzz/corpus/content_import
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "core/json.h"
#include "sync/content_import.h"
#include "sync/mapping.h"

namespace {

using namespace acid;

// Reaching this is a finding: libFuzzer reports the crash and saves the input.
[[noreturn]] void fail(const char *what) {
  (void)what;
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char *>(data), size);
  auto docs = sync::parse_content_lines(input);
  if (!docs) {
    // Refusals are invalid input, naming the line (or saying there was no document).
    if (docs.code() != Code::invalid) fail("a refusal that is not Code::invalid");
    const std::string &m = docs.error().message;
    if (m.rfind("line ", 0) != 0 && m != "no documents in the input") fail("unlocated refusal");
    return 0;
  }
  if (docs->empty()) fail("accepted an input without documents");
  std::set<std::pair<std::string, std::string>> ids;
  for (const store::ContentDoc &d : *docs) {
    if (d.id.empty()) fail("accepted an empty _id");
    if (!ids.emplace(d.collection, d.id).second) fail("accepted a repeated _id");
    auto mapping = sync::mapping_for(d.collection);
    if (!mapping) fail("accepted an unknown collection");
    if (!sync::validate(**mapping, d)) fail("accepted a document the lexicon bounds refuse");
    // Every accepted document must make a record that is valid JSON with its ref.
    auto record = sync::record_json(**mapping, d);
    if (!record) fail("an accepted document makes no record");
    auto parsed = json::parse(*record);
    if (!parsed || !parsed->IsObject()) fail("a record that is not a JSON object");
    if (sync::record_ref(*record) != d.id) fail("a record whose ref is not the _id");
  }
  return 0;
}
