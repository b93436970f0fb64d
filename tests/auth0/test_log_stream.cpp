#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "auth0/log_stream.h"

namespace {

using acid::Code;
using acid::parse_tenant;
using acid::stored_sub;
using acid::Tenant;
using acid::tenant_name;
using acid::auth0::is_handled_type;
using acid::auth0::LogEvent;
using acid::auth0::parse_log_stream;
using acid::auth0::ParsedBatch;
using acid::auth0::ParseLimits;

// 2025-10-14T08:30:00.123Z
constexpr acid::UnixMillis kDateMs = 1760430600123;

// One Auth0 log object; `extra` is appended inside "data" (start it with a comma).
std::string log_entry(std::string_view log_id, std::string_view type, std::string_view user_id,
                      std::string_view extra = "") {
  return std::string(R"({"log_id":")") + std::string(log_id) + R"(","data":{"type":")" +
         std::string(type) + R"(","date":"2025-10-14T08:30:00.123Z","user_id":")" +
         std::string(user_id) + R"(","log_id":")" + std::string(log_id) +
         R"(","tenant_name":"aesthetic")" + std::string(extra) + "}}";
}

std::string as_array(const std::vector<std::string> &entries) {
  std::string out = "[";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i) out += ",";
    out += entries[i];
  }
  return out + "]";
}

std::string as_lines(const std::vector<std::string> &entries) {
  std::string out;
  for (const auto &e : entries) out += e + "\n";
  return out;
}

std::string as_wrapped(const std::vector<std::string> &entries) {
  return R"({"logs":)" + as_array(entries) + "}";
}

auto key(const LogEvent &e) {
  return std::tie(e.log_id, e.type, e.user_id, e.sub, e.date, e.email, e.tenant_name);
}

void expect_same_events(const std::vector<LogEvent> &a, const std::vector<LogEvent> &b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(key(a[i]) == key(b[i])) << "event " << i;
}

void expect_accounted(const ParsedBatch &b) {
  EXPECT_EQ(b.events.size() + b.rejected.size() + b.ignored + b.duplicates_in_batch, b.total);
  std::size_t by_type = 0;
  for (const auto &[type, n] : b.ignored_by_type) by_type += n;
  EXPECT_EQ(by_type, b.ignored);
}

ParsedBatch parse_ok(std::string_view body, Tenant tenant = Tenant::aesthetic,
                     const ParseLimits &limits = {}) {
  auto r = parse_log_stream(body, tenant, limits);
  EXPECT_TRUE(r.is_ok()) << (r.is_ok() ? "" : r.error().message);
  if (!r.is_ok()) return {};
  expect_accounted(*r);
  return std::move(r).value();
}

const std::vector<std::string> kSample = {
    log_entry(
        "90020251014083000123000000000000000000000000000001", "ss", "auth0|abc",
        R"(,"user_name":"person@example.com","details":{"body":{"email":"signup@example.com","password":"*****"}})"),
    log_entry("90020251014083000123000000000000000000000000000002", "s", "auth0|abc"),
    log_entry("90020251014083000123000000000000000000000000000003", "sv", "auth0|abc",
              R"(,"user_name":"person@example.com","details":{"title":"Email Verification"})"),
    log_entry("90020251014083000123000000000000000000000000000004", "sdu", "google-oauth2|99",
              R"(,"user_name":"someone")"),
};

TEST(Auth0LogStream, ThreeFormatsGiveIdenticalEvents) {
  const ParsedBatch array = parse_ok(as_array(kSample));
  const ParsedBatch lines = parse_ok(as_lines(kSample));
  const ParsedBatch wrapped = parse_ok(as_wrapped(kSample));

  ASSERT_EQ(array.events.size(), 3u);
  const LogEvent &ss = array.events[0];
  EXPECT_EQ(ss.log_id, "90020251014083000123000000000000000000000000000001");
  EXPECT_EQ(ss.type, "ss");
  EXPECT_EQ(ss.user_id, "auth0|abc");
  EXPECT_EQ(ss.sub, "auth0|abc");
  EXPECT_EQ(ss.date, kDateMs);
  EXPECT_EQ(ss.email, std::optional<std::string>("signup@example.com"));  // body email preferred
  EXPECT_EQ(ss.tenant_name, std::optional<std::string>("aesthetic"));
  EXPECT_EQ(array.events[1].type, "sv");
  EXPECT_EQ(array.events[1].email, std::optional<std::string>("person@example.com"));
  EXPECT_EQ(array.events[2].type, "sdu");
  EXPECT_EQ(array.events[2].user_id, "google-oauth2|99");
  EXPECT_EQ(array.events[2].email, std::nullopt);  // "someone" is not an email address
  EXPECT_EQ(array.total, 4u);
  EXPECT_EQ(array.ignored, 1u);
  EXPECT_TRUE(array.rejected.empty());

  for (const ParsedBatch *other : {&lines, &wrapped}) {
    expect_same_events(array.events, other->events);
    EXPECT_EQ(other->total, array.total);
    EXPECT_EQ(other->ignored, array.ignored);
    EXPECT_EQ(other->ignored_by_type, array.ignored_by_type);
    EXPECT_EQ(other->duplicates_in_batch, 0u);
    EXPECT_TRUE(other->rejected.empty());
  }
}

