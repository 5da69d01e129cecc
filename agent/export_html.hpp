// An evidence bundle as one self-contained HTML page for an auditor: the
// host, period, packs and key, the verification status with every failure,
// per ISO/IEC 27001:2022 Annex A control its checks with their verdicts over
// the period, the evidence of the latest scan and of every change of
// verdict, and the envelopes. Inline CSS only: no script, no external URL.
// Every string from the bundle is HTML-escaped (docs/evidence-bundle.md,
// "HTML report").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "export_bundle.hpp"
#include "result.hpp"

namespace vigil::agent {

struct HtmlOptions {
  std::size_t max_rows_per_result = 25;  // evidence rows shown per result (the page says when capped)
  std::size_t max_cell_bytes = 2048;     // of one evidence value (the page says when cut)
  std::string bundle_name;               // shown in the header (e.g. the file name); may be empty
};

// Deterministic: the same bundle and options give the same bytes. A bundle
// that did not verify still gives a page, which says so first.
std::string bundle_to_html(const EvidenceBundle& bundle, const HtmlOptions& opts = {});
// read_evidence_bundle, then the above; fails only when read_evidence_bundle does.
Result<std::string> bundle_to_html(std::string_view bundle_json, const HtmlOptions& opts = {},
                                   const VerifyOptions& verify = {});

}  // namespace vigil::agent
