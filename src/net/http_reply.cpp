#include "net/http_reply.h"

#include "core/ascii.h"

namespace acid::net {

std::optional<std::string_view> HttpReply::header(std::string_view lower_name) const {
  std::optional<std::string_view> found;
  for (const auto &[name, value] : headers) {
    if (name == lower_name) found = value;
  }
  return found;
}

std::optional<std::pair<std::string, std::string>> parse_header_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string name(line.substr(0, colon));
  for (char c : name) {
    // RFC 9110 token characters only; anything else is not a header line.
    if (c <= ' ' || c >= 0x7F || c == '(' || c == ')' || c == ',' || c == '/' || c == ';' ||
        c == '<' || c == '=' || c == '>' || c == '?' || c == '@' || c == '[' || c == '\\' ||
        c == ']' || c == '{' || c == '}' || c == '"') {
      return std::nullopt;
    }
  }
  name = ascii_lowercase(name);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return std::make_pair(std::move(name), std::string(value));
}

}  // namespace acid::net
