// RAII over the SQLite C API: a connection, prepared statements and
// transactions, with errors returned as values (Chromium sql/ style).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "result.hpp"

namespace vigil::sql {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
class StatementCache;
// Finalizes a statement, or puts it back on the cache's shelf for its SQL
// text (Database::prepare_cached), reset and with its bindings cleared.
struct StmtFinalizer {
  std::vector<sqlite3_stmt*>* shelf = nullptr;
  void operator()(sqlite3_stmt* s) const noexcept;
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// A value to bind: NULL, integer, real, text or BLOB (bind_all).
struct Blob {
  std::string_view bytes;
};
using Param = std::variant<std::nullptr_t, std::int64_t, double, std::string_view, Blob>;

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
  // Binds bytes as a BLOB (kept byte for byte, never converted as text may be).
  Status bind_blob(int index, std::string_view bytes);
  Status clear_bindings();
  // Binds params to ?1..?N in order.
  Status bind_all(std::initializer_list<Param> params);
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
  std::string column_blob(int i) const;
  bool column_is_null(int i) const noexcept { return column_type(i) == SQLITE_NULL; }

  sqlite3_stmt* get() const noexcept { return stmt_.get(); }
  bool valid() const noexcept { return stmt_ != nullptr; }
  // Gives up ownership (for Database::prepare_cached).
  sqlite3_stmt* release() noexcept { return stmt_.release(); }

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
  // The same, from this connection's cache of prepared statements when the
  // SQL was prepared before and is not in use; the Statement goes back to the
  // cache (reset, bindings cleared) when it is destroyed. For SQL the program
  // writes, run many times: the parse and plan are then done once. A
  // Database and its statements are used from one thread at a time.
  Result<Statement> prepare_cached(std::string_view sql) const;
  Status exec(const char* sql) const;
  // The first column of the first row of one statement (a PRAGMA, a COUNT);
  // no row is an error.
  Result<std::int64_t> query_int(std::string_view sql) const;
  // PRAGMA user_version: the schema version the application stored.
  Result<std::int64_t> user_version() const { return query_int("PRAGMA user_version"); }
  Status set_user_version(std::int64_t v) const;
  // How long a statement waits for another connection's lock before SQLITE_BUSY.
  Status set_busy_timeout(std::chrono::milliseconds ms) const;
  std::int64_t last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_.get()); }
  std::int64_t changes() const noexcept { return sqlite3_changes64(db_.get()); }
  std::string last_error() const { return sqlite3_errmsg(db_.get()); }
  sqlite3* get() const noexcept { return db_.get(); }

 private:
  explicit Database(DbPtr db);
  DbPtr db_;
  // Declared after db_: destroyed (its statements finalized) before the close.
  std::unique_ptr<StatementCache> cache_;

 public:
  ~Database();
  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
};

// Rolls back unless commit() succeeded. `immediate` takes the write lock at
// begin() (BEGIN IMMEDIATE), so a writer waits for it there (busy timeout)
// rather than failing half-way when its first write finds another writer.
enum class TransactionMode { deferred, immediate, exclusive };

class Transaction {
 public:
  explicit Transaction(const Database& db, TransactionMode mode = TransactionMode::deferred)
      : db_(db), mode_(mode) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status begin();
  Status commit();

 private:
  const Database& db_;
  TransactionMode mode_;
  bool open_ = false;
};

// One step of a schema: user_version `version` is reached by running `sql`.
struct Migration {
  std::int64_t version;
  const char* sql;
};

// Brings the database from its PRAGMA user_version up to the last of
// `migrations` (ascending versions), each step in its own BEGIN IMMEDIATE
// transaction, re-reading the version under the lock (another process may
// have migrated meanwhile). A version newer than the last is refused (never
// migrated down). Errors name `path` and the step.
Status migrate(const Database& db, std::span<const Migration> migrations, const std::string& path);

}  // namespace vigil::sql
