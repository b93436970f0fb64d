// Percent-encoding (RFC 3986): every byte outside the unreserved set ALPHA / DIGIT / "-" / "." /
// "_" / "~" becomes %XX. The one encoder for query strings, path segments and the redaction of
// URL-encoded secrets.
#pragma once

#include <string>
#include <string_view>

namespace acid {

enum class HexCase { upper, lower };

std::string percent_encode(std::string_view text, HexCase hex_case = HexCase::upper);

}  // namespace acid
