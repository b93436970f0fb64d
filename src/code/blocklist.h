// Offensive or reserved code suffixes the allocator must skip. The list itself is
// src/code/blocklist.txt (compiled in at build time); see the comment at its top for what
// qualifies.
#pragma once

#include <span>
#include <string_view>

namespace acid::code {

// True if the 5-letter suffix is on the blocklist. ASCII case-insensitive; anything that is not
// exactly 5 characters is never blocked.
bool is_blocked_suffix(std::string_view suffix);

// True if a full code ("ac25xxxxx") has a blocked suffix. Anything that is not kCodeLength
// characters is never blocked (validate it separately).
bool is_blocked_code(std::string_view code);

// Every entry, in file order (lowercase, 5 letters each).
std::span<const std::string_view> blocked_suffixes();

}  // namespace acid::code
