// `vigil run`: the long-running agent (docs/architecture.md, "The daemon").
//
// The loop is its own small program, vigild (`vigil run` execs it): one
// Boost.Asio io_context on its one thread owns all state: a timer for the
// next due schedule, the shipper's timer, the watchdog's, and the signals
// (SIGHUP reloads, SIGTERM/SIGINT stop). Each scan, drain and validation is
// a `vigil job` child (daemon_protocol.hpp) whose answer the loop reads
// without blocking, so a slow store never delays a scan, and the loop never
// maps the collectors, SQLite, OpenSSL or libcurl. Between events the
// process sleeps in epoll: no polling.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon_config.hpp"
#include "policy.hpp"
#include "random_source.hpp"
#include "result.hpp"

namespace vigil::agent {

// What the loop holds of a configuration that validated: the text it
// parsed (each job parses the same) and the policies as the validate job
// read them, so a scan runs what was validated until the next reload.
struct DaemonSetup {
  DaemonConfig config;
  std::string config_text;
  std::vector<std::vector<PolicySource>> policies;  // one list per schedule, same order
};
// Reads and parses the configuration, then has a validate job read, parse
// and check its policies and the state directory.
Result<std::shared_ptr<const DaemonSetup>> load_setup(const DaemonOptions& opts);

// When a schedule is first due after the daemon starts (docs/configuration.md,
// "When scans run"): last + interval + splay when that is still ahead, else
// now + splay. `random(n)` is uniform in [0, n].
std::int64_t first_due_ms(std::optional<std::int64_t> last_scan_ms, const ScheduleConfig& s, std::int64_t now_ms,
                          const RandomUpTo& random);
// After a scan that started at started_ms: started + interval + splay, and
// never in the past (a scan longer than its interval runs again after a splay).
std::int64_t next_due_ms(std::int64_t started_ms, const ScheduleConfig& s, std::int64_t now_ms,
                         const RandomUpTo& random);

// Runs until SIGTERM/SIGINT (exit 0) or a fatal start-up error (2). Logs go
// to stderr through vigil::log.
int run_daemon(const DaemonOptions& opts);

}  // namespace vigil::agent
