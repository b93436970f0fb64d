#include "store/dead_letters.h"

#include <openssl/evp.h>

#include <array>

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

}  // namespace acid::store
