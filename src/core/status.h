// Errors as values. Every fallible internal function returns Status or Result<T>; the C ABI layer
// turns them into an int status plus the thread-local acid_error.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "acidentity/acidentity.h"

namespace acid {

// Mirrors acid_status; the numeric values are the ABI's.
enum class Code : int {
  ok = ACID_OK,
  invalid = ACID_EINVAL,
  no_memory = ACID_ENOMEM,
  not_found = ACID_ENOTFOUND,
  exists = ACID_EEXISTS,
  conflict = ACID_ECONFLICT,
  store = ACID_ESTORE,
  unavailable = ACID_EUNAVAILABLE,
  exhausted = ACID_EEXHAUSTED,
  config = ACID_ECONFIG,
  pds = ACID_EPDS,
  auth = ACID_EAUTH,
  rate_limited = ACID_ERATELIMIT,
  timeout = ACID_ETIMEOUT,
  version = ACID_EVERSION,
  internal = ACID_EINTERNAL,
  no_account = ACID_ENOACCOUNT,
  sealed = ACID_ESEALED,
};

const char *code_name(Code code) noexcept;

// A failure: what kind, a message safe to show anyone (never a secret), and a JSON object with
// machine-readable detail (e.g. {"http_status":400,"xrpc_error":"InvalidRequest"}).
struct Error {
  Code code = Code::internal;
  std::string message;
  std::string detail_json = "{}";

  Error() = default;
  Error(Code c, std::string msg, std::string detail = "{}")
      : code(c), message(std::move(msg)), detail_json(std::move(detail)) {}

  // Prefixes context ("opening store: ...") while keeping code and detail.
  Error &context(std::string_view what) {
    message.insert(0, std::string(what) + ": ");
    return *this;
  }
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  static Status ok() { return Status(); }

  bool is_ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return is_ok(); }
  Code code() const noexcept { return error_ ? error_->code : Code::ok; }
  const Error &error() const & {
    assert(error_);
    return *error_;
  }
  Error &&error() && {
    assert(error_);
    return std::move(*error_);
  }

 private:
  std::optional<Error> error_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit
  Result(Status status) : state_(std::in_place_index<1>, std::move(status).error()) {}  // NOLINT

  bool is_ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return is_ok(); }
  Code code() const noexcept { return is_ok() ? Code::ok : std::get<1>(state_).code; }

  T &value() & {
    assert(is_ok());
    return std::get<0>(state_);
  }
  const T &value() const & {
    assert(is_ok());
    return std::get<0>(state_);
  }
  T &&value() && {
    assert(is_ok());
    return std::get<0>(std::move(state_));
  }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

  const Error &error() const & {
    assert(!is_ok());
    return std::get<1>(state_);
  }
  Error &&error() && {
    assert(!is_ok());
    return std::get<1>(std::move(state_));
  }
  Status status() const { return is_ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> state_;
};

}  // namespace acid

// Propagates a failed Status/Result out of the enclosing function.
#define ACID_TRY(expr)                            \
  do {                                            \
    auto acid_try_result_ = (expr);               \
    if (!acid_try_result_.is_ok()) {              \
      return std::move(acid_try_result_).error(); \
    }                                             \
  } while (0)

// NOLINTBEGIN(bugprone-macro-parentheses): `lhs` may be a declaration ("auto x") and `tmp` a
// name, neither of which can be parenthesised.
#define ACID_CONCAT_INNER_(a, b) a##b
#define ACID_CONCAT_(a, b) ACID_CONCAT_INNER_(a, b)
#define ACID_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.is_ok()) return std::move(tmp).error();  \
  lhs = std::move(tmp).value()

// Evaluates a Result<T>; on failure returns its error from the enclosing function, otherwise
// moves the value into `lhs`, which may declare a variable:
//   ACID_ASSIGN_OR_RETURN(auto account, store.get_account(sub));
#define ACID_ASSIGN_OR_RETURN(lhs, expr) \
  ACID_ASSIGN_OR_RETURN_IMPL_(ACID_CONCAT_(acid_assign_result_, __COUNTER__), lhs, expr)
// NOLINTEND(bugprone-macro-parentheses)
