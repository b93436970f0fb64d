#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/base64.h"
#include "core/random.h"

namespace acid {
namespace {

struct Vector {
  std::string plain;
  std::string standard;
};

// RFC 4648 section 10.
const std::vector<Vector> kRfcVectors = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

std::string strip_padding(std::string s) {
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

TEST(Base64, Rfc4648Vectors) {
  for (const auto &v : kRfcVectors) {
    EXPECT_EQ(base64::encode(v.plain), v.standard) << v.plain;
    auto d = base64::decode(v.standard);
    ASSERT_TRUE(d.is_ok()) << v.standard << ": " << d.error().message;
    EXPECT_EQ(*d, v.plain);
    // The url alphabet agrees on these letters; it only drops the padding.
    EXPECT_EQ(base64::encode_url(v.plain), strip_padding(v.standard));
    auto du = base64::decode_url(strip_padding(v.standard));
    ASSERT_TRUE(du.is_ok()) << v.standard;
    EXPECT_EQ(*du, v.plain);
  }
}

TEST(Base64, AlphabetsDifferOnlyInTheLastTwoLetters) {
  const std::string bytes = "\xfb\xff";
  EXPECT_EQ(base64::encode(bytes), "+/8=");
  EXPECT_EQ(base64::encode_url(bytes), "-_8");
  EXPECT_EQ(*base64::decode("+/8="), bytes);
  EXPECT_EQ(*base64::decode_url("-_8"), bytes);
  EXPECT_EQ(base64::decode("-_8=").code(), Code::invalid);
  EXPECT_EQ(base64::decode_url("+/8").code(), Code::invalid);
}

TEST(Base64, SpanAndStringOverloadsAgree) {
  const std::vector<std::uint8_t> bytes = {0, 1, 2, 250, 251, 252, 253, 254, 255};
  const std::string s(bytes.begin(), bytes.end());
  EXPECT_EQ(base64::encode(bytes), base64::encode(s));
  EXPECT_EQ(base64::encode_url(bytes), base64::encode_url(s));
}

TEST(Base64, RandomRoundTripsEveryLength) {
  for (std::size_t n = 0; n <= 100; ++n) {
    std::vector<std::uint8_t> bytes(n);
    ASSERT_TRUE(random_bytes(bytes).is_ok());
    const std::string raw(bytes.begin(), bytes.end());
    const std::string e = base64::encode(raw);
    EXPECT_EQ(e.size() % 4, 0u);
    auto d = base64::decode(e);
    ASSERT_TRUE(d.is_ok()) << e;
    EXPECT_EQ(*d, raw);
    const std::string u = base64::encode_url(raw);
    EXPECT_EQ(u.find_first_of("+/="), std::string::npos);
    auto du = base64::decode_url(u);
    ASSERT_TRUE(du.is_ok()) << u;
    EXPECT_EQ(*du, raw);
  }
}

TEST(Base64, StandardDecodingIsStrict) {
  const std::vector<std::string> bad = {
      "Zm9v\n",   " Zm9v",    "Zm9v ", "Zm 9v", "Zm9\tv",   "Zm9v!",    "Zm9v\r\n",
      "Zg=",      "Zg",       "Zg===", "Z===",  "====",     "=Zg=",     "Zm=v",
      "Zm9v====", "Zg==Zg==", "Zh==",  "Zm9=",  "Zm9vYh==", "Zm9vYmF=", "Zm\0v",
  };
  for (const auto &b : bad) {
    auto d = base64::decode(b);
    EXPECT_EQ(d.code(), Code::invalid) << "accepted: " << b;
  }
  // The strings above with a NUL need an explicit length.
  EXPECT_EQ(base64::decode(std::string_view("Zm\0v", 4)).code(), Code::invalid);
}

TEST(Base64, UrlDecodingIsStrict) {
  const std::vector<std::string> bad = {
      "Zg==", "Zm8=", "Zm9vY", "Z", "Zh", "Zm9", "Zm9v\n", " Zm9v", "Zm+v", "Zm/v", "Zm9v=",
  };
  for (const auto &b : bad) {
    EXPECT_EQ(base64::decode_url(b).code(), Code::invalid) << "accepted: " << b;
  }
}

TEST(Base64, ErrorsNameTheOffsetNotTheInput) {
  const std::string secret = "c2VjcmV0LXRleHQ!";
  auto d = base64::decode(secret);
  ASSERT_EQ(d.code(), Code::invalid);
  EXPECT_EQ(d.error().message.find(secret), std::string::npos);
  EXPECT_EQ(d.error().message.find("c2Vj"), std::string::npos);
  EXPECT_NE(d.error().message.find("15"), std::string::npos) << d.error().message;
}

}  // namespace
}  // namespace acid
