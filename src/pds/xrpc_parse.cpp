#include "pds/xrpc_parse.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <type_traits>

#include "core/json.h"

namespace acid::pds {
namespace {

using rapidjson::Value;

// Untrusted input is parsed iteratively: a deeply nested body cannot exhaust the stack.
bool parse_untrusted(std::string_view text, rapidjson::Document &doc) {
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(),
                                                                                    text.size());
  return !doc.HasParseError();
}

// Nesting depth of a value, computed without recursion.
int depth_of(const Value &root, int stop_after) {
  struct Frame {
    const Value *value;
    int depth;
  };
  std::vector<Frame> stack{{&root, 1}};
  int max_depth = 0;
  while (!stack.empty()) {
    const Frame frame = stack.back();
    stack.pop_back();
    max_depth = std::max(max_depth, frame.depth);
    if (max_depth > stop_after) return max_depth;
    if (frame.value->IsArray()) {
      for (const auto &item : frame.value->GetArray()) stack.push_back({&item, frame.depth + 1});
    } else if (frame.value->IsObject()) {
      for (const auto &member : frame.value->GetObject()) {
        stack.push_back({&member.value, frame.depth + 1});
      }
    }
  }
  return max_depth;
}

// Values nested deeper than this in a PDS response are refused before they are re-serialised
// (serialisation recurses).
constexpr int kMaxResponseDepth = 256;

Error bad_response(std::string_view method, std::string what) {
  Failure f;
  f.method = std::string(method);
  f.kind = ErrorKind::invalid_response;
  f.local_message = "invalid response: " + std::move(what);
  return to_error(f, {});
}

// Reads the members of one response object, remembering the first problem.
class Fields {
 public:
  Fields(std::string_view method, const Value &obj, std::string where = "")
      : method_(method), obj_(obj), where_(std::move(where)) {}

  std::string req_string(const char *name, bool non_empty = true) {
    auto it = find(name);
    if (!it || !(*it)->IsString() || (non_empty && (*it)->GetStringLength() == 0)) {
      fail(std::string(name) + " missing or not a " + (non_empty ? "non-empty " : "") + "string");
      return {};
    }
    return std::string((*it)->GetString(), (*it)->GetStringLength());
  }
  std::optional<std::string> opt_string(const char *name) {
    const Value *v = optional_member(name, &Value::IsString, "a string");
    if (!v) return std::nullopt;
    return std::string(v->GetString(), v->GetStringLength());
  }
  std::optional<bool> opt_bool(const char *name) {
    const Value *v = optional_member(name, &Value::IsBool, "a boolean");
    if (!v) return std::nullopt;
    return v->GetBool();
  }
  const Value *req_array(const char *name) {
    return required_member(name, &Value::IsArray, "an array");
  }
  const Value *req_object(const char *name) {
    return required_member(name, &Value::IsObject, "an object");
  }
  const Value *opt_object(const char *name) {
    return optional_member(name, &Value::IsObject, "an object");
  }
  std::string req_did(const char *name) {
    std::string did = req_string(name);
    if (ok() && did.rfind("did:", 0) != 0) fail(std::string(name) + " is not a DID");
    return did;
  }
  std::string req_at_uri(const char *name) {
    std::string uri = req_string(name);
    if (ok() && uri.rfind("at://", 0) != 0) fail(std::string(name) + " is not an at:// URI");
    return uri;
  }

  void fail(std::string what) {
    if (!problem_) problem_ = where_ + std::move(what);
  }
  bool ok() const { return !problem_.has_value(); }
  Error error() const { return bad_response(method_, problem_.value_or("unknown problem")); }

 private:
  using TypeCheck = bool (Value::*)() const;

  // The member when present and of the type `is` checks; else the problem "<name> missing or
  // not <what>".
  const Value *required_member(const char *name, TypeCheck is, const char *what) {
    auto it = find(name);
    if (!it || !((*it)->*is)()) {
      fail(std::string(name) + " missing or not " + what);
      return nullptr;
    }
    return *it;
  }
  // The member unless missing or null; one of another type is the problem "<name> is not <what>".
  const Value *optional_member(const char *name, TypeCheck is, const char *what) {
    auto it = find(name);
    if (!it || (*it)->IsNull()) return nullptr;
    if (!((*it)->*is)()) {
      fail(std::string(name) + " is not " + what);
      return nullptr;
    }
    return *it;
  }
  std::optional<const Value *> find(const char *name) const {
    if (!obj_.IsObject()) return std::nullopt;
    auto it = obj_.FindMember(name);
    if (it == obj_.MemberEnd()) return std::nullopt;
    return &it->value;
  }

