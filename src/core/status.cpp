#include "core/status.h"

namespace acid {

const char *code_name(Code code) noexcept {
  switch (code) {
    case Code::ok:
      return "ACID_OK";
    case Code::invalid:
      return "ACID_EINVAL";
    case Code::no_memory:
      return "ACID_ENOMEM";
    case Code::not_found:
      return "ACID_ENOTFOUND";
    case Code::exists:
      return "ACID_EEXISTS";
    case Code::conflict:
      return "ACID_ECONFLICT";
    case Code::store:
      return "ACID_ESTORE";
    case Code::unavailable:
      return "ACID_EUNAVAILABLE";
    case Code::exhausted:
      return "ACID_EEXHAUSTED";
    case Code::config:
      return "ACID_ECONFIG";
    case Code::pds:
      return "ACID_EPDS";
    case Code::auth:
      return "ACID_EAUTH";
    case Code::rate_limited:
      return "ACID_ERATELIMIT";
    case Code::timeout:
      return "ACID_ETIMEOUT";
    case Code::version:
      return "ACID_EVERSION";
    case Code::internal:
      return "ACID_EINTERNAL";
    case Code::no_account:
      return "ACID_ENOACCOUNT";
    case Code::sealed:
      return "ACID_ESEALED";
  }
  return "ACID_EUNKNOWN";
}

}  // namespace acid
