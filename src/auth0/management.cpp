#include "auth0/management.h"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <unordered_set>
#include <utility>

#include "auth0/management_replies.h"
#include "core/json.h"
#include "core/percent_encode.h"
#include "net/http_transport.h"

namespace acid::auth0 {
namespace {

using net::HttpOutcome;
using net::HttpReply;
using net::HttpRequest;
using net::HttpTransport;
using namespace management_detail;

// Auth0 caps listings at the first 1000 results and pages at 100 users.
constexpr std::size_t kMaxListed = 1000;
constexpr std::size_t kMaxPerPage = 100;

constexpr std::size_t kTokenBodyLimit = std::size_t{64} * 1024;
constexpr std::size_t kUserBodyLimit = 1u << 20;
constexpr std::size_t kPageBodyLimit = 8u << 20;

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Query values keep ':' and ',' as they are (legal in a query, and how Auth0 documents
// "sort=created_at:-1" and "fields=a,b").
std::string encode_query_value(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || c == ':' || c == ',') {
      out.push_back(ch);
    } else {
      out += percent_encode(std::string_view(&ch, 1));
    }
  }
  return out;
}

// Server-provided text made fit for an error message: printable, bounded, secrets removed.
std::string safe_text(std::string_view text, std::initializer_list<std::string_view> secrets) {
  std::string out;
  for (const char ch : text.substr(0, 300)) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(c < 0x20 || c == 0x7f ? ' ' : ch);
  }
  for (const std::string_view secret : secrets) {
    if (secret.empty()) continue;
    for (std::size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at)) {
      out.replace(at, secret.size(), "[redacted]");
      at += 10;
    }
  }
  return out;
}

std::optional<std::int64_t> parse_decimal(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  // Dotted-quad IPv4 in 127.0.0.0/8.
  int parts = 0;
  std::string_view rest = host;
  while (true) {
    const auto dot = rest.find('.');
    const std::string_view part = rest.substr(0, dot);
    const auto value = parse_decimal(part);
    if (!value || part.size() > 3 || part.find(' ') != std::string_view::npos || *value > 255) {
      return false;
    }
    if (parts == 0 && *value != 127) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return parts == 4;
}

Result<std::string> normalize_base_url(std::string_view url) {
  const auto bad = [](const std::string &why) {
    return Error(Code::config, "Auth0 base URL " + why, R"({"variables":["ACID_AUTH0_BASE_URL"]})");
  };
  if (url.empty()) return bad("is empty");
  if (has_control(url) || url.find(' ') != std::string_view::npos) {
    return bad("holds spaces or control characters");
  }
  if (url.back() == '/') url.remove_suffix(1);
  bool https = false;
  std::string_view authority;
  if (url.starts_with("https://")) {
    https = true;
    authority = url.substr(8);
  } else if (url.starts_with("http://")) {
    authority = url.substr(7);
  } else {
    return bad("must start with https:// (or http:// for a loopback host)");
  }
  if (authority.empty()) return bad("has no host");
  if (authority.find_first_of("/?#@\\") != std::string_view::npos) {
    return bad("must be scheme://host[:port] without a path, query or credentials");
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("has an unterminated IPv6 literal");
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("has a malformed port");
      port = after.substr(1);
      if (port.empty()) return bad("has a malformed port");
    }
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return bad("has a malformed port");
  }
  if (host.empty()) return bad("has no host");
  if (!port.empty()) {
    const auto value = parse_decimal(port);
    if (!value || *value < 1 || *value > 65535 || port.find(' ') != std::string_view::npos) {
      return bad("has a malformed port");
    }
  }
  if (!https && !is_loopback_host(host)) {
    return bad("must use https (plain http is allowed for loopback hosts only)");
  }
  return std::string(url);
}

}  // namespace

struct ManagementClient::Impl {
  ManagementConfig config;
  ManagementClock clock;
  std::unique_ptr<HttpTransport> transport;

