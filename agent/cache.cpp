// The evidence cache: opening it safely, recording a scan in one
// transaction, retention with gap records (see cache.hpp). Queries are in
// cache_query.cpp, the schema in cache_schema.cpp.
#include "cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <variant>

#include "file_io.hpp"
#include "strings.hpp"
#include "unique_fd.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

// 'VGIL' in PRAGMA application_id: a Vigil cache, not some other SQLite file.
constexpr std::int64_t kApplicationId = 0x5647494C;

std::string errno_text(int e) {
  return std::strerror(e);
}

std::string mode_text(mode_t m) {
  return mode_octal(static_cast<unsigned>(m & 07777));
}

// Creates the file 0600 whatever the umask (fchmod after O_EXCL), so SQLite
// (which gives -wal and -shm the database's mode) never makes it readable.
Status create_db_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    if (errno == EEXIST) return {};  // created meanwhile; checked like any existing file
    return make_error(Errc::io, path + ": cannot create the evidence cache: " + errno_text(errno));
  }
  if (::fchmod(fd.get(), 0600) != 0) return make_error(Errc::io, path + ": chmod 0600: " + errno_text(errno));
  // Root recording into the service user's state directory: the file is the
  // service's (SQLite, as root, gives -wal and -shm the database's owner).
  return adopt_directory_owner(fd.get(), parent_directory(path), path);
}

// Looks at the file before SQLite does: SQLite would treat some damage as
// an empty database and write over it.
Status check_db_file(const std::string& path, CacheAccess access) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT && access == CacheAccess::read_only)
      return make_error(Errc::not_found, path + ": no evidence cache (no scan has been recorded yet)");
    return make_error(Errc::io, path + ": " + errno_text(errno));
  }
  if (S_ISLNK(st.st_mode))
    return make_error(Errc::invalid, path + ": the evidence cache is a symlink; refusing it");
  if (!S_ISREG(st.st_mode))
    return make_error(Errc::invalid, path + ": the evidence cache is not a regular file");
  if ((st.st_mode & S_IWOTH) != 0)
    return make_error(Errc::invalid, path + ": the evidence cache is world-writable (mode " +
                                         mode_text(st.st_mode) + "); refusing it");
  const int want = access == CacheAccess::read_write ? (R_OK | W_OK) : R_OK;
  if (::faccessat(AT_FDCWD, path.c_str(), want, AT_EACCESS) != 0)
    return make_error(Errc::io, path + ": the evidence cache is not " +
                                    (access == CacheAccess::read_write ? "writable" : "readable") + ": " +
                                    errno_text(errno));
  if (st.st_size == 0) return {};  // created but never written: a new cache
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return make_error(Errc::io, path + ": " + errno_text(errno));
  char header[16] = {};
  const ssize_t n = ::read(fd.get(), header, sizeof header);
  static constexpr char kMagic[16] = "SQLite format 3";  // and its NUL
  if (n != static_cast<ssize_t>(sizeof header) || std::memcmp(header, kMagic, sizeof header) != 0)
    return make_error(Errc::parse, path +
                                       ": not an SQLite database (no 'SQLite format 3' header); it was left "
                                       "untouched: move it away to start a new cache");
  return {};
}

std::string pragma_text(const sql::Database& db, const char* sql) {
  auto s = db.prepare(sql);
  if (!s || !s->step()) return {};
  return s->column_text(0);
}

Status check_integrity(const sql::Database& db, const std::string& path) {
  auto s = db.prepare("PRAGMA quick_check(5)");
  if (!s) return make_error(Errc::parse, path + ": the database is corrupt (" + s.error().message + ")");
  std::vector<std::string> problems;
  while (s->step()) problems.push_back(s->column_text(0));
  if (!s->succeeded())
    return make_error(Errc::parse, path + ": the database is corrupt (quick_check: " + db.last_error() +
                                       "); it was left untouched: move it away to start a new cache");
  if (problems.size() == 1 && problems[0] == "ok") return {};
  return make_error(Errc::parse, path + ": the database is corrupt (quick_check: " + join(problems, "; ") +
                                     "); it was left untouched: move it away to start a new cache");
}

}  // namespace

