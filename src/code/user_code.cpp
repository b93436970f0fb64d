#include "code/user_code.h"

#include <array>
#include <cassert>

#include "core/ascii.h"
#include "core/random.h"

namespace acid::code {

namespace {

constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}

constexpr bool in(std::string_view alphabet, char c) {
  return alphabet.find(c) != std::string_view::npos;
}

// Position of c in alphabet, or -1.
constexpr int position(std::string_view alphabet, char c) {
  const std::size_t at = alphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// Radices of the suffix letters, most significant first: C V C V C.
constexpr std::array<std::uint32_t, kSuffixLength> kRadix = {19, 4, 19, 4, 19};

constexpr std::string_view alphabet_at(std::size_t i) {
  return (i % 2 == 0) ? kConsonants : kVowels;
}

Error invalid(std::string_view reason, std::string_view key) {
  return Error(Code::invalid, "invalid user code: " + std::string(reason),
               "{\"reason\":\"" + std::string(key) + "\"}");
}

}  // namespace

Status validate(std::string_view code) {
  if (code.size() != kCodeLength) {
    return Error(
        Code::invalid, "invalid user code: must be 9 characters",
        "{\"reason\":\"length\",\"expected\":9,\"actual\":" + std::to_string(code.size()) + "}");
  }
  if (code.substr(0, 2) != kPrefix) return invalid("must start with 'ac'", "prefix");
  if (!is_digit(code[2]) || !is_digit(code[3])) {
    return invalid("characters 3-4 must be digits", "year");
  }
  const std::string_view suffix = code.substr(4);
  bool vowel = false;
  bool consonant = false;
  for (const char c : suffix) {
    if (!is_lower(c)) return invalid("suffix must be 5 lowercase letters", "suffix_letters");
    vowel = vowel || in(kVowels, c);
    consonant = consonant || in(kConsonants, c);
  }
  if (!vowel) return invalid("suffix needs a vowel (a, e, o, u)", "suffix_vowel");
  if (!consonant) return invalid("suffix needs a consonant", "suffix_consonant");
  return Status::ok();
}

bool is_valid(std::string_view code) {
  return validate(code).is_ok();
}

namespace {

// One UTF-8 sequence decoded: its code point (or nullopt when the bytes are not well-formed) and
// its length in bytes (at least 1, so a scan always advances).
struct Decoded {
  std::optional<char32_t> code_point;
  std::size_t length = 1;
};

Decoded decode_utf8(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, cp = lead & 0x1Fu, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, cp = lead & 0x0Fu, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, cp = lead & 0x07u, min = 0x10000;
  } else {
    return {std::nullopt, 1};
  }
  if (at + length > text.size()) return {std::nullopt, 1};
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0u) != 0x80u) return {std::nullopt, 1};
    cp = (cp << 6) | (byte(i) & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {std::nullopt, 1};
  return {cp, length};
}

// What JavaScript's toLowerCase() makes of the text, reduced to what the pattern can match:
// ASCII characters lowercased, and '\0' standing for every character that cannot be part of a
// match (the pattern has no NUL, so a real NUL is such a character too).
std::string lowered_for_matching(std::string_view text) {
  constexpr char32_t kKelvinSign = 0x212A;           // lowercases to 'k'
  constexpr char32_t kCapitalIWithDotAbove = 0x130;  // lowercases to 'i' U+0307
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const Decoded d = decode_utf8(text, at);
    at += d.length;
    if (!d.code_point) {
      out += '\0';  // undecodable
      continue;
    }
    if (*d.code_point < 0x80) {
      out += ascii_lower(static_cast<char>(*d.code_point));
    } else if (*d.code_point == kKelvinSign) {
      out += 'k';
    } else if (*d.code_point == kCapitalIWithDotAbove) {
      out += "i";
      out += '\0';  // the combining dot above that follows the 'i'
    } else {
      out += '\0';  // any other non-ASCII code point
    }
  }
  return out;
}

bool matches_code_at(std::string_view lowered, std::size_t start) {
  for (std::size_t i = 0; i < kCodeLength; ++i) {
    const char c = lowered[start + i];
    const bool ok = i < 2 ? c == kPrefix[i] : i < 4 ? is_digit(c) : is_lower(c);
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> parse(std::string_view text) {
  const std::string lowered = lowered_for_matching(text);
  for (std::size_t start = 0; start + kCodeLength <= lowered.size(); ++start) {
    if (matches_code_at(lowered, start)) return lowered.substr(start, kCodeLength);
  }
  return std::nullopt;
}

int two_digit_year(int utc_year) {
  return ((utc_year % 100) + 100) % 100;
}

std::string format_code(int yy, std::uint32_t index) {
  assert(yy >= 0 && yy < 100);
  assert(index < kCodesPerYear);
  if (yy < 0 || yy >= 100 || index >= kCodesPerYear) return std::string();
  std::string out(kCodeLength, '\0');
  out[0] = kPrefix[0];
  out[1] = kPrefix[1];
  out[2] = static_cast<char>('0' + yy / 10);
  out[3] = static_cast<char>('0' + yy % 10);
  std::uint32_t rest = index;
  for (std::size_t i = kSuffixLength; i-- > 0;) {
    out[4 + i] = alphabet_at(i)[rest % kRadix[i]];
    rest /= kRadix[i];
  }
  return out;
}

std::optional<std::uint32_t> index_of(std::string_view code) {
  if (code.size() != kCodeLength || code.substr(0, 2) != kPrefix || !is_digit(code[2]) ||
      !is_digit(code[3])) {
    return std::nullopt;
  }
  std::uint32_t index = 0;
  for (std::size_t i = 0; i < kSuffixLength; ++i) {
    const int digit = position(alphabet_at(i), code[4 + i]);
    if (digit < 0) return std::nullopt;
    index = index * kRadix[i] + static_cast<std::uint32_t>(digit);
  }
  return index;
}

std::optional<int> year_of(std::string_view code) {
  if (!is_valid(code)) return std::nullopt;
  return (code[2] - '0') * 10 + (code[3] - '0');
}

Result<std::string> generate_random(int utc_year) {
  auto index = random_below(kCodesPerYear);
  if (!index) return std::move(index).error().context("generating a random user code");
  return format_code(two_digit_year(utc_year), static_cast<std::uint32_t>(*index));
}

}  // namespace acid::code
