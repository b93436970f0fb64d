// Typed response parsers (strict: a missing or mistyped field is an error value), record JSON
// checks, URL rules and the client's local refusals (nothing is sent).
#include <gtest/gtest.h>

#include <string>

#include "core/json.h"
#include "pds/session.h"
#include "pds/xrpc_client.h"
#include "pds/xrpc_parse.h"
#include "support/local_pds.h"

namespace acid::pds {
namespace {

void expect_invalid_response(const Error &e, std::string_view what) {
  EXPECT_EQ(e.code, Code::pds) << e.message;
  EXPECT_EQ(kind_of(e), ErrorKind::invalid_response) << e.detail_json;
  EXPECT_NE(e.message.find(what), std::string::npos) << e.message;
}

TEST(XrpcParseTest, Session) {
  auto s = parse_session("m", R"({"did":"did:plc:abc","handle":"a.test","accessJwt":"A",
      "refreshJwt":"R","email":"a@x.org","emailConfirmed":false,"active":true,
      "didDoc":{"id":"did:plc:abc"}})");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->did, "did:plc:abc");
  EXPECT_EQ(s->handle, "a.test");
  EXPECT_EQ(s->access_jwt, "A");
  EXPECT_EQ(s->refresh_jwt, "R");
  EXPECT_EQ(s->email, "a@x.org");
  EXPECT_EQ(s->email_confirmed, false);
  EXPECT_EQ(s->active, true);
  EXPECT_FALSE(s->status);

  expect_invalid_response(
      parse_session("m", R"({"did":"did:plc:abc","handle":"a.test","refreshJwt":"R"})").error(),
      "accessJwt");
  expect_invalid_response(
      parse_session("m", R"({"did":"did:plc:abc","handle":"a","accessJwt":5,"refreshJwt":"R"})")
          .error(),
      "accessJwt");
  expect_invalid_response(
      parse_session("m", R"({"did":"plc:abc","handle":"a","accessJwt":"A","refreshJwt":"R"})")
          .error(),
      "not a DID");
  expect_invalid_response(
      parse_session("m", R"({"did":"did:x","handle":"a","accessJwt":"","refreshJwt":"R"})").error(),
      "accessJwt");
  expect_invalid_response(
      parse_session("m",
                    R"({"did":"did:x","handle":"a","accessJwt":"A","refreshJwt":"R","active":"y"})")
          .error(),
      "active");
  expect_invalid_response(parse_session("m", "").error(), "not JSON");
  expect_invalid_response(parse_session("m", "[]").error(), "not a JSON object");
  expect_invalid_response(parse_session("m", "{\"did\":\"did:x\"} trailing").error(), "not JSON");
  // Optional fields may be null.
  EXPECT_TRUE(parse_session(
      "m", R"({"did":"did:x","handle":"a","accessJwt":"A","refreshJwt":"R","email":null})"));
}

TEST(XrpcParseTest, ServerDescription) {
  auto d = parse_server_description(
      R"({"did":"did:web:localhost","availableUserDomains":[".at.aesthetic.test"],
          "inviteCodeRequired":true,"links":{},"contact":{}})");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->did, "did:web:localhost");
  EXPECT_EQ(d->available_user_domains, std::vector<std::string>{".at.aesthetic.test"});
  EXPECT_TRUE(d->invite_code_required);
  EXPECT_FALSE(d->phone_verification_required);
  auto d2 = parse_server_description(R"({"did":"did:web:x","availableUserDomains":[]})");
  ASSERT_TRUE(d2);
  EXPECT_FALSE(d2->invite_code_required);
  expect_invalid_response(
      parse_server_description(R"({"did":"did:web:x","availableUserDomains":[1]})").error(),
      "availableUserDomains");
  expect_invalid_response(parse_server_description(R"({"did":"did:web:x"})").error(),
                          "availableUserDomains");
  expect_invalid_response(
      parse_server_description(
          R"({"did":"did:web:x","availableUserDomains":[],"inviteCodeRequired":"yes"})")
          .error(),
      "inviteCodeRequired");
}

