// The C ABI for HTTP servers in front of the library: the one body limit, the authorization
// check before the body, the shared log path with its one redaction pass, the listen address.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "acidentity/acidentity.h"
#include "support/temp_dir.h"

namespace {

using acid::testing::TempDir;

constexpr const char *kToken = "webhook-token-5f1e2d";
constexpr const char *kHandleToken = "handle-token-a7c3";

struct Logged {
  std::vector<std::string> lines;
  std::vector<std::string> alerts;
};

struct Client {
  acid_client *ptr = nullptr;
  Logged logged;
  explicit Client(const std::string &uri, int use_environment = 0) {
    acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
    opts.store_uri = uri.c_str();
    opts.use_environment = use_environment;
    opts.auth0_log_token = kToken;
    opts.handle_changed_token = kHandleToken;
    opts.log = [](const char *line, void *ud) {
      static_cast<Logged *>(ud)->lines.emplace_back(line);
    };
    opts.log_user_data = &logged;
    EXPECT_EQ(acid_client_create(&ptr, &opts), ACID_OK) << acid_error_last()->message;
  }
  ~Client() { acid_client_destroy(ptr); }
};

struct Text {
  char *ptr = nullptr;
  ~Text() { acid_free(ptr); }
  std::string str() const { return ptr ? ptr : ""; }
};

TEST(CApiDaemon, OneBodyLimitOfOneMebibyte) {
  EXPECT_EQ(acid_webhook_max_body_bytes(), std::size_t{1} << 20);
}

TEST(CApiDaemon, AuthorizeRefusesBeforeTheBodyAndCountsLikeTheHandler) {
  TempDir dir;
  Client c("sqlite:" + (dir.path() / "a.db").string());
  int status = -1;
  Text reply;
  ASSERT_EQ(acid_request_authorize(c.ptr, "auth0-events/aesthetic", kToken, &status, &reply.ptr),
            ACID_OK);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(reply.ptr, nullptr);
  const std::string bearer = std::string("Bearer ") + kToken;
  ASSERT_EQ(
      acid_request_authorize(c.ptr, "auth0-events/aesthetic", bearer.c_str(), &status, &reply.ptr),
      ACID_OK);
  EXPECT_EQ(status, 0);

  Text wrong;
  ASSERT_EQ(acid_request_authorize(c.ptr, "auth0-events/aesthetic", "nope", &status, &wrong.ptr),
            ACID_OK);
  EXPECT_EQ(status, 403);
  EXPECT_NE(wrong.str().find("invalid authorization"), std::string::npos);
  Text missing;
  ASSERT_EQ(acid_request_authorize(c.ptr, "auth0-events/aesthetic", nullptr, &status, &missing.ptr),
            ACID_OK);
  EXPECT_EQ(status, 401);
  Text sotce;  // no sotce token configured: fail closed
  ASSERT_EQ(acid_request_authorize(c.ptr, "auth0-events/sotce", kToken, &status, &sotce.ptr),
            ACID_OK);
  EXPECT_EQ(status, 503);
  Text handle_ok, handle_wrong;
  ASSERT_EQ(acid_request_authorize(c.ptr, "handle-changed", kHandleToken, &status, &handle_ok.ptr),
            ACID_OK);
  EXPECT_EQ(status, 0);
  ASSERT_EQ(acid_request_authorize(c.ptr, "handle-changed", kToken, &status, &handle_wrong.ptr),
            ACID_OK);
  EXPECT_EQ(status, 403);
  Text none;
  EXPECT_EQ(acid_request_authorize(c.ptr, "elsewhere", kToken, &status, &none.ptr), ACID_EINVAL);

  Text metrics;
  ASSERT_EQ(acid_metrics(c.ptr, &metrics.ptr), ACID_OK);
  EXPECT_NE(metrics.str().find(R"(acid_webhook_requests_total{status="403",tenant="aesthetic"} 1)"),
            std::string::npos)
      << metrics.str();
}

TEST(CApiDaemon, LogWriteRedactsEverySecretAndKeepsJson) {
  TempDir dir;
  Client c("sqlite:" + (dir.path() / "l.db").string());
  ASSERT_EQ(acid_log_write(c.ptr, (std::string(R"({"event":"x","path":"/a/)") + kToken +
                                   R"(","uri":"mongodb://u:pw-9@h/db"})")
                                      .c_str()),
            ACID_OK);
  ASSERT_FALSE(c.logged.lines.empty());
  const std::string line = c.logged.lines.back();
  EXPECT_EQ(line.find(kToken), std::string::npos) << line;
  EXPECT_EQ(line.find("pw-9"), std::string::npos) << line;
  EXPECT_NE(line.find("[redacted]"), std::string::npos) << line;
  EXPECT_EQ(line.front(), '{');

  EXPECT_EQ(acid_log_write(c.ptr, "not json"), ACID_EINVAL);
  EXPECT_EQ(acid_log_write(c.ptr, "[1]"), ACID_EINVAL);
  EXPECT_EQ(acid_log_write(c.ptr, nullptr), ACID_EINVAL);
}

TEST(CApiDaemon, ARedactionThatWouldBreakTheJsonHidesTheLine) {
  TempDir dir;
  const std::string uri = "sqlite:" + (dir.path() / "b.db").string();
  acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
  opts.store_uri = uri.c_str();
  opts.use_environment = 0;
  opts.auth0_log_token = "\":\"";  // a token that is JSON syntax
  Logged logged;
  opts.log = [](const char *line, void *ud) {
    static_cast<Logged *>(ud)->lines.emplace_back(line);
  };
  opts.log_user_data = &logged;
  acid_client *client = nullptr;
  ASSERT_EQ(acid_client_create(&client, &opts), ACID_OK) << acid_error_last()->message;
  ASSERT_EQ(acid_log_write(client, R"({"event":"x"})"), ACID_OK);
  acid_client_destroy(client);
  ASSERT_FALSE(logged.lines.empty());
  EXPECT_EQ(logged.lines.back().find("\":\""), std::string::npos);
  EXPECT_NE(logged.lines.back().find("log.unprintable"), std::string::npos) << logged.lines.back();
}

TEST(CApiDaemon, ListenAddressFromTheEnvironment) {
  TempDir dir;
  const std::string uri = "sqlite:" + (dir.path() / "e.db").string();
  {
    Client c(uri);
    Text listen;
    ASSERT_EQ(acid_daemon_listen(c.ptr, &listen.ptr), ACID_OK);
    EXPECT_EQ(listen.str(), "127.0.0.1:8787");
  }
  ::setenv("ACID_DAEMON_LISTEN", "[::1]:9123", 1);
  {
    Client c(uri, 1);
    Text listen;
    ASSERT_EQ(acid_daemon_listen(c.ptr, &listen.ptr), ACID_OK);
    EXPECT_EQ(listen.str(), "[::1]:9123");
  }
  ::unsetenv("ACID_DAEMON_LISTEN");
}

}  // namespace
