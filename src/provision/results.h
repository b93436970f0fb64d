// What the engine's operator calls return, as types, and the one place each is written as JSON
// (the C ABI hands these strings out: acid_run_jobs, acid_user_get, acid_pds_describe).
#pragma once

#include <string>
#include <vector>

#include "pds/xrpc_types.h"
#include "store/store.h"

namespace acid::provision {

// One Engine::run_jobs call: {"ran","done","retried","failed","superseded","remaining_due"}.
struct JobRunSummary {
  int ran = 0, done = 0, retried = 0, failed = 0, superseded = 0;
  bool remaining_due = false;  // stopped by the budget or max_jobs, not because nothing was due
};

// A person's record and open or failed jobs. Its JSON never carries the password: only whether
// the stored one is sealed or plaintext.
struct UserView {
  store::Account account;
  std::vector<store::Job> jobs;
};

// describeServer of the configured PDS, and the URL it was asked at.
struct PdsDescription {
  std::string url;
  pds::ServerDescription server;
};

std::string to_json(const JobRunSummary &summary);
std::string to_json(const UserView &user);
std::string to_json(const PdsDescription &pds);

}  // namespace acid::provision
