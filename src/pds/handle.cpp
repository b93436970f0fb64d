#include "pds/handle.h"

#include <array>

#include "core/ascii.h"

namespace acid::pds {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_alnum(char c) {
  return is_digit(c) || is_lower(c) || (c >= 'A' && c <= 'Z');
}

Error invalid(std::string message, std::string_view reason) {
  return Error(Code::invalid, std::move(message),
               std::string(R"({"reason":")") + std::string(reason) + R"("})");
}

// One DNS-style label of an ATProto handle: 1-63 of [A-Za-z0-9-], no leading/trailing hyphen.
// Returns the failure reason, or nullptr when the label is fine.
const char *label_problem(std::string_view label) {
  if (label.empty()) return "empty label";
  if (label.size() > kDnsLabelMaxLength) return "label longer than 63 characters";
  for (char c : label) {
    if (!is_alnum(c) && c != '-') return "label has a character outside [A-Za-z0-9-]";
  }
  if (label.front() == '-' || label.back() == '-') return "label starts or ends with '-'";
  return nullptr;
}

// Shared by handles and service domains: labels, TLD not starting with a digit, ASCII.
// `min_labels` is 2 for a handle, 1 for a domain.
Status check_labels(std::string_view name, std::size_t min_labels, std::string_view what) {
  const std::string prefix = std::string("invalid ") + std::string(what) + ": ";
  for (char c : name) {
    if (static_cast<unsigned char>(c) >= 0x80) return invalid(prefix + "not ASCII", "not ascii");
  }
  std::size_t labels = 0;
  std::string_view last;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (const char *problem = label_problem(label)) return invalid(prefix + problem, "label");
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < min_labels) {
    return invalid(prefix + "needs at least " + std::to_string(min_labels) + " labels",
                   "too few labels");
  }
  if (is_digit(last.front())) return invalid(prefix + "TLD starts with a digit", "tld");
  return Status::ok();
}

bool is_valid_user_code(std::string_view code) {
  if (code.size() != 9 || code[0] != 'a' || code[1] != 'c') return false;
  if (!is_digit(code[2]) || !is_digit(code[3])) return false;
  for (std::size_t i = 4; i < code.size(); ++i) {
    if (!is_lower(code[i])) return false;
  }
  return true;
}

// The label rule proper: 3-18 of [a-z0-9-], no leading or trailing '-'.
const char *label_unusable(std::string_view label) {
  if (label.size() < kPdsLabelMinLength) return "label shorter than 3 characters";
  if (label.size() > kPdsLabelMaxLength) return "label longer than 18 characters";
  for (char c : label) {
    if (!is_lower(c) && !is_digit(c) && c != '-') return "label has a character outside [a-z0-9-]";
  }
  if (label.front() == '-' || label.back() == '-') return "label starts or ends with '-'";
  return nullptr;
}

// The label for a valid AC handle, or the reason there is none.
struct LabelOutcome {
  std::optional<std::string> label;
  std::string reason;
};

LabelOutcome label_outcome(std::string_view ac_handle) {
  if (Status s = validate_ac_handle(ac_handle); !s) return {std::nullopt, s.error().message};
  std::string label = normalize_ac_handle(ac_handle);
  for (char &c : label) {
    if (c == '.' || c == '_') c = '-';
  }
  if (const char *problem = label_unusable(label)) return {std::nullopt, problem};
  return {std::move(label), {}};
}

}  // namespace

std::string_view strip_leading_at(std::string_view handle) {
  if (!handle.empty() && handle.front() == '@') handle.remove_prefix(1);
  return handle;
}

Status validate_ac_handle(std::string_view handle) {
  const std::string_view h = strip_leading_at(handle);
  // ^[a-z0-9]+([._][a-z0-9]+)*$ with /i: every separator sits between two alphanumerics.
  bool ok = !h.empty();
  for (std::size_t i = 0; ok && i < h.size(); ++i) {
    const char c = h[i];
    if (is_alnum(c)) continue;
    const bool separator = c == '.' || c == '_';
    ok = separator && i > 0 && i + 1 < h.size() && is_alnum(h[i - 1]) && is_alnum(h[i + 1]);
  }
  if (!ok) {
    return invalid(
        "invalid AC handle: use letters and digits joined by single '.' or '_' separators",
        "invalid");
  }
  if (h.size() > kAcHandleMaxLength) {
    return invalid("AC handle too long: " + std::to_string(h.size()) + " characters, at most " +
                       std::to_string(kAcHandleMaxLength),
                   "too long");
  }
  return Status::ok();
}

