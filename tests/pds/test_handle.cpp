#include "pds/handle.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace acid::pds {
namespace {

constexpr std::string_view kDomain = "at.aesthetic.computer";
constexpr std::string_view kCode = "ac25nayad";

// Fixture lines verbatim (spaces are part of some vectors); '#' and empty lines skipped.
std::vector<std::string> read_vectors(const std::string &name) {
  const std::string path = std::string(ACID_SOURCE_DIR) + "/tests/pds/fixtures/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.is_open()) << "cannot open " << path;
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    out.push_back(line);
  }
  return out;
}

std::string reason_of(const Status &s) {
  return s.is_ok() ? "" : s.error().detail_json;
}

TEST(HandleSyntax, OfficialValidVectors) {
  const auto vectors = read_vectors("handle_syntax_valid.txt");
  ASSERT_EQ(vectors.size(), 71u);
  for (const auto &h : vectors) {
    Status s = validate_atproto_handle(h);
    EXPECT_TRUE(s.is_ok()) << "rejected valid handle '" << h << "': " << s.error().message;
    EXPECT_TRUE(is_valid_atproto_handle(h)) << h;
  }
}

TEST(HandleSyntax, OfficialInvalidVectors) {
  const auto vectors = read_vectors("handle_syntax_invalid.txt");
  ASSERT_EQ(vectors.size(), 48u);
  for (const auto &h : vectors) {
    Status s = validate_atproto_handle(h);
    EXPECT_FALSE(s.is_ok()) << "accepted invalid handle '" << h << "'";
    EXPECT_EQ(s.code(), Code::invalid) << h;
    EXPECT_FALSE(is_valid_atproto_handle(h)) << h;
  }
}

TEST(HandleSyntax, ReasonsAndLimits) {
  EXPECT_EQ(reason_of(validate_atproto_handle("")), R"({"reason":"empty"})");
  EXPECT_EQ(reason_of(validate_atproto_handle("john")), R"({"reason":"too few labels"})");
  EXPECT_EQ(reason_of(validate_atproto_handle("cn.8")), R"({"reason":"tld"})");
  EXPECT_EQ(reason_of(validate_atproto_handle("b\xc3\xbc"
                                              "cher.test")),
            R"({"reason":"not ascii"})");
  EXPECT_EQ(reason_of(validate_atproto_handle("jo_hn.test")), R"({"reason":"label"})");

  std::string total = "a." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                      std::string(63, 'd') + "." + std::string(59, 'e');
  ASSERT_EQ(total.size(), 253u);
  EXPECT_TRUE(is_valid_atproto_handle(total));
  EXPECT_EQ(reason_of(validate_atproto_handle(total + "e")), R"({"reason":"too long"})");
  EXPECT_TRUE(is_valid_atproto_handle(std::string(63, 'a') + ".test"));
  EXPECT_FALSE(is_valid_atproto_handle(std::string(64, 'a') + ".test"));
}

TEST(HandleSyntax, DisallowedTlds) {
  for (const char *h :
       {"laptop.local", "laptop.arpa", "x.invalid", "x.localhost", "x.internal", "x.example",
        "x.alt", "friend.expyuzz4wqqyqhjn.onion", "LAPTOP.LOCAL", "local"}) {
    EXPECT_TRUE(has_disallowed_tld(h)) << h;
  }
  for (const char *h : {"john.test", "notlocal.com", "x.localx", "onion.com", "x.alto", "xlocal"}) {
    EXPECT_FALSE(has_disallowed_tld(h)) << h;
  }
}

TEST(AcHandle, Valid) {
  for (const char *h : {"a", "jeffrey", "a.b", "a_b", "A1_b2.C3", "JEFFREY", "@jeffrey", "43",
                        "0123456789abcdef", "@0123456789abcdef"}) {
    Status s = validate_ac_handle(h);
    EXPECT_TRUE(s.is_ok()) << h << ": " << s.error().message;
  }
}

