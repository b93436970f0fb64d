// ASCII text rules shared by configuration parsing and HTTP header checks.
#pragma once

#include <cstddef>
#include <string_view>

namespace acid {

// Whether `text` starts with `lower_prefix` ignoring ASCII case ("Bearer x" starts with
// "bearer "). The prefix must be lowercase.
inline bool starts_with_ignoring_case(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower_prefix[i]) return false;
  }
  return true;
}

}  // namespace acid