TEST(XrpcParseTest, Records) {
  auto ref = parse_record_ref("m", R"({"uri":"at://did:plc:a/c.o/r","cid":"bafy",
      "commit":{"cid":"bafc","rev":"3k"},"validationStatus":"unknown"})");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->uri, "at://did:plc:a/c.o/r");
  ASSERT_TRUE(ref->commit);
  EXPECT_EQ(ref->commit->rev, "3k");
  EXPECT_EQ(ref->validation_status, "unknown");
  expect_invalid_response(
      parse_record_ref("m", R"({"uri":"at://x","cid":"b","commit":{"cid":1}})").error(), "commit");
  expect_invalid_response(parse_record_ref("m", R"({"uri":"http://x","cid":"b"})").error(),
                          "at:// URI");

  auto rec = parse_record(R"({"uri":"at://did:plc:a/c.o/r","cid":"bafy",
      "value":{"$type":"c.o","n":1,"s":"x"}})");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->value_json, R"({"$type":"c.o","n":1,"s":"x"})");
  expect_invalid_response(parse_record(R"({"uri":"at://x","value":"text"})").error(), "value");

  auto page = parse_record_page(R"({"cursor":"r2","records":[
      {"uri":"at://did:plc:a/c.o/r3","cid":"b3","value":{"a":1}},
      {"uri":"at://did:plc:a/c.o/r2","cid":"b2","value":{"a":2}}]})");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_EQ(page->cursor, "r2");
  EXPECT_EQ(page->records[1].value_json, R"({"a":2})");
  auto last = parse_record_page(R"({"records":[]})");
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->cursor);
  expect_invalid_response(
      parse_record_page(R"({"records":[{"uri":"at://x","cid":"b","value":{}},{"uri":"at://y"}]})")
          .error(),
      "records[1].cid");
  expect_invalid_response(parse_record_page(R"({"cursor":"x"})").error(), "records");
}

TEST(XrpcParseTest, ApplyWrites) {
  auto r = parse_apply_writes(R"({"commit":{"cid":"c","rev":"r"},"results":[
      {"$type":"com.atproto.repo.applyWrites#createResult","uri":"at://d/c/1","cid":"x",
       "validationStatus":"unknown"},
      {"$type":"com.atproto.repo.applyWrites#updateResult","uri":"at://d/c/2","cid":"y"},
      {"$type":"com.atproto.repo.applyWrites#deleteResult"}]})");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->results.size(), 3u);
  EXPECT_EQ(r->results[0].op, WriteOp::create);
  EXPECT_EQ(r->results[1].op, WriteOp::update);
  EXPECT_EQ(r->results[2].op, WriteOp::remove);
  EXPECT_EQ(r->results[1].uri, "at://d/c/2");
  EXPECT_TRUE(parse_apply_writes("{}"));  // an empty batch may come back bare
  expect_invalid_response(parse_apply_writes(R"({"results":[{"$type":"other"}]})").error(),
                          "unknown result");
  expect_invalid_response(parse_apply_writes(R"({"results":{}})").error(), "results");
}

TEST(XrpcParseTest, ReposAndAccounts) {
  auto repos = parse_repo_page(R"({"cursor":"c","repos":[
      {"did":"did:plc:a","head":"h","rev":"r","active":true},
      {"did":"did:plc:b","head":"h","rev":"r","active":false,"status":"deactivated"}]})");
  ASSERT_TRUE(repos);
  ASSERT_EQ(repos->repos.size(), 2u);
  EXPECT_EQ(repos->repos[1].status, "deactivated");
  expect_invalid_response(parse_repo_page(R"({"repos":[{"did":"did:plc:a","rev":"r"}]})").error(),
                          "head");

  auto info = parse_account_info(R"({"did":"did:plc:a","handle":"a.test","email":"a@x.org",
      "indexedAt":"2025-01-01T00:00:00.000Z","invitedBy":{"code":"localhost-abc"},
      "invitesDisabled":false,"emailConfirmedAt":null})");
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->email, "a@x.org");
  EXPECT_EQ(info->invited_by, "localhost-abc");
  EXPECT_EQ(info->invites_disabled, false);
  EXPECT_FALSE(info->email_confirmed_at);
  expect_invalid_response(parse_account_info(R"({"handle":"a.test"})").error(), "did");

  auto infos = parse_account_infos(
      R"({"infos":[{"did":"did:plc:a","handle":"a.test"},{"did":"did:plc:b","handle":"b.test"}]})");
  ASSERT_TRUE(infos);
  EXPECT_EQ(infos->size(), 2u);
  expect_invalid_response(
      parse_account_infos(R"({"infos":[{"did":"did:plc:a","handle":"a"},{"did":7}]})").error(),
      "infos[1].did");
}

