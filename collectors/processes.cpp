// The `processes` table: every process procfs lists under the host root, read
// from /proc/<pid>/{stat,status,cmdline,exe} the way ps(1) (procps 4.0.2)
// reads them, but through Host and without running ps. A process that exits
// while it is read is skipped silently: the table is a snapshot, and one
// taken a moment later would not have it either.
#include "processes.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "collector.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

constexpr std::size_t kProcFileCap = 64u * 1024u;            // stat and status are a few hundred bytes
constexpr std::size_t kCmdlineReadCap = 4u * 1024u * 1024u;  // the whole argument area, cut afterwards

template <class T>
std::optional<T> to_number(std::string_view s) {
  T v{};
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Undoes the escaping of status Name: (seq_escape with "\n\\": "\n" -> "\\n", "\\" -> "\\\\").
std::string unescape_name(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 'n' || s[i + 1] == '\\')) {
      out.push_back(s[i + 1] == 'n' ? '\n' : '\\');
      ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string pid_dir(std::int64_t pid) {
  return "/proc/" + std::to_string(pid);
}

std::optional<std::string> read_comm(const Host& host, const std::string& dir) {
  auto c = host.read_file(dir + "/comm", ReadOptions{.max_bytes = kProcFileCap});
  if (!c) return std::nullopt;
  std::string_view v = c->data;
  if (!v.empty() && v.back() == '\n') v.remove_suffix(1);
  return std::string(v);
}

struct Counts {
  std::size_t rows = 0;
  std::size_t exe_unreadable = 0;
  std::size_t cmdline_unreadable = 0;
  std::size_t status_unreadable = 0;
};

Status collect_processes(CollectContext& ctx, std::vector<Row>& rows) {
  const Host& host = ctx.host();
  bool cut = false;
  auto pids = list_pids(host, kMaxProcesses, &cut);
  if (pids.is(Errc::not_found)) {
    return make_error(Errc::not_found, "no /proc under the host root: the running processes are unknown");
  }
  if (!pids) return make_error(pids.error().code, "/proc: " + pids.error().message);
  if (pids->empty()) {
    return make_error(Errc::not_found,
                      "/proc lists no process (not a mounted procfs): the running processes are unknown");
  }
  if (cut) {
    ctx.warn("/proc", "more than " + std::to_string(kMaxProcesses) + " processes: only the " +
                          std::to_string(kMaxProcesses) + " lowest pids are listed");
  }

  std::optional<std::int64_t> boot_time;
  if (auto st = host.read_file("/proc/stat", ReadOptions{.max_bytes = kDefaultReadCap})) {
    boot_time = parse_boot_time(st->data);
  }
  const long ticks = ::sysconf(_SC_CLK_TCK);  // USER_HZ, the unit of stat's starttime

  Counts n;
  for (const std::int64_t pid : *pids) {
    const std::string dir = pid_dir(pid);
    auto stat_text = host.read_file(dir + "/stat", ReadOptions{.max_bytes = kProcFileCap});
    auto status_text = host.read_file(dir + "/status", ReadOptions{.max_bytes = kProcFileCap});
    auto cmdline_raw = host.read_file(dir + "/cmdline", ReadOptions{.max_bytes = kCmdlineReadCap});
    auto exe = host.read_link(dir + "/exe");
    // Gone while being read (ENOENT, ESRCH): not a process of this snapshot.
    if ((!stat_text || !status_text || !cmdline_raw) && host.stat(dir).is(Errc::not_found)) continue;

    std::optional<ProcStat> stat;
    if (stat_text) stat = parse_proc_stat(stat_text->data);
    ProcStatus status;
    if (status_text)
      status = parse_proc_status(status_text->data);
    else
      ++n.status_unreadable;

    // stat's name is comm's: a separate read of comm only without stat.
    std::optional<std::string> comm = stat ? std::optional<std::string>(stat->comm) : read_comm(host, dir);
    if (!comm) comm = status.name;

    std::optional<Cmdline> cmdline;
    if (cmdline_raw)
      cmdline = join_cmdline(cmdline_raw->data);
    else
      ++n.cmdline_unreadable;

    const std::optional<char> state = stat ? std::optional<char>(stat->state) : status.state;
    const std::optional<std::int64_t> ppid = stat ? std::optional<std::int64_t>(stat->ppid) : status.ppid;
    bool kthread = false;
    if (stat) {
      kthread = (stat->flags & kPfKthread) != 0;
    } else if (status.kthread) {
      kthread = *status.kthread;
    } else {
      kthread =
          looks_like_kernel_thread(pid, ppid, cmdline && cmdline->text.empty(), exe.is(Errc::not_found));
    }

    std::optional<std::string> exe_path;
    if (exe) {
      exe_path = std::move(*exe);
    } else if (!exe.is(Errc::not_found) && !exe.is(Errc::invalid) && !kthread) {
      ++n.exe_unreadable;  // EACCES: another user's process without CAP_SYS_PTRACE
    }

    Value start = null_value();
    if (stat && boot_time && ticks > 0) {
      start = int_value(*boot_time +
                        static_cast<std::int64_t>(stat->starttime / static_cast<std::uint64_t>(ticks)));
    }
    auto opt_int = [](const std::optional<std::int64_t>& v) { return v ? int_value(*v) : null_value(); };
    rows.push_back(Row{
        int_value(pid),
        opt_int(ppid),
        comm ? text_value(sanitize_utf8(*comm)) : null_value(),
        exe_path ? text_value(sanitize_utf8(*exe_path)) : null_value(),
        cmdline ? text_value(sanitize_utf8(cmdline->text)) : null_value(),
        cmdline ? bool_value(cmdline->truncated) : null_value(),
        opt_int(status.uid),
        opt_int(status.euid),
        state ? text_value(std::string(1, *state)) : null_value(),
        start,
        bool_value(kthread),
        text_value(dir),
    });
    ++n.rows;
  }
  auto of = [&n](std::size_t k) {
    return std::to_string(k) + " of " + std::to_string(n.rows) + " processes";
  };
  if (n.exe_unreadable > 0) {
    ctx.warn("/proc/<pid>/exe",
             "not readable for " + of(n.exe_unreadable) +
                 " (another user's process needs CAP_SYS_PTRACE or the same uid): exe is NULL for them");
  }
  if (n.cmdline_unreadable > 0) {
    ctx.warn("/proc/<pid>/cmdline",
             "not readable for " + of(n.cmdline_unreadable) + ": cmdline is NULL for them");
  }
  if (n.status_unreadable > 0) {
    ctx.warn("/proc/<pid>/status",
             "not readable for " + of(n.status_unreadable) + ": uid and euid are NULL for them");
  }
  if (!boot_time) ctx.warn("/proc/stat", "no btime line readable: start_time is NULL");
  return Status::success();
}

using T = ColumnType;

TableDef processes_table() {
  TableDef def{
      "processes",
      "Every process in /proc of the host root (one row per process, not per thread), read from "
      "/proc/<pid>/stat, status, cmdline and exe without running ps. For the live root this is the pid "
      "namespace "
      "of the /proc the agent sees. A process that exits while it is read is left out. No /proc, or a /proc "
      "with "
      "no process in it (an image), is an error: what runs there is unknown.",
      {
          {"pid", T::integer, "process id"},
          {"ppid", T::integer, "parent process id (0 for init and kthreadd); NULL when unreadable"},
          {"comm", T::text,
           "command name as the kernel keeps it (at most 15 bytes for user processes: 'sshd', 'clamd', "
           "'chronyd'; kernel threads may have longer names like 'kworker/0:1-events')"},
          {"exe", T::text,
           "target of /proc/<pid>/exe: the program file ('/usr/sbin/sshd'; ' (deleted)' appended when it was "
           "replaced or removed since it started). NULL for kernel threads and zombies, and when not "
           "readable "
           "(another user's process without CAP_SYS_PTRACE: a warning counts them)"},
          {"cmdline", T::text,
           "arguments joined with spaces, cut at 4096 bytes; '' for kernel threads and zombies; NULL when "
           "not "
           "readable"},
          {"cmdline_truncated", T::integer, "1 when cmdline was cut at 4096 bytes"},
          {"uid", T::integer, "real uid (first field of Uid: in status); NULL when status is unreadable"},
          {"euid", T::integer, "effective uid (second field of Uid:)"},
          {"state", T::text,
           "one letter as ps shows it: R running, S sleeping, D disk wait, Z zombie, T stopped, "
           "t traced, I idle kernel thread, X dead"},
          {"start_time", T::integer,
           "when the process started, seconds since the epoch (boot time from /proc/stat plus stat's "
           "starttime); "
           "NULL when either is unknown"},
          {"kernel_thread", T::integer,
           "1 for a kernel thread: PF_KTHREAD in stat's flags (kernel ABI); without a readable stat, status "
           "Kthread: where the kernel has it, else a guess (pid 2 or a child of it, no command line, no exe "
           "link). Such rows have no exe and an empty cmdline"},
          {"source", T::text, "the /proc/<pid> directory read"},
      },
      collect_processes,
  };
  def.heavy = true;
  return def;
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  ProcStat out;
  out.comm = std::string(text.substr(open + 1, close - open - 1));
  const auto fields = split_ws(trim(text.substr(close + 1)));
  // state(3) ppid(4) pgrp session tty_nr tpgid flags(9) ... starttime(22)
  if (fields.size() < 20 || fields[0].size() != 1) return std::nullopt;
  out.state = fields[0][0];
  auto ppid = to_number<std::int64_t>(fields[1]);
  auto flags = to_number<std::uint64_t>(fields[6]);
  auto start = to_number<std::uint64_t>(fields[19]);
  if (!ppid || !flags || !start) return std::nullopt;
  out.ppid = *ppid;
  out.flags = *flags;
  out.starttime = *start;
  return out;
}

ProcStatus parse_proc_status(std::string_view text) {
  ProcStatus out;
  for (std::string_view line : split_lines(text)) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == '\t' || value.front() == ' ')) value.remove_prefix(1);
    if (key == "Name") {
      out.name = unescape_name(value);
    } else if (key == "State") {
      if (!value.empty()) out.state = value.front();
    } else if (key == "PPid") {
      out.ppid = to_number<std::int64_t>(trim(value));
    } else if (key == "Uid") {
      const auto ids = split_ws(value);
      if (ids.size() >= 2) {
        out.uid = to_number<std::int64_t>(ids[0]);
        out.euid = to_number<std::int64_t>(ids[1]);
      }
    } else if (key == "Kthread") {
      const auto v = trim(value);
      if (v == "0" || v == "1") out.kthread = v == "1";
    }
  }
  return out;
}

