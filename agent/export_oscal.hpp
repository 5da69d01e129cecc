// An evidence bundle as an OSCAL assessment-results document (OSCAL 1.0.6,
// the schema in ../shared/oscal/): one result for the bundle's period,
// an observation per check result per scan with its evidence rows, a finding
// per ISO/IEC 27001:2022 Annex A control, the envelopes referenced by
// SHA-256. The mapping is in docs/evidence-bundle.md ("OSCAL export").
#pragma once

#include <string>
#include <string_view>

#include "export_bundle.hpp"
#include "result.hpp"

namespace vigil::agent {

inline constexpr std::string_view kOscalVersion = "1.0.6";
// Namespace of every UUID in Vigil's OSCAL documents (name_based_uuid).
inline constexpr std::string_view kOscalUuidNamespace = "8c4f3a5e-6b1d-4d2a-9f7e-3c5b2a1d0e9f";
// Namespace of Vigil's OSCAL props (`ns`).
inline constexpr std::string_view kOscalPropNs = "https://vigil.dev/ns/oscal";

struct OscalOptions {
  // Write the document although verification failed; it then says so in
  // metadata, the result, and every observation from an envelope with a
  // problem. Without it, a bundle that does not verify is refused.
  bool allow_unverified = false;
  // Where the bundle is, relative to the document: the envelopes' rlinks are
  // this plus "#/envelopes/N/envelope" (a JSON pointer). Percent-encoded.
  std::string bundle_href = "bundle.json";
};

// The document, pretty-printed JSON with a final newline. Deterministic: the
// same bundle and options give the same bytes (times come from the bundle,
// UUIDs from its content). Errc::invalid, listing every problem, when the
// bundle does not verify and allow_unverified is not set.
Result<std::string> bundle_to_oscal(const EvidenceBundle& bundle, const OscalOptions& opts = {});
// read_evidence_bundle, then the above (verified with opts.pinned_key).
Result<std::string> bundle_to_oscal(std::string_view bundle_json, const OscalOptions& opts = {},
                                    const VerifyOptions& verify = {});

}  // namespace vigil::agent
