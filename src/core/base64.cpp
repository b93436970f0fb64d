#include "core/base64.h"

#include <array>

namespace acid::base64 {
namespace {

constexpr std::string_view kStd =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0xFF marks a character outside the alphabet.
using Table = std::array<std::uint8_t, 256>;

constexpr Table make_table(std::string_view alphabet) {
  Table t{};
  for (auto &v : t) v = 0xFF;
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return t;
}

constexpr Table kStdTable = make_table(kStd);
constexpr Table kUrlTable = make_table(kUrl);

std::string encode_with(const std::uint8_t *data, std::size_t size, std::string_view alphabet,
                        bool pad) {
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) |
                            std::uint32_t{data[i + 2]};
    out.push_back(alphabet[(v >> 18) & 0x3F]);
    out.push_back(alphabet[(v >> 12) & 0x3F]);
    out.push_back(alphabet[(v >> 6) & 0x3F]);
    out.push_back(alphabet[v & 0x3F]);
  }
  const std::size_t rest = size - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16;
    out.push_back(alphabet[(v >> 18) & 0x3F]);
    out.push_back(alphabet[(v >> 12) & 0x3F]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(alphabet[(v >> 18) & 0x3F]);
    out.push_back(alphabet[(v >> 12) & 0x3F]);
    out.push_back(alphabet[(v >> 6) & 0x3F]);
    if (pad) out.push_back('=');
  }
  return out;
}

Error bad(std::string_view what) {
  return Error(Code::invalid, "invalid base64: " + std::string(what));
}

// Decodes `text` (already stripped of padding) whose length mod 4 is 0, 2 or 3.
Result<std::string> decode_body(std::string_view text, const Table &table) {
  if (text.size() % 4 == 1)
    return bad("truncated input (length " + std::to_string(text.size()) + ")");
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::uint8_t v = table[static_cast<unsigned char>(text[i])];
    if (v == 0xFF) return bad("unexpected character at offset " + std::to_string(i));
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
      acc &= (1u << bits) - 1;
    }
  }
  // Leftover bits (2 or 4) must be zero, or two texts would decode to the same bytes.
  if (bits > 0 && acc != 0) return bad("non-zero padding bits in the last character");
  return out;
}

}  // namespace

std::string encode(std::span<const std::uint8_t> bytes) {
  return encode_with(bytes.data(), bytes.size(), kStd, true);
}

std::string encode(std::string_view bytes) {
  return encode_with(reinterpret_cast<const std::uint8_t *>(bytes.data()), bytes.size(), kStd,
                     true);
}

std::string encode_url(std::span<const std::uint8_t> bytes) {
  return encode_with(bytes.data(), bytes.size(), kUrl, false);
}

std::string encode_url(std::string_view bytes) {
  return encode_with(reinterpret_cast<const std::uint8_t *>(bytes.data()), bytes.size(), kUrl,
                     false);
}

Result<std::string> decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return bad("length " + std::to_string(text.size()) + " is not a multiple of 4");
  }
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') {
    if (pad == 0)
      return bad("padding is not at the end (offset " + std::to_string(text.size() - 2) + ")");
    ++pad;
  }
  // Any other '=' is refused by the table lookup below (it is not in the alphabet).
  return decode_body(text.substr(0, text.size() - pad), kStdTable);
}

Result<std::string> decode_url(std::string_view text) {
  return decode_body(text, kUrlTable);
}

}  // namespace acid::base64
