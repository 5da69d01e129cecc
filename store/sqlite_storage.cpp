// SqliteStorage: opening, the connection pool, the shared helpers, tokens,
// waivers and the audit log. Hosts are in sqlite_hosts.cpp, the chain rules
// in sqlite_ingest.cpp, queries in sqlite_query.cpp.
#include "sqlite_storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "file_io.hpp"
#include "sqlite_util.hpp"
#include "unique_fd.hpp"

namespace vigil::store {

namespace sqlite {

Result<sql::Statement> query(const sql::Database& db, std::string_view text,
                             std::initializer_list<sql::Param> params) {
  // Every statement the store runs is SQL of its own (constant text, or
  // constants joined), so the cache stays as small as the code.
  auto st = db.prepare_cached(text);
  if (!st) return std::move(st).error();
  if (auto s = st->bind_all(params); !s) return s.error();
  return st;
}

std::mutex& process_write_mutex() {
  static std::mutex mu;
  return mu;
}

Error step_error(const sql::Database& db, std::string_view what) {
  return make_error(Errc::sql, std::string(what) + ": " + db.last_error());
}

Status run(const sql::Database& db, std::string_view text, std::initializer_list<sql::Param> params) {
  auto st = query(db, text, params);
  if (!st) return st.error();
  while (st->step()) {
  }
  if (!st->succeeded()) return step_error(db, text.substr(0, 40));
  return {};
}

Status insert_audit(const sql::Database& db, const AuditEntry& e) {
  return run(db,
             "INSERT INTO audit (time_ms, actor_kind, actor_id, actor_name, actor_role, action, target,"
             " detail, request_id, peer) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
             {e.time_ms, std::string_view(e.actor.kind), std::string_view(e.actor.id),
              std::string_view(e.actor.name), std::string_view(e.actor.role), std::string_view(e.action),
              std::string_view(e.target), std::string_view(e.detail), std::string_view(e.request_id),
              std::string_view(e.peer)});
}

std::string scope_to_json(const ScopeTags& s) {
  boost::json::object o;
  for (const auto& [k, v] : s) o[k] = v;
  return boost::json::serialize(o);
}

ScopeTags scope_from_json(std::string_view json) {
  ScopeTags out;
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return out;
  for (const auto& [k, val] : v.as_object())
    if (val.is_string()) out[std::string(k)] = std::string(val.as_string());
  return out;
}

}  // namespace sqlite

using namespace sqlite;

namespace {

constexpr std::size_t kMaxIdle = 8;

TokenRecord token_from_row(const sql::Statement& s) {
  TokenRecord t;
  t.id = s.column_text(0);
  t.role = parse_role(s.column_text(1)).value_or(Role::auditor);
  t.name = s.column_text(2);
  t.created_at_ms = s.column_int(3);
  t.expires_at_ms = opt_int(s, 4);
  t.max_uses = opt_int(s, 5);
  t.uses = s.column_int(6);
  t.revoked_at_ms = opt_int(s, 7);
  return t;
}

constexpr const char* kTokenColumns =
    "SELECT id, role, name, created_at_ms, expires_at_ms, max_uses, uses, revoked_at_ms FROM tokens ";

}  // namespace

const char* role_name(Role r) noexcept {
  switch (r) {
    case Role::admin:
      return "admin";
    case Role::analyst:
      return "analyst";
    case Role::auditor:
      return "auditor";
    case Role::enroll:
      return "enroll";
  }
  return "auditor";
}

std::optional<Role> parse_role(std::string_view s) noexcept {
  for (Role r : {Role::admin, Role::analyst, Role::auditor, Role::enroll})
    if (s == role_name(r)) return r;
  return std::nullopt;
}

bool ChainState::ok() const {
  if (!forks.empty()) return false;
  for (const auto& g : gaps)
    if (!g.explained_by) return false;
  return true;
}

Lease::~Lease() {
  if (owner_ != nullptr && db_) owner_->release(std::move(*db_));
}

Result<std::unique_ptr<SqliteStorage>> SqliteStorage::open(const std::string& path,
                                                           std::chrono::milliseconds busy_timeout) {
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0)
    return make_error(Errc::invalid, "database.path: '" + path + "' must be a file path");
  // The database holds token hashes and every host's evidence: 0600 from
  // the first byte (SQLite would create it with the umask's mode), and when
  // root makes it (an admin's `vigil-store token create` before the first
  // start) it belongs to the owner of its directory, the service user.
  {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.valid()) {
      if (::fchmod(fd.get(), 0600) != 0)
        return make_error(Errc::io, path + ": chmod 0600: " + std::strerror(errno));
      if (Status s = adopt_directory_owner(fd.get(), parent_directory(path), path); !s) return s.error();
    } else if (errno != EEXIST) {
      return make_error(Errc::io, path + ": cannot create the database: " + std::strerror(errno));
    }
  }
  auto st = std::make_unique<SqliteStorage>(Passkey(), path, busy_timeout);
  auto db = st->connect();
  if (!db) return std::move(db).error();
  if (auto s = db->exec("PRAGMA journal_mode=WAL"); !s)
    return make_error(Errc::sql, path + ": " + s.error().message);
  if (auto s = migrate_store(*db, path); !s) return s.error();
  st->release(std::move(*db));
  return st;
}

