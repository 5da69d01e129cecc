// The `fs_findings` table: one -xdev walk of the host per scan (see fs_walk.hpp).
//
// The walk is depth-first over directory descriptors: each entry is lstat'ed
// with fstatat(AT_SYMLINK_NOFOLLOW) relative to its directory, as find(1) does
// for -perm, and a subdirectory is entered with openat(O_NOFOLLOW|O_DIRECTORY)
// and checked to be the inode that was lstat'ed, so a directory swapped for a
// symlink mid-walk is refused rather than followed out of the root.
#include "fs_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <unordered_map>

#include "accounts.hpp"
#include "path_list.hpp"
#include "result.hpp"
#include "strings.hpp"
#include "unique_fd.hpp"

namespace vigil::collectors {

namespace {

using Clock = std::chrono::steady_clock;

// The clock is read once per this many entries: cheap, and a directory of
// millions of entries still cannot overrun the budget by much.
constexpr std::size_t kClockEvery = 1024;
struct DirCloser {
  void operator()(DIR* d) const noexcept { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

// Names of the host's own accounts (never the scanning machine's NSS: the
// root may be an image). Without the database no id counts as unknown.
struct IdNames {
  std::unordered_map<std::uint32_t, std::string> names;
  bool loaded = false;
  bool knows(std::uint32_t id) const { return !loaded || names.count(id) != 0; }
  Value name(std::uint32_t id) const {
    auto it = names.find(id);
    return it == names.end() ? null_value() : text_value(sanitize_utf8(it->second));
  }
};

template <class Entry, class Parse>
IdNames load_ids(CollectContext& ctx, const char* path, Parse parse, std::uint32_t Entry::*id) {
  IdNames out;
  auto text = ctx.host().read_file(path);
  if (!text) {
    ctx.warn(path, text.error().message + "; files with an unknown owner or group are not reported");
    return out;
  }
  // glibc answers getpwuid/getgrgid with the first matching line: emplace keeps the first.
  for (const auto& e : parse(text->data, nullptr)) out.names.emplace(e.*id, e.name);
  out.loaded = true;
  return out;
}

struct Finding {
  std::string path;
  const char* kind = "";
  FileType type = FileType::unknown;
  unsigned mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t size = 0;
  std::int64_t mtime = 0;
};

// Something that happened to many entries, told once with a count and the
// first place: a host with 10 000 unreadable directories gets one warning.
struct Tally {
  std::size_t count = 0;
  std::string first;
  std::string reason;
  void add(const std::string& where, std::string why) {
    if (count++ == 0) {
      first = where;
      reason = std::move(why);
    }
  }
};

enum class Stop { none, entries, time, findings };

class Walker {
 public:
  Walker(const WalkOptions& opts, const IdNames& users, const IdNames& groups)
      : opts_(opts), users_(users), groups_(groups), deadline_(Clock::now() + opts.time_budget) {
    stack_.reserve(std::min(opts.max_depth, kWalkMaxDepth) + 1);
  }

  void walk(int root_fd, const std::string& start);
  // Every row carries the table's argument (roots), as SQLite expects of a
  // table-valued function's hidden column.
  void report(CollectContext& ctx, const Value& roots, std::vector<Row>& rows);

 private:
  struct Frame {
    DirPtr dir;
    std::string path;  // host path of the directory; "" for "/"
  };

  UniqueFd open_start(int root_fd, const std::string& start, std::string& base);
  void record(const std::string& parent, const char* name, const struct stat& st);
  bool out_of_time(const std::string& where) {
    if (Clock::now() < deadline_) return false;
    stop(Stop::time, where);
    return true;
  }
  void stop(Stop why, const std::string& where) {
    stop_ = why;
    stop_where_ = where.empty() ? "/" : where;
  }

  const WalkOptions& opts_;
  const IdNames& users_;
  const IdNames& groups_;
  const Clock::time_point deadline_;
  std::vector<Frame> stack_;
  std::vector<Finding> findings_;
  std::vector<std::pair<dev_t, ino_t>> started_;
  std::vector<std::string> walked_;  // start directories as given, in order
  std::size_t visited_ = 0;
  Stop stop_ = Stop::none;
  std::string stop_where_;
  Tally unreadable_, replaced_, too_deep_, bad_start_, absent_start_;
};

// Resolves a start directory one component at a time with O_NOFOLLOW: a
// start that is (or passes through) a symlink is refused, not followed.
UniqueFd Walker::open_start(int root_fd, const std::string& start, std::string& base) {
  if (start.empty() || start.front() != '/') {
    bad_start_.add(start, "not an absolute path");
    return {};
  }
  UniqueFd cur(::openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  const auto parts = split(start, '/');
  std::vector<std::string_view> comps;
  for (auto p : parts) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      bad_start_.add(start, "'..' is not allowed in a start directory");
      return {};
    }
    comps.push_back(p);
  }
  base.clear();
  for (std::size_t i = 0; i < comps.size() && cur.valid(); ++i) {
    base += '/';
    base += comps[i];
    const std::string comp(comps[i]);
    cur.reset(::openat(cur.get(), comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  }
  if (cur.valid()) cur.reset(::openat(cur.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cur.valid()) {
    const int err = errno;
    if (err == ENOENT) {
      absent_start_.add(start, "no such directory");
    } else {
      // ELOOP/ENOTDIR: a symlink or a file on the way; -xdev walks never follow one.
      bad_start_.add(start, err == ELOOP || err == ENOTDIR ? "a symlink or not a directory; not followed"
                                                           : std::strerror(err));
    }
  }
  return cur;
}

void Walker::record(const std::string& parent, const char* name, const struct stat& st) {
  const FileType type = file_type_from_mode(st.st_mode);
  const unsigned mode = static_cast<unsigned>(st.st_mode) & 07777u;
  const auto kinds = fs_finding_kinds(type, mode, users_.knows(st.st_uid), groups_.knows(st.st_gid));
  if (kinds.empty()) return;
  std::string path = name == nullptr ? (parent.empty() ? "/" : parent) : parent + "/" + name;
  for (const char* kind : kinds) {
    if (findings_.size() >= opts_.max_findings) {
      stop(Stop::findings, path);
      return;
    }
    findings_.push_back(Finding{path, kind, type, mode, st.st_uid, st.st_gid,
                                static_cast<std::int64_t>(st.st_size),
                                static_cast<std::int64_t>(st.st_mtim.tv_sec)});
  }
}

void Walker::walk(int root_fd, const std::string& start) {
  if (stop_ != Stop::none || out_of_time(start)) return;
  std::string base;
  walked_.push_back(start);
  UniqueFd fd = open_start(root_fd, start, base);
  if (!fd.valid()) return;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    unreadable_.add(start, std::strerror(errno));
    return;
  }
  // The same directory named twice ("/usr" and "/usr/") is walked once.
  const std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
  if (std::find(started_.begin(), started_.end(), id) != started_.end()) return;
  started_.push_back(id);

  ++visited_;
  record(base, nullptr, st);
  const dev_t start_dev = st.st_dev;
  DirPtr dir(::fdopendir(fd.get()));
  if (!dir) {
    unreadable_.add(start, std::strerror(errno));
    return;
  }
  fd.release();  // owned by dir now
  stack_.push_back(Frame{std::move(dir), base});

  while (!stack_.empty() && stop_ == Stop::none) {
    Frame& top = stack_.back();
    errno = 0;
    const struct dirent* e = ::readdir(top.dir.get());
    if (e == nullptr) {
      if (errno != 0) unreadable_.add(top.path.empty() ? "/" : top.path, std::strerror(errno));
      stack_.pop_back();
      continue;
    }
    const char* name = e->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    if (visited_ >= opts_.max_entries) {
      stop(Stop::entries, top.path + "/" + name);
      break;
    }
    ++visited_;
    if (visited_ % kClockEvery == 0 && out_of_time(top.path + "/" + name)) break;

    const int dfd = ::dirfd(top.dir.get());
    struct stat est {};
    if (::fstatat(dfd, name, &est, AT_SYMLINK_NOFOLLOW) != 0) {
      // Gone since readdir: nothing left to report about it.
      if (errno != ENOENT) unreadable_.add(top.path + "/" + name, std::strerror(errno));
      continue;
    }
    record(top.path, name, est);
    // -xdev: a mount point is reported (as find does) but not entered.
    if (!S_ISDIR(est.st_mode) || est.st_dev != start_dev) continue;
    std::string path = top.path + "/" + name;
    if (stack_.size() > opts_.max_depth) {
      too_deep_.add(path, "");
      continue;
    }
    UniqueFd cfd(::openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat cst {};
    if (!cfd.valid()) {
      const int err = errno;
      if (err == ELOOP || err == ENOTDIR)
        replaced_.add(path, "replaced by a non-directory during the walk; not followed");
      else if (err != ENOENT)
        unreadable_.add(path, std::strerror(err));
      continue;
    }
    if (::fstat(cfd.get(), &cst) != 0 || cst.st_dev != est.st_dev || cst.st_ino != est.st_ino) {
      replaced_.add(path, "replaced by another directory during the walk; not entered");
      continue;
    }
    DirPtr child(::fdopendir(cfd.get()));
    if (!child) {
      unreadable_.add(path, std::strerror(errno));
      continue;
    }
    cfd.release();
    stack_.push_back(Frame{std::move(child), std::move(path)});  // `top` is invalid from here
    if (out_of_time(stack_.back().path)) break;
  }
  stack_.clear();  // closes what a stop left open
}

void Walker::report(CollectContext& ctx, const Value& roots, std::vector<Row>& rows) {
  const bool truncated = stop_ != Stop::none || too_deep_.count > 0;
  const bool incomplete = unreadable_.count > 0 || bad_start_.count > 0;

  Row summary(kFsColumnCount, null_value());
  summary[kFsRoots] = roots;
  summary[kFsKind] = text_value("walk_summary");
  summary[kFsPath] = text_value(sanitize_utf8(join(walked_, ", ")));
  summary[kFsType] = text_value(truncated ? "truncated" : incomplete ? "incomplete" : "complete");
  summary[kFsSize] = int_value(static_cast<std::int64_t>(visited_));
  rows.push_back(std::move(summary));

  std::sort(findings_.begin(), findings_.end(), [](const Finding& a, const Finding& b) {
    if (a.path != b.path) return a.path < b.path;
    return std::strcmp(a.kind, b.kind) < 0;
  });
  for (auto& f : findings_) {
    Row row(kFsColumnCount, null_value());
    row[kFsRoots] = roots;
    row[kFsKind] = text_value(f.kind);
    row[kFsPath] = text_value(sanitize_utf8(f.path));
    row[kFsType] = text_value(file_type_name(f.type));
    row[kFsMode] = text_value(mode_octal(f.mode));
    row[kFsUid] = int_value(f.uid);
    row[kFsGid] = int_value(f.gid);
    row[kFsOwner] = users_.name(f.uid);
    row[kFsGroupName] = groups_.name(f.gid);
    row[kFsSize] = int_value(f.size);
    row[kFsMtime] = int_value(f.mtime);
    rows.push_back(std::move(row));
  }

  // Warnings name host paths, as every collector's do; the report says which host.
  const auto shown = [](const std::string& p) { return sanitize_utf8(p); };
  const std::string rest = "; entries after it were not checked (walk_summary type 'truncated')";
  switch (stop_) {
    case Stop::none:
      break;
    case Stop::entries:
      ctx.warn(shown(stop_where_),
               "walk stopped at the cap of " + std::to_string(opts_.max_entries) + " entries" + rest);
      break;
    case Stop::time:
      ctx.warn(shown(stop_where_), "walk stopped at its time budget of " +
                                       std::to_string(opts_.time_budget.count()) + " ms" + rest);
      break;
    case Stop::findings:
      ctx.warn(shown(stop_where_),
               "walk stopped at the cap of " + std::to_string(opts_.max_findings) + " findings" + rest);
      break;
  }
  const auto tell = [&](const Tally& t, const std::string& what) {
    if (t.count == 0) return;
    std::string msg = std::to_string(t.count) + " " + what;
    if (!t.reason.empty()) msg += " (first: " + t.reason + ")";
    ctx.warn(shown(t.first), msg);
  };
  tell(too_deep_, "directories more than " + std::to_string(opts_.max_depth) +
                      " levels below their start directory were not entered (walk_summary type 'truncated')");
  tell(unreadable_, "entries could not be read; what they hold was not checked");
  tell(replaced_, "directories changed during the walk and were skipped");
  tell(bad_start_, "start directories were not walked");
  tell(absent_start_, "start directories do not exist on the host");
}

TableDef fs_findings_table() {
  using T = ColumnType;
  std::vector<Column> cols(kFsColumnCount);
  cols[kFsRoots] = {"roots", T::text,
                    "start directories as a JSON array of absolute host paths: fs_findings('[\"/\", "
                    "\"/home\"]'); NULL or '' walks /",
                    true};
  cols[kFsKind] = {"kind", T::text,
                   "world_writable_file (any non-directory, non-symlink with o+w), "
                   "world_writable_dir_no_sticky, unowned (uid not in the host's /etc/passwd or gid not in "
                   "/etc/group), suid, sgid (regular files only), or walk_summary (one row per scan)"};
  cols[kFsPath] = {"path", T::text,
                   "absolute host path; for walk_summary the start directories, comma-separated"};
  cols[kFsType] = {"type", T::text,
                   "lstat type (regular, directory, symlink, fifo, ...); for walk_summary 'complete', "
                   "'incomplete' (some entries unreadable) or 'truncated' (a cap stopped the walk)"};
  cols[kFsMode] = {"mode", T::text, "permission and special bits in octal, e.g. '4755'"};
  cols[kFsUid] = {"uid", T::integer, "owner user id"};
  cols[kFsGid] = {"gid", T::integer, "owner group id"};
  cols[kFsOwner] = {"owner", T::text, "user name of uid in the host's /etc/passwd; NULL when unknown"};
  cols[kFsGroupName] = {"group_name", T::text,
                        "group name of gid in the host's /etc/group; NULL when unknown"};
  cols[kFsSize] = {"size", T::integer, "size in bytes; for walk_summary the number of entries visited"};
  cols[kFsMtime] = {"mtime", T::integer, "last modification, seconds since the epoch"};
  return TableDef{
      "fs_findings",
      "Entries found by one walk of the host per scan and roots argument, like `find ROOT... -xdev` "
      "(symlinks never followed, other filesystems not entered, a root on a pseudo or network filesystem "
      "per the host's /proc/mounts skipped with a warning): world-writable files and directories without "
      "the sticky bit, unowned entries, SUID/SGID files; one row per kind that applies. The walk_summary "
      "row says whether the walk was complete; caps on entries (2,000,000), findings (100,000), depth (64) "
      "and time (20 s) end it as 'truncated'.",
      std::move(cols),
      [](CollectContext& ctx, std::vector<Row>& rows) -> Status {
        WalkOptions opts;
        const Value arg = ctx.args().empty() ? null_value() : ctx.args().front();
        if (const auto* text = std::get_if<std::string>(&arg)) {
          auto roots = parse_walk_roots(*text);
          if (!roots) return make_error(roots.error().code, "fs_findings roots: " + roots.error().message);
          opts.start_dirs = std::move(*roots);
        } else if (!std::holds_alternative<std::monostate>(arg)) {
          return make_error(Errc::invalid, "fs_findings roots: expected a JSON array of paths");
        }
        return collect_fs_findings(ctx, rows, opts);
      },
  };
}

}  // namespace

std::vector<const char*> fs_finding_kinds(FileType type, unsigned mode, bool uid_known, bool gid_known) {
  std::vector<const char*> kinds;
  const bool world_writable = (mode & 0002u) != 0;
  // A symlink's own mode is always 0777 and means nothing.
  if (world_writable && type == FileType::directory && (mode & 01000u) == 0)
    kinds.push_back("world_writable_dir_no_sticky");
  if (world_writable && type != FileType::directory && type != FileType::symlink)
    kinds.push_back("world_writable_file");
  if (!uid_known || !gid_known) kinds.push_back("unowned");
  // Set-id bits only change privileges on executed files; SGID on a directory
  // is group inheritance, not privilege, and would drown the real findings.
  if (type == FileType::regular && (mode & 04000u) != 0) kinds.push_back("suid");
  if (type == FileType::regular && (mode & 02000u) != 0) kinds.push_back("sgid");
  return kinds;
}

Status collect_fs_findings(CollectContext& ctx, std::vector<Row>& rows, const WalkOptions& opts) {
  const std::string& root = ctx.host().root();
  // The root path itself is configuration and trusted, as in Host::open;
  // everything below it is opened with O_NOFOLLOW.
  UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) return make_error(Errc::io, "host root " + root + ": " + std::strerror(errno));

  const IdNames users = load_ids<PasswdEntry>(ctx, "/etc/passwd", parse_passwd, &PasswdEntry::uid);
  const IdNames groups = load_ids<GroupEntry>(ctx, "/etc/group", parse_group, &GroupEntry::gid);
  Walker walker(opts, users, groups);
  // /proc/mounts of the host (a fixture or image without one: every root is walked).
  std::string mounts_file;
  auto mounts = read_live_mounts(ctx.host(), mounts_file);
  if (!mounts && !mounts.is(Errc::not_found)) ctx.warn(mounts_file, mounts.error().message);
  for (const auto& start : opts.start_dirs) {
    const auto fstype = mounts ? mount_fstype(mounts->data, start) : std::nullopt;
    if (fstype && skipped_fstype(*fstype)) {
      ctx.warn(sanitize_utf8(start), "on a " + sanitize_utf8(*fstype) +
                                         " filesystem (pseudo or network): not walked, as find -xdev "
                                         "audits of local files do not");
      continue;
    }
    walker.walk(root_fd.get(), start);
  }
  walker.report(ctx, ctx.args().empty() ? null_value() : ctx.args().front(), rows);
  return Status::success();
}

bool skipped_fstype(std::string_view t) noexcept {
  const FsClass c = fs_class(t);
  return c == FsClass::pseudo || c == FsClass::network;
}

Result<std::vector<std::string>> parse_walk_roots(std::string_view text) {
  if (trim(text).empty()) return std::vector<std::string>{"/"};
  return parse_path_list(text, "root");
}

VIGIL_REGISTER_TABLE(fs_findings_table());

}  // namespace vigil::collectors
