// The daemon's jobs as `vigil job` runs them (daemon_protocol.hpp): each
// scan, drain and validation of the loop in `vigild` is one short process
// of the full `vigil`, so collectors, SQLite, OpenSSL and libcurl are
// mapped only while they work and every byte they used goes back when the
// job exits.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "daemon_config.hpp"
#include "daemon_protocol.hpp"
#include "daemon_state.hpp"
#include "policy.hpp"
#include "result.hpp"

namespace vigil::agent {

// The configuration and the packs of each schedule, loaded and validated
// together (`vigil run --check-config` and the validate job).
struct LoadedConfig {
  DaemonConfig config;
  std::vector<std::vector<PolicySource>> sources;  // one list per schedule, same order
  std::vector<std::vector<PolicyPack>> packs;      // the same, parsed
};
Result<std::shared_ptr<const LoadedConfig>> load_config_and_policies(const DaemonOptions& opts);
// The same from a configuration already parsed: policies read, parsed and
// checked against the fact tables of config.root; the state directory usable.
Result<std::shared_ptr<const LoadedConfig>> load_policies(DaemonConfig config);

// One scheduled scan: scan with the quarantine's skips and the collector
// budget, quarantine what ran over, record the signed evidence
// (before_recording is called first; a cancel is not looked at after it).
ScanJobResult run_scan_job(const LoadedConfig& loaded, std::size_t schedule,
                           std::vector<QuarantineEntry> quarantine, std::int64_t now_ms,
                           const std::atomic<bool>* cancel, const std::function<void()>& before_recording = {});

// One drain of the outbox to the enrolled store, the backoff continuing
// from `failures` consecutive transient failures.
ShipJobResult run_ship_job(const DaemonConfig& config, unsigned failures);

// `vigil job`: reads one request on stdin, runs it, writes the answer on
// out. Not for people (it is not in --help); exit 0 when an answer was
// written, 2 when the request was not understood.
int cmd_job(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

}  // namespace vigil::agent