  // The cached token and the single flight fetching the next one.
  std::mutex token_mu;
  std::condition_variable token_cv;
  std::string token;
  bool have_token = false;
  std::int64_t refresh_at_ms = 0;  // steady clock
  bool fetching = false;
  std::uint64_t flights = 0;  // completed token requests (successful or not)
  std::optional<Error> flight_error;

  mutable std::mutex stats_mu;
  ManagementStats stats;

  // What one logical request needs.
  struct Call {
    std::string endpoint;  // for messages: "/oauth/token", "/api/v2/users/{id}"
    bool token_endpoint = false;
    std::string url;
    std::string body;  // POST body when non-empty, else GET
    std::size_t max_body = kUserBodyLimit;
  };

  std::int64_t backoff_ms(int failure) const {
    std::int64_t cap = config.initial_backoff_ms;
    for (int i = 1; i < failure && cap < config.max_backoff_ms; ++i) cap *= 2;
    cap = std::min(cap, config.max_backoff_ms);
    // Equal jitter: at least half the cap, so a retry never comes at once.
    const auto half = static_cast<std::uint64_t>(cap / 2);
    const std::uint64_t drawn = std::min(clock.uniform(half), half);
    return cap - static_cast<std::int64_t>(half) + static_cast<std::int64_t>(drawn);
  }

  void note_rate_limit(const HttpReply &reply) {
    const auto limit = reply.header("x-ratelimit-limit");
    const auto remaining = reply.header("x-ratelimit-remaining");
    const auto reset = reply.header("x-ratelimit-reset");
    if (!limit && !remaining && !reset) return;
    std::lock_guard lock(stats_mu);
    if (limit) stats.ratelimit_limit = parse_decimal(*limit);
    if (remaining) stats.ratelimit_remaining = parse_decimal(*remaining);
    if (reset) stats.ratelimit_reset_unix_s = parse_decimal(*reset);
  }

  void count_send(bool token_endpoint, bool repeated) {
    std::lock_guard lock(stats_mu);
    if (token_endpoint) {
      ++stats.token_requests;
    } else {
      ++stats.api_requests;
    }
    if (repeated) ++stats.retries;
  }

  HttpRequest request_for(const Call &call, const std::string &bearer) const {
    HttpRequest request;
    request.url = call.url;
    request.post = !call.body.empty();
    request.body = call.body;
    if (!bearer.empty()) request.authorization = "Bearer " + bearer;
    request.connect_timeout_ms = config.connect_timeout_ms;
    request.timeout_ms = config.request_timeout_ms;
    request.max_body_bytes = call.max_body;
    request.ca_file = config.ca_file;
    request.user_agent = config.user_agent;
    return request;
  }

  // A transport failure that trying again cannot mend (an unreadable answer, TLS, a request
  // that cannot be made); nullopt for one worth retrying.
  std::optional<Error> unretried_transport_error(const Call &call, const HttpOutcome &outcome,
                                                 net::TransferError kind,
                                                 const std::string &what) const {
    if (kind == net::TransferError::invalid_response) {
      return Error(Code::internal,
                   std::string(kUnexpected) + " from " + call.endpoint + ": " +
                       (outcome.body_too_large
                            ? "the body is larger than " + std::to_string(call.max_body) + " bytes"
                            : what),
                   detail_object({{"endpoint", json::quote(call.endpoint)}}));
    }
    if (kind == net::TransferError::tls) {
      return Error(
          Code::unavailable, "TLS with Auth0 failed (not retried): " + what,
          detail_object({{"endpoint", json::quote(call.endpoint)}, {"kind", json::quote("tls")}}));
    }
    if (kind == net::TransferError::config) {
      return Error(Code::config, "Auth0 request could not be made: " + what,
                   detail_object({{"endpoint", json::quote(call.endpoint)}}));
    }
    return std::nullopt;
  }

  static Error unreachable_error(const Call &call, net::TransferError kind,
                                 const std::string &attempts_json, const std::string &what) {
    const bool timed_out = kind == net::TransferError::timeout;
    return Error(Code::unavailable,
                 "Auth0 " + call.endpoint + (timed_out ? " timed out" : " unreachable") +
                     " after " + attempts_json + " attempt(s): " + what,
                 detail_object({{"endpoint", json::quote(call.endpoint)},
                                {"kind", json::quote(timed_out ? "timeout" : "network")},
                                {"attempts", attempts_json}}));
  }