Result<sql::Database> SqliteStorage::connect() const {
  auto db = sql::Database::open(path_);
  if (!db) return make_error(Errc::sql, path_ + ": " + db.error().message);
  Status s = db->set_busy_timeout(busy_timeout_);
  if (s) s = db->exec("PRAGMA synchronous=NORMAL");
  if (s) s = db->exec("PRAGMA foreign_keys=ON");
  if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
  return db;
}

Result<Lease> SqliteStorage::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      sql::Database db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(db));
    }
  }
  auto db = connect();
  if (!db) return std::move(db).error();
  return Lease(*this, std::move(*db));
}

void SqliteStorage::release(sql::Database db) {
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(db));
}

Status SqliteStorage::create_token(const TokenRecord& t, const std::string& hash, const AuditEntry& audit) {
  auto lease = acquire();
  if (!lease) return lease.error();
  const auto& db = lease->db();
  auto r = in_write_tx(db, [&]() -> Status {
    Status s = run(db,
                   "INSERT INTO tokens (id, hash, role, name, created_at_ms, expires_at_ms, max_uses)"
                   " VALUES (?1,?2,?3,?4,?5,?6,?7)",
                   {std::string_view(t.id), std::string_view(hash), std::string_view(role_name(t.role)),
                    std::string_view(t.name), t.created_at_ms, opt(t.expires_at_ms), opt(t.max_uses)});
    return s ? insert_audit(db, audit) : s;
  });
  return r;
}

Result<std::optional<TokenRecord>> SqliteStorage::find_person_token(const std::string& hash,
                                                                    std::int64_t now_ms) {
  auto lease = acquire();
  if (!lease) return lease.error();
  auto st = query(lease->db(),
                  std::string(kTokenColumns) +
                      "WHERE hash = ?1 AND role <> 'enroll' AND revoked_at_ms IS NULL"
                      " AND (expires_at_ms IS NULL OR expires_at_ms > ?2)",
                  {std::string_view(hash), now_ms});
  if (!st) return std::move(st).error();
  if (st->step()) return std::optional<TokenRecord>(token_from_row(*st));
  if (!st->succeeded()) return step_error(lease->db(), "tokens");
  return std::optional<TokenRecord>();
}

Result<std::vector<TokenRecord>> SqliteStorage::list_tokens() {
  auto lease = acquire();
  if (!lease) return lease.error();
  auto st = query(lease->db(), std::string(kTokenColumns) + "ORDER BY created_at_ms, id");
  if (!st) return std::move(st).error();
  std::vector<TokenRecord> out;
  while (st->step()) out.push_back(token_from_row(*st));
  if (!st->succeeded()) return step_error(lease->db(), "tokens");
  return out;
}

Result<bool> SqliteStorage::revoke_token(const std::string& id, const AuditEntry& audit) {
  auto lease = acquire();
  if (!lease) return lease.error();
  const auto& db = lease->db();
  return in_write_tx(db, [&]() -> Result<bool> {
    Status s = run(db, "UPDATE tokens SET revoked_at_ms = ?2 WHERE id = ?1 AND revoked_at_ms IS NULL",
                   {std::string_view(id), audit.time_ms});
    if (!s) return s.error();
    if (db.changes() == 0) return false;
    if (auto a = insert_audit(db, audit); !a) return a.error();
    return true;
  });
}

