// Benchmark: the apt_updates collector (pending updates from the files)
// against `apt-get -s upgrade` on the same host. Prints figures; asserts nothing.
//
//   vigil_apt_updates_bench [--iterations N] [--root DIR]   (default: 5 iterations, root /)
//
// Each side runs once untimed (warm page cache), then N timed runs; medians
// and minimums of wall time and of CPU time (user + system: less disturbed
// than wall time on a shared machine), and the ratio of the medians:
//  - vigil: the registered apt_updates collector in process, a fresh Host
//    each run (dpkg status, Release files, every list streamed: read,
//    decompressed and scanned in chunks);
//  - apt-get -s upgrade as the host configures it, through the project's
//    runner (no shell, LC_ALL=C, 5 min deadline);
//  - apt-get -s upgrade with a binary cache (pkgcache.bin in a temporary
//    directory, built by the warm-up run): what a host whose apt keeps its
//    cache pays. Debian's container images turn the cache off
//    (docker-clean: Dir::Cache::pkgcache ""), so there apt rebuilds it from
//    the lists on every run.
// apt-get reads the running system's configuration, so it is only run when
// the root is /.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "collector.hpp"
#include "host.hpp"
#include "runner.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace vc = vigil::collectors;

constexpr const char* kAptGet = "/usr/bin/apt-get";

struct Stats {
  double median = 0, min = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front()};
}

double cpu_ms(int who) {
  rusage r{};
  ::getrusage(who, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}

double max_rss_mb(int who) {
  rusage r{};
  ::getrusage(who, &r);
  return static_cast<double>(r.ru_maxrss) / 1024.0;
}

struct Timing {
  std::vector<double> wall, cpu;
  void print(const char* label) const {
    const auto w = stats(wall), c = stats(cpu);
    std::printf("  %-34s wall median %8.1f ms  min %8.1f ms   cpu median %8.1f ms  min %8.1f ms\n", label,
                w.median, w.min, c.median, c.min);
  }
};

struct VigilFigures {
  std::size_t rows = 0, pending = 0, pending_security = 0, warnings = 0;
};

// One run of the collector; false (with a message) when it cannot run.
bool run_vigil(const vc::TableDef& table, const std::string& root, VigilFigures& out) {
  auto host = vc::Host::open(root);
  if (!host) {
    std::fprintf(stderr, "%s: %s\n", root.c_str(), host.error().message.c_str());
    return false;
  }
  std::vector<vc::Warning> warnings;
  std::vector<vc::Row> rows;
  vc::CollectContext ctx(*host, {}, warnings, table.name);
  if (auto st = table.collect(ctx, rows); !st) {
    std::fprintf(stderr, "apt_updates: %s\n", st.error().message.c_str());
    return false;
  }
  std::size_t security = 0, pending = 0;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (table.columns[i].name == "security") security = i;
    if (table.columns[i].name == "pending") pending = i;
  }
  out = VigilFigures{rows.size(), 0, 0, warnings.size()};
  // security = 1 means a security update is pending (and so pending = 1 too).
  for (const auto& r : rows) {
    if (std::get<std::int64_t>(r[pending]) != 0) ++out.pending;
    if (std::get<std::int64_t>(r[security]) != 0) ++out.pending_security;
  }
  for (std::size_t i = 0; i < warnings.size() && i < 5; ++i) {
    std::fprintf(stderr, "  warning: %s: %s\n", warnings[i].where.c_str(), warnings[i].message.c_str());
  }
  return true;
}

std::size_t count_inst_lines(std::string_view out) {
  std::size_t n = 0, pos = 0;
  while (pos < out.size()) {
    const std::size_t eol = std::min(out.find('\n', pos), out.size());
    if (out.substr(pos, 5) == "Inst ") ++n;
    pos = eol + 1;
  }
  return n;
}

// One run of apt-get; false (with a message) when it cannot run or fails.
bool run_apt(const std::vector<std::string>& args, std::size_t& inst) {
  auto r = vc::run_program(kAptGet, args,
                           vc::RunOptions{.timeout = std::chrono::minutes(5), .max_output = 64u << 20});
  if (!r) {
    std::fprintf(stderr, "%s: %s\n", kAptGet, r.error().message.c_str());
    return false;
  }
  if (r->exit_code != 0) {
    std::fprintf(stderr, "%s: exit %d, signal %d: %.300s\n", kAptGet, r->exit_code, r->signal,
                 r->err.c_str());
    return false;
  }
  inst = count_inst_lines(r->out);
  return true;
}