  // How long to wait after a 429: until x-ratelimit-reset, else (none usable, or already past)
  // the backoff for the `rate_waits + 1`th wait.
  std::int64_t rate_limit_wait_ms(const HttpReply &reply, int rate_waits) {
    std::int64_t wait_ms = 0;
    const auto reset_header = reply.header("x-ratelimit-reset");
    const auto reset = reset_header ? parse_decimal(*reset_header) : std::nullopt;
    if (reset && *reset < std::numeric_limits<std::int64_t>::max() / 1000) {
      wait_ms = *reset * 1000 - clock.unix_ms();
    }
    if (wait_ms <= 0) wait_ms = backoff_ms(rate_waits + 1);
    return wait_ms;
  }

  static Error rate_limit_error(const Call &call, std::int64_t wait_ms,
                                const std::string &attempts_json) {
    return Error(Code::rate_limited,
                 "Auth0 rate limit on " + call.endpoint + " (resets in " + std::to_string(wait_ms) +
                     " ms, after " + attempts_json + " attempt(s))",
                 detail_object({{"http_status", "429"},
                                {"endpoint", json::quote(call.endpoint)},
                                {"retry_after_ms", std::to_string(wait_ms)},
                                {"attempts", attempts_json}}));
  }

  Error server_error(const Call &call, const HttpReply &reply, const std::string &attempts_json,
                     const std::string &bearer) const {
    const ErrorBody err = parse_error_body(reply.body);
    std::string message = "Auth0 " + call.endpoint + " failed with HTTP " +
                          std::to_string(reply.status) + " after " + attempts_json + " attempt(s)";
    if (!err.message.empty()) {
      message += ": " + safe_text(err.message, {config.client_secret, bearer});
    }
    return Error(Code::unavailable, std::move(message),
                 detail_object({{"http_status", std::to_string(reply.status)},
                                {"endpoint", json::quote(call.endpoint)},
                                {"attempts", attempts_json}}));
  }

  // Sends one logical request. Network failures and 5xx are retried with backoff (up to
  // max_attempts), 429s are waited out per x-ratelimit-reset (up to max_rate_limit_retries
  // waits). Any other reply is returned for the caller to interpret.
  Result<HttpReply> exchange(const Call &call, const std::string &bearer) {
    const HttpRequest request = request_for(call, bearer);
    int failures = 0;
    int rate_waits = 0;
    for (int sent = 0;; ++sent) {
      count_send(call.token_endpoint, sent > 0);
      HttpOutcome outcome = transport->perform(request);
      const int attempts = failures + rate_waits + 1;
      const std::string attempts_json = std::to_string(attempts);
      if (outcome.curl_code != 0) {
        const auto kind = net::classify_curl(outcome.curl_code, outcome.body_too_large);
        const std::string what = safe_text(outcome.curl_message, {config.client_secret, bearer});
        if (auto final_error = unretried_transport_error(call, outcome, kind, what)) {
          return std::move(*final_error);
        }
        ++failures;
        if (failures < config.max_attempts) {
          clock.sleep_ms(backoff_ms(failures));
          continue;
        }
        return unreachable_error(call, kind, attempts_json, what);
      }
      const HttpReply &reply = outcome.reply;
      note_rate_limit(reply);
      const int status = reply.status;
      if (status == 429) {
        {
          std::lock_guard lock(stats_mu);
          ++stats.rate_limited;
        }
        const std::int64_t wait_ms = rate_limit_wait_ms(reply, rate_waits);
        if (rate_waits >= config.max_rate_limit_retries ||
            wait_ms > config.max_rate_limit_wait_ms) {
          return rate_limit_error(call, wait_ms, attempts_json);
        }
        ++rate_waits;
        clock.sleep_ms(wait_ms);
        continue;
      }
      if (status >= 500 && status <= 599) {
        ++failures;
        if (failures < config.max_attempts) {
          clock.sleep_ms(backoff_ms(failures));
          continue;
        }
        return server_error(call, reply, attempts_json, bearer);
      }
      return std::move(outcome.reply);
    }
  }

