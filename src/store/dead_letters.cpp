#include "store/dead_letters.h"

#include <openssl/evp.h>

#include <array>
#include <string>

#include "core/json.h"

namespace acid::store {

std::string dead_letter_id(std::string_view tenant, std::string_view entry) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  // The tenant and a separator first: the same bytes on two streams are two letters.
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, tenant.data(), tenant.size()) == 1 &&
                  EVP_DigestUpdate(ctx, "\n", 1) == 1 &&
                  EVP_DigestUpdate(ctx, entry.data(), entry.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  if (!ok) return id;  // empty: validate_dead_letter refuses it
  for (std::size_t i = 0; i < 10 && i < len; ++i) {
    id.push_back(kHex[digest[i] >> 4]);
    id.push_back(kHex[digest[i] & 0x0F]);
  }
  return id;
}

Status validate_dead_letter(const DeadLetter &letter) {
  if (letter.id.size() != 20) return Error(Code::invalid, "a dead letter needs a 20-digit id");
  if (letter.tenant.empty() || letter.kind.empty() || letter.reason.empty()) {
    return Error(Code::invalid, "a dead letter needs a tenant, a kind and a reason");
  }
  if (letter.entry.size() > kMaxDeadLetterBytes) {
    return Error(Code::invalid, "a dead letter's entry is larger than " +
                                    std::to_string(kMaxDeadLetterBytes) + " bytes");
  }
  return Status::ok();
}

Result<DeadLetterQuery> parse_dead_letter_query(std::string_view options_json) {
  if (options_json.size() > 4096) return Error(Code::invalid, "options_json is too large");
  auto doc = json::parse(options_json);
  if (!doc) return std::move(doc).error().context("options_json");
  if (!doc->IsObject()) return Error(Code::invalid, "options_json must be a JSON object");
  DeadLetterQuery query;
  for (auto it = doc->MemberBegin(); it != doc->MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    const rapidjson::Value &value = it->value;
    if (name == "include_replayed" && value.IsBool()) {
      query.include_replayed = value.GetBool();
    } else if (name == "limit" && value.IsInt64() && value.GetInt64() >= 1 &&
               value.GetUint64() <= kMaxDeadLetterListLimit) {
      query.limit = static_cast<std::size_t>(value.GetInt64());
    } else {
      return Error(Code::invalid, "dead-letter list option \"" + std::string(name) +
                                      "\" is unknown or out of range (include_replayed: bool, "
                                      "limit: 1..10000)");
    }
  }
  return query;
}

}  // namespace acid::store
