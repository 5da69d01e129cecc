// Benchmark: the fs_findings walk against find(1) on the same live tree.
// Prints figures; asserts nothing.
//
//   vigil_fs_walk_bench [--iterations N] [START]      (default: 5 iterations, START "/")
//
// Three timings, each the median and minimum over N runs after one untimed
// warm-up run of each (so all of them see a warm dentry/inode cache):
//  - the in-process walk (all five kinds, with the default caps);
//  - `find START -xdev -perm -0002 -type f`, the yardstick;
//  - find doing the walk's whole job in one pass: world-writable non-symlinks,
//    world-writable directories without the sticky bit, SUID/SGID files,
//    -nouser, -nogroup (it prints the same paths as the walk's findings).
// find runs by posix_spawn with no shell, stdout counted, stderr discarded.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "collector.hpp"
#include "fs_walk.hpp"
#include "host.hpp"
#include "unique_fd.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
namespace vc = vigil::collectors;

struct Stats {
  double median = 0, min = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front()};
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct WalkFigures {
  double ms = 0;
  std::size_t entries = 0, ww_regular = 0, rows = 0;
  std::string summary;
  std::size_t warnings = 0;
};

bool run_walk(const std::string& start, WalkFigures& out) {
  const auto t0 = Clock::now();
  auto host = vc::Host::open("/");
  if (!host) {
    std::fprintf(stderr, "/: %s\n", host.error().message.c_str());
    return false;
  }
  std::vector<vc::Warning> warnings;
  std::vector<vc::Row> rows;
  vc::CollectContext ctx(*host, {}, warnings, "fs_findings");
  vc::WalkOptions opts;
  opts.start_dirs = {start};
  if (auto st = vc::collect_fs_findings(ctx, rows, opts); !st) {
    std::fprintf(stderr, "walk: %s\n", st.error().message.c_str());
    return false;
  }
  out.ms = ms_since(t0);
  out.rows = rows.size();
  out.warnings = warnings.size();
  out.ww_regular = 0;
  for (const auto& r : rows) {
    const auto& kind = std::get<std::string>(r[vc::kFsKind]);
    const auto& type = std::get<std::string>(r[vc::kFsType]);
    if (kind == "walk_summary") {
      out.entries = static_cast<std::size_t>(std::get<std::int64_t>(r[vc::kFsSize]));
      out.summary = type;
    } else if (kind == "world_writable_file" && type == "regular") {
      ++out.ww_regular;
    }
  }
  return true;
}

// posix_spawn's file actions, destroyed on every path.
class FileActions {
 public:
  FileActions() { ok_ = ::posix_spawn_file_actions_init(&fa_) == 0; }
  ~FileActions() {
    if (ok_) ::posix_spawn_file_actions_destroy(&fa_);
  }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  bool ok() const noexcept { return ok_; }
  posix_spawn_file_actions_t* get() noexcept { return &fa_; }

 private:
  posix_spawn_file_actions_t fa_{};
  bool ok_ = false;
};

// Runs find with args; counts output lines. Returns false if it could not run.
bool run_find(const std::vector<std::string>& args, double& ms, std::size_t& lines) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  vigil::UniqueFd rd(fds[0]), wr(fds[1]);
  FileActions fa;
  if (!fa.ok() || ::posix_spawn_file_actions_adddup2(fa.get(), wr.get(), 1) != 0 ||
      ::posix_spawn_file_actions_addopen(fa.get(), 0, "/dev/null", O_RDONLY, 0) != 0 ||
      ::posix_spawn_file_actions_addopen(fa.get(), 2, "/dev/null", O_WRONLY, 0) != 0) {
    return false;
  }
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  char lc_all[] = "LC_ALL=C";
  char* envp[] = {lc_all, nullptr};
  const auto t0 = Clock::now();
  pid_t pid = 0;
  if (::posix_spawn(&pid, args[0].c_str(), fa.get(), nullptr, argv.data(), envp) != 0) return false;
  wr.reset();
  lines = 0;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    lines += static_cast<std::size_t>(std::count(buf, buf + n, '\n'));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ms = ms_since(t0);
  return true;
}

void bench_find(const char* label, const std::vector<std::string>& args, int iterations) {
  double ms = 0;
  std::size_t lines = 0;
  std::vector<double> wall;
  if (!run_find(args, ms, lines)) {  // warm-up
    std::fprintf(stderr, "%s: cannot run: %s\n", args[0].c_str(), std::strerror(errno));
    return;
  }
  for (int i = 0; i < iterations; ++i) {
    if (!run_find(args, ms, lines)) return;
    wall.push_back(ms);
  }
  const auto s = stats(wall);
  std::printf("  %-44s wall median %8.1f ms  min %8.1f ms  lines %zu\n", label, s.median, s.min, lines);
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 5;
  std::string start = "/";
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--iterations" && i + 1 < argc) {
      iterations = std::max(1, std::atoi(argv[++i]));
    } else if (!a.empty() && a.front() == '/') {
      start = std::string(a);
    } else {
      std::fprintf(stderr, "usage: %s [--iterations N] [START]\n", argv[0]);
      return 2;
    }
  }
  std::printf("fs_findings walk vs find(1), start %s, %d iterations (after one warm-up each)\n",
              start.c_str(), iterations);

  WalkFigures w;
  if (!run_walk(start, w)) return 1;  // warm-up
  std::vector<double> wall;
  for (int i = 0; i < iterations; ++i) {
    if (!run_walk(start, w)) return 1;
    wall.push_back(w.ms);
  }
  const auto s = stats(wall);
  std::printf(
      "  %-44s wall median %8.1f ms  min %8.1f ms  entries %zu  rows %zu  "
      "world-writable regular %zu  summary %s  warnings %zu\n",
      "vigil walk (5 kinds, in process)", s.median, s.min, w.entries, w.rows, w.ww_regular, w.summary.c_str(),
      w.warnings);

  bench_find("find -xdev -perm -0002 -type f",
             {"/usr/bin/find", start, "-xdev", "-perm", "-0002", "-type", "f"}, iterations);
  // The same selection as the walk's kinds: symlinks (always 0777) and sticky
  // directories are not world-writable findings, set-id bits count on files only.
  bench_find("find -xdev (the walk's five kinds, one pass)",
             {"/usr/bin/find",
              start,
              "-xdev",
              "(",
              "-perm",
              "-0002",
              "!",
              "-type",
              "l",
              "!",
              "-type",
              "d",
              "-o",
              "-type",
              "d",
              "-perm",
              "-0002",
              "!",
              "-perm",
              "-1000",
              "-o",
              "-type",
              "f",
              "-perm",
              "-4000",
              "-o",
              "-type",
              "f",
              "-perm",
              "-2000",
              "-o",
              "-nouser",
              "-o",
              "-nogroup",
              ")",
              "-print"},
             iterations);
  return 0;
}
