#include "core/config.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "core/ascii.h"
#include "core/json.h"

namespace acid {
namespace {

constexpr std::string_view kStore = "ACID_STORE";
constexpr std::string_view kMongoUri = "MONGODB_CONNECTION_STRING";
constexpr std::string_view kMongoName = "MONGODB_NAME";
constexpr std::string_view kPdsUrl = "PDS_URL";
constexpr std::string_view kPdsPassword = "PDS_ADMIN_PASSWORD";
constexpr std::string_view kHandleDomain = "ACID_PDS_HANDLE_DOMAIN";
constexpr std::string_view kLogToken = "AUTH0_LOG_TOKEN";
constexpr std::string_view kSotceLogToken = "SOTCE_AUTH0_LOG_TOKEN";
constexpr std::string_view kAuth0Base = "ACID_AUTH0_BASE_URL";
constexpr std::string_view kSotceAuth0Base = "ACID_SOTCE_AUTH0_BASE_URL";
constexpr std::string_view kM2mId = "AUTH0_M2M_CLIENT_ID";
constexpr std::string_view kM2mSecret = "AUTH0_M2M_SECRET";
constexpr std::string_view kSotceM2mId = "SOTCE_AUTH0_M2M_CLIENT_ID";
constexpr std::string_view kSotceM2mSecret = "SOTCE_AUTH0_M2M_SECRET";
constexpr std::string_view kKey = "ACID_CREDENTIALS_KEY";
constexpr std::string_view kPlaintext = "ACID_ALLOW_PLAINTEXT_CREDENTIALS";
constexpr std::string_view kMaxAttempts = "ACID_MAX_ATTEMPTS";
constexpr std::string_view kJobLease = "ACID_JOB_LEASE_MS";
constexpr std::string_view kMongoDb = "ACID_MONGODB_DB";
constexpr std::string_view kListen = "ACID_DAEMON_LISTEN";
constexpr std::string_view kMediaBase = "ACID_MEDIA_BASE_URL";
constexpr std::string_view kHandleToken = "ACID_HANDLE_CHANGED_TOKEN";
constexpr std::string_view kServiceAccounts = "ACID_SERVICE_ACCOUNTS";

constexpr std::array<std::string_view, 23> kVariables = {
    kStore,       kMongoUri,        kMongoName, kPdsUrl,         kPdsPassword, kHandleDomain,
    kLogToken,    kSotceLogToken,   kAuth0Base, kSotceAuth0Base, kM2mId,       kM2mSecret,
    kSotceM2mId,  kSotceM2mSecret,  kKey,       kPlaintext,      kMaxAttempts, kListen,
    kHandleToken, kServiceAccounts, kMediaBase, kJobLease,       kMongoDb};

// Names the deployed scripts used by mistake (seed-system.md section 7): set, they do nothing.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kMisnamed = {{
    {"AUTH0_M2M_CLIENTID", kM2mId},
    {"AUTH0_M2M_CLIENT_SECRET", kM2mSecret},
}};

// Set by AWS Lambda (and so on Netlify Functions) in every function's environment.
constexpr std::string_view kLambdaFunctionName = "AWS_LAMBDA_FUNCTION_NAME";

// Why the default store (sqlite:acidentity.db in the working folder) cannot be used here, or
// nothing. On Lambda the function's folder (/var/task) is read-only, and any local file would
// be lost with the instance anyway; elsewhere a working folder that cannot be written would
// fail later with SQLite's own "unable to open database file".
std::optional<std::string> default_store_unusable(const EnvLookup &env) {
  std::string why;
  const std::optional<std::string> lambda = env(kLambdaFunctionName);
  if (lambda && !lambda->empty()) {
    why =
        "no store is configured, and on AWS Lambda (Netlify Functions) the default "
        "sqlite:acidentity.db would be created in the read-only function folder and lost with "
        "the instance";
  } else if (access(".", W_OK) != 0) {
    why =
        "no store is configured, and the working folder cannot be written, so the default "
        "sqlite:acidentity.db cannot be created there";
  } else {
    return std::nullopt;
  }
  why += "; set ";
  why += kMongoUri;
  why += " and ";
  why += kMongoName;
  why += " (the deployed MongoDB), or ";
  why += kStore;
  return why;
}

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

