// ASCII text rules shared by configuration parsing and HTTP header checks.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace acid {

// A..Z to a..z; every other byte (UTF-8 included) as it is. Locale-independent.
constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string ascii_lowercase(std::string_view text) {
  std::string out(text);
  for (char &c : out) c = ascii_lower(c);
  return out;
}

// Whether `a` and `b` are equal ignoring ASCII case (handles, emails, header names).
constexpr bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// Whether `text` starts with `lower_prefix` ignoring ASCII case ("Bearer x" starts with
// "bearer "). The prefix must be lowercase.
inline bool starts_with_ignoring_case(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    if (ascii_lower(text[i]) != lower_prefix[i]) return false;
  }
  return true;
}

}  // namespace acid
