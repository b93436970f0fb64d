#include "net/http_transport.h"

#include <curl/curl.h>

#include <array>
#include <mutex>
#include <vector>

namespace acid::net {
namespace {

std::once_flag g_curl_init_once;
CURLcode g_curl_init_result = CURLE_OK;

// libcurl's global state is set up once per process and kept (curl_global_cleanup is not
// thread-safe and other parts of the host program may use libcurl too).
CURLcode ensure_curl_global() {
  std::call_once(g_curl_init_once,
                 [] { g_curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return g_curl_init_result;
}

struct TransferState {
  HttpOutcome *outcome = nullptr;
  std::size_t max_body = 0;
};

std::size_t on_body(char *data, std::size_t size, std::size_t count, void *user) {
  auto *state = static_cast<TransferState *>(user);
  const std::size_t n = size * count;
  std::string &body = state->outcome->reply.body;
  if (body.size() + n > state->max_body) {
    state->outcome->body_too_large = true;
    return 0;  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
  }
  body.append(data, n);
  return n;
}

std::size_t on_header(char *data, std::size_t size, std::size_t count, void *user) {
  auto *state = static_cast<TransferState *>(user);
  const std::size_t n = size * count;
  const std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response starts (after a 100 Continue, say): forget the previous headers.
    state->outcome->reply.headers.clear();
  } else if (auto header = parse_header_line(line)) {
    // Bound the header count so a hostile server cannot grow memory without limit.
    if (state->outcome->reply.headers.size() < 256) {
      state->outcome->reply.headers.push_back(std::move(*header));
    }
  }
  return n;
}

}  // namespace

TransferError classify_curl(int code, bool body_too_large) {
  if (body_too_large) return TransferError::invalid_response;
  switch (static_cast<CURLcode>(code)) {
    case CURLE_OPERATION_TIMEDOUT:
      return TransferError::timeout;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:  // also a reset during the handshake
    case CURLE_AGAIN:
      return TransferError::network;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
      return TransferError::tls;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
      return TransferError::config;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_WRITE_ERROR:
    case CURLE_TOO_MANY_REDIRECTS:
      return TransferError::invalid_response;
    default:
      return TransferError::network;
  }
}

struct HttpTransport::Impl {
  CURLSH *share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_locks;
  std::mutex pool_mutex;
  std::vector<CURL *> idle;
  std::size_t max_idle = 16;

  ~Impl() {
    for (CURL *h : idle) curl_easy_cleanup(h);
    if (share) curl_share_cleanup(share);
  }

  static void lock(CURL *, curl_lock_data data, curl_lock_access, void *user) {
    auto *self = static_cast<Impl *>(user);
    self->share_locks[static_cast<std::size_t>(data) % self->share_locks.size()].lock();
  }
  static void unlock(CURL *, curl_lock_data data, void *user) {
    auto *self = static_cast<Impl *>(user);
    self->share_locks[static_cast<std::size_t>(data) % self->share_locks.size()].unlock();
  }

