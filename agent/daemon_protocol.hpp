// The daemon's jobs (docs/architecture.md, "The daemon"): the loop
// (`vigild`) sends a request to a `vigil job` child on its stdin and reads
// the answer on its stdout, one JSON object each, format
// vigil.daemon-job.v1. The loop keeps everything that outlives a job
// (schedules, quarantine, the shipper's backoff, the validated policies);
// a job gets what it needs in its request and exits.
//
// A scan job writes the line "recording" before it starts writing its
// evidence, so a daemon that stops waits for that write instead of killing
// the child; every answer is the last line.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon_state.hpp"
#include "policy.hpp"
#include "report.hpp"
#include "result.hpp"

namespace vigil::agent {

inline constexpr std::size_t kMaxJobMessageBytes = 64u * 1024u * 1024u;
inline constexpr std::string_view kJobRecordingLine = "recording";

enum class JobKind { validate, scan, ship };
const char* job_kind_name(JobKind k) noexcept;

struct JobRequest {
  JobKind kind = JobKind::validate;
  std::string config_source;  // the configuration file; "" for the built-in defaults
  std::string config_text;    // its text as the loop read and parsed it
  // scan:
  std::size_t schedule = 0;                 // index into the configuration's schedules
  std::vector<PolicySource> policies;       // the schedule's packs as validated
  std::vector<QuarantineEntry> quarantine;  // as the loop holds it
  std::int64_t now_ms = 0;                  // the scan's start (Unix ms)
  // ship:
  unsigned ship_failures = 0;  // consecutive transient failures so far (the backoff's attempt)
};

// validate: the configuration's policies read, parsed and checked against
// the fact tables, and the state directory usable.
struct ValidateJobResult {
  std::string error;                                // "" when all is good
  std::vector<std::vector<PolicySource>> policies;  // one list per schedule, same order
};

// scan: one scheduled scan as run_scan_job (daemon_jobs.hpp) ran it.
struct ScanJobResult {
  std::size_t schedule = 0;
  std::string name;
  std::int64_t started_ms = 0;
  double wall_ms = 0;
  bool cancelled = false;                // stopped by SIGTERM: nothing recorded
  std::optional<std::int64_t> sequence;  // recorded at
  VerdictCounts counts;
  std::string error;                           // why nothing was recorded
  std::vector<std::string> warnings;           // from recording (retention)
  std::vector<std::string> newly_quarantined;  // tables this scan put in quarantine
  std::vector<QuarantineEntry> quarantine;     // the quarantine after this scan
};

// ship: one drain of the outbox.
struct ShipJobResult {
  bool attempted = false;  // false: not enrolled or not configured; message says why
  std::string message;
  bool ok = false;
  std::size_t accepted = 0, duplicate = 0, rejected = 0;
  std::optional<std::chrono::milliseconds> retry_after;
  unsigned failures = 0;  // consecutive transient failures after this drain
};

std::string job_request_to_json(const JobRequest& r);
Result<JobRequest> parse_job_request(std::string_view text);

std::string validate_result_to_json(const ValidateJobResult& r);
std::string scan_result_to_json(const ScanJobResult& r);
std::string ship_result_to_json(const ShipJobResult& r);
// Each takes a child's whole stdout: the answer is its last line.
Result<ValidateJobResult> parse_validate_result(std::string_view output);
Result<ScanJobResult> parse_scan_result(std::string_view output);
Result<ShipJobResult> parse_ship_result(std::string_view output);

}  // namespace vigil::agent
