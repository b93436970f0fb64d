// extern "C" entry points: argument validation, then the C++ core, inside capi::guard.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "acidentity/acidentity.h"
#include "acidentity/version_generated.h"
#include "capi/guard.h"
#include "code/allocator.h"
#include "code/user_code.h"
#include "core/json.h"
#include "core/time.h"
#include "store/store.h"

static_assert(ACID_VERSION_MAJOR == ACID_BUILT_VERSION_MAJOR &&
                  ACID_VERSION_MINOR == ACID_BUILT_VERSION_MINOR &&
                  ACID_VERSION_PATCH == ACID_BUILT_VERSION_PATCH,
              "acidentity.h version macros disagree with project(VERSION) in CMakeLists.txt");

struct acid_client {
  std::unique_ptr<acid::store::Store> store;
  std::mutex allocator_mu;
  std::unique_ptr<acid::code::CodeAllocator> allocator;  // created on first allocation
};

namespace acid::capi {

namespace {

struct ThreadError {
  std::string message;
  std::string detail = "{}";
  acid_error view{ACID_OK, "", "{}"};
};

thread_local ThreadError t_error;

// Used when storing the real message failed for lack of memory.
constexpr const char *kOutOfMemory = "out of memory while recording an error";

Result<acid::code::CodeAllocator *> allocator_of(acid_client *client) {
  std::lock_guard lock(client->allocator_mu);
  if (!client->allocator) {
    auto created = acid::code::CodeAllocator::create(*client->store);
    if (!created) return std::move(created).error();
    client->allocator = std::move(*created);
  }
  return client->allocator.get();
}

Status write_code(const std::string &code, char *out) {
  if (code.size() != ACID_USER_CODE_LENGTH) {
    return Error(Code::internal, "a generated code has the wrong length");
  }
  std::memcpy(out, code.c_str(), ACID_USER_CODE_SIZE);
  return Status::ok();
}

}  // namespace

int set_error(const Error &error) noexcept {
  try {
    t_error.message = error.message;
    t_error.detail = error.detail_json.empty() ? "{}" : error.detail_json;
    t_error.view = {static_cast<int>(error.code), t_error.message.c_str(), t_error.detail.c_str()};
  } catch (const std::bad_alloc &) {
    t_error.view = {ACID_ENOMEM, kOutOfMemory, "{}"};
    return ACID_ENOMEM;
  }
  return static_cast<int>(error.code);
}

int set_error(Code code, const char *message) noexcept {
  try {
    return set_error(Error(code, message));
  } catch (const std::bad_alloc &) {
    t_error.view = {ACID_ENOMEM, kOutOfMemory, "{}"};
    return ACID_ENOMEM;
  }
}

Result<char *> dup_for_caller(const std::string &text) {
  char *out = static_cast<char *>(std::malloc(text.size() + 1));
  if (out == nullptr) return Error(Code::no_memory, "out of memory");
  std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

}  // namespace acid::capi

using acid::Code;
using acid::Error;
using acid::Status;
using acid::capi::guard;
using acid::capi::require;

extern "C" {

ACID_EXTERN const char *acid_version(int *major, int *minor, int *patch) {
  if (major != nullptr) *major = ACID_BUILT_VERSION_MAJOR;
  if (minor != nullptr) *minor = ACID_BUILT_VERSION_MINOR;
  if (patch != nullptr) *patch = ACID_BUILT_VERSION_PATCH;
  return ACID_BUILT_VERSION_STRING;
}

ACID_EXTERN const acid_error *acid_error_last(void) {
  return &acid::capi::t_error.view;
}

ACID_EXTERN void acid_error_clear(void) {
  acid::capi::t_error.message.clear();
  acid::capi::t_error.detail = "{}";
  acid::capi::t_error.view = {ACID_OK, "", "{}"};
}

ACID_EXTERN const char *acid_status_name(int status) {
  if (status > 0 || status < ACID_EINTERNAL) return "ACID_EUNKNOWN";
  return acid::code_name(static_cast<Code>(status));
}

ACID_EXTERN void acid_free(void *ptr) {
  std::free(ptr);
}

ACID_EXTERN int acid_client_options_init(acid_client_options *opts, unsigned int version) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(opts != nullptr, "acid_client_options_init: opts is NULL"));
    if (version == 0 || version > ACID_CLIENT_OPTIONS_VERSION) {
      return Error(Code::version, "acid_client_options_init: unknown options version " +
                                      std::to_string(version) + " (this library knows up to " +
                                      std::to_string(ACID_CLIENT_OPTIONS_VERSION) + ")");
    }
    *opts = acid_client_options ACID_CLIENT_OPTIONS_INIT;
    opts->version = version;
    return Status::ok();
  });
}

