// The C ABI boundary: the thread-local last error and the guard every exported function runs
// its body in, so no C++ exception ever crosses into C and every failure becomes a status.
#pragma once

#include <exception>
#include <new>
#include <string>
#include <type_traits>

#include "core/status.h"

namespace acid::capi {

// Records `error` as the calling thread's last error and returns its status code. Never throws:
// if even the message cannot be stored, the error becomes ACID_ENOMEM with a fixed message.
int set_error(const Error &error) noexcept;
int set_error(Code code, const char *message) noexcept;

// Runs `body` (returning Status) and maps the outcome, including any exception, to a status.
template <typename Body>
int guard(const char *function, Body &&body) noexcept {
  try {
    Status st = body();
    if (st) return ACID_OK;
    return set_error(st.error());
  } catch (const std::bad_alloc &) {
    return set_error(Code::no_memory, "out of memory");
  } catch (const std::exception &e) {
    try {
      return set_error(
          Error(Code::internal, std::string(function) + ": unexpected exception: " + e.what()));
    } catch (const std::bad_alloc &) {
      return set_error(Code::no_memory, "out of memory");
    }
  } catch (...) {
    return set_error(Code::internal, "unexpected non-standard exception inside libacidentity");
  }
}

// Argument checks shared by the exported functions.
inline Status require(bool ok, const char *what) {
  if (!ok) return Error(Code::invalid, what);
  return Status::ok();
}

// A malloc'd NUL-terminated copy for `char **` out-parameters (released with acid_free).
Result<char *> dup_for_caller(const std::string &text);
// Stores that copy in *out: how every exported function hands a string to its caller.
Status hand_out(const std::string &text, char **out);
// An HTTP answer for the caller: the body in *response_json (as hand_out), then the status.
Status hand_out_http(int status, const std::string &body, int *http_status, char **response_json);

// The shape of an exported function that answers with one string: the argument check (`given`,
// else Code::invalid with `missing`, *out untouched), then *out cleared, then `body` (returning
// Result<std::string>, may check more), whose text is handed out in *out. `given` must include
// out != nullptr.
template <typename Body>
int answer(const char *function, bool given, const char *missing, char **out,
           Body &&body) noexcept {
  return guard(function, [&]() -> Status {
    ACID_TRY(require(given, missing));
    *out = nullptr;
    ACID_ASSIGN_OR_RETURN(const std::string text, body());
    return hand_out(text, out);
  });
}

}  // namespace acid::capi
