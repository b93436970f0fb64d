#include "support/auth0_fixture.h"

#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <random>
#include <stdexcept>
#include <thread>

namespace acid::testing {
namespace {

using Clock = std::chrono::steady_clock;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string json_error(int status, const std::string &error, const std::string &message,
                       const std::string &error_code) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("statusCode");
  w.Int(status);
  w.Key("error");
  w.String(error.c_str());
  w.Key("message");
  w.String(message.c_str());
  if (!error_code.empty()) {
    w.Key("errorCode");
    w.String(error_code.c_str());
  }
  w.EndObject();
  return buf.GetString();
}

std::string oauth_error(const std::string &error, const std::string &description) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("error");
  w.String(error.c_str());
  w.Key("error_description");
  w.String(description.c_str());
  w.EndObject();
  return buf.GetString();
}

std::optional<long long> parse_count(const std::string &text) {
  long long value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string> split(const std::string &text, const std::string &sep) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (true) {
    const auto at = text.find(sep, from);
    out.push_back(text.substr(from, at == std::string::npos ? std::string::npos : at - from));
    if (at == std::string::npos) break;
    from = at + sep.size();
  }
  return out;
}

// The value of a user's member as text, for sorting and q matching; nullopt when absent.
std::optional<std::string> member_text(const Auth0FixtureUser &user, const std::string &field) {
  if (field == "user_id") return user.user_id;
  if (field == "email") return user.email;
  if (field == "email_verified") {
    if (!user.email_verified) return std::nullopt;
    return std::string(*user.email_verified ? "true" : "false");
  }
  if (field == "created_at" || field == "updated_at") return user.created_at;
  if (field == "blocked") return std::string(user.blocked ? "true" : "false");
  return std::nullopt;
}

bool known_field(const std::string &field) {
  static const char *const kFields[] = {
      "user_id",    "email",        "email_verified", "created_at",   "updated_at",
      "name",       "nickname",     "picture",        "identities",   "blocked",
      "last_login", "logins_count", "app_metadata",   "user_metadata"};
  return std::any_of(std::begin(kFields), std::end(kFields),
                     [&](const char *known) { return field == known; });
}

// A user the way the Management API serialises it, optionally restricted by fields.
void write_user(JsonWriter &w, const Auth0FixtureUser &user,
                const std::optional<std::vector<std::string>> &fields, bool include_fields) {
  const auto wanted = [&](const char *name) {
    if (!fields) return true;
    const bool listed = std::find(fields->begin(), fields->end(), name) != fields->end();
    return include_fields ? listed : !listed;
  };
  w.StartObject();
  if (wanted("created_at")) {
    w.Key("created_at");
    w.String(user.created_at.c_str());
  }
  if (user.email && wanted("email")) {
    w.Key("email");
    w.String(user.email->c_str());
  }
  if (user.email_verified && wanted("email_verified")) {
    w.Key("email_verified");
    w.Bool(*user.email_verified);
  }
  const auto bar = user.user_id.find('|');
  const std::string provider = bar == std::string::npos ? "auth0" : user.user_id.substr(0, bar);
  const std::string local_id =
      bar == std::string::npos ? user.user_id : user.user_id.substr(bar + 1);
  if (wanted("identities")) {
    w.Key("identities");
    w.StartArray();
    w.StartObject();
    w.Key("connection");
    w.String(provider == "auth0" ? "Username-Password-Authentication" : provider.c_str());
    w.Key("provider");
    w.String(provider.c_str());
    w.Key("user_id");
    w.String(local_id.c_str());
    w.Key("isSocial");
    w.Bool(provider != "auth0");
    w.EndObject();
    w.EndArray();
  }
  const std::string name = user.email ? *user.email : user.user_id;
  if (wanted("name")) {
    w.Key("name");
    w.String(name.c_str());
  }
  if (wanted("nickname")) {
    w.Key("nickname");
    w.String(name.substr(0, name.find('@')).c_str());
  }
  if (wanted("picture")) {
    w.Key("picture");
    w.String("https://s.gravatar.com/avatar/0?s=480&r=pg&d=mp");
  }
  if (wanted("updated_at")) {
    w.Key("updated_at");
    w.String(user.created_at.c_str());
  }
  if (wanted("user_id")) {
    w.Key("user_id");
    w.String(user.user_id.c_str());
  }
  if (user.blocked && wanted("blocked")) {
    w.Key("blocked");
    w.Bool(true);
  }
  w.EndObject();
}

}  // namespace