TEST(AcHandle, InvalidVersusTooLong) {
  for (const char *h : {"", "@", "@@43", "_a", "a_", ".a", "a.", "a..b", "a._b", "a__b", "a-b",
                        "a b", " a", "a@b", "caf\xc3\xa9", "a\tb"}) {
    Status s = validate_ac_handle(h);
    ASSERT_FALSE(s.is_ok()) << "accepted '" << h << "'";
    EXPECT_EQ(s.code(), Code::invalid);
    EXPECT_EQ(s.error().detail_json, R"({"reason":"invalid"})") << h;
  }
  // 16 characters is the maximum, 17 is "too long".
  EXPECT_TRUE(validate_ac_handle("abcdefgh.ijklmno").is_ok());
  Status long17 = validate_ac_handle("abcdefgh.ijklmnop");
  ASSERT_FALSE(long17.is_ok());
  EXPECT_EQ(long17.error().detail_json, R"({"reason":"too long"})");
  EXPECT_NE(long17.error().message.find("17"), std::string::npos) << long17.error().message;
  // The `@` does not count towards the length.
  EXPECT_TRUE(validate_ac_handle("@abcdefghijklmnop").is_ok());
  EXPECT_EQ(reason_of(validate_ac_handle("@abcdefghijklmnopq")), R"({"reason":"too long"})");
  // The syntax is checked first, as deployed: a bad 17-character string is "invalid".
  EXPECT_EQ(reason_of(validate_ac_handle("abcdefgh-ijklmnop")), R"({"reason":"invalid"})");
}

TEST(AcHandle, NormalizeForUniqueness) {
  EXPECT_EQ(normalize_ac_handle("@JeFFrey"), "jeffrey");
  EXPECT_EQ(normalize_ac_handle("JEFFREY"), normalize_ac_handle("jeffrey"));
  EXPECT_EQ(normalize_ac_handle("A.b_C"), "a.b_c");
  EXPECT_EQ(normalize_ac_handle("@@x"), "@x");                        // only one `@` is stripped
  EXPECT_NE(normalize_ac_handle("a.b"), normalize_ac_handle("a_b"));  // distinct on AC
  EXPECT_EQ(strip_leading_at("@43"), "43");
  EXPECT_EQ(strip_leading_at("43"), "43");
}

TEST(PdsLabel, Mapping) {
  EXPECT_EQ(pds_label_for("jeffrey"), "jeffrey");
  EXPECT_EQ(pds_label_for("@Jeffrey"), "jeffrey");
  EXPECT_EQ(pds_label_for("JEFFREY"), "jeffrey");
  EXPECT_EQ(pds_label_for("A1_b2.C3"), "a1-b2-c3");
  // Distinct AC handles collide on one label: uniqueness must be checked on the label too.
  EXPECT_EQ(pds_label_for("a.b"), "a-b");
  EXPECT_EQ(pds_label_for("a_b"), "a-b");
  EXPECT_EQ(pds_label_for("a.b"), pds_label_for("a_b"));
  // Reserved names are syntactically fine: only the PDS knows its reserved list.
  EXPECT_EQ(pds_label_for("admin"), "admin");
}

TEST(PdsLabel, Unusable) {
  EXPECT_EQ(pds_label_for("@43"), std::nullopt);  // 2 characters: under 3
  EXPECT_EQ(pds_label_for("ab"), std::nullopt);
  EXPECT_EQ(pds_label_for("a"), std::nullopt);
  EXPECT_EQ(pds_label_for("abc"), "abc");         // 3 is the minimum
  EXPECT_EQ(pds_label_for("a-b"), std::nullopt);  // invalid on AC
  EXPECT_EQ(pds_label_for("a..b"), std::nullopt);
  EXPECT_EQ(pds_label_for(""), std::nullopt);
  // 16 characters map to a 16-character label; 17+ are not AC handles, so a label of 17-19
  // characters (the PDS allows up to 18) can never come out.
  EXPECT_EQ(pds_label_for("abcdefgh_ijklmno"), "abcdefgh-ijklmno");
  EXPECT_EQ(pds_label_for("abcdefgh_ijklmnop"), std::nullopt);
  EXPECT_EQ(pds_label_for("abcdefghijklmnopqr"), std::nullopt);
  EXPECT_EQ(pds_label_for("abcdefghijklmnopqrs"), std::nullopt);
  for (std::size_t n = 1; n <= 40; ++n) {
    const auto label = pds_label_for(std::string(n, 'x'));
    if (n >= 3 && n <= 16) {
      ASSERT_TRUE(label.has_value()) << n;
      EXPECT_EQ(label->size(), n);
    } else {
      EXPECT_EQ(label, std::nullopt) << n;
    }
  }
}

