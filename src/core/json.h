// Small JSON helpers over RapidJSON, shared by every concern that builds or reads JSON.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace acid::json {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// A JSON string literal for `text` (quoted and escaped).
std::string quote(std::string_view text);

// Nesting allowed by parse() unless told otherwise: far above any document the library reads
// (Auth0 and PDS answers, options, import lines), far below what a recursive walk can survive.
inline constexpr std::size_t kMaxDepth = 64;

// Parses a complete JSON document (exactly one value, UTF-8 validated) without recursion
// (RapidJSON's iterative parser), refusing nesting deeper than `max_depth` with Code::invalid:
// the documents it returns are later written and walked recursively.
Result<rapidjson::Document> parse(std::string_view text, std::size_t max_depth = kMaxDepth);

// Serialises a value compactly.
std::string to_string(const rapidjson::Value &value);

// Typed member lookups: nullopt when the member is missing or has another type.
std::optional<std::string_view> get_string(const rapidjson::Value &obj, const char *name);
std::optional<std::int64_t> get_int(const rapidjson::Value &obj, const char *name);
std::optional<bool> get_bool(const rapidjson::Value &obj, const char *name);
const rapidjson::Value *get_object(const rapidjson::Value &obj, const char *name);
const rapidjson::Value *get_array(const rapidjson::Value &obj, const char *name);

}  // namespace acid::json