TEST(Auth0LogStream, JsonLinesWithBlankLinesAndCrlf) {
  const std::string body =
      "\n\n" + kSample[0] + "\r\n   \r\n\t\n" + kSample[2] + "\r\n" + kSample[3] + "\n\n";
  const ParsedBatch b = parse_ok(body);
  ASSERT_EQ(b.events.size(), 3u);
  EXPECT_EQ(b.total, 3u);
  EXPECT_EQ(b.events[0].type, "ss");
  EXPECT_EQ(b.events[1].type, "sv");
  EXPECT_EQ(b.events[2].type, "sdu");
}

TEST(Auth0LogStream, SingleObjectIsOneJsonLine) {
  const ParsedBatch b = parse_ok(kSample[0]);
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.total, 1u);
  EXPECT_EQ(b.events[0].type, "ss");
}

TEST(Auth0LogStream, EmptyBatchesAreValid) {
  for (std::string_view body : {"[]", " [ ] \n", R"({"logs":[]})", R"({"logs":[],"other":1})"}) {
    const ParsedBatch b = parse_ok(body);
    EXPECT_EQ(b.total, 0u) << body;
    EXPECT_TRUE(b.events.empty()) << body;
    EXPECT_TRUE(b.rejected.empty()) << body;
  }
}

struct HostileBody {
  const char *name;
  std::string body;
  const char *reason;  // detail_json "reason"
};

std::string nested(std::size_t depth, char open, char close) {
  return std::string(depth, open) + std::string(depth, close);
}

std::string nested_objects(std::size_t depth) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i) out += R"({"a":)";
  out += "1";
  out += std::string(depth, '}');
  return out;
}

// Bodies that are not well formed as a whole (or too large) are refused whole.
TEST(Auth0LogStream, HostileBodiesAreRejectedWhole) {
  std::string too_many = "[";
  for (int i = 0; i < 1001; ++i) too_many += std::string(i ? "," : "") + "{}";
  too_many += "]";
  std::string too_many_lines;
  for (int i = 0; i < 1001; ++i) too_many_lines += "{}\n";

  const std::vector<HostileBody> cases = {
      {"empty", "", "empty"},
      {"whitespace only", " \r\n\t\n", "empty"},
      {"not JSON", "hello", "invalid_json"},
      {"truncated array", R"([{"log_id":"1")", "invalid_json"},
      {"trailing comma", "[{},]", "invalid_json"},
      {"comment", "[/* hi */]", "invalid_json"},
      {"NaN", R"([{"n":NaN}])", "invalid_json"},
      {"single quotes", "['a']", "invalid_json"},
      {"two values on one line", "{} {}", "invalid_json"},
      {"array then garbage", "[] x", "invalid_json"},
      {"bad second JSON line", "{}\n{\"a\":", "invalid_json"},
      {"NUL after the value", std::string("[]\0[]", 5), "invalid_json"},
      {"trailing NUL", std::string("[]\0", 3), "invalid_json"},
      {"UTF-8 BOM", "\xEF\xBB\xBF[]", "invalid_json"},
      {"number", "5", "bad_shape"},
      {"string", R"("logs")", "bad_shape"},
      {"null", "null", "bad_shape"},
      {"true", "true", "bad_shape"},
      {"logs is a number", R"({"logs": 5})", "bad_shape"},
      {"logs is an object", R"({"logs": {}})", "bad_shape"},
      {"logs is null", R"({"logs": null})", "bad_shape"},
      {"logs twice", R"({"logs": [], "logs": []})", "bad_shape"},
      {"100k unclosed arrays", std::string(100000, '['), "invalid_json"},
      {"10 MB body", "[" + std::string(10 * 1024 * 1024, ' ') + "]", "too_large"},
      {"1001 entries", too_many, "too_many_entries"},
      {"1001 JSON lines", too_many_lines, "too_many_entries"},
      {"1001 wrapped entries", R"({"logs":)" + too_many + "}", "too_many_entries"},
  };
  for (const HostileBody &c : cases) {
    for (Tenant tenant : {Tenant::aesthetic, Tenant::sotce}) {
      auto r = parse_log_stream(c.body, tenant);
      ASSERT_FALSE(r.is_ok()) << c.name;
      EXPECT_EQ(r.code(), Code::invalid) << c.name;
      EXPECT_EQ(r.error().detail_json, std::string(R"({"reason":")") + c.reason + "\"}")
          << c.name << ": " << r.error().message;
      EXPECT_NE(r.error().message.find("malformed log stream body"), std::string::npos) << c.name;
    }
  }
}

