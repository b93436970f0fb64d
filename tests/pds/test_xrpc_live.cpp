// Every XRPC call of the client against the real local PDS, and every error case of
// reference/pds.md with its classification.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <set>
#include <thread>

#include "core/json.h"
#include "pds/session.h"
#include "xrpc_live_fixture.h"

namespace acid::pds::test {
namespace {

constexpr const char *kMood = "computer.aesthetic.mood";

std::string mood(const std::string &text, int n = 1) {
  return "{\"$type\":\"computer.aesthetic.mood\",\"mood\":" + json::quote(text) +
         ",\"n\":" + std::to_string(n) + "}";
}

RecordWrite record(const std::string &repo, std::optional<std::string> rkey, std::string json_text,
                   std::string collection = kMood) {
  RecordWrite w;
  w.repo = repo;
  w.collection = std::move(collection);
  w.rkey = std::move(rkey);
  w.record_json = std::move(json_text);
  return w;
}

Result<HttpReply> raw(XrpcClient &c, const std::string &nsid, bool post, std::string body,
                      AuthKind auth = AuthKind::none, std::string bearer = "",
                      std::vector<std::pair<std::string, std::string>> params = {}) {
  RawCall call;
  call.nsid = nsid;
  call.procedure = post;
  call.body_json = std::move(body);
  call.auth = auth;
  call.bearer = std::move(bearer);
  call.params = std::move(params);
  return c.call(call);
}

using XrpcLiveTest = LiveTest;

// --- server ---

TEST_F(XrpcLiveTest, DescribeServerIsCached) {
  auto d = client_->describe_server();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_TRUE(d->invite_code_required);
  EXPECT_EQ(d->did, "did:web:localhost");
  EXPECT_NE(std::find(d->available_user_domains.begin(), d->available_user_domains.end(),
                      "." + env_.handle_domain),
            d->available_user_domains.end());
  const auto before = client_->stats().attempts;
  auto cached = client_->server_description();
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->did, d->did);
  EXPECT_EQ(client_->stats().attempts, before);  // no request
}

TEST_F(XrpcLiveTest, CreateInviteCodeNeedsTheAdminSecret) {
  auto code = client_->create_invite_code(3);
  ASSERT_TRUE(code) << code.error().message;
  EXPECT_EQ(code->rfind("localhost-", 0), 0u) << *code;

  ClientOptions o;
  o.base_url = env_.url;
  o.admin_password = "wrong-admin-secret";
  auto wrong = XrpcClient::create(o);
  ASSERT_TRUE(wrong);
  auto denied = (*wrong)->create_invite_code();
  ASSERT_FALSE(denied);
  expect_pds_error(denied.error(), ErrorKind::auth_failed, Code::auth, 401,
                   "AuthenticationRequired");
}

TEST_F(XrpcLiveTest, AccountLifecycleAndSessions) {
  TestAccount a = new_account();
  ASSERT_FALSE(a.session.did.empty());
  EXPECT_EQ(a.session.did.rfind("did:plc:", 0), 0u);
  EXPECT_EQ(a.session.handle, a.handle);
  EXPECT_FALSE(a.session.access_jwt.empty());
  EXPECT_FALSE(a.session.refresh_jwt.empty());

  // createSession accepts the handle, the email or the DID.
  for (const std::string &id : {a.handle, a.email, a.session.did}) {
    auto s = client_->create_session(id, a.password);
    ASSERT_TRUE(s) << id << ": " << s.error().message;
    EXPECT_EQ(s->did, a.session.did);
    EXPECT_EQ(s->handle, a.handle);
    EXPECT_EQ(s->email, a.email);
  }
  auto info = client_->get_session(a.session.access_jwt);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->did, a.session.did);
  EXPECT_EQ(info->handle, a.handle);
  EXPECT_EQ(info->email, a.email);

  auto refreshed = client_->refresh_session(a.session.refresh_jwt);
  ASSERT_TRUE(refreshed) << refreshed.error().message;
  EXPECT_EQ(refreshed->did, a.session.did);
  EXPECT_NE(refreshed->refresh_jwt, a.session.refresh_jwt);
  ASSERT_TRUE(client_->get_session(refreshed->access_jwt));

  // A refresh token is not an access token, and the reverse.
  auto wrong_type = client_->get_session(refreshed->refresh_jwt);
  ASSERT_FALSE(wrong_type);
  expect_pds_error(wrong_type.error(), ErrorKind::invalid_token, Code::auth, 400, "InvalidToken");
  auto wrong_type2 = client_->refresh_session(refreshed->access_jwt);
  ASSERT_FALSE(wrong_type2);
  expect_pds_error(wrong_type2.error(), ErrorKind::invalid_token, Code::auth, 400, "InvalidToken");

