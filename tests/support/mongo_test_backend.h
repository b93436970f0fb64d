// The MongoDB backend of the store conformance suites. No mongod can run on the machines this
// project is built on (reference/mongodb-here.md), so the suites run against MongoDB only when
// ACID_TEST_MONGODB_URI names a real server (e.g. a mongo:7 container); otherwise the test
// MongoConformance.NotConfigured (tests/store/test_mongo_conformance_status.cpp) prints, loudly,
// that the run was skipped and why.
#pragma once

#include <optional>
#include <string>

namespace acid::testing {

// ACID_TEST_MONGODB_URI, when set and non-empty.
std::optional<std::string> mongo_test_uri();

// The configured URI with a fresh database name ("acid_test_<pid>_<n>_<random>") in its path;
// every database handed out is dropped when the test program ends.
std::string fresh_mongo_uri();

// `uri` with its database path replaced by `database` (options kept).
inline std::string with_database(const std::string &uri, const std::string &database) {
  const std::size_t scheme = uri.find("://");
  const std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  // The host list ends at the first '/' or '?' after the last '@' (credentials may hold any).
  const std::size_t at = uri.rfind('@');
  const std::size_t host_start = at == std::string::npos || at < start ? start : at + 1;
  const std::size_t end_hosts = uri.find_first_of("/?", host_start);
  const std::string hosts = uri.substr(0, end_hosts == std::string::npos ? uri.size() : end_hosts);
  std::string options;
  if (end_hosts != std::string::npos) {
    const std::size_t q = uri.find('?', end_hosts);
    if (q != std::string::npos) options = uri.substr(q);
  }
  return hosts + "/" + database + options;
}

}  // namespace acid::testing
