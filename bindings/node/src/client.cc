#include "client.h"

namespace acidnode {

JsCallback::JsCallback(Napi::Env env, const Napi::Function &fn, const char *name)
    : finalized_(std::make_shared<std::atomic<bool>>(false)) {
  auto flag = finalized_;
  tsfn_ =
      Napi::ThreadSafeFunction::New(env, fn, name, 0, 1, [flag](Napi::Env) { flag->store(true); });
  tsfn_.Unref(env);
}

JsCallback::~JsCallback() {
  release();
}

void JsCallback::deliver(const char *text) {
  auto copy = std::make_unique<std::string>(text);
  auto call = [](Napi::Env env, Napi::Function fn, std::string *data) {
    std::unique_ptr<std::string> owned(data);
    // env is null when the function is being torn down with calls still queued: nothing to call.
    if (env != nullptr && fn != nullptr) fn.Call({Napi::String::New(env, *owned)});
  };
  // The queue is unbounded, so this fails only once the function is closing, which happens after
  // acid_client_destroy returned (no library thread calls us then) or while Node shuts down.
  if (tsfn_.NonBlockingCall(copy.get(), call) == napi_ok) copy.release();
}

void JsCallback::release() {
  if (released_) return;
  released_ = true;
  if (!finalized_->load()) tsfn_.Release();
}

ClientState::~ClientState() {
  // Reached without close() only when the JS handle was garbage-collected (or Node is shutting
  // down) and no call is in flight: the workers hold this state while they run.
  if (client != nullptr) acid_client_destroy(client);
  client = nullptr;
  if (log) log->release();
  if (alert) alert->release();
}

}  // namespace acidnode
