// Classification of MongoDB failures, from hand-built bson_error_t values and server replies
// (the shapes libmongoc produces with error API version 2).
#include <gtest/gtest.h>
#include <mongoc/mongoc.h>

#include "store/mongo/mongo_errors.h"
#include "support/mongo_test_json.h"

namespace acid::store::mongo {
namespace {

using test::D;

bson_error_t error_of(std::uint32_t domain, std::uint32_t code, const char *message) {
  bson_error_t e;
  bson_set_error(&e, domain, code, "%s", message);
  return e;
}

const std::vector<std::string> kNoSecrets;

TEST(MongoDuplicateKey, CodeIndexUnderEitherName) {
  // The same unique code index, named by the old migration (code_1) or by ensureUserCodeIndex.
  for (const char *name : {"code_1", "code_unique"}) {
    const std::string msg = std::string(
                                "E11000 duplicate key error collection: aesthetic.users "
                                "index: ") +
                            name + " dup key: { code: \"ac25xadeh\" }";
    const DuplicateKey d = parse_duplicate_key("users", msg, nullptr);
    EXPECT_EQ(d.index, name);
    EXPECT_EQ(d.field, "code");
    EXPECT_EQ(d.role, IndexRole::code);
  }
}

TEST(MongoDuplicateKey, IdTellsAnExistingDocumentApart) {
  const DuplicateKey d = parse_duplicate_key(
      "users",
      "E11000 duplicate key error collection: db.users index: _id_ dup key: { _id: \"auth0|1\" }",
      nullptr);
  EXPECT_EQ(d.index, "_id_");
  EXPECT_EQ(d.role, IndexRole::id);
  // A duplicate log id (the processed-events record) is an _id collision on acid_events,
  // never confused with a code collision.
  const DuplicateKey log = parse_duplicate_key(
      "acid_events",
      "E11000 duplicate key error collection: db.acid_events index: _id_ dup key: { _id: \"l1\" }",
      nullptr);
  EXPECT_EQ(log.role, IndexRole::id);
}

TEST(MongoDuplicateKey, KeyPatternInTheReplyIsExact) {
  const Doc reply = D(R"({"ok":0,"code":11000,"codeName":"DuplicateKey",
                          "keyPattern":{"atproto.did":1},"keyValue":{"atproto.did":"did:plc:x"},
                          "errmsg":"E11000 duplicate key error collection: db.users index: my_did dup key: { atproto.did: \"did:plc:x\" }"})");
  const DuplicateKey d = parse_duplicate_key(
      "users",
      "E11000 duplicate key error collection: db.users index: my_did dup key: { atproto.did: "
      "\"did:plc:x\" }",
      reply.get());
  EXPECT_EQ(d.index, "my_did");  // an operator's own name
  EXPECT_EQ(d.field, "atproto.did");
  EXPECT_EQ(d.role, IndexRole::did);
  // Write errors of insert/update carry it under writeErrors.
  const Doc write_reply = D(R"({"insertedCount":0,"writeErrors":[{"index":0,"code":11000,
                                "keyPattern":{"sub":1,"kind":1},"keyValue":{"sub":"s","kind":"provision"},
                                "errmsg":"E11000 ..."}]})");
  const DuplicateKey job = parse_duplicate_key("acid_jobs", "E11000 ...", write_reply.get());
  EXPECT_EQ(job.field, "sub");
  EXPECT_EQ(job.role, IndexRole::open_job);
}

TEST(MongoDuplicateKey, OlderMessageFormats) {
  // MongoDB 3.x: "index: db.coll.$name" and an unnamed key.
  const DuplicateKey d = parse_duplicate_key(
      "users", "E11000 duplicate key error index: aesthetic.users.$code_1 dup key: { : \"x\" }",
      nullptr);
  EXPECT_EQ(d.index, "code_1");
  EXPECT_EQ(d.field, "");
  EXPECT_EQ(d.role, IndexRole::code);
  const DuplicateKey h = parse_duplicate_key(
      "@handles",
      "E11000 duplicate key error collection: db.@handles index: acid_handle_ci_unique dup key: { "
      "handle: \"0x2a\" }",
      nullptr);
  EXPECT_EQ(h.role, IndexRole::handle);
  const DuplicateKey unknown = parse_duplicate_key(
      "users",
      "E11000 duplicate key error collection: db.users index: email_1 dup key: { email: "
      "\"a@b\" }",
      nullptr);
  EXPECT_EQ(unknown.index, "email_1");
  EXPECT_EQ(unknown.role, IndexRole::other);
}

