// Rendering scan reports and query results: JSON for machines (schema in
// docs/scan-report.md) and a readable table grouped by Annex A control.
#pragma once

#include <boost/json/value.hpp>
#include <string>

#include "catalog.hpp"
#include "engine.hpp"
#include "text_format.hpp"  // pretty_json

namespace vigil::agent {

struct ReportMeta {
  std::string vigil_version;
  // The system_info row of the scanned host, when it could be collected.
  boost::json::object host;
};

boost::json::value report_to_json(const ScanReport& report, const ReportMeta& meta);
std::string report_to_text(const ScanReport& report, const ReportMeta& meta,
                           const ControlCatalog& catalog = ControlCatalog::builtin());

boost::json::value value_to_json(const collectors::Value& v);
// ReportMeta::host from the scan's system_info row (column -> value; empty
// when the row could not be collected).
boost::json::object host_info_object(const Evidence& info);
// {"iso27001-2022": [...], "iso27001-2013": [...]} of a check.
boost::json::object controls_to_json(const Check& c);
// "2026-01-31T12:00:00.000Z" (UTC, milliseconds) of a Unix time in ms.
std::string iso_time(std::int64_t unix_ms);
boost::json::value evidence_to_json(const Evidence& e);
// A plain text table of rows, columns padded, values sanitised for a terminal.
std::string rows_to_text(const Evidence& e);

// Counts of each verdict.
struct VerdictCounts {
  std::size_t pass = 0, fail = 0, not_applicable = 0, error = 0, waived = 0;
};
VerdictCounts count_verdicts(const ScanReport& report);

}  // namespace vigil::agent
