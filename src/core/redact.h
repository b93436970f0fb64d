// Keeping secrets out of log lines and error messages.
#pragma once

#include <initializer_list>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace acid {

inline constexpr std::string_view kRedacted = "[redacted]";

// Replaces every occurrence of each non-empty secret in `text` with "[redacted]". Also caught:
// the secret as it appears inside a JSON string (escaped the way core/json.h writes it) and
// percent-encoded (upper- or lower-case hex), when those forms differ from the raw secret.
// Overlapping or adjacent occurrences collapse into one "[redacted]", so nothing of a secret
// survives even when one secret contains or overlaps another.
std::string redact(std::string_view text, std::initializer_list<std::string_view> secrets);

// True when `text` holds any non-empty secret in any of the forms above.
bool contains_secret(std::string_view text, std::initializer_list<std::string_view> secrets);

namespace detail {
std::string redact_views(std::string_view text, std::span<const std::string_view> secrets);
bool contains_views(std::string_view text, std::span<const std::string_view> secrets);
}  // namespace detail

// The same over any range of strings (e.g. a std::vector<std::string> of configured secrets).
template <typename Range>
requires(!std::is_convertible_v<const Range &, std::string_view>) std::string
    redact(std::string_view text, const Range &secrets) {
  const std::vector<std::string_view> views(std::begin(secrets), std::end(secrets));
  return detail::redact_views(text, views);
}

template <typename Range>
requires(!std::is_convertible_v<const Range &, std::string_view>) bool contains_secret(
    std::string_view text, const Range &secrets) {
  const std::vector<std::string_view> views(std::begin(secrets), std::end(secrets));
  return detail::contains_views(text, views);
}

// Hides the credentials of every URI in `text` ("scheme://user:pass@host..."):
//   mongodb://user:pass@host/db   ->  mongodb://user:[redacted]@host/db
//   https://token@host            ->  https://[redacted]@host      (userinfo without a colon)
// A URI ends at whitespace, a quote, '<', '>' or '`'. When the password itself holds an
// unescaped '/', '?' or '#' (an invalid URI, exactly the kind a driver would print in an error)
// the last '@' of the URI is taken as the end of the userinfo: this may hide more than the
// password, never less.
std::string redact_uri_credentials(std::string_view text);

// The one redaction pass every log line and alert of a client goes through: each configured
// secret in every form above, then URI credentials. The forms are computed once.
class Redactor {
 public:
  Redactor() = default;
  explicit Redactor(const std::vector<std::string> &secrets);
  std::string operator()(std::string_view text) const;

 private:
  std::vector<std::string> forms_;
};

}  // namespace acid
