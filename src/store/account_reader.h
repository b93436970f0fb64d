// Read-only view of people and their accounts (the mirror, the audit and the
// credentials hand-out read; only the account store writes).
#pragma once

#include "store/records.h"

namespace acid::store {

class AccountReader {
 public:
  virtual ~AccountReader() = default;

  // Code::not_found if absent.
  virtual Result<UserRecord> get_user(std::string_view sub) = 0;
  // Everything known about a sub. Code::not_found when the store has never heard of it.
  virtual Result<Account> get_account(std::string_view sub) = 0;
};

}  // namespace acid::store
