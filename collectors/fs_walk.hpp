// The `fs_findings` table: one walk of the host's filesystem per scan that
// reports the entries the usual find(1) audits look for — world-writable
// files, world-writable directories without the sticky bit, files whose owner
// or group the host does not know, SUID and SGID programs — plus one
// `walk_summary` row saying how far the walk got. One traversal serves every
// check: policies filter on `kind`, and the engine collects a table at most
// once per scan.
//
// Semantics are those of `find START -xdev` with -P: symlinks are reported as
// themselves and never followed, and directories on another device than their
// start directory are reported but not entered. Every open below the host root
// uses O_NOFOLLOW, so the walk cannot leave the root.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector.hpp"
#include "host.hpp"
#include "mount_table.hpp"

namespace vigil::collectors {

// Caps: a walk that hits one stops, says so in a warning and in the summary
// row (type 'truncated'); it is never cut silently.
inline constexpr std::size_t kWalkMaxEntries = 2'000'000;
inline constexpr std::chrono::milliseconds kWalkTimeBudget{20'000};
// Directory levels below a start directory: each level holds one open
// descriptor, so this bounds the descriptors a walk uses.
inline constexpr std::size_t kWalkMaxDepth = 64;
// Rows are kept in memory until the scan ends; a host where everything is
// world-writable must not make the agent's memory grow without bound.
inline constexpr std::size_t kWalkMaxFindings = 100'000;

struct WalkOptions {
  std::vector<std::string> start_dirs{"/"};  // absolute host paths, walked in order
  std::size_t max_entries = kWalkMaxEntries;
  std::chrono::milliseconds time_budget = kWalkTimeBudget;
  std::size_t max_depth = kWalkMaxDepth;
  std::size_t max_findings = kWalkMaxFindings;
};

// Columns of fs_findings, in declaration order (for callers that read rows
// directly: the benchmark and tests).
enum FsFindingsColumn : std::size_t {
  kFsRoots,  // hidden: the argument fs_findings('["/"]')
  kFsKind,
  kFsPath,
  kFsType,
  kFsMode,
  kFsUid,
  kFsGid,
  kFsOwner,
  kFsGroupName,
  kFsSize,
  kFsMtime,
  kFsColumnCount
};

// Pseudo filesystems (proc, sysfs, cgroup, ...) hold no files an audit looks
// for, and network filesystems (nfs, cifs, ceph, sshfs, ...) are another
// host's files and can stall a walk for minutes: a start directory on either
// (fs_class pseudo or network) is not walked (a warning says so).
bool skipped_fstype(std::string_view fstype) noexcept;

// Start directories from the table's `roots` argument: a JSON array of
// absolute paths ('["/", "/home"]'); NULL or '' is the default ["/"].
Result<std::vector<std::string>> parse_walk_roots(std::string_view json_array);

// The finding kinds one entry produces, from its lstat type and mode and
// whether its uid/gid are in the host's passwd/group (pure; several kinds can
// apply to one entry, each becomes a row).
std::vector<const char*> fs_finding_kinds(FileType type, unsigned mode, bool uid_known, bool gid_known);

// Walks the host under opts and appends the findings (sorted by path, then
// kind) and the walk_summary row to rows. Problems inside the walk (an
// unreadable directory, a cap) are warnings and a summary type of
// 'incomplete' or 'truncated'; the returned Status fails only when the host
// root itself cannot be opened.
Status collect_fs_findings(CollectContext& ctx, std::vector<Row>& rows, const WalkOptions& opts);

}  // namespace vigil::collectors