TEST(Auth0LogStream, MessagesNameTheProblem) {
  const ParsedBatch deep = parse_ok(nested(100, '[', ']'));
  ASSERT_EQ(deep.rejected.size(), 1u);
  EXPECT_NE(deep.rejected[0].reason.find("deeper than 32"), std::string::npos)
      << deep.rejected[0].reason;
  auto line = parse_log_stream("{}\n\n{\"a\":", Tenant::aesthetic);
  ASSERT_FALSE(line.is_ok());
  EXPECT_NE(line.error().message.find("line 3"), std::string::npos) << line.error().message;
  auto big = parse_log_stream(std::string(2 << 20, ' '), Tenant::aesthetic);
  ASSERT_FALSE(big.is_ok());
  EXPECT_NE(big.error().message.find("2097152 bytes"), std::string::npos) << big.error().message;
}

TEST(Auth0LogStream, LimitsAreInclusive) {
  // 32 levels: the top array plus 31 below it. Parses; the one entry is not an object.
  const ParsedBatch at_depth = parse_ok(nested(32, '[', ']'));
  EXPECT_EQ(at_depth.total, 1u);
  ASSERT_EQ(at_depth.rejected.size(), 1u);
  EXPECT_EQ(at_depth.rejected[0].reason, "entry is not an object (array)");

  ParseLimits small;
  small.max_body_bytes = 64;
  small.max_entries = 2;
  std::string body = "[{},{}]";
  body += std::string(64 - body.size(), ' ');
  EXPECT_EQ(parse_ok(body, Tenant::aesthetic, small).total, 2u);
  EXPECT_FALSE(parse_log_stream(body + " ", Tenant::aesthetic, small).is_ok());
  EXPECT_FALSE(parse_log_stream("[{},{},{}]", Tenant::aesthetic, small).is_ok());
  EXPECT_EQ(parse_ok("{}\n{}\n", Tenant::aesthetic, small).total, 2u);
  EXPECT_FALSE(parse_log_stream("{}\n{}\n{}\n", Tenant::aesthetic, small).is_ok());
}

TEST(Auth0LogStream, IterativeParserSurvivesDepthBeyondTheLimit) {
  // With the limit lifted, 100k levels still parse without recursion (kParseIterativeFlag) and
  // the document is released without recursion either.
  ParseLimits unlimited;
  unlimited.max_depth = 1u << 30;
  const ParsedBatch b = parse_ok(nested(100000, '[', ']'), Tenant::aesthetic, unlimited);
  EXPECT_EQ(b.total, 1u);
  ASSERT_EQ(b.rejected.size(), 1u);
}

TEST(Auth0LogStream, ValidEscapesAndUnicodeAreAccepted) {
  // A proper surrogate pair (U+1F600), escaped slash and non-ASCII user ids.
  const std::string body = "[" +
                           log_entry("id-1", "ss", "auth0|\\ud83d\\ude00\\/caf\xC3\xA9",
                                     R"(,"user_name":"j\u00f6rg@example.com")") +
                           "]";
  const ParsedBatch b = parse_ok(body);
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].user_id, "auth0|\xF0\x9F\x98\x80/caf\xC3\xA9");
  EXPECT_EQ(b.events[0].email, std::optional<std::string>("j\xC3\xB6rg@example.com"));
}

struct BadEntry {
  std::string entry;
  std::string reason;
  std::optional<std::string> log_id;  // what the rejection reports
};

std::string data_entry(std::string_view data) {
  return std::string(R"({"log_id":"L","data":{)") + std::string(data) + "}}";
}

constexpr const char *kGoodFields = R"("type":"ss","date":"2025-10-14T08:30:00Z")";

