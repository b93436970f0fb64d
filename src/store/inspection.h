// Reads and writes only the tests and benchmarks use (planting a legacy user,
// reading a counter): not part of the port any consumer receives. Each adapter
// implements it; tests reach it through tests/support/store_reader.h.
#pragma once

#include "store/records.h"

namespace acid::store {

class Inspection {
 public:
  virtual ~Inspection() = default;

  // "sqlite" or "mongodb".
  virtual std::string_view backend() const = 0;
  // Inserts a user. Code::exists if the sub is present, Code::conflict if the code is taken.
  virtual Status insert_user(const UserRecord &user) = 0;
  // The sub owning `code`, or Code::not_found.
  virtual Result<std::string> find_code_owner(std::string_view code) = 0;
  // verifications: creates the record with count 0 if missing; returns true if it was created.
  virtual Result<bool> ensure_verifications(std::string_view sub) = 0;
  // Atomically increments and returns the new count (creating the record at 1 if missing).
  virtual Result<std::int64_t> increment_verifications(std::string_view sub) = 0;
  // Code::not_found if absent.
  virtual Result<std::int64_t> get_verifications(std::string_view sub) = 0;
  virtual Result<std::string> get_handle(std::string_view sub) = 0;
  // Releases the lease without counting an attempt (graceful shutdown).
  virtual Status release_job(const Job &job, std::string_view owner) = 0;
};

}  // namespace acid::store
