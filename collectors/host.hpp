// Host: the only way collectors read the machine they describe.
//
// Every path a collector names ("/etc/ssh/sshd_config") is resolved under a
// root prefix ("/" in production, a fixture tree in tests, a mounted image).
// Resolution walks one component at a time with O_PATH|O_NOFOLLOW file
// descriptors, so symlinks are followed *inside* the root (an absolute target
// restarts at the root, ".." stops at the root, like openat2 RESOLVE_IN_ROOT)
// and can never lead outside it, and nothing can be swapped between the check
// and the read. Reads are size-capped and, unless asked, only regular files are
// read (so /dev/zero or a fifo in an include directory cannot hang a scan).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chunk_sink.hpp"
#include "result.hpp"

namespace vigil::collectors {

inline constexpr std::size_t kDefaultReadCap = 16u * 1024u * 1024u;  // 16 MiB
// The largest piece read_chunks hands to its sink (and its buffer's size).
inline constexpr std::size_t kReadChunkSize = 256u * 1024u;  // 256 KiB

enum class FileType { regular, directory, symlink, char_device, block_device, fifo, socket, unknown };
const char* file_type_name(FileType t) noexcept;
// The type bits of a stat(2) st_mode.
FileType file_type_from_mode(unsigned st_mode) noexcept;

struct FileStat {
  FileType type = FileType::unknown;
  unsigned mode = 0;  // permission + special bits (07777)
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t size = 0;
  std::int64_t mtime = 0;  // seconds since the epoch
  std::uint64_t inode = 0;
  std::uint64_t device = 0;
  std::uint64_t nlink = 0;
};

struct FileContent {
  std::string path;  // the path as asked, inside the host ("/etc/passwd")
  std::string data;
};

struct DirEntry {
  std::string name;
  FileType type = FileType::unknown;  // lstat type of the entry
};

// Only regular files are ever read: procfs and sysfs entries are regular
// files too, and a device node inside a foreign root (an image, a container)
// would name a device of the scanning machine (/dev/mem, a watchdog).
struct ReadOptions {
  std::size_t max_bytes = kDefaultReadCap;  // the whole file's, not a chunk's
  // Read only the first max_bytes bytes (a file's header) and return them,
  // however large the file: an explicit prefix, not a silent truncation.
  bool prefix_only = false;
};

inline constexpr std::size_t kMaxGlobMatches = 10000;

struct GlobOptions {
  // glob(3) lists a symlink whatever its target, since it only lstat()s. By
  // default a match whose target is missing, loops or lies outside the root
  // is dropped, because callers read the matches; a table of modes and
  // owners keeps it (true) so the link itself is reported.
  bool keep_dangling_symlinks = false;
};

// How a path is resolved inside the root. kernel: openat2(2) with
// RESOLVE_IN_ROOT, one system call with the same rules as the walk, falling
// back to the walk where the kernel refuses it or reports less precisely.
// walk: one component at a time in user space (tests run both).
enum class PathResolution { kernel, walk };

class Host {
 public:
  // root must name an existing directory; "/" for the running system.
  static Result<Host> open(const std::string& root, PathResolution resolution = PathResolution::kernel);

  Host(Host&&) noexcept;
  Host& operator=(Host&&) noexcept;
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;
  ~Host();

  const std::string& root() const noexcept { return root_; }
  bool is_live_root() const noexcept { return root_ == "/"; }

  // Whole file, following symlinks inside the root. Errc::not_found when the
  // file (or a directory on the way) does not exist: callers treat that as a
  // fact ("absent"). Errc::too_large when over the cap: never silently cut.
  Result<FileContent> read_file(std::string_view path, const ReadOptions& opts = {}) const;

  // The same file, with the same resolution, checks and errors as read_file,
  // handed to sink in order in non-empty pieces of at most kReadChunkSize
  // bytes, so a large file costs one buffer, not its size. Over the cap is
  // Errc::too_large before the piece that would pass it reaches the sink, so
  // the sink never sees more than opts.max_bytes in all. On any error what
  // the sink saw is a prefix of the file and must be discarded.
  [[nodiscard]] Status read_chunks(std::string_view path, const ReadOptions& opts,
                                   const ChunkSink& sink) const;

  // lstat semantics for the last component (follow_last=false) or stat
  // semantics (true); symlinks in the middle are always followed inside root.
  Result<FileStat> stat(std::string_view path, bool follow_last = false) const;

  // Target of a symlink as written in the link.
  Result<std::string> read_link(std::string_view path) const;

  // Entries of a directory, sorted by name, without "." and "..".
  Result<std::vector<DirEntry>> list_dir(std::string_view path) const;

  // Shell-style glob as glob(3) does it (sorted, '*' does not match a leading
  // '.', no match is an empty list, not an error). pattern must be absolute.
  // Unlike glob(3), '.*' never matches '.' or '..' (list_dir has neither), and
  // dangling symlinks are dropped unless opts keeps them. More than
  // kMaxGlobMatches candidates at any step is Errc::too_large; a NUL byte in
  // the pattern is Errc::invalid.
  Result<std::vector<std::string>> glob(std::string_view pattern, const GlobOptions& opts = {}) const;

  // The path on the scanning machine for a host path, for messages only.
  std::string display_path(std::string_view path) const;

 private:
  Host(std::string root, int root_fd, PathResolution resolution)
      : root_(std::move(root)), root_fd_(root_fd), resolution_(resolution) {}
  std::string root_;
  int root_fd_ = -1;
  PathResolution resolution_ = PathResolution::kernel;
};

// Joins a path relative to base ("/etc/ssh") unless it is already absolute.
std::string resolve_relative(std::string_view base_dir, std::string_view path);

}  // namespace vigil::collectors