  // deleteSession revokes the refresh token: refreshing then is ExpiredToken "revoked".
  ASSERT_TRUE(client_->delete_session(refreshed->refresh_jwt));
  auto revoked = client_->refresh_session(refreshed->refresh_jwt);
  ASSERT_FALSE(revoked);
  expect_pds_error(revoked.error(), ErrorKind::expired_token, Code::auth, 400, "ExpiredToken");
  EXPECT_NE(revoked.error().message.find("revoked"), std::string::npos) << revoked.error().message;
}

TEST_F(XrpcLiveTest, CreateAccountErrors) {
  const std::string code = invite(100);
  TestAccount taken = new_account();
  const std::string password = "pw-" + unique_label();
  const auto attempt = [&](const std::string &handle, const std::string &email,
                           std::optional<std::string> inv) {
    return client_->create_account({handle, email, password, std::move(inv)});
  };
  const auto fresh_email = [] { return unique_label() + "@example.com"; };
  struct Row {
    std::string what;
    Result<Session> result;
    ErrorKind kind;
    std::string xrpc_error;
  };
  const std::string upper_email = taken.email.substr(0, 1);
  std::string shouted = taken.email;
  for (char &c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string upper_handle = taken.handle;
  for (char &c : upper_handle) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));

  std::vector<Row> rows;
  rows.push_back({"handle taken", attempt(taken.handle, fresh_email(), code),
                  ErrorKind::handle_taken, "InvalidRequest"});
  rows.push_back({"handle taken (other case)", attempt(upper_handle, fresh_email(), code),
                  ErrorKind::handle_taken, "InvalidRequest"});
  rows.push_back({"email taken (other case)", attempt(handle_for(unique_label()), shouted, code),
                  ErrorKind::email_taken, "InvalidRequest"});
  rows.push_back({"underscore", attempt(handle_for("bad_" + unique_label(6)), fresh_email(), code),
                  ErrorKind::invalid_handle, "InvalidRequest"});
  rows.push_back({"leading hyphen", attempt(handle_for("-" + unique_label(6)), fresh_email(), code),
                  ErrorKind::invalid_handle, "InvalidRequest"});
  rows.push_back({"single label", attempt(unique_label(), fresh_email(), code),
                  ErrorKind::invalid_handle, "InvalidRequest"});
  rows.push_back({"two labels before the domain",
                  attempt(unique_label(5) + "." + handle_for(unique_label(5)), fresh_email(), code),
                  ErrorKind::invalid_handle, "InvalidHandle"});
  rows.push_back({"too short", attempt(handle_for("ab"), fresh_email(), code),
                  ErrorKind::invalid_handle, "InvalidHandle"});
  rows.push_back({"too long", attempt(handle_for(unique_label(19)), fresh_email(), code),
                  ErrorKind::invalid_handle, "InvalidHandle"});
  rows.push_back({"reserved", attempt(handle_for("admin"), fresh_email(), code),
                  ErrorKind::reserved_handle, "HandleNotAvailable"});
  rows.push_back({"unsupported domain",
                  attempt(unique_label() + ".example.com", fresh_email(), code),
                  ErrorKind::unsupported_domain, "UnsupportedDomain"});
  rows.push_back({"disallowed TLD", attempt(unique_label() + ".local", fresh_email(), code),
                  ErrorKind::invalid_handle, "InvalidHandle"});
  rows.push_back({"no invite", attempt(handle_for(unique_label()), fresh_email(), std::nullopt),
                  ErrorKind::invalid_invite_code, "InvalidInviteCode"});
  rows.push_back({"empty invite", attempt(handle_for(unique_label()), fresh_email(), ""),
                  ErrorKind::invalid_invite_code, "InvalidInviteCode"});
  rows.push_back({"unknown invite",
                  attempt(handle_for(unique_label()), fresh_email(), "localhost-nope-nope"),
                  ErrorKind::invalid_invite_code, "InvalidInviteCode"});
  rows.push_back({"no email", attempt(handle_for(unique_label()), "", code),
                  ErrorKind::invalid_email, "InvalidRequest"});
  rows.push_back({"malformed email", attempt(handle_for(unique_label()), "not-an-email", code),
                  ErrorKind::invalid_email, "InvalidRequest"});
  rows.push_back({"disposable email",
                  attempt(handle_for(unique_label()), unique_label() + "@mailinator.com", code),
                  ErrorKind::invalid_email, "InvalidRequest"});
  rows.push_back({"password too long",
                  client_->create_account(
                      {handle_for(unique_label()), fresh_email(), std::string(257, 'p'), code}),
                  ErrorKind::invalid_password, "InvalidRequest"});
  for (const Row &row : rows) {
    SCOPED_TRACE(row.what);
    ASSERT_FALSE(row.result) << "created " << row.result->handle;
    expect_pds_error(row.result.error(), row.kind, Code::pds, 400, row.xrpc_error);
    EXPECT_FALSE(is_transient(row.result.error()));
    EXPECT_EQ(inspect(row.result.error()).attempts, 1);
  }
  // An invite code that was used up.
  const std::string once = invite(1);
  auto first = attempt(handle_for(unique_label()), fresh_email(), once);
  ASSERT_TRUE(first) << first.error().message;
  auto second = attempt(handle_for(unique_label()), fresh_email(), once);
  ASSERT_FALSE(second);
  expect_pds_error(second.error(), ErrorKind::invalid_invite_code, Code::pds, 400,
                   "InvalidInviteCode");
  EXPECT_NE(second.error().message.find("not available"), std::string::npos);

  // Bodies the typed API cannot produce: a missing handle and a non-JSON body.
  auto no_handle = raw(
      *client_, "com.atproto.server.createAccount", true,
      "{\"email\":\"x@example.com\",\"password\":\"p\",\"inviteCode\":" + json::quote(code) + "}");
  ASSERT_FALSE(no_handle);
  expect_pds_error(no_handle.error(), ErrorKind::invalid_request, Code::pds, 400, "InvalidRequest");
  auto not_json = raw(*client_, "com.atproto.server.createAccount", true, "not json");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(kind_of(not_json.error()), ErrorKind::invalid_request) << not_json.error().message;
  EXPECT_EQ(not_json.error().code, Code::pds);
}