const char *endpoint_name(Auth0Endpoint endpoint) {
  switch (endpoint) {
    case Auth0Endpoint::token:
      return "token";
    case Auth0Endpoint::user:
      return "user";
    case Auth0Endpoint::users:
      return "users";
    case Auth0Endpoint::other:
      return "other";
  }
  return "?";
}

struct Auth0Fixture::Server {
  httplib::Server http;
  std::thread thread;
  Options options;
  std::string base_url;

  mutable std::mutex mu;
  std::vector<Auth0FixtureUser> users;
  std::int64_t token_lifetime_s = 86'400;
  std::map<std::string, Clock::time_point> tokens;  // issued token -> expiry
  std::uint64_t token_seq = 0;
  std::mt19937_64 rng{std::random_device{}()};
  std::map<Auth0Endpoint, std::deque<Auth0Scripted>> scripts;
  std::vector<Auth0RequestRecord> records;
  std::map<Auth0Endpoint, int> in_flight;
  std::map<Auth0Endpoint, int> max_in_flight;
  std::int64_t bucket_second = 0;
  std::int64_t bucket_count = 0;

  std::string audience() const {
    return options.audience.empty() ? base_url + "/api/v2/" : options.audience;
  }

  void add_rate_headers(httplib::Response &res) {
    const std::int64_t now = unix_seconds();
    std::int64_t remaining = 0;
    {
      std::lock_guard lock(mu);
      if (now != bucket_second) {
        bucket_second = now;
        bucket_count = 0;
      }
      ++bucket_count;
      remaining = std::max<std::int64_t>(0, options.ratelimit_per_second - bucket_count);
    }
    if (!res.has_header("x-ratelimit-limit")) {
      res.set_header("x-ratelimit-limit", std::to_string(options.ratelimit_per_second));
      res.set_header("x-ratelimit-remaining", std::to_string(remaining));
      res.set_header("x-ratelimit-reset", std::to_string(now + 1));
    }
  }

  // Common wrapper: records the request, applies a scripted answer or runs `normal`.
  template <typename Fn>
  void serve(Auth0Endpoint endpoint, const httplib::Request &req, httplib::Response &res,
             Fn normal) {
    std::optional<Auth0Scripted> scripted;
    {
      std::lock_guard lock(mu);
      auto &queue = scripts[endpoint];
      if (!queue.empty()) {
        scripted = std::move(queue.front());
        queue.pop_front();
      }
      const int now_in_flight = ++in_flight[endpoint];
      max_in_flight[endpoint] = std::max(max_in_flight[endpoint], now_in_flight);
    }
    if (scripted && scripted->delay.count() > 0) std::this_thread::sleep_for(scripted->delay);
    if (scripted && scripted->status != 0) {
      res.status = scripted->status;
      for (const auto &[name, value] : scripted->headers) res.set_header(name.c_str(), value);
      res.set_content(scripted->body, "application/json; charset=utf-8");
    } else {
      normal(req, res);
    }
    add_rate_headers(res);
    Auth0RequestRecord record;
    record.endpoint = endpoint;
    record.method = req.method;
    record.target = req.target;
    record.authorization = req.get_header_value("Authorization");
    record.body = req.body;
    record.status = res.status;
    std::lock_guard lock(mu);
    --in_flight[endpoint];
    records.push_back(std::move(record));
  }

