#include "core/redact.h"

#include <algorithm>

#include "core/json.h"
#include "core/percent_encode.h"

namespace acid {
namespace {

// Every form in which a secret may show up in a line of text.
void add_forms(std::string_view secret, std::vector<std::string> &forms) {
  if (secret.empty()) return;
  forms.emplace_back(secret);
  std::string quoted = json::quote(secret);
  if (quoted.size() >= 2) forms.push_back(quoted.substr(1, quoted.size() - 2));
  forms.push_back(percent_encode(secret, HexCase::upper));
  forms.push_back(percent_encode(secret, HexCase::lower));
}

template <typename Range>
std::vector<std::string> forms_of(const Range &secrets) {
  std::vector<std::string> forms;
  for (const auto &s : secrets) add_forms(std::string_view(s), forms);
  std::sort(forms.begin(), forms.end());
  forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
  return forms;
}

std::string redact_forms(std::string_view text, const std::vector<std::string> &forms) {
  if (forms.empty()) return std::string(text);
  std::vector<bool> hidden(text.size(), false);
  bool any = false;
  for (const std::string &f : forms) {
    // Every occurrence, overlapping ones included.
    for (std::size_t pos = text.find(f); pos != std::string_view::npos;
         pos = text.find(f, pos + 1)) {
      std::fill(hidden.begin() + static_cast<std::ptrdiff_t>(pos),
                hidden.begin() + static_cast<std::ptrdiff_t>(pos + f.size()), true);
      any = true;
    }
  }
  if (!any) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (!hidden[i]) {
      out.push_back(text[i++]);
      continue;
    }
    out += kRedacted;
    while (i < text.size() && hidden[i]) ++i;
  }
  return out;
}

bool contains_forms(std::string_view text, const std::vector<std::string> &forms) {
  return std::any_of(forms.begin(), forms.end(),
                     [&](const std::string &f) { return text.find(f) != std::string_view::npos; });
}

bool ends_uri(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'' || c == '<' ||
         c == '>' || c == '`';
}

// Looks like "user:secret-with-a-slash..." rather than "host:port/..." or "[v6]:port/...".
bool looks_like_userinfo(std::string_view candidate) {
  const std::size_t colon = candidate.find(':');
  if (colon == std::string_view::npos || colon == 0 || candidate.front() == '[') return false;
  if (candidate.substr(0, colon).find_first_of("/?#") != std::string_view::npos) return false;
  const std::size_t delim = candidate.find_first_of("/?#", colon);
  const std::string_view after = candidate.substr(colon + 1, delim - colon - 1);
  const bool port =
      !after.empty() && after.find_first_not_of("0123456789") == std::string_view::npos;
  return !port;
}

}  // namespace

std::string redact(std::string_view text, std::initializer_list<std::string_view> secrets) {
  return redact_forms(text, forms_of(secrets));
}

bool contains_secret(std::string_view text, std::initializer_list<std::string_view> secrets) {
  return contains_forms(text, forms_of(secrets));
}

namespace detail {

std::string redact_views(std::string_view text, std::span<const std::string_view> secrets) {
  return redact_forms(text, forms_of(secrets));
}

bool contains_views(std::string_view text, std::span<const std::string_view> secrets) {
  return contains_forms(text, forms_of(secrets));
}

}  // namespace detail

std::string redact_uri_credentials(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;  // text[0, copied) is already in `out`
  std::size_t search = 0;
  while (true) {
    const std::size_t sep = text.find("://", search);
    if (sep == std::string_view::npos) break;
    const std::size_t start = sep + 3;
    std::size_t end = start;
    while (end < text.size() && !ends_uri(text[end])) ++end;
    const std::string_view uri = text.substr(start, end - start);
    search = end;

    const std::size_t delim = std::min(uri.find_first_of("/?#"), uri.size());
    std::size_t at = uri.substr(0, delim).rfind('@');
    if (at == std::string_view::npos) {
      const std::size_t last = uri.rfind('@');
      if (last != std::string_view::npos && looks_like_userinfo(uri.substr(0, last))) at = last;
    }
    if (at == std::string_view::npos) continue;

    const std::string_view userinfo = uri.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    std::size_t hide_from = start;  // no colon: the whole userinfo may be a token
    if (colon != std::string_view::npos) {
      if (colon + 1 == userinfo.size()) continue;  // "user:@host": nothing to hide
      hide_from = start + colon + 1;
    } else if (userinfo.empty()) {
      continue;
    }
    out.append(text.substr(copied, hide_from - copied));
    out += kRedacted;
    copied = start + at;
  }
  out.append(text.substr(copied));
  return out;
}

Redactor::Redactor(const std::vector<std::string> &secrets) : forms_(forms_of(secrets)) {}

std::string Redactor::operator()(std::string_view text) const {
  return redact_uri_credentials(redact_forms(text, forms_));
}

}  // namespace acid
