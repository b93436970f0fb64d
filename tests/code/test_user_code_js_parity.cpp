// parse() against the deployed JavaScript rule itself,
// `text.toLowerCase().match(/ac[0-9]{2}[a-z]{5}/)`, evaluated by Node (whose toLowerCase implements
// Unicode's full case mappings) on adversarial text: mixed case, the two characters that lowercase
// to ASCII letters, look-alikes, and bytes that are not well-formed UTF-8.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "code/user_code.h"

namespace acid::code {
namespace {

namespace fs = std::filesystem;

const fs::path kOracle = fs::path(ACID_SOURCE_DIR) / "tests/code/js_user_code_oracle.mjs";

// Runs the oracle script with `args`; its standard output, or a failed test.
std::string run_node(const std::string &args) {
  const std::string command = std::string(ACID_NODE) + " " + kOracle.string() + " " + args;
  FILE *pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr) << command;
  if (pipe == nullptr) return {};
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(pipe), 0) << command;
  return out;
}

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Pieces that make a match, break one, or nearly make one. No '\n' (the file is line based).
const std::vector<std::string_view> kPieces = {
    "a",
    "c",
    "A",
    "C",
    "ac",
    "AC",
    "aC",
    "Ac",
    "2",
    "5",
    "0",
    "9",
    "x",
    "X",
    "d",
    "E",
    "h",
    "z",
    "K",
    "k",
    "i",
    "I",
    "\xe2\x84\xaa",  // U+212A KELVIN SIGN -> k
    "\xc4\xb0",      // U+0130 -> i U+0307
    "\xc4\xb1",      // U+0131 dotless i
    "\xc5\xbf",      // U+017F long s
    "\xe2\x84\xab",  // U+212B ANGSTROM SIGN
    "\xc3\x89",
    "\xc3\xa9",
    "\xc3\x9f",          // É é ß
    "\xef\xbc\xa1",      // U+FF21 fullwidth A
    "\xf0\x9f\x98\x80",  // an emoji (a surrogate pair in JavaScript)
    "\xe2\x84",          // truncated
    "\xc0\xaf",
    "\xff",
    "\x80",
    "\xed\xa0\x80",  // overlong, invalid, stray, encoded surrogate
    " ",
    "@",
    ".",
    "-",
    "\t"};

std::string adversarial(std::mt19937 &rng) {
  std::uniform_int_distribution<std::size_t> count(0, 24);
  std::uniform_int_distribution<std::size_t> pick(0, kPieces.size() - 1);
  std::string text;
  const std::size_t n = count(rng);
  for (std::size_t i = 0; i < n; ++i) text += kPieces[pick(rng)];
  return text;
}

// One of `usual` most of the time, else any piece: text that is a code but for a few places.
std::string_view mostly(std::mt19937 &rng, const std::vector<std::string_view> &usual) {
  std::uniform_int_distribution<int> percent(0, 99);
  if (percent(rng) < 85)
    return usual[std::uniform_int_distribution<std::size_t>(0, usual.size() - 1)(rng)];
  return kPieces[std::uniform_int_distribution<std::size_t>(0, kPieces.size() - 1)(rng)];
}

std::string near_code(std::mt19937 &rng) {
  static const std::vector<std::string_view> kPrefixes = {"ac", "AC", "Ac", "aC"};
  static const std::vector<std::string_view> kDigits = {"0", "2", "5", "9"};
  static const std::vector<std::string_view> kLetters = {
      "x", "a", "D", "e", "H", "k", "K", "\xe2\x84\xaa", "\xc4\xb0", "i", "z", "U"};
  std::string text = adversarial(rng).substr(0, 6);
  text += mostly(rng, kPrefixes);
  for (int i = 0; i < 2; ++i) text += mostly(rng, kDigits);
  for (int i = 0; i < 5; ++i) text += mostly(rng, kLetters);
  return text + adversarial(rng).substr(0, 6);
}

TEST(UserCodeJsParity, ParseAgreesWithJavaScriptOn30000AdversarialStrings) {
  std::mt19937 rng(20251202);
  std::vector<std::string> inputs;
  inputs.reserve(30000);
  // Near-codes first, so many strings come close to matching, then free mixtures.
  for (int i = 0; i < 15000; ++i) inputs.push_back(near_code(rng));
  while (inputs.size() < 30000) inputs.push_back(adversarial(rng));

  const fs::path file =
      fs::temp_directory_path() / ("acid_parse_parity_" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream out(file, std::ios::binary);
    for (const auto &s : inputs) out << s << '\n';
  }
  const std::vector<std::string> expected = lines_of(run_node("parse " + file.string()));
  fs::remove(file);
  ASSERT_EQ(expected.size(), inputs.size());

  std::size_t matches = 0;
  std::size_t differences = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::optional<std::string> got = parse(inputs[i]);
    const std::string shown = got.value_or("-");
    if (shown != "-") ++matches;
    if (shown != expected[i]) {
      ++differences;
      ADD_FAILURE() << "input #" << i << " (" << inputs[i].size() << " bytes): parse gives "
                    << shown << ", JavaScript gives " << expected[i];
      if (differences > 20) break;
    }
  }
  EXPECT_EQ(differences, 0u);
  // The corpus must actually exercise matches, or agreement would mean nothing.
  EXPECT_GT(matches, 1000u);
}

TEST(UserCodeJsParity, OnlyTwoCharactersLowercaseToAsciiLetters) {
  // Every code point through JavaScript's toLowerCase: the non-ASCII ones whose lowercase form
  // contains an ASCII letter or digit are exactly those parse() maps.
  EXPECT_EQ(run_node("ascii-lowercase"), "130\n212a\n");
}

}  // namespace
}  // namespace acid::code