// A DNS name: labels of letters, digits and '-', not at a label's ends, 1..63 each.
bool valid_hostname(std::string_view host, bool lowercase_only, std::size_t min_labels) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t labels = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = host.find('.', start);
    const std::string_view label =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (const char c : label) {
      const bool upper = c >= 'A' && c <= 'Z';
      if (!(is_lower_alnum(c) || c == '-' || (upper && !lowercase_only))) return false;
    }
    ++labels;
    if (dot == std::string_view::npos) {
      // A name whose last label is all digits would read as an IPv4 address.
      if (std::all_of(label.begin(), label.end(), is_digit)) return false;
      break;
    }
    start = dot + 1;
  }
  return labels >= min_labels;
}

bool valid_ipv4(std::string_view s) {
  in_addr a{};
  return inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}

bool valid_ipv6(std::string_view s) {
  in6_addr a{};
  return inet_pton(AF_INET6, std::string(s).c_str(), &a) == 1;
}

// "1".."65535" without sign, spaces or leading zeros.
std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5 || s.front() == '0') return std::nullopt;
  if (!std::all_of(s.begin(), s.end(), is_digit)) return std::nullopt;
  const long v = std::strtol(std::string(s).c_str(), nullptr, 10);
  if (v < 1 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

struct HostPort {
  std::string host;  // IPv6 without brackets
  std::optional<std::uint16_t> port;
  bool bracketed = false;
};

// host, host:port, [v6], [v6]:port.
std::optional<HostPort> parse_host_port(std::string_view s, bool port_required) {
  HostPort hp;
  std::string_view rest;
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view v6 = s.substr(1, close - 1);
    if (!valid_ipv6(v6)) return std::nullopt;
    hp.host = std::string(v6);
    hp.bracketed = true;
    rest = s.substr(close + 1);
  } else {
    const std::size_t colon = s.find(':');
    const std::string_view host = s.substr(0, colon);
    if (!valid_ipv4(host) && !valid_hostname(host, false, 1)) return std::nullopt;
    hp.host = std::string(host);
    rest = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
  }
  if (!rest.empty()) {
    if (rest.front() != ':') return std::nullopt;
    hp.port = parse_port(rest.substr(1));
    if (!hp.port) return std::nullopt;
  }
  if (port_required && !hp.port) return std::nullopt;
  return hp;
}

struct HttpUrl {
  std::string normalized;  // without trailing slashes
  HostPort authority;
  bool https = false;
};

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  if (has_control(url) || url.find(' ') != std::string_view::npos) return std::nullopt;
  HttpUrl out;
  std::size_t scheme_len = 0;
  if (starts_with_ignoring_case(url, "https://")) {
    scheme_len = 8;
    out.https = true;
  } else if (starts_with_ignoring_case(url, "http://")) {
    scheme_len = 7;
  } else {
    return std::nullopt;
  }
  // A base URL: no query or fragment, no credentials.
  if (url.find_first_of("?#") != std::string_view::npos) return std::nullopt;
  const std::string_view rest = url.substr(scheme_len);
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  auto hp = parse_host_port(authority, false);
  if (!hp) return std::nullopt;
  out.authority = std::move(*hp);
  std::string_view trimmed = url;
  while (trimmed.size() > scheme_len + authority.size() && trimmed.back() == '/') {
    trimmed.remove_suffix(1);
  }
  out.normalized = std::string(trimmed);
  return out;
}

bool is_loopback(const HostPort &hp) {
  return hp.host == "localhost" || hp.host == "::1" ||
         (valid_ipv4(hp.host) && hp.host.rfind("127.", 0) == 0);
}

// MongoDB database names: 1..63 bytes, none of / \ . " $ * < > : | ? or space, no NUL.
bool valid_mongo_db_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  return name.find_first_of(std::string_view("/\\. \"$*<>:|?\0", 13)) == std::string_view::npos;
}

bool has_option(std::string_view options, std::string_view key) {
  std::size_t start = 0;
  while (start <= options.size()) {
    const std::size_t amp = options.find('&', start);
    const std::string_view opt =
        options.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    const std::string_view name = opt.substr(0, opt.find('='));
    if (name.size() == key.size() && starts_with_ignoring_case(name, key)) return true;
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return false;
}

// Collects the problems of one load.
class Problems {
 public:
  void add(std::string_view variable, std::string_view what) {
    messages_.push_back(std::string(variable) + ": " + std::string(what));
    if (std::find(variables_.begin(), variables_.end(), variable) == variables_.end()) {
      variables_.emplace_back(variable);
    }
  }
  bool empty() const { return messages_.empty(); }
  Error error() const {
    std::string message;
    // Appended piece by piece: `"; " + std::string` (insert at 0) makes GCC 12 at -O3 report a
    // false -Wrestrict inside libstdc++ (GCC bug 105329).
    for (const auto &m : messages_) {
      if (!message.empty()) message += "; ";
      message += m;
    }
    std::string detail = "{\"variables\":[";
    for (std::size_t i = 0; i < variables_.size(); ++i) {
      if (i) detail += ',';
      detail += json::quote(variables_[i]);
    }
    detail += "]}";
    return Error(Code::config, message, detail);
  }

 private:
  std::vector<std::string> messages_;
  std::vector<std::string> variables_;
};

}  // namespace

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char *v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

