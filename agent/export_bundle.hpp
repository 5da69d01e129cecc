// An evidence bundle read for the auditor formats (agent/export_oscal,
// agent/export_html): what the bundle claims, what verify_bundle found, every
// envelope's statement, and the period's history per check and per Annex A
// 2022 control. Pure: text in, a value out; nothing is read or written.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest.hpp"
#include "catalog.hpp"
#include "result.hpp"
#include "verify.hpp"

namespace vigil::agent {

struct BundleEnvelope {
  std::size_t index = 0;                 // 1-based position in the bundle
  std::optional<std::int64_t> sequence;  // the statement's; the bundle's hint when it did not decode
  std::string sha256;                    // of the envelope bytes ("" when there were none)
  std::optional<Statement> statement;    // when it decodes as a Vigil statement
  std::string decode_error;              // why it did not
  // Decoded, and verify_bundle reported nothing about this envelope (its
  // signature, digest and chain link are good). Bundle-level failures (the
  // manifest, the keys) are in EvidenceBundle::verification.
  bool verified = false;
};

struct BundlePublicKey {
  std::string key_id;  // as the bundle lists it
  std::string pem;
};

// A policy pack named by the scans of the period (id, version and digest
// together: a pack whose text changed is listed twice).
struct PackUse {
  std::string id, version, source, sha256;  // sha256 "" when the statement had null
  std::int64_t first_sequence = 0, last_sequence = 0;
  std::size_t scans = 0;
};

// One check's result in one scan. Pointers into the bundle's statements.
struct Outcome {
  const BundleEnvelope* scan = nullptr;
  std::string verdict;  // pass, fail, not_applicable, error, waived (as signed)
  std::string message;
  const boost::json::object* evidence = nullptr;  // the signed evidence object, if any
};

struct VerdictTally {
  std::size_t pass = 0, fail = 0, not_applicable = 0, error = 0, waived = 0, other = 0;
  std::size_t total() const noexcept { return pass + fail + not_applicable + error + waived + other; }
  void add(std::string_view verdict) noexcept;
};

struct CheckHistory {
  std::string check, policy, title, severity;  // as the latest scan has them
  std::vector<std::string> controls_2022;      // union over the period, sorted by control id
  std::vector<Outcome> outcomes;               // in sequence order
  VerdictTally tally;
};

// The verdict on an Annex A control over the period, from every result of
// every check mapped to it: any fail -> not-satisfied (fail); else any error
// -> not-satisfied (error); else any waived -> not-satisfied (waived: an
// accepted risk is not a satisfied control, but it is its own reason); else
// any pass -> satisfied (pass); else only not_applicable -> satisfied
// (not-applicable); no result at all -> not-satisfied (no-evidence).
struct ControlSummary {
  std::string id, title;
  std::vector<std::size_t> checks;  // indexes into EvidenceBundle::checks
  VerdictTally tally;
  bool satisfied = false;
  std::string reason;  // fail, error, waived, pass, not-applicable, no-evidence
};

struct EvidenceBundle {
  std::string text_sha256;  // SHA-256 of the bundle file's bytes
  // The manifest's claims (checked by verify_bundle; see verification).
  std::string host;
  std::optional<std::int64_t> from_ms, to_ms, created_at_ms;
  std::vector<std::string> control_filter, check_filter;
  std::vector<BundlePublicKey> keys;
  std::vector<BundleEnvelope> envelopes;  // bundle order
  VerifyReport verification;

  // The period, from the statements that decoded (verified or not; each
  // says which), in sequence order.
  std::vector<const BundleEnvelope*> scans;
  std::vector<const BundleEnvelope*> gap_records;
  std::vector<PackUse> packs;
  // Checks the manifest's filters select (--check ids; --control: a check
  // mapped to one of them), sorted by id.
  std::vector<CheckHistory> checks;
  // The controls of those checks that the 2022 catalogue knows, or exactly
  // the manifest's --control list when it has one, ordered by id.
  std::vector<ControlSummary> controls;
  // Checks whose 2022 controls are all unknown to the catalogue (indexes).
  std::vector<std::size_t> unmapped_checks;
  boost::json::object host_facts;  // the latest scan's predicate.host
  std::vector<std::string> agent_versions;

  bool all_verified() const noexcept { return verification.ok(); }
};

// Parses and verifies a bundle (vigil.evidence-bundle.v1). Fails only when
// the text is over kMaxBundleBytes or not a JSON object with an "envelopes"
// array (nothing to show); anything else wrong is in `verification`.
// The result is not copyable: outcomes point into its envelopes.
Result<std::unique_ptr<const EvidenceBundle>> read_evidence_bundle(
    std::string_view text, const VerifyOptions& opts = {},
    const ControlCatalog& catalog = ControlCatalog::builtin());

// One line per verification failure: "sequence 3, envelope #3: ..." (the
// sequence added when known), bundle-level ones as they are.
std::vector<std::string> verification_lines(const VerifyReport& r);

// A UUID of version-5 layout whose 16 bytes are the first of
// SHA-256(namespace bytes || name) (RFC 4122 section 4.3 with SHA-256 for
// SHA-1; RFC 9562 would call it version 8, which OSCAL 1.0.6's UUID pattern
// refuses). Lowercase, 8-4-4-4-12. `ns` is a UUID in that text form.
std::string name_based_uuid(std::string_view ns, std::string_view name);

}  // namespace vigil::agent