Status check_state_dir(const std::string& dir, CacheAccess access) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    const int e = errno;
    if (e == ENOENT && access == CacheAccess::read_write) {
      if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return make_error(Errc::io, dir + ": cannot create the state directory: " + errno_text(errno));
      if (::lstat(dir.c_str(), &st) != 0)
        return make_error(Errc::io, dir + ": state directory: " + errno_text(errno));
    } else if (e == ENOENT) {
      return make_error(Errc::not_found, dir + ": no such state directory (no scan has been recorded here)");
    } else {
      return make_error(Errc::io, dir + ": state directory: " + errno_text(e));
    }
  }
  if (S_ISLNK(st.st_mode))
    return make_error(Errc::invalid,
                      dir + ": the state directory is a symlink; refusing it (name the real directory)");
  if (!S_ISDIR(st.st_mode))
    return make_error(Errc::invalid, dir + ": the state directory is not a directory");
  if ((st.st_mode & S_IWOTH) != 0)
    return make_error(Errc::invalid, dir + ": the state directory is world-writable (mode " +
                                         mode_text(st.st_mode) +
                                         "); refusing it: anyone could replace the evidence cache");
  if (access == CacheAccess::read_write && ::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0)
    return make_error(Errc::io, dir + ": the state directory is not writable: " + errno_text(errno));
  return {};
}

