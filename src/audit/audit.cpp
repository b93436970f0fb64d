// The audit: store side in one streaming scan (plus one duplicate-code query and one job list),
// PDS side in batches (sync.listRepos pages, admin.getAccountInfos of 100 DIDs), Auth0 side
// only for the recent / user scopes. See audit.h and docs/audit.md.
#include "audit/audit.h"
#include "audit/people.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "code/user_code.h"
#include "core/json.h"
#include "core/seal.h"
#include "core/time.h"
#include "pds/pds_error.h"

namespace acid::audit {

namespace {

constexpr std::size_t kWrongPdsThreshold = 10;
constexpr std::size_t kInfoWorkers = 4;

// The deployed code reads the password as stored: sealing waits for its readers to migrate.
std::string seal_fix(bool key_set, const std::string &sub) {
  return std::string(key_set ? "" : "set ACID_CREDENTIALS_KEY, then ") +
         "once every reader of users.atproto.password uses the library (docs/migrating.md): "
         "acidentity credentials seal --user " +
         sub;
}

bool in_tenant(store::SubFilter filter, std::string_view sub) {
  switch (filter) {
    case store::SubFilter::all:
      return true;
    case store::SubFilter::sotce:
      return is_sotce_sub(sub);
    case store::SubFilter::aesthetic:
      return !is_sotce_sub(sub);
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// What the per-user checks know about a user besides the store.
struct Auth0View {
  bool known = false;   // Auth0 was asked about this user
  bool exists = false;  // and it exists there
  std::optional<bool> email_verified;
  std::optional<UnixMillis> created_at;
};

// The facts of one user the PDS phase needs, kept compact (the scan may visit 100,000 users).
struct DidRef {
  std::string sub;
  std::string did;
  std::optional<std::string> pds_handle;
  bool deleted = false;  // deletion recorded or Auth0 says the user is gone
  bool deletion_recorded = false;
  bool delete_in_progress = false;
  std::optional<std::string> password;   // --deep only
  std::optional<std::string> ac_handle;  // @handles
  std::optional<std::string> code;
};

class Auditor {
 public:
  Auditor(const Sources &sources, const Options &options) : sources_(sources), options_(options) {}

  Result<Report> run() {
    const auto start = std::chrono::steady_clock::now();
    report_.scope = options_.scope == Scope::all      ? "all"
                    : options_.scope == Scope::recent ? "recent"
                                                      : "user";
    report_.tenant = options_.tenant == store::SubFilter::all     ? "all"
                     : options_.tenant == store::SubFilter::sotce ? "sotce"
                                                                  : "aesthetic";
    report_.deep = options_.deep;
    ACID_TRY(load_jobs());
    // --all: the PDS's repos are listed on another thread while the store is scanned (listing
    // first also means an account created during the scan is never taken for an orphan).
    std::thread lister;
    struct Joiner {
      std::thread &t;
      ~Joiner() {
        if (t.joinable()) t.join();
      }
    } joiner{lister};
    if (options_.scope == Scope::all) {
      auto client = sources_.pds();
      if (!client) return std::move(client).error().context("the PDS is needed to audit accounts");
      lister = std::thread([this, pds = *client] { list_repos(*pds); });
    }
    switch (options_.scope) {
      case Scope::all:
        ACID_TRY(scan_all());
        break;
      case Scope::recent:
        ACID_TRY(scan_recent());
        break;
      case Scope::user:
        ACID_TRY(scan_user());
        break;
    }
    ACID_TRY(check_duplicates());
    if (lister.joinable()) lister.join();
    if (repos_error_) return std::move(*repos_error_);
    const auto store_done = std::chrono::steady_clock::now();
    report_.store_seconds = std::chrono::duration<double>(store_done - start).count();
    ACID_TRY(check_pds());
    if (options_.deep) ACID_TRY(check_sessions());
    report_.pds_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - store_done).count();
    std::stable_sort(report_.findings.begin(), report_.findings.end(),
                     [](const Finding &a, const Finding &b) {
                       if (a.kind != b.kind) return a.kind < b.kind;
                       return a.sub < b.sub;
                     });
    report_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::move(report_);
  }

 private:
  void add(Kind kind, const std::string &sub, std::optional<std::string> did, std::string evidence,
           Action action, std::string fix) {
    report_.findings.push_back(
        Finding{kind, sub, std::move(did), std::move(evidence), action, std::move(fix)});
  }

  // Every open and failed job, one query: which (sub, kind) has an open job and since when.
  Status load_jobs() {
    ACID_ASSIGN_OR_RETURN(const std::vector<store::Job> jobs, sources_.jobs.list_jobs(""));
    for (const store::Job &j : jobs) {
      if (j.failed) continue;
      jobs_[j.sub + '\n' + to_string(j.kind)] = j.due_at;
    }
    return Status::ok();
  }

  std::optional<UnixMillis> open_job(const std::string &sub, store::JobKind kind) const {
    auto it = jobs_.find(sub + '\n' + to_string(kind));
    if (it == jobs_.end()) return std::nullopt;
    return it->second;
  }

  Status scan_all() {
    // Every sub is visited (orphan detection needs every stored DID); checks apply to the
    // selected tenant only.
    store::AccountScanFilter filter;
    return sources_.scan.scan_accounts(filter, [&](const store::AuditRow &row) -> Status {
      if (row.account.did) all_dids_.insert(*row.account.did);
      if (row.account.intent) in_flight_handles_.insert(lower(row.account.intent->handle));
      if (!in_tenant(options_.tenant, row.account.sub)) return Status::ok();
      check_user(row, Auth0View{});
      return Status::ok();
    });
  }

  Status scan_recent() {
    if (options_.limit == 0 || options_.limit > 1000) {
      return Error(Code::invalid, "--limit must be between 1 and 1000 (Auth0 pages at most 1000)");
    }
    for (Tenant t : {Tenant::aesthetic, Tenant::sotce}) {
      if (options_.tenant == store::SubFilter::aesthetic && t != Tenant::aesthetic) continue;
      if (options_.tenant == store::SubFilter::sotce && t != Tenant::sotce) continue;
      auto client = sources_.management(t);
      if (!client) {
        return std::move(client).error().context(std::string("the Auth0 Management API of ") +
                                                 std::string(tenant_name(t)));
      }
      ACID_ASSIGN_OR_RETURN(const std::vector<auth0::User> users,
                            (*client)->list_recent_users(options_.limit));
      std::unordered_set<std::string> listed;
      for (const auth0::User &u : users) {
        ++report_.auth0_users;
        // Sotce users are stored with the "sotce-" prefix (the deployed audit forgot it).
        const std::string sub = stored_sub(t, u.user_id);
        listed.insert(sub);
        Auth0View view{true, true, u.email_verified, u.created_at};
        ACID_TRY(check_stored(sub, view));
      }
      ACID_TRY(find_users_without_auth0(sources_, t, options_.limit, listed, report_));
    }
    return Status::ok();
  }

  Status scan_user() {
    if (options_.user.empty()) return Error(Code::invalid, "--user needs a sub");
    Auth0View view;
    auto user = sources_.auth0_user(options_.user);
    if (user) {
      ++report_.auth0_users;
      view = Auth0View{true, true, user->email_verified, user->created_at};
    } else if (user.code() == Code::not_found) {
      view = Auth0View{true, false, std::nullopt, std::nullopt};
    } else if (user.code() == Code::config) {
      report_.notes.push_back("Auth0 not consulted (" + user.error().message + ")");
    } else {
      return std::move(user).error().context("reading the user from Auth0");
    }
    return check_stored(options_.user, view);
  }

  // One stored sub (recent / user scope): get_account, then the same checks as the scan.
  Status check_stored(const std::string &sub, const Auth0View &view) {
    scoped_subs_.insert(sub);
    auto account = sources_.accounts.get_account(sub);
    if (!account && account.code() != Code::not_found) return std::move(account).error();
    if (!account) {
      if (view.known && !view.exists) return Status::ok();  // nowhere: nothing to audit
      if (!view.known) {
        report_.notes.push_back(sub + " is not in the store (and Auth0 was not consulted)");
        return Status::ok();
      }
      ++report_.users_checked;
      const std::string when =
          view.created_at ? " (signed up " + format_iso8601(*view.created_at) + ")" : "";
      add(Kind::missing_users_record, sub, std::nullopt, "in Auth0" + when + ", not in the store",
          Action::record_signup, "record the signup: users record with a new code");
      add(Kind::missing_verifications, sub, std::nullopt, "in Auth0, no verifications record",
          Action::record_signup, "record the signup: verifications record (count 0)");
      if (view.email_verified.value_or(false)) {
        add(Kind::verified_no_pds_account, sub, std::nullopt,
            "Auth0 email_verified is true, no PDS account", Action::record_verification,
            "record the verification: a provision job creates the PDS account");
      }
      return Status::ok();
    }
    // users.has_user is not part of Account: a users record exists when a code or signup time
    // is stored (the same rule the MongoDB adapter applies).
    store::AuditRow row;
    row.account = std::move(*account);
    auto user = sources_.accounts.get_user(sub);
    if (!user && user.code() != Code::not_found) return std::move(user).error();
    row.has_user = user.is_ok();
    row.has_accounts = true;
    check_user(row, view);
    return Status::ok();
  }

  void check_user(const store::AuditRow &row, const Auth0View &view) {
    const store::Account &a = row.account;
    if (note_service_account(a)) return;
    ++report_.users_checked;
    const bool deleted_fact = a.deleted_at.has_value();
    const bool gone_in_auth0 = view.known && !view.exists;
    const bool deleted = deleted_fact || gone_in_auth0 || a.state == store::AccountState::deleted ||
                         a.state == store::AccountState::deleting;
    const bool verified = view.email_verified.value_or(false) || a.verified_at.has_value();
    check_records(row, deleted);
    if (verified && !a.did && !deleted && a.state == store::AccountState::none) {
      note_verified_without_account(a, view);
    }
    check_provisioning_state(a, deleted_fact, verified);
    check_credentials(a);
    if (a.did) check_did(a, deleted_fact || gone_in_auth0, deleted_fact);
  }

  // The users, code and verifications records a person needs.
  void check_records(const store::AuditRow &row, bool deleted) {
    const store::Account &a = row.account;
    const std::string &sub = a.sub;
    if (!row.has_user && !deleted) {
      add(Kind::missing_users_record, sub, a.did,
          "verifications or provisioning records exist, no users record", Action::record_signup,
          "record the signup: users record with a new code");
    } else if (row.has_user && !a.code && !deleted) {
      add(Kind::missing_code, sub, a.did, "users record without a code", Action::record_signup,
          "record the signup: assign a collision-free code (year of the signup)");
    }
    if (a.code && !code::is_valid(*a.code)) {
      add(Kind::invalid_code, sub, a.did, "code \"" + *a.code + "\" is not a valid user code",
          Action::manual, "codes are permanent: decide by hand (see docs/audit.md)");
    }
    if (!a.has_verifications && !deleted) {
      add(Kind::missing_verifications, sub, a.did, "no verifications record", Action::record_signup,
          "record the signup: verifications record (count 0)");
    }
  }

  void note_verified_without_account(const store::Account &a, const Auth0View &view) {
    const std::string &sub = a.sub;
    add(Kind::verified_no_pds_account, sub, std::nullopt,
        view.email_verified.value_or(false) ? "Auth0 email_verified is true, no PDS account"
                                            : "verification recorded, no PDS account",
        a.verified_at ? Action::manual : Action::record_verification,
        a.verified_at ? "verification recorded but state none: inspect with `user show`"
                      : "record the verification: a provision job creates the PDS account");
  }

  // Provisioning state: failed, stuck without (or behind) its job, or deleted half-way.
  void check_provisioning_state(const store::Account &a, bool deleted_fact, bool verified) {
    const std::string &sub = a.sub;
    const UnixMillis now = now_unix_ms();
    if (a.state == store::AccountState::failed) {
      add(Kind::state_failed, sub, a.did,
          "provisioning failed after " + std::to_string(a.attempts) +
              " attempts: " + (a.last_error.empty() ? "{}" : a.last_error),
          Action::retry_failed, "retry: back to pending with a new provision job");
    } else if (a.state == store::AccountState::pending ||
               a.state == store::AccountState::creating) {
      auto due = open_job(sub, store::JobKind::provision);
      if (!due) {
        add(Kind::state_stuck, sub, a.did,
            std::string("state ") + to_string(a.state) + " with no open provision job",
            Action::schedule_provision, "schedule a provision job");
      } else if (now - *due > options_.stuck_after_ms) {
        add(Kind::state_stuck, sub, a.did,
            std::string("state ") + to_string(a.state) + ", provision job due since " +
                format_iso8601(*due) + " (no worker running?)",
            Action::schedule_provision, "run the due jobs");
      }
    } else if (a.state == store::AccountState::deleting) {
      auto due = open_job(sub, store::JobKind::delete_account);
      if (!due || now - *due > options_.stuck_after_ms) {
        add(Kind::state_stuck, sub, a.did,
            due ? "state deleting, delete job due since " + format_iso8601(*due)
                : "state deleting with no open delete job",
            Action::schedule_delete, "schedule a delete_account job");
      }
    } else if (a.state == store::AccountState::deleted && !deleted_fact && verified && !a.did) {
      add(Kind::state_stuck, sub, std::nullopt,
          "state deleted without a deletion in Auth0 (an interrupted re-provision)",
          Action::reprovision, "provision again");
    }
  }

  void check_credentials(const store::Account &a) {
    const std::string &sub = a.sub;
    if (a.password && !seal::is_sealed(*a.password)) {  // never sealed automatically
      add(Kind::plaintext_credentials, sub, a.did, "the stored PDS password is plaintext",
          Action::manual, seal_fix(sources_.has_credentials_key, sub));
    }
    if (a.did && !a.password) {
      add(Kind::credentials_unusable, sub, a.did, "a DID without a stored password", Action::manual,
          "reset the password with the PDS admin API, then store it");
    }
  }

  // An account with a DID: kept for the PDS pass, and its handle's domain checked.
  void check_did(const store::Account &a, bool deleted, bool deletion_recorded) {
    const std::string &sub = a.sub;
    DidRef ref;
    ref.sub = sub;
    ref.did = *a.did;
    ref.pds_handle = a.pds_handle;
    ref.deleted = deleted;
    ref.deletion_recorded = deletion_recorded;
    ref.delete_in_progress = a.state == store::AccountState::deleting &&
                             open_job(sub, store::JobKind::delete_account).has_value();
    if (options_.deep && a.password) ref.password = a.password;
    ref.ac_handle = a.ac_handle;
    ref.code = a.code;
    refs_.push_back(std::move(ref));
    if (a.pds_handle) {
      const std::string domain = "." + sources_.pds_handle_domain;
      if (!ends_with(lower(*a.pds_handle), lower(domain))) {
        add(Kind::stale_handle_domain, sub, a.did,
            "PDS handle " + *a.pds_handle + " is not under " + domain, Action::resync_handle,
            "an update_handle job moves it under " + domain);
      }
    }
  }

  // Service accounts (art-guest, ACID_SERVICE_ACCOUNTS) are listed, never checked: nothing
  // about them is the library's to fix.
  bool note_service_account(const store::Account &a) {
    auto seen = service_account_seen(sources_.service_accounts, a);
    if (!seen) return false;
    service_subs_.insert(a.sub);
    report_.service_accounts.push_back(std::move(*seen));
    return true;
  }

  void check_ac_handle(const DidRef &r, const std::string &on_pds) {
    if (!r.ac_handle || !r.code || r.deleted) return;
    // A handle change whose update_handle job is due (and not stuck) is on its way.
    const auto due = open_job(r.sub, store::JobKind::update_handle);
    if (due && now_unix_ms() - *due <= options_.stuck_after_ms) return;
    auto finding =
        ac_handle_finding(r.sub, r.did, *r.ac_handle, *r.code, on_pds, sources_.pds_handle_domain);
    if (finding) report_.findings.push_back(std::move(*finding));
  }

  Status check_duplicates() {
    ACID_ASSIGN_OR_RETURN(const std::vector<store::DuplicateCode> dups,
                          sources_.scan.duplicate_codes());
    for (const store::DuplicateCode &d : dups) {
      std::string holders;
      for (const std::string &s : d.subs) holders += (holders.empty() ? "" : ", ") + s;
      for (const std::string &s : d.subs) {
        if (!in_tenant(options_.tenant, s)) continue;
        if (service_subs_.contains(s)) continue;
        // Recent / user scope: only the users audited (the holders are all in the evidence).
        if (options_.scope != Scope::all && !scoped_subs_.contains(s)) continue;
        add(Kind::duplicate_code, s, std::nullopt,
            "code " + d.code + " is held by " + std::to_string(d.subs.size()) +
                " users: " + holders,
            Action::manual,
            "codes are permanent: keep the oldest holder's, decide the others by hand");
      }
    }
    return Status::ok();
  }

  // Every repo on the PDS (sync.listRepos pages of 1000), on the lister thread.
  void list_repos(pds::XrpcClient &pds) {
    try {
      std::optional<std::string> cursor;
      for (;;) {
        auto page = pds.list_repos(1000, cursor);
        if (!page) {
          repos_error_ = std::move(page).error().context("sync.listRepos");
          return;
        }
        for (pds::RepoInfo &repo : page->repos) repos_.push_back(std::move(repo.did));
        if (!page->cursor || page->repos.empty() || page->cursor == cursor) return;
        cursor = page->cursor;
      }
    } catch (const std::exception &e) {
      repos_error_ = Error(Code::no_memory, std::string("sync.listRepos: ") + e.what());
    }
  }

  // did -> handle for the DIDs the PDS knows: admin.getAccountInfos in batches of 100, up to
  // kInfoWorkers batches in flight (the calls are latency-bound).
  static Result<std::unordered_map<std::string, std::string>> account_handles(
      pds::XrpcClient &pds, const std::vector<std::string> &dids) {
    constexpr std::size_t kBatch = pds::XrpcClient::kAccountInfosBatch;
    const std::size_t batches = (dids.size() + kBatch - 1) / kBatch;
    std::vector<std::vector<pds::AccountInfo>> results(batches);
    std::atomic<std::size_t> next{0};
    std::mutex mu;
    std::optional<Error> failure;
    auto work = [&] {
      try {
        for (;;) {
          const std::size_t b = next.fetch_add(1);
          if (b >= batches) return;
          const auto first = dids.begin() + static_cast<std::ptrdiff_t>(b * kBatch);
          const auto last =
              dids.begin() + static_cast<std::ptrdiff_t>(std::min(dids.size(), (b + 1) * kBatch));
          auto infos = pds.get_account_infos(std::vector<std::string>(first, last));
          if (!infos) {
            std::lock_guard lock(mu);
            if (!failure) failure = std::move(infos).error().context("admin.getAccountInfos");
            return;
          }
          results[b] = std::move(*infos);
        }
      } catch (const std::exception &e) {
        std::lock_guard lock(mu);
        if (!failure) failure = Error(Code::no_memory, std::string("getAccountInfos: ") + e.what());
      }
    };
    std::vector<std::thread> threads;
    const std::size_t n = std::min<std::size_t>(kInfoWorkers, batches);
    for (std::size_t i = 1; i < n; ++i) threads.emplace_back(work);
    if (n > 0) work();
    for (auto &t : threads) t.join();
    if (failure) return std::move(*failure);
    std::unordered_map<std::string, std::string> out;
    out.reserve(dids.size());
    for (auto &batch : results) {
      for (auto &info : batch) out.emplace(std::move(info.did), std::move(info.handle));
    }
    return out;
  }

  Status check_pds() {
    if (refs_.empty() && options_.scope != Scope::all) return Status::ok();
    auto client = sources_.pds();
    if (!client) return std::move(client).error().context("the PDS is needed to audit accounts");
    pds::XrpcClient &pds = **client;

    // Stored DIDs: admin.getAccountInfos, 100 at a time, a few batches in flight.
    std::vector<std::string> dids;
    dids.reserve(refs_.size());
    for (const DidRef &r : refs_) dids.push_back(r.did);
    ACID_ASSIGN_OR_RETURN(const auto handle_of, account_handles(pds, dids));
    report_.pds_dids_checked += dids.size();
    // A PDS that knows none of many stored DIDs is the wrong PDS (PDS_URL), not thousands of
    // lost accounts: refuse, so a backfill never re-provisions everyone elsewhere.
    if (refs_.size() >= kWrongPdsThreshold && handle_of.empty()) {
      return Error(Code::config, "the PDS at PDS_URL knows none of the " +
                                     std::to_string(refs_.size()) +
                                     " stored DIDs: is PDS_URL the PDS these accounts live on?");
    }
    for (const DidRef &r : refs_) {
      auto it = handle_of.find(r.did);
      if (it == handle_of.end()) {
        if (r.deleted) {
          add(Kind::did_unknown_to_pds, r.sub, r.did,
              "deleted user's DID is not on the PDS, the store still has it",
              r.deletion_recorded ? Action::schedule_delete : Action::record_deletion,
              "finish the deletion (the delete job clears the stored account)");
        } else {
          // Never "provision a new one": the DID may be another writer's (the deployed code,
          // a script) or on another PDS, and a second account would orphan the first.
          add(Kind::did_unknown_to_pds, r.sub, r.did, "admin.getAccountInfos does not know it",
              Action::manual,
              "no second account is created: check PDS_URL and where the DID came from; if the "
              "account is truly gone, remove the stored DID and run `acidentity user retry`");
        }
        continue;
      }
      if (r.deleted && !r.delete_in_progress) {
        add(Kind::deleted_in_auth0_on_pds, r.sub, r.did,
            r.deletion_recorded
                ? "deletion recorded, PDS account " + it->second + " still exists"
                : "Auth0 does not know the user, PDS account " + it->second + " still exists",
            r.deletion_recorded ? Action::schedule_delete : Action::record_deletion,
            "delete the PDS account (delete_account job); the code is kept");
        continue;
      }
      if (r.pds_handle && lower(*r.pds_handle) != lower(it->second)) {
        add(Kind::pds_handle_differs, r.sub, r.did,
            "store has " + *r.pds_handle + ", the PDS has " + it->second, Action::resync_handle,
            "an update_handle job sets the PDS handle from the store");
      }
      check_ac_handle(r, it->second);
      if (r.password) sessions_.push_back(&r);
    }

    if (options_.scope != Scope::all) return Status::ok();
    // Orphans: every repo on the PDS (sync.listRepos pages) that no stored user references.
    std::vector<std::string> orphans;
    const std::unordered_set<std::string> ignored(options_.ignore_dids.begin(),
                                                  options_.ignore_dids.end());
    for (const std::string &did : repos_) {
      ++report_.pds_accounts;
      if (!all_dids_.contains(did) && !ignored.contains(did)) orphans.push_back(did);
    }
    ACID_ASSIGN_OR_RETURN(const auto orphan_handles, account_handles(pds, orphans));
    for (const std::string &did : orphans) {
      auto h = orphan_handles.find(did);
      const std::string handle = h == orphan_handles.end() ? "" : h->second;
      // An account whose createAccount is in flight: its intent holds the handle.
      if (!handle.empty() && in_flight_handles_.contains(lower(handle))) continue;
      add(Kind::orphan_pds_account, "", did,
          "PDS account " + (handle.empty() ? did : handle) + " is referenced by no user",
          Action::delete_orphan, "delete it (only with --delete-orphans)");
    }
    return Status::ok();
  }

  // --deep: createSession with each stored password, `deep_concurrency` at a time, waiting out
  // the PDS's rate limit (RateLimit-Reset) up to max_rate_limit_wait_ms per login.
  Status check_sessions() {
    ACID_ASSIGN_OR_RETURN(pds::XrpcClient * client, sources_.pds());
    std::atomic<std::size_t> next{0};
    std::mutex mu;
    std::optional<Error> fatal;
    std::function<void()> login_loop;
    auto worker = [&] {
      try {
        login_loop();
      } catch (const std::exception &e) {
        // Out of memory on a worker thread: reported as the audit's failure, never lost.
        std::lock_guard lock(mu);
        if (!fatal) fatal = Error(Code::no_memory, std::string("--deep worker: ") + e.what());
      }
    };
    login_loop = [&] {
      for (;;) {
        const std::size_t i = next.fetch_add(1);
        if (i >= sessions_.size()) return;
        const DidRef &r = *sessions_[i];
        auto password = sources_.open_password(r.sub, *r.password);
        if (!password) {
          std::lock_guard lock(mu);
          add(Kind::credentials_unusable, r.sub, r.did,
              "the stored password cannot be opened: " + password.error().message, Action::manual,
              "check ACID_CREDENTIALS_KEY (a key ring keeps old keys readable)");
          continue;
        }
        std::int64_t waited = 0;
        for (;;) {
          auto session = client->create_session(r.did, *password);
          if (session) {
            std::lock_guard lock(mu);
            ++report_.sessions_checked;
            break;
          }
          const pds::ErrorInfo info = pds::inspect(session.error());
          if (info.kind == pds::ErrorKind::rate_limited) {
            const std::int64_t wait = std::max<std::int64_t>(
                1000, info.retry_at_unix_ms ? *info.retry_at_unix_ms - now_unix_ms()
                                            : info.retry_after_ms.value_or(5000));
            if (waited + wait > options_.max_rate_limit_wait_ms) {
              std::lock_guard lock(mu);
              ++report_.unchecked;
              break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(wait));
            waited += wait;
            continue;
          }
          std::lock_guard lock(mu);
          if (info.kind == pds::ErrorKind::auth_failed ||
              info.kind == pds::ErrorKind::account_not_found ||
              info.kind == pds::ErrorKind::account_takedown ||
              info.kind == pds::ErrorKind::account_deactivated) {
            ++report_.sessions_checked;
            add(Kind::credentials_unusable, r.sub, r.did,
                "createSession with the stored password: " + session.error().message,
                Action::manual, "reset the password with the PDS admin API, then store it");
          } else if (!fatal) {
            fatal = std::move(session).error();
          }
          break;
        }
      }
    };
    std::vector<std::thread> threads;
    const int n = std::max(1, options_.deep_concurrency);
    threads.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) threads.emplace_back(worker);
    for (auto &t : threads) t.join();
    if (fatal) return std::move(*fatal).context("createSession (--deep)");
    if (report_.unchecked > 0) {
      report_.notes.push_back(std::to_string(report_.unchecked) +
                              " logins not checked: the PDS rate limit did not reset in time");
    }
    return Status::ok();
  }

  const Sources &sources_;
  const Options &options_;
  Report report_;
  std::unordered_map<std::string, UnixMillis> jobs_;
  std::unordered_set<std::string> all_dids_;
  std::unordered_set<std::string> in_flight_handles_;
  std::unordered_set<std::string> scoped_subs_;
  std::vector<std::string> repos_;    // --all: every repo DID on the PDS (lister thread)
  std::optional<Error> repos_error_;  // written by the lister thread, read after joining it  //
                                      // recent / user scope: the subs audited
  std::vector<DidRef> refs_;
  std::vector<const DidRef *> sessions_;
  std::unordered_set<std::string> service_subs_;
};

}  // namespace

Result<Report> run_audit(const Sources &sources, const Options &options) {
  Auditor auditor(sources, options);
  return auditor.run();
}

}  // namespace acid::audit