TEST_F(XrpcLiveTest, AuthenticationErrors) {
  TestAccount a = new_account();
  TestAccount b = new_account();
  const auto check = [](const Error &e, ErrorKind kind, int status, const char *name) {
    expect_pds_error(e, kind, Code::auth, status, name);
    EXPECT_FALSE(is_transient(e));
  };
  check(client_->create_session(a.handle, "wrong-password").error(), ErrorKind::auth_failed, 401,
        "AuthenticationRequired");
  check(client_->create_session("nobody-" + unique_label() + ".test", a.password).error(),
        ErrorKind::auth_failed, 401, "AuthenticationRequired");
  check(client_->create_session(a.handle, "").error(), ErrorKind::auth_failed, 401,
        "AuthenticationRequired");
  check(raw(*client_, "com.atproto.server.getSession", false, "").error(), ErrorKind::auth_failed,
        401, "AuthMissing");
  check(client_->get_session("garbage.token.here").error(), ErrorKind::invalid_token, 400,
        "InvalidToken");
  // A user's bearer on an admin route.
  check(raw(*client_, "com.atproto.admin.getAccountInfo", false, "", AuthKind::bearer,
            a.session.access_jwt, {{"did", a.session.did}})
            .error(),
        ErrorKind::auth_failed, 401, "UntrustedIss");
  // Writing to someone else's repo.
  auto foreign =
      client_->create_record(a.session.access_jwt, record(b.session.did, std::nullopt, mood("x")));
  ASSERT_FALSE(foreign);
  check(foreign.error(), ErrorKind::auth_failed, 401, "AuthenticationRequired");
}

TEST_F(XrpcLiveTest, ExpiredAccessToken) {
  ASSERT_FALSE(env_.jwt_secret.empty()) << "no JWT_SECRET next to " << env_.env_file;
  TestAccount a = new_account();
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  // The same token re-signed with a later expiry still works: the signing is right...
  auto valid = resign_jwt(a.session.access_jwt, env_.jwt_secret, now_s, now_s + 600);
  ASSERT_TRUE(valid);
  ASSERT_TRUE(client_->get_session(*valid)) << "re-signing does not match the PDS";
  // ...so an expired one fails only because it expired.
  auto expired = resign_jwt(a.session.access_jwt, env_.jwt_secret, now_s - 7200, now_s - 60);
  ASSERT_TRUE(expired);
  auto r = client_->get_session(*expired);
  ASSERT_FALSE(r);
  expect_pds_error(r.error(), ErrorKind::expired_token, Code::auth, 400, "ExpiredToken");
  EXPECT_EQ(inspect(r.error()).attempts, 1);  // auth errors are not retried
}

TEST_F(XrpcLiveTest, DeletedAccount) {
  TestAccount a = new_account();
  ASSERT_TRUE(client_->delete_account(a.session.did));
  ASSERT_TRUE(client_->delete_account(a.session.did));                  // idempotent
  ASSERT_TRUE(client_->delete_account("did:plc:" + unique_label(24)));  // unknown DID

  auto s = client_->get_session(a.session.access_jwt);
  ASSERT_FALSE(s);
  expect_pds_error(s.error(), ErrorKind::account_not_found, Code::pds, 400, "InvalidRequest");
  auto w = client_->create_record(a.session.access_jwt,
                                  record(a.session.did, std::nullopt, mood("gone")));
  ASSERT_FALSE(w);
  expect_pds_error(w.error(), ErrorKind::account_not_found, Code::pds, 403, "AccountNotFound");
  auto info = client_->get_account_info(a.session.did);
  ASSERT_FALSE(info);
  expect_pds_error(info.error(), ErrorKind::account_not_found, Code::pds, 400, "NotFound");
  auto login = client_->create_session(a.handle, a.password);
  ASSERT_FALSE(login);
  EXPECT_EQ(kind_of(login.error()), ErrorKind::auth_failed);

  // The handle and the email are free again.
  auto again = client_->create_account({a.handle, a.email, a.password, invite()});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_NE(again->did, a.session.did);
}