EnvLookup env_from_map(std::map<std::string, std::string, std::less<>> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

bool valid_http_url(std::string_view url) {
  return parse_http_url(url).has_value();
}

bool valid_handle_domain(std::string_view d) {
  return valid_hostname(d, true, 2);
}

Result<std::string> mongodb_store_uri(std::string_view connection_string,
                                      std::string_view db_name) {
  std::string_view scheme;
  if (connection_string.rfind("mongodb://", 0) == 0) {
    scheme = "mongodb://";
  } else if (connection_string.rfind("mongodb+srv://", 0) == 0) {
    scheme = "mongodb+srv://";
  } else {
    return Error(Code::config,
                 std::string(kMongoUri) + ": expected a mongodb:// or mongodb+srv:// URI",
                 "{\"variables\":[" + json::quote(kMongoUri) + "]}");
  }
  if (!valid_mongo_db_name(db_name)) {
    return Error(Code::config, std::string(kMongoName) + ": not a valid MongoDB database name",
                 "{\"variables\":[" + json::quote(kMongoName) + "]}");
  }
  const std::string_view rest = connection_string.substr(scheme.size());
  const std::size_t end_authority = std::min(rest.find_first_of("/?"), rest.size());
  const std::string_view authority = rest.substr(0, end_authority);
  if (authority.empty() || authority.back() == '@') {
    return Error(Code::config, std::string(kMongoUri) + ": the URI names no host",
                 "{\"variables\":[" + json::quote(kMongoUri) + "]}");
  }
  std::string_view path;
  std::string_view options;
  std::string_view after = rest.substr(end_authority);
  if (!after.empty() && after.front() == '/') after.remove_prefix(1);
  const std::size_t q = after.find('?');
  if (q == std::string_view::npos) {
    path = after;
  } else {
    path = after.substr(0, q);
    options = after.substr(q + 1);
  }

  std::string uri;
  uri.reserve(connection_string.size() + db_name.size() + 32);
  uri += scheme;
  uri += authority;
  uri += '/';
  uri += db_name;
  std::string opts(options);
  const bool has_credentials = authority.find('@') != std::string_view::npos;
  if (has_credentials && !has_option(options, "authsource") &&
      !has_option(options, "authmechanism")) {
    if (!opts.empty()) opts += '&';
    opts += "authSource=";
    opts += path.empty() ? std::string_view("admin") : path;
  }
  if (!opts.empty()) {
    uri += '?';
    uri += opts;
  }
  return uri;
}

std::span<const std::string_view> Config::variable_names() {
  return kVariables;
}

namespace {

// Reads the variables for Config::from_env: empty counts as unset, control characters are a
// problem. Remembers which variables were set and collects every problem and note, so one
// load reports all of them at once.
struct EnvReader {
  const EnvLookup &env;
  std::map<std::string, bool, std::less<>> &set;
  std::vector<std::string> &notes;
  Problems problems;

  std::optional<std::string> get(std::string_view name) {
    std::optional<std::string> v = env(name);
    if (v && v->empty()) v.reset();
    set[std::string(name)] = v.has_value();
    if (v && has_control(*v)) {
      problems.add(name, "contains control characters (a stray newline?)");
      v.reset();
    }
    return v;
  }

  // An http:// or https:// base URL, normalized, into `out`; a problem when it is not one.
  void base_url(std::string_view name, std::string &out) {
    if (const auto v = get(name)) {
      if (const auto url = parse_http_url(*v)) {
        out = url->normalized;
      } else {
        problems.add(name, "expected an http:// or https:// base URL with a host");
      }
    }
  }
};

// The database path of what follows a MongoDB URI's hosts ("/db?opts" -> "db").
std::string_view uri_path(std::string_view after_hosts) {
  if (!after_hosts.empty() && after_hosts.front() == '/') after_hosts.remove_prefix(1);
  return after_hosts.substr(0, after_hosts.find('?'));
}

// A mongodb ACID_STORE without a database path: the database is ACID_MONGODB_DB, else
// MONGODB_NAME, put into the URI here (the store reads no environment of its own). Neither set:
// the URI is kept and opening it names both variables. Returns the variable that named it.
std::string_view read_mongo_database(EnvReader &r, Config &c, std::string_view uri) {
  for (const std::string_view var : {kMongoDb, kMongoName}) {
    const auto name = r.get(var);
    if (!name) continue;
    auto composed = mongodb_store_uri(uri, *name);
    if (!composed) {
      r.problems.add(var, "not a valid MongoDB database name");
    } else {
      c.store_uri = std::move(composed).value();
    }
    return var;
  }
  c.store_uri = std::string(uri);
  return {};
}

// ACID_STORE, checked for shape only (the store opens it). Returns the variable that named the
// database of a pathless mongodb URI, if one did.
std::string_view read_explicit_store(EnvReader &r, Config &c, std::string_view s) {
  std::string_view sqlite_path;
  const bool sqlite = s.rfind("sqlite:", 0) == 0;
  if (sqlite) {
    sqlite_path = s.substr(7);
    if (sqlite_path.rfind("//", 0) == 0) sqlite_path.remove_prefix(2);
    sqlite_path = sqlite_path.substr(0, sqlite_path.find('?'));
  }
  std::string_view mongo_rest;
  if (s.rfind("mongodb://", 0) == 0) mongo_rest = s.substr(10);
  if (s.rfind("mongodb+srv://", 0) == 0) mongo_rest = s.substr(14);
  const std::string_view mongo_hosts = mongo_rest.substr(0, mongo_rest.find_first_of("/?"));
  const bool mongo = !mongo_hosts.empty() && mongo_hosts.back() != '@';
  if (sqlite && sqlite_path.empty()) {
    r.problems.add(kStore, "the sqlite: URI names no file");
  } else if (!sqlite && !mongo) {
    r.problems.add(kStore, "expected sqlite:PATH, mongodb://... or mongodb+srv://...");
  } else if (mongo && uri_path(mongo_rest.substr(mongo_hosts.size())).empty()) {
    return read_mongo_database(r, c, s);
  } else {
    c.store_uri = std::string(s);
  }
  return {};
}

void read_store(EnvReader &r, Config &c) {
  r.get(kMongoDb);  // read (and reported as set) even where only a pathless ACID_STORE uses it
  const auto store = r.get(kStore);
  const auto mongo_uri = r.get(kMongoUri);
  const auto mongo_name = r.get(kMongoName);
  if (store) {
    const std::string_view database_from = read_explicit_store(r, c, *store);
    if (mongo_uri && database_from == kMongoName) {
      r.notes.push_back(std::string(kStore) + " is set, so " + std::string(kMongoUri) +
                        " is ignored (" + std::string(kMongoName) + " names the database of its " +
                        "URI)");
    } else if (mongo_uri) {
      r.notes.push_back(std::string(kStore) + " is set, so " + std::string(kMongoUri) + " and " +
                        std::string(kMongoName) + " are ignored");
    }
  } else if (mongo_uri) {
    if (!mongo_name) {
      r.problems.add(kMongoName,
                     "required when " + std::string(kMongoUri) + " is set (it names the database)");
    } else {
      auto uri = mongodb_store_uri(*mongo_uri, *mongo_name);
      if (uri) {
        c.store_uri = std::move(uri).value();
      } else {
        // The message already starts with the variable's name.
        const std::string m = uri.error().message;
        const std::size_t colon = m.find(": ");
        r.problems.add(m.substr(0, colon), m.substr(colon + 2));
      }
    }
  } else if (mongo_name) {
    r.notes.push_back(std::string(kMongoName) + " is set without " + std::string(kMongoUri) +
                      ": it is ignored");
  }
  if (!store && !mongo_uri) {
    if (const auto why = default_store_unusable(r.env)) r.problems.add(kStore, *why);
  }
}

// PDS_URL, PDS_ADMIN_PASSWORD, ACID_PDS_HANDLE_DOMAIN and ACID_MEDIA_BASE_URL.
void read_pds(EnvReader &r, Config &c) {
  if (const auto v = r.get(kPdsUrl)) {
    if (const auto url = parse_http_url(*v)) {
      c.pds_url = url->normalized;
      if (!url->https && !is_loopback(url->authority)) {
        r.notes.push_back(std::string(kPdsUrl) +
                          " is plain http to a host that is not loopback: the admin "
                          "password would cross the network unencrypted (the PDS client "
                          "refuses such a URL)");
      }
    } else {
      r.problems.add(kPdsUrl, "expected an http:// or https:// base URL with a host");
    }
  }
  c.pds_admin_password = r.get(kPdsPassword);
  if (const auto v = r.get(kHandleDomain)) {
    if (valid_handle_domain(*v)) {
      c.pds_handle_domain = *v;
    } else {
      r.problems.add(kHandleDomain,
                     "expected a domain of lowercase labels (letters, digits, '-') such as "
                     "at.example.com, without leading or trailing dots");
    }
  }
  r.base_url(kMediaBase, c.media_base_url);
}

// Both tenants' log tokens, Management API base URLs and M2M pairs; misspelt names are noted.
void read_auth0_tenants(EnvReader &r, Config &c) {
  struct TenantVars {
    Auth0TenantConfig *config;
    std::string_view log_token, base_url, m2m_id, m2m_secret;
  };
  const std::array<TenantVars, 2> tenants = {{
      {&c.aesthetic, kLogToken, kAuth0Base, kM2mId, kM2mSecret},
      {&c.sotce, kSotceLogToken, kSotceAuth0Base, kSotceM2mId, kSotceM2mSecret},
  }};
  for (const TenantVars &t : tenants) {
    t.config->log_token = r.get(t.log_token);
    r.base_url(t.base_url, t.config->base_url);
    t.config->m2m_client_id = r.get(t.m2m_id);
    t.config->m2m_secret = r.get(t.m2m_secret);
    if (t.config->m2m_client_id.has_value() != t.config->m2m_secret.has_value()) {
      const bool id_set = t.config->m2m_client_id.has_value();
      r.problems.add(id_set ? t.m2m_secret : t.m2m_id,
                     "must be set together with " + std::string(id_set ? t.m2m_id : t.m2m_secret));
    }
  }
  for (const auto &[wrong, right] : kMisnamed) {
    const auto v = r.env(wrong);
    if (v && !v->empty()) {
      r.notes.push_back(std::string(wrong) + " is set but not read: the variable is " +
                        std::string(right));
    }
  }
}

// ACID_CREDENTIALS_KEY (the text is wiped once parsed) and ACID_ALLOW_PLAINTEXT_CREDENTIALS.
void read_credentials(EnvReader &r, Config &c) {
  if (std::optional<std::string> v = r.get(kKey)) {
    std::string &text = *v;
    auto ring = seal::KeyRing::parse(text);
    OPENSSL_cleanse(text.data(), text.size());  // this copy of the key text is ours to wipe
    if (ring) {
      c.credentials_key = std::move(ring).value();
    } else {
      r.problems.add(kKey, ring.error().message);
    }
  }
  if (const auto v = r.get(kPlaintext)) {
    if (*v == "1" || *v == "true") {
      c.allow_plaintext_credentials = true;
    } else if (*v == "0" || *v == "false") {
      c.allow_plaintext_credentials = false;
    } else {
      r.problems.add(kPlaintext, "expected exactly 1, 0, true or false");
    }
  }
}

// ACID_JOB_LEASE_MS: a whole number of milliseconds, from 1 s to what the C option's int holds.
void read_job_lease(EnvReader &r, Config &c) {
  const auto v = r.get(kJobLease);
  if (!v) return;
  const bool digits = v->size() <= 10 && std::all_of(v->begin(), v->end(), is_digit);
  const std::int64_t n = digits ? std::atoll(v->c_str()) : 0;
  if (digits && n >= 1000 && n <= 2'147'483'647) {
    c.job_lease_ms = n;
  } else {
    r.problems.add(kJobLease, "expected a whole number of milliseconds from 1000 to 2147483647");
  }
}

// ACID_MAX_ATTEMPTS, ACID_JOB_LEASE_MS, ACID_DAEMON_LISTEN, ACID_HANDLE_CHANGED_TOKEN and
// ACID_SERVICE_ACCOUNTS.
void read_jobs_and_daemon(EnvReader &r, Config &c) {
  read_job_lease(r, c);
  if (const auto v = r.get(kMaxAttempts)) {
    const bool digits = v->size() <= 3 && std::all_of(v->begin(), v->end(), is_digit);
    const int n = digits ? std::atoi(v->c_str()) : 0;
    if (digits && n >= 1 && n <= 100 && v->front() != '0') {
      c.max_attempts = n;
    } else {
      r.problems.add(kMaxAttempts, "expected a whole number from 1 to 100");
    }
  }
  if (const auto v = r.get(kListen)) {
    const auto hp = parse_host_port(*v, true);
    if (hp) {
      c.daemon_host = hp->host;
      c.daemon_port = *hp->port;
    } else {
      r.problems.add(kListen, "expected HOST:PORT or [IPv6]:PORT with a port from 1 to 65535");
    }
  }
  c.handle_changed_token = r.get(kHandleToken);
  if (const auto v = r.get(kServiceAccounts)) {
    auto accounts = ServiceAccounts::parse(*v);
    if (accounts) {
      c.service_accounts = std::move(*accounts);
    } else {
      r.problems.add(kServiceAccounts,
                     accounts.error().message + " (expected ids and DIDs separated by commas)");
    }
  }
}

}  // namespace

Result<Config> Config::from_env(const EnvLookup &env) {
  Config c;
  EnvReader reader{env, c.set_, c.load_notes_, {}};
  read_store(reader, c);
  read_pds(reader, c);
  read_auth0_tenants(reader, c);
  read_credentials(reader, c);
  read_jobs_and_daemon(reader, c);
  if (!reader.problems.empty()) return reader.problems.error();
  return c;
}

Status Config::require_pds() const {
  Problems p;
  if (!pds_url) p.add(kPdsUrl, "not set (the PDS base URL)");
  if (!pds_admin_password) p.add(kPdsPassword, "not set (the PDS admin password)");
  if (!p.empty()) return p.error();
  return Status::ok();
}

Status Config::require_credentials() const {
  if (credentials_key || allow_plaintext_credentials) return Status::ok();
  Problems p;
  p.add(kKey,
        "not set, and " + std::string(kPlaintext) + " is not on: PDS passwords cannot be stored");
  return p.error();
}

Status Config::require_auth0_m2m(Tenant t) const {
  const Auth0TenantConfig &tc = tenant(t);
  // from_env() guarantees both or neither.
  if (tc.m2m_client_id && tc.m2m_secret) return Status::ok();
  Problems p;
  const bool sotce_tenant = t == Tenant::sotce;
  p.add(sotce_tenant ? kSotceM2mId : kM2mId, "not set (Auth0 Management API client)");
  p.add(sotce_tenant ? kSotceM2mSecret : kM2mSecret, "not set (Auth0 Management API secret)");
  return p.error();
}

std::vector<std::string> Config::warnings() const {
  std::vector<std::string> w;
  if (!aesthetic.log_token) {
    w.push_back(std::string(kLogToken) +
                " is not set: Auth0 log-stream requests for the aesthetic tenant will be refused");
  }
  if (!sotce.log_token) {
    w.push_back(std::string(kSotceLogToken) +
                " is not set: Auth0 log-stream requests for the sotce tenant will be refused");
  }
  if (!handle_changed_token) {
    w.push_back(std::string(kHandleToken) +
                " is not set: handle-change notifications will be refused");
  }
  if (allow_plaintext_credentials && !credentials_key) {
    w.push_back(std::string(kPlaintext) + " is on and " + std::string(kKey) +
                " is not set: PDS passwords will be stored in plaintext");
  } else if (allow_plaintext_credentials) {
    w.push_back(std::string(kPlaintext) + " is on but has no effect: " + std::string(kKey) +
                " is set, so PDS passwords are sealed");
  } else if (!credentials_key) {
    w.push_back("neither " + std::string(kKey) + " nor " + std::string(kPlaintext) +
                " is set: storing PDS passwords (account creation) will be refused");
  }
  w.insert(w.end(), load_notes_.begin(), load_notes_.end());
  return w;
}

std::string Config::describe_json() const {
  std::string out = "{";
  for (std::size_t i = 0; i < kVariables.size(); ++i) {
    const auto it = set_.find(kVariables[i]);
    const bool set = it != set_.end() && it->second;
    if (i > 0) out += ',';
    out += json::quote(kVariables[i]);
    out += set ? ":true" : ":false";
  }
  out += '}';
  return out;
}

std::vector<std::string> Config::secrets() const {
  std::vector<std::string> out;
  for (const auto *v : {&pds_admin_password, &aesthetic.log_token, &aesthetic.m2m_secret,
                        &sotce.log_token, &sotce.m2m_secret, &handle_changed_token}) {
    if (*v) out.push_back(**v);
  }
  return out;
}

}  // namespace acid
