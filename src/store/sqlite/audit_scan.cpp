// The embedded store: the audit's streaming reads.
#include "store/lease_token.h"
#include "store/sqlite/adapter.h"
#include "store/sqlite/sqlite_dead_letters.h"
#include "store/sqlite/sqlite_transitions.h"

namespace acid::store::sqlite {

Status SqliteStore::scan_accounts(const AccountScanFilter &filter, const AccountVisitor &visit) {
  std::lock_guard lock(mu_);
  // One joined scan in three parts, each driven by one table's primary key with the others
  // joined by primary key: accounts, then users without accounts, then verifications with
  // neither (a UNION would sort every sub through a temporary b-tree, 30% slower).
  auto tenant = [&](const char *column) -> std::string {
    const std::string c(column);
    switch (filter.tenant) {
      case SubFilter::all:
        return "1";
      case SubFilter::sotce:
        return "(" + c + " >= 'sotce-' AND " + c + " < 'sotce.')";
      case SubFilter::aesthetic:
        return "NOT (" + c + " >= 'sotce-' AND " + c + " < 'sotce.')";
    }
    return "1";
  };
  const std::string columns = std::string(kAccountColumns) + ", ";
  ACID_ASSIGN_OR_RETURN(
      Statement stmt,
      conn_.prepare(
          columns + "a.sub FROM accounts a LEFT JOIN users u ON u.sub = a.sub " +
          "LEFT JOIN verifications v ON v.sub = a.sub LEFT JOIN handles h ON h.sub = a.sub " +
          "WHERE " + tenant("a.sub") + " UNION ALL " + columns +
          "u.sub FROM users u LEFT JOIN accounts a ON a.sub = u.sub " +
          "LEFT JOIN verifications v ON v.sub = u.sub LEFT JOIN handles h ON h.sub = u.sub " +
          "WHERE a.sub IS NULL AND " + tenant("u.sub") + " UNION ALL " + columns +
          "v.sub FROM verifications v LEFT JOIN users u ON u.sub = v.sub " +
          "LEFT JOIN accounts a ON a.sub = v.sub LEFT JOIN handles h ON h.sub = v.sub " +
          "WHERE u.sub IS NULL AND a.sub IS NULL AND " + tenant("v.sub")));
  AuditRow row;
  return stmt.for_each_row([&](const Statement &joined) -> Status {
    Account &a = row.account;
    a = Account{};
    ACID_TRY(read_account(joined, a));
    a.sub = joined.column_text(25);
    row.has_user = joined.column_int(22) != 0;
    row.has_accounts = joined.column_int(24) != 0;
    return visit(row);
  });
}

Result<std::vector<DuplicateCode>> SqliteStore::duplicate_codes() {
  std::lock_guard lock(mu_);
  ACID_ASSIGN_OR_RETURN(
      Statement stmt,
      conn_.prepare(
          "SELECT lower(u.code), u.sub FROM users u JOIN ("
          "  SELECT lower(code) AS c FROM users WHERE code IS NOT NULL GROUP BY lower(code) "
          "  HAVING count(*) > 1) d ON lower(u.code) = d.c ORDER BY 1, 2"));
  std::vector<DuplicateCode> out;
  ACID_TRY(stmt.for_each_row([&](const Statement &row) {
    std::string code = row.column_text(0);
    if (out.empty() || out.back().code != code) out.push_back(DuplicateCode{code, {}});
    out.back().subs.push_back(row.column_text(1));
  }));
  return out;
}

}  // namespace acid::store::sqlite