std::vector<BadEntry> bad_entries() {
  const std::string long_id(256, 'x');
  const std::string g = kGoodFields;
  return {
      {"5", "entry is not an object (number)", std::nullopt},
      {"null", "entry is not an object (null)", std::nullopt},
      {"[]", "entry is not an object (array)", std::nullopt},
      {R"("ss")", "entry is not an object (string)", std::nullopt},
      {R"({"data":{"type":"ss","user_id":"auth0|a","date":"2025-10-14T08:30:00Z"}})",
       "log_id is missing", std::nullopt},
      {R"({"log_id":123,"data":{}})", "log_id is not a string (number)", std::nullopt},
      {R"({"log_id":null,"data":{}})", "log_id is not a string (null)", std::nullopt},
      {R"({"log_id":{"$gt":""},"data":{}})", "log_id is not a string (object)", std::nullopt},
      {R"({"log_id":"L"})", "data is missing", std::nullopt},
      {R"({"log_id":"L","data":"ss"})", "data is not an object (string)", std::nullopt},
      {R"({"log_id":"L","data":null})", "data is not an object (null)", std::nullopt},
      {R"({"log_id":"L","data":{},"data":{}})", "data appears more than once", std::nullopt},
      {R"({"log_id":"A","data":{"log_id":"B","type":"ss"}})", "log_id and data.log_id disagree",
       std::nullopt},
      {R"({"data":{"log_id":7,"type":"ss"}})", "data.log_id is not a string (number)",
       std::nullopt},
      {R"({"log_id":"","data":{"type":"ss"}})", "log_id is empty", std::nullopt},
      {R"({"log_id":")" + long_id + R"(","data":{"type":"ss"}})", "log_id is longer than 255 bytes",
       std::nullopt},
      {R"({"log_id":"a\nb","data":{"type":"ss"}})", "log_id contains control characters",
       std::nullopt},
      {R"({"log_id":"a\u0000b","data":{"type":"ss"}})", "log_id contains control characters",
       std::nullopt},
      {R"({"log_id":"a\u0085b","data":{"type":"ss"}})", "log_id contains control characters",
       std::nullopt},
      {data_entry(R"("user_id":"auth0|a","date":"2025-10-14T08:30:00Z")"), "data.type is missing",
       "L"},
      {data_entry(R"("type":5,"user_id":"auth0|a")"), "data.type is not a string (number)", "L"},
      {data_entry(R"("type":["ss"],"user_id":"auth0|a")"), "data.type is not a string (array)",
       "L"},
      {data_entry(R"("type":"","user_id":"auth0|a")"), "data.type is empty", "L"},
      {data_entry(R"("type":"s\ts")"), "data.type contains control characters", "L"},
      {data_entry(g), "data.user_id is missing", "L"},
      {data_entry(g + R"(,"user_id":{"$gt":""})"), "data.user_id is not a string (object)", "L"},
      {data_entry(g + R"(,"user_id":{"$ne":null})"), "data.user_id is not a string (object)", "L"},
      {data_entry(g + R"(,"user_id":42)"), "data.user_id is not a string (number)", "L"},
      {data_entry(g + R"(,"user_id":null)"), "data.user_id is not a string (null)", "L"},
      {data_entry(g + R"(,"user_id":true)"), "data.user_id is not a string (boolean)", "L"},
      {data_entry(g + R"(,"user_id":["auth0|a"])"), "data.user_id is not a string (array)", "L"},
      {data_entry(g + R"(,"user_id":"")"), "data.user_id is empty", "L"},
      {data_entry(g + R"(,"user_id":")" + long_id + "\""), "data.user_id is longer than 255 bytes",
       "L"},
      {data_entry(g + R"(,"user_id":"auth0|a\u0001")"), "data.user_id contains control characters",
       "L"},
      {data_entry(g + R"(,"user_id":"auth0|a","user_id":"auth0|b")"),
       "data.user_id appears more than once", "L"},
      {data_entry(g + R"(,"user_id":"sotce-auth0|a")"),
       "data.user_id starts with the reserved prefix \"sotce-\"", "L"},
      {data_entry(R"("type":"ss","user_id":"auth0|a")"), "data.date is missing", "L"},
      {data_entry(R"("type":"ss","user_id":"auth0|a","date":1760430600123)"),
       "data.date is not a string (number)", "L"},
      {data_entry(R"("type":"ss","user_id":"auth0|a","date":"yesterday")"),
       "data.date is not an ISO 8601 timestamp", "L"},
      {data_entry(R"("type":"ss","user_id":"auth0|a","date":"2025-13-01T00:00:00Z")"),
       "data.date is not an ISO 8601 timestamp", "L"},
      {data_entry(R"("type":"ss","user_id":"auth0|a","date":"2025-10-14T08:30:00")"),
       "data.date is not an ISO 8601 timestamp", "L"},
      {data_entry(g + R"(,"user_id":"auth0|a","details":{"body":{},"body":{}})"),
       "data.details.body appears more than once", "L"},
      {data_entry(g + R"(,"user_id":"auth0|a","tenant_name":"sotce")"),
       "data.tenant_name \"sotce\" is not this stream's tenant \"aesthetic\"", "L"},
  };
}

TEST(Auth0LogStream, EachMalformedEntryIsRejectedWithItsReason) {
  for (const BadEntry &bad : bad_entries()) {
    const ParsedBatch b = parse_ok("[" + bad.entry + "]");
    ASSERT_EQ(b.rejected.size(), 1u) << bad.entry;
    EXPECT_EQ(b.rejected[0].index, 0u);
    EXPECT_EQ(b.rejected[0].reason, bad.reason) << bad.entry;
    EXPECT_EQ(b.rejected[0].log_id, bad.log_id) << bad.entry;
    EXPECT_TRUE(b.events.empty()) << bad.entry;
  }
}

TEST(Auth0LogStream, MixOfValidAndMalformedKeepsTheValid) {
  // good, bad, good, bad, ... : valid entries survive, each bad one is reported at its index.
  const std::vector<BadEntry> bad = bad_entries();
  std::vector<std::string> entries;
  std::vector<std::size_t> bad_index;
  for (std::size_t i = 0; i < bad.size(); ++i) {
    entries.push_back(log_entry("good-" + std::to_string(i), "ss", "auth0|u" + std::to_string(i)));
    bad_index.push_back(entries.size());
    entries.push_back(bad[i].entry);
  }
  for (const std::string &body : {as_array(entries), as_wrapped(entries)}) {
    const ParsedBatch b = parse_ok(body);
    EXPECT_EQ(b.total, entries.size());
    ASSERT_EQ(b.events.size(), bad.size());
    ASSERT_EQ(b.rejected.size(), bad.size());
    for (std::size_t i = 0; i < bad.size(); ++i) {
      EXPECT_EQ(b.events[i].log_id, "good-" + std::to_string(i));
      EXPECT_EQ(b.events[i].user_id, "auth0|u" + std::to_string(i));
      EXPECT_EQ(b.rejected[i].index, bad_index[i]);
      EXPECT_EQ(b.rejected[i].reason, bad[i].reason);
    }
  }
  // JSON lines: the same (a line that is not an object is that entry's problem only).
  std::vector<std::string> object_entries;
  std::size_t objects = 0;
  for (const BadEntry &e : bad) {
    object_entries.push_back(log_entry("good-" + std::to_string(objects), "sv", "auth0|x"));
    object_entries.push_back(e.entry);
    ++objects;
  }
  const ParsedBatch lines = parse_ok(as_lines(object_entries));
  EXPECT_EQ(lines.events.size(), objects);
  EXPECT_EQ(lines.rejected.size(), objects);
  EXPECT_EQ(lines.rejected.back().index, object_entries.size() - 1);
}

