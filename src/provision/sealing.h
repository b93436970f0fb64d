// Sealing stored PDS passwords, only when an operator asks for it (`acidentity credentials
// seal`). The deployed aesthetic.computer code reads users.atproto.password in plaintext, so a
// legacy password stays exactly as it is until every reader uses the library
// (docs/migrating.md): nothing else in the library (provisioning jobs, backfill, audit) rewrites
// a stored password.
#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"
#include "core/status.h"
#include "store/account_store.h"
#include "store/audit_scan.h"

namespace acid::provision {

// Where the stored passwords of PDS accounts stand.
struct CredentialsCounts {
  std::uint64_t accounts = 0;         // users with a DID
  std::uint64_t sealed = 0;           // sealed values (any key)
  std::uint64_t old_key = 0;          // of those, sealed with a key other than the primary
  std::uint64_t plaintext = 0;        // legacy plaintext (the deployed format)
  std::uint64_t missing = 0;          // a DID without a stored password
  std::uint64_t skipped_service = 0;  // plaintext values of service accounts (never sealed)
};

// One scan of the store. The key is optional (without one, old_key stays 0).
Result<CredentialsCounts> credentials_counts(store::AuditScan &scan, const Config &config);
// {"accounts","sealed","old_key","plaintext","missing","service_plaintext","key":"<id>"|null}
std::string to_json(const CredentialsCounts &counts, const Config &config);

struct SealOptions {
  bool all = false;  // every account, or
  std::string user;  // one sub
  bool dry_run = false;
};

// Parses {"all":true} | {"user":"SUB"}, plus "dry_run":bool. Code::invalid naming the problem.
Result<SealOptions> parse_seal_options(std::string_view json);

// Seals (with the primary key) every plaintext password in scope, and re-seals values sealed
// with an older key of the ring. Each write is compare-and-set: a password changed meanwhile is
// left alone and reported. Service accounts (core/service_accounts.h: art-guest, any _id that is
// not an Auth0 sub, and those listed in ACID_SERVICE_ACCOUNTS) are never sealed. Code::config
// without ACID_CREDENTIALS_KEY; Code::not_found for an unknown
// --user. Report: {"dry_run","key","checked","sealed","resealed","already_sealed","skipped":[..],
// "failed":[{"sub","code","error"}]} (dry run: "would_seal","would_reseal").
Result<std::string> seal_credentials(store::AccountStore &accounts, store::AuditScan &scan,
                                     const Config &config, const SealOptions &options);

}  // namespace acid::provision
