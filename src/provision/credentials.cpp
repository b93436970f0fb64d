#include "provision/credentials.h"

#include "core/json.h"
#include "core/seal.h"
#include "provision/provisioner.h"

namespace acid::provision {

namespace {

std::string detail(std::string_view sub, std::string_view reason, std::string_view extra_key = {},
                   std::string_view extra_value = {}) {
  return json::object([&](json::Writer &w) {
    json::member(w, "sub", sub);
    json::member(w, "reason", reason);
    if (!extra_key.empty()) json::member(w, extra_key, extra_value);
  });
}

Error no_account(std::string_view sub, std::string_view why, std::string_view reason,
                 store::AccountState state) {
  return Error(Code::no_account,
               std::string(sub) + " has no usable PDS account: " + std::string(why),
               detail(sub, reason, "state", store::to_string(state)));
}

}  // namespace

Result<std::string> open_stored_password(const Config &config, std::string_view sub,
                                         std::string_view stored) {
  if (!seal::is_sealed(stored)) return std::string(stored);  // legacy plaintext
  const std::string key_id(seal::sealed_key_id(stored).value_or(""));
  if (!config.credentials_key) {
    return Error(Code::sealed,
                 "the stored PDS password of " + std::string(sub) +
                     " is sealed and ACID_CREDENTIALS_KEY is not set",
                 detail(sub, "no_key", "key_id", key_id));
  }
  auto opened = seal::unseal(*config.credentials_key, stored, password_aad(sub));
  if (opened) return opened;
  switch (opened.code()) {
    case Code::config:
      return Error(Code::sealed,
                   "the stored PDS password of " + std::string(sub) + " was sealed with key \"" +
                       key_id + "\", which ACID_CREDENTIALS_KEY does not hold",
                   detail(sub, "unknown_key", "key_id", key_id));
    case Code::store:
    case Code::invalid:
      return Error(Code::sealed,
                   "the stored PDS password of " + std::string(sub) +
                       " cannot be opened with ACID_CREDENTIALS_KEY: " + opened.error().message,
                   detail(sub, "unreadable", "key_id", key_id));
    default:
      return std::move(opened).error();
  }
}

Result<PdsCredentials> pds_credentials(store::AccountReader &store, const Config &config,
                                       std::string_view sub) {
  if (sub.empty()) return Error(Code::invalid, "the sub is empty");
  auto account = store.get_account(sub);
  if (!account) {
    if (account.code() == Code::not_found) {
      return Error(Code::not_found, "no user " + std::string(sub), detail(sub, "unknown_user"));
    }
    return std::move(account).error();
  }
  const store::Account &a = *account;
  if (a.state == store::AccountState::deleting || a.state == store::AccountState::deleted) {
    return no_account(sub, "it is deleted", "deleted", a.state);
  }
  if (!a.did) {
    return no_account(sub, std::string("no PDS account yet (state ") + to_string(a.state) + ")",
                      "no_did", a.state);
  }
  if (!a.password)
    return no_account(sub, "a DID without a stored password", "no_password", a.state);
  if (!config.pds_url) return Error(Code::config, "PDS_URL: not set (the PDS base URL)");
  ACID_ASSIGN_OR_RETURN(auto password, open_stored_password(config, sub, *a.password));
  return PdsCredentials{*a.did, a.pds_handle.value_or(""), std::move(password), *config.pds_url};
}

std::string to_json(const PdsCredentials &c) {
  return json::object([&](json::Writer &w) {
    json::member(w, "did", c.did);
    json::member(w, "handle", c.handle);
    json::member(w, "password", c.password);
    json::member(w, "service", c.service);
  });
}

std::string session_json(const pds::Session &s, std::string_view service) {
  return json::object([&](json::Writer &w) {
    json::member(w, "did", s.did);
    json::member(w, "handle", s.handle);
    json::member(w, "service", service);
    json::member(w, "accessJwt", s.access_jwt);
    json::member(w, "refreshJwt", s.refresh_jwt);
  });
}

Result<std::unique_ptr<PdsSessions>> PdsSessions::create(store::AccountReader &store,
                                                         const Config &config) {
  if (!config.pds_url) return Error(Code::config, "PDS_URL: not set (the PDS base URL)");
  std::unique_ptr<PdsSessions> out(new PdsSessions());
  out->service_ = *config.pds_url;
  pds::ClientOptions options;
  options.base_url = *config.pds_url;  // logging in as a person needs no admin secret
  ACID_ASSIGN_OR_RETURN(auto client, pds::XrpcClient::create(std::move(options)));
  out->client_ = std::move(client);
  pds::XrpcClient &xrpc = *out->client_;
  auto login = [&store, &config, &xrpc](std::string_view sub) -> Result<pds::Session> {
    ACID_ASSIGN_OR_RETURN(auto credentials, pds_credentials(store, config, sub));
    auto session = xrpc.create_session(credentials.did, credentials.password);
    if (!session) return std::move(session).error().context("logging in as " + std::string(sub));
    return session;
  };
  auto refresh = [&xrpc](std::string_view refresh_jwt) {
    return xrpc.refresh_session(refresh_jwt);
  };
  out->cache_ = std::make_unique<pds::SessionCache>(std::move(login), std::move(refresh));
  return out;
}

}  // namespace acid::provision
