#include "provision/provisioner.h"

#include <algorithm>

#include "core/ascii.h"
#include "core/random.h"
#include "core/tenant.h"
#include "pds/handle.h"
#include "pds/pds_error.h"

namespace acid::provision {

namespace {

constexpr std::string_view kPasswordAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t kPasswordLength = 32;  // ~190 bits, as the deployed generator
constexpr int kMaxStepsPerRun = 4;           // fallbacks tried within one job run

// "local@domain" -> "local+sotce@domain", as the deployed code does for the sotce tenant.
std::optional<std::string> sotce_email_variant(const std::string &email) {
  const std::size_t at = email.find('@');
  if (at == std::string::npos || at == 0) return std::nullopt;
  if (email.find("+sotce@") != std::string::npos) return std::nullopt;  // already the variant
  return email.substr(0, at) + "+sotce" + email.substr(at);
}

}  // namespace

std::string password_aad(std::string_view sub) {
  return seal::context_aad(sub, "atproto.password");
}

Provisioner::Provisioner(store::AccountStore &accounts, store::JobStore &jobs, pds::XrpcClient &pds,
                         ProvisionerOptions options, EmailLookup email_lookup)
    : store_(accounts),
      jobs_(jobs),
      pds_(pds),
      options_(std::move(options)),
      email_lookup_(std::move(email_lookup)) {}

std::int64_t Provisioner::backoff_ms(int attempt) const {
  const int shift = std::clamp(attempt - 1, 0, 30);
  const std::int64_t window =
      std::min<std::int64_t>(options_.backoff_cap_ms, options_.backoff_base_ms << shift);
  auto jitter = random_below(static_cast<std::uint64_t>(std::max<std::int64_t>(window, 1)));
  // Without randomness the full window is a safe (if less spread) wait.
  return jitter ? static_cast<std::int64_t>(*jitter) + 1 : window;
}

JobResult Provisioner::retry_after(Error error) const {
  JobResult r;
  r.outcome = Outcome::retry;
  const auto info = pds::inspect(error);
  if (info.retry_at_unix_ms) r.retry_at = *info.retry_at_unix_ms;
  r.error = std::move(error);
  return r;
}

JobResult Provisioner::give_up(Error error) {
  JobResult r;
  r.outcome = Outcome::give_up;
  r.error = std::move(error);
  return r;
}

Result<std::string> Provisioner::seal_password(const std::string &sub,
                                               const std::string &password) const {
  if (options_.credentials_key != nullptr) {
    return seal::seal(*options_.credentials_key, password, password_aad(sub));
  }
  if (options_.allow_plaintext_credentials) return password;
  return Error(Code::config,
               "refusing to store a PDS password without ACID_CREDENTIALS_KEY (set it, or "
               "ACID_ALLOW_PLAINTEXT_CREDENTIALS=1 for compatibility mode)");
}

Result<std::string> Provisioner::open_password(const std::string &sub,
                                               const std::string &stored) const {
  if (!seal::is_sealed(stored)) return stored;  // legacy plaintext
  if (options_.credentials_key == nullptr) {
    return Error(Code::config, "a sealed PDS password needs ACID_CREDENTIALS_KEY to be read");
  }
  return seal::unseal(*options_.credentials_key, stored, password_aad(sub));
}

JobResult Provisioner::run(const store::Job &job) {
  switch (job.kind) {
    case store::JobKind::provision:
      return provision(job.sub);
    case store::JobKind::delete_account:
      return remove(job.sub);
    case store::JobKind::update_handle:
      return move_handle(job.sub);
  }
  return give_up(Error(Code::internal, "unknown job kind"));
}

JobResult Provisioner::provision(const std::string &sub) {
  for (int step = 0; step < kMaxStepsPerRun; ++step) {
    auto account = store_.get_account(sub);
    if (!account) return retry_after(std::move(account).error());
    const store::Account &a = *account;
    if (auto settled = settled_by_state(a)) return std::move(*settled);
    // An account with a DID, whoever wrote it, is never created again.
    if (a.did) {
      auto adopted = adopt_existing(a);
      if (!adopted) continue;  // changed under us: read again
      return std::move(*adopted);
    }
    if (!a.code) return give_up(Error(Code::internal, "verified user has no code"));
    auto fallback = pds::fallback_handle(*a.code, options_.handle_domain);
    if (!fallback) return give_up(std::move(fallback).error());

    // 1. The intent: reuse the persisted one (a retry, or a crash after it was written), or
    //    make and persist a new one before anything reaches the PDS.
    store::AccountIntent intent;
    std::string password;
    if (a.intent) {
      intent = *a.intent;
      auto opened = open_password(sub, intent.sealed_password);
      if (!opened) return give_up(std::move(opened).error().context("reading the intent"));
      password = std::move(*opened);
    } else {
      if (auto ended = make_intent(sub, a, intent, password)) return std::move(*ended);
      Status saved = store_.save_intent(sub, intent, a.version);
      if (!saved) {
        if (saved.code() == Code::conflict) continue;  // changed under us: read again
        return retry_after(std::move(saved).error());
      }
    }

    // 2. createAccount, with an invite only when the server requires one.
    auto described = pds_.server_description();
    if (!described) return retry_after(std::move(described).error());
    pds::CreateAccountInput input{intent.handle, intent.email, password, std::nullopt};
    if (described->invite_code_required) {
      auto invite = pds_.create_invite_code(1);
      if (!invite) return retry_after(std::move(invite).error().context("createInviteCode"));
      input.invite_code = std::move(*invite);
    }
    auto created = pds_.create_account(input);
    if (created) {
      Status st =
          store_.mark_account_created(sub, created->did, created->handle, intent.sealed_password,
                                      format_iso8601(now_unix_ms()));
      if (!st) return retry_after(std::move(st).error());
      return after_created(sub, "created " + created->handle);
    }
    Error failure = std::move(created).error();
    const pds::ErrorKind kind = pds::kind_of(failure);

    if (kind == pds::ErrorKind::invalid_response) {
      return prove_unknown_outcome(sub, intent, password, std::move(failure));
    }

    // 3. "Taken" may be our own account (a lost answer or a crash): prove it with the password.
    if (kind == pds::ErrorKind::handle_taken || kind == pds::ErrorKind::email_taken) {
      if (auto proven = prove_taken_is_ours(sub, kind, intent, password)) return std::move(*proven);
      // Not ours: fall through to the fallbacks below.
    }

    // 4. Fallbacks: the code handle for an unusable or taken handle; for sotce users the
    //    "+sotce" email when the address is taken (once).
    auto fallen_back = fallback_intent(sub, *fallback, intent, std::move(failure));
    if (auto *ended = std::get_if<JobResult>(&fallen_back)) return std::move(*ended);
    store::AccountIntent next = std::get<store::AccountIntent>(std::move(fallen_back));
    next.attempt = intent.attempt + 1;
    next.at = now_unix_ms();
    auto reread = store_.get_account(sub);
    if (!reread) return retry_after(std::move(reread).error());
    Status saved = store_.save_intent(sub, next, reread->version);
    if (!saved && saved.code() != Code::conflict) return retry_after(std::move(saved).error());
  }
  return retry_after(
      Error(Code::conflict, "provisioning of " + sub + " did not settle within one run; retrying"));
}

// A result when the stored state leaves nothing to create (or the account is already active);
// nullopt when provisioning goes on.
std::optional<JobResult> Provisioner::settled_by_state(const store::Account &a) {
  switch (a.state) {
    case store::AccountState::active:
      // The stored password is left as it is, even plaintext: the deployed code reads it
      // (sealing is `acidentity credentials seal`, on purpose only).
      return follow_handle(a, "already active");
    case store::AccountState::failed:
      if (a.did) break;  // a DID written since (by other code): the state follows, below
      [[fallthrough]];
    case store::AccountState::none:
    case store::AccountState::deleting:
    case store::AccountState::deleted:
      return JobResult{Outcome::done,
                       {},
                       {},
                       std::string("nothing to provision: account is ") + to_string(a.state)};
    case store::AccountState::pending:
    case store::AccountState::creating:
      break;
  }
  return std::nullopt;
}

// A first intent: the email (stored, else looked up in Auth0), the PDS handle the AC handle
// calls for, and a fresh password, sealed. A result when the run ends here instead.
std::optional<JobResult> Provisioner::make_intent(const std::string &sub, const store::Account &a,
                                                  store::AccountIntent &intent,
                                                  std::string &password) {
  std::string email;
  if (a.email) {
    email = *a.email;
  } else {
    if (!email_lookup_) {
      return retry_after(Error(
          Code::config, "no email known for " + sub + " and no Auth0 Management API configured"));
    }
    auto looked_up = email_lookup_(sub);
    if (!looked_up) return retry_after(std::move(looked_up).error().context("email lookup"));
    email = std::move(*looked_up);
  }
  std::optional<std::string_view> ac_handle;
  if (a.ac_handle) ac_handle = *a.ac_handle;
  auto choice = pds::choose_pds_handle(ac_handle, *a.code, options_.handle_domain);
  if (!choice) return give_up(std::move(choice).error());
  auto drawn = random_string(kPasswordLength, kPasswordAlphabet);
  if (!drawn) return retry_after(std::move(drawn).error());
  password = std::move(*drawn);
  auto sealed = seal_password(sub, password);
  if (!sealed) return retry_after(std::move(sealed).error());
  intent = store::AccountIntent{choice->handle, std::move(*sealed), email, 1, now_unix_ms()};
  return std::nullopt;
}

// "Taken" may be our own account (a lost answer or a crash): createSession with the intent's
// password proves it. A result when proven (or the proof must wait); nullopt when not ours.
std::optional<JobResult> Provisioner::prove_taken_is_ours(const std::string &sub,
                                                          pds::ErrorKind kind,
                                                          const store::AccountIntent &intent,
                                                          const std::string &password) {
  const std::string &identifier =
      kind == pds::ErrorKind::handle_taken ? intent.handle : intent.email;
  auto proof = pds_.create_session(identifier, password);
  if (proof) {
    Status st = store_.mark_account_created(sub, proof->did, proof->handle, intent.sealed_password,
                                            format_iso8601(now_unix_ms()));
    if (!st) return retry_after(std::move(st).error());
    return after_created(sub, "adopted " + proof->handle + " (already ours)");
  }
  if (pds::is_transient(proof.error())) return retry_after(std::move(proof).error());
  // The password does not open it yet, but the account may still be ours: a worker that sent
  // this intent died while the PDS was creating the account, and the handle is taken before the
  // password works. The PDS knows the account's email; ours means wait, not fall back.
  auto ours = held_under_intent_email(intent);
  if (!ours) return retry_after(std::move(ours).error().context("who holds " + intent.handle));
  if (*ours) {
    return retry_after(std::move(proof).error().context(
        intent.handle + " is being created under this intent's email; waiting for it"));
  }
  return std::nullopt;
}

// Whether the PDS account holding the intent's handle has the intent's email (ASCII case aside).
Result<bool> Provisioner::held_under_intent_email(const store::AccountIntent &intent) {
  auto did = pds_.resolve_handle(intent.handle);
  if (!did) {
    if (pds::is_transient(did.error())) return std::move(did).error();
    return false;  // not resolvable: nobody's account we can find
  }
  auto info = pds_.get_account_info(*did);
  if (!info) {
    if (pds::is_transient(info.error())) return std::move(info).error();
    return false;  // cannot tell (no admin access, no such account): as before, not ours
  }
  return info->email && equals_ignoring_case(*info->email, intent.email);
}

// The intent to try next after createAccount refused `intent`: the code handle for an unusable
// or taken handle; for sotce users the "+sotce" email when the address is taken (once). A
// result (retry later or give up) when no fallback applies.
std::variant<store::AccountIntent, JobResult> Provisioner::fallback_intent(
    const std::string &sub, const std::string &fallback_handle, const store::AccountIntent &intent,
    Error failure) {
  const pds::ErrorKind kind = pds::kind_of(failure);
  store::AccountIntent next = intent;
  if (pds::kind_refuses_handle(kind) && intent.handle != fallback_handle) {
    next.handle = fallback_handle;
  } else if (kind == pds::ErrorKind::email_taken && is_sotce_sub(sub) &&
             sotce_email_variant(intent.email)) {
    next.email = *sotce_email_variant(intent.email);
  } else if (pds::is_transient(failure) || kind == pds::ErrorKind::invalid_invite_code ||
             kind == pds::ErrorKind::auth_failed) {
    // An invite raced away, a wrong admin secret, the PDS unreachable: retry later (the
    // operator sees the error on the account and in the alert if it persists).
    return retry_after(std::move(failure));
  } else {
    return give_up(std::move(failure));
  }
  return next;
}

// An answer that cannot be read (a 2xx the parser rejects) leaves createAccount's outcome
// unknown: the account may well exist, so the intent's password decides (createSession), never
// a permanent failure. Not provable yet: retried, and the next run's createAccount hears
// "taken" and proves it then.
JobResult Provisioner::prove_unknown_outcome(const std::string &sub,
                                             const store::AccountIntent &intent,
                                             const std::string &password, Error failure) {
  auto proof = pds_.create_session(intent.handle, password);
  if (!proof) return retry_after(std::move(failure).context("createAccount outcome unknown"));
  Status st = store_.mark_account_created(sub, proof->did, proof->handle, intent.sealed_password,
                                          format_iso8601(now_unix_ms()));
  if (!st) return retry_after(std::move(st).error());
  return after_created(sub, "adopted " + proof->handle + " (createAccount answer unreadable)");
}

// The account holds a DID while the library's state says pending, creating or failed (other
// code wrote it, e.g. the deployed createAtprotoAccount): the account exists. The PDS is asked
// whether it knows the DID (admin.getAccountInfos): known, or not checkable (no admin access),
// the state follows; unknown, the job gives up and says so (the audit lists it too) instead of
// creating a second account. nullopt: the account changed under us, read it again.
std::optional<JobResult> Provisioner::adopt_existing(const store::Account &a) {
  std::string note = "adopted the existing account " + *a.did;
  auto infos = pds_.get_account_infos({*a.did});
  if (!infos) {
    if (pds::is_transient(infos.error())) return retry_after(std::move(infos).error());
    note += " (not checked on the PDS: " + infos.error().message + ")";
  } else {
    const bool known = std::any_of(infos->begin(), infos->end(),
                                   [&](const pds::AccountInfo &i) { return i.did == *a.did; });
    if (!known) {
      return give_up(
          Error(Code::not_found, "the DID " + *a.did + " stored for " + a.sub +
                                     " is unknown to the PDS; no second account is created (the "
                                     "audit reports it as did_unknown_to_pds)"));
    }
  }
  Status st = store_.adopt_existing_account(a.sub, *a.did, a.version);
  if (!st) {
    if (st.code() == Code::conflict) return std::nullopt;
    return retry_after(std::move(st).error());
  }
  return after_created(a.sub, std::move(note));
}

// The account was just created with the intent's handle, which may be older than the person's
// handle now (changed while createAccount was in flight; the update_handle job leaves such
// accounts to this check). Reads the account again, after the creation committed, so a change
// that committed before it is seen here or by its own job.
JobResult Provisioner::after_created(const std::string &sub, std::string note) {
  auto account = store_.get_account(sub);
  if (!account) return retry_after(std::move(account).error());  // the next run checks again
  return follow_handle(*account, std::move(note));
}

// An active account whose PDS handle is not the one its AC handle calls for gets an
// update_handle job (it falls back to the code handle if the PDS refuses the new one).
JobResult Provisioner::follow_handle(const store::Account &a, std::string note) {
  auto desired = desired_handle(a);
  if (!desired) return give_up(std::move(desired).error());
  if (a.pds_handle && same_handle(*a.pds_handle, *desired)) {
    return JobResult{Outcome::done, {}, {}, std::move(note)};
  }
  auto scheduled = jobs_.schedule_job(a.sub, store::JobKind::update_handle, now_unix_ms());
  if (!scheduled) return retry_after(std::move(scheduled).error());
  return JobResult{Outcome::done, {}, {}, note + "; handle " + *desired + " follows"};
}

Result<std::string> Provisioner::desired_handle(const store::Account &a) const {
  if (!a.code) return Error(Code::store, "account " + a.sub + " has no user code");
  std::optional<std::string_view> ac_handle;
  if (a.ac_handle) ac_handle = *a.ac_handle;
  ACID_ASSIGN_OR_RETURN(auto choice,
                        pds::choose_pds_handle(ac_handle, *a.code, options_.handle_domain));
  return std::move(choice.handle);
}

bool Provisioner::same_handle(std::string_view a, std::string_view b) {
  return equals_ignoring_case(a, b);
}

// The update_handle job: logs in with the stored credentials and moves the PDS handle to the
// one the AC handle calls for, or to the code handle when the PDS refuses it. Makes no PDS call
// when the handle is already right, so the same change twice costs one call at most.
JobResult Provisioner::move_handle(const std::string &sub) {
  auto account = store_.get_account(sub);
  if (!account) return retry_after(std::move(account).error());
  const store::Account &a = *account;
  if (a.state != store::AccountState::active) {
    // pending/creating: the provision job creates the account, then checks the handle
    // (after_created); none/failed/deleting/deleted: nothing on the PDS to move.
    return JobResult{
        Outcome::done, {}, {}, std::string("nothing to move: account is ") + to_string(a.state)};
  }
  if (!a.did || !a.password || !a.code) {
    return give_up(Error(Code::store, "active account " + sub + " has no DID, password or code"));
  }
  auto desired = desired_handle(a);
  if (!desired) return give_up(std::move(desired).error());
  if (a.pds_handle && same_handle(*a.pds_handle, *desired)) {
    return JobResult{Outcome::done, {}, {}, "handle already " + *desired};
  }
  auto fallback = pds::fallback_handle(*a.code, options_.handle_domain);
  if (!fallback) return give_up(std::move(fallback).error());

  auto password = open_password(sub, *a.password);
  if (!password) return give_up(std::move(password).error().context("reading the stored password"));
  auto session = pds_.create_session(*a.did, *password);
  if (!session) {
    if (pds::is_transient(session.error())) return retry_after(std::move(session).error());
    return give_up(std::move(session).error().context("logging in with the stored credentials"));
  }
  std::string target = *desired;
  Status moved = pds_.update_handle(session->access_jwt, target);
  if (!moved) {
    const pds::ErrorKind kind = pds::kind_of(moved.error());
    if (pds::is_transient(moved.error())) return retry_after(std::move(moved).error());
    if (!pds::kind_refuses_handle(kind) || same_handle(target, *fallback)) {
      return give_up(std::move(moved).error().context("updateHandle"));
    }
    // Refused (reserved, invalid, taken): the code handle, as provisioning does.
    target = *fallback;
    if (a.pds_handle && same_handle(*a.pds_handle, target)) {
      return JobResult{Outcome::done, {}, {}, *desired + " refused; the code handle stays"};
    }
    moved = pds_.update_handle(session->access_jwt, target);
    if (!moved) {
      if (pds::is_transient(moved.error())) return retry_after(std::move(moved).error());
      return give_up(std::move(moved).error().context("updateHandle to the code handle"));
    }
  }
  Status st = store_.set_pds_handle(sub, target, format_iso8601(now_unix_ms()));
  if (!st) return retry_after(std::move(st).error());  // the PDS has it; a rerun costs no call
  return JobResult{Outcome::done, {}, {}, "handle moved to " + target};
}

JobResult Provisioner::remove(const std::string &sub) {
  auto account = store_.get_account(sub);
  if (!account) return retry_after(std::move(account).error());
  const store::Account &a = *account;
  if (a.state == store::AccountState::deleted) return JobResult{Outcome::done, {}, {}, "deleted"};
  std::optional<std::string> did = a.did;
  if (!did && a.intent) {
    // createAccount may have succeeded without our knowing: ask the PDS with the intent.
    auto opened = open_password(sub, a.intent->sealed_password);
    if (!opened) return give_up(std::move(opened).error());
    auto session = pds_.create_session(a.intent->handle, *opened);
    if (session) {
      did = session->did;
    } else if (pds::is_transient(session.error())) {
      return retry_after(std::move(session).error());
    }  // otherwise no such account exists: nothing to delete on the PDS
  }
  if (did) {
    Status st = pds_.delete_account(*did);
    if (!st) {
      if (pds::is_transient(st.error()) ||
          pds::kind_of(st.error()) == pds::ErrorKind::auth_failed) {
        return retry_after(std::move(st).error());
      }
      return give_up(std::move(st).error());
    }
  }
  Status st = store_.mark_account_deleted(sub);
  if (!st) return retry_after(std::move(st).error());
  return JobResult{Outcome::done, {}, {}, did ? "deleted " + *did : "nothing on the PDS"};
}

}  // namespace acid::provision