ACID_EXTERN int acid_client_create(acid_client **out, const acid_client_options *opts) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(out != nullptr, "acid_client_create: out is NULL"));
    *out = nullptr;
    acid_client_options defaults = ACID_CLIENT_OPTIONS_INIT;
    if (opts == nullptr) opts = &defaults;
    if (opts->version == 0 || opts->version > ACID_CLIENT_OPTIONS_VERSION) {
      return Error(Code::version,
                   "acid_client_create: unknown options version " + std::to_string(opts->version));
    }
    const std::string uri = opts->store_uri != nullptr ? std::string(opts->store_uri)
                                                       : acid::store::default_store_uri();
    auto store = acid::store::open_store(uri);
    if (!store) return std::move(store).error();
    auto client = std::make_unique<acid_client>();
    client->store = std::move(*store);
    *out = client.release();
    return Status::ok();
  });
}

ACID_EXTERN void acid_client_destroy(acid_client *client) {
  // Destruction runs SQLite's close and frees memory; neither throws.
  delete client;
}

ACID_EXTERN int acid_user_code_check(const char *code) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(code != nullptr, "acid_user_code_check: code is NULL"));
    return acid::code::validate(code);
  });
}

ACID_EXTERN int acid_user_code_parse(const char *text, size_t len, char out[ACID_USER_CODE_SIZE]) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(text != nullptr || len == 0, "acid_user_code_parse: text is NULL"));
    ACID_TRY(require(out != nullptr, "acid_user_code_parse: out is NULL"));
    out[0] = '\0';
    auto found = acid::code::parse(std::string_view(text == nullptr ? "" : text, len));
    if (!found) return Error(Code::not_found, "no user code in the text");
    return acid::capi::write_code(*found, out);
  });
}

ACID_EXTERN int acid_user_code_generate(int64_t signup_unix_ms, char out[ACID_USER_CODE_SIZE]) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(out != nullptr, "acid_user_code_generate: out is NULL"));
    out[0] = '\0';
    auto code = acid::code::generate_random(acid::utc_year(signup_unix_ms));
    if (!code) return std::move(code).error();
    return acid::capi::write_code(*code, out);
  });
}

ACID_EXTERN int acid_user_code_allocate(acid_client *client, int64_t signup_unix_ms,
                                        char out[ACID_USER_CODE_SIZE]) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr, "acid_user_code_allocate: client is NULL"));
    ACID_TRY(require(out != nullptr, "acid_user_code_allocate: out is NULL"));
    out[0] = '\0';
    auto allocator = acid::capi::allocator_of(client);
    if (!allocator) return std::move(allocator).error();
    auto claimed = (*allocator)->allocate(acid::utc_year(signup_unix_ms));
    if (!claimed) return std::move(claimed).error();
    return acid::capi::write_code(claimed->code, out);
  });
}

ACID_EXTERN int acid_user_code_stats(acid_client *client, int year, char **out_json) {
  return guard(__func__, [&]() -> Status {
    ACID_TRY(require(client != nullptr, "acid_user_code_stats: client is NULL"));
    ACID_TRY(require(out_json != nullptr, "acid_user_code_stats: out_json is NULL"));
    *out_json = nullptr;
    ACID_TRY(require(year < 100, "acid_user_code_stats: year must be a two-digit year (0-99)"));
    auto allocator = acid::capi::allocator_of(client);
    if (!allocator) return std::move(allocator).error();
    auto stats = (*allocator)->stats(year < 0 ? std::nullopt : std::optional<int>(year));
    if (!stats) return std::move(stats).error();
    rapidjson::StringBuffer buf;
    acid::json::Writer w(buf);
    w.StartObject();
    w.Key("years");
    w.StartArray();
    for (const auto &s : *stats) {
      w.StartObject();
      w.Key("year");
      w.Int(s.yy);
      w.Key("allocated");
      w.Uint64(s.allocated);
      w.Key("legacy");
      w.Uint64(s.legacy);
      w.Key("blocked");
      w.Uint64(s.blocked);
      w.Key("remaining");
      w.Uint64(s.remaining);
      w.Key("capacity");
      w.Uint64(acid::code::kCodesPerYear);
      w.Key("counter");
      w.Uint(s.counter);
      w.Key("skipped");
      w.Uint(s.skipped);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    auto copy = acid::capi::dup_for_caller(std::string(buf.GetString(), buf.GetSize()));
    if (!copy) return std::move(copy).error();
    *out_json = *copy;
    return Status::ok();
  });
}

}  // extern "C"
