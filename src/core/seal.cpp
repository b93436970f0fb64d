#include "core/seal.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "core/base64.h"
#include "core/json.h"
#include "core/random.h"

namespace acid::seal {
namespace {

constexpr std::string_view kScheme = "acid:v";
constexpr std::string_view kVersion1 = "acid:v1:";
constexpr std::string_view kAuthFailed = "credential failed authentication";

// Wipes a string's bytes (not just its size) when it goes out of scope.
class Wipe {
 public:
  explicit Wipe(std::string &s) : s_(s) {}
  Wipe(const Wipe &) = delete;
  Wipe &operator=(const Wipe &) = delete;
  ~Wipe() {
    if (!s_.empty()) OPENSSL_cleanse(s_.data(), s_.size());
  }

 private:
  std::string &s_;
};

struct CtxFree {
  void operator()(EVP_CIPHER_CTX *ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

Error openssl_error(std::string_view what) {
  const unsigned long err = ERR_get_error();
  char text[256] = {0};
  if (err != 0) ERR_error_string_n(err, text, sizeof text);
  ERR_clear_error();
  return Error(Code::internal, std::string("AES-256-GCM ") + std::string(what) + " failed" +
                                   (err != 0 ? std::string(": ") + text : std::string()));
}

const unsigned char *bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char *>(s.data());
}

struct Parsed {
  std::string_view header;  // "acid:v1:<id>:"
  std::string_view key_id;
  std::string_view payload;
};

// Splits a version 1 value; nullopt when it is not one.
std::optional<Parsed> parse_v1(std::string_view value) {
  if (value.substr(0, kVersion1.size()) != kVersion1) return std::nullopt;
  const std::size_t colon = value.find(':', kVersion1.size());
  if (colon == std::string_view::npos) return std::nullopt;
  Parsed p;
  p.key_id = value.substr(kVersion1.size(), colon - kVersion1.size());
  if (!valid_key_id(p.key_id)) return std::nullopt;
  p.header = value.substr(0, colon + 1);
  p.payload = value.substr(colon + 1);
  return p;
}

// The version number's digits after "acid:v", when the value has the sealed prefix.
std::optional<std::string_view> scheme_version(std::string_view value) {
  if (value.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  std::size_t i = kScheme.size();
  while (i < value.size() && value[i] >= '0' && value[i] <= '9') ++i;
  if (i == kScheme.size() || i >= value.size() || value[i] != ':') return std::nullopt;
  return value.substr(kScheme.size(), i - kScheme.size());
}

// An AES-256-GCM context set up to encrypt (or decrypt) with `key` and `nonce`, the additional
// authenticated data already fed in.
Result<Ctx> gcm_context(bool encrypt, const std::uint8_t *key, const unsigned char *nonce,
                        std::string_view aad) {
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_error("context allocation");
  const int enc = encrypt ? 1 : 0;
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key, nonce, enc) != 1) {
    return openssl_error("setup");
  }
  int len = 0;
  if (EVP_CipherUpdate(ctx.get(), nullptr, &len, bytes_of(aad), static_cast<int>(aad.size())) !=
      1) {
    return openssl_error("aad");
  }
  return ctx;
}

}  // namespace

KeyRing::Key::~Key() {
  OPENSSL_cleanse(bytes.data(), bytes.size());
}

bool valid_key_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdLength) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string KeyRing::derived_id(std::string_view key_bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(key_bytes.data(), key_bytes.size(), md, &len, EVP_sha256(), nullptr) != 1 ||
      len < 4) {
    // SHA-256 cannot fail short of a broken OpenSSL; an empty id would then be refused by
    // parse() as an invalid key id rather than being used.
    ERR_clear_error();
    return std::string();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 4; ++i) {
    id.push_back(kHex[md[i] >> 4]);
    id.push_back(kHex[md[i] & 0x0F]);
  }
  OPENSSL_cleanse(md, sizeof md);
  return id;
}