  CURL *acquire() {
    {
      std::lock_guard lock(pool_mutex);
      if (!idle.empty()) {
        CURL *h = idle.back();
        idle.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void release(CURL *h) {
    // Options (including the Authorization header list) are cleared; connections stay open.
    curl_easy_reset(h);
    std::lock_guard lock(pool_mutex);
    if (idle.size() < max_idle) {
      idle.push_back(h);
      return;
    }
    curl_easy_cleanup(h);
  }
};

HttpTransport::HttpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpTransport::~HttpTransport() = default;

Result<std::unique_ptr<HttpTransport>> HttpTransport::create(std::size_t max_idle_handles) {
  if (const CURLcode rc = ensure_curl_global(); rc != CURLE_OK) {
    return Error(Code::internal, std::string("curl_global_init failed: ") + curl_easy_strerror(rc));
  }
  auto impl = std::make_unique<Impl>();
  impl->max_idle = max_idle_handles;
  impl->share = curl_share_init();
  if (!impl->share) return Error(Code::no_memory, "curl_share_init failed");
  CURLSHcode rc = curl_share_setopt(impl->share, CURLSHOPT_USERDATA, impl.get());
  if (rc == CURLSHE_OK) rc = curl_share_setopt(impl->share, CURLSHOPT_LOCKFUNC, &Impl::lock);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(impl->share, CURLSHOPT_UNLOCKFUNC, &Impl::unlock);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(impl->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  if (rc == CURLSHE_OK) {
    rc = curl_share_setopt(impl->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  if (rc != CURLSHE_OK) {
    return Error(Code::internal,
                 std::string("curl_share_setopt failed: ") + curl_share_strerror(rc));
  }
  return std::unique_ptr<HttpTransport>(new HttpTransport(std::move(impl)));
}

// Redirects only when asked (a media fetch), at most `max`, and only to http/https.
static CURLcode set_redirects(CURL *h, int max) {
  CURLcode rc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, max > 0 ? 1L : 0L);
  if (max <= 0 || rc != CURLE_OK) return rc;
  rc = curl_easy_setopt(h, CURLOPT_MAXREDIRS, static_cast<long>(max));
#if LIBCURL_VERSION_NUM >= 0x075500
  if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  if (rc == CURLE_OK) {
    rc = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
                          static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  }
#endif
  return rc;
}

HttpOutcome HttpTransport::perform(const HttpRequest &request) {
  HttpOutcome outcome;
  CURL *h = impl_->acquire();
  if (!h) {
    outcome.curl_code = CURLE_OUT_OF_MEMORY;
    outcome.curl_message = "curl_easy_init failed";
    return outcome;
  }
  TransferState state{&outcome, request.max_body_bytes};
  std::array<char, CURL_ERROR_SIZE> errbuf{};
  curl_slist *headers = nullptr;
  std::string auth_header;
  bool setup_ok = true;
  const auto add_header = [&](const char *line) {
    curl_slist *next = curl_slist_append(headers, line);
    if (!next) {
      setup_ok = false;
      return;
    }
    headers = next;
  };
  add_header(("Accept: " + request.accept).c_str());  // curl_slist_append copies the line
  add_header("Expect:");                              // no 100-continue round trip
  const std::string type = "Content-Type: " + request.content_type;
  if (request.post && !request.body.empty()) add_header(type.c_str());
  if (!request.authorization.empty()) {
    auth_header = "Authorization: " + request.authorization;
    add_header(auth_header.c_str());
  }

  CURLcode rc = CURLE_OK;
  const auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, option, value);
  };
  set(CURLOPT_ERRORBUFFER, errbuf.data());
  set(CURLOPT_SHARE, impl_->share);
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
  set(CURLOPT_PROTOCOLS_STR, "http,https");
#else
  set(CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  if (rc == CURLE_OK) rc = set_redirects(h, request.max_redirects);
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  if (!request.ca_file.empty()) set(CURLOPT_CAINFO, request.ca_file.c_str());
  set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout_ms));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  if (request.fresh_connection) set(CURLOPT_FRESH_CONNECT, 1L);
  set(CURLOPT_ACCEPT_ENCODING, "");
  if (!request.user_agent.empty()) set(CURLOPT_USERAGENT, request.user_agent.c_str());
  set(CURLOPT_HTTPHEADER, headers);
  set(CURLOPT_WRITEFUNCTION, &on_body);
  set(CURLOPT_WRITEDATA, &state);
  set(CURLOPT_HEADERFUNCTION, &on_header);
  set(CURLOPT_HEADERDATA, &state);
  if (request.post) {
    set(CURLOPT_POST, 1L);
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    set(CURLOPT_POSTFIELDS, request.body.c_str());
  } else {
    set(CURLOPT_HTTPGET, 1L);
  }

  if (!setup_ok) {
    outcome.curl_code = CURLE_OUT_OF_MEMORY;
    outcome.curl_message = "out of memory building request headers";
  } else if (rc != CURLE_OK) {
    outcome.curl_code = rc;
    outcome.curl_message = std::string("setting up the transfer: ") + curl_easy_strerror(rc);
  } else {
    rc = curl_easy_perform(h);
    outcome.curl_code = rc;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    outcome.reply.status = static_cast<int>(status);
    long request_size = 0;
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_size);
    // CURLINFO_REQUEST_SIZE counts the request bytes written to the connection; 0 means the
    // request never left (no connection, or the connection failed first).
    outcome.request_sent = request_size > 0;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &outcome.new_connections);
    if (rc != CURLE_OK) {
      outcome.curl_message = curl_easy_strerror(rc);
      if (errbuf[0] != '\0') {
        outcome.curl_message += ": ";
        outcome.curl_message += errbuf.data();
        while (!outcome.curl_message.empty() && outcome.curl_message.back() == '\n') {
          outcome.curl_message.pop_back();
        }
      }
    }
  }
  impl_->release(h);
  curl_slist_free_all(headers);
  return outcome;
}

}  // namespace acid::net