Status SqliteStorage::create_waiver(const Waiver& w, const AuditEntry& audit) {
  auto lease = acquire();
  if (!lease) return lease.error();
  const auto& db = lease->db();
  return in_write_tx(db, [&]() -> Status {
    Status s = run(db,
                   "INSERT INTO waivers (id, check_id, selector, owner, reason, created_by, created_at_ms,"
                   " expires_at_ms) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                   {std::string_view(w.id), std::string_view(w.check), std::string_view(w.selector),
                    std::string_view(w.owner), std::string_view(w.reason), std::string_view(w.created_by),
                    w.created_at_ms, w.expires_at_ms});
    return s ? insert_audit(db, audit) : s;
  });
}

Result<std::vector<Waiver>> SqliteStorage::list_waivers() {
  auto lease = acquire();
  if (!lease) return lease.error();
  auto st = query(lease->db(),
                  "SELECT id, check_id, selector, owner, reason, created_by, created_at_ms, expires_at_ms,"
                  " revoked_at_ms FROM waivers ORDER BY created_at_ms, id");
  if (!st) return std::move(st).error();
  std::vector<Waiver> out;
  while (st->step()) {
    Waiver w;
    w.id = st->column_text(0);
    w.check = st->column_text(1);
    w.selector = st->column_text(2);
    w.owner = st->column_text(3);
    w.reason = st->column_text(4);
    w.created_by = st->column_text(5);
    w.created_at_ms = st->column_int(6);
    w.expires_at_ms = st->column_int(7);
    w.revoked_at_ms = opt_int(*st, 8);
    out.push_back(std::move(w));
  }
  if (!st->succeeded()) return step_error(lease->db(), "waivers");
  return out;
}

Result<bool> SqliteStorage::revoke_waiver(const std::string& id, const AuditEntry& audit) {
  auto lease = acquire();
  if (!lease) return lease.error();
  const auto& db = lease->db();
  return in_write_tx(db, [&]() -> Result<bool> {
    Status s = run(db, "UPDATE waivers SET revoked_at_ms = ?2 WHERE id = ?1 AND revoked_at_ms IS NULL",
                   {std::string_view(id), audit.time_ms});
    if (!s) return s.error();
    if (db.changes() == 0) return false;
    if (auto a = insert_audit(db, audit); !a) return a.error();
    return true;
  });
}

Status SqliteStorage::ping() {
  auto lease = acquire();
  if (!lease) return lease.error();
  auto v = lease->db().user_version();
  if (!v) return v.error();
  return {};
}

Status SqliteStorage::append_audit(const AuditEntry& e) {
  auto lease = acquire();
  if (!lease) return lease.error();
  return insert_audit(lease->db(), e);
}

Result<std::vector<AuditRecord>> SqliteStorage::list_audit(std::int64_t since_ms, std::size_t limit) {
  auto lease = acquire();
  if (!lease) return lease.error();
  auto st = query(lease->db(),
                  "SELECT id, time_ms, actor_kind, actor_id, actor_name, actor_role, action, target, detail,"
                  " request_id, peer FROM audit WHERE time_ms >= ?1 ORDER BY id LIMIT ?2",
                  {since_ms, static_cast<std::int64_t>(limit)});
  if (!st) return std::move(st).error();
  std::vector<AuditRecord> out;
  while (st->step()) {
    AuditRecord r;
    r.id = st->column_int(0);
    r.entry.time_ms = st->column_int(1);
    r.entry.actor = Actor{st->column_text(2), st->column_text(3), st->column_text(4), st->column_text(5)};
    r.entry.action = st->column_text(6);
    r.entry.target = st->column_text(7);
    r.entry.detail = st->column_text(8);
    r.entry.request_id = st->column_text(9);
    r.entry.peer = st->column_text(10);
    out.push_back(std::move(r));
  }
  if (!st->succeeded()) return step_error(lease->db(), "audit");
  return out;
}

}  // namespace vigil::store
