// An engine on a real SQLite store and the real local PDS, and people with real PDS accounts
// made through the provisioning flow (webhook ss + sv, then the jobs). Shared by the sync tests
// and bench/sync.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "pds/xrpc_client.h"
#include "provision/engine.h"

namespace acid::sync::test {

struct LiveEnv {
  std::string pds_url;
  std::string admin_password;
  std::string handle_domain;
  std::string credentials_key;         // base64, fresh per environment
  std::string run;                     // unique label of this run
  std::string store_uri;               // as given to create()
  std::vector<std::string> dids_made;  // every account made here (for the lexicon check)
  std::unique_ptr<provision::Engine> engine;
  std::unique_ptr<pds::XrpcClient> admin;  // a separate client (its calls are not counted)

  // store_uri: "sqlite:PATH".
  // extra: more environment variables (e.g. ACID_MEDIA_BASE_URL).
  static Result<std::unique_ptr<LiveEnv>> create(
      const std::string &store_uri, const std::map<std::string, std::string> &extra = {});

  // A person with an active PDS account: "auth0|<run><name>". Returns the DID.
  Result<std::string> active_user(const std::string &name);
  // The same for any person's sub; label makes the email unique.
  Result<std::string> active_account(const std::string &sub, const std::string &label);
  // A service account as the deployed system keeps one (users/art-guest): a PDS account made
  // outside the library, its DID, handle and plaintext password on the users record, no code
  // (the library never provisions one). SQLite stores only. Returns the DID.
  Result<std::string> service_account(const std::string &sub, const std::string &label);
  std::string sub(const std::string &name) const { return "auth0|" + run + name; }
  // The person's PDS password in clear.
  Result<std::string> password(const std::string &sub);
  // Every record of collection `nsid` in `did`'s repo, page after page (the admin client).
  Result<std::vector<pds::Record>> repo_records(const std::string &did, const std::string &nsid);
};

}  // namespace acid::sync::test