TEST(Auth0LogStream, SotceSubsArePrefixed) {
  const std::string sotce_entry =
      R"({"log_id":"so-1","data":{"type":"ss","date":"2025-10-14T10:30:00+02:00","user_id":"auth0|abc","tenant_name":"sotce"}})";
  const ParsedBatch b = parse_ok("[" + sotce_entry + "]", Tenant::sotce);
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].user_id, "auth0|abc");
  EXPECT_EQ(b.events[0].sub, "sotce-auth0|abc");
  EXPECT_EQ(b.events[0].date, 1760430600000);
  EXPECT_EQ(b.events[0].tenant_name, std::optional<std::string>("sotce"));

  // The same log on the aesthetic stream names the other tenant: rejected, never mis-subbed.
  const ParsedBatch wrong = parse_ok("[" + sotce_entry + "]", Tenant::aesthetic);
  EXPECT_TRUE(wrong.events.empty());
  ASSERT_EQ(wrong.rejected.size(), 1u);

  // An aesthetic log without tenant_name on the sotce stream is taken as sotce's.
  const ParsedBatch sample =
      parse_ok(as_array({log_entry("x", "sv", "auth0|q")}), Tenant::aesthetic);
  ASSERT_EQ(sample.events.size(), 1u);
  EXPECT_EQ(sample.events[0].sub, "auth0|q");
  const ParsedBatch unnamed = parse_ok(
      R"([{"log_id":"y","data":{"type":"sv","date":"2025-10-14T08:30:00Z","user_id":"auth0|q"}}])",
      Tenant::sotce);
  ASSERT_EQ(unnamed.events.size(), 1u);
  EXPECT_EQ(unnamed.events[0].sub, "sotce-auth0|q");
  EXPECT_EQ(unnamed.events[0].tenant_name, std::nullopt);
}

TEST(Auth0LogStream, TenantHelpers) {
  EXPECT_EQ(stored_sub(Tenant::aesthetic, "auth0|abc"), "auth0|abc");
  EXPECT_EQ(stored_sub(Tenant::sotce, "auth0|abc"), "sotce-auth0|abc");
  EXPECT_EQ(parse_tenant("aesthetic"), Tenant::aesthetic);
  EXPECT_EQ(parse_tenant("sotce"), Tenant::sotce);
  EXPECT_EQ(parse_tenant("Sotce"), std::nullopt);
  EXPECT_EQ(parse_tenant(""), std::nullopt);
  EXPECT_EQ(parse_tenant("aesthetic "), std::nullopt);
  EXPECT_EQ(tenant_name(Tenant::aesthetic), "aesthetic");
  EXPECT_EQ(tenant_name(Tenant::sotce), "sotce");
  EXPECT_TRUE(is_handled_type("ss"));
  EXPECT_TRUE(is_handled_type("sv"));
  EXPECT_TRUE(is_handled_type("sce"));
  EXPECT_TRUE(is_handled_type("sdu"));
  EXPECT_FALSE(is_handled_type("s"));
  EXPECT_FALSE(is_handled_type("SS"));
}

TEST(Auth0LogStream, OtherTypesAreIgnoredAndCounted) {
  // Ignored entries need a valid log_id, data and type, but no user_id or date.
  const std::vector<std::string> entries = {
      R"({"log_id":"1","data":{"type":"s"}})",
      R"({"log_id":"2","data":{"type":"f","user_id":{"$gt":""}}})",
      R"({"log_id":"3","data":{"type":"s","date":"whenever"}})",
      R"({"log_id":"4","data":{"type":"seacft"}})",
      log_entry("5", "sce", "auth0|c"),
      R"({"log_id":"6","data":{"type":"gd_send_voice_failure"}})",
  };
  const ParsedBatch b = parse_ok(as_array(entries));
  EXPECT_EQ(b.ignored, 5u);
  EXPECT_EQ(b.ignored_by_type,
            (std::map<std::string, std::size_t>{
                {"f", 1}, {"gd_send_voice_failure", 1}, {"s", 2}, {"seacft", 1}}));
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].type, "sce");
  EXPECT_TRUE(b.rejected.empty());
}