  void token(const httplib::Request &req, httplib::Response &res) {
    const auto reply = [&](int status, const std::string &body) {
      res.status = status;
      res.set_content(body, "application/json; charset=utf-8");
    };
    const std::string type = req.get_header_value("Content-Type");
    if (type.rfind("application/json", 0) != 0) {
      return reply(400, oauth_error("invalid_request", "Unsupported content type: " + type));
    }
    rapidjson::Document doc;
    doc.Parse(req.body.c_str(), req.body.size());
    if (doc.HasParseError() || !doc.IsObject()) {
      return reply(400, oauth_error("invalid_request", "Invalid JSON body"));
    }
    const auto member = [&](const char *name) -> std::optional<std::string> {
      const auto it = doc.FindMember(name);
      if (it == doc.MemberEnd() || !it->value.IsString()) return std::nullopt;
      return std::string(it->value.GetString(), it->value.GetStringLength());
    };
    const auto grant = member("grant_type");
    if (!grant)
      return reply(400, oauth_error("invalid_request", "Missing required parameter: grant_type"));
    if (*grant != "client_credentials") {
      return reply(403, oauth_error("unauthorized_client",
                                    "Grant type '" + *grant + "' not allowed for the client."));
    }
    const auto id = member("client_id");
    const auto secret = member("client_secret");
    if (!id || !secret || *id != options.client_id || *secret != options.client_secret) {
      return reply(401, oauth_error("access_denied", "Unauthorized"));
    }
    const auto aud = member("audience");
    if (!aud || *aud != audience()) {
      return reply(403, oauth_error("access_denied", "Service not found: " + aud.value_or("")));
    }
    std::string access_token;
    std::int64_t lifetime = 0;
    {
      std::lock_guard lock(mu);
      lifetime = token_lifetime_s;
      char random_part[33];
      std::snprintf(random_part, sizeof random_part, "%016llx%016llx",
                    static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()));
      access_token = "eyJhbGciOiJSUzI1NiJ9.fx" + std::to_string(++token_seq) + "." + random_part;
      tokens[access_token] = Clock::now() + std::chrono::seconds(lifetime);
    }
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("access_token");
    w.String(access_token.c_str());
    w.Key("scope");
    w.String("read:users read:users_app_metadata");
    w.Key("expires_in");
    w.Int64(lifetime);
    w.Key("token_type");
    w.String("Bearer");
    w.EndObject();
    reply(200, buf.GetString());
  }

  // True when the request carries a live token; otherwise answers 401.
  bool authorized(const httplib::Request &req, httplib::Response &res) {
    const auto deny = [&](const std::string &message) {
      res.status = 401;
      res.set_content(json_error(401, "Unauthorized", message, ""),
                      "application/json; charset=utf-8");
      res.set_header("WWW-Authenticate", "Bearer realm=\"fixture\"");
      return false;
    };
    const std::string header = req.get_header_value("Authorization");
    if (header.empty()) return deny("Missing authentication");
    if (header.rfind("Bearer ", 0) != 0) return deny("Bad HTTP authentication header format");
    const std::string presented = header.substr(7);
    std::lock_guard lock(mu);
    const auto it = tokens.find(presented);
    if (it == tokens.end()) return deny("Invalid token");
    if (Clock::now() >= it->second) {
      return deny("Expired token received for JSON Web Token validation");
    }
    return true;
  }

  void user(const httplib::Request &req, httplib::Response &res) {
    if (!authorized(req, res)) return;
    const std::string id = req.matches[1];
    std::optional<Auth0FixtureUser> found;
    {
      std::lock_guard lock(mu);
      for (const auto &u : users) {
        if (u.user_id == id) found = u;
      }
    }
    if (!found) {
      res.status = 404;
      res.set_content(json_error(404, "Not Found", "The user does not exist.", "inexistent_user"),
                      "application/json; charset=utf-8");
      return;
    }
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    write_user(w, *found, std::nullopt, true);
    res.status = 200;
    res.set_content(buf.GetString(), "application/json; charset=utf-8");
  }

  void list(const httplib::Request &req, httplib::Response &res) {
    if (!authorized(req, res)) return;
    const auto bad = [&](const std::string &message, const std::string &code) {
      res.status = 400;
      res.set_content(json_error(400, "Bad Request", message, code),
                      "application/json; charset=utf-8");
    };
    const auto param = [&](const char *name) -> std::optional<std::string> {
      if (!req.has_param(name)) return std::nullopt;
      return req.get_param_value(name);
    };
    long long page = 0;
    long long per_page = 50;
    if (auto v = param("page")) {
      const auto n = parse_count(*v);
      if (!n)
        return bad("Query validation error: 'Expected type integer' on property page",
                   "invalid_query_string");
      page = *n;
    }
    if (auto v = param("per_page")) {
      const auto n = parse_count(*v);
      if (!n || *n < 1) {
        return bad("Query validation error: 'Expected type integer' on property per_page",
                   "invalid_query_string");
      }
      if (*n > 100) {
        return bad(
            "Query validation error: 'Too big: must be at most 100' on property per_page "
            "(Number of results per page. Defaults to 50.).",
            "invalid_query_string");
      }
      per_page = *n;
    }
    if ((page + 1) * per_page > 1000) {
      return bad(
          "You can only page through the first 1000 records. See "
          "https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation",
          "");
    }
    if (auto v = param("search_engine"); v && *v != "v3") {
      return bad(
          "Query validation error: 'No enum match for: \"" + *v + "\"' on property search_engine",
          "invalid_query_string");
    }
    const auto flag = [&](const char *name, bool fallback) -> std::optional<bool> {
      const auto v = param(name);
      if (!v) return fallback;
      if (*v == "true") return true;
      if (*v == "false") return false;
      return std::nullopt;
    };
    const auto include_totals = flag("include_totals", false);
    const auto include_fields = flag("include_fields", true);
    if (!include_totals || !include_fields) {
      return bad("Query validation error: 'Expected type boolean'", "invalid_query_string");
    }
    std::optional<std::vector<std::string>> fields;
    if (auto v = param("fields"); v && !v->empty()) {
      fields = split(*v, ",");
      for (const auto &f : *fields) {
        if (!known_field(f)) return bad("Unknown field in fields: " + f, "invalid_query_string");
      }
    }
    std::string sort_field;
    int sort_dir = 0;
    if (auto v = param("sort")) {
      const auto colon = v->rfind(':');
      const std::string dir = colon == std::string::npos ? "" : v->substr(colon + 1);
      sort_field = colon == std::string::npos ? "" : v->substr(0, colon);
      if ((dir != "1" && dir != "-1") || !known_field(sort_field)) {
        return bad(
            "Query validation error: 'String does not match pattern ^(([a-zA-Z0-9_\\.]+))"
            "\\:(1|-1)$' on property sort",
            "invalid_query_string");
      }
      sort_dir = dir == "1" ? 1 : -1;
    }
    std::vector<std::pair<std::string, std::string>> terms;
    if (auto v = param("q"); v && !v->empty()) {
      for (const auto &term : split(*v, " AND ")) {
        const auto colon = term.find(':');
        if (colon == std::string::npos || !known_field(term.substr(0, colon))) {
          return bad("The fixture supports q terms of the form field:value only", "invalid_query");
        }
        std::string value = term.substr(colon + 1);
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
          value = value.substr(1, value.size() - 2);
        }
        terms.emplace_back(term.substr(0, colon), value);
      }
    }

    std::vector<Auth0FixtureUser> matching;
    {
      std::lock_guard lock(mu);
      for (const auto &u : users) {
        const bool ok = std::all_of(terms.begin(), terms.end(), [&](const auto &t) {
          return member_text(u, t.first) == std::optional<std::string>(t.second);
        });
        if (ok) matching.push_back(u);
      }
    }
    if (sort_dir != 0) {
      std::stable_sort(matching.begin(), matching.end(), [&](const auto &a, const auto &b) {
        const auto x = member_text(a, sort_field);
        const auto y = member_text(b, sort_field);
        if (!x || !y) return x.has_value() && !y.has_value();  // missing values last
        return sort_dir > 0 ? *x < *y : *x > *y;
      });
    }
    const auto total = static_cast<long long>(matching.size());
    const long long start = page * per_page;
    const long long end = std::min(total, start + per_page);

    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    const auto write_users = [&] {
      w.StartArray();
      for (long long i = start; i < end; ++i) {
        write_user(w, matching[static_cast<std::size_t>(i)], fields, *include_fields);
      }
      w.EndArray();
    };
    if (*include_totals) {
      w.StartObject();
      w.Key("start");
      w.Int64(start);
      w.Key("limit");
      w.Int64(per_page);
      w.Key("length");
      w.Int64(std::max(0LL, end - start));
      w.Key("users");
      write_users();
      w.Key("total");
      w.Int64(total);
      w.EndObject();
    } else {
      write_users();
    }
    res.status = 200;
    res.set_content(buf.GetString(), "application/json; charset=utf-8");
  }
};