// --- identity ---

TEST_F(XrpcLiveTest, HandlesUpdateAndResolve) {
  TestAccount a = new_account();
  TestAccount b = new_account();
  auto did = client_->resolve_handle(a.handle);
  ASSERT_TRUE(did) << did.error().message;
  EXPECT_EQ(*did, a.session.did);

  const std::string renamed = handle_for(unique_label());
  ASSERT_TRUE(client_->update_handle(a.session.access_jwt, renamed));
  ASSERT_TRUE(client_->update_handle(a.session.access_jwt, renamed));  // repeat is harmless
  EXPECT_EQ(*client_->resolve_handle(renamed), a.session.did);
  EXPECT_EQ(client_->get_session(a.session.access_jwt)->handle, renamed);

  const auto fails = [&](const std::string &handle, ErrorKind kind, const char *name) {
    SCOPED_TRACE(handle);
    Status s = client_->update_handle(a.session.access_jwt, handle);
    ASSERT_FALSE(s);
    expect_pds_error(s.error(), kind, Code::pds, 400, name);
  };
  fails(b.handle, ErrorKind::handle_taken, "HandleNotAvailable");
  fails(handle_for("admin"), ErrorKind::reserved_handle, "HandleNotAvailable");
  fails(handle_for("ab"), ErrorKind::invalid_handle, "InvalidHandle");
  fails(handle_for("bad_" + unique_label(5)), ErrorKind::invalid_handle, "InvalidRequest");

  auto unknown = client_->resolve_handle(handle_for(unique_label()));
  ASSERT_FALSE(unknown);
  expect_pds_error(unknown.error(), ErrorKind::handle_not_found, Code::pds, 400);
  auto bad = client_->resolve_handle("bad_handle");
  ASSERT_FALSE(bad);
  expect_pds_error(bad.error(), ErrorKind::invalid_handle, Code::pds, 400, "InvalidRequest");
}

// --- repo ---

TEST_F(XrpcLiveTest, RecordsCreateGetPutDelete) {
  TestAccount a = new_account();
  const std::string did = a.session.did;
  const std::string jwt = a.session.access_jwt;

  auto created =
      client_->create_record(jwt, record(did, std::nullopt, "{\"mood\":\"calm\",\"n\":3}"));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->uri.rfind("at://" + did + "/" + kMood + "/", 0), 0u) << created->uri;
  ASSERT_TRUE(created->commit);
  EXPECT_EQ(created->validation_status, "unknown");
  const std::string rkey = created->uri.substr(created->uri.rfind('/') + 1);
  auto got = client_->get_record(did, kMood, rkey);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->cid, created->cid);
  auto value = json::parse(got->value_json);
  ASSERT_TRUE(value);
  EXPECT_EQ(json::get_string(*value, "$type"), kMood);  // filled in by the client
  EXPECT_EQ(json::get_int(*value, "n"), 3);

  // putRecord is an upsert.
  auto put1 = client_->put_record(jwt, record(did, "fixed", mood("one", 1)));
  ASSERT_TRUE(put1) << put1.error().message;
  auto put2 = client_->put_record(jwt, record(did, "fixed", mood("two", 2)));
  ASSERT_TRUE(put2) << put2.error().message;
  EXPECT_NE(put1->cid, put2->cid);
  EXPECT_NE(client_->get_record(did, kMood, "fixed")->value_json.find("\"two\""),
            std::string::npos);

  // Compare-and-swap against a stale CID.
  RecordWrite swap = record(did, "fixed", mood("three", 3));
  swap.swap_record = put1->cid;
  auto swapped = client_->put_record(jwt, swap);
  ASSERT_FALSE(swapped);
  expect_pds_error(swapped.error(), ErrorKind::invalid_swap, Code::pds, 400, "InvalidSwap");
  EXPECT_EQ(inspect(swapped.error()).attempts, 1);

  ASSERT_TRUE(client_->delete_record(jwt, did, kMood, "fixed"));
  auto missing = client_->get_record(did, kMood, "fixed");
  ASSERT_FALSE(missing);
  expect_pds_error(missing.error(), ErrorKind::record_not_found, Code::pds, 400, "RecordNotFound");
  ASSERT_TRUE(client_->delete_record(jwt, did, kMood, "fixed"));  // already gone: still 200
}

