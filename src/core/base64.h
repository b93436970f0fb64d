// Base64 (RFC 4648 section 4, with padding) and base64url (section 5, without padding).
//
// Decoding is strict, so that every byte string has exactly one accepted text form (a sealed
// credential must not have two spellings, and a key must not be silently truncated):
//   - only the alphabet's characters: no whitespace, no line breaks, no mixing of the two
//     alphabets;
//   - standard base64: the length is a multiple of 4 and padding is exactly what the length
//     needs ("=" or "==", only at the end);
//   - base64url: no padding at all, and a length of 1 modulo 4 is refused;
//   - the unused low bits of the last character must be zero (canonical encoding).
// Errors are Code::invalid and name the offset, never the input text (it may be a secret).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace acid::base64 {

std::string encode(std::span<const std::uint8_t> bytes);
std::string encode(std::string_view bytes);

// Decoded bytes in a std::string. The result's capacity is reserved once, so a decoded secret
// leaves no stray copy behind a reallocation (the caller cleanses the result).
Result<std::string> decode(std::string_view text);

std::string encode_url(std::span<const std::uint8_t> bytes);
std::string encode_url(std::string_view bytes);
Result<std::string> decode_url(std::string_view text);

}  // namespace acid::base64