Auth0Fixture::Auth0Fixture() : Auth0Fixture(Options()) {}

Auth0Fixture::Auth0Fixture(Options options)
    : options_(std::move(options)), server_(std::make_unique<Server>()) {
  Server &s = *server_;
  s.options = options_;
  s.token_lifetime_s = options_.token_lifetime_s;
  // Enough workers for concurrent tests with keep-alive connections, each of which holds one.
  s.http.new_task_queue = [] { return new httplib::ThreadPool(32); };
  s.http.set_keep_alive_timeout(2);
  s.http.Post("/oauth/token", [&s](const httplib::Request &req, httplib::Response &res) {
    s.serve(Auth0Endpoint::token, req, res,
            [&s](const httplib::Request &r, httplib::Response &o) { s.token(r, o); });
  });
  s.http.Get(R"(/api/v2/users/(.+))", [&s](const httplib::Request &req, httplib::Response &res) {
    s.serve(Auth0Endpoint::user, req, res,
            [&s](const httplib::Request &r, httplib::Response &o) { s.user(r, o); });
  });
  s.http.Get("/api/v2/users", [&s](const httplib::Request &req, httplib::Response &res) {
    s.serve(Auth0Endpoint::users, req, res,
            [&s](const httplib::Request &r, httplib::Response &o) { s.list(r, o); });
  });
  port_ = s.http.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("Auth0Fixture: cannot bind 127.0.0.1");
  s.base_url = "http://127.0.0.1:" + std::to_string(port_);
  s.thread = std::thread([&s] { s.http.listen_after_bind(); });
  for (int i = 0; i < 500 && !s.http.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!s.http.is_running()) {
    s.http.stop();
    s.thread.join();
    throw std::runtime_error("Auth0Fixture: server did not start");
  }
}