TEST_F(XrpcLiveTest, RecordErrors) {
  TestAccount a = new_account();
  const std::string did = a.session.did;
  const std::string jwt = a.session.access_jwt;
  ASSERT_TRUE(client_->create_record(jwt, record(did, "dup", mood("first"))));

  // Duplicate rkey: the PDS answers 500; createRecord is not retried.
  auto dup = client_->create_record(jwt, record(did, "dup", mood("second")));
  ASSERT_FALSE(dup);
  expect_pds_error(dup.error(), ErrorKind::server_error, Code::unavailable, 500);
  EXPECT_EQ(inspect(dup.error()).attempts, 1);

  const auto fails = [&](RecordWrite w, ErrorKind kind, const char *name, const char *text) {
    auto r = client_->create_record(jwt, w);
    ASSERT_FALSE(r) << text;
    expect_pds_error(r.error(), kind, Code::pds, 400, name);
    EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
  };
  fails(record(did, "bad rkey", mood("x")), ErrorKind::invalid_request, "InvalidRequest",
        "Invalid record key");
  fails(record(did, std::nullopt, "{\"a\":1}", "not-an-nsid"), ErrorKind::invalid_request,
        "InvalidRequest", "Invalid NSID");
  fails(record(did, std::nullopt, "{\"$type\":\"computer.aesthetic.other\"}"),
        ErrorKind::invalid_request, "InvalidRequest", "Invalid $type");
  RecordWrite validated = record(did, std::nullopt, mood("v"));
  validated.validate = true;
  fails(validated, ErrorKind::invalid_request, "InvalidRequest", "Unknown lexicon type");

  // A float is refused by the client before anything is sent...
  const auto attempts_before = client_->stats().attempts;
  auto local = client_->create_record(jwt, record(did, "float", "{\"f\":1.5}"));
  ASSERT_FALSE(local);
  expect_pds_error(local.error(), ErrorKind::invalid_input, Code::invalid);
  EXPECT_EQ(client_->stats().attempts, attempts_before);
  EXPECT_EQ(kind_of(client_->get_record(did, kMood, "float").error()), ErrorKind::record_not_found);
  // ...and the PDS would have refused it too.
  auto server = raw(*client_, "com.atproto.repo.createRecord", true,
                    "{\"repo\":" + json::quote(did) + ",\"collection\":\"" + kMood +
                        "\",\"record\":{\"$type\":\"" + kMood + "\",\"f\":1.5}}",
                    AuthKind::bearer, jwt);
  ASSERT_FALSE(server);
  expect_pds_error(server.error(), ErrorKind::invalid_request, Code::pds, 400, "InvalidRequest");
  EXPECT_NE(server.error().message.find("got 1.5"), std::string::npos);

  // Too large a body.
  auto big = client_->create_record(
      jwt, record(did, std::nullopt, "{\"s\":\"" + std::string(1'200'000, 'x') + "\"}"));
  ASSERT_FALSE(big);
  expect_pds_error(big.error(), ErrorKind::payload_too_large, Code::pds, 413);
}

TEST_F(XrpcLiveTest, ApplyWrites) {
  TestAccount a = new_account();
  const std::string did = a.session.did;
  const std::string jwt = a.session.access_jwt;
  ApplyWritesInput in;
  in.repo = did;
  for (int i = 0; i < 5; ++i) {
    in.writes.push_back({WriteOp::create, kMood, "k" + std::to_string(i), mood("m", i)});
  }
  auto r = client_->apply_writes(jwt, in);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->commit);
  ASSERT_EQ(r->results.size(), 5u);
  EXPECT_EQ(r->results[0].op, WriteOp::create);
  EXPECT_EQ(r->results[0].uri, "at://" + did + "/" + kMood + "/k0");

  ApplyWritesInput mixed;
  mixed.repo = did;
  mixed.writes.push_back({WriteOp::update, kMood, "k1", "{\"mood\":\"updated\"}"});  // $type added
  mixed.writes.push_back({WriteOp::remove, kMood, "k2", ""});
  mixed.writes.push_back({WriteOp::create, kMood, std::nullopt, mood("tid rkey")});
  auto m = client_->apply_writes(jwt, mixed);
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m->results.size(), 3u);
  EXPECT_EQ(m->results[0].op, WriteOp::update);
  EXPECT_EQ(m->results[1].op, WriteOp::remove);
  EXPECT_EQ(m->results[2].op, WriteOp::create);
  EXPECT_NE(client_->get_record(did, kMood, "k1")->value_json.find("updated"), std::string::npos);
  EXPECT_EQ(kind_of(client_->get_record(did, kMood, "k2").error()), ErrorKind::record_not_found);

  ApplyWritesInput empty;
  empty.repo = did;
  ASSERT_TRUE(client_->apply_writes(jwt, empty));  // allowed: a new commit

  // Updating or deleting a missing rkey, creating an existing one: 500 from the PDS, and
  // applyWrites is not retried.
  for (const WriteOperation &op : {WriteOperation{WriteOp::update, kMood, "missing", mood("x")},
                                   WriteOperation{WriteOp::remove, kMood, "missing", ""},
                                   WriteOperation{WriteOp::create, kMood, "k0", mood("again")}}) {
    ApplyWritesInput bad;
    bad.repo = did;
    bad.writes.push_back(op);
    auto failed = client_->apply_writes(jwt, bad);
    ASSERT_FALSE(failed);
    expect_pds_error(failed.error(), ErrorKind::server_error, Code::unavailable, 500);
    EXPECT_EQ(inspect(failed.error()).attempts, 1);
  }

  // swapCommit against a commit that is no longer the head.
  ApplyWritesInput swap;
  swap.repo = did;
  swap.swap_commit = r->commit->cid;
  swap.writes.push_back({WriteOp::create, kMood, std::nullopt, mood("swap")});
  auto swapped = client_->apply_writes(jwt, swap);
  ASSERT_FALSE(swapped);
  expect_pds_error(swapped.error(), ErrorKind::invalid_swap, Code::pds, 400, "InvalidSwap");
  EXPECT_NE(swapped.error().message.find("Commit was at"), std::string::npos);

  // What the PDS says about batches the client refuses to build.
  std::string writes;
  for (int i = 0; i < 201; ++i) {
    writes += std::string(i ? "," : "") + "{\"$type\":\"com.atproto.repo.applyWrites#create\"," +
              "\"collection\":\"" + kMood + "\",\"value\":" + mood("x") + "}";
  }
  auto too_many =
      raw(*client_, "com.atproto.repo.applyWrites", true,
          "{\"repo\":" + json::quote(did) + ",\"writes\":[" + writes + "]}", AuthKind::bearer, jwt);
  ASSERT_FALSE(too_many);
  expect_pds_error(too_many.error(), ErrorKind::invalid_request, Code::pds, 400, "InvalidRequest");
  EXPECT_NE(too_many.error().message.find("Too many writes"), std::string::npos);
  auto untyped = raw(*client_, "com.atproto.repo.applyWrites", true,
                     "{\"repo\":" + json::quote(did) + ",\"writes\":[{\"collection\":\"" + kMood +
                         "\",\"value\":" + mood("no write $type") + "}]}",
                     AuthKind::bearer, jwt);
  ASSERT_FALSE(untyped);
  expect_pds_error(untyped.error(), ErrorKind::invalid_request, Code::pds, 400, "InvalidRequest");
}

