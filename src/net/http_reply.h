// One HTTP response as a transport received it, shared by every HTTP client of the library
// (the PDS's XRPC client, the Auth0 Management API client, the media fetch).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace acid::net {

// One HTTP response as the transport received it. Header names are lowercased.
struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The last header with this (lowercase) name.
  std::optional<std::string_view> header(std::string_view lower_name) const;
};

// Parses one raw header line ("Name: value\r\n") into a lowercase name and a trimmed value.
// Status lines and blank lines give nullopt.
std::optional<std::pair<std::string, std::string>> parse_header_line(std::string_view line);

}  // namespace acid::net
