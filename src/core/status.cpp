#include "core/status.h"

#include "core/enum_names.h"

namespace acid {

constexpr EnumName<Code> kCodeNames[] = {{Code::ok, "ACID_OK"},
                                         {Code::invalid, "ACID_EINVAL"},
                                         {Code::no_memory, "ACID_ENOMEM"},
                                         {Code::not_found, "ACID_ENOTFOUND"},
                                         {Code::exists, "ACID_EEXISTS"},
                                         {Code::conflict, "ACID_ECONFLICT"},
                                         {Code::store, "ACID_ESTORE"},
                                         {Code::unavailable, "ACID_EUNAVAILABLE"},
                                         {Code::exhausted, "ACID_EEXHAUSTED"},
                                         {Code::config, "ACID_ECONFIG"},
                                         {Code::pds, "ACID_EPDS"},
                                         {Code::auth, "ACID_EAUTH"},
                                         {Code::rate_limited, "ACID_ERATELIMIT"},
                                         {Code::timeout, "ACID_ETIMEOUT"},
                                         {Code::version, "ACID_EVERSION"},
                                         {Code::internal, "ACID_EINTERNAL"},
                                         {Code::no_account, "ACID_ENOACCOUNT"},
                                         {Code::sealed, "ACID_ESEALED"}};

const char *code_name(Code code) noexcept {
  return name_of(kCodeNames, code, "ACID_EUNKNOWN");
}

}  // namespace acid
