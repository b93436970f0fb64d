// A local HTTP stand-in for an Auth0 tenant (Auth0 is hosted, so tests cannot run it): a
// cpp-httplib server on 127.0.0.1 (ephemeral port) answering the endpoints the library uses with
// the response shapes Auth0 documents:
//
//   POST /oauth/token        client-credentials grant (JSON body). Checks client_id,
//                            client_secret and audience: 200 {access_token, scope, expires_in,
//                            token_type:"Bearer"}; 401 {"error":"access_denied",
//                            "error_description":"Unauthorized"} for unknown credentials; 403
//                            {"error":"access_denied","error_description":"Service not found:
//                            <aud>"} for another audience.
//   GET /api/v2/users/{id}   bearer token required (401 {"statusCode":401,"error":"Unauthorized",
//                            "message":...} otherwise); 404 {"statusCode":404,"error":"Not Found",
//                            "message":"The user does not exist.","errorCode":"inexistent_user"}.
//   GET /api/v2/users        page / per_page (<= 100, 400 beyond; only the first 1000 results
//                            can be paged), sort (<field>:1 / -1), fields + include_fields,
//                            include_totals ({"start","limit","length","total","users"} or a
//                            bare array), q (field:value exact matches joined by AND).
//
// Every answer carries x-ratelimit-limit / -remaining / -reset (a per-second bucket; the fixture
// never throttles by itself). Faults are programmed per endpoint: a queue of scripted answers
// (status, body, headers, delay) consumed by the next requests, with helpers for 429s, 5xx and
// slow answers. Counters record every request per endpoint, its raw target (as sent, before
// percent-decoding) and the status it got.
//
// Link: the test needs cpp-httplib (pkg-config cpp-httplib: its compile definitions must match
// the library) -- see tests/auth0/mgmt/CMakeLists.txt.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace acid::testing {

struct Auth0FixtureUser {
  std::string user_id;
  std::optional<std::string> email;
  std::optional<bool> email_verified;
  std::string created_at;  // ISO 8601 as Auth0 writes it: "2025-10-14T08:30:00.123Z"
  bool blocked = false;    // "blocked" is only present when true, as in Auth0
};

enum class Auth0Endpoint { token, user, users, other };

struct Auth0Scripted {
  int status = 0;  // 0: after the delay, answer normally
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};
};

struct Auth0RequestRecord {
  Auth0Endpoint endpoint = Auth0Endpoint::other;
  std::string method;
  std::string target;         // raw request target: path and query as received
  std::string authorization;  // the Authorization header, or empty
  std::string body;
  int status = 0;  // what the fixture answered
};

class Auth0Fixture {
 public:
  struct Options {
    std::string client_id = "fixture-client-id";
    std::string client_secret = "fixture-client-secret-5f3a9c";
    std::string audience;  // empty: base_url() + "/api/v2/"
    std::int64_t token_lifetime_s = 86'400;
    std::int64_t ratelimit_per_second = 1000;
  };

  Auth0Fixture();
  explicit Auth0Fixture(Options options);
  ~Auth0Fixture();
  Auth0Fixture(const Auth0Fixture &) = delete;
  Auth0Fixture &operator=(const Auth0Fixture &) = delete;

  std::string base_url() const;  // "http://127.0.0.1:PORT"
  int port() const { return port_; }
  const std::string &client_id() const { return options_.client_id; }
  const std::string &client_secret() const { return options_.client_secret; }
  std::string audience() const;

  // The tenant's users (replacing / adding).
  void set_users(std::vector<Auth0FixtureUser> users);
  void add_user(Auth0FixtureUser user);

  // Lifetime (expires_in) of the tokens issued from now on.
  void set_token_lifetime_s(std::int64_t seconds);
  // Invalidates every token issued so far (as a signing-key rotation would).
  void revoke_tokens();

  // The next `count` requests to `endpoint` get `answer` (after the scripted ones already queued).
  void script(Auth0Endpoint endpoint, Auth0Scripted answer, int count = 1);
  // 429 with x-ratelimit-limit/remaining/reset (reset: epoch seconds).
  void rate_limit_next(Auth0Endpoint endpoint, std::int64_t reset_epoch_s, int count = 1);
  // 5xx with Auth0's error body.
  void server_error_next(Auth0Endpoint endpoint, int count = 1, int status = 500);
  // A normal answer, `delay` late.
  void delay_next(Auth0Endpoint endpoint, std::chrono::milliseconds delay, int count = 1);
  // `status` with exactly this body (malformed responses).
  void raw_next(Auth0Endpoint endpoint, int status, std::string body, int count = 1);

  // Requests received for an endpoint (scripted answers included).
  int requests(Auth0Endpoint endpoint) const;
  // Answers of this status given on an endpoint.
  int answers(Auth0Endpoint endpoint, int status) const;
  std::vector<Auth0RequestRecord> log() const;
  std::vector<Auth0RequestRecord> log(Auth0Endpoint endpoint) const;
  // The most requests to the endpoint seen in flight at the same time.
  int max_concurrent(Auth0Endpoint endpoint) const;

 private:
  struct Server;
  Options options_;
  int port_ = 0;
  std::unique_ptr<Server> server_;
};

const char *endpoint_name(Auth0Endpoint endpoint);

}  // namespace acid::testing