  std::string_view method_;
  const Value &obj_;
  std::string where_;
  std::optional<std::string> problem_;
};

// Parses a 2xx body that must be a JSON object.
Result<rapidjson::Document> parse_object(std::string_view method, std::string_view body) {
  rapidjson::Document doc;
  if (!parse_untrusted(body, doc)) return bad_response(method, "body is not JSON");
  if (!doc.IsObject()) return bad_response(method, "body is not a JSON object");
  if (depth_of(doc, kMaxResponseDepth) > kMaxResponseDepth) {
    return bad_response(method, "body nested too deeply");
  }
  return doc;
}

std::optional<CommitMeta> read_commit(Fields &fields) {
  const Value *commit = fields.opt_object("commit");
  if (!commit) return std::nullopt;
  Fields inner("", *commit);
  CommitMeta meta;
  meta.cid = inner.req_string("cid");
  meta.rev = inner.req_string("rev");
  if (!inner.ok()) {
    fields.fail("commit: malformed");
    return std::nullopt;
  }
  return meta;
}

template <typename T>
struct AnswerValue {
  using type = T;
};
template <typename T>
struct AnswerValue<Result<T>> {
  using type = T;
};

// Parses `body` as the object `method` answers with and reads it with read(fields, root), which
// returns the value (or a Result of it). A required field missing or mistyped anywhere fails the
// whole answer with invalid_response, naming the first problem.
template <typename Read>
auto read_answer(std::string_view method, std::string_view body, Read read)
    -> Result<typename AnswerValue<std::invoke_result_t<Read, Fields &, const Value &>>::type> {
  auto doc = parse_object(method, body);
  if (!doc) return std::move(doc).error();
  Fields f(method, *doc);
  auto value = read(f, static_cast<const Value &>(*doc));
  if constexpr (!std::is_same_v<decltype(value), typename AnswerValue<decltype(value)>::type>) {
    if (!value) return std::move(value).error();
  }
  if (!f.ok()) return f.error();
  return value;
}

std::optional<AccountInfo> read_account(std::string_view method, const Value &obj,
                                        const std::string &where, Fields &outer) {
  Fields f(method, obj, where);
  AccountInfo info;
  info.did = f.req_did("did");
  info.handle = f.req_string("handle");
  info.email = f.opt_string("email");
  info.indexed_at = f.opt_string("indexedAt");
  info.email_confirmed_at = f.opt_string("emailConfirmedAt");
  info.deactivated_at = f.opt_string("deactivatedAt");
  info.invites_disabled = f.opt_bool("invitesDisabled");
  if (const Value *invited = f.opt_object("invitedBy")) {
    Fields inv(method, *invited, where + "invitedBy.");
    info.invited_by = inv.opt_string("code");
    if (!inv.ok()) f.fail("invitedBy malformed");
  }
  if (!f.ok()) {
    outer.fail(f.error().message);
    return std::nullopt;
  }
  return info;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// "Wed, 21 Oct 2015 07:28:00 GMT" -> unix milliseconds.
std::optional<std::int64_t> parse_imf_fixdate(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // Layout: "Www, DD Mmm YYYY HH:MM:SS GMT" (29 characters).
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s[25] != ' ' || s.substr(26) != "GMT") {
    return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const auto day = num(5, 2), year = num(12, 4), hh = num(17, 2), mm = num(20, 2), ss = num(23, 2);
  if (!day || !year || !hh || !mm || !ss) return std::nullopt;
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i) {
    if (s.substr(8, 3) == kMonths[i]) month = i + 1;
  }
  if (month == 0 || *day < 1 || *day > 31 || *hh > 23 || *mm > 59 || *ss > 60) return std::nullopt;
  const std::int64_t days = days_from_civil(*year, month, static_cast<unsigned>(*day));
  return ((days * 24 + *hh) * 60 + *mm) * 60'000 + static_cast<std::int64_t>(*ss) * 1000;
}

// Checks one record value for the AT data model; `path` names it in messages.
std::optional<std::string> check_data_model(const Value &v, const std::string &path) {
  if (v.IsNumber()) {
    if (v.IsDouble()) return "floats are not allowed in records (at " + path + ")";
    if (!v.IsInt64()) return "integer out of the int64 range (at " + path + ")";
    return std::nullopt;
  }
  if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      if (auto problem = check_data_model(v[i], path + "[" + std::to_string(i) + "]")) {
        return problem;
      }
    }
    return std::nullopt;
  }
  if (v.IsObject()) {
    for (const auto &m : v.GetObject()) {
      const std::string key(m.name.GetString(), m.name.GetStringLength());
      if (auto problem = check_data_model(m.value, path + "." + sanitize_text(key, 64))) {
        return problem;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

RateLimit parse_rate_limit(const HttpReply &reply) {
  RateLimit rl;
  if (auto v = reply.header("ratelimit-limit")) rl.limit = parse_int(*v);
  if (auto v = reply.header("ratelimit-remaining")) rl.remaining = parse_int(*v);
  if (auto v = reply.header("ratelimit-reset")) rl.reset_epoch_s = parse_int(*v);
  if (auto v = reply.header("ratelimit-policy")) rl.policy = sanitize_text(*v, 128);
  return rl;
}

std::optional<std::int64_t> parse_retry_after_ms(std::string_view value, std::int64_t now_unix_ms) {
  // A day is far beyond any deadline; larger values are clamped rather than overflowing.
  constexpr std::int64_t kMaxSeconds = 7LL * 24 * 3600;
  if (auto seconds = parse_int(value)) {
    if (*seconds < 0) return std::nullopt;
    return std::min(*seconds, kMaxSeconds) * 1000;
  }
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (auto at = parse_imf_fixdate(value)) {
    return std::clamp<std::int64_t>(*at - now_unix_ms, 0, kMaxSeconds * 1000);
  }
  return std::nullopt;
}

Failure failure_from_reply(std::string_view method, const HttpReply &reply,
                           std::int64_t now_unix_ms) {
  Failure f;
  f.method = std::string(method);
  f.http_status = reply.status;
  rapidjson::Document doc;
  if (parse_untrusted(reply.body, doc) && doc.IsObject()) {
    if (auto e = json::get_string(doc, "error")) f.xrpc_error = sanitize_text(*e, 128);
    if (auto m = json::get_string(doc, "message")) f.xrpc_message = sanitize_text(*m);
  } else if (!reply.body.empty()) {
    f.local_message = "non-XRPC error body";
  }
  f.kind = classify_http(reply.status, f.xrpc_error, f.xrpc_message);
  f.rate_limit = parse_rate_limit(reply);
  if (auto ra = reply.header("retry-after"))
    f.retry_after_ms = parse_retry_after_ms(*ra, now_unix_ms);
  if (!f.retry_after_ms && f.kind == ErrorKind::rate_limited && f.rate_limit.reset_epoch_s) {
    // RateLimit-Reset is epoch seconds (not delta seconds as in the IETF draft).
    constexpr std::int64_t kMaxMs = 7LL * 24 * 3600 * 1000;
    const std::int64_t reset_s = std::clamp<std::int64_t>(
        *f.rate_limit.reset_epoch_s, 0, std::numeric_limits<std::int64_t>::max() / 2000);
    f.retry_after_ms = std::clamp<std::int64_t>(reset_s * 1000 - now_unix_ms, 0, kMaxMs);
  }
  if (f.retry_after_ms) f.retry_at_unix_ms = now_unix_ms + *f.retry_after_ms;
  return f;
}

Result<ServerDescription> parse_server_description(std::string_view body) {
  return read_answer("com.atproto.server.describeServer", body, [](Fields &f, const Value &) {
    ServerDescription d;
    d.did = f.req_did("did");
    if (const Value *domains = f.req_array("availableUserDomains")) {
      for (const auto &item : domains->GetArray()) {
        if (!item.IsString()) {
          f.fail("availableUserDomains holds a non-string");
          break;
        }
        d.available_user_domains.emplace_back(item.GetString(), item.GetStringLength());
      }
    }
    d.invite_code_required = f.opt_bool("inviteCodeRequired").value_or(false);
    d.phone_verification_required = f.opt_bool("phoneVerificationRequired").value_or(false);
    return d;
  });
}

Result<std::string> parse_invite_code(std::string_view body) {
  return read_answer("com.atproto.server.createInviteCode", body,
                     [](Fields &f, const Value &) { return f.req_string("code"); });
}

namespace {

// The optional members getSession shares with the calls that create a session.
void read_account_state(Fields &f, SessionInfo &s) {
  s.email = f.opt_string("email");
  s.email_confirmed = f.opt_bool("emailConfirmed");
  s.active = f.opt_bool("active");
  s.status = f.opt_string("status");
}

}  // namespace

Result<Session> parse_session(std::string_view method, std::string_view body) {
  return read_answer(method, body, [](Fields &f, const Value &) {
    Session s;
    s.did = f.req_did("did");
    s.handle = f.req_string("handle");
    s.access_jwt = f.req_string("accessJwt");
    s.refresh_jwt = f.req_string("refreshJwt");
    read_account_state(f, s);
    return s;
  });
}

Result<SessionInfo> parse_session_info(std::string_view body) {
  return read_answer("com.atproto.server.getSession", body, [](Fields &f, const Value &) {
    SessionInfo s;
    s.did = f.req_did("did");
    s.handle = f.req_string("handle");
    read_account_state(f, s);
    return s;
  });
}

Result<std::string> parse_resolved_did(std::string_view body) {
  return read_answer("com.atproto.identity.resolveHandle", body,
                     [](Fields &f, const Value &) { return f.req_did("did"); });
}

Result<RecordRef> parse_record_ref(std::string_view method, std::string_view body) {
  return read_answer(method, body, [](Fields &f, const Value &) {
    RecordRef r;
    r.uri = f.req_at_uri("uri");
    r.cid = f.req_string("cid");
    r.commit = read_commit(f);
    r.validation_status = f.opt_string("validationStatus");
    return r;
  });
}

Result<Record> parse_record(std::string_view body) {
  return read_answer("com.atproto.repo.getRecord", body, [](Fields &f, const Value &) {
    Record r;
    r.uri = f.req_at_uri("uri");
    r.cid = f.opt_string("cid");
    if (const Value *value = f.req_object("value")) r.value_json = json::to_string(*value);
    return r;
  });
}

namespace {

// A page of listRecords / listRepos: an optional cursor and the required array `items`, each
// item read by read_item(item_fields) (fields named "items[i]."); the first bad item fails the
// answer.
template <typename Page, typename Item, typename ReadItem>
Result<Page> read_page(std::string_view method, std::string_view body, const char *items,
                       std::vector<Item> Page::*out, ReadItem read_item) {
  return read_answer(method, body, [&](Fields &f, const Value &) -> Result<Page> {
    Page page;
    page.cursor = f.opt_string("cursor");
    if (const Value *array = f.req_array(items)) {
      rapidjson::SizeType i = 0;
      for (const auto &item : array->GetArray()) {
        Fields rf(method, item, std::string(items) + "[" + std::to_string(i++) + "].");
        Item value = read_item(rf);
        if (!rf.ok()) return rf.error();
        (page.*out).push_back(std::move(value));
      }
    }
    return page;
  });
}

}  // namespace

Result<RecordPage> parse_record_page(std::string_view body) {
  return read_page("com.atproto.repo.listRecords", body, "records", &RecordPage::records,
                   [](Fields &rf) {
                     Record r;
                     r.uri = rf.req_at_uri("uri");
                     r.cid = rf.req_string("cid");
                     if (const Value *value = rf.req_object("value")) {
                       r.value_json = json::to_string(*value);
                     }
                     return r;
                   });
}

namespace {

// One entry of applyWrites' `results` (create, update or delete).
Result<WriteResult> read_write_result(std::string_view method, const Value &item,
                                      rapidjson::SizeType i) {
  Fields rf(method, item, "results[" + std::to_string(i) + "].");
  const std::string type = rf.req_string("$type");
  WriteResult r;
  if (type == "com.atproto.repo.applyWrites#createResult" ||
      type == "com.atproto.repo.applyWrites#updateResult") {
    r.op = type.ends_with("#createResult") ? WriteOp::create : WriteOp::update;
    r.uri = rf.req_at_uri("uri");
    r.cid = rf.req_string("cid");
    r.validation_status = rf.opt_string("validationStatus");
  } else if (type == "com.atproto.repo.applyWrites#deleteResult") {
    r.op = WriteOp::remove;
  } else if (rf.ok()) {
    rf.fail("unknown result $type");
  }
  if (!rf.ok()) return rf.error();
  return r;
}

}  // namespace

Result<ApplyWritesResult> parse_apply_writes(std::string_view body) {
  constexpr std::string_view method = "com.atproto.repo.applyWrites";
  return read_answer(method, body, [&](Fields &f, const Value &root) -> Result<ApplyWritesResult> {
    ApplyWritesResult out;
    out.commit = read_commit(f);
    auto it = root.FindMember("results");
    if (it != root.MemberEnd() && !it->value.IsNull()) {
      if (!it->value.IsArray()) return bad_response(method, "results is not an array");
      rapidjson::SizeType i = 0;
      for (const auto &item : it->value.GetArray()) {
        auto r = read_write_result(method, item, i++);
        if (!r) return std::move(r).error();
        out.results.push_back(*std::move(r));
      }
    }
    return out;
  });
}

Result<RepoPage> parse_repo_page(std::string_view body) {
  return read_page("com.atproto.sync.listRepos", body, "repos", &RepoPage::repos, [](Fields &rf) {
    RepoInfo r;
    r.did = rf.req_did("did");
    r.head = rf.req_string("head");
    r.rev = rf.req_string("rev");
    r.active = rf.opt_bool("active");
    r.status = rf.opt_string("status");
    return r;
  });
}

Result<AccountInfo> parse_account_info(std::string_view body) {
  constexpr std::string_view method = "com.atproto.admin.getAccountInfo";
  return read_answer(method, body, [&](Fields &f, const Value &root) -> Result<AccountInfo> {
    auto info = read_account(method, root, "", f);
    if (!info) return f.error();
    return *std::move(info);
  });
}

Result<std::vector<AccountInfo>> parse_account_infos(std::string_view body) {
  constexpr std::string_view method = "com.atproto.admin.getAccountInfos";
  return read_answer(method, body, [&](Fields &f, const Value &) {
    std::vector<AccountInfo> out;
    if (const Value *infos = f.req_array("infos")) {
      rapidjson::SizeType i = 0;
      for (const auto &item : infos->GetArray()) {
        auto info = read_account(method, item, "infos[" + std::to_string(i++) + "].", f);
        if (!info) break;
        out.push_back(*std::move(info));
      }
    }
    return out;
  });
}

Status parse_empty_output(std::string_view method, std::string_view body) {
  const bool blank = std::all_of(body.begin(), body.end(), [](char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
  });
  if (blank) return Status::ok();
  auto doc = parse_object(method, body);
  if (!doc) return std::move(doc).error();
  return Status::ok();
}

Result<std::string> prepare_record_json(std::string_view method, std::string_view record_json,
                                        std::string_view collection) {
  rapidjson::Document doc;
  if (!parse_untrusted(record_json, doc)) {
    return invalid_input(method, "record is not valid JSON");
  }
  if (!doc.IsObject()) return invalid_input(method, "record is not a JSON object");
  if (depth_of(doc, kMaxRecordDepth) > kMaxRecordDepth) {
    return invalid_input(method, "record nested deeper than " + std::to_string(kMaxRecordDepth));
  }
  if (auto problem = check_data_model(doc, "$")) return invalid_input(method, *problem);
  const Value &root = doc;
  auto type = root.FindMember("$type");
  if (type != root.MemberEnd()) {
    if (!type->value.IsString() || type->value.GetStringLength() == 0) {
      return invalid_input(method, "record $type is not a non-empty string");
    }
  } else {
    if (collection.empty()) return invalid_input(method, "record has no $type and no collection");
    rapidjson::Value value;
    value.SetString(collection.data(), static_cast<rapidjson::SizeType>(collection.size()),
                    doc.GetAllocator());
    doc.AddMember("$type", value, doc.GetAllocator());
  }
  return json::to_string(doc);
}

}  // namespace acid::pds
