// RAII over the SQLite C API: a connection, prepared statements and
// transactions, with errors returned as values (Chromium sql/ style).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "result.hpp"

namespace vigil::sql {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

class Statement {
 public:
  Statement() = default;
  explicit Statement(StmtPtr s) : stmt_(std::move(s)) {}

  // SQLITE_ROW -> true; SQLITE_DONE or an error -> false (see succeeded()).
  bool step();
  bool succeeded() const noexcept { return rc_ == SQLITE_DONE || rc_ == SQLITE_ROW; }
  int last_code() const noexcept { return rc_; }
  Status reset();

  Status bind_text(int index, std::string_view v);
  Status bind_int(int index, std::int64_t v);
  Status bind_double(int index, double v);
  Status bind_null(int index);
  int parameter_index(const char* name) const noexcept {
    return sqlite3_bind_parameter_index(stmt_.get(), name);
  }
  int parameter_count() const noexcept { return sqlite3_bind_parameter_count(stmt_.get()); }
  const char* parameter_name(int index) const noexcept {
    return sqlite3_bind_parameter_name(stmt_.get(), index);
  }

  int column_count() const noexcept { return sqlite3_column_count(stmt_.get()); }
  std::string column_name(int i) const;
  int column_type(int i) const noexcept { return sqlite3_column_type(stmt_.get(), i); }
  std::int64_t column_int(int i) const noexcept { return sqlite3_column_int64(stmt_.get(), i); }
  double column_double(int i) const noexcept { return sqlite3_column_double(stmt_.get(), i); }
  std::string column_text(int i) const;
  bool column_is_null(int i) const noexcept { return column_type(i) == SQLITE_NULL; }

  sqlite3_stmt* get() const noexcept { return stmt_.get(); }
  bool valid() const noexcept { return stmt_ != nullptr; }

 private:
  StmtPtr stmt_;
  int rc_ = SQLITE_OK;
};

class Database {
 public:
  // ":memory:" for an in-memory database.
  static Result<Database> open(const std::string& path,
                               int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);

  // Prepares exactly one statement; trailing text other than whitespace,
  // comments and semicolons is refused so a policy cannot hide a second one.
  Result<Statement> prepare(std::string_view sql) const;
  Status exec(const char* sql) const;
  std::string last_error() const { return sqlite3_errmsg(db_.get()); }
  sqlite3* get() const noexcept { return db_.get(); }

 private:
  explicit Database(DbPtr db) : db_(std::move(db)) {}
  DbPtr db_;
};

// Rolls back unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(const Database& db) : db_(db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status begin();
  Status commit();

 private:
  const Database& db_;
  bool open_ = false;
};

}  // namespace vigil::sql
