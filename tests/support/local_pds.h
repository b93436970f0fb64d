// Shared helpers of the live tests: the local PDS environment, unique names, a fake
// clock, a closed port, and HS256 tokens signed with the local PDS's JWT secret.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "pds/retry.h"

namespace acid::pds::test {

// The PDS started by `scripts/pds start DIR` (DIR/env, and DIR/secrets for the JWT secret).
struct PdsEnv {
  std::string url;             // PDS_URL
  std::string admin_password;  // PDS_ADMIN_PASSWORD
  std::string handle_domain;   // PDS_HANDLE_DOMAIN, e.g. "at.aesthetic.test"
  std::string env_file;
  std::string jwt_secret;  // JWT_SECRET from DIR/secrets (empty when unreadable)
  int port = 0;
};

// Reads the env file named by $ACID_TEST_PDS_ENV_FILE, else the compile definition
// ACID_TEST_PDS_ENV_FILE. Fails with a message saying how to start the PDS.
Result<PdsEnv> load_pds_env();

// A fresh lowercase label of `length` (3..18) characters: [a-z][a-z0-9]*.
std::string unique_label(std::size_t length = 12);

// A port on 127.0.0.1 where nothing listens.
int closed_port();

// A clock whose sleeps return at once (and advance time), recording every wait and every jitter
// bound; the jitter source returns the bound (the longest wait full jitter allows).
struct FakeClock {
  std::mutex mutex;
  std::int64_t now = 1'000'000;
  std::int64_t unix_now = 1'760'000'000'000;
  std::vector<std::int64_t> sleeps;
  std::vector<std::uint64_t> jitter_bounds;
  RetryClock clock();
};

// A clock that really sleeps but records the waits (for tests against the live PDS).
struct RecordingClock {
  std::mutex mutex;
  std::vector<std::int64_t> sleeps;
  RetryClock clock();
};

// base64url without padding.
std::string base64url(std::string_view data);
Result<std::string> base64url_decode(std::string_view data);

// Re-signs `jwt` (HS256, compact form) with `secret` after replacing its payload's "iat" and
// "exp" (seconds since the epoch).
Result<std::string> resign_jwt(std::string_view jwt, std::string_view secret, std::int64_t iat,
                               std::int64_t exp);

}  // namespace acid::pds::test
