// The native side of an Identity: one acid_client, the calls in flight on it, and the JS
// callbacks (log, alert) the library may invoke from any thread.
//
// Lifetime rules (every member below is touched on the main JS thread only, except `client`,
// which worker threads read while their call is counted in `in_flight`):
//  - A call increments in_flight on the main thread before it is queued and decrements it on the
//    main thread when it settles, so in_flight > 0 means some worker may be using `client`.
//  - close() moves the phase to closing (new calls reject with ACID_ECLOSED) and queues the
//    destroy only when in_flight reaches 0: acid_client_destroy never races a call.
//  - Workers hold a std::shared_ptr<ClientState>, so the state outlives every call even when the
//    JS handle is garbage-collected first; an unclosed client is destroyed by ~ClientState when
//    the last holder (handle finaliser or worker, both on the main thread) lets go.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include <acidentity/acidentity.h>

namespace acidnode {

// A JS function the library calls from arbitrary threads, through a ThreadSafeFunction.
class JsCallback {
 public:
  // Creates the thread-safe function on the main thread. It is unref'd: an open client does not
  // keep the process alive by itself.
  JsCallback(Napi::Env env, const Napi::Function &fn, const char *name);
  JsCallback(const JsCallback &) = delete;
  JsCallback &operator=(const JsCallback &) = delete;
  ~JsCallback();

  // Called by the library, any thread: queues `text` for the JS function.
  void deliver(const char *text);
  // Lets the function go once the library can no longer call it (main thread, idempotent).
  void release();

 private:
  Napi::ThreadSafeFunction tsfn_;
  // Set by the function's finaliser, which Node also runs when the environment shuts down.
  std::shared_ptr<std::atomic<bool>> finalized_;
  bool released_ = false;
};

enum class Phase { opening, open, closing, closed };

struct ClientState {
  ClientState() = default;
  ClientState(const ClientState &) = delete;
  ClientState &operator=(const ClientState &) = delete;
  ~ClientState();

  acid_client *client = nullptr;
  Phase phase = Phase::opening;
  int in_flight = 0;
  std::unique_ptr<JsCallback> log;
  std::unique_ptr<JsCallback> alert;
  // The promise close() returned, settled once the client is destroyed.
  std::optional<Napi::Promise::Deferred> close_deferred;
};

using ClientPtr = std::shared_ptr<ClientState>;

}  // namespace acidnode