TEST(HandleDomain, Valid) {
  for (const char *d :
       {"at.aesthetic.computer", "at.aesthetic.test", "test", "AT.Aesthetic.Computer", "a-b.c0m"}) {
    Status s = validate_handle_domain(d);
    EXPECT_TRUE(s.is_ok()) << d << ": " << s.error().message;
  }
}

TEST(HandleDomain, Invalid) {
  EXPECT_EQ(reason_of(validate_handle_domain("")), R"({"reason":"empty"})");
  EXPECT_EQ(reason_of(validate_handle_domain(".at.aesthetic.computer")),
            R"({"reason":"leading dot"})");
  EXPECT_EQ(reason_of(validate_handle_domain("aesthetic.local")), R"({"reason":"disallowed tld"})");
  EXPECT_EQ(reason_of(validate_handle_domain("x.onion")), R"({"reason":"disallowed tld"})");
  EXPECT_EQ(reason_of(validate_handle_domain("at.123")), R"({"reason":"tld"})");
  for (const char *d : {"at.aesthetic.computer.", "at..computer", "-at.computer", "at.computer-",
                        "at_x.computer", "at x.computer", "https://at.aesthetic.computer",
                        "\xc3\xbc"
                        "nicode.com",
                        "at.aesthetic.computer/"}) {
    Status s = validate_handle_domain(d);
    EXPECT_FALSE(s.is_ok()) << "accepted '" << d << "'";
    EXPECT_EQ(s.code(), Code::invalid) << d;
  }
  // Room for an 18-character label and its dot: at most 234 characters.
  std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                        std::string(63, 'c') + "." + std::string(42, 'd');
  ASSERT_EQ(longest.size(), 234u);
  EXPECT_TRUE(validate_handle_domain(longest).is_ok());
  EXPECT_EQ(reason_of(validate_handle_domain(longest + "d")), R"({"reason":"too long"})");
}

TEST(FallbackHandle, CodeAndDomain) {
  auto h = fallback_handle(kCode, kDomain);
  ASSERT_TRUE(h.is_ok()) << h.error().message;
  EXPECT_EQ(*h, "ac25nayad.at.aesthetic.computer");
  auto upper_domain = fallback_handle(kCode, "AT.Aesthetic.Computer");
  ASSERT_TRUE(upper_domain.is_ok());
  EXPECT_EQ(*upper_domain, "ac25nayad.at.aesthetic.computer");

  for (const char *code : {"", "AC25NAYAD", "ac25nayadx", "ac25naya", "ac2xnayad", "ac25naya1",
                           "bc25nayad", "ac25naYad", "ac25nayad."}) {
    auto r = fallback_handle(code, kDomain);
    EXPECT_FALSE(r.is_ok()) << "accepted code '" << code << "'";
    EXPECT_EQ(r.code(), Code::invalid) << code;
  }
  auto bad_domain = fallback_handle(kCode, ".at.aesthetic.computer");
  ASSERT_FALSE(bad_domain.is_ok());
  EXPECT_EQ(bad_domain.error().detail_json, R"({"reason":"leading dot"})");
}

TEST(ChoosePdsHandle, Preferred) {
  auto c = choose_pds_handle("jeffrey", kCode, kDomain);
  ASSERT_TRUE(c.is_ok()) << c.error().message;
  EXPECT_EQ(c->handle, "jeffrey.at.aesthetic.computer");
  EXPECT_FALSE(c->is_fallback);
  EXPECT_TRUE(c->reason.empty());
  EXPECT_TRUE(is_valid_atproto_handle(c->handle));

  auto upper = choose_pds_handle("@JeFFrey", kCode, "AT.AESTHETIC.COMPUTER");
  ASSERT_TRUE(upper.is_ok());
  EXPECT_EQ(upper->handle, "jeffrey.at.aesthetic.computer");

  auto dotted = choose_pds_handle("a.b", kCode, kDomain);
  auto underscored = choose_pds_handle("a_b", kCode, kDomain);
  ASSERT_TRUE(dotted.is_ok() && underscored.is_ok());
  EXPECT_EQ(dotted->handle, "a-b.at.aesthetic.computer");
  EXPECT_EQ(dotted->handle, underscored->handle);

  auto sixteen = choose_pds_handle("abcdefgh.ijklmno", kCode, "at.aesthetic.test");
  ASSERT_TRUE(sixteen.is_ok());
  EXPECT_EQ(sixteen->handle, "abcdefgh-ijklmno.at.aesthetic.test");
  EXPECT_FALSE(sixteen->is_fallback);
}

