// Running processes as procfs shows them under a host root: pure parsers of
// /proc/<pid>/{stat,status,cmdline} and /proc/stat, and the pid listing the
// `processes` and `listening_sockets` tables share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host.hpp"
#include "result.hpp"

namespace vigil::collectors {

// A process table bigger than this is cut (lowest pids kept) with a warning.
inline constexpr std::size_t kMaxProcesses = 100000;
// cmdline is cut at this many bytes (a Java class path can run to megabytes).
inline constexpr std::size_t kMaxCmdline = 4096;

// The fields of /proc/<pid>/stat used here (proc(5)). The command name sits
// between the first '(' and the *last* ')', since it may hold both and spaces;
// it is the same text as /proc/<pid>/comm (both proc_task_name(), unescaped).
struct ProcStat {
  std::string comm;
  char state = '?';
  std::int64_t ppid = 0;
  std::uint64_t flags = 0;      // PF_* bits
  std::uint64_t starttime = 0;  // clock ticks after boot
};
std::optional<ProcStat> parse_proc_stat(std::string_view text);

// PF_KTHREAD, field 9 of stat: documented kernel ABI and the test systemd's
// is_kernel_thread() uses; every other sign of a kernel thread is a guess.
inline constexpr std::uint64_t kPfKthread = 0x00200000;

// The fields of /proc/<pid>/status used here.
struct ProcStatus {
  std::optional<std::string> name;  // Name:, with the kernel's "\n" and "\\" escapes undone
  std::optional<char> state;        // State: "S (sleeping)" -> 'S'
  std::optional<std::int64_t> ppid;
  std::optional<std::int64_t> uid;  // real uid, the first of Uid:'s four
  std::optional<std::int64_t> euid;
  std::optional<bool> kthread;  // Kthread: (Linux 6.8 and later); nullopt when absent
};
ProcStatus parse_proc_status(std::string_view text);

// /proc/<pid>/cmdline: NUL-separated arguments joined with single spaces,
// trailing NULs dropped (a process that rewrote its title may pad with them),
// cut at max bytes.
struct Cmdline {
  std::string text;
  bool truncated = false;
};
Cmdline join_cmdline(std::string_view raw, std::size_t max = kMaxCmdline);

// "btime <seconds>" of /proc/stat: the boot time in seconds since the epoch.
std::optional<std::int64_t> parse_boot_time(std::string_view proc_stat);

// Whether a /proc entry name is a process: all decimal digits, no leading zero.
bool is_pid_name(std::string_view name) noexcept;

// The guess when neither stat's flags nor status Kthread: (newer kernels than
// Debian 12's 6.1) can be read. Every kernel thread but kthreadd
// (pid 2) is its child, has no command line and no exe link (ENOENT, where a
// user process's is readable or EACCES); all three are required, so pid 2
// of a container's pid namespace and its children are not taken for one.
bool looks_like_kernel_thread(std::int64_t pid, std::optional<std::int64_t> ppid, bool cmdline_empty,
                              bool exe_absent) noexcept;

// The pids under /proc of the host, in ascending order, at most max of them
// (the lowest; *cut is set when there were more). Errc::not_found when the
// root has no /proc directory.
Result<std::vector<std::int64_t>> list_pids(const Host& host, std::size_t max, bool* cut);

// A process's command name: /proc/<pid>/stat's, else /proc/<pid>/comm, else
// status Name:. nullopt when none can be read (it exited, or no such pid).
std::optional<std::string> process_comm(const Host& host, std::int64_t pid);

}  // namespace vigil::collectors