TEST(MongoClassify, DuplicateKeyIsAConflictNamingTheIndex) {
  const auto e = error_of(MONGOC_ERROR_SERVER, 11000,
                          "E11000 duplicate key error collection: db.users index: code_1 dup key: "
                          "{ code: \"ac25xadeh\" }");
  EXPECT_TRUE(is_duplicate_key(e));
  const Error err = classify_error(e, nullptr, "update on users", "users", kNoSecrets);
  EXPECT_EQ(err.code, Code::conflict);
  EXPECT_NE(err.message.find("code_1"), std::string::npos);
  EXPECT_NE(err.detail_json.find(R"("index":"code_1")"), std::string::npos);
  EXPECT_NE(err.detail_json.find(R"("role":"code")"), std::string::npos);
  EXPECT_NE(err.detail_json.find(R"("mongo_code":11000)"), std::string::npos);
  // A network failure with code 11000 is not a duplicate key.
  EXPECT_FALSE(is_duplicate_key(error_of(MONGOC_ERROR_STREAM, 11000, "x")));
}

TEST(MongoClassify, IndexConflictsAreConfiguration) {
  const Error options = classify_error(
      error_of(MONGOC_ERROR_SERVER, 85, "Index already exists with a different name: code_1"),
      nullptr, "createIndexes on users", "users", kNoSecrets);
  EXPECT_EQ(options.code, Code::config);
  EXPECT_NE(options.message.find("IndexOptionsConflict"), std::string::npos);
  EXPECT_NE(options.message.find("doctor"), std::string::npos);
  const Error keys = classify_error(error_of(MONGOC_ERROR_SERVER, 86,
                                             "Index with name: code_unique already exists with a "
                                             "different key"),
                                    nullptr, "createIndexes on users", "users", kNoSecrets);
  EXPECT_EQ(keys.code, Code::config);
  EXPECT_NE(keys.message.find("IndexKeySpecsConflict"), std::string::npos);
}

TEST(MongoClassify, RetryableLabelsAreUnavailable) {
  for (const char *label : {"RetryableWriteError", "TransientTransactionError"}) {
    const Doc reply = D(std::string(R"({"ok":0,"code":262,"errorLabels":[")") + label + "\"]}");
    // Code 2 (BadValue) would be a store error; the label decides.
    const Error e = classify_error(error_of(MONGOC_ERROR_SERVER, 2, "bad value"), reply.get(),
                                   "update on users", "users", kNoSecrets);
    EXPECT_EQ(e.code, Code::unavailable) << label;
    EXPECT_NE(e.detail_json.find(label), std::string::npos);
  }
  const Doc wce = D(R"({"writeConcernError":{"code":91,"errmsg":"shutting down",
                                             "errorLabels":["RetryableWriteError"]}})");
  EXPECT_EQ(error_labels(wce.get()), std::vector<std::string>{"RetryableWriteError"});
}

TEST(MongoClassify, NetworkAndTopologyFailuresAreUnavailable) {
  EXPECT_EQ(classify_error(error_of(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET,
                                    "Failed to read 4 bytes: socket error or timeout"),
                           nullptr, "find on users", "users", kNoSecrets)
                .code,
            Code::unavailable);
  EXPECT_EQ(classify_error(error_of(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_CONNECT,
                                    "Failed to connect to target host: 127.0.0.1:1"),
                           nullptr, "find on users", "users", kNoSecrets)
                .code,
            Code::unavailable);
  EXPECT_EQ(
      classify_error(error_of(MONGOC_ERROR_SERVER_SELECTION, MONGOC_ERROR_SERVER_SELECTION_FAILURE,
                              "No suitable servers found"),
                     nullptr, "find on users", "users", kNoSecrets)
          .code,
      Code::unavailable);
  for (std::uint32_t code : {10107u, 13435u, 11602u, 189u, 91u}) {
    EXPECT_EQ(classify_error(error_of(MONGOC_ERROR_SERVER, code, "not primary"), nullptr,
                             "update on users", "users", kNoSecrets)
                  .code,
              Code::unavailable)
        << code;
  }
}

