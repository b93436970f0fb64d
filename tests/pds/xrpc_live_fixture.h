// The fixture of the tests that run against the local PDS (scripts/pds, via the ctest fixture).
// A missing PDS environment fails the test with a message saying how to start one.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "pds/xrpc_client.h"
#include "support/local_pds.h"

namespace acid::pds::test {

struct TestAccount {
  Session session;
  std::string handle;
  std::string email;
  std::string password;
};

class LiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = load_pds_env();
    ASSERT_TRUE(env) << env.error().message;
    env_ = *env;
    client_ = make_client(env_.url);
    ASSERT_TRUE(client_);
  }

  // A client for `url` with the admin password and short retry waits.
  std::unique_ptr<XrpcClient> make_client(const std::string &url,
                                          std::optional<RetryClock> clock = std::nullopt,
                                          RetryPolicy policy = fast_policy()) {
    ClientOptions o;
    o.base_url = url;
    o.admin_password = env_.admin_password;
    o.retry = policy;
    o.clock = std::move(clock);
    auto c = XrpcClient::create(o);
    EXPECT_TRUE(c) << c.error().message;
    return c ? std::move(*c) : nullptr;
  }

  static RetryPolicy fast_policy() {
    RetryPolicy p;
    p.max_attempts = 4;
    p.initial_backoff_ms = 20;
    p.max_backoff_ms = 100;
    p.total_deadline_ms = 20'000;
    return p;
  }

  std::string handle_for(const std::string &label) const {
    return label + "." + env_.handle_domain;
  }

  std::string invite(int uses = 1) {
    auto code = client_->create_invite_code(uses);
    EXPECT_TRUE(code) << code.error().message;
    return code ? *code : std::string();
  }

  // A new account with a unique handle and email.
  TestAccount new_account(XrpcClient *through = nullptr) {
    TestAccount a;
    const std::string label = unique_label();
    a.handle = handle_for(label);
    a.email = label + "@example.com";
    a.password = "pw-" + unique_label(16);
    auto s = (through ? through : client_.get())
                 ->create_account({a.handle, a.email, a.password, invite()});
    EXPECT_TRUE(s) << s.error().message;
    if (s) a.session = *s;
    return a;
  }

  PdsEnv env_;
  std::unique_ptr<XrpcClient> client_;
};

// Asserts an error's kind, code, HTTP status and XRPC error name.
inline void expect_pds_error(const Error &e, ErrorKind kind, Code code, int http_status = -1,
                             const std::string &xrpc_error = "") {
  const ErrorInfo info = inspect(e);
  EXPECT_EQ(info.kind, kind) << "got " << kind_name(info.kind) << ": " << e.message << " "
                             << e.detail_json;
  EXPECT_EQ(e.code, code) << code_name(e.code) << ": " << e.message;
  if (http_status >= 0) {
    EXPECT_EQ(info.http_status, http_status) << e.message;
  }
  if (!xrpc_error.empty()) {
    EXPECT_EQ(info.xrpc_error, xrpc_error) << e.message;
  }
}

}  // namespace acid::pds::test
