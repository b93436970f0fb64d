// The backends every store conformance suite runs against, and the code candidates they use.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "store/store.h"
#include "support/mongo_test_backend.h"
#include "support/temp_dir.h"

namespace acid::store::conformance {

inline constexpr UnixMillis kOct2025 = 1760400000000;

struct Backend {
  const char *name;
  std::string (*uri)(const testing::TempDir &);
};

// GoogleTest prints the parameter as its name, not as raw bytes.
inline void PrintTo(const Backend &backend, std::ostream *os) {
  *os << backend.name;
}

// SQLite always; MongoDB only when ACID_TEST_MONGODB_URI names a server (a fresh database per
// test). Without it, MongoConformance.NotConfigured reports the skipped run loudly.
inline std::vector<Backend> backends() {
  std::vector<Backend> v = {
      {"sqlite", [](const testing::TempDir &dir) { return dir.sqlite_uri(); }},
  };
  if (testing::mongo_test_uri()) {
    v.push_back({"mongodb", [](const testing::TempDir &) { return testing::fresh_mongo_uri(); }});
  }
  return v;
}

// Codes are "ac" + yy + five letters spelling the position: predictable and distinct.
inline CodeCandidates simple_codes() {
  return [](int yy) -> Result<CodeCandidate> {
    return CodeCandidate([yy](std::uint32_t p) -> std::optional<std::string> {
      static const char kLetters[] = "bcdfghjkmnprstvwxyz";
      std::string code = "ac";
      code.push_back(static_cast<char>('0' + yy / 10));
      code.push_back(static_cast<char>('0' + yy % 10));
      for (int i = 0; i < 5; ++i) {
        code.push_back(kLetters[p % 19]);
        p /= 19;
      }
      return code;
    });
  };
}

}  // namespace acid::store::conformance
