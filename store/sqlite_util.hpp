// Small helpers over lib/sqlite.hpp for the store's SQLite backend (private
// to store/sqlite_*.cpp).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "sqlite.hpp"
#include "storage.hpp"

namespace vigil::store::sqlite {

// Prepares sql (from the connection's statement cache) and binds params to ?1..?N.
Result<sql::Statement> query(const sql::Database& db, std::string_view sql,
                             std::initializer_list<sql::Param> params = {});
// Runs one statement to completion.
Status run(const sql::Database& db, std::string_view sql, std::initializer_list<sql::Param> params = {});

inline sql::Param opt(const std::optional<std::int64_t>& v) {
  return v ? sql::Param(*v) : sql::Param(nullptr);
}
inline std::optional<std::int64_t> opt_int(const sql::Statement& s, int col) {
  if (s.column_is_null(col)) return std::nullopt;
  return s.column_int(col);
}
// An error from a statement that stopped early.
Error step_error(const sql::Database& db, std::string_view what);

Status insert_audit(const sql::Database& db, const AuditEntry& e);

std::string scope_to_json(const ScopeTags& s);
ScopeTags scope_from_json(std::string_view json);

// The writers of this process queue here before BEGIN IMMEDIATE. SQLite's
// busy handler waits for the write lock by sleeping and retrying (in steps of
// up to 100 ms), so pool threads contending for it would spend most of their
// time asleep; a mutex hands the lock over at once. Other processes (a second
// replica, the admin CLI) still meet SQLite's own lock and busy_timeout.
std::mutex& process_write_mutex();

// Runs body (returning a Status or Result) inside BEGIN IMMEDIATE ... COMMIT;
// an error from body rolls back. Not nested: body must not call it again.
template <typename F>
auto in_write_tx(const sql::Database& db, F&& body) -> decltype(body()) {
  std::lock_guard<std::mutex> writer(process_write_mutex());
  sql::Transaction tx(db, sql::TransactionMode::immediate);
  if (auto s = tx.begin(); !s) return s.error();
  auto r = body();
  if (!r) return r;
  if (auto s = tx.commit(); !s) return s.error();
  return r;
}

}  // namespace vigil::store::sqlite
