// Benchmark: what reading /proc costs, per file kind and per table, on a host
// root (default the live system). Prints figures; asserts nothing.
//
//   vigil_proc_bench [--iterations N] [ROOT]
//
// Per file kind, one Host read of /proc/<pid>/<file> for every pid (the
// processes table reads stat, status, cmdline and the exe link, and comm
// only when stat is missing); then the processes, listening_sockets and
// sysctl_known collectors as the engine runs them. Median and max over N.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "collector.hpp"
#include "host.hpp"
#include "processes.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using vigil::collectors::Host;

struct Stats {
  double min = 0, median = 0, max = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v.front(), v[v.size() / 2], v.back()};
}

template <class F>
Stats timed(int iterations, F&& f) {
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) {
    const auto start = Clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return stats(std::move(ms));
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 20;
  std::string root = "/";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) {
      iterations = std::max(1, std::atoi(argv[++i]));
    } else {
      root = a;
    }
  }
  auto host = Host::open(root);
  if (!host) {
    std::fprintf(stderr, "%s\n", host.error().message.c_str());
    return 1;
  }
  bool cut = false;
  auto pids = vigil::collectors::list_pids(*host, vigil::collectors::kMaxProcesses, &cut);
  if (!pids) {
    std::fprintf(stderr, "%s\n", pids.error().message.c_str());
    return 1;
  }
  std::printf("root %s: %zu processes, %d runs each\n", root.c_str(), pids->size(), iterations);

  const auto list = timed(iterations, [&] { (void)vigil::collectors::list_pids(*host, 100000, &cut); });
  std::printf("  list /proc                      min %7.2f  median %7.2f  max %7.2f ms\n", list.min,
              list.median, list.max);
  for (const char* file : {"stat", "comm", "status", "cmdline", "exe", "fd"}) {
    std::size_t ok = 0;
    const auto s = timed(iterations, [&] {
      ok = 0;
      for (auto pid : *pids) {
        const std::string path = "/proc/" + std::to_string(pid) + "/" + file;
        if (std::string_view(file) == "exe") {
          ok += host->read_link(path).ok() ? 1u : 0u;
        } else if (std::string_view(file) == "fd") {
          ok += host->list_dir(path).ok() ? 1u : 0u;
        } else {
          ok += host->read_file(path, vigil::collectors::ReadOptions{.max_bytes = 4u << 20}).ok() ? 1u : 0u;
        }
      }
    });
    std::printf(
        "  /proc/<pid>/%-8s x%-6zu      min %7.2f  median %7.2f  max %7.2f ms  (min %.1f us each, %zu "
        "readable)\n",
        file, pids->size(), s.min, s.median, s.max, 1e3 * s.min / static_cast<double>(pids->size()), ok);
  }
  for (const char* table : {"processes", "listening_sockets", "sysctl_known"}) {
    const auto* def = vigil::collectors::Registry::instance().find(table);
    if (def == nullptr) continue;
    std::size_t rows = 0;
    const auto s = timed(iterations, [&] {
      std::vector<vigil::collectors::Warning> warnings;
      std::vector<vigil::collectors::Row> out;
      vigil::collectors::CollectContext ctx(*host, {}, warnings, table);
      (void)def->collect(ctx, out);
      rows = out.size();
    });
    std::printf("  table %-20s %5zu rows  min %7.2f  median %7.2f  max %7.2f ms\n", table, rows, s.min,
                s.median, s.max);
  }
  return 0;
}