Result<Cache> Cache::open(const CacheOptions& opts) {
  if (opts.state_dir.empty()) return make_error(Errc::invalid, "the state directory is empty");
  std::string dir = opts.state_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (Status s = check_state_dir(dir, opts.access); !s) return s.error();
  const std::string path = (dir == "/" ? std::string() : dir) + "/" + kCacheFileName;
  const bool rw = opts.access == CacheAccess::read_write;
  if (rw) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) {
      if (Status s = create_db_file(path); !s) return s.error();
    }
  }
  if (Status s = check_db_file(path, opts.access); !s) return s.error();

  const int flags = (rw ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOFOLLOW;
  auto db = sql::Database::open(path, flags);
  if (!db) return db.error();
  // No value read or written may exceed twice the envelope cap, whatever a
  // damaged file claims.
  sqlite3_limit(db->get(), SQLITE_LIMIT_LENGTH, static_cast<int>(2 * kMaxEnvelopeBytes));
  if (Status s = db->set_busy_timeout(opts.busy_timeout); !s)
    return make_error(Errc::sql, path + ": " + s.error().message);

  auto version = db->user_version();
  auto app = db->query_int("PRAGMA application_id");
  auto tables = db->query_int("SELECT count(*) FROM sqlite_schema");
  if (!version || !app || !tables) {
    const Error& e = !version ? version.error() : !app ? app.error() : tables.error();
    return make_error(Errc::parse, path + ": the database is corrupt or not SQLite (" + e.message +
                                       "); it was left untouched: move it away to start a new cache");
  }
  if (*version > cache_schema_version())
    return make_error(Errc::invalid, path + ": the cache has schema version " + std::to_string(*version) +
                                         ", newer than this build of vigil knows (" +
                                         std::to_string(cache_schema_version()) +
                                         "); refusing to open it (upgrade vigil, or move the file away)");
  const bool fresh = *version == 0 && *app == 0 && *tables == 0;
  if (!fresh && *app != kApplicationId)
    return make_error(Errc::invalid,
                      path + ": an SQLite database but not a Vigil evidence cache (application_id " +
                          std::to_string(*app) + ", user_version " + std::to_string(*version) +
                          "); it was left untouched");
  if (opts.quick_check) {
    if (Status s = check_integrity(*db, path); !s) return s.error();
  }

  if (!rw) {
    if (*version < cache_schema_version())
      return make_error(Errc::invalid, path + ": the cache has schema version " + std::to_string(*version) +
                                           " and needs migrating to " +
                                           std::to_string(cache_schema_version()) +
                                           " (the agent does that when it next records a scan)");
    if (Status s = db->exec("PRAGMA query_only = 1"); !s)
      return make_error(Errc::sql, path + ": " + s.error().message);
    return Cache(std::move(*db), path, opts);
  }
  if (fresh) {
    // Both must precede the first table.
    Status s = db->exec("PRAGMA auto_vacuum = INCREMENTAL");
    if (s) s = db->exec(("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str());
    if (!s) return make_error(Errc::sql, path + ": " + s.error().message);
  }
  if (pragma_text(*db, "PRAGMA journal_mode = WAL") != "wal")
    return make_error(Errc::sql, path + ": cannot switch to WAL journal mode: " + db->last_error());
  for (const char* p :
       {"PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON", "PRAGMA journal_size_limit = 67108864"}) {
    if (Status s = db->exec(p); !s) return make_error(Errc::sql, path + ": " + p + ": " + s.error().message);
  }
  if (Status s = migrate_cache(*db, path); !s) return s.error();
  return Cache(std::move(*db), path, opts);
}

std::int64_t Cache::now_ms() const {
  if (opts_.clock) return opts_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<sql::Statement*> Cache::cached(const char* sql_text) {
  auto it = statements_.find(sql_text);
  if (it == statements_.end()) {
    auto s = db_.prepare(sql_text);
    if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
    it = statements_.emplace(sql_text, std::move(*s)).first;
  }
  sql::Statement& st = it->second;
  (void)st.reset();
  (void)st.clear_bindings();
  return &st;
}

Status Cache::run(const char* sql_text, std::initializer_list<sql::Param> params) {
  auto st = cached(sql_text);
  if (!st) return st.error();
  if (Status s = (*st)->bind_all(params); !s) return make_error(Errc::sql, path_ + ": " + s.error().message);
  (*st)->step();
  if (!(*st)->succeeded()) return make_error(Errc::sql, path_ + ": " + db_.last_error());
  (void)(*st)->reset();
  return {};
}

Result<ChainLink> Cache::next_link() const {
  auto s = db_.prepare("SELECT sequence, digest FROM chain ORDER BY sequence DESC LIMIT 1");
  if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
  ChainLink link;
  if (s->step()) {
    link.sequence = s->column_int(0) + 1;
    link.previous_digest = s->column_text(1);
  } else if (!s->succeeded()) {
    return make_error(Errc::sql, path_ + ": " + db_.last_error());
  } else {
    link.sequence = 1;
  }
  return link;
}

Status Cache::append_envelope(const ChainLink& link, const SignedEnvelope& env, const char* kind,
                              std::int64_t created_at_ms) {
  if (Status s = run("INSERT INTO chain(sequence, digest, previous_digest, kind, created_at_ms) "
                     "VALUES (?, ?, ?, ?, ?)",
                     {link.sequence, std::string_view(env.digest), std::string_view(link.previous_digest),
                      std::string_view(kind), created_at_ms});
      !s)
    return s;
  return run("INSERT INTO outbox(sequence, digest, bytes, created_at_ms) VALUES (?, ?, ?, ?)",
             {link.sequence, std::string_view(env.digest), sql::Blob{env.bytes}, created_at_ms});
}

Status Cache::mark_shipped(std::int64_t sequence, std::int64_t at_ms) {
  if (Status s = run("UPDATE outbox SET shipped_at_ms = ? WHERE sequence = ? AND shipped_at_ms IS NULL",
                     {at_ms, sequence});
      !s)
    return s;
  if (db_.changes() == 0) {
    auto n = db_.query_int("SELECT count(*) FROM outbox WHERE sequence = " + std::to_string(sequence));
    if (n && *n == 0)
      return make_error(Errc::not_found,
                        path_ + ": no envelope with sequence " + std::to_string(sequence) + " in the outbox");
  }
  return {};
}

Status Cache::set_aside(std::int64_t sequence, const std::string& reason) {
  if (Status s = run("UPDATE outbox SET set_aside_reason = ? WHERE sequence = ?",
                     {std::string_view(reason), sequence});
      !s)
    return s;
  if (db_.changes() == 0)
    return make_error(Errc::not_found,
                      path_ + ": no envelope with sequence " + std::to_string(sequence) + " in the outbox");
  return {};
}

Result<std::int64_t> Cache::used_bytes() const {
  auto pages = db_.query_int("PRAGMA page_count");
  auto free_pages = db_.query_int("PRAGMA freelist_count");
  auto page_size = db_.query_int("PRAGMA page_size");
  if (!pages || !free_pages || !page_size) return make_error(Errc::sql, path_ + ": " + db_.last_error());
  return (*pages - *free_pages) * *page_size;
}

}  // namespace vigil::agent