Auth0Fixture::~Auth0Fixture() {
  server_->http.stop();
  if (server_->thread.joinable()) server_->thread.join();
}

std::string Auth0Fixture::base_url() const {
  return server_->base_url;
}

std::string Auth0Fixture::audience() const {
  return server_->audience();
}

void Auth0Fixture::set_users(std::vector<Auth0FixtureUser> users) {
  std::lock_guard lock(server_->mu);
  server_->users = std::move(users);
}

void Auth0Fixture::add_user(Auth0FixtureUser user) {
  std::lock_guard lock(server_->mu);
  server_->users.push_back(std::move(user));
}

void Auth0Fixture::set_token_lifetime_s(std::int64_t seconds) {
  std::lock_guard lock(server_->mu);
  server_->token_lifetime_s = seconds;
}

void Auth0Fixture::revoke_tokens() {
  std::lock_guard lock(server_->mu);
  server_->tokens.clear();
}

void Auth0Fixture::script(Auth0Endpoint endpoint, Auth0Scripted answer, int count) {
  std::lock_guard lock(server_->mu);
  for (int i = 0; i < count; ++i) server_->scripts[endpoint].push_back(answer);
}

void Auth0Fixture::rate_limit_next(Auth0Endpoint endpoint, std::int64_t reset_epoch_s, int count) {
  Auth0Scripted answer;
  answer.status = 429;
  answer.body =
      json_error(429, "Too Many Requests", "Global limit has been reached", "too_many_requests");
  answer.headers = {{"x-ratelimit-limit", std::to_string(options_.ratelimit_per_second)},
                    {"x-ratelimit-remaining", "0"},
                    {"x-ratelimit-reset", std::to_string(reset_epoch_s)}};
  script(endpoint, std::move(answer), count);
}

void Auth0Fixture::server_error_next(Auth0Endpoint endpoint, int count, int status) {
  Auth0Scripted answer;
  answer.status = status;
  answer.body = json_error(status, status == 503 ? "Service Unavailable" : "Internal Server Error",
                           "An internal server error occurred", "");
  script(endpoint, std::move(answer), count);
}

void Auth0Fixture::delay_next(Auth0Endpoint endpoint, std::chrono::milliseconds delay, int count) {
  Auth0Scripted answer;
  answer.delay = delay;
  script(endpoint, std::move(answer), count);
}

void Auth0Fixture::raw_next(Auth0Endpoint endpoint, int status, std::string body, int count) {
  Auth0Scripted answer;
  answer.status = status;
  answer.body = std::move(body);
  script(endpoint, std::move(answer), count);
}

int Auth0Fixture::requests(Auth0Endpoint endpoint) const {
  std::lock_guard lock(server_->mu);
  return static_cast<int>(std::count_if(server_->records.begin(), server_->records.end(),
                                        [&](const auto &r) { return r.endpoint == endpoint; }));
}

int Auth0Fixture::answers(Auth0Endpoint endpoint, int status) const {
  std::lock_guard lock(server_->mu);
  return static_cast<int>(
      std::count_if(server_->records.begin(), server_->records.end(),
                    [&](const auto &r) { return r.endpoint == endpoint && r.status == status; }));
}

std::vector<Auth0RequestRecord> Auth0Fixture::log() const {
  std::lock_guard lock(server_->mu);
  return server_->records;
}

std::vector<Auth0RequestRecord> Auth0Fixture::log(Auth0Endpoint endpoint) const {
  std::lock_guard lock(server_->mu);
  std::vector<Auth0RequestRecord> out;
  for (const auto &r : server_->records) {
    if (r.endpoint == endpoint) out.push_back(r);
  }
  return out;
}

int Auth0Fixture::max_concurrent(Auth0Endpoint endpoint) const {
  std::lock_guard lock(server_->mu);
  const auto it = server_->max_in_flight.find(endpoint);
  return it == server_->max_in_flight.end() ? 0 : it->second;
}

}  // namespace acid::testing
