// Typed requests and responses of the XRPC calls the library makes. Responses are validated
// strictly: a required field that is missing or of the wrong type makes the call fail with
// ErrorKind::invalid_response, never a crash or a default value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace acid::pds {

// com.atproto.server.describeServer
struct ServerDescription {
  std::string did;
  std::vector<std::string> available_user_domains;  // e.g. ".at.aesthetic.test"
  bool invite_code_required = false;
  bool phone_verification_required = false;
};

// com.atproto.server.getSession: the account a session belongs to.
struct SessionInfo {
  std::string did;
  std::string handle;
  std::optional<std::string> email;  // getSession and createSession only
  std::optional<bool> email_confirmed;
  std::optional<bool> active;
  std::optional<std::string> status;
};

// Tokens for one account: createAccount, createSession and refreshSession all return this, with
// the account as getSession describes it.
struct Session : SessionInfo {
  std::string access_jwt;
  std::string refresh_jwt;
};

// com.atproto.server.createAccount input. The invite code is sent only when describeServer says
// one is required (see XrpcClient::create_account).
struct CreateAccountInput {
  std::string handle;
  std::string email;
  std::string password;  // required: an account without one can never createSession
  std::optional<std::string> invite_code;
};

struct CommitMeta {
  std::string cid;
  std::string rev;
};

// The result of createRecord / putRecord.
struct RecordRef {
  std::string uri;
  std::string cid;
  std::optional<CommitMeta> commit;
  std::optional<std::string> validation_status;  // "valid" / "unknown"
};

// com.atproto.repo.createRecord / putRecord input. `record_json` is a JSON object in the AT data
// model: integers and strings, never floats (checked before sending). A missing "$type" is set to
// `collection`.
struct RecordWrite {
  std::string repo;  // DID or handle
  std::string collection;
  std::optional<std::string> rkey;  // required for putRecord
  std::string record_json;
  std::optional<bool> validate;
  std::optional<std::string> swap_record;  // putRecord / deleteRecord compare-and-swap
  std::optional<std::string> swap_commit;
};

// A stored record (getRecord, listRecords).
struct Record {
  std::string uri;
  std::optional<std::string> cid;  // always present in listRecords
  std::string value_json;          // the record as compact JSON text
};

struct RecordPage {
  std::vector<Record> records;
  std::optional<std::string> cursor;  // absent on the last page
};

struct ListRecordsQuery {
  std::string repo;
  std::string collection;
  int limit = 50;  // 1..100
  std::optional<std::string> cursor;
  bool reverse = false;  // false: newest rkey first (the PDS default)
};

// com.atproto.repo.applyWrites
enum class WriteOp { create, update, remove };

struct WriteOperation {
  WriteOp op = WriteOp::create;
  std::string collection;
  std::optional<std::string> rkey;  // required for update and remove
  std::string value_json;           // create and update; checked like RecordWrite::record_json
};

struct ApplyWritesInput {
  std::string repo;
  std::vector<WriteOperation> writes;  // at most 200 (the PDS limit)
  std::optional<bool> validate;
  std::optional<std::string> swap_commit;
};

struct WriteResult {
  WriteOp op = WriteOp::create;
  std::optional<std::string> uri;  // create and update
  std::optional<std::string> cid;
  std::optional<std::string> validation_status;
};

struct ApplyWritesResult {
  std::optional<CommitMeta> commit;
  std::vector<WriteResult> results;
};

// com.atproto.sync.listRepos
struct RepoInfo {
  std::string did;
  std::string head;  // commit CID
  std::string rev;
  std::optional<bool> active;
  std::optional<std::string> status;
};

struct RepoPage {
  std::vector<RepoInfo> repos;
  std::optional<std::string> cursor;
};

// com.atproto.admin.defs#accountView
struct AccountInfo {
  std::string did;
  std::string handle;
  std::optional<std::string> email;
  std::optional<std::string> indexed_at;
  std::optional<std::string> email_confirmed_at;
  std::optional<std::string> deactivated_at;
  std::optional<bool> invites_disabled;
  std::optional<std::string> invited_by;  // the invite code used, when known
};

}  // namespace acid::pds