TEST_F(XrpcLiveTest, ListRecordsPaginates) {
  TestAccount a = new_account();
  const std::string did = a.session.did;
  ApplyWritesInput in;
  in.repo = did;
  for (int i = 0; i < 7; ++i) {
    in.writes.push_back({WriteOp::create, kMood, "r" + std::to_string(i), mood("m", i)});
  }
  ASSERT_TRUE(client_->apply_writes(a.session.access_jwt, in));

  ListRecordsQuery q;
  q.repo = did;
  q.collection = kMood;
  q.limit = 3;
  std::vector<std::string> uris;
  std::vector<std::size_t> page_sizes;
  for (int guard = 0; guard < 10; ++guard) {
    auto page = client_->list_records(q);
    ASSERT_TRUE(page) << page.error().message;
    page_sizes.push_back(page->records.size());
    for (const auto &r : page->records) uris.push_back(r.uri);
    if (!page->cursor || page->records.empty()) break;
    q.cursor = page->cursor;
  }
  ASSERT_EQ(uris.size(), 7u);
  EXPECT_EQ(uris.front(), "at://" + did + "/" + kMood + "/r6");  // newest rkey first
  EXPECT_EQ(uris.back(), "at://" + did + "/" + kMood + "/r0");
  EXPECT_EQ(page_sizes[0], 3u);

  q.cursor.reset();
  q.reverse = true;
  q.limit = 100;
  auto ascending = client_->list_records(q);
  ASSERT_TRUE(ascending);
  ASSERT_EQ(ascending->records.size(), 7u);
  EXPECT_EQ(ascending->records.front().uri, "at://" + did + "/" + kMood + "/r0");
  auto v = json::parse(ascending->records.front().value_json);
  ASSERT_TRUE(v);
  EXPECT_EQ(json::get_int(*v, "n"), 0);

  ListRecordsQuery nobody;
  nobody.repo = "nobody-" + unique_label() + ".test";
  nobody.collection = kMood;
  auto missing = client_->list_records(nobody);
  ASSERT_FALSE(missing);
  expect_pds_error(missing.error(), ErrorKind::repo_not_found, Code::pds, 400, "InvalidRequest");

  auto over = raw(*client_, "com.atproto.repo.listRecords", false, "", AuthKind::none, "",
                  {{"repo", did}, {"collection", kMood}, {"limit", "101"}});
  ASSERT_FALSE(over);
  expect_pds_error(over.error(), ErrorKind::invalid_request, Code::pds, 400, "InvalidRequest");

  auto repo = raw(*client_, "com.atproto.sync.getRepo", false, "", AuthKind::none, "",
                  {{"did", "did:plc:" + unique_label(24)}});
  ASSERT_FALSE(repo);
  expect_pds_error(repo.error(), ErrorKind::repo_not_found, Code::pds, 400, "RepoNotFound");
}

