// Pure pieces of the `block_encryption` table (block_encryption.cpp): which
// storage stack sits beneath each mounted filesystem and active swap area, as
// the kernel's sysfs shows it (/sys/class/block/<name>/{dev,slaves/,dm/uuid,
// md/level,loop/backing_file,partition}), and whether a dm-crypt layer made by
// cryptsetup (dm uuid "CRYPT-<TYPE>-...", cryptsetup 2.6 lib/libdevmapper.c
// dm_prepare_uuid) is on every path down to the hardware.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::collectors {

inline constexpr std::string_view kProcSwapsPath = "/proc/swaps";
inline constexpr std::string_view kMountinfoPath = "/proc/self/mountinfo";
inline constexpr std::string_view kSysClassBlock = "/sys/class/block";

// Bounds of one walk down the stack of a device.
inline constexpr std::size_t kBlockMaxDepth = 16;   // layers below the top device
inline constexpr std::size_t kBlockMaxNodes = 64;   // devices visited for one row
inline constexpr std::size_t kBlockMaxScan = 4096;  // entries of /sys/class/block scanned by name

// One active swap area of /proc/swaps (the kernel's swap_show()).
struct SwapEntry {
  std::string filename;  // octal escapes undone; " (deleted)" removed
  std::string type;      // "partition" (a block device) or "file"
  bool deleted = false;  // the kernel marked the file " (deleted)"
  int line = 0;
};
struct SwapTable {
  std::vector<SwapEntry> entries;
  std::vector<std::pair<int, std::string>> issues;  // line, message
};
// Skips the "Filename Type Size Used Priority" header; a line with fewer than
// five fields is an issue.
SwapTable parse_proc_swaps(std::string_view text);

// What the dm uuid of a device-mapper node says about its layer.
struct DmLayer {
  std::string kind;                       // crypt, lvm, multipath, dm-partition, dmraid, or dm (unknown)
  std::string label;                      // shown in the chain: CRYPT-LUKS2, LVM, mpath, part1, dm
  std::optional<std::string> crypt_type;  // LUKS1, LUKS2, PLAIN... for CRYPT- uuids
  bool encrypting = false;                // a cryptsetup type that encrypts data
  bool known = false;                     // a layer whose function is known (never a hidden crypt target)
};
// "CRYPT-LUKS2-<uuid>-<name>": encrypting for LUKS1, LUKS2, PLAIN, LOOPAES,
// TCRYPT, BITLK and FVAULT2; CRYPT-VERITY, CRYPT-INTEGRITY and CRYPT-SUBDEV
// (integrity under a LUKS2 device) are known layers that do not encrypt;
// "LVM-" an LVM volume, "mpath-" multipath, "part<N>-" a kpartx partition,
// "DMRAID-" dmraid. Anything else (or an empty uuid, a table loaded with
// dmsetup) is not known: its target type is not visible in sysfs.
DmLayer classify_dm_uuid(std::string_view uuid);

// The major:minor of each mount point in /proc/self/mountinfo (the last line
// of a mount point wins); used when a mount's source names no device
// (/dev/root). Mount points are unescaped.
std::vector<std::pair<std::string, std::string>> parse_mountinfo_devices(std::string_view text);

// The last component of a path ("../../devices/.../block/sda/sda5" -> "sda5").
std::string last_component(std::string_view path);
// A symlink's target joined to the directory of the link, "." and ".."
// folded: what the link names, as a path inside the host.
std::string join_link(std::string_view link, std::string_view target);

// A /sys/class/block entry name: non-empty, no '/', not "." or "..".
bool block_name_valid(std::string_view name) noexcept;

}  // namespace vigil::collectors
