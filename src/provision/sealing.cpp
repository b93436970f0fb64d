#include "provision/sealing.h"

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/seal.h"
#include "provision/credentials.h"
#include "provision/provisioner.h"

namespace acid::provision {

namespace {

struct Stored {
  std::string sub;
  std::string password;  // as stored
};

struct SealTally {
  std::uint64_t checked = 0, sealed = 0, resealed = 0, already_sealed = 0;
  std::vector<std::pair<std::string, std::string>> skipped;  // sub, reason
  std::vector<std::string> failed;                           // JSON objects
};

// Service accounts (core/service_accounts.h) keep their credentials as stored: the deployed
// code logs in with them.
bool is_service_account(const Config &config, const store::Account &a) {
  const std::optional<std::string_view> did =
      a.did ? std::optional<std::string_view>(*a.did) : std::nullopt;
  return config.service_accounts.reason(a.sub, did).has_value();
}

std::string failure_json(const std::string &sub, const Error &error) {
  return json::object([&](json::Writer &w) {
    json::member(w, "sub", sub);
    json::member(w, "code", code_name(error.code));
    json::member(w, "error", error.message);
  });
}

// Every stored password in scope (the scan may not call the store, so they are collected first).
Result<std::vector<Stored>> collect(store::AccountReader &accounts, store::AuditScan &scan,
                                    const Config &config, const SealOptions &options,
                                    SealTally &out) {
  std::vector<Stored> found;
  if (!options.all) {
    const auto refused = [&] {
      return Error(Code::invalid, "\"" + options.user +
                                      "\" is a service account, not a person: its credentials "
                                      "are read as they are stored and never sealed");
    };
    // By id first (art-guest need not exist to be refused), then with the stored DID.
    if (config.service_accounts.is_service_sub(options.user)) return refused();
    ACID_ASSIGN_OR_RETURN(auto account, accounts.get_account(options.user));
    if (is_service_account(config, account)) return refused();
    if (account.password) {
      found.push_back({options.user, *account.password});
    } else {
      ++out.checked;
      out.skipped.emplace_back(options.user, "no stored password");
    }
    return found;
  }
  Status scanned = scan.scan_accounts({}, [&](const store::AuditRow &row) -> Status {
    const store::Account &a = row.account;
    if (!a.password) return Status::ok();
    if (is_service_account(config, a)) {
      if (!seal::is_sealed(*a.password)) {
        ++out.checked;
        out.skipped.emplace_back(a.sub, "service account (never sealed)");
      }
      return Status::ok();
    }
    found.push_back({a.sub, *a.password});
    return Status::ok();
  });
  if (!scanned) return std::move(scanned).error();
  return found;
}

std::string report_json(const SealTally &o, const Config &config, bool dry_run) {
  return json::object([&](json::Writer &w) {
    json::member(w, "dry_run", dry_run);
    json::member(w, "key", config.credentials_key->primary_id());
    json::member(w, "checked", o.checked);
    json::member(w, dry_run ? "would_seal" : "sealed", o.sealed);
    json::member(w, dry_run ? "would_reseal" : "resealed", o.resealed);
    json::member(w, "already_sealed", o.already_sealed);
    json::object_array(w, "skipped", o.skipped, [](json::Writer &s, const auto &skipped) {
      json::member(s, "sub", skipped.first);
      json::member(s, "reason", skipped.second);
    });
    w.Key("failed");
    w.StartArray();
    for (const std::string &f : o.failed) w.RawValue(f.data(), f.size(), rapidjson::kObjectType);
    w.EndArray();
  });
}

}  // namespace

Result<CredentialsCounts> credentials_counts(store::AuditScan &scan, const Config &config) {
  CredentialsCounts c;
  const seal::KeyRing *ring = config.credentials_key ? &*config.credentials_key : nullptr;
  Status scanned = scan.scan_accounts({}, [&](const store::AuditRow &row) -> Status {
    const store::Account &a = row.account;
    if (!a.did && !a.password) return Status::ok();
    ++c.accounts;
    if (!a.password) {
      ++c.missing;
    } else if (seal::is_sealed(*a.password)) {
      ++c.sealed;
      if (ring && seal::needs_reseal(*ring, *a.password)) ++c.old_key;
    } else if (is_service_account(config, a)) {
      ++c.skipped_service;
    } else {
      ++c.plaintext;
    }
    return Status::ok();
  });
  if (!scanned) return std::move(scanned).error();
  return c;
}

std::string to_json(const CredentialsCounts &c, const Config &config) {
  return json::object([&](json::Writer &w) {
    for (auto [key, count] :
         {std::pair{"accounts", c.accounts}, std::pair{"sealed", c.sealed},
          std::pair{"old_key", c.old_key}, std::pair{"plaintext", c.plaintext},
          std::pair{"missing", c.missing}, std::pair{"service_plaintext", c.skipped_service}}) {
      json::member(w, key, count);
    }
    json::member(w, "key",
                 config.credentials_key ? std::optional(config.credentials_key->primary_id())
                                        : std::nullopt);
  });
}

Result<SealOptions> parse_seal_options(std::string_view text) {
  auto doc = json::parse(text);
  if (!doc || !doc->IsObject()) return Error(Code::invalid, "seal options must be a JSON object");
  SealOptions o;
  int scopes = 0;
  for (const auto &m : doc->GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "all") {
      if (!m.value.IsBool() || !m.value.GetBool()) {
        return Error(Code::invalid, "\"all\" must be true");
      }
      o.all = true;
      ++scopes;
    } else if (name == "user") {
      if (!m.value.IsString() || m.value.GetStringLength() == 0) {
        return Error(Code::invalid, "\"user\" must be a non-empty string");
      }
      o.user.assign(m.value.GetString(), m.value.GetStringLength());
      ++scopes;
    } else if (name == "dry_run") {
      if (!m.value.IsBool()) return Error(Code::invalid, "\"dry_run\" must be a boolean");
      o.dry_run = m.value.GetBool();
    } else {
      return Error(Code::invalid, "unknown seal option \"" + std::string(name) + "\"");
    }
  }
  if (scopes != 1) return Error(Code::invalid, "give exactly one of \"all\":true or \"user\"");
  return o;
}

