// Handle rules: the aesthetic.computer (AC) handle, the ATProto handle syntax, and the choice of
// the PDS handle `<label>.<domain>` with its fallback `<code>.<domain>`.
//
// AC handle (deployed `validateHandle`): alphanumeric runs joined by single `.` or `_`, no
// leading/trailing/doubled separator, case-insensitive, 1-16 characters. The syntax is checked
// before the length, so a 17-character string with a bad character is "invalid", not "too long".
// One leading `@` is stripped first, as the deployed handle endpoint does.
//
// PDS label: the AC handle lowercased with `.` and `_` turned into `-`. It is usable only when it
// is 3-18 characters of `[a-z0-9-]` with no leading or trailing `-` and `<label>.<domain>` is a
// valid ATProto handle on a registrable TLD. Note that `a.b` and `a_b` share the label `a-b`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace acid::pds {

inline constexpr std::size_t kAcHandleMaxLength = 16;
inline constexpr std::size_t kPdsLabelMinLength = 3;
inline constexpr std::size_t kPdsLabelMaxLength = 18;
inline constexpr std::size_t kAtprotoHandleMaxLength = 253;
inline constexpr std::size_t kDnsLabelMaxLength = 63;
// A service domain must leave room for the longest label plus its dot, so that every usable
// label (and every 9-character user code) fits in a 253-character handle.
inline constexpr std::size_t kHandleDomainMaxLength =
    kAtprotoHandleMaxLength - kPdsLabelMaxLength - 1;

// The AC handle without one leading `@`.
std::string_view strip_leading_at(std::string_view handle);

// Validates an AC handle (after stripping one `@`). Fails with Code::invalid; detail_json is
// {"reason":"invalid"} or {"reason":"too long"}, the deployed validateHandle's two answers.
Status validate_ac_handle(std::string_view handle);

// The key for case-insensitive uniqueness: one `@` stripped, ASCII lowercased. Does not validate.
std::string normalize_ac_handle(std::string_view handle);

// ATProto handle syntax (atproto.com/specs/handle): ASCII, at most 253 characters, at least two
// dot-separated labels of 1-63 `[A-Za-z0-9-]` without leading or trailing hyphen, and a last label
// that does not start with a digit. This is the protocol syntax only: `laptop.local` passes here;
// registration-level TLD rules are has_disallowed_tld().
Status validate_atproto_handle(std::string_view handle);
bool is_valid_atproto_handle(std::string_view handle);

// True when the handle (or domain) ends in a TLD the PDS refuses to register: .local .arpa
// .invalid .localhost .internal .example .alt .onion (compared case-insensitively).
bool has_disallowed_tld(std::string_view handle);

// A PDS service domain as handles are built on it, e.g. `at.aesthetic.computer`: no leading or
// trailing dot, ATProto label syntax, a TLD not starting with a digit and not disallowed, at most
// kHandleDomainMaxLength characters. A single label (`test`) is accepted.
Status validate_handle_domain(std::string_view domain);

// The PDS label for an AC handle, or nullopt when the handle is invalid or the label unusable.
std::optional<std::string> pds_label_for(std::string_view ac_handle);

struct HandleChoice {
  std::string handle;  // lowercase `<label>.<domain>` or `<code>.<domain>`
  bool is_fallback = false;
  std::string reason;  // why the fallback was taken; empty for the preferred handle
};

// `<code>.<domain>`, lowercased. The code must match ^ac[0-9]{2}[a-z]{5}$.
Result<std::string> fallback_handle(std::string_view code, std::string_view domain);

// The preferred `<label>.<domain>` when the AC handle gives a usable label, else the fallback.
// Fails (Code::invalid) only on a bad user code or domain; a missing, invalid or unusable AC
// handle is not an error but a fallback with its reason.
Result<HandleChoice> choose_pds_handle(std::optional<std::string_view> ac_handle,
                                       std::string_view user_code, std::string_view domain);

// True when a PDS error message is one of the deployed fallback triggers ("Reserved handle",
// "Invalid handle", "must be a valid handle", "Handle too short", "Handle already taken";
// case-sensitive substring match, as deployed). Prefer the XRPC client's typed error kinds
// (HandleNotAvailable, InvalidHandle, taken): messages are not a stable interface. Note that
// the PDS's slur filter ("Inappropriate language in handle", InvalidHandle) is not a deployed
// trigger.
bool message_requests_fallback(std::string_view pds_error_message);

}  // namespace acid::pds
