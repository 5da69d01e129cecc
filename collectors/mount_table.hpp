// The one reader of mount tables: /proc/mounts (the kernel's view, through the
// host's /proc/self/mounts) and /etc/fstab share the fstab(5) line format, read
// here as util-linux 2.38 libmount reads it (tab_parse.c mnt_parse_table_line:
// source, target and type required, options, freq and passno optional, fields
// unmangled from \ooo octal escapes). Used by `fs_findings` (which filesystem
// a start directory is on), `mounts` and `block_encryption`. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host.hpp"
#include "result.hpp"

namespace vigil::collectors {

// A symlink to self/mounts on a live host (Host follows it inside the root):
// the mount namespace of the scanning process.
inline constexpr std::string_view kProcMountsPath = "/proc/mounts";
inline constexpr std::string_view kFstabPath = "/etc/fstab";
// PID 1's mount table: the host's, also when the agent runs in a mount
// namespace of its own (vigil.service: ProtectSystem=strict, PrivateTmp=,
// PrivateDevices= give it a read-only /, a private /tmp and /dev).
inline constexpr std::string_view kInitMountsPath = "/proc/1/mounts";

// The host's live mount table: /proc/1/mounts when the root has it, else
// /proc/mounts (fixture trees, images); `path` says which was read.
Result<FileContent> read_live_mounts(const Host& host, std::string& path);
// /proc/mounts of a host with thousands of container mounts stays far below this.
inline constexpr std::size_t kMountTableCap = 4u * 1024u * 1024u;

struct MountEntry {
  std::string source;                  // fs_spec: /dev/sda1, UUID=..., tmpfs, srv:/export
  std::string mount_point;             // fs_file (unescaped: "\040" is a space)
  std::string fstype;                  // fs_vfstype
  std::optional<std::string> options;  // fs_mntops; nullopt when the field is missing (fstab: "defaults")
  int freq = 0;                        // fs_freq (0 when missing)
  int passno = 0;                      // fs_passno (0 when missing)
  int line = 0;                        // 1-based line in the file
};

struct MountTableIssue {
  int line = 0;
  std::string message;
};

struct MountTable {
  std::vector<MountEntry> entries;  // in file order (the kernel lists mounts in mount order)
  std::vector<MountTableIssue> issues;
};

// The kernel writes ' ', '\t', '\n' and '\\' in mount fields as octal escapes
// (\040); libmount undoes any backslash followed by three octal digits.
std::string unescape_mount_field(std::string_view field);

// Lines as libmount reads them: blank lines and lines whose first non-blank
// character is '#' are skipped, a trailing '\r' is dropped, fields are
// separated by blanks. Fewer than three fields, or a freq/passno that is not a
// number, is an issue and the line is skipped (mount(8) says "parse error ...
// ignored").
MountTable parse_mount_table(std::string_view text);

// The entry that holds path: the last line of the longest mount point that
// contains it, as the kernel resolves over-mounts ("/a/b" is inside "/a" and
// "/", not "/ab"); nullptr when no line covers it.
const MountEntry* mount_for_path(const std::vector<MountEntry>& entries, std::string_view path);

// The fstype of mount_for_path over the text of a /proc/mounts.
std::optional<std::string> mount_fstype(std::string_view mounts, std::string_view path);

// --- filesystem classes ------------------------------------------------------

enum class FsClass {
  block,    // backed by a block device (ext4, xfs, vfat, btrfs...)
  pseudo,   // kernel interfaces without storage: proc, sysfs, cgroup, devpts...
  memory,   // RAM-backed: tmpfs, ramfs, devtmpfs (their pages may reach swap)
  network,  // another host's storage: nfs, cifs, ceph, sshfs...
  overlay,  // stacked on directories of other filesystems (overlay, aufs)
  zfs,      // a ZFS dataset: the pool's devices are not named by the source
  fuse,     // a FUSE filesystem that is neither pseudo nor network (storage unknown)
  stacked,  // ecryptfs: file-level encryption over a directory of another filesystem
};
FsClass fs_class(std::string_view fstype) noexcept;
const char* fs_class_name(FsClass c) noexcept;

// --- mount options -----------------------------------------------------------

// The options as mount(8) and the kernel apply them, left to right, a later
// option overriding an earlier one: defaults = rw,suid,dev,exec,auto,nouser,
// async; user and users imply noexec,nosuid,nodev and owner and group imply
// nosuid,nodev (mount(8): "unless overridden by subsequent options").
struct MountFlags {
  bool nodev = false;
  bool nosuid = false;
  bool noexec = false;
  bool ro = false;
  bool noauto = false;
};
MountFlags mount_option_flags(std::string_view options);

// The list split at commas outside double quotes (context="a,b" is one option).
std::vector<std::string> split_mount_options(std::string_view options);

// "defaults" replaced by what it stands for; other options kept as written.
std::string expand_mount_defaults(std::string_view options);

}  // namespace vigil::collectors
