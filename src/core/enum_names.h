// An enum's names in one table, read both ways: each value's name is written once, beside the
// value, and name_of / value_named walk the same list. (Written as a switch for to_string and a
// second list of values for parse, every value was spelled twice.) A table's rows are EnumName
// or any struct with the same two members first, `value` and `name`, and more facts after them.
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
template <typename Row, std::size_t N>
constexpr const char *name_of(const Row (&table)[N], decltype(Row::value) value,
                              const char *fallback = "unknown") noexcept {
  for (const Row &entry : table) {
    if (entry.value == value) return entry.name;
  }
  return fallback;
}

// The value named `name` in `table`; nullopt when none is.
template <typename Row, std::size_t N>
constexpr std::optional<decltype(Row::value)> value_named(const Row (&table)[N],
                                                          std::string_view name) noexcept {
  for (const Row &entry : table) {
    if (name == entry.name) return entry.value;
  }
  return std::nullopt;
}

// The row of `value` in `table`; nullptr for a value the table lacks.
template <typename Row, std::size_t N>
constexpr const Row *row_of(const Row (&table)[N], decltype(Row::value) value) noexcept {
  for (const Row &entry : table) {
    if (entry.value == value) return &entry;
  }
  return nullptr;
}

// Whether the table names the values 0, 1, ..., N-1 in that order: for an enum with default
// values, no value before the last entry is left out or named twice. Each table states it in a
// static_assert; a value added after the last entry is caught by the tests listing every name.
template <typename Row, std::size_t N>
constexpr bool in_declaration_order(const Row (&table)[N]) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (static_cast<std::size_t>(table[i].value) != i) return false;
  }
  return true;
}

}  // namespace acid