std::string normalize_ac_handle(std::string_view handle) {
  return ascii_lowercase(strip_leading_at(handle));
}

Status validate_atproto_handle(std::string_view handle) {
  if (handle.empty()) return invalid("invalid ATProto handle: empty", "empty");
  if (handle.size() > kAtprotoHandleMaxLength) {
    return invalid("invalid ATProto handle: longer than 253 characters", "too long");
  }
  return check_labels(handle, 2, "ATProto handle");
}

bool is_valid_atproto_handle(std::string_view handle) {
  return validate_atproto_handle(handle).is_ok();
}

bool has_disallowed_tld(std::string_view handle) {
  static constexpr std::array<std::string_view, 8> kDisallowed = {
      ".local", ".arpa", ".invalid", ".localhost", ".internal", ".example", ".alt", ".onion"};
  // Built by appending: `"." + std::string` (insert at 0) makes GCC 12 at -O3 report a false
  // -Wrestrict inside libstdc++ (GCC bug 105329).
  std::string lower = ".";
  lower += ascii_lowercase(handle);
  for (std::string_view tld : kDisallowed) {
    if (lower.size() >= tld.size() &&
        lower.compare(lower.size() - tld.size(), tld.size(), tld) == 0) {
      return true;
    }
  }
  return false;
}

Status validate_handle_domain(std::string_view domain) {
  if (domain.empty()) return invalid("invalid handle domain: empty", "empty");
  if (domain.front() == '.') {
    return invalid("invalid handle domain: give it without the leading '.'", "leading dot");
  }
  if (domain.size() > kHandleDomainMaxLength) {
    return invalid("invalid handle domain: longer than " + std::to_string(kHandleDomainMaxLength) +
                       " characters (no room for an 18-character label)",
                   "too long");
  }
  ACID_TRY(check_labels(domain, 1, "handle domain"));
  if (has_disallowed_tld(domain)) {
    return invalid("invalid handle domain: TLD is disallowed for handles", "disallowed tld");
  }
  return Status::ok();
}

std::optional<std::string> pds_label_for(std::string_view ac_handle) {
  return label_outcome(ac_handle).label;
}

Result<std::string> fallback_handle(std::string_view code, std::string_view domain) {
  if (!is_valid_user_code(code)) {
    return invalid("invalid user code: expected ac, 2 digits and 5 lowercase letters", "code");
  }
  ACID_TRY(validate_handle_domain(domain));
  std::string handle = std::string(code) + "." + ascii_lowercase(domain);
  ACID_TRY(validate_atproto_handle(handle));
  return handle;
}

Result<HandleChoice> choose_pds_handle(std::optional<std::string_view> ac_handle,
                                       std::string_view user_code, std::string_view domain) {
  ACID_ASSIGN_OR_RETURN(std::string fallback, fallback_handle(user_code, domain));

  std::string reason = "no AC handle";
  if (ac_handle) {
    LabelOutcome outcome = label_outcome(*ac_handle);
    if (outcome.label) {
      std::string preferred = *outcome.label + "." + ascii_lowercase(domain);
      Status syntax = validate_atproto_handle(preferred);
      if (syntax) return HandleChoice{std::move(preferred), false, {}};
      reason = syntax.error().message;
    } else {
      reason = std::move(outcome.reason);
    }
  }
  return HandleChoice{std::move(fallback), true, std::move(reason)};
}

bool message_requests_fallback(std::string_view pds_error_message) {
  static constexpr std::array<std::string_view, 5> kTriggers = {
      "Reserved handle", "Invalid handle", "must be a valid handle", "Handle too short",
      "Handle already taken"};
  for (std::string_view trigger : kTriggers) {
    if (pds_error_message.find(trigger) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace acid::pds
