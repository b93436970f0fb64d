// Credentials sealed at rest: AES-256-GCM with a key ring, so PDS passwords never sit in the
// store in plaintext and keys can be rotated.
//
// Sealed value format (version 1), plain ASCII so it fits any string field:
//
//     acid:v1:<key_id>:<payload>
//
//   key_id   the id of the key that sealed it, [A-Za-z0-9_-]{1,32}
//   payload  base64url without padding (RFC 4648 section 5) of
//            nonce (12 random bytes from the CSPRNG, new for every value)
//            || ciphertext (as long as the plaintext)
//            || GCM tag (16 bytes)
//
// The GCM additional authenticated data is the header "acid:v1:<key_id>:" followed by the
// caller's context (see context_aad(): the user's sub and the field name), so a sealed value
// copied to another user or another field, or relabelled with another key id, fails to open.
//
// Key ring syntax (ACID_CREDENTIALS_KEY): a comma-separated list of entries, no spaces.
// The FIRST entry is the primary key (it seals every new value); the others only unseal.
//   entry      = key_id "=" key  |  key
//   key        = standard base64 with padding (RFC 4648 section 4) of exactly 32 random bytes,
//                e.g. from `openssl rand -base64 32`
//   bare key   its id is derived: the first 8 hex digits of SHA-256(key bytes)
// Examples:   "q3Jm...Zk0="            one key, id derived
//             "k2=AbC...=,k1=XyZ...="  rotation: seal with k2, still open values sealed by k1
// Rotation: put the new key first, keep the old one after it; needs_reseal() then reports the
// values to re-seal, and the old key can be removed once none remain.
//
// Legacy values written by the deployed JavaScript system are plaintext passwords. They do not
// start with "acid:v<digits>:", so is_sealed() is false for them: the caller uses them as they
// are. They are sealed only when an operator asks (`acidentity credentials seal`, after the
// deployed readers use the library), never as a side effect of another write.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace acid::seal {

inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kNonceSize = 12;
inline constexpr std::size_t kTagSize = 16;
inline constexpr std::size_t kMaxKeyIdLength = 32;
// Credentials are short; anything larger is a caller's mistake, refused with Code::invalid.
inline constexpr std::size_t kMaxPlaintext = std::size_t{64} * 1024;

// Holds key material; wipes it (OPENSSL_cleanse) when destroyed. It has no operator<< and no
// accessor for the key bytes: describe() shows ids only.
class KeyRing {
 public:
  // Parses the syntax above. Errors are Code::config and never quote the input.
  static Result<KeyRing> parse(std::string_view spec);

  // The id a bare key gets: the first 8 lowercase hex digits of SHA-256(key).
  static std::string derived_id(std::string_view key_bytes);

  const std::string &primary_id() const { return keys_.front().id; }
  std::vector<std::string> ids() const;  // primary first, then the others in the given order
  bool contains(std::string_view key_id) const;
  std::size_t size() const { return keys_.size(); }

  // "primary=k2 others=k1,1a2b3c4d" (or "others=none"): ids only, never key bytes.
  std::string describe() const;

 private:
  struct Key {
    std::string id;
    std::array<std::uint8_t, kKeySize> bytes{};

    Key() = default;
    Key(const Key &) = default;
    Key(Key &&) = default;
    Key &operator=(const Key &) = default;
    Key &operator=(Key &&) = default;
    ~Key();
  };

  KeyRing() = default;
  const Key *find(std::string_view key_id) const;

  std::vector<Key> keys_;  // never empty once parsed

  friend Result<std::string> seal(const KeyRing &, std::string_view, std::string_view);
  friend Result<std::string> unseal(const KeyRing &, std::string_view, std::string_view);
};

// The caller's context for a credential: binds it to the user (Auth0 sub) and the field it is
// stored in. Length-prefixed, so no two (sub, field) pairs give the same bytes.
std::string context_aad(std::string_view sub, std::string_view field);

// Seals with the ring's primary key. Code::invalid for an oversized plaintext, Code::internal
// if the CSPRNG or OpenSSL fails.
Result<std::string> seal(const KeyRing &ring, std::string_view plaintext, std::string_view aad);

// Opens a sealed value, or fails with nothing returned:
//   - not a sealed value at all (check is_sealed first): Code::invalid;
//   - sealed by a key id not in the ring: Code::config, the id in the message and in
//     detail_json {"key_id": ...};
//   - another scheme version, malformed structure: Code::store;
//   - tampered, wrong context (aad), wrong key: Code::store "credential failed authentication".
Result<std::string> unseal(const KeyRing &ring, std::string_view sealed, std::string_view aad);

// True when the value carries the sealed prefix "acid:v<digits>:" (any version). A legacy
// plaintext password is not sealed.
bool is_sealed(std::string_view value);

// The key id of a well-formed version 1 header, else nullopt.
std::optional<std::string_view> sealed_key_id(std::string_view value);

// True for plaintext, for values sealed by any key but the primary, and for anything that is
// not a well-formed version 1 value: the caller should write it back sealed with the primary.
bool needs_reseal(const KeyRing &ring, std::string_view value);

// True when `id` matches [A-Za-z0-9_-]{1,32}.
bool valid_key_id(std::string_view id);

}  // namespace acid::seal