  Error auth_error(std::string_view what, int status, const ErrorBody &err,
                   std::string_view bearer) const {
    std::string message = std::string(what) + " (check " + config.client_id_variable +
                          " and its secret, and the client's grants)";
    std::string reason = err.error;
    if (!err.message.empty()) reason += (reason.empty() ? "" : ": ") + err.message;
    if (!reason.empty()) message += ": " + safe_text(reason, {config.client_secret, bearer});
    return Error(
        Code::auth, std::move(message),
        detail_object({{"http_status", std::to_string(status)},
                       {"auth0_error",
                        err.error.empty()
                            ? std::string()
                            : json::quote(safe_text(err.error, {config.client_secret, bearer}))},
                       {"variables", "[" + json::quote(config.client_id_variable) + "]"}}));
  }

  Result<Token> fetch_token() {
    Call call;
    call.endpoint = "/oauth/token";
    call.token_endpoint = true;
    call.url = config.base_url + "/oauth/token";
    call.max_body = kTokenBodyLimit;
    call.body = json::Object()
                    .member("grant_type", "client_credentials")
                    .member("client_id", config.client_id)
                    .member("client_secret", config.client_secret)
                    .member("audience", config.audience)
                    .text();
    ACID_ASSIGN_OR_RETURN(const HttpReply reply, exchange(call, std::string()));
    const int status = reply.status;
    if (status >= 200 && status <= 299) return parse_token(reply.body, status);
    const ErrorBody err = parse_error_body(reply.body);
    if (status >= 400 && status <= 499) {
      return auth_error("Auth0 refused the Management API client credentials", status, err, "");
    }
    return unexpected(call.endpoint, "HTTP status " + std::to_string(status), status);
  }

