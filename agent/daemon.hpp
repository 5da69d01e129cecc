// `vigil run`: the long-running agent (docs/architecture.md, "The daemon").
//
// One Boost.Asio io_context on the main thread owns all state: a timer for
// the next due schedule, the shipper's timer, the watchdog's, and the
// signals (SIGHUP reloads, SIGTERM/SIGINT stop). Scans run on a worker
// thread and post their outcome back; shipping runs on a second worker so a
// slow store never delays a scan. Between events the process sleeps in
// epoll: no polling.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "daemon_config.hpp"
#include "daemon_state.hpp"
#include "policy.hpp"
#include "result.hpp"
#include "shipper.hpp"

namespace vigil::agent {

struct DaemonOptions {
  std::string config_path = kDefaultConfigPath;
  bool config_given = false;  // --config: the file must exist (else a missing default file means defaults)
};

// The configuration and the packs of each schedule, loaded and validated
// together; a reload builds a new one and swaps it in only when all is good.
struct LoadedConfig {
  DaemonConfig config;
  std::vector<std::vector<PolicyPack>> packs;  // one list per schedule, same order
};
Result<std::shared_ptr<const LoadedConfig>> load_config_and_policies(const DaemonOptions& opts);

// When a schedule is first due after the daemon starts (docs/configuration.md,
// "When scans run"): last + interval + splay when that is still ahead, else
// now + splay. `random(n)` is uniform in [0, n].
std::int64_t first_due_ms(std::optional<std::int64_t> last_scan_ms, const ScheduleConfig& s, std::int64_t now_ms,
                          const RandomUpTo& random);
// After a scan that started at started_ms: started + interval + splay, and
// never in the past (a scan longer than its interval runs again after a splay).
std::int64_t next_due_ms(std::int64_t started_ms, const ScheduleConfig& s, std::int64_t now_ms,
                         const RandomUpTo& random);

// One scheduled scan, as the worker runs it: scan with the quarantine's
// skips and the collector budget, quarantine what ran over, record the
// signed evidence (under write_mutex, the one write that SIGTERM waits for).
struct ScanJobResult {
  std::size_t schedule = 0;
  std::string name;
  std::int64_t started_ms = 0;
  double wall_ms = 0;
  bool cancelled = false;                // stopped by SIGTERM: nothing recorded
  std::optional<std::int64_t> sequence;  // recorded at
  VerdictCounts counts;
  std::string error;                             // why nothing was recorded
  std::vector<std::string> warnings;             // from recording (retention)
  std::vector<std::string> newly_quarantined;    // tables this scan put in quarantine
  std::vector<QuarantineEntry> quarantine;       // the quarantine after this scan
};
ScanJobResult run_scan_job(const LoadedConfig& loaded, std::size_t schedule,
                           std::vector<QuarantineEntry> quarantine, std::int64_t now_ms,
                           const std::atomic<bool>* cancel, std::mutex& write_mutex);

// Runs until SIGTERM/SIGINT (exit 0) or a fatal start-up error (2). Logs go
// to err's file descriptor 2 through vigil::log.
int run_daemon(const DaemonOptions& opts);

}  // namespace vigil::agent