// --- sync and admin ---

TEST_F(XrpcLiveTest, ListReposPaginates) {
  std::set<std::string> mine;
  for (int i = 0; i < 3; ++i) mine.insert(new_account().session.did);
  std::set<std::string> seen;
  std::optional<std::string> cursor;
  // The PDS keeps the repos of every earlier run in this build folder: page to the end (the
  // bound only stops a cursor that never ends).
  int pages = 0;
  for (; pages < 1'000'000; ++pages) {
    auto page = client_->list_repos(2, cursor);
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_LE(page->repos.size(), 2u);
    for (const auto &r : page->repos) {
      EXPECT_FALSE(r.head.empty());
      EXPECT_FALSE(r.rev.empty());
      EXPECT_TRUE(seen.insert(r.did).second) << "repeated " << r.did;
    }
    if (!page->cursor || page->repos.empty()) break;
    cursor = page->cursor;
  }
  EXPECT_GE(pages, 1);
  for (const auto &did : mine) EXPECT_TRUE(seen.count(did)) << did;
}

TEST_F(XrpcLiveTest, AdminAccountInfos) {
  TestAccount a = new_account();
  TestAccount b = new_account();
  auto info = client_->get_account_info(a.session.did);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->did, a.session.did);
  EXPECT_EQ(info->handle, a.handle);
  EXPECT_EQ(info->email, a.email);
  EXPECT_TRUE(info->indexed_at);

  auto unknown = client_->get_account_info("did:plc:" + unique_label(24));
  ASSERT_FALSE(unknown);
  expect_pds_error(unknown.error(), ErrorKind::account_not_found, Code::pds, 400, "NotFound");

  auto infos =
      client_->get_account_infos({a.session.did, "did:plc:" + unique_label(24), b.session.did});
  ASSERT_TRUE(infos) << infos.error().message;
  std::set<std::string> dids;
  for (const auto &i : *infos) dids.insert(i.did);
  EXPECT_EQ(dids, (std::set<std::string>{a.session.did, b.session.did}));

  // More DIDs than one batch: the client splits them.
  std::vector<std::string> many(XrpcClient::kAccountInfosBatch + 5, "did:plc:" + unique_label(24));
  many.push_back(a.session.did);
  const auto attempts_before = client_->stats().attempts;
  auto batched = client_->get_account_infos(many);
  ASSERT_TRUE(batched) << batched.error().message;
  ASSERT_EQ(batched->size(), 1u);
  EXPECT_EQ(batched->front().did, a.session.did);
  EXPECT_EQ(client_->stats().attempts - attempts_before, 2u);
}

// --- secrets, concurrency, connection reuse ---

TEST_F(XrpcLiveTest, SecretsNeverAppearInErrors) {
  const std::string admin_secret = "admin-secret-" + unique_label(20);
  ClientOptions o;
  o.base_url = env_.url;
  o.admin_password = admin_secret;  // wrong: every admin call fails
  o.retry = fast_policy();
  auto made = XrpcClient::create(o);
  ASSERT_TRUE(made);
  XrpcClient &c = **made;
  TestAccount a = new_account();
  const std::string password = "password-" + unique_label(20);
  const std::string bogus_jwt =
      "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJIUzI1NiJ9." + unique_label(40) + "." + unique_label(30);
  const std::vector<std::string> secrets = {
      admin_secret,          password,   bogus_jwt,          a.session.access_jwt,
      a.session.refresh_jwt, a.password, env_.admin_password};
  std::vector<std::pair<std::string, Error>> errors;
  const auto collect = [&](const std::string &what, auto &&result) {
    ASSERT_FALSE(result.is_ok()) << what;
    errors.emplace_back(what, result.error());
  };
  collect("createInviteCode", c.create_invite_code());
  collect("createAccount", c.create_account({a.handle, a.email, password, std::nullopt}));
  collect("createSession", c.create_session(a.handle, password));
  collect("refreshSession", c.refresh_session(bogus_jwt));
  collect("getSession", c.get_session(bogus_jwt));
  collect("deleteSession", c.delete_session(bogus_jwt));
  collect("updateHandle", c.update_handle(bogus_jwt, handle_for(unique_label())));
  collect("createRecord",
          c.create_record(bogus_jwt, record(a.session.did, std::nullopt, mood("x"))));
  collect("putRecord", c.put_record(bogus_jwt, record(a.session.did, "k", mood("x"))));
  collect("deleteRecord", c.delete_record(bogus_jwt, a.session.did, kMood, "k"));
  ApplyWritesInput in;
  in.repo = a.session.did;
  in.writes.push_back({WriteOp::create, kMood, std::nullopt, mood("x")});
  collect("applyWrites", c.apply_writes(bogus_jwt, in));
  collect("getAccountInfo", c.get_account_info(a.session.did));
  collect("getAccountInfos", c.get_account_infos({a.session.did}));
  collect("deleteAccount", c.delete_account(a.session.did));
  collect("raw", raw(c, "com.atproto.server.getSession", false, "", AuthKind::bearer, bogus_jwt));
  // A write to someone else's repo with a real token.
  TestAccount b = new_account();
  collect("foreign write",
          c.create_record(a.session.access_jwt, record(b.session.did, std::nullopt, mood("x"))));
  collect("wrong password", c.create_session(a.handle, a.password + "x"));
  ASSERT_EQ(errors.size(), 17u);
  for (const auto &[what, e] : errors) {
    for (const auto &secret : secrets) {
      EXPECT_EQ(e.message.find(secret), std::string::npos) << what << ": " << e.message;
      EXPECT_EQ(e.detail_json.find(secret), std::string::npos) << what << ": " << e.detail_json;
    }
  }
  EXPECT_TRUE(c.get_account_info(a.session.did).code() == Code::auth);
}