  // The cached token, or a new one. `rejected` is a token the API just refused with 401: it is
  // dropped unless another thread has already replaced it.
  Result<std::string> get_token(const std::string &rejected) {
    std::unique_lock lock(token_mu);
    if (!rejected.empty() && have_token && token == rejected) have_token = false;
    while (true) {
      if (have_token && clock.steady_ms() < refresh_at_ms) return token;
      if (fetching) {
        // Join the flight in progress and take its outcome.
        const std::uint64_t flight = flights;
        token_cv.wait(lock, [&] { return flights != flight; });
        if (flight_error) return *flight_error;
        if (have_token) return token;
        continue;
      }
      fetching = true;
      lock.unlock();
      const std::int64_t started = clock.steady_ms();
      auto fetched = fetch_token();
      lock.lock();
      fetching = false;
      ++flights;
      if (fetched) {
        token = std::move(fetched->access_token);
        have_token = true;
        // Renew min(60 s, 10% of the lifetime) before expiry, counted from the request's start.
        const std::int64_t lifetime_ms = fetched->expires_in_s * 1000;
        refresh_at_ms = started + lifetime_ms - std::min<std::int64_t>(60'000, lifetime_ms / 10);
        flight_error.reset();
      } else {
        flight_error = fetched.error();
      }
      token_cv.notify_all();
      if (!fetched) return std::move(fetched).error();
      return token;
    }
  }

  // An authenticated GET of the Management API. A 401 drops the token and retries once; 403
  // (missing scope) is Code::auth; 404 Code::not_found; 400 Code::invalid. Returns 2xx replies.
  Result<HttpReply> api_get(const Call &call) {
    std::string rejected;
    for (int round = 0; round < 2; ++round) {
      auto bearer = get_token(rejected);
      if (!bearer) return std::move(bearer).error();
      auto reply = exchange(call, *bearer);
      if (!reply) return std::move(reply).error();
      const int status = reply->status;
      if (status >= 200 && status <= 299) return reply;
      const ErrorBody err = parse_error_body(reply->body);
      const std::string why = safe_text(err.message, {config.client_secret, *bearer});
      if (status == 401) {
        if (round == 0) {
          rejected = *bearer;
          continue;
        }
        return auth_error("Auth0 refused a new Management API token", status, err, *bearer);
      }
      if (status == 403) {
        return auth_error("Auth0 forbade " + call.endpoint, status, err, *bearer);
      }
      const std::string detail = detail_object(
          {{"http_status", std::to_string(status)},
           {"endpoint", json::quote(call.endpoint)},
           {"auth0_error",
            err.error_code.empty()
                ? std::string()
                : json::quote(safe_text(err.error_code, {config.client_secret, *bearer}))}});
      if (status == 404) {
        return Error(Code::not_found,
                     "Auth0 " + call.endpoint + ": not found" + (why.empty() ? "" : ": " + why),
                     detail);
      }
      if (status >= 400 && status <= 499) {
        return Error(Code::invalid,
                     "Auth0 refused " + call.endpoint + " (HTTP " + std::to_string(status) + ")" +
                         (why.empty() ? "" : ": " + why),
                     detail);
      }
      return unexpected(call.endpoint, "HTTP status " + std::to_string(status), status);
    }
    // Not reached: the second round returns on every path.
    return Error(Code::internal, "Auth0 re-authentication loop ended unexpectedly");
  }
};

ManagementClient::ManagementClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ManagementClient::~ManagementClient() = default;

Result<std::unique_ptr<ManagementClient>> ManagementClient::create(ManagementConfig config) {
  ACID_ASSIGN_OR_RETURN(config.base_url, normalize_base_url(config.base_url));
  if (config.client_id_variable.empty()) config.client_id_variable = "AUTH0_M2M_CLIENT_ID";
  if (config.client_id.empty() || config.client_secret.empty()) {
    return Error(
        Code::config,
        "the Auth0 Management API client needs " + config.client_id_variable + " and its secret",
        "{\"variables\":[" + json::quote(config.client_id_variable) + "]}");
  }
  if (has_control(config.client_id) || has_control(config.client_secret)) {
    return Error(Code::config,
                 config.client_id_variable + " or its secret holds control characters",
                 "{\"variables\":[" + json::quote(config.client_id_variable) + "]}");
  }
  if (config.audience.empty()) config.audience = config.base_url + "/api/v2/";
  if (has_control(config.audience)) {
    return Error(Code::config, "the Auth0 audience holds control characters");
  }
  if (config.connect_timeout_ms < 1 || config.request_timeout_ms < 1 || config.max_attempts < 1 ||
      config.max_attempts > 20 || config.initial_backoff_ms < 0 || config.max_backoff_ms < 0 ||
      config.max_rate_limit_wait_ms < 0 || config.max_rate_limit_retries < 0 ||
      config.max_rate_limit_retries > 100) {
    return Error(Code::config, "Auth0 Management API client options out of range");
  }
  ACID_ASSIGN_OR_RETURN(auto transport, HttpTransport::create(8));
  auto impl = std::make_unique<Impl>();
  impl->clock = config.clock ? *config.clock : ManagementClock::system();
  if (!impl->clock.steady_ms || !impl->clock.unix_ms || !impl->clock.sleep_ms ||
      !impl->clock.uniform) {
    return Error(Code::config, "ManagementClock needs all four functions");
  }
  impl->config = std::move(config);
  impl->transport = std::move(transport);
  return std::unique_ptr<ManagementClient>(new ManagementClient(std::move(impl)));
}

Result<User> ManagementClient::get_user(std::string_view user_id) {
  if (user_id.empty() || user_id.size() > kMaxUserIdBytes || has_control(user_id)) {
    return Error(Code::invalid, "an Auth0 user id must be 1.." + std::to_string(kMaxUserIdBytes) +
                                    " bytes without control characters");
  }
  Impl::Call call;
  call.endpoint = "/api/v2/users/{id}";
  call.url = impl_->config.base_url + "/api/v2/users/" + percent_encode(user_id);
  call.max_body = kUserBodyLimit;
  auto reply = impl_->api_get(call);
  if (!reply) {
    Error error = std::move(reply).error();
    if (error.code == Code::not_found) error.message = "Auth0 has no user " + std::string(user_id);
    return error;
  }
  auto doc = json::parse(reply->body);
  if (!doc) return unexpected(call.endpoint, "the body is not JSON", reply->status);
  auto user = parse_user(*doc, call.endpoint, reply->status);
  if (!user) return user;
  if (user->user_id != user_id) {
    return unexpected(call.endpoint, "the user_id differs from the one requested", reply->status);
  }
  return user;
}

Result<UsersPage> ManagementClient::list_users(const ListUsersQuery &query) {
  if (query.per_page < 1 || query.per_page > kMaxPerPage) {
    return Error(Code::invalid, "per_page must be 1..100 (Auth0's maximum page size)");
  }
  if (query.page > kMaxListed || (query.page + 1) * query.per_page > kMaxListed) {
    return Error(Code::invalid,
                 "Auth0 lists only the first 1000 users of a query (page * per_page + per_page "
                 "<= 1000); use a user export job for more");
  }
  const auto colon = query.sort.rfind(':');
  const std::string_view direction = colon == std::string::npos
                                         ? std::string_view()
                                         : std::string_view(query.sort).substr(colon + 1);
  const std::string_view field = colon == std::string::npos
                                     ? std::string_view()
                                     : std::string_view(query.sort).substr(0, colon);
  const bool field_ok =
      !field.empty() && field.size() <= 64 && std::all_of(field.begin(), field.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.';
      });
  if (!field_ok || (direction != "1" && direction != "-1")) {
    return Error(Code::invalid, "sort must be \"<field>:1\" or \"<field>:-1\"");
  }
  if (query.q.size() > 4096 || has_control(query.q)) {
    return Error(Code::invalid, "q must be at most 4096 bytes without control characters");
  }
  Impl::Call call;
  call.endpoint = "/api/v2/users";
  call.url = impl_->config.base_url + "/api/v2/users?sort=" + encode_query_value(query.sort) +
             "&fields=user_id,email,email_verified,created_at&include_fields=true&page=" +
             std::to_string(query.page) + "&per_page=" + std::to_string(query.per_page) +
             "&include_totals=true&search_engine=v3";
  if (!query.q.empty()) call.url += "&q=" + encode_query_value(query.q);
  call.max_body = kPageBodyLimit;
  ACID_ASSIGN_OR_RETURN(const HttpReply reply, impl_->api_get(call));
  return parse_users_page(reply.body, query, reply.status);
}

