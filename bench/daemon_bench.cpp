// Benchmark: the daemon. Starts the real `vigil run` on a root with one
// schedule (the built-in baseline, hourly, no splay, shipping off), lets it
// record its first scan, then watches it idle. Prints figures; asserts nothing.
//
//   vigil_daemon_bench [--idle-seconds N] [--root DIR]    (defaults: 60, /)
//
// The scan inside the daemon runs in a `vigil job` child of the loop: its
// wall time, CPU and peak RSS are the daemon's own scan-done log line (the
// loop has them from wait4). The loop itself: CPU from start to the scan's
// end and its peak RSS (VmHWM). Idle: over N seconds after the scan, the
// wake-ups (the context switches of all the loop's threads, which is every
// time any of them ran), CPU seconds, and RSS/PSS at the end.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A "Key:   123 kB" field of /proc/PID/status or smaps_rollup, in kB.
long field_kb(const std::string& text, const std::string& key) {
  const auto at = text.find(key + ":");
  if (at == std::string::npos) return -1;
  return std::strtol(text.c_str() + at + key.size() + 1, nullptr, 10);
}

// utime + stime of the whole process, in seconds.
double cpu_seconds(pid_t pid) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream in(stat.substr(close + 2));
  std::string f;
  std::vector<std::string> fields;
  while (in >> f) fields.push_back(f);
  // After ")": state(3) ... utime is field 14, stime 15 (1-based in proc(5)).
  if (fields.size() < 13) return -1;
  const double ticks = std::stod(fields[11]) + std::stod(fields[12]);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Context switches of every thread: each one is a time a thread woke or was preempted.
long switches(pid_t pid, int* threads) {
  long total = 0;
  int n = 0;
  std::error_code ec;
  for (const auto& t : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    const std::string s = read_text(t.path().string() + "/status");
    total += field_kb(s, "voluntary_ctxt_switches") + field_kb(s, "nonvoluntary_ctxt_switches");
    ++n;
  }
  if (threads != nullptr) *threads = n;
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  int idle_seconds = 60;
  std::string root = "/";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--idle-seconds" && i + 1 < argc) {
      idle_seconds = std::atoi(argv[++i]);
    } else if (a == "--root" && i + 1 < argc) {
      root = argv[++i];
    } else {
      std::fprintf(stderr, "usage: vigil_daemon_bench [--idle-seconds N] [--root DIR]\n");
      return 2;
    }
  }
  char tmpl[] = "/tmp/vigil-daemon-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  const std::string config = dir + "/vigil.yaml";
  std::ofstream(config) << "root: " << root << "\nstate_dir: " << dir
                        << "/state\nschedules:\n  - name: baseline\n    policies: [builtin:linux-baseline]\n"
                           "    interval_seconds: 3600\nstore:\n  ship: false\n";
  const std::string log = dir + "/daemon.log";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args{VIGIL_BINARY, "run", "--config", config};
  std::vector<char*> cargs;
  for (auto& s : args) cargs.push_back(s.data());
  cargs.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawn(&pid, args[0].c_str(), &fa, nullptr, cargs.data(), environ) != 0) {
    std::perror("posix_spawn");
    return 1;
  }
  posix_spawn_file_actions_destroy(&fa);

  // Wait for the first scan's log line (two minutes at most).
  std::string scan_line;
  for (int i = 0; i < 1200 && scan_line.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::string text = read_text(log);
    const auto at = text.find("event=scan-done");
    if (at != std::string::npos) scan_line = text.substr(at, text.find('\n', at) - at);
    if (text.find("event=start-failed") != std::string::npos || text.find("scan-not-recorded") != std::string::npos) {
      std::fprintf(stderr, "the daemon failed:\n%s", text.c_str());
      ::kill(pid, SIGTERM);
      return 1;
    }
  }
  if (scan_line.empty()) {
    std::fprintf(stderr, "no scan within two minutes:\n%s", read_text(log).c_str());
    ::kill(pid, SIGTERM);
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the state file written, the worker idle
  const std::string proc = "/proc/" + std::to_string(pid);
  const std::string status_after_scan = read_text(proc + "/status");
  const double cpu_scan = cpu_seconds(pid);
  auto logged = [&scan_line](const std::string& key) {
    const auto at = scan_line.find(key + "=");
    return at == std::string::npos ? -1L : std::strtol(scan_line.c_str() + at + key.size() + 1, nullptr, 10);
  };
  const long scan_wall = logged("wall_ms"), scan_cpu = logged("cpu_ms"), scan_rss = logged("max_rss_kb");

  int threads = 0;
  const long sw0 = switches(pid, &threads);
  const double cpu0 = cpu_seconds(pid);
  std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));
  const long sw1 = switches(pid, nullptr);
  const double cpu1 = cpu_seconds(pid);
  const std::string status_idle = read_text(proc + "/status");
  const std::string rollup = read_text(proc + "/smaps_rollup");

  ::kill(pid, SIGTERM);
  const auto stop_start = std::chrono::steady_clock::now();
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  const double stop_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - stop_start).count();

  std::printf("vigil run on root %s (built-in baseline, hourly; shipping off)\n", root.c_str());
  std::printf("  scan (its job process)   wall %ld ms, CPU %ld ms, peak RSS %ld kB\n", scan_wall, scan_cpu,
              scan_rss);
  std::printf("  the loop (vigild)        CPU from start to scan end %.3f s, peak RSS %ld kB\n", cpu_scan,
              field_kb(status_after_scan, "VmHWM"));
  std::printf("  idle %3d s               wake-ups %ld (context switches of %d threads), CPU %.3f s\n",
              idle_seconds, sw1 - sw0, threads, cpu1 - cpu0);
  std::printf("  idle memory              RSS %ld kB (anonymous %ld kB, file %ld kB), PSS %ld kB\n",
              field_kb(status_idle, "VmRSS"), field_kb(status_idle, "RssAnon"), field_kb(status_idle, "RssFile"),
              field_kb(rollup, "Pss"));
  std::printf("  SIGTERM to exit          %.0f ms, exit status %d\n", stop_ms,
              WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus));
  std::printf("  the schedule needs 0 wake-ups in %d s (next scan in an hour); the goal is RSS < 10 MB\n",
              idle_seconds);
  fs::remove_all(dir);
  return 0;
}