TEST_F(XrpcLiveTest, RacingSignupsForOneHandleMakeOneAccount) {
  constexpr int kThreads = 8;
  const std::string handle = handle_for(unique_label());
  const std::string code = invite(kThreads);
  std::barrier start(kThreads);
  std::vector<Result<Session>> results(kThreads, Result<Session>(Error()));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[static_cast<std::size_t>(i)] = client_->create_account(
          {handle, unique_label() + "@example.com", "pw-" + unique_label(), code});
    });
  }
  for (auto &t : threads) t.join();
  // Exactly one wins. The PDS (0.5) reports a loser that got past the "taken" check before the
  // winner committed as 500 InternalServerError (its log says the unique constraint failed), so a
  // loser sees either handle_taken or a transient server_error: provisioning must treat a 500 from
  // createAccount as "outcome unknown" and check with createSession.
  int created = 0, taken = 0, server_errors = 0;
  std::string winner;
  for (const auto &r : results) {
    if (r) {
      ++created;
      winner = r->did;
    } else if (kind_of(r.error()) == ErrorKind::handle_taken) {
      ++taken;
    } else if (kind_of(r.error()) == ErrorKind::server_error) {
      ++server_errors;
    } else {
      ADD_FAILURE() << r.error().message;
    }
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(taken + server_errors, kThreads - 1);
  // Once the race is over the handle is plainly taken, by the winner.
  auto late = client_->create_account({handle, unique_label() + "@example.com", "pw", code});
  ASSERT_FALSE(late);
  EXPECT_EQ(kind_of(late.error()), ErrorKind::handle_taken) << late.error().message;
  EXPECT_EQ(*client_->resolve_handle(handle), winner);
}

TEST_F(XrpcLiveTest, ThreadsShareOneClientAndReuseConnections) {
  TestAccount a = new_account();
  ASSERT_TRUE(
      client_->put_record(a.session.access_jwt, record(a.session.did, "shared", mood("s"))));
  auto fresh = make_client(env_.url);
  constexpr int kThreads = 6, kCalls = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        auto r = fresh->get_record(a.session.did, kMood, "shared");
        if (r && r->value_json.find("\"s\"") != std::string::npos) ++ok;
      }
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kCalls);
  const auto stats = fresh->stats();
  EXPECT_EQ(stats.calls, static_cast<std::uint64_t>(kThreads * kCalls));
  // Each pooled handle keeps its connection: at most one per concurrent thread.
  EXPECT_LE(stats.new_connections, static_cast<std::uint64_t>(kThreads)) << stats.new_connections;
  EXPECT_GE(stats.new_connections, 1u);
}

TEST_F(XrpcLiveTest, SessionManagerRefreshesAnExpiredTokenOnce) {
  ASSERT_FALSE(env_.jwt_secret.empty()) << "no JWT_SECRET next to " << env_.env_file;
  TestAccount a = new_account();
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  Session stale = a.session;
  stale.access_jwt = *resign_jwt(a.session.access_jwt, env_.jwt_secret, now_s - 7200, now_s - 60);
  SessionManager sessions(*client_);
  sessions.put(stale);
  std::atomic<int> persisted{0};
  sessions.set_on_refresh([&](const Session &s) {
    EXPECT_EQ(s.did, a.session.did);
    ++persisted;
  });
  constexpr int kThreads = 8;
  std::barrier start(kThreads);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto r = sessions.with_session(a.session.did, [&](std::string_view jwt) {
        return client_->put_record(jwt,
                                   record(a.session.did, "t" + std::to_string(i), mood("x", i)));
      });
      if (r) {
        ++ok;
      } else {
        ADD_FAILURE() << r.error().message;
      }
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(sessions.refresh_count(), 1u);
  EXPECT_EQ(persisted.load(), 1);
  EXPECT_NE(sessions.get(a.session.did)->access_jwt, stale.access_jwt);
  EXPECT_NE(sessions.get(a.session.did)->refresh_jwt, a.session.refresh_jwt);
}

}  // namespace
}  // namespace acid::pds::test
