// Path resolution inside a host root, and capped reads. See host.hpp.
#include "host.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>

#include "strings.hpp"
#include "unique_fd.hpp"

namespace vigil::collectors {

namespace {

constexpr int kMaxSymlinkHops = 40;  // Linux's own limit (MAXSYMLINKS)
constexpr std::size_t kMaxDirEntries = 200000;

}  // namespace

FileType file_type_from_mode(unsigned m) noexcept {
  if (S_ISREG(m)) return FileType::regular;
  if (S_ISDIR(m)) return FileType::directory;
  if (S_ISLNK(m)) return FileType::symlink;
  if (S_ISCHR(m)) return FileType::char_device;
  if (S_ISBLK(m)) return FileType::block_device;
  if (S_ISFIFO(m)) return FileType::fifo;
  if (S_ISSOCK(m)) return FileType::socket;
  return FileType::unknown;
}

namespace {

FileStat to_file_stat(const struct stat& st) {
  FileStat fs;
  fs.type = file_type_from_mode(st.st_mode);
  fs.mode = static_cast<unsigned>(st.st_mode) & 07777u;
  fs.uid = st.st_uid;
  fs.gid = st.st_gid;
  fs.size = static_cast<std::int64_t>(st.st_size);
  fs.mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec);
  fs.inode = static_cast<std::uint64_t>(st.st_ino);
  fs.device = static_cast<std::uint64_t>(st.st_dev);
  fs.nlink = static_cast<std::uint64_t>(st.st_nlink);
  return fs;
}

std::string errno_text(int err) {
  return std::strerror(err);
}

bool has_glob_magic(std::string_view s) noexcept {
  return s.find_first_of("*?[") != std::string_view::npos;
}

std::deque<std::string> components_of(std::string_view path) {
  std::deque<std::string> out;
  for (auto part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    out.emplace_back(part);
  }
  return out;
}

// The object a path names, reached without leaving the root.
struct Resolved {
  UniqueFd parent;   // directory holding the object (invalid: the root itself)
  std::string name;  // entry name in parent ("." for the root)
  UniqueFd object;   // O_PATH descriptor of the object itself
  struct stat st {};
};

Result<std::string> readlink_fd(int fd, const std::string& shown) {
  std::string buf(4096, '\0');
  ssize_t n = ::readlinkat(fd, "", buf.data(), buf.size());
  if (n < 0) return make_error(Errc::io, shown + ": cannot read link: " + errno_text(errno));
  if (static_cast<std::size_t>(n) >= buf.size())
    return make_error(Errc::too_large, shown + ": link target too long");
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

}  // namespace

const char* file_type_name(FileType t) noexcept {
  switch (t) {
    case FileType::regular:
      return "regular";
    case FileType::directory:
      return "directory";
    case FileType::symlink:
      return "symlink";
    case FileType::char_device:
      return "char_device";
    case FileType::block_device:
      return "block_device";
    case FileType::fifo:
      return "fifo";
    case FileType::socket:
      return "socket";
    case FileType::unknown:
      return "unknown";
  }
  return "unknown";
}

std::string resolve_relative(std::string_view base_dir, std::string_view path) {
  if (!path.empty() && path.front() == '/') return std::string(path);
  std::string out(base_dir);
  if (out.empty() || out.back() != '/') out.push_back('/');
  out.append(path);
  return out;
}

Result<Host> Host::open(const std::string& root, PathResolution resolution) {
  if (root.empty()) return make_error(Errc::invalid, "host root is empty");
  std::string norm = root;
  while (norm.size() > 1 && norm.back() == '/') norm.pop_back();
  int fd = ::open(norm.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return make_error(err == ENOENT ? Errc::not_found : Errc::invalid,
                      "host root " + norm + ": " + (err == ENOTDIR ? "not a directory" : errno_text(err)));
  }
  return Host(std::move(norm), fd, resolution);
}

Host::Host(Host&& o) noexcept
    : root_(std::move(o.root_)), root_fd_(std::exchange(o.root_fd_, -1)), resolution_(o.resolution_) {}

Host& Host::operator=(Host&& o) noexcept {
  if (this != &o) {
    if (root_fd_ >= 0) ::close(root_fd_);
    root_ = std::move(o.root_);
    root_fd_ = std::exchange(o.root_fd_, -1);
    resolution_ = o.resolution_;
  }
  return *this;
}

Host::~Host() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

std::string Host::display_path(std::string_view path) const {
  if (is_live_root()) return std::string(path);
  return root_ + std::string(path);
}

namespace {

// Walks path one component at a time from the root. Each step opens the
// component with O_PATH|O_NOFOLLOW, so what is inspected is what is used; a
// symlink is read through its own descriptor and its target is walked in turn
// (absolute targets restart at the root, ".." never climbs above it).
Result<Resolved> resolve_in_root(int root_fd, std::string_view path, bool follow_last,
                                 const std::string& shown) {
  if (path.empty() || path.front() != '/') {
    return make_error(Errc::invalid, "path must be absolute: '" + std::string(path) + "'");
  }
  if (path.find('\0') != std::string_view::npos) return make_error(Errc::invalid, "path contains a NUL byte");
  std::deque<std::string> todo = components_of(path);
  std::vector<UniqueFd> dirs;  // directories entered below the root
  int hops = 0;

  auto current_dir = [&]() { return dirs.empty() ? root_fd : dirs.back().get(); };

  if (todo.empty()) {
    Resolved r;
    r.name = ".";
    r.object.reset(::openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!r.object.valid() || ::fstat(r.object.get(), &r.st) != 0) {
      return make_error(Errc::io, shown + ": " + errno_text(errno));
    }
    return r;
  }

  while (!todo.empty()) {
    std::string comp = std::move(todo.front());
    todo.pop_front();
    if (comp == "..") {
      if (!dirs.empty()) dirs.pop_back();
      if (todo.empty()) todo.emplace_back(".");  // "/a/.." names the directory itself
      continue;
    }
    const bool last = todo.empty();
    UniqueFd fd(::openat(current_dir(), comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) {
      int err = errno;
      if (err == ENOENT || err == ENOTDIR)
        return make_error(Errc::not_found, shown + ": no such file or directory");
      return make_error(Errc::io, shown + ": " + errno_text(err));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return make_error(Errc::io, shown + ": " + errno_text(errno));

    if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
      if (++hops > kMaxSymlinkHops)
        return make_error(Errc::loop, shown + ": too many levels of symbolic links");
      auto target = readlink_fd(fd.get(), shown);
      if (!target) return std::move(target).error();
      if (target->empty()) return make_error(Errc::not_found, shown + ": empty symbolic link");
      if (target->front() == '/') dirs.clear();
      auto parts = components_of(*target);
      // A target of "." or "/" names a directory itself: nothing to walk
      // unless it was the last component (then "." stands for that directory).
      if (parts.empty() && todo.empty()) parts.emplace_back(".");
      todo.insert(todo.begin(), parts.begin(), parts.end());
      continue;
    }
    if (!last) {
      if (!S_ISDIR(st.st_mode)) return make_error(Errc::not_found, shown + ": no such file or directory");
      dirs.push_back(std::move(fd));
      continue;
    }
    Resolved r;
    if (comp == ".") {
      // The path named a directory itself ("/", "/etc/.."): its parent is not needed.
      r.name = ".";
    } else {
      r.name = comp;
    }
    r.parent.reset(::fcntl(current_dir(), F_DUPFD_CLOEXEC, 0));
    if (!r.parent.valid()) return make_error(Errc::io, shown + ": " + errno_text(errno));
    r.object = std::move(fd);
    r.st = st;
    return r;
  }
  return make_error(Errc::internal, shown + ": path resolution ended without a result");
}

}  // namespace

namespace {

// The object a path names, resolved by the kernel inside the root:
// openat2(2) with RESOLVE_IN_ROOT follows the rules resolve_in_root
// implements (absolute symlink targets restart at the root, ".." stops there,
// 40 links at most) in one call instead of two or three per component.
// RESOLVE_NO_MAGICLINKS keeps procfs links to the walk, which reads them as
// text. nullopt: take the walk (a kernel before 5.6, a seccomp filter that
// refuses the call, and every error but absence, which the walk names more
// precisely).
struct KernelResolved {
  UniqueFd fd;
  struct stat st {};
};

std::optional<Result<KernelResolved>> kernel_resolve(int root_fd, std::string_view path, bool follow_last,
                                                     const std::string& shown) {
  if (path.empty() || path.front() != '/' || path.find('\0') != std::string_view::npos) return std::nullopt;
  struct open_how how {};
  how.flags = static_cast<std::uint64_t>(O_PATH | O_CLOEXEC | (follow_last ? 0 : O_NOFOLLOW));
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string p(path);
  const long fd = ::syscall(SYS_openat2, root_fd, p.c_str(), &how, sizeof how);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return Result<KernelResolved>(make_error(Errc::not_found, shown + ": no such file or directory"));
    return std::nullopt;
  }
  KernelResolved r;
  r.fd.reset(static_cast<int>(fd));
  if (::fstat(r.fd.get(), &r.st) != 0) return std::nullopt;
  return Result<KernelResolved>(std::move(r));
}

}  // namespace

Result<FileStat> Host::stat(std::string_view path, bool follow_last) const {
  if (resolution_ == PathResolution::kernel) {
    if (auto k = kernel_resolve(root_fd_, path, follow_last, display_path(path))) {
      if (!*k) return std::move(*k).error();
      return to_file_stat((*k)->st);
    }
  }
  auto r = resolve_in_root(root_fd_, path, follow_last, display_path(path));
  if (!r) return std::move(r).error();
  return to_file_stat(r->st);
}

Result<std::string> Host::read_link(std::string_view path) const {
  const std::string shown = display_path(path);
  auto r = resolve_in_root(root_fd_, path, false, shown);
  if (!r) return std::move(r).error();
  if (!S_ISLNK(r->st.st_mode)) return make_error(Errc::invalid, shown + ": not a symbolic link");
  return readlink_fd(r->object.get(), shown);
}

namespace {

// A regular file opened for reading, proven to be the object resolution found.
struct OpenedFile {
  UniqueFd fd;
  struct stat st {};
};

Status check_regular(const struct stat& st, const ReadOptions& opts, const std::string& shown) {
  if (!S_ISREG(st.st_mode)) {
    return make_error(Errc::not_regular, shown + ": not a regular file (" +
                                             file_type_name(file_type_from_mode(st.st_mode)) + "), not read");
  }
  if (!opts.prefix_only && static_cast<std::uint64_t>(st.st_size) > opts.max_bytes) {
    return make_error(Errc::too_large, shown + ": " + std::to_string(st.st_size) +
                                           " bytes, over the read cap of " + std::to_string(opts.max_bytes));
  }
  return Status::success();
}

// The kernel-resolved object reopened for reading through its own O_PATH
// descriptor (/proc/self/fd/N names exactly that inode, so nothing can be
// swapped in between), only once it is known to be a regular file: a device
// node is never opened. nullopt: take the walk (no /proc in this namespace).
std::optional<Result<OpenedFile>> kernel_open_regular(int root_fd, std::string_view path,
                                                      const ReadOptions& opts, const std::string& shown) {
  auto k = kernel_resolve(root_fd, path, true, shown);
  if (!k) return std::nullopt;
  if (!*k) return Result<OpenedFile>(std::move(*k).error());
  if (Status s = check_regular((*k)->st, opts, shown); !s) return Result<OpenedFile>(s.error());
  const std::string self = "/proc/self/fd/" + std::to_string((*k)->fd.get());
  OpenedFile f;
  f.fd.reset(::open(self.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!f.fd.valid() || ::fstat(f.fd.get(), &f.st) != 0) return std::nullopt;
  if (f.st.st_dev != (*k)->st.st_dev || f.st.st_ino != (*k)->st.st_ino) return std::nullopt;
  return Result<OpenedFile>(std::move(f));
}

Result<OpenedFile> open_regular(int root_fd, PathResolution resolution, std::string_view path,
                                const ReadOptions& opts, const std::string& shown) {
  if (resolution == PathResolution::kernel) {
    if (auto k = kernel_open_regular(root_fd, path, opts, shown)) return std::move(*k);
  }
  auto r = resolve_in_root(root_fd, path, true, shown);
  if (!r) return std::move(r).error();
  if (Status s = check_regular(r->st, opts, shown); !s) return s.error();
  // Reopen for reading by name with O_NOFOLLOW, then prove it is the object
  // that was resolved (same device and inode): nothing was swapped in between.
  OpenedFile f;
  f.fd.reset(
      ::openat(r->parent.get(), r->name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!f.fd.valid()) {
    int err = errno;
    if (err == ENOENT) return make_error(Errc::not_found, shown + ": no such file or directory");
    return make_error(Errc::io, shown + ": " + errno_text(err));
  }
  if (::fstat(f.fd.get(), &f.st) != 0) return make_error(Errc::io, shown + ": " + errno_text(errno));
  if (f.st.st_dev != r->st.st_dev || f.st.st_ino != r->st.st_ino) {
    return make_error(Errc::io, shown + ": file changed while being opened");
  }
  return f;
}

// Reads f to its end through one buffer. The cap counts every byte read, not
// st_size: procfs files say 0, and a file may grow while it is read.
// With prefix_only, the first max_bytes bytes are the whole answer.
Status stream_file(const OpenedFile& f, std::size_t max_bytes, bool prefix_only, const std::string& shown,
                   const ChunkSink& sink) {
  // Sized for the file as it was opened (one more byte to see its end in one
  // read), so a small file does not cost a 256 KiB buffer.
  const auto expected = static_cast<std::size_t>(std::max<off_t>(f.st.st_size, 0));
  std::string buf(std::clamp<std::size_t>(expected + 1, 4096, kReadChunkSize), '\0');
  std::size_t total = 0;
  for (;;) {
    std::size_t want = buf.size();
    if (prefix_only) {
      want = std::min(want, max_bytes - total);
      if (want == 0) return Status::success();
    }
    ssize_t n = ::read(f.fd.get(), buf.data(), want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io, shown + ": read failed: " + errno_text(errno));
    }
    if (n == 0) return Status::success();
    const auto got = static_cast<std::size_t>(n);
    if (got > max_bytes - total) {
      return make_error(Errc::too_large,
                        shown + ": more than the read cap of " + std::to_string(max_bytes) + " bytes");
    }
    total += got;
    if (auto st = sink(std::string_view(buf.data(), got)); !st) return st;
  }
}

}  // namespace

Result<FileContent> Host::read_file(std::string_view path, const ReadOptions& opts) const {
  const std::string shown = display_path(path);
  auto f = open_regular(root_fd_, resolution_, path, opts, shown);
  if (!f) return std::move(f).error();
  FileContent out;
  out.path = std::string(path);
  // st_size of the reopened file was not checked against the cap: bound the reservation.
  if (f->st.st_size > 0) out.data.reserve(std::min(static_cast<std::size_t>(f->st.st_size), opts.max_bytes));
  auto st = stream_file(*f, opts.max_bytes, opts.prefix_only, shown, [&](std::string_view piece) {
    out.data.append(piece);
    return Status::success();
  });
  if (!st) return st.error();
  return out;
}

Status Host::read_chunks(std::string_view path, const ReadOptions& opts, const ChunkSink& sink) const {
  const std::string shown = display_path(path);
  auto f = open_regular(root_fd_, resolution_, path, opts, shown);
  if (!f) return std::move(f).error();
  return stream_file(*f, opts.max_bytes, opts.prefix_only, shown, sink);
}

Result<std::vector<DirEntry>> Host::list_dir(std::string_view path) const {
  const std::string shown = display_path(path);
  auto r = resolve_in_root(root_fd_, path, true, shown);
  if (!r) return std::move(r).error();
  if (!S_ISDIR(r->st.st_mode)) return make_error(Errc::invalid, shown + ": not a directory");
  int dfd = ::openat(r->parent.valid() ? r->parent.get() : root_fd_, r->name.c_str(),
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return make_error(Errc::io, shown + ": " + errno_text(errno));
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(dfd), &::closedir);
  if (!dir) {
    int err = errno;
    ::close(dfd);
    return make_error(Errc::io, shown + ": " + errno_text(err));
  }
  std::vector<DirEntry> out;
  // errno is reset before each readdir: only readdir's own failure counts.
  for (;;) {
    errno = 0;
    struct dirent* e = ::readdir(dir.get());
    if (e == nullptr) break;
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    if (out.size() >= kMaxDirEntries) {
      return make_error(Errc::too_large,
                        shown + ": more than " + std::to_string(kMaxDirEntries) + " entries");
    }
    DirEntry de;
    de.name = std::string(name);
    struct stat st {};
    if (::fstatat(::dirfd(dir.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
      de.type = file_type_from_mode(st.st_mode);
    out.push_back(std::move(de));
  }
  if (errno != 0) return make_error(Errc::io, shown + ": readdir: " + errno_text(errno));
  std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return out;
}

Result<std::vector<std::string>> Host::glob(std::string_view pattern, const GlobOptions& opts) const {
  if (pattern.empty() || pattern.front() != '/') {
    return make_error(Errc::invalid, "glob pattern must be absolute: '" + std::string(pattern) + "'");
  }
  // fnmatch() would stop at the NUL and match more than was asked.
  if (pattern.find('\0') != std::string_view::npos) {
    return make_error(Errc::invalid, "glob pattern contains a NUL byte");
  }
  std::vector<std::string> candidates{""};  // paths built so far ("" is the root)
  const auto comps = components_of(pattern);
  for (const auto& comp : comps) {
    std::vector<std::string> next;
    if (!has_glob_magic(comp)) {
      for (auto& c : candidates) next.push_back(c + "/" + comp);
    } else {
      for (const auto& c : candidates) {
        auto entries = list_dir(c.empty() ? "/" : c);
        if (!entries) {
          if (entries.is(Errc::not_found) || entries.is(Errc::invalid)) continue;  // glob(3) skips those
          return std::move(entries).error();
        }
        for (const auto& e : *entries) {
          if (::fnmatch(comp.c_str(), e.name.c_str(), FNM_PERIOD) == 0) next.push_back(c + "/" + e.name);
        }
        // Directory symlinks can multiply matches at every level (a/*/*/*...).
        if (next.size() > kMaxGlobMatches) {
          return make_error(Errc::too_large, "glob " + std::string(pattern) + ": more than " +
                                                 std::to_string(kMaxGlobMatches) + " matches");
        }
      }
    }
    candidates = std::move(next);
    if (candidates.empty()) break;
  }
  std::vector<std::string> out;
  for (auto& c : candidates) {
    if (c.empty()) c = "/";
    auto st = stat(c, !opts.keep_dangling_symlinks);
    if (st)
      out.push_back(std::move(c));
    else if (!st.is(Errc::not_found) && !st.is(Errc::loop))
      return std::move(st).error();
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace vigil::collectors
