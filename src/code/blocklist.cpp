#include "code/blocklist.h"

#include <algorithm>
#include <array>

#include "code/user_code.h"

namespace acid::code {

namespace {

constexpr std::string_view kBlocked[] = {
#include "code_blocklist.inc"
};

}  // namespace

bool is_blocked_suffix(std::string_view suffix) {
  if (suffix.size() != kSuffixLength) return false;
  std::array<char, kSuffixLength> lower{};
  for (std::size_t i = 0; i < kSuffixLength; ++i) {
    const char c = suffix[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  const std::string_view key(lower.data(), lower.size());
  return std::find(std::begin(kBlocked), std::end(kBlocked), key) != std::end(kBlocked);
}

bool is_blocked_code(std::string_view code) {
  if (code.size() != kCodeLength) return false;
  return is_blocked_suffix(code.substr(kCodeLength - kSuffixLength));
}

std::span<const std::string_view> blocked_suffixes() {
  return kBlocked;
}

}  // namespace acid::code
