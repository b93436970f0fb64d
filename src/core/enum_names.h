// An enum's names in one table, read both ways: each value's name is written once, beside the
// value, and name_of / value_named walk the same list. (Written as a switch for to_string and a
// second list of values for parse, every value was spelled twice.)
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

// Whether the table names the values 0, 1, ..., N-1 in that order: for an enum with default
// values, no value before the last entry is left out or named twice. Each table states it in a
// static_assert; a value added after the last entry is caught by the tests listing every name.
template <typename E, std::size_t N>
constexpr bool in_declaration_order(const EnumName<E> (&table)[N]) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (static_cast<std::size_t>(table[i].value) != i) return false;
  }
  return true;
}

}  // namespace acid