Result<KeyRing> KeyRing::parse(std::string_view spec) {
  if (spec.empty()) return Error(Code::config, "no key given");
  KeyRing ring;
  std::size_t entry_no = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = spec.find(',', start);
    const std::string_view entry = spec.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    ++entry_no;
    const std::string where = "key entry " + std::to_string(entry_no);
    if (entry.empty()) return Error(Code::config, where + " is empty");

    // "id=key" when an '=' is followed by something other than '='; a bare key only has '='
    // as trailing padding.
    std::string_view id;
    std::string_view encoded = entry;
    const std::size_t eq = entry.find('=');
    if (eq != std::string_view::npos &&
        entry.find_first_not_of('=', eq) != std::string_view::npos) {
      id = entry.substr(0, eq);
      encoded = entry.substr(eq + 1);
      if (!valid_key_id(id)) {
        return Error(Code::config, where + ": the key id must match [A-Za-z0-9_-]{1,32}");
      }
    }

    auto decoded = base64::decode(encoded);
    if (!decoded)
      return Error(Code::config,
                   where + ": the key is not valid base64 (" + decoded.error().message + ")");
    std::string raw = std::move(decoded).value();
    Wipe wipe_raw(raw);
    if (raw.size() != kKeySize) {
      return Error(Code::config,
                   where + ": the key must be exactly 32 bytes, got " + std::to_string(raw.size()));
    }

    Key key;
    key.id = id.empty() ? derived_id(raw) : std::string(id);
    if (!valid_key_id(key.id)) return Error(Code::internal, where + ": cannot derive a key id");
    std::copy(raw.begin(), raw.end(), key.bytes.begin());
    for (std::size_t i = 0; i < ring.keys_.size(); ++i) {
      const Key &other = ring.keys_[i];
      if (other.id == key.id) {
        return Error(Code::config, "key entries " + std::to_string(i + 1) + " and " +
                                       std::to_string(entry_no) + " have the same key id");
      }
      if (CRYPTO_memcmp(other.bytes.data(), key.bytes.data(), kKeySize) == 0) {
        return Error(Code::config, "key entries " + std::to_string(i + 1) + " and " +
                                       std::to_string(entry_no) + " hold the same key");
      }
    }
    ring.keys_.push_back(std::move(key));

    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return ring;
}

std::vector<std::string> KeyRing::ids() const {
  std::vector<std::string> out;
  out.reserve(keys_.size());
  for (const Key &k : keys_) out.push_back(k.id);
  return out;
}

bool KeyRing::contains(std::string_view key_id) const {
  return find(key_id) != nullptr;
}

const KeyRing::Key *KeyRing::find(std::string_view key_id) const {
  for (const Key &k : keys_) {
    if (k.id == key_id) return &k;
  }
  return nullptr;
}

std::string KeyRing::describe() const {
  std::string out = "primary=" + primary_id() + " others=";
  if (keys_.size() == 1) return out + "none";
  for (std::size_t i = 1; i < keys_.size(); ++i) {
    if (i > 1) out.push_back(',');
    out += keys_[i].id;
  }
  return out;
}

std::string context_aad(std::string_view sub, std::string_view field) {
  std::string out;
  out.reserve(sub.size() + field.size() + 24);
  out += std::to_string(field.size());
  out.push_back(':');
  out += field;
  out += std::to_string(sub.size());
  out.push_back(':');
  out += sub;
  return out;
}

Result<std::string> seal(const KeyRing &ring, std::string_view plaintext, std::string_view aad) {
  if (plaintext.size() > kMaxPlaintext) {
    return Error(Code::invalid,
                 "credential too long to seal (" + std::to_string(plaintext.size()) + " bytes)");
  }
  if (aad.size() > kMaxPlaintext) return Error(Code::invalid, "seal context too long");
  const KeyRing::Key &key = ring.keys_.front();

  std::array<std::uint8_t, kNonceSize> nonce{};
  ACID_TRY(random_bytes(nonce));

  std::string header;
  header.reserve(kVersion1.size() + key.id.size() + 1);
  header += kVersion1;
  header += key.id;
  header.push_back(':');
  const std::string full_aad = header + std::string(aad);

  // nonce || ciphertext || tag, filled in place.
  std::string payload(kNonceSize + plaintext.size() + kTagSize, '\0');
  std::copy(nonce.begin(), nonce.end(), payload.begin());
  auto *out = reinterpret_cast<unsigned char *>(payload.data());

  ACID_ASSIGN_OR_RETURN(const Ctx ctx, gcm_context(true, key.bytes.data(), nonce.data(), full_aad));
  int len = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), out + kNonceSize, &len, bytes_of(plaintext),
                          static_cast<int>(plaintext.size())) != 1 ||
        static_cast<std::size_t>(len) != plaintext.size()) {
      return openssl_error("encryption");
    }
  }
  int tail = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out + kNonceSize + plaintext.size(), &tail) != 1 ||
      tail != 0) {
    return openssl_error("finalisation");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                          out + kNonceSize + plaintext.size()) != 1) {
    return openssl_error("tag");
  }
  return header + base64::encode_url(payload);
}

