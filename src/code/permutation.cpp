#include "code/permutation.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cassert>
#include <memory>
#include <string>
#include <string_view>

namespace acid::code {

namespace {

constexpr std::string_view kDomainTag = "acidentity.code.permutation.v1";
static_assert(kDomainTag.size() == 30);

struct MacDeleter {
  void operator()(EVP_MAC *mac) const { EVP_MAC_free(mac); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX *ctx) const { EVP_MAC_CTX_free(ctx); }
};

Error openssl_error(std::string_view what) {
  const unsigned long err = ERR_get_error();
  char text[256] = {0};
  if (err != 0) ERR_error_string_n(err, text, sizeof text);
  ERR_clear_error();
  return Error(Code::internal, "code permutation: " + std::string(what) + " failed" +
                                   (err != 0 ? ": " + std::string(text) : std::string()));
}

// Applies one direction of the network until the value is back in [0, kCodesPerYear).
// Terminates: the network permutes [0, kHalf^2), so the cycle through `x` returns to the domain
// at the latest when it comes back to `x` itself. Outside the domain (a broken precondition):
// kCodesPerYear in a release build.
template <typename Network>
std::uint32_t cycle_walk(std::uint32_t x, Network network) {
  assert(x < kCodesPerYear);
  if (x >= kCodesPerYear) return kCodesPerYear;
  do {
    x = network(x);
  } while (x >= kCodesPerYear);
  return x;
}

}  // namespace

Result<CodePermutation> CodePermutation::create(std::span<const std::uint8_t, kKeySize> key,
                                                int yy) {
  if (yy < 0 || yy >= 100) {
    return Error(Code::invalid,
                 "code permutation: year must be two digits (0-99), got " + std::to_string(yy));
  }

  std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr));
  if (!mac) return openssl_error("fetching HMAC");
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) return openssl_error("creating the HMAC context");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };

  std::array<unsigned char, kDomainTag.size() + 4> msg{};
  for (std::size_t i = 0; i < kDomainTag.size(); ++i) {
    msg[i] = static_cast<unsigned char>(kDomainTag[i]);
  }
  msg[kDomainTag.size()] = static_cast<unsigned char>(yy);

  CodePermutation perm;
  perm.yy_ = yy;
  for (int round = 0; round < kRounds; ++round) {
    msg[kDomainTag.size() + 1] = static_cast<unsigned char>(round);
    for (std::uint32_t half = 0; half < kHalf; ++half) {
      msg[kDomainTag.size() + 2] = static_cast<unsigned char>(half >> 8);
      msg[kDomainTag.size() + 3] = static_cast<unsigned char>(half & 0xff);
      unsigned char out[EVP_MAX_MD_SIZE];
      std::size_t out_len = 0;
      if (EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1) {
        return openssl_error("HMAC init");
      }
      if (EVP_MAC_update(ctx.get(), msg.data(), msg.size()) != 1) {
        return openssl_error("HMAC update");
      }
      if (EVP_MAC_final(ctx.get(), out, &out_len, sizeof out) != 1) {
        return openssl_error("HMAC final");
      }
      if (out_len != 32) return openssl_error("HMAC-SHA-256 output length");
      std::uint64_t word = 0;
      for (int i = 0; i < 8; ++i) word = (word << 8) | out[i];
      perm.round_table_[static_cast<std::size_t>(round)][half] =
          static_cast<std::uint16_t>(word % kHalf);
    }
  }
  return perm;
}

std::uint32_t CodePermutation::network_forward(std::uint32_t x) const {
  std::uint32_t left = x / kHalf;
  std::uint32_t right = x % kHalf;
  for (const auto &table : round_table_) {
    const std::uint32_t next = (left + table[right]) % kHalf;
    left = right;
    right = next;
  }
  return left * kHalf + right;
}

std::uint32_t CodePermutation::network_inverse(std::uint32_t x) const {
  std::uint32_t left = x / kHalf;
  std::uint32_t right = x % kHalf;
  for (auto table = round_table_.rbegin(); table != round_table_.rend(); ++table) {
    const std::uint32_t previous = (right + kHalf - (*table)[left]) % kHalf;
    right = left;
    left = previous;
  }
  return left * kHalf + right;
}

std::uint32_t CodePermutation::forward(std::uint32_t counter) const {
  return cycle_walk(counter, [this](std::uint32_t x) { return network_forward(x); });
}

std::uint32_t CodePermutation::inverse(std::uint32_t index) const {
  return cycle_walk(index, [this](std::uint32_t x) { return network_inverse(x); });
}

}  // namespace acid::code
