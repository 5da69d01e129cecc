// A scan becomes evidence: the host key (made on first use), the signed
// statement in the chain, the evidence cache, and its retention, in that
// order (docs/architecture.md, "Recording a scan").
#pragma once

#include <string>
#include <vector>

#include "attest.hpp"
#include "cache.hpp"
#include "engine.hpp"
#include "report.hpp"
#include "result.hpp"

namespace vigil::agent {

struct RecordOptions {
  std::string state_dir = kDefaultStateDir;
  ScopeTags scope;  // owner, environment, role... travel in every statement
  RetentionPolicy retention;
};

struct RecordOutcome {
  RecordedScan scan;
  RetentionReport retention;
  std::string key_id;
  std::string cache_path;
  std::vector<std::string> warnings;  // retention that could not run, a scan alone over the size cap
};

// Signs the scan into the next link of the host's chain and writes it to the
// cache in one transaction, then applies the retention caps (a gap record
// for anything unshipped they remove). Nothing is written when it fails.
Result<RecordOutcome> record_evidence(const ScanReport& report, const ReportMeta& meta,
                                      const RecordOptions& opts);

struct ExportRequest {
  std::string state_dir = kDefaultStateDir;
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::vector<std::string> controls;  // Annex A ids (2022 or 2013): what the reports show
  std::vector<std::string> checks;
  std::int64_t now_ms = 0;
};

// The envelopes recorded in [from_ms, to_ms] (scans and gap records, whole and
// byte for byte: a signed envelope cannot be cut), the host's public key and a
// manifest naming the period and the filters, as one JSON bundle
// (docs/evidence-bundle.md). Errc::not_found when the period holds nothing.
Result<std::string> export_bundle(const ExportRequest& req);

}  // namespace vigil::agent
