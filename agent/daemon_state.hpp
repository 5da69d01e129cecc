// What the daemon keeps between its own restarts and shows `vigil status`:
// STATE_DIR/daemon-state.json, written atomically after every change. It
// holds the schedule (last and next scan per schedule), the collectors in
// quarantine, and the last ship. It is not evidence: the signed chain is in
// the cache; losing this file only means the next scans run after a splay.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine.hpp"
#include "report.hpp"
#include "result.hpp"

namespace vigil::agent {

inline constexpr const char* kDaemonStateFile = "daemon-state.json";

struct ScheduleState {
  std::string name;
  std::optional<std::int64_t> last_scan_ms;   // start of the last recorded scan
  std::optional<std::int64_t> last_sequence;  // its place in the chain
  std::optional<VerdictCounts> last_counts;
  std::string last_error;  // why the last attempt recorded nothing, "" when it did
  std::int64_t next_scan_ms = 0;
};

struct QuarantineEntry {
  std::string table;
  std::int64_t since_ms = 0, until_ms = 0;
  double duration_ms = 0;  // what the run that put it here took
  std::int64_t budget_ms = 0;
};

struct DaemonState {
  std::int64_t pid = 0;
  std::int64_t started_at_ms = 0, updated_at_ms = 0;
  std::string config;  // the configuration file in use ("" built-in)
  std::vector<ScheduleState> schedules;
  std::vector<QuarantineEntry> quarantine;
  std::optional<std::int64_t> last_ship_ms, next_ship_ms;
  std::string last_ship;  // "shipped 3 envelopes", "store unreachable: ..."
  bool stopped = false;   // the daemon exited cleanly
};

// Pieces of the file that the daemon's job answers carry too.
boost::json::object verdict_counts_object(const VerdictCounts& c);
Result<VerdictCounts> parse_verdict_counts(const boost::json::object& o, const std::string& where);
boost::json::object quarantine_entry_object(const QuarantineEntry& q);
Result<QuarantineEntry> parse_quarantine_entry(const boost::json::value& v, const std::string& where);

// The file's object (vigil status --format json embeds it) and its text.
boost::json::object daemon_state_object(const DaemonState& s);
std::string daemon_state_to_json(const DaemonState& s);
Result<DaemonState> parse_daemon_state(std::string_view text, const std::string& where);
Status save_daemon_state(const std::string& state_dir, const DaemonState& s);  // 0600
Result<DaemonState> load_daemon_state(const std::string& state_dir);           // Errc::not_found

// Quarantine rules, pure so they are table-tested:
// entries whose until_ms has passed are dropped;
void expire_quarantine(std::vector<QuarantineEntry>& q, std::int64_t now_ms);
// every collector run over its budget is (re)quarantined until now + period;
// returns the tables newly put there.
std::vector<std::string> quarantine_over_budget(std::vector<QuarantineEntry>& q,
                                                const std::vector<CollectorRun>& runs, std::int64_t now_ms,
                                                std::int64_t period_ms, std::int64_t budget_ms);
// the ScanOptions::skip_collectors for a scan at now_ms (table -> reason).
std::map<std::string, std::string> quarantine_skip_map(const std::vector<QuarantineEntry>& q, std::int64_t now_ms);

}  // namespace vigil::agent
