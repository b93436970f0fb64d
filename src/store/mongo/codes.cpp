// The MongoDB adapter: secrets and the per-year code counters.
#include "core/json.h"
#include "store/lease_token.h"
#include "store/mongo/adapter.h"

namespace acid::store::mongo {

Result<std::string> MongoStore::get_or_put_secret(std::string_view name,
                                                  std::string_view value_if_absent) {
  for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
    ACID_ASSIGN_OR_RETURN(auto r,
                          run(cmd_.get_or_put_secret(name, value_if_absent, now_unix_ms())));
    if (r.duplicate) continue;  // a concurrent first writer: read its value next time
    if (auto v = string_field(r.document, "value")) return *v;
    return Error(Code::store, "acid_meta secret " + std::string(name) + " has no string value");
  }
  return contention("get_or_put_secret");
}

Result<std::vector<CodeYearState>> MongoStore::code_year_states(std::optional<int> yy) {
  ACID_ASSIGN_OR_RETURN(auto counters, run(cmd_.list_counters(yy)));
  std::vector<CodeYearState> out;
  for (const Doc &d : counters.documents) {
    const auto year = Field::find(d.get(), "_id").as_int();
    if (!year || *year < 0 || *year > 99) {
      return Error(Code::store, "acid_code_counters holds a document whose _id is not a year");
    }
    ACID_ASSIGN_OR_RETURN(auto allocated, run(cmd_.count_allocated(static_cast<int>(*year))));
    out.push_back(CodeYearState{
        static_cast<int>(*year),
        static_cast<std::uint32_t>(Field::find(d.get(), "next").as_int().value_or(0)),
        static_cast<std::uint32_t>(Field::find(d.get(), "skipped").as_int().value_or(0)),
        static_cast<std::uint64_t>(allocated.count)});
  }
  return out;
}

Result<std::vector<std::string>> MongoStore::legacy_codes(int yy) {
  if (yy < 0 || yy > 99) return Error(Code::invalid, "two-digit year out of range");
  ACID_ASSIGN_OR_RETURN(auto claims, run(cmd_.allocated_claims_of_year(yy)));
  std::set<std::string> allocated;
  for (const Doc &d : claims.documents) {
    if (auto code = Field::find(d.get(), "_id").as_string()) allocated.insert(*code);
  }
  ACID_ASSIGN_OR_RETURN(auto users, run(cmd_.year_codes_in_users(yy)));
  std::vector<std::string> out;
  for (const Doc &d : users.documents) {
    auto code = Field::find(d.get(), "code").as_string();
    if (code && allocated.count(*code) == 0) out.push_back(std::move(*code));
  }
  return out;
}

}  // namespace acid::store::mongo
