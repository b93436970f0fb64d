#include "core/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace acid::json {

std::string quote(std::string_view text) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

Result<rapidjson::Document> parse(std::string_view text, std::size_t max_depth) {
  rapidjson::Document doc;
  bool too_deep = false;
  rapidjson::ParseResult result;
  auto generate = [&](rapidjson::Document &target) {
    LimitedBuilder handler(target, max_depth);
    rapidjson::Reader reader;
    rapidjson::MemoryStream stream(text.data(), text.size());
    // Without kParseStopWhenDoneFlag, trailing non-whitespace is an error (root not singular).
    result = reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
        stream, handler);
    too_deep = handler.stop() == LimitedBuilder::Stop::too_deep;
    // MemoryStream reads '\0' as its end: a NUL must not hide text after a complete value.
    if (!result.IsError() && stream.Tell() != text.size()) {
      result.Set(rapidjson::kParseErrorDocumentRootNotSingular, stream.Tell());
    }
    return !result.IsError();
  };
  doc.Populate(generate);
  if (too_deep) {
    return Error(Code::invalid, "JSON nested deeper than " + std::to_string(max_depth) + " levels");
  }
  if (result.IsError()) {
    return Error(Code::invalid, std::string("invalid JSON at offset ") +
                                    std::to_string(result.Offset()) + ": " +
                                    rapidjson::GetParseError_En(result.Code()));
  }
  return doc;
}

std::string to_string(const rapidjson::Value &value) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  value.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::optional<std::string_view> get_string(const rapidjson::Value &obj, const char *name) {
  if (!obj.IsObject()) return std::nullopt;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string_view(it->value.GetString(), it->value.GetStringLength());
}

std::optional<std::int64_t> get_int(const rapidjson::Value &obj, const char *name) {
  if (!obj.IsObject()) return std::nullopt;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
  return it->value.GetInt64();
}

std::optional<bool> get_bool(const rapidjson::Value &obj, const char *name) {
  if (!obj.IsObject()) return std::nullopt;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsBool()) return std::nullopt;
  return it->value.GetBool();
}

const rapidjson::Value *get_object(const rapidjson::Value &obj, const char *name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsObject()) return nullptr;
  return &it->value;
}

const rapidjson::Value *get_array(const rapidjson::Value &obj, const char *name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsArray()) return nullptr;
  return &it->value;
}

}  // namespace acid::json