Result<std::string> unseal(const KeyRing &ring, std::string_view sealed, std::string_view aad) {
  const auto version = scheme_version(sealed);
  if (!version) return Error(Code::invalid, "value is not a sealed credential");
  if (*version != "1") {
    const std::string v(version->substr(0, 8));
    return Error(
        Code::store,
        "sealed credential uses scheme version " + v + ", which this library does not support",
        "{\"version\":" + json::quote(v) + "}");
  }
  const auto parsed = parse_v1(sealed);
  if (!parsed) return Error(Code::store, "malformed sealed credential (bad key id)");
  const KeyRing::Key *key = ring.find(parsed->key_id);
  if (key == nullptr) {
    const std::string id(parsed->key_id);
    return Error(Code::config,
                 "credential sealed with key id \"" + id + "\", which is not in the key ring",
                 "{\"key_id\":" + json::quote(id) + "}");
  }
  auto decoded = base64::decode_url(parsed->payload);
  if (!decoded) return Error(Code::store, "malformed sealed credential (bad payload encoding)");
  const std::string &payload = *decoded;
  if (payload.size() < kNonceSize + kTagSize || payload.size() > kMaxPlaintext + 64) {
    return Error(Code::store, "malformed sealed credential (bad payload length)");
  }
  if (aad.size() > kMaxPlaintext) return Error(Code::invalid, "seal context too long");
  const std::size_t ct_len = payload.size() - kNonceSize - kTagSize;
  const auto *in = bytes_of(payload);
  const std::string full_aad = std::string(parsed->header) + std::string(aad);

  std::string plain(ct_len, '\0');
  Wipe wipe_plain(plain);  // wiped on every exit; the success path moves a copy out first
  auto *out = reinterpret_cast<unsigned char *>(plain.data());

  ACID_ASSIGN_OR_RETURN(const Ctx ctx, gcm_context(false, key->bytes.data(), in, full_aad));
  int len = 0;
  if (ct_len > 0) {
    if (EVP_DecryptUpdate(ctx.get(), out, &len, in + kNonceSize, static_cast<int>(ct_len)) != 1 ||
        static_cast<std::size_t>(len) != ct_len) {
      return openssl_error("decryption");
    }
  }
  // The tag is copied out: OpenSSL's ctrl takes a non-const pointer.
  std::array<unsigned char, kTagSize> tag{};
  std::copy(in + kNonceSize + ct_len, in + payload.size(), tag.begin());
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize),
                          tag.data()) != 1) {
    return openssl_error("tag");
  }
  int tail = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out + ct_len, &tail) <= 0) {
    ERR_clear_error();
    return Error(Code::store, std::string(kAuthFailed));
  }
  return std::string(plain);
}

bool is_sealed(std::string_view value) {
  return scheme_version(value).has_value();
}

std::optional<std::string_view> sealed_key_id(std::string_view value) {
  const auto parsed = parse_v1(value);
  if (!parsed) return std::nullopt;
  return parsed->key_id;
}

bool needs_reseal(const KeyRing &ring, std::string_view value) {
  const auto parsed = parse_v1(value);
  if (!parsed) return true;
  if (parsed->key_id != ring.primary_id()) return true;
  // A payload that cannot be decoded is not a good value either (unseal() will refuse it).
  const auto payload = base64::decode_url(parsed->payload);
  return !payload || payload->size() < kNonceSize + kTagSize;
}

}  // namespace acid::seal
