// A client of the Auth0 Management API v2 (the part the system uses): reading users.
//
//   acid::auth0::ManagementConfig config;
//   config.base_url = "https://aesthetic.us.auth0.com";
//   config.client_id = ...;       // AUTH0_M2M_CLIENT_ID
//   config.client_secret = ...;   // AUTH0_M2M_SECRET
//   auto client = acid::auth0::ManagementClient::create(std::move(config));
//   auto user = (*client)->get_user("auth0|64f0c0ffee");      // email, email_verified, ...
//   auto recent = (*client)->list_recent_users(200);          // newest first
//
// Authentication: an M2M client-credentials token (POST {base}/oauth/token with
// {grant_type:"client_credentials", client_id, client_secret, audience}). The token is cached and
// shared by all threads until shortly before it expires (min(60 s, 10% of its lifetime) early);
// when several threads need a token at once, one request is made and the others wait for its
// outcome (single flight). A 401 from an API call drops the cached token and the call is retried
// once with a new one. (The deployed code fetched a new token for every call.)
//
// Failures (errors are values; nothing throws, prints or logs):
//   Code::invalid      bad argument (empty or oversized user id, paging past Auth0's limit), or
//                      Auth0 answered 400
//   Code::not_found    404 (the user does not exist)
//   Code::auth         the token endpoint refused the request (any 4xx but 429: bad client id
//                      or secret, audience, grant), a 401 persisted after a new token, or an
//                      API call was forbidden (403, missing scope). The message names the
//                      client id's variable (config.client_id_variable), never the secret.
//   Code::rate_limited 429 whose x-ratelimit-reset lies beyond config.max_rate_limit_wait_ms, or
//                      still 429 after config.max_rate_limit_retries waits
//   Code::unavailable  5xx, network failure or timeout, after config.max_attempts attempts with
//                      exponential backoff; TLS verification failures (not retried)
//   Code::internal     "Auth0 returned an unexpected response": a body that is not the documented
//                      JSON shape (wrong types, missing members, oversized), or an unexpected
//                      status
// detail_json carries {"http_status":...,"auth0_error":...,"attempts":...} where known. The client
// secret and the access token never appear in a message or a detail.
//
// Paging limit: Auth0 serves at most the first 1000 results of a users listing (page * per_page
// + per_page <= 1000, per_page <= 100); beyond that it answers 400 "You can only page through the
// first 1000 records". list_users() refuses such a query itself (Code::invalid) and
// list_recent_users() accepts at most 1000. For more, Auth0 offers user export jobs (not used
// here).
//
// Thread safety: a ManagementClient may be shared by any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "net/clock.h"

namespace acid::auth0 {

// The passage of time, injectable so tests run instantly and can observe waits.
using ManagementClock = net::Clock;

struct ManagementConfig {
  // The tenant's base URL, e.g. "https://aesthetic.us.auth0.com" (a trailing slash is ignored).
  // Plain http only for loopback hosts (127.0.0.0/8, ::1, localhost): the test fixture.
  std::string base_url;
  std::string client_id;
  std::string client_secret;
  std::string audience;  // empty: base_url + "/api/v2/"
  // The environment variable the client id came from, named in auth errors.
  std::string client_id_variable = "AUTH0_M2M_CLIENT_ID";

  std::int64_t connect_timeout_ms = 5'000;
  std::int64_t request_timeout_ms = 15'000;  // one attempt, from start to last byte
  int max_attempts = 4;  // attempts in all on 5xx / network failures (1 = no retry)
  std::int64_t initial_backoff_ms = 250;  // cap of the first backoff; doubles each attempt
  std::int64_t max_backoff_ms = 5'000;
  std::int64_t max_rate_limit_wait_ms = 60'000;  // longest single wait for x-ratelimit-reset
  int max_rate_limit_retries = 3;                // 429 waits per call
  std::string ca_file;  // extra trust anchors (PEM); verification is always on
  std::string user_agent = "libacidentity";
  std::optional<ManagementClock> clock;  // default ManagementClock::system()
};

// A user as the Management API returns it (only the members used here).
struct User {
  std::string user_id;  // "auth0|...", "google-oauth2|...", ...
  std::optional<std::string> email;
  std::optional<bool> email_verified;
  std::optional<UnixMillis> created_at;
  std::optional<bool> blocked;
};

struct ListUsersQuery {
  std::size_t page = 0;       // zero based
  std::size_t per_page = 50;  // 1..100
  // Newest first by default. "<field>:1" or "<field>:-1".
  std::string sort = "created_at:-1";
  // Optional Lucene query (search_engine=v3), e.g. "email_verified:true". Empty: every user.
  std::string q;
};

struct UsersPage {
  std::vector<User> users;
  std::size_t start = 0;  // index of the first user of this page
  std::size_t limit = 0;  // the page size Auth0 applied
  std::size_t total = 0;  // users matching the query
};

// Counters and the latest rate-limit headers seen (any endpoint).
struct ManagementStats {
  std::uint64_t token_requests = 0;  // POST /oauth/token sent
  std::uint64_t api_requests = 0;    // /api/v2 requests sent
  std::uint64_t retries = 0;         // repeated requests (backoff, rate limit, re-token)
  std::uint64_t rate_limited = 0;    // 429 answers
  std::optional<std::int64_t> ratelimit_limit;
  std::optional<std::int64_t> ratelimit_remaining;
  std::optional<std::int64_t> ratelimit_reset_unix_s;
};

class ManagementClient {
 public:
  // Code::config on a bad URL (not http(s), http to a non-loopback host, a path, userinfo),
  // a missing client id or secret, or out-of-range options. Contacts nobody.
  static Result<std::unique_ptr<ManagementClient>> create(ManagementConfig config);
  ~ManagementClient();
  ManagementClient(const ManagementClient &) = delete;
  ManagementClient &operator=(const ManagementClient &) = delete;

  // GET /api/v2/users/{id} (id percent-encoded: "auth0|abc" -> "auth0%7Cabc").
  Result<User> get_user(std::string_view user_id);

  // GET /api/v2/users?sort=..&fields=user_id,email,email_verified,created_at&include_fields=true
  //   &page=N&per_page=M&include_totals=true&search_engine=v3[&q=..]
  Result<UsersPage> list_users(const ListUsersQuery &query);

  // The `limit` most recently created users (limit <= 1000), newest first, paging as needed.
  // A user seen twice (signups between pages shift them) is kept once.
  Result<std::vector<User>> list_recent_users(std::size_t limit);

  // Makes sure a valid token is cached (fetching one if needed).
  Status warm_up();

  ManagementStats stats() const;

  const std::string &base_url() const;

 private:
  struct Impl;
  explicit ManagementClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace acid::auth0
