#include "sqlite.hpp"

#include <functional>
#include <unordered_map>
#include <vector>

#include "strings.hpp"

namespace vigil::sql {

// Idle statements by their SQL text. Each text has a shelf whose address
// never changes (map nodes stay put), and a statement handed out carries its
// shelf, so taking and giving back is a vector pop and push: no lookup, no
// allocation once the shelf has held as many copies as were ever out at once.
class StatementCache {
 public:
  StatementCache() = default;
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  ~StatementCache() {
    for (auto& [sql, shelf] : idle_)
      for (sqlite3_stmt* s : shelf) sqlite3_finalize(s);
  }
  std::vector<sqlite3_stmt*>& shelf(std::string_view sql) {
    auto it = idle_.find(sql);
    if (it == idle_.end()) it = idle_.emplace(std::string(sql), std::vector<sqlite3_stmt*>()).first;
    return it->second;
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>, Hash, std::equal_to<>> idle_;
};

void StmtFinalizer::operator()(sqlite3_stmt* s) const noexcept {
  if (shelf == nullptr) {
    sqlite3_finalize(s);
    return;
  }
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  shelf->push_back(s);
}

Database::Database(DbPtr db) : db_(std::move(db)), cache_(std::make_unique<StatementCache>()) {}
Database::~Database() = default;
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;

Result<Statement> Database::prepare_cached(std::string_view sql) const {
  std::vector<sqlite3_stmt*>& shelf = cache_->shelf(sql);
  if (!shelf.empty()) {
    sqlite3_stmt* s = shelf.back();
    shelf.pop_back();
    return Statement(StmtPtr(s, StmtFinalizer{&shelf}));
  }
  auto fresh = prepare(sql);
  if (!fresh) return fresh;
  // The new statement goes to this text's shelf when done.
  return Statement(StmtPtr(fresh->release(), StmtFinalizer{&shelf}));
}

bool Statement::step() {
  rc_ = sqlite3_step(stmt_.get());
  return rc_ == SQLITE_ROW;
}

Status Statement::reset() {
  rc_ = SQLITE_OK;
  if (sqlite3_reset(stmt_.get()) != SQLITE_OK) {
    return make_error(Errc::sql, sqlite3_errmsg(sqlite3_db_handle(stmt_.get())));
  }
  return {};
}

namespace {
Status bind_status(sqlite3_stmt* s, int rc) {
  if (rc == SQLITE_OK) return {};
  return make_error(Errc::sql, sqlite3_errmsg(sqlite3_db_handle(s)));
}
}  // namespace

Status Statement::bind_text(int index, std::string_view v) {
  return bind_status(stmt_.get(), sqlite3_bind_text64(stmt_.get(), index, v.data(), v.size(),
                                                      SQLITE_TRANSIENT, SQLITE_UTF8));
}
Status Statement::bind_int(int index, std::int64_t v) {
  return bind_status(stmt_.get(), sqlite3_bind_int64(stmt_.get(), index, v));
}
Status Statement::bind_double(int index, double v) {
  return bind_status(stmt_.get(), sqlite3_bind_double(stmt_.get(), index, v));
}
Status Statement::bind_null(int index) {
  return bind_status(stmt_.get(), sqlite3_bind_null(stmt_.get(), index));
}

Status Statement::bind_blob(int index, std::string_view bytes) {
  return bind_status(stmt_.get(),
                     sqlite3_bind_blob64(stmt_.get(), index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
}
Status Statement::clear_bindings() {
  return bind_status(stmt_.get(), sqlite3_clear_bindings(stmt_.get()));
}

Status Statement::bind_all(std::initializer_list<Param> params) {
  int i = 0;
  for (const Param& p : params) {
    ++i;
    Status s;
    if (std::holds_alternative<std::nullptr_t>(p)) {
      s = bind_null(i);
    } else if (const auto* n = std::get_if<std::int64_t>(&p)) {
      s = bind_int(i, *n);
    } else if (const auto* d = std::get_if<double>(&p)) {
      s = bind_double(i, *d);
    } else if (const auto* t = std::get_if<std::string_view>(&p)) {
      s = bind_text(i, *t);
    } else {
      s = bind_blob(i, std::get<Blob>(p).bytes);
    }
    if (!s) return s;
  }
  return {};
}

std::string Statement::column_name(int i) const {
  const char* n = sqlite3_column_name(stmt_.get(), i);
  return n != nullptr ? n : "";
}

std::string Statement::column_text(int i) const {
  const auto* p = sqlite3_column_text(stmt_.get(), i);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), i)));
}