TEST(MongoClassify, AuthenticationAndPrivileges) {
  EXPECT_EQ(classify_error(error_of(MONGOC_ERROR_CLIENT, MONGOC_ERROR_CLIENT_AUTHENTICATE,
                                    "Authentication failed."),
                           nullptr, "find on users", "users", kNoSecrets)
                .code,
            Code::auth);
  EXPECT_EQ(classify_error(error_of(MONGOC_ERROR_SERVER, 18, "Authentication failed."), nullptr,
                           "find on users", "users", kNoSecrets)
                .code,
            Code::auth);
  const Error priv =
      classify_error(error_of(MONGOC_ERROR_SERVER, 13, "not authorized on aesthetic to execute"),
                     nullptr, "createIndexes on users", "users", kNoSecrets);
  EXPECT_EQ(priv.code, Code::config);
  EXPECT_NE(priv.message.find("readWrite"), std::string::npos);
}

TEST(MongoClassify, TimeoutsAndOtherFailures) {
  EXPECT_EQ(classify_error(error_of(MONGOC_ERROR_WRITE_CONCERN, 64,
                                    "waiting for replication "
                                    "timed out"),
                           nullptr, "update on users", "users", kNoSecrets)
                .code,
            Code::timeout);
  EXPECT_EQ(classify_error(error_of(MONGOC_ERROR_SERVER, 50, "operation exceeded time limit"),
                           nullptr, "find on users", "users", kNoSecrets)
                .code,
            Code::timeout);
  EXPECT_EQ(classify_error(error_of(MONGOC_ERROR_WRITE_CONCERN, 100,
                                    "Not enough data-bearing "
                                    "nodes"),
                           nullptr, "update on users", "users", kNoSecrets)
                .code,
            Code::config);
  EXPECT_EQ(classify_error(error_of(MONGOC_ERROR_COMMAND, MONGOC_ERROR_COMMAND_INVALID_ARG,
                                    "invalid document for insert: corrupt BSON"),
                           nullptr, "insert on users", "users", kNoSecrets)
                .code,
            Code::invalid);
  const Error other = classify_error(error_of(MONGOC_ERROR_SERVER, 2, "BadValue: unknown op"),
                                     nullptr, "update on users", "users", kNoSecrets);
  EXPECT_EQ(other.code, Code::store);
  EXPECT_NE(other.message.find("update on users"), std::string::npos);
  EXPECT_NE(other.detail_json.find(R"("mongo_code":2)"), std::string::npos);
}

TEST(MongoClassify, MessagesNeverCarryThePassword) {
  const std::vector<std::string> secrets = {"s3cr%2Ft", "s3cr/t"};
  const Error e = classify_error(
      error_of(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_CONNECT,
               "Failed to connect using mongodb://admin:s3cr%2Ft@db.example:27017/x (s3cr/t)"),
      nullptr, "find on users", "users", secrets);
  EXPECT_EQ(e.message.find("s3cr"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("[redacted]"), std::string::npos);
  // A URI's credentials are hidden even when the password is not known.
  EXPECT_EQ(redact_text("uri mongodb://u:other@h/db and more", {}),
            "uri mongodb://u:[redacted]@h/db and more");
  EXPECT_EQ(redact_text("mongodb+srv://u:a/b@c@cluster.example/x?w=1 'https://tok@h'", {}),
            "mongodb+srv://u:[redacted]@cluster.example/x?w=1 'https://[redacted]@h'");
  EXPECT_EQ(redact_text("mongodb://h1,h2/db", {}), "mongodb://h1,h2/db");
  EXPECT_EQ(redact_text("pw is hunter2, again hunter2", {"hunter2"}),
            "pw is [redacted], again [redacted]");
}

}  // namespace
}  // namespace acid::store::mongo
