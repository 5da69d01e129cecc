// Careful whole-file reads and atomic writes (see file_io.hpp).
#include "file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "strings.hpp"
#include "unique_fd.hpp"

namespace vigil {

namespace {

std::string sys_error(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

std::string parent_dir(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io, sys_error(path + ": write", errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::success();
}

// Moves tmp to path without replacing an existing file: renameat2 with
// RENAME_NOREPLACE, or link+unlink on filesystems that do not support it.
int rename_noreplace(const std::string& tmp, const std::string& path) {
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  if (::link(tmp.c_str(), path.c_str()) != 0) return -1;
  ::unlink(tmp.c_str());
  return 0;
}

}  // namespace

Result<std::string> read_file(const std::string& path, const ReadOptions& opts) {
  FileInfo info;
  return read_file(path, opts, info);
}

Result<std::string> read_file(const std::string& path, const ReadOptions& opts, FileInfo& info) {
  int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  if (!opts.follow_symlinks) flags |= O_NOFOLLOW;
  UniqueFd fd(::open(path.c_str(), flags));
  if (!fd.valid()) {
    const int err = errno;
    if (err == ENOENT) return make_error(Errc::not_found, path + ": no such file");
    if (err == ELOOP && !opts.follow_symlinks)
      return make_error(Errc::loop, path + ": is a symbolic link, refused");
    return make_error(Errc::io, sys_error(path, err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return make_error(Errc::io, sys_error(path + ": fstat", errno));
  if (!S_ISREG(st.st_mode)) return make_error(Errc::not_regular, path + ": not a regular file");
  info.mode = static_cast<unsigned>(st.st_mode & 07777);
  info.uid = static_cast<unsigned>(st.st_uid);
  if (static_cast<std::uint64_t>(st.st_size) > opts.max_bytes) {
    return make_error(Errc::too_large, path + ": " + std::to_string(st.st_size) + " bytes, over the cap of " +
                                           std::to_string(opts.max_bytes));
  }
  std::string out;
  out.reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io, sys_error(path + ": read", errno));
    }
    if (n == 0) break;
    // The file may grow after fstat: the cap holds for what is read.
    if (out.size() + static_cast<std::size_t>(n) > opts.max_bytes)
      return make_error(Errc::too_large,
                        path + ": over the cap of " + std::to_string(opts.max_bytes) + " bytes");
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string parent_directory(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return std::string(path.substr(0, slash == 0 ? 1 : slash));
}

Status adopt_directory_owner(int fd, const std::string& dir, const std::string& what) {
  if (::geteuid() != 0) return {};
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return make_error(Errc::io, sys_error(dir + ": stat", errno));
  if (st.st_uid == 0) return {};
  if (::fchown(fd, st.st_uid, st.st_gid) != 0)
    return make_error(Errc::io, sys_error(what + ": chown to the owner of " + dir, errno));
  return {};
}

Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode, Replace replace,
                         Owner owner) {
  static std::atomic<unsigned> counter{0};
  std::string tmp;
  UniqueFd fd;
  for (int attempt = 0; attempt < 100 && !fd.valid(); ++attempt) {
    tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    // The final mode from the first byte on: a secret is never readable by others.
    fd.reset(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    static_cast<mode_t>(mode & 0777u)));
    if (!fd.valid() && errno != EEXIST) return make_error(Errc::io, sys_error(tmp + ": create", errno));
  }
  if (!fd.valid()) return make_error(Errc::io, tmp + ": could not create a temporary file");
  auto fail = [&](Error e) -> Status {
    ::unlink(tmp.c_str());
    return e;
  };
  if (::fchmod(fd.get(), static_cast<mode_t>(mode & 07777u)) != 0)
    return fail(make_error(Errc::io, sys_error(tmp + ": fchmod " + mode_octal(mode), errno)));
  if (owner == Owner::directory) {
    if (Status s = adopt_directory_owner(fd.get(), parent_directory(path), tmp); !s.ok()) return fail(s.error());
  }
  if (Status s = write_all(fd.get(), data, tmp); !s.ok()) return fail(s.error());
  if (::fsync(fd.get()) != 0) return fail(make_error(Errc::io, sys_error(tmp + ": fsync", errno)));
  if (::close(fd.release()) != 0) return fail(make_error(Errc::io, sys_error(tmp + ": close", errno)));
  if (replace == Replace::refuse) {
    if (rename_noreplace(tmp, path) != 0) {
      const int err = errno;
      if (err == EEXIST) return fail(make_error(Errc::invalid, path + ": exists, not replaced"));
      return fail(make_error(Errc::io, sys_error(path + ": rename", err)));
    }
  } else if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(make_error(Errc::io, sys_error(path + ": rename", errno)));
  }
  // The rename is durable only once the directory is.
  const std::string dir = parent_dir(path);
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd.valid() || ::fsync(dfd.get()) != 0)
    return make_error(Errc::io, sys_error(dir + ": fsync of the directory", errno));
  return Status::success();
}

}  // namespace vigil