std::string Statement::column_blob(int i) const {
  const void* p = sqlite3_column_blob(stmt_.get(), i);
  if (p == nullptr) return {};
  return std::string(static_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), i)));
}

Result<Database> Database::open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    std::string msg = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return make_error(Errc::sql, path + ": " + msg);
  }
  sqlite3_extended_result_codes(raw, 1);
  return Database(std::move(db));
}

Result<Statement> Database::prepare(std::string_view sql) const {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return make_error(Errc::sql, sqlite3_errmsg(db_.get()));
  if (!stmt) return make_error(Errc::sql, "empty SQL statement");
  // Anything left must be whitespace or comments: prepare() the remainder and
  // expect no statement.
  std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  while (!trim(rest).empty()) {
    sqlite3_stmt* extra = nullptr;
    const char* tail2 = nullptr;
    rc = sqlite3_prepare_v2(db_.get(), rest.data(), static_cast<int>(rest.size()), &extra, &tail2);
    StmtPtr guard(extra);
    if (rc != SQLITE_OK) return make_error(Errc::sql, sqlite3_errmsg(db_.get()));
    if (extra != nullptr) return make_error(Errc::sql, "more than one SQL statement");
    if (tail2 == rest.data()) break;
    rest = std::string_view(tail2, static_cast<std::size_t>(rest.data() + rest.size() - tail2));
  }
  return Statement(std::move(stmt));
}

Status Database::exec(const char* sql) const {
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return make_error(Errc::sql, msg);
  }
  return {};
}

Result<std::int64_t> Database::query_int(std::string_view sql) const {
  auto s = prepare(sql);
  if (!s) return s.error();
  if (!s->step()) {
    if (!s->succeeded()) return make_error(Errc::sql, last_error());
    return make_error(Errc::sql, std::string(sql) + ": no row");
  }
  return s->column_int(0);
}

Status Database::set_user_version(std::int64_t v) const {
  // PRAGMA takes no parameters; v is an integer, so formatting it is safe.
  return exec(("PRAGMA user_version = " + std::to_string(v)).c_str());
}

Status Database::set_busy_timeout(std::chrono::milliseconds ms) const {
  const auto n = ms.count() < 0 ? 0 : ms.count() > INT32_MAX ? INT32_MAX : ms.count();
  if (sqlite3_busy_timeout(db_.get(), static_cast<int>(n)) != SQLITE_OK)
    return make_error(Errc::sql, last_error());
  return {};
}

Transaction::~Transaction() {
  if (open_) (void)db_.exec("ROLLBACK");
}

Status Transaction::begin() {
  const char* sql = mode_ == TransactionMode::immediate   ? "BEGIN IMMEDIATE"
                    : mode_ == TransactionMode::exclusive ? "BEGIN EXCLUSIVE"
                                                          : "BEGIN";
  auto s = db_.exec(sql);
  open_ = s.ok();
  return s;
}

Status Transaction::commit() {
  auto s = db_.exec("COMMIT");
  if (s.ok()) open_ = false;
  return s;
}

Status migrate(const Database& db, std::span<const Migration> migrations, const std::string& path) {
  auto current = db.user_version();
  if (!current) return make_error(Errc::sql, path + ": reading user_version: " + current.error().message);
  const std::int64_t newest = migrations.empty() ? 0 : migrations.back().version;
  if (*current > newest)
    return make_error(Errc::invalid, path + ": schema version " + std::to_string(*current) +
                                         " is newer than this program's " + std::to_string(newest));
  for (const auto& m : migrations) {
    if (m.version <= *current) continue;
    const std::string step = path + ": migration to v" + std::to_string(m.version) + ": ";
    Transaction tx(db, TransactionMode::immediate);
    if (auto s = tx.begin(); !s) return make_error(Errc::sql, step + s.error().message);
    auto again = db.user_version();
    if (!again) return make_error(Errc::sql, step + again.error().message);
    if (*again >= m.version) continue;
    Status s = db.exec(m.sql);
    if (s) s = db.set_user_version(m.version);
    if (s) s = tx.commit();
    if (!s) return make_error(Errc::sql, step + s.error().message);
  }
  return {};
}

}  // namespace vigil::sql