TEST(XrpcParseTest, EmptyOutputs) {
  EXPECT_TRUE(parse_empty_output("m", ""));
  EXPECT_TRUE(parse_empty_output("m", " \n"));
  EXPECT_TRUE(parse_empty_output("m", "{}"));
  EXPECT_TRUE(parse_empty_output("m", R"({"commit":{"cid":"c","rev":"r"}})"));
  expect_invalid_response(parse_empty_output("m", "<html>").error(), "not JSON");
}

TEST(XrpcParseTest, DeepNestingIsRefusedNotACrash) {
  const std::string deep = "{\"uri\":\"at://x\",\"value\":" + std::string(100'000, '[') +
                           std::string(100'000, ']') + "}";
  EXPECT_FALSE(parse_record(deep));
  std::string deep_obj = "{\"uri\":\"at://x\",\"value\":{\"a\":";
  for (int i = 0; i < 1000; ++i) deep_obj += "{\"a\":";
  deep_obj += "1";
  deep_obj += std::string(1001, '}') + "}";
  expect_invalid_response(parse_record(deep_obj).error(), "nested too deeply");
}

TEST(RecordJsonTest, FloatsAreRefused) {
  for (const char *record :
       {R"({"f":1.5})", R"({"a":[1,2,{"b":0.1}]})", R"({"e":1e3})", R"({"x":{"y":{"z":-2.0}}})"}) {
    SCOPED_TRACE(record);
    auto r = prepare_record_json("com.atproto.repo.createRecord", record, "c.o");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::invalid);
    EXPECT_EQ(kind_of(r.error()), ErrorKind::invalid_input);
    EXPECT_NE(r.error().message.find("floats are not allowed"), std::string::npos);
  }
  auto r = prepare_record_json("m", R"({"a":[1,{"b":0.1}]})", "c.o");
  EXPECT_NE(r.error().message.find("$.a[1].b"), std::string::npos) << r.error().message;
}

TEST(RecordJsonTest, IntegersAndStringsPass) {
  auto r = prepare_record_json("m", R"({"$type":"c.o","n":-9223372036854775808,"s":"1.5",
      "b":true,"z":null,"l":[1,"x"],"o":{"k":9223372036854775807}})",
                               "c.o");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r,
            R"({"$type":"c.o","n":-9223372036854775808,"s":"1.5","b":true,"z":null,"l":[1,"x"],)"
            R"("o":{"k":9223372036854775807}})");
}

TEST(RecordJsonTest, OtherRefusals) {
  EXPECT_FALSE(prepare_record_json("m", R"({"n":9223372036854775808})", "c.o"));  // > int64
  EXPECT_FALSE(prepare_record_json("m", "[1]", "c.o"));
  EXPECT_FALSE(prepare_record_json("m", "not json", "c.o"));
  EXPECT_FALSE(prepare_record_json("m", R"({"$type":5})", "c.o"));
  EXPECT_FALSE(prepare_record_json("m", R"({"$type":""})", "c.o"));
  std::string deep = "{";
  for (int i = 0; i < kMaxRecordDepth; ++i) deep += "\"a\":{";
  deep += std::string(kMaxRecordDepth, '}') + "}";
  auto r = prepare_record_json("m", deep, "c.o");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("nested deeper"), std::string::npos);
}

TEST(RecordJsonTest, TypeIsFilledFromTheCollection) {
  auto r = prepare_record_json("m", R"({"mood":"calm"})", "computer.aesthetic.mood");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, R"({"mood":"calm","$type":"computer.aesthetic.mood"})");
}