Cmdline join_cmdline(std::string_view raw, std::size_t max) {
  while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  Cmdline out;
  if (raw.size() > max) {
    raw = raw.substr(0, max);
    out.truncated = true;
  }
  out.text = std::string(raw);
  std::replace(out.text.begin(), out.text.end(), '\0', ' ');
  return out;
}

std::optional<std::int64_t> parse_boot_time(std::string_view proc_stat) {
  for (std::string_view line : split_lines(proc_stat)) {
    if (line.substr(0, 6) != "btime ") continue;
    return to_number<std::int64_t>(trim(line.substr(6)));
  }
  return std::nullopt;
}

bool looks_like_kernel_thread(std::int64_t pid, std::optional<std::int64_t> ppid, bool cmdline_empty,
                              bool exe_absent) noexcept {
  return cmdline_empty && exe_absent && (pid == 2 || ppid == 2);
}

bool is_pid_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 10 || name.front() == '0') return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<std::vector<std::int64_t>> list_pids(const Host& host, std::size_t max, bool* cut) {
  auto entries = host.list_dir("/proc");
  if (!entries) return std::move(entries).error();
  std::vector<std::int64_t> pids;
  for (const auto& e : *entries) {
    if (e.type != FileType::directory || !is_pid_name(e.name)) continue;
    if (auto pid = to_number<std::int64_t>(e.name)) pids.push_back(*pid);
  }
  std::sort(pids.begin(), pids.end());
  if (cut != nullptr) *cut = pids.size() > max;
  if (pids.size() > max) pids.resize(max);
  return pids;
}

std::optional<std::string> process_comm(const Host& host, std::int64_t pid) {
  const std::string dir = pid_dir(pid);
  if (auto s = host.read_file(dir + "/stat", ReadOptions{.max_bytes = kProcFileCap})) {
    if (auto st = parse_proc_stat(s->data)) return st->comm;
  }
  if (auto c = read_comm(host, dir)) return c;
  if (auto s = host.read_file(dir + "/status", ReadOptions{.max_bytes = kProcFileCap})) {
    return parse_proc_status(s->data).name;
  }
  return std::nullopt;
}

VIGIL_REGISTER_TABLE(processes_table());

}  // namespace vigil::collectors
