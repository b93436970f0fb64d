// Cryptographically secure randomness (OpenSSL's DRBG). Failures are reported, never ignored:
// a key or password drawn from a failed generator would be predictable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"

namespace acid {

Status random_bytes(std::span<std::uint8_t> out);

// Uniform in [0, bound) without modulo bias (rejection sampling). bound must be > 0.
Result<std::uint64_t> random_below(std::uint64_t bound);

// `length` characters drawn uniformly from `alphabet`.
Result<std::string> random_string(std::size_t length, std::string_view alphabet);

}  // namespace acid
