// Reading and writing whole files the careful way: reads are size-capped and
// refuse anything but a regular file; writes go to a new temporary file in
// the same directory (O_CREAT|O_EXCL|O_NOFOLLOW with the final mode from the
// start), are fsynced and renamed into place, so a reader sees the old file
// or the new one, never a part, and a secret is never readable by others.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "result.hpp"

namespace vigil {

struct ReadOptions {
  std::size_t max_bytes = 16u * 1024u * 1024u;
  bool follow_symlinks = true;  // false: a symlink as the last component is refused
};

// Errc::not_found, not_regular, too_large, loop (a refused symlink) or io;
// messages name the path.
Result<std::string> read_file(const std::string& path, const ReadOptions& opts = {});

// What fstat said about the file that was read (the opened file, not a name).
struct FileInfo {
  unsigned mode = 0;  // permission and special bits
  unsigned uid = 0;
};
Result<std::string> read_file(const std::string& path, const ReadOptions& opts, FileInfo& info);

// The directory part of a path as dirname(1) has it for the paths Vigil
// writes: "/a/b" -> "/a", "/b" -> "/", "b" -> ".".
std::string parent_directory(std::string_view path);

enum class Replace { allow, refuse };

// Who owns a file written by root. The agent's state directory belongs to
// its service user: a file root writes there (an admin's `vigil scan` or
// `vigil enroll`) must belong to that user too, or the daemon can no longer
// read its own key or open its cache.
enum class Owner { process, directory };
// When running as root and dir's owner is not root: give fd to dir's owner
// and group. Otherwise nothing.
Status adopt_directory_owner(int fd, const std::string& dir, const std::string& what);

// Writes data to path atomically with the given mode (applied with fchmod,
// so the umask cannot widen or narrow it). Replace::refuse fails with
// Errc::invalid when path exists (checked atomically by the rename itself).
Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode,
                         Replace replace = Replace::allow, Owner owner = Owner::process);

}  // namespace vigil