TEST(Auth0LogStream, DuplicateLogIdsKeepTheFirst) {
  const std::vector<std::string> entries = {
      log_entry("A", "ss", "auth0|first"),     log_entry("B", "sv", "auth0|b"),
      log_entry("A", "ss", "auth0|second"),    R"({"log_id":"A","data":{"type":"s"}})",
      R"({"log_id":"C","data":{"type":"s"}})", R"({"log_id":"C","data":{"type":"s"}})",
      log_entry("B", "sv", "auth0|b"),
  };
  const ParsedBatch b = parse_ok(as_array(entries));
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.events[0].log_id, "A");
  EXPECT_EQ(b.events[0].user_id, "auth0|first");
  EXPECT_EQ(b.events[1].log_id, "B");
  EXPECT_EQ(b.ignored, 1u);
  EXPECT_EQ(b.duplicates_in_batch, 4u);
  EXPECT_EQ(b.total, 7u);

  // Only kept entries claim a log_id: a rejected copy doesn't shadow a later valid one.
  const ParsedBatch after_reject = parse_ok(as_array(
      {R"({"log_id":"D","data":{"type":"ss","user_id":5}})", log_entry("D", "ss", "auth0|d")}));
  ASSERT_EQ(after_reject.events.size(), 1u);
  EXPECT_EQ(after_reject.rejected.size(), 1u);
  EXPECT_EQ(after_reject.rejected[0].log_id, std::optional<std::string>("D"));
  EXPECT_EQ(after_reject.duplicates_in_batch, 0u);
}

TEST(Auth0LogStream, LogIdMayBeTopLevelOrInDataButMustAgree) {
  const std::string rest = R"("type":"ss","date":"2025-10-14T08:30:00Z","user_id":"auth0|a")";
  const ParsedBatch top = parse_ok(R"([{"log_id":"T","data":{)" + rest + "}}]");
  ASSERT_EQ(top.events.size(), 1u);
  EXPECT_EQ(top.events[0].log_id, "T");
  const ParsedBatch inner = parse_ok(R"([{"data":{"log_id":"I",)" + rest + "}}]");
  ASSERT_EQ(inner.events.size(), 1u);
  EXPECT_EQ(inner.events[0].log_id, "I");
  const ParsedBatch both = parse_ok(R"([{"log_id":"S","data":{"log_id":"S",)" + rest + "}}]");
  ASSERT_EQ(both.events.size(), 1u);
  const ParsedBatch differ = parse_ok(R"([{"log_id":"S","data":{"log_id":"s",)" + rest + "}}]");
  EXPECT_TRUE(differ.events.empty());
  ASSERT_EQ(differ.rejected.size(), 1u);
  EXPECT_EQ(differ.rejected[0].reason, "log_id and data.log_id disagree");
}

TEST(Auth0LogStream, EmailSources) {
  struct Case {
    std::string extra;
    std::optional<std::string> email;
  };
  const std::string at254 = std::string(250, 'a') + "@b.c";
  const std::string at255 = std::string(251, 'a') + "@b.c";
  const std::vector<Case> cases = {
      {R"(,"user_name":"u@example.com","details":{"body":{"email":"b@example.com"}})",
       "b@example.com"},
      {R"(,"user_name":"u@example.com")", "u@example.com"},
      {R"(,"user_name":"u@example.com","details":{"body":{"email":null}})", "u@example.com"},
      {R"(,"user_name":"u@example.com","details":"opaque")", "u@example.com"},
      {R"(,"user_name":"u@example.com","details":{"body":"opaque"})", "u@example.com"},
      {R"(,"user_name":"u@example.com","details":null)", "u@example.com"},
      {R"(,"user_name":null)", std::nullopt},
      {R"(,"user_name":"someone")", std::nullopt},
      {R"(,"user_name":"a@b@example.com")", std::nullopt},
      {R"(,"user_name":"a b@example.com")", std::nullopt},
      {R"(,"user_name":"@example.com")", std::nullopt},
      {R"(,"user_name":"a@")", std::nullopt},
      {R"(,"user_name":")" + at254 + "\"", at254},
      {R"(,"user_name":")" + at255 + "\"", std::nullopt},
      // Nothing is normalised: case and plus-addressing are kept as sent.
      {R"(,"details":{"body":{"email":"Mixed.Case+tag@Example.COM"}})",
       "Mixed.Case+tag@Example.COM"},
  };
  for (const Case &c : cases) {
    const ParsedBatch b = parse_ok("[" + log_entry("e", "ss", "auth0|e", c.extra) + "]");
    ASSERT_EQ(b.events.size(), 1u) << c.extra;
    EXPECT_EQ(b.events[0].email, c.email) << c.extra;
  }
}