TEST(XrpcUrlTest, PlainHttpOnlyForLoopback) {
  for (const char *ok :
       {"https://pds.example.com", "https://pds.example.com/", "http://127.0.0.1:2583",
        "http://localhost:2583", "http://[::1]:2583", "https://1.2.3.4:8443"}) {
    ClientOptions o;
    o.base_url = ok;
    auto c = XrpcClient::create(o);
    ASSERT_TRUE(c) << ok << ": " << c.error().message;
    EXPECT_NE((*c)->base_url().back(), '/');
  }
  for (const char *bad : {"http://pds.example.com", "ftp://127.0.0.1", "127.0.0.1:2583", "",
                          "https://user:pw@pds.example.com", "https://pds.example.com/?x=1",
                          "http://127.0.0.1.evil.com", "file:///etc/passwd"}) {
    ClientOptions o;
    o.base_url = bad;
    auto c = XrpcClient::create(o);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().code, Code::config) << bad;
    EXPECT_EQ(c.error().message.find("pw@"), std::string::npos);
  }
}

TEST(XrpcLocalRefusalTest, NothingIsSentForBadInput) {
  // Nothing listens on this port: any attempt would show up in stats().attempts.
  test::FakeClock fake;
  ClientOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(test::closed_port());
  o.clock = fake.clock();
  auto made = XrpcClient::create(o);
  ASSERT_TRUE(made);
  XrpcClient &c = **made;
  const auto expect_invalid = [&](const Error &e) {
    EXPECT_EQ(e.code, Code::invalid) << e.message;
    EXPECT_EQ(kind_of(e), ErrorKind::invalid_input) << e.detail_json;
  };
  RecordWrite w;
  w.repo = "did:plc:a";
  w.collection = "c.o";
  w.rkey = "r";
  w.record_json = R"({"f":1.5})";
  expect_invalid(c.create_record("jwt", w).error());
  expect_invalid(c.put_record("jwt", w).error());
  ApplyWritesInput batch;
  batch.repo = "did:plc:a";
  batch.writes.push_back({WriteOp::create, "c.o", std::nullopt, R"({"ok":1})"});
  batch.writes.push_back({WriteOp::update, "c.o", "r", R"({"bad":[0.5]})"});
  expect_invalid(c.apply_writes("jwt", batch).error());
  ApplyWritesInput too_many;
  too_many.repo = "did:plc:a";
  too_many.writes.assign(201, {WriteOp::create, "c.o", std::nullopt, "{}"});
  expect_invalid(c.apply_writes("jwt", too_many).error());
  ApplyWritesInput no_rkey;
  no_rkey.repo = "did:plc:a";
  no_rkey.writes.push_back({WriteOp::remove, "c.o", std::nullopt, ""});
  expect_invalid(c.apply_writes("jwt", no_rkey).error());
  w.record_json = "{}";
  w.rkey.reset();
  expect_invalid(c.put_record("jwt", w).error());  // putRecord needs an rkey
  expect_invalid(c.create_record("", w).error());  // no token
  expect_invalid(c.create_account({"abc.test", "a@b.c", "", {}}).error());  // no password
  ListRecordsQuery q;
  q.repo = "did:plc:a";
  q.collection = "c.o";
  q.limit = 101;
  expect_invalid(c.list_records(q).error());
  q.limit = 0;
  expect_invalid(c.list_records(q).error());
  expect_invalid(c.list_repos(0).error());
  expect_invalid(c.create_session("", "pw").error());
  expect_invalid(c.get_session("").error());
  expect_invalid(c.refresh_session("").error());
  // Admin calls without an admin password are a configuration error, also unsent.
  auto no_admin = c.delete_account("did:plc:a");
  EXPECT_EQ(no_admin.code(), Code::config);
  EXPECT_EQ(c.create_invite_code().code(), Code::config);
  EXPECT_EQ(c.get_account_infos({"did:plc:a"}).code(), Code::config);
  EXPECT_EQ(c.stats().attempts, 0u);
}

TEST(XrpcLocalRefusalTest, EmptyAccountInfosBatchMakesNoCall) {
  ClientOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(test::closed_port());
  o.admin_password = "x";
  auto c = XrpcClient::create(o);
  ASSERT_TRUE(c);
  auto infos = (*c)->get_account_infos({});
  ASSERT_TRUE(infos);
  EXPECT_TRUE(infos->empty());
  EXPECT_EQ((*c)->stats().attempts, 0u);
}

}  // namespace
}  // namespace acid::pds