TEST(ChoosePdsHandle, FallbackToCode) {
  // The deployed incident: `@43` became ac25nayad.at.aesthetic.computer.
  auto short_handle = choose_pds_handle("@43", kCode, kDomain);
  ASSERT_TRUE(short_handle.is_ok());
  EXPECT_EQ(short_handle->handle, "ac25nayad.at.aesthetic.computer");
  EXPECT_TRUE(short_handle->is_fallback);
  EXPECT_NE(short_handle->reason.find("shorter than 3"), std::string::npos) << short_handle->reason;

  auto none = choose_pds_handle(std::nullopt, kCode, kDomain);
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(none->handle, "ac25nayad.at.aesthetic.computer");
  EXPECT_TRUE(none->is_fallback);
  EXPECT_EQ(none->reason, "no AC handle");

  auto invalid_ac = choose_pds_handle("bad..handle", kCode, kDomain);
  ASSERT_TRUE(invalid_ac.is_ok());
  EXPECT_TRUE(invalid_ac->is_fallback);
  EXPECT_NE(invalid_ac->reason.find("invalid AC handle"), std::string::npos) << invalid_ac->reason;

  auto seventeen = choose_pds_handle("abcdefgh.ijklmnop", kCode, kDomain);
  ASSERT_TRUE(seventeen.is_ok());
  EXPECT_TRUE(seventeen->is_fallback);
  EXPECT_NE(seventeen->reason.find("too long"), std::string::npos) << seventeen->reason;
}

TEST(ChoosePdsHandle, BadInputIsAnError) {
  auto bad_code = choose_pds_handle("jeffrey", "nope", kDomain);
  ASSERT_FALSE(bad_code.is_ok());
  EXPECT_EQ(bad_code.code(), Code::invalid);
  EXPECT_EQ(bad_code.error().detail_json, R"({"reason":"code"})");

  auto bad_domain = choose_pds_handle("jeffrey", kCode, "aesthetic.local");
  ASSERT_FALSE(bad_domain.is_ok());
  EXPECT_EQ(bad_domain.code(), Code::invalid);
}

TEST(FallbackTrigger, DeployedMessages) {
  // Messages as the PDS sends them (see the error table in reference/pds.md).
  for (const char *m : {"Reserved handle", "Invalid handle (got \"bad_handle.test\") at $.handle",
                        "Input/handle must be a valid handle", "Handle too short",
                        "Handle already taken: alice.test"}) {
    EXPECT_TRUE(message_requests_fallback(m)) << m;
  }
  for (const char *m :
       {"", "Handle too long", "Invalid characters in handle", "Not a supported handle domain",
        "Handle TLD is invalid or disallowed", "Email already taken: ALICE@example.com",
        "Token has expired", "reserved handle", "Inappropriate language in handle"}) {
    EXPECT_FALSE(message_requests_fallback(m)) << m;
  }
}

TEST(FallbackTrigger, ReservedNameFlow) {
  // `admin` is a fine label; the PDS refuses it as reserved, and that answer moves us to the code.
  auto first = choose_pds_handle("admin", kCode, kDomain);
  ASSERT_TRUE(first.is_ok());
  EXPECT_FALSE(first->is_fallback);
  EXPECT_EQ(first->handle, "admin.at.aesthetic.computer");
  ASSERT_TRUE(message_requests_fallback("Reserved handle"));
  auto second = fallback_handle(kCode, kDomain);
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(*second, "ac25nayad.at.aesthetic.computer");
  EXPECT_NE(*second, first->handle);
}

}  // namespace
}  // namespace acid::pds
