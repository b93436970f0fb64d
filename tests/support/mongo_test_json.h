// Expected documents for the MongoDB adapter's unit tests, written as compact extended JSON and
// compared in canonical form (types included). Shorthands: @NOW@ is the date 1760400000000 ms,
// @D:N@ the date N ms, @L:N@ NumberLong(N), @WC@ {w: "majority"}, @RC@ {level: "majority"}.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "store/mongo/mongo_bson.h"

namespace acid::store::mongo::test {

inline constexpr UnixMillis kNow = 1760400000000;

inline std::string expand(std::string_view text) {
  std::string s(text);
  auto replace_all = [&](const std::string &from, const std::string &to) {
    for (std::size_t at = s.find(from); at != std::string::npos;
         at = s.find(from, at + to.size())) {
      s.replace(at, from.size(), to);
    }
  };
  replace_all("@NOW@", "@D:1760400000000@");
  replace_all("@WC@", R"({"w":"majority"})");
  replace_all("@RC@", R"({"level":"majority"})");
  for (const char *tag : {"@D:", "@L:"}) {
    for (std::size_t at = s.find(tag); at != std::string::npos; at = s.find(tag)) {
      const std::size_t end = s.find('@', at + 3);
      const std::string n = s.substr(at + 3, end - at - 3);
      const std::string value = tag[1] == 'D' ? R"({"$date":{"$numberLong":")" + n + R"("}})"
                                              : R"({"$numberLong":")" + n + R"("})";
      s.replace(at, end - at + 1, value);
    }
  }
  return s;
}

// The canonical extended JSON of an expected document (fails the test if it does not parse).
inline std::string J(std::string_view text) {
  const std::string expanded = expand(text);
  std::string c = canonicalize_json(expanded);
  EXPECT_FALSE(c.empty()) << "unparseable expected JSON: " << expanded;
  return c;
}

// A document from compact extended JSON (asserts it parses).
inline Doc D(std::string_view text) {
  auto d = Doc::from_json(expand(text));
  EXPECT_TRUE(d.is_ok()) << text;
  return d.is_ok() ? std::move(*d) : Doc();
}

}  // namespace acid::store::mongo::test
