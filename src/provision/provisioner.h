// Runs one leased job against the PDS: create an account (crash-safe), delete one, or move a
// handle. It decides the outcome (done, retry later, give up); the engine records it
// (Engine::run_jobs).
//
// Crash safety of createAccount: the intent (handle, sealed password, email) is persisted before
// the call. A retry that hears "handle/email already taken" proves ownership with createSession
// using the intent's password: success means the account is ours (a lost answer, a crash) and
// its DID is adopted; failure means someone else holds it, and only then does it fall back.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "core/seal.h"
#include "core/status.h"
#include "core/time.h"
#include "pds/pds_error.h"
#include "pds/xrpc_client.h"
#include "store/account_store.h"
#include "store/job_store.h"

namespace acid::provision {

// Finds a person's email when no event carried it (the Auth0 Management API in production).
using EmailLookup = std::function<Result<std::string>(std::string_view sub)>;

struct ProvisionerOptions {
  std::string handle_domain = "at.aesthetic.computer";
  const seal::KeyRing *credentials_key = nullptr;  // seals passwords at rest
  bool allow_plaintext_credentials = false;        // compatibility mode without a key
  std::int64_t backoff_base_ms = 2'000;
  std::int64_t backoff_cap_ms = std::int64_t{15} * 60'000;
};

enum class Outcome { done, retry, give_up };

struct JobResult {
  Outcome outcome = Outcome::done;
  std::optional<UnixMillis> retry_at;  // for retry: when (honours Retry-After / RateLimit-Reset)
  std::optional<Error> error;          // why it did not finish
  std::string note;                    // what happened, for the log line ("created", "adopted")
};

class Provisioner {
 public:
  Provisioner(store::AccountStore &accounts, store::JobStore &jobs, pds::XrpcClient &pds,
              ProvisionerOptions options, EmailLookup email_lookup);

  // Never throws; every failure is in the result.
  JobResult run(const store::Job &job);

  // Delay before retry number `attempt` (1-based): full jitter over an exponential window.
  std::int64_t backoff_ms(int attempt) const;

  // A stored PDS password in clear (unsealed, or legacy plaintext as it is), for logging in.
  Result<std::string> open_password(const std::string &sub, const std::string &stored) const;
  // Seals a password for storage (or keeps it plain in compatibility mode; Code::config if
  // neither is allowed).
  Result<std::string> seal_password(const std::string &sub, const std::string &password) const;

 private:
  JobResult provision(const std::string &sub);
  JobResult remove(const std::string &sub);
  JobResult move_handle(const std::string &sub);
  JobResult after_created(const std::string &sub, std::string note);
  std::optional<JobResult> adopt_existing(const store::Account &account);
  JobResult prove_unknown_outcome(const std::string &sub, const store::AccountIntent &intent,
                                  const std::string &password, Error failure);
  JobResult follow_handle(const store::Account &account, std::string note);
  // The steps of provision() (a JobResult: the run ends with it).
  std::optional<JobResult> settled_by_state(const store::Account &account);
  std::optional<JobResult> make_intent(const std::string &sub, const store::Account &account,
                                       store::AccountIntent &intent, std::string &password);
  Result<bool> held_under_intent_email(const store::AccountIntent &intent);
  std::optional<JobResult> prove_taken_is_ours(const std::string &sub, pds::ErrorKind kind,
                                               const store::AccountIntent &intent,
                                               const std::string &password);
  std::variant<store::AccountIntent, JobResult> fallback_intent(const std::string &sub,
                                                                const std::string &fallback_handle,
                                                                const store::AccountIntent &intent,
                                                                Error failure);
  // The PDS handle the person's AC handle calls for (the code handle when it has none).
  Result<std::string> desired_handle(const store::Account &account) const;
  static bool same_handle(std::string_view a, std::string_view b);  // handles ignore case

  JobResult retry_after(Error error) const;
  static JobResult give_up(Error error);

  store::AccountStore &store_;
  store::JobStore &jobs_;
  pds::XrpcClient &pds_;
  ProvisionerOptions options_;
  EmailLookup email_lookup_;
};

// The AAD binding a sealed password to its owner and field.
std::string password_aad(std::string_view sub);

}  // namespace acid::provision