TEST(Auth0LogStream, StringLimitAppliesToReadFields) {
  // Fields the parser reads are bounded by max_string_bytes; fields it doesn't read are not.
  ParseLimits limits;
  limits.max_string_bytes = 24;
  const ParsedBatch b = parse_ok(
      R"([{"log_id":"1","data":{"type":"ss","date":"2025-10-14T08:30:00Z","user_id":"auth0|a","tenant_name":"aesthetic-tenant-name-xx"}},)"
      R"({"log_id":"2","data":{"type":"ss","date":"2025-10-14T08:30:00Z","user_id":"auth0|a","tenant_name":"aesthetic-tenant-name-xxx"}},)"
      R"({"log_id":"3","data":{"type":"ss","date":"2025-10-14T08:30:00Z","user_id":"auth0|a","description":"a long field that nobody reads"}}])",
      Tenant::aesthetic, limits);
  // tenant_name is optional: too long, it is dropped and the event kept.
  EXPECT_TRUE(b.rejected.empty());
  ASSERT_EQ(b.events.size(), 3u);
  EXPECT_EQ(b.events[0].tenant_name, std::optional<std::string>("aesthetic-tenant-name-xx"));
  EXPECT_EQ(b.events[1].tenant_name, std::nullopt);
  ASSERT_EQ(b.events[1].dropped.size(), 1u);
  EXPECT_EQ(b.events[1].dropped[0].reason, "data.tenant_name is longer than 24 bytes");
  EXPECT_EQ(b.events[2].log_id, "3");
}

