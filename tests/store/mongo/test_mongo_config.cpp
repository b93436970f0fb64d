// Opening the MongoDB store: database resolution, credential scrubbing, and what happens when
// the server cannot be reached (a closed port on 127.0.0.1; no server is needed or faked).
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cstdlib>

#include <map>

#include "store/mongo/mongo_store.h"
#include "support/mongo_test_backend.h"

namespace acid::store {
namespace {

MongoEnv env_of(std::map<std::string, std::string, std::less<>> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// A port on 127.0.0.1 that nothing listens on (bound, then released).
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(MongoConfig, DatabaseNames) {
  EXPECT_TRUE(valid_mongo_database_name("aesthetic"));
  EXPECT_TRUE(valid_mongo_database_name("acid_test-1"));
  EXPECT_FALSE(valid_mongo_database_name(""));
  EXPECT_FALSE(valid_mongo_database_name(std::string(64, 'a')));
  for (const char *bad :
       {"a.b", "a/b", "a b", "a$b", "a\"b", "a\\b", "a*b", "a<b", "a:b", "a|b", "a?b"}) {
    EXPECT_FALSE(valid_mongo_database_name(bad)) << bad;
  }
  EXPECT_FALSE(valid_mongo_database_name(std::string_view("a\0b", 3)));
}

TEST(MongoConfig, TheUriPathWinsThenAcidMongodbDbThenMongodbName) {
  const auto both = env_of({{"ACID_MONGODB_DB", "acid"}, {"MONGODB_NAME", "deployed"}});
  EXPECT_EQ(*resolve_mongo_database("fromuri", both), "fromuri");
  EXPECT_EQ(*resolve_mongo_database("", both), "acid");
  EXPECT_EQ(*resolve_mongo_database("", env_of({{"MONGODB_NAME", "deployed"}})), "deployed");
  // Empty counts as unset.
  EXPECT_EQ(*resolve_mongo_database("", env_of({{"ACID_MONGODB_DB", ""}, {"MONGODB_NAME", "d"}})),
            "d");
  auto none = resolve_mongo_database("", env_of({}));
  ASSERT_FALSE(none.is_ok());
  EXPECT_EQ(none.code(), Code::config);
  EXPECT_NE(none.error().message.find("ACID_MONGODB_DB"), std::string::npos);
  EXPECT_NE(none.error().message.find("MONGODB_NAME"), std::string::npos);
  auto bad = resolve_mongo_database("", env_of({{"MONGODB_NAME", "a.b"}}));
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.code(), Code::config);
  EXPECT_NE(bad.error().detail_json.find("MONGODB_NAME"), std::string::npos);
  EXPECT_EQ(resolve_mongo_database("bad db", env_of({})).code(), Code::config);
}

TEST(MongoConfig, UriSecrets) {
  EXPECT_EQ(mongo_uri_secrets("mongodb://user:p%40ss@db.example/aesthetic"),
            (std::vector<std::string>{"p%40ss", "p@ss"}));
  EXPECT_EQ(mongo_uri_secrets("mongodb+srv://user:plain@cluster0.example.net/?retryWrites=true"),
            (std::vector<std::string>{"plain"}));
  EXPECT_TRUE(mongo_uri_secrets("mongodb://127.0.0.1/x").empty());
  EXPECT_TRUE(mongo_uri_secrets("mongodb://user@127.0.0.1/x").empty());
  // An unescaped '/' or '@' in the password: everything up to the last '@' is secret.
  EXPECT_EQ(mongo_uri_secrets("mongodb://u:a/b@c@h/db"), (std::vector<std::string>{"a/b@c"}));
}

TEST(MongoConfig, WithoutADatabaseNothingIsContacted) {
  auto opened = open_mongo_store("mongodb://127.0.0.1:1/", MongoOptions{env_of({})});
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.code(), Code::config);
  EXPECT_NE(opened.error().message.find("names no database"), std::string::npos);
}

// The store never reads the process environment behind its caller's back: a database name
// there is not used unless the caller (Config) put it into the URI or the options.
TEST(MongoConfig, TheProcessEnvironmentIsNotRead) {
  ASSERT_EQ(::setenv("MONGODB_NAME", "fromtheprocess", 1), 0);
  ASSERT_EQ(::setenv("ACID_MONGODB_DB", "fromtheprocess", 1), 0);
  auto opened = open_mongo_store("mongodb://127.0.0.1:1/", MongoOptions{});
  auto via_port = open_store("mongodb://127.0.0.1:1/");
  ::unsetenv("MONGODB_NAME");
  ::unsetenv("ACID_MONGODB_DB");
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.code(), Code::config);
  EXPECT_NE(opened.error().message.find("names no database"), std::string::npos);
  ASSERT_FALSE(via_port.is_ok());
  EXPECT_NE(via_port.error().message.find("names no database"), std::string::npos);
}

TEST(MongoConfig, InvalidUrisAreConfigurationErrorsWithoutThePassword) {
  for (const char *uri : {"mongodb://admin:hunter2pw@/aesthetic",
                          "mongodb://admin:hunter2pw@127.0.0.1:99999999/aesthetic",
                          "mongodb://admin:hunter2pw@127.0.0.1/aesthetic?tls=maybe"}) {
    auto opened = open_store(uri);
    ASSERT_FALSE(opened.is_ok()) << uri;
    EXPECT_EQ(opened.code(), Code::config) << uri << ": " << opened.error().message;
    EXPECT_EQ(opened.error().message.find("hunter2pw"), std::string::npos)
        << opened.error().message;
  }
}

TEST(MongoConfig, AnUnreachableServerIsUnavailableAndThePasswordStaysHidden) {
  const std::string uri = "mongodb://admin:hunter2pw@127.0.0.1:" + std::to_string(closed_port()) +
                          "/acid_unreachable?serverSelectionTimeoutMS=300&connectTimeoutMS=300";
  auto opened = open_store(uri);  // through the port's dispatcher
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.code(), Code::unavailable) << opened.error().message;
  EXPECT_EQ(opened.error().message.find("hunter2pw"), std::string::npos) << opened.error().message;
  EXPECT_EQ(opened.error().detail_json.find("hunter2pw"), std::string::npos);

  // An appName in the URI is kept (libmongoc refuses a second one).
  auto named = open_store("mongodb://127.0.0.1:" + std::to_string(closed_port()) +
                          "/acid_unreachable?appname=mine&serverSelectionTimeoutMS=200");
  ASSERT_FALSE(named.is_ok());
  EXPECT_EQ(named.code(), Code::unavailable) << named.error().message;

  auto doctor = mongo_doctor(uri, false);
  ASSERT_FALSE(doctor.is_ok());
  EXPECT_EQ(doctor.code(), Code::unavailable) << doctor.error().message;
  EXPECT_EQ(doctor.error().message.find("hunter2pw"), std::string::npos);
}

TEST(MongoTestBackend, FreshDatabasesReplaceTheUriPath) {
  using testing::with_database;
  EXPECT_EQ(with_database("mongodb://127.0.0.1:27017", "t1"), "mongodb://127.0.0.1:27017/t1");
  EXPECT_EQ(with_database("mongodb://127.0.0.1:27017/", "t1"), "mongodb://127.0.0.1:27017/t1");
  EXPECT_EQ(with_database("mongodb://u:p/w@h1,h2/old?replicaSet=rs0", "t2"),
            "mongodb://u:p/w@h1,h2/t2?replicaSet=rs0");
  EXPECT_EQ(with_database("mongodb://h/?authSource=admin", "t3"),
            "mongodb://h/t3?authSource=admin");
}

}  // namespace
}  // namespace acid::store