Result<std::string> seal_credentials(store::AccountStore &accounts, store::AuditScan &scan,
                                     const Config &config, const SealOptions &options) {
  if (!config.credentials_key) {
    return Error(Code::config,
                 "ACID_CREDENTIALS_KEY: not set (sealing needs the key to seal with)");
  }
  const seal::KeyRing &ring = *config.credentials_key;
  SealTally out;
  ACID_ASSIGN_OR_RETURN(auto stored, collect(accounts, scan, config, options, out));
  for (const Stored &s : stored) {
    ++out.checked;
    if (!seal::needs_reseal(ring, s.password)) {
      ++out.already_sealed;
      continue;
    }
    const bool plaintext = !seal::is_sealed(s.password);
    auto opened = open_stored_password(config, s.sub, s.password);
    if (!opened) {
      out.failed.push_back(failure_json(s.sub, opened.error()));
      continue;
    }
    auto sealed = seal::seal(ring, *opened, password_aad(s.sub));
    if (!sealed) {
      out.failed.push_back(failure_json(s.sub, sealed.error()));
      continue;
    }
    if (!options.dry_run) {
      Status st = accounts.replace_password(s.sub, s.password, *sealed);
      if (!st && st.code() == Code::conflict) {
        out.skipped.emplace_back(s.sub, "the stored password changed meanwhile");
        continue;
      }
      if (!st) {
        out.failed.push_back(failure_json(s.sub, st.error()));
        continue;
      }
    }
    ++(plaintext ? out.sealed : out.resealed);
  }
  return report_json(out, config, options.dry_run);
}

}  // namespace acid::provision
