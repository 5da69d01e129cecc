// Benchmark: the full built-in baseline scan, on a fixture host and on the
// live system. Prints figures; asserts nothing.
//
//   vigil_bench [--iterations N] [ROOT...]     (default roots: the debian12-stock fixture and /)
//
// The in-process scan is measured twice: as scans run (with the prefetch
// worker) and on one thread, to show what the second core gives.
//
// Two views per root:
//  - in-process: wall and CPU time per scan (engine + collectors + verdicts),
//    median and max over N scans, each with a fresh Host and Engine;
//  - whole process: `vigil scan --policy builtin:linux-baseline --format json`
//    (the filesystem pack has its own bench: vigil_fs_walk_bench) run as a child N times, with
//    wall time, CPU time and peak RSS from wait4(2) — what an admin sees —
//    beside /bin/true and `vigil --version`, the cost of any process start.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine.hpp"
#include "policy.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

double cpu_ms(const rusage& r) {
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}

struct Stats {
  double median = 0, max = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.back()};
}

// Parsing and validating the built-in pack (YAML, Annex A ids), per start.
void bench_policy_parse(int iterations) {
  std::vector<double> wall;
  for (int i = 0; i < iterations; ++i) {
    const auto start = Clock::now();
    auto pack = vigil::agent::builtin_baseline();
    wall.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (!pack) std::fprintf(stderr, "baseline: %s\n", pack.error().message.c_str());
  }
  const auto w = stats(wall);
  std::printf("  policy parse %3d runs  built-in baseline YAML    wall median %.2f ms (max %.2f)\n",
              iterations, w.median, w.max);
}

// prefetch: ScanOptions::prefetch (the second thread); the line says which.
int bench_in_process(const std::string& root, int iterations, bool prefetch) {
  auto pack = vigil::agent::builtin_baseline();
  if (!pack) {
    std::fprintf(stderr, "baseline: %s\n", pack.error().message.c_str());
    return 1;
  }
  const std::vector<vigil::agent::PolicyPack> packs{*pack};
  std::vector<double> wall, cpu;
  std::size_t checks = 0, rows = 0;
  for (int i = 0; i < iterations; ++i) {
    rusage before{}, after{};
    getrusage(RUSAGE_SELF, &before);
    const auto start = Clock::now();
    auto host = vigil::collectors::Host::open(root);
    if (!host) {
      std::fprintf(stderr, "%s: %s\n", root.c_str(), host.error().message.c_str());
      return 1;
    }
    auto engine = vigil::agent::Engine::create(*host);
    if (!engine || !(*engine)->validate(packs[0]).ok()) {
      std::fprintf(stderr, "engine setup failed\n");
      return 1;
    }
    vigil::agent::ScanOptions opts;
    opts.prefetch = prefetch;
    auto report = (*engine)->scan(packs, opts);
    wall.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    getrusage(RUSAGE_SELF, &after);
    cpu.push_back(cpu_ms(after) - cpu_ms(before));
    checks = report.results.size();
    rows = 0;
    for (const auto& c : report.collectors) rows += c.rows;
  }
  const auto w = stats(wall), c = stats(cpu);
  std::printf(
      "  in-process   %3d scans  %zu checks, %zu fact rows%s   wall median %.2f ms (max %.2f)   cpu median "
      "%.2f ms (max %.2f)\n",
      iterations, checks, rows, prefetch ? "" : ", one thread (no prefetch)", w.median, w.max, c.median, c.max);
  return 0;
}

// Runs argv[0] `iterations` times and prints wall, CPU and peak RSS.
int bench_process(const char* label, const std::vector<std::string>& command, int iterations) {
  std::vector<double> wall, cpu;
  long peak_kb = 0;
  for (int i = 0; i < iterations; ++i) {
    std::vector<std::string> args = command;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const auto start = Clock::now();
    int rc = posix_spawn(&pid, args[0].c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      std::fprintf(stderr, "spawn %s failed\n", args[0].c_str());
      return 1;
    }
    int status = 0;
    rusage ru{};
    if (wait4(pid, &status, 0, &ru) < 0) return 1;
    wall.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    cpu.push_back(cpu_ms(ru));
    peak_kb = std::max(peak_kb, ru.ru_maxrss);
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 2) {
      std::fprintf(stderr, "%s exited abnormally (status %d)\n", args[0].c_str(), status);
      return 1;
    }
  }
  const auto w = stats(wall), c = stats(cpu);
  std::printf(
      "  %-12s %3d runs                            wall median %.2f ms (max %.2f)   cpu median %.2f "
      "ms (max %.2f)   peak RSS %.1f MB\n",
      label, iterations, w.median, w.max, c.median, c.max, static_cast<double>(peak_kb) / 1024.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 20;
  std::vector<std::string> roots;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) {
      iterations = std::max(1, std::atoi(argv[++i]));
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: vigil_bench [--iterations N] [ROOT...]\n");
      return 0;
    } else {
      roots.push_back(a);
    }
  }
  if (roots.empty()) roots = {std::string(VIGIL_FIXTURES_DIR) + "/debian12-stock", "/"};
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  std::printf("vigil_bench: full built-in baseline scan, %ld cores\n", cores);
  // What starting any process costs here, so the scan's own share is visible.
  std::printf("reference\n");
  if (bench_process("/bin/true", {"/bin/true"}, iterations) != 0) return 1;
  if (bench_process("vigil -V", {VIGIL_BINARY, "--version"}, iterations) != 0) return 1;
  bench_policy_parse(iterations);
  for (const auto& root : roots) {
    std::printf("root %s\n", root.c_str());
    if (bench_in_process(root, iterations, true) != 0) return 1;
    if (bench_in_process(root, iterations, false) != 0) return 1;
    if (bench_process("vigil scan",
                      {VIGIL_BINARY, "scan", "--root", root, "--policy", "builtin:linux-baseline", "--format",
                       "json", "--no-record"},
                      iterations) != 0) {
      return 1;
    }
  }
  return 0;
}
