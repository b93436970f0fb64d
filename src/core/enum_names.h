// An enum's names in one table, read both ways: each value's name is written once, beside the
// value, and name_of / value_named walk the same list. (Written as a switch for to_string and a
// second list of values for parse, every value was spelled twice.) Tests round-trip each table.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace acid {

template <typename E>
struct EnumName {
  E value;
  const char *name;
};

// The name of `value` in `table`; `fallback` for a value the table lacks.
template <typename E, std::size_t N>
constexpr const char *name_of(const EnumName<E> (&table)[N], E value,
                              const char *fallback = "unknown") noexcept {
  for (const EnumName<E> &entry : table) {
    if (entry.value == value) return entry.name;
  }
  return fallback;
}

// The value named `name` in `table`; nullopt when none is.
template <typename E, std::size_t N>
constexpr std::optional<E> value_named(const EnumName<E> (&table)[N],
                                       std::string_view name) noexcept {
  for (const EnumName<E> &entry : table) {
    if (name == entry.name) return entry.value;
  }
  return std::nullopt;
}

}  // namespace acid