TEST(Auth0LogStream, EventsKeepBatchOrder) {
  std::vector<std::string> entries;
  for (int i = 0; i < 50; ++i) {
    entries.push_back(log_entry("id" + std::to_string(49 - i), i % 2 ? "sv" : "ss", "auth0|z"));
  }
  const ParsedBatch b = parse_ok(as_lines(entries));
  ASSERT_EQ(b.events.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(b.events[i].log_id, "id" + std::to_string(49 - i));
}

// Issue 13: a problem inside one entry of a well-formed body costs only that entry, in all three
// payload shapes; the rejection keeps the entry's bytes exactly as posted.
struct EntryProblemCase {
  const char *name;
  std::string entry;
  const char *kind;
};

std::vector<EntryProblemCase> entry_problem_cases() {
  return {
      // The finding: an ignored `fp` entry whose user_name is a lone high surrogate.
      {"lone high surrogate in an ignored entry",
       log_entry("bad-1", "fp", "auth0|x", R"(,"user_name":"\ud83d")"), "invalid_text"},
      {"high surrogate then a letter",
       log_entry("bad-1", "fp", "auth0|x", R"(,"user_name":"\ud83d\u0041")"), "invalid_text"},
      {"lone low surrogate in a key", log_entry("bad-1", "fp", "auth0|x", R"(,"\udfff":1)"),
       "invalid_text"},
      {"reversed surrogate pair",
       log_entry("bad-1", "ss", "auth0|x", R"(,"user_name":"\ude00\ud83d")"), "invalid_text"},
      {"raw invalid byte", log_entry("bad-1", "fp", "auth0|x", ",\"user_name\":\"\xFF\""),
       "invalid_text"},
      {"overlong encoding", log_entry("bad-1", "ss", "auth0|x", ",\"user_name\":\"\xC0\xAF\""),
       "invalid_text"},
      {"raw surrogate bytes", log_entry("bad-1", "ss", "auth0|x", ",\"x\":\"\xED\xA0\x80\""),
       "invalid_text"},
      {"too deep", log_entry("bad-1", "ss", "auth0|x", ",\"x\":" + nested(40, '[', ']')),
       "too_deep"},
      {"too deep objects", nested_objects(5000), "too_deep"},
      {"a number", "5", "not_object"},
      {"an array", "[1,2]", "not_object"},
      {"a string", R"("ss")", "not_object"},
      {"missing user_id",
       R"({"log_id":"bad-1","data":{"type":"ss","date":"2025-10-14T08:30:00Z"}})", "invalid_field"},
  };
}

TEST(Auth0LogStream, AProblemInsideOneEntryCostsOnlyThatEntryInEveryShape) {
  const std::string good_ss = log_entry("good-ss", "ss", "auth0|p");
  const std::string good_sv = log_entry("good-sv", "sv", "auth0|p");
  for (const EntryProblemCase &c : entry_problem_cases()) {
    const std::vector<std::string> entries = {good_ss, c.entry, good_sv};
    for (const std::string &body : {as_array(entries), as_lines(entries), as_wrapped(entries)}) {
      const ParsedBatch b = parse_ok(body);
      ASSERT_EQ(b.total, 3u) << c.name << ": " << body.substr(0, 120);
      ASSERT_EQ(b.events.size(), 2u) << c.name;
      EXPECT_EQ(b.events[0].log_id, "good-ss") << c.name;
      EXPECT_EQ(b.events[1].log_id, "good-sv") << c.name;
      ASSERT_EQ(b.rejected.size(), 1u) << c.name;
      EXPECT_EQ(b.rejected[0].index, 1u) << c.name;
      EXPECT_EQ(b.rejected[0].kind, c.kind) << c.name << ": " << b.rejected[0].reason;
      EXPECT_EQ(b.rejected[0].text, c.entry) << c.name;
    }
  }
}

TEST(Auth0LogStream, DepthCountsFromTheBodysTop) {
  // 32 levels anywhere: an entry of an array may nest 31 levels, of a "logs" array 30, a JSON
  // line 32.
  auto entry_of_depth = [](std::size_t depth) {
    return log_entry("d", "ss", "auth0|d", ",\"x\":" + nested(depth - 2, '[', ']'));
  };
  EXPECT_EQ(parse_ok(as_array({entry_of_depth(31)})).events.size(), 1u);
  EXPECT_EQ(parse_ok(as_array({entry_of_depth(32)})).rejected.size(), 1u);
  EXPECT_EQ(parse_ok(as_wrapped({entry_of_depth(30)})).events.size(), 1u);
  EXPECT_EQ(parse_ok(as_wrapped({entry_of_depth(31)})).rejected.size(), 1u);
  EXPECT_EQ(parse_ok(as_lines({entry_of_depth(32), entry_of_depth(33)})).rejected.size(), 1u);
  // 100k levels parse without recursion, and cost only their entry.
  const ParsedBatch deep = parse_ok(nested(100000, '[', ']'));
  ASSERT_EQ(deep.rejected.size(), 1u);
  EXPECT_EQ(deep.rejected[0].kind, "too_deep");
}

TEST(Auth0LogStream, UnusableOptionalFieldsAreDroppedAndTheEventKept) {
  struct Case {
    std::string extra;
    const char *field;
    std::optional<std::string> email;
  };
  const std::vector<Case> cases = {
      {R"(,"user_name":"p@example.com","details":{"body":{"email":5}})", "data.details.body.email",
       "p@example.com"},
      {R"(,"details":{"body":{"email":{"$gt":""}}})", "data.details.body.email", std::nullopt},
      {R"(,"details":{"body":{"email":"nobody"}})", "data.details.body.email", std::nullopt},
      {R"(,"details":{"body":{"email":"a@b@c"}})", "data.details.body.email", std::nullopt},
      {R"(,"user_name":["x@y.z"])", "data.user_name", std::nullopt},
      {R"(,"user_name":7,"details":{"body":{"email":"q@example.com"}})", "data.user_name",
       "q@example.com"},
  };
  for (const Case &c : cases) {
    const std::string entry =
        R"({"log_id":"o1","data":{"type":"ss","date":"2025-10-14T08:30:00Z","user_id":"auth0|o")" +
        c.extra + "}}";
    const ParsedBatch b = parse_ok(as_array({entry}));
    ASSERT_EQ(b.events.size(), 1u) << c.extra;
    EXPECT_TRUE(b.rejected.empty()) << c.extra;
    EXPECT_EQ(b.events[0].email, c.email) << c.extra;
    ASSERT_EQ(b.events[0].dropped.size(), 1u) << c.extra;
    EXPECT_EQ(b.events[0].dropped[0].field, c.field) << c.extra;
  }
  // tenant_name of another type is dropped; one naming the other tenant still rejects.
  const ParsedBatch numeric = parse_ok(
      R"([{"log_id":"t2","data":{"type":"ss","date":"2025-10-14T08:30:00Z","user_id":"auth0|t","tenant_name":5}}])");
  ASSERT_EQ(numeric.events.size(), 1u);
  EXPECT_EQ(numeric.events[0].dropped.at(0).field, "data.tenant_name");
}

TEST(Auth0LogStream, TheBodyLimitIsOneMebibyteAndNamedAsSuch) {
  EXPECT_EQ(acid::auth0::kMaxLogStreamBodyBytes, std::size_t{1} << 20);
  EXPECT_EQ(ParseLimits{}.max_body_bytes, acid::auth0::kMaxLogStreamBodyBytes);
  std::string at_limit = "[" + std::string(acid::auth0::kMaxLogStreamBodyBytes - 2, ' ') + "]";
  EXPECT_TRUE(parse_log_stream(at_limit, Tenant::aesthetic).is_ok());
  auto over = parse_log_stream(at_limit + " ", Tenant::aesthetic);
  ASSERT_FALSE(over.is_ok());
  EXPECT_TRUE(acid::auth0::is_too_large(over.error()));
  auto bad = parse_log_stream("nope", Tenant::aesthetic);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_FALSE(acid::auth0::is_too_large(bad.error()));
}

TEST(Auth0LogStream, StoredLogIdsAreNamespacedPerTenant) {
  using acid::auth0::stored_log_id;
  EXPECT_EQ(stored_log_id(Tenant::aesthetic, "900"), "auth0:aesthetic:900");
  EXPECT_EQ(stored_log_id(Tenant::sotce, "900"), "auth0:sotce:900");
  EXPECT_NE(stored_log_id(Tenant::aesthetic, "900"), stored_log_id(Tenant::sotce, "900"));
  // A posted id shaped like a synthetic one stays in the posted namespace.
  EXPECT_EQ(stored_log_id(Tenant::aesthetic, "acid:delete:auth0|a").rfind("acid:", 0),
            std::string::npos);
}

TEST(Auth0LogStream, TypeLabelsAreAFixedSet) {
  using acid::auth0::type_label;
  for (std::string_view t : {"ss", "sv", "sce", "sdu", "s", "fp", "slo"})
    EXPECT_EQ(type_label(t), t);
  EXPECT_EQ(type_label("made-up-by-a-sender"), "other");
  EXPECT_EQ(type_label(""), "other");
  EXPECT_EQ(type_label(std::string(60, 'x')), "other");
}

}  // namespace