Result<std::vector<User>> ManagementClient::list_recent_users(std::size_t limit) {
  if (limit > kMaxListed) {
    return Error(Code::invalid, "Auth0 lists at most 1000 users (asked for " +
                                    std::to_string(limit) + "); use a user export job for more");
  }
  std::vector<User> out;
  if (limit == 0) return out;
  std::unordered_set<std::string> seen;
  ListUsersQuery query;
  query.per_page = std::min(limit, kMaxPerPage);
  for (query.page = 0; out.size() < limit; ++query.page) {
    if ((query.page + 1) * query.per_page > kMaxListed) break;
    ACID_ASSIGN_OR_RETURN(UsersPage page, list_users(query));
    for (User &user : page.users) {
      if (out.size() == limit) break;
      if (seen.insert(user.user_id).second) out.push_back(std::move(user));
    }
    const std::size_t served = query.page * query.per_page + page.users.size();
    if (page.users.size() < query.per_page || served >= page.total) break;
  }
  return out;
}

Status ManagementClient::warm_up() {
  ACID_TRY(impl_->get_token(std::string()));
  return Status::ok();
}

ManagementStats ManagementClient::stats() const {
  std::lock_guard lock(impl_->stats_mu);
  return impl_->stats;
}

const std::string &ManagementClient::base_url() const {
  return impl_->config.base_url;
}

}  // namespace acid::auth0
