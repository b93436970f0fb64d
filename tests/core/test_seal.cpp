#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/base64.h"
#include "core/random.h"
#include "core/seal.h"

namespace acid::seal {
namespace {

std::string random_key_b64(std::size_t n = kKeySize) {
  std::vector<std::uint8_t> bytes(n);
  EXPECT_TRUE(random_bytes(bytes).is_ok());
  return base64::encode(bytes);
}

KeyRing ring_of(const std::string &spec) {
  auto r = KeyRing::parse(spec);
  EXPECT_TRUE(r.is_ok()) << r.error().message;
  return std::move(r).value();
}

const std::string kAad = context_aad("auth0|63f1a", "atproto.password");

// An independent AES-256-GCM opening of the documented format, straight on EVP: proves the
// layout (header, base64url, nonce || ciphertext || tag, AAD = header + context).
std::optional<std::string> open_by_the_spec(const std::string &key_b64, const std::string &sealed,
                                            const std::string &aad) {
  const std::size_t last_colon = sealed.rfind(':');
  const std::string header = sealed.substr(0, last_colon + 1);
  const std::string payload = *base64::decode_url(sealed.substr(last_colon + 1));
  const std::string key = *base64::decode(key_b64);
  const auto *p = reinterpret_cast<const unsigned char *>(payload.data());
  const std::size_t n = payload.size() - 12 - 16;
  std::string plain(n, '\0');
  std::array<unsigned char, 16> tag{};
  std::copy(p + 12 + n, p + payload.size(), tag.begin());
  const std::string full_aad = header + aad;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                               reinterpret_cast<const unsigned char *>(key.data()), p) == 1;
  ok = ok && EVP_DecryptUpdate(ctx, nullptr, &len,
                               reinterpret_cast<const unsigned char *>(full_aad.data()),
                               static_cast<int>(full_aad.size())) == 1;
  if (n > 0) {
    ok = ok && EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char *>(plain.data()), &len, p + 12,
                                 static_cast<int>(n)) == 1;
  }
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1;
  unsigned char tail[16];
  ok = ok && EVP_DecryptFinal_ex(ctx, tail, &len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return std::nullopt;
  return plain;
}

TEST(Seal, RoundTrip) {
  const KeyRing ring = ring_of("k1=" + random_key_b64());
  const std::vector<std::string> plaintexts = {"",
                                               "x",
                                               "correct horse battery staple",
                                               std::string("nul\0inside", 10),
                                               std::string(1000, 'p'),
                                               "\xff\xfe unicode \xc3\xa9"};
  for (const auto &plain : plaintexts) {
    auto sealed = seal(ring, plain, kAad);
    ASSERT_TRUE(sealed.is_ok()) << sealed.error().message;
    EXPECT_EQ(sealed->rfind("acid:v1:k1:", 0), 0u) << *sealed;
    EXPECT_TRUE(is_sealed(*sealed));
    EXPECT_FALSE(needs_reseal(ring, *sealed));
    EXPECT_EQ(sealed_key_id(*sealed), std::optional<std::string_view>("k1"));
    if (plain.size() > 4) {
      EXPECT_EQ(sealed->find(plain), std::string::npos);
    }
    auto opened = unseal(ring, *sealed, kAad);
    ASSERT_TRUE(opened.is_ok()) << opened.error().message;
    EXPECT_EQ(*opened, plain);
  }
}

TEST(Seal, FormatIsAsDocumented) {
  const std::string key = random_key_b64();
  const KeyRing ring = ring_of("prod-2025_a=" + key);
  const std::string plain = "pds-password-1234";
  auto sealed = seal(ring, plain, kAad);
  ASSERT_TRUE(sealed.is_ok());
  const std::string prefix = "acid:v1:prod-2025_a:";
  ASSERT_EQ(sealed->rfind(prefix, 0), 0u);
  const std::string body = sealed->substr(prefix.size());
  EXPECT_EQ(
      body.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  auto payload = base64::decode_url(body);
  ASSERT_TRUE(payload.is_ok());
  EXPECT_EQ(payload->size(), kNonceSize + plain.size() + kTagSize);
  EXPECT_EQ(open_by_the_spec(key, *sealed, kAad), std::optional<std::string>(plain));
  // Without the header in the AAD the tag does not verify: the header is bound.
  EXPECT_EQ(open_by_the_spec(key, *sealed, "x"), std::nullopt);
}

TEST(Seal, TamperingWithAnyCharacterIsRefused) {
  const KeyRing ring = ring_of("k1=" + random_key_b64() + ",k2=" + random_key_b64());
  auto sealed = seal(ring, "a PDS password of some length", kAad);
  ASSERT_TRUE(sealed.is_ok());
  const std::string good = *sealed;
  const std::string replacements = "Aa0-_z9Q:!=.";
  int tried = 0;
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (const char r : replacements) {
      if (r == good[i]) continue;
      std::string bad = good;
      bad[i] = r;
      auto opened = unseal(ring, bad, kAad);
      ASSERT_FALSE(opened.is_ok()) << "position " << i << " -> '" << r << "' was accepted";
      ++tried;
    }
    // Flipping the low bit of every byte, whatever it turns into.
    std::string flipped = good;
    flipped[i] = static_cast<char>(flipped[i] ^ 1);
    ASSERT_FALSE(unseal(ring, flipped, kAad).is_ok()) << "bit flip at " << i;
  }
  EXPECT_GT(tried, static_cast<int>(good.size()) * 10);
  for (std::size_t n = 0; n < good.size(); ++n) {
    ASSERT_FALSE(unseal(ring, good.substr(0, n), kAad).is_ok()) << "truncated to " << n;
  }
  EXPECT_FALSE(unseal(ring, good + "A", kAad).is_ok());
  EXPECT_FALSE(unseal(ring, good + "AAAA", kAad).is_ok());
  EXPECT_TRUE(unseal(ring, good, kAad).is_ok());  // the original still opens
}

TEST(Seal, PayloadTamperingReportsAuthenticationFailure) {
  const KeyRing ring = ring_of("k1=" + random_key_b64());
  auto sealed = seal(ring, "secret", kAad);
  ASSERT_TRUE(sealed.is_ok());
  const std::size_t body = std::string("acid:v1:k1:").size();
  for (std::size_t i = body; i + 1 < sealed->size();
       ++i) {  // the last char may become non-canonical
    std::string bad = *sealed;
    bad[i] = bad[i] == 'B' ? 'C' : 'B';
    auto opened = unseal(ring, bad, kAad);
    ASSERT_EQ(opened.code(), Code::store) << i;
    EXPECT_EQ(opened.error().message, "credential failed authentication") << i;
  }
}

TEST(Seal, WrongContextIsRefused) {
  const KeyRing ring = ring_of(random_key_b64());
  auto sealed = seal(ring, "hunter2", context_aad("auth0|alice", "atproto.password"));
  ASSERT_TRUE(sealed.is_ok());
  for (const auto &aad : {context_aad("auth0|bob", "atproto.password"),
                          context_aad("auth0|alice", "atproto.intent_password"), std::string(),
                          std::string("auth0|alice")}) {
    auto opened = unseal(ring, *sealed, aad);
    ASSERT_EQ(opened.code(), Code::store);
    EXPECT_EQ(opened.error().message, "credential failed authentication");
  }
  EXPECT_TRUE(unseal(ring, *sealed, context_aad("auth0|alice", "atproto.password")).is_ok());
}

TEST(Seal, ContextIsUnambiguous) {
  EXPECT_NE(context_aad("ab", "c"), context_aad("a", "bc"));
  EXPECT_NE(context_aad("a:b", "c"), context_aad("a", "b:c"));
  EXPECT_NE(context_aad("", "ab"), context_aad("ab", ""));
  EXPECT_NE(context_aad("1:a", ""), context_aad("", "1:a"));
  EXPECT_EQ(context_aad("s", "f"), context_aad("s", "f"));
}

TEST(Seal, RelabelledKeyIdIsRefused) {
  // Both keys in the ring: moving a value to the other id must not open it.
  const KeyRing ring = ring_of("k1=" + random_key_b64() + ",k2=" + random_key_b64());
  auto sealed = seal(ring, "hunter2", kAad);
  ASSERT_TRUE(sealed.is_ok());
  std::string relabelled = *sealed;
  relabelled.replace(0, 11, "acid:v1:k2:");
  EXPECT_EQ(unseal(ring, relabelled, kAad).code(), Code::store);
}

TEST(Seal, SameIdOtherKeyIsRefused) {
  const KeyRing a = ring_of("k1=" + random_key_b64());
  const KeyRing b = ring_of("k1=" + random_key_b64());
  auto sealed = seal(a, "hunter2", kAad);
  ASSERT_TRUE(sealed.is_ok());
  auto opened = unseal(b, *sealed, kAad);
  ASSERT_EQ(opened.code(), Code::store);
  EXPECT_EQ(opened.error().message, "credential failed authentication");
}

TEST(Seal, Rotation) {
  const std::string old_key = random_key_b64();
  const std::string new_key = random_key_b64();
  const KeyRing old_ring = ring_of("old=" + old_key);
  auto sealed_old = seal(old_ring, "legacy-pw", kAad);
  ASSERT_TRUE(sealed_old.is_ok());

  const KeyRing rotated = ring_of("new=" + new_key + ",old=" + old_key);
  EXPECT_EQ(rotated.primary_id(), "new");
  EXPECT_EQ(rotated.ids(), (std::vector<std::string>{"new", "old"}));
  auto opened = unseal(rotated, *sealed_old, kAad);
  ASSERT_TRUE(opened.is_ok()) << opened.error().message;
  EXPECT_EQ(*opened, "legacy-pw");
  EXPECT_TRUE(needs_reseal(rotated, *sealed_old));
  EXPECT_FALSE(needs_reseal(old_ring, *sealed_old));

  auto resealed = seal(rotated, *opened, kAad);
  ASSERT_TRUE(resealed.is_ok());
  EXPECT_EQ(sealed_key_id(*resealed), std::optional<std::string_view>("new"));
  EXPECT_FALSE(needs_reseal(rotated, *resealed));
  EXPECT_EQ(*unseal(rotated, *resealed, kAad), "legacy-pw");

  // The old ring does not know the new key: a config error naming the id.
  auto refused = unseal(old_ring, *resealed, kAad);
  ASSERT_EQ(refused.code(), Code::config);
  EXPECT_NE(refused.error().message.find("\"new\""), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().detail_json, "{\"key_id\":\"new\"}");
}

TEST(Seal, UnknownKeyId) {
  const KeyRing ring = ring_of("k1=" + random_key_b64());
  const KeyRing other = ring_of("zz-9=" + random_key_b64());
  auto sealed = seal(other, "pw", kAad);
  ASSERT_TRUE(sealed.is_ok());
  auto opened = unseal(ring, *sealed, kAad);
  ASSERT_EQ(opened.code(), Code::config);
  EXPECT_NE(opened.error().message.find("zz-9"), std::string::npos);
  EXPECT_TRUE(needs_reseal(ring, *sealed));
}

TEST(Seal, OtherVersionsAndGarbage) {
  const KeyRing ring = ring_of("k1=" + random_key_b64());
  auto v2 = unseal(ring, "acid:v2:k1:AAAA", kAad);
  ASSERT_EQ(v2.code(), Code::store);
  EXPECT_NE(v2.error().message.find("version 2"), std::string::npos);
  EXPECT_EQ(unseal(ring, "plaintext-password", kAad).code(), Code::invalid);
  EXPECT_EQ(unseal(ring, "acid:v1:k1:", kAad).code(), Code::store);
  EXPECT_EQ(unseal(ring, "acid:v1:k1:AAAA", kAad).code(), Code::store);
  EXPECT_EQ(unseal(ring, "acid:v1:k 1:AAAA", kAad).code(), Code::store);
  EXPECT_EQ(unseal(ring, "acid:v1::AAAA", kAad).code(), Code::store);
  EXPECT_EQ(unseal(ring, "acid:v1:k1:" + std::string(60, '!'), kAad).code(), Code::store);
}

TEST(Seal, PlaintextDetection) {
  for (const char *plain :
       {"", "hunter2", "abcd-efgh-ijkl-mnop", "acid", "acid:", "acid:v", "acid:v:", "acid:v1",
        "acid:vx:k1:AAAA", "ACID:v1:k1:AAAA", " acid:v1:k1:AAAA", "acid:v-1:k:A"}) {
    EXPECT_FALSE(is_sealed(plain)) << plain;
  }
  for (const char *sealed : {"acid:v1:k1:AAAA", "acid:v1:", "acid:v2:anything", "acid:v10:x"}) {
    EXPECT_TRUE(is_sealed(sealed)) << sealed;
  }
  const KeyRing ring = ring_of("k1=" + random_key_b64());
  EXPECT_TRUE(needs_reseal(ring, "hunter2"));
  EXPECT_TRUE(needs_reseal(ring, ""));
  EXPECT_TRUE(needs_reseal(ring, "acid:v1:k1:!!!!"));
  EXPECT_TRUE(needs_reseal(ring, "acid:v1:k1:AAAA"));  // too short to be a value
  EXPECT_TRUE(needs_reseal(ring, "acid:v2:k1:AAAA"));
  EXPECT_EQ(sealed_key_id("hunter2"), std::nullopt);
}

TEST(Seal, NoncesNeverRepeat) {
  const KeyRing ring = ring_of(random_key_b64());
  std::set<std::string> nonces;
  std::set<std::string> values;
  constexpr int kCount = 10000;
  for (int i = 0; i < kCount; ++i) {
    auto sealed = seal(ring, "same plaintext every time", kAad);
    ASSERT_TRUE(sealed.is_ok());
    values.insert(*sealed);
    const std::string body = sealed->substr(sealed->rfind(':') + 1);
    nonces.insert(base64::decode_url(body)->substr(0, kNonceSize));
  }
  EXPECT_EQ(nonces.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(values.size(), static_cast<std::size_t>(kCount));
}

TEST(Seal, OversizedPlaintextIsRefused) {
  const KeyRing ring = ring_of(random_key_b64());
  EXPECT_EQ(seal(ring, std::string(kMaxPlaintext + 1, 'x'), kAad).code(), Code::invalid);
  EXPECT_TRUE(seal(ring, std::string(kMaxPlaintext, 'x'), kAad).is_ok());
}

TEST(KeyRing, BareKeyGetsDerivedId) {
  // SHA-256 of 32 zero bytes is 66687aad...; of 00 01 .. 1f is 630dcd29...
  const KeyRing zero = ring_of("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  EXPECT_EQ(zero.primary_id(), "66687aad");
  EXPECT_EQ(zero.size(), 1u);
  const KeyRing both = ring_of(
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  EXPECT_EQ(both.ids(), (std::vector<std::string>{"630dcd29", "66687aad"}));
  EXPECT_TRUE(both.contains("66687aad"));
  EXPECT_FALSE(both.contains("6668"));
  // Mixed forms.
  const KeyRing mixed = ring_of(
      "new=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,"
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  EXPECT_EQ(mixed.ids(), (std::vector<std::string>{"new", "66687aad"}));
}

TEST(KeyRing, DescribeShowsIdsOnly) {
  const std::string k1 = random_key_b64();
  const std::string k2 = random_key_b64();
  const KeyRing ring = ring_of("k2=" + k2 + ",k1=" + k1);
  const std::string d = ring.describe();
  EXPECT_EQ(d, "primary=k2 others=k1");
  EXPECT_EQ(d.find(k1.substr(0, 8)), std::string::npos);
  EXPECT_EQ(ring_of(k1).describe(), "primary=" + ring_of(k1).primary_id() + " others=none");
}

TEST(KeyRing, MalformedSpecsAreConfigErrors) {
  const std::string good = random_key_b64();
  const std::string other = random_key_b64();
  const std::string short16 = random_key_b64(16);
  const std::string len31 = random_key_b64(31);
  const std::string len33 = random_key_b64(33);
  std::string unpadded = good;
  unpadded.pop_back();
  std::string urlish = base64::encode_url(*base64::decode(good));  // no padding, url alphabet

  const std::vector<std::string> bad = {
      "",
      short16,
      len31,
      len33,
      "k1=" + short16,
      "k1=" + len33,
      unpadded,
      "k1=" + unpadded,
      urlish,
      good + "\n",
      " " + good,
      "k1=" + good + ", k2=" + other,
      "not base64 at all!!",
      "k1=",
      "=" + good,
      "bad id=" + good,
      "k.1=" + good,
      "k/1=" + good,
      std::string(33, 'k') + "=" + good,
      "k1=" + good + ",k1=" + other,  // duplicate id
      "k1=" + good + ",k2=" + good,   // the same key twice
      good + "," + good,              // duplicate derived id
      "k1=" + good + ",",
      ",k1=" + good,
      "k1=" + good + ",,k2=" + other,
  };
  for (const auto &spec : bad) {
    auto r = KeyRing::parse(spec);
    ASSERT_FALSE(r.is_ok()) << "accepted: " << spec;
    EXPECT_EQ(r.code(), Code::config) << spec;
    const std::string &m = r.error().message;
    EXPECT_EQ(m.find(good.substr(0, 12)), std::string::npos) << m;
    EXPECT_EQ(m.find(other.substr(0, 12)), std::string::npos) << m;
    if (spec.size() >= 12) {
      EXPECT_EQ(m.find(spec.substr(0, 12)), std::string::npos) << m;
    }
  }
  EXPECT_NE(KeyRing::parse("k1=" + short16).error().message.find("32 bytes"), std::string::npos);
  EXPECT_NE(KeyRing::parse("k1=" + good + ",k1=" + other).error().message.find("same key id"),
            std::string::npos);
  // And the good ones.
  EXPECT_TRUE(KeyRing::parse(good).is_ok());
  EXPECT_TRUE(KeyRing::parse(std::string(32, 'k') + "=" + good).is_ok());
  EXPECT_TRUE(KeyRing::parse("A_b-9=" + good + ",x=" + other).is_ok());
}

TEST(KeyRing, IdRules) {
  EXPECT_TRUE(valid_key_id("a"));
  EXPECT_TRUE(valid_key_id("Az09_-"));
  EXPECT_TRUE(valid_key_id(std::string(32, 'x')));
  EXPECT_FALSE(valid_key_id(""));
  EXPECT_FALSE(valid_key_id(std::string(33, 'x')));
  EXPECT_FALSE(valid_key_id("a:b"));
  EXPECT_FALSE(valid_key_id("a=b"));
  EXPECT_FALSE(valid_key_id("é"));
}

}  // namespace
}  // namespace acid::seal