// Warm-up, then N timed runs of apt-get; empty timing when it could not run.
Timing bench_apt(const std::vector<std::string>& args, int iterations, std::size_t& inst) {
  Timing t;
  if (!run_apt(args, inst)) return t;
  for (int i = 0; i < iterations; ++i) {
    const double c0 = cpu_ms(RUSAGE_CHILDREN);
    const auto t0 = Clock::now();
    if (!run_apt(args, inst)) return Timing{};
    t.wall.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    t.cpu.push_back(cpu_ms(RUSAGE_CHILDREN) - c0);
  }
  return t;
}

void print_ratio(const char* label, const Timing& apt, const Timing& vigil) {
  if (apt.wall.empty()) return;
  std::printf("  %-34s wall %6.1fx   cpu %6.1fx\n", label, stats(apt.wall).median / stats(vigil.wall).median,
              stats(apt.cpu).median / stats(vigil.cpu).median);
}

struct AptFigures {
  Timing plain, cached;
  std::size_t plain_inst = 0, cached_inst = 0;
  double peak_rss_mb = 0;
  std::string skipped;  // why apt-get was not run
};

// apt-get runs before the collector: a spawned child's peak RSS includes
// what the parent had mapped when it spawned (vfork), which is small then.
AptFigures bench_apt_get(const std::string& root, int iterations) {
  AptFigures a;
  if (root != "/") {
    a.skipped = "it reads the running system's configuration, not " + root;
    return a;
  }
  if (::access(kAptGet, X_OK) != 0) {
    a.skipped = std::string(kAptGet) + " is not here";
    return a;
  }
  a.plain = bench_apt({"-s", "upgrade"}, iterations, a.plain_inst);
  std::string dir = (std::filesystem::temp_directory_path() / "vigil-apt-bench-XXXXXX").string();
  if (::mkdtemp(dir.data()) != nullptr) {
    a.cached = bench_apt({"-o", "Dir::Cache=" + dir, "-o", "Dir::Cache::pkgcache=pkgcache.bin", "-o",
                          "Dir::Cache::srcpkgcache=srcpkgcache.bin", "-s", "upgrade"},
                         iterations, a.cached_inst);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  a.peak_rss_mb = max_rss_mb(RUSAGE_CHILDREN);
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 5;
  std::string root = "/";
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--iterations" && i + 1 < argc) {
      iterations = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--root" && i + 1 < argc) {
      root = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--iterations N] [--root DIR]\n", argv[0]);
      return 2;
    }
  }
  const vc::TableDef* table = vc::Registry::instance().find("apt_updates");
  if (table == nullptr) {
    std::fprintf(stderr, "apt_updates is not registered\n");
    return 1;
  }
  std::printf("apt_updates vs apt-get -s upgrade, root %s, %d iterations (after one warm-up each)\n",
              root.c_str(), iterations);
  const AptFigures apt = bench_apt_get(root, iterations);

  VigilFigures figures;
  if (!run_vigil(*table, root, figures)) return 1;  // warm-up
  Timing vigil;
  for (int i = 0; i < iterations; ++i) {
    const double c0 = cpu_ms(RUSAGE_SELF);
    const auto t0 = Clock::now();
    if (!run_vigil(*table, root, figures)) return 1;
    vigil.wall.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    vigil.cpu.push_back(cpu_ms(RUSAGE_SELF) - c0);
  }
  vigil.print("vigil apt_updates (in process)");
  std::printf("  %-34s rows %zu  pending %zu  of them security updates %zu  warnings %zu\n", "", figures.rows,
              figures.pending, figures.pending_security, figures.warnings);
  std::printf("  %-34s peak RSS of this process %.1f MB\n", "", max_rss_mb(RUSAGE_SELF));
  if (!apt.skipped.empty()) {
    std::printf("  apt-get not run: %s\n", apt.skipped.c_str());
    return 0;
  }
  if (!apt.plain.wall.empty()) {
    apt.plain.print("apt-get -s upgrade (host config)");
    std::printf("  %-34s Inst lines %zu\n", "", apt.plain_inst);
  }
  if (!apt.cached.wall.empty()) {
    apt.cached.print("apt-get -s upgrade (binary cache)");
    std::printf("  %-34s Inst lines %zu\n", "", apt.cached_inst);
  }
  std::printf("  %-34s peak RSS of the largest child %.1f MB\n", "apt-get", apt.peak_rss_mb);
  std::printf("ratio of medians (apt-get / vigil):\n");
  print_ratio("host config", apt.plain, vigil);
  print_ratio("binary cache", apt.cached, vigil);
  return 0;
}
