// Offline verification of an evidence bundle (docs/evidence-bundle.md):
// every envelope's signature with a trusted key, each statement's subject
// digest against its results, and the chain (consecutive sequences, each
// previous_digest the SHA-256 of the envelope before, gaps only where a
// signed gap record explains them). Also makes bundles, for the exporter.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto.hpp"
#include "result.hpp"

namespace vigil::agent {

inline constexpr std::string_view kBundleSchema = "vigil.evidence-bundle.v1";
inline constexpr std::size_t kMaxBundleBytes = 512u * 1024u * 1024u;

// What an export covers; first/last sequence and count come from the envelopes.
struct BundleManifest {
  std::string host;  // host_identity() of the host the envelopes are from
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::vector<std::string> controls;  // --control filters of the export (empty: all)
  std::vector<std::string> checks;    // --check filters (empty: all)
  std::int64_t created_at_ms = 0;
};

// A bundle of the envelopes (in chain order, each kept byte for byte) and
// the public key. Errc::parse naming the envelope (#index) that does not
// decode as a Vigil statement.
Result<std::string> make_bundle(const std::vector<std::string>& envelopes, const crypto::PublicKey& key,
                                const BundleManifest& manifest);

struct VerifyFailure {
  std::size_t index = 0;                 // 1-based envelope position; 0 for the bundle itself
  std::optional<std::int64_t> sequence;  // when known (from the statement, else the bundle's hint)
  std::string message;
};

// A missing range of sequences that a verified gap record explains.
struct CoveredGap {
  std::int64_t first_sequence = 0;
  std::int64_t last_sequence = 0;
  std::string reason;
  std::int64_t recorded_at_sequence = 0;  // the gap record's own sequence
};

struct VerifyReport {
  std::size_t envelopes = 0;  // in the bundle
  std::size_t scans = 0;      // statements that verified, by kind
  std::size_t gap_records = 0;
  std::optional<std::int64_t> first_sequence;
  std::optional<std::int64_t> last_sequence;
  std::string host;
  std::vector<std::string> key_ids;  // the trusted keys
  bool key_pinned = false;           // trusted because --key said so, not the bundle
  std::vector<CoveredGap> covered_gaps;
  std::vector<VerifyFailure> failures;
  bool ok() const noexcept { return failures.empty(); }
};

struct VerifyOptions {
  // The key to trust; the bundle's keys must then be this one. Without it
  // the bundle's own keys are used (self-consistency only).
  std::optional<crypto::PublicKey> pinned_key;
};

// Never fails as a call: anything wrong with the bundle is a failure in the report.
VerifyReport verify_bundle(std::string_view bundle, const VerifyOptions& opts = {});

// A document of several hosts' bundles (vigil-store's multi-host export):
//   {"schema":"vigil.evidence-bundles.v1","created_at":"...Z","bundles":[<bundle>, ...]}
// each bundle exactly a vigil.evidence-bundle.v1 object (verify_set.cpp).
inline constexpr std::string_view kBundleSetSchema = "vigil.evidence-bundles.v1";
Result<std::string> make_bundle_set(const std::vector<std::string>& bundles, std::int64_t created_at_ms);
// Each bundle of a bundle set as JSON text, in order; nullopt when text is
// not a bundle set (its "schema" is not kBundleSetSchema: a single bundle).
// Errc::parse naming what is wrong when it says it is one but is malformed.
Result<std::optional<std::vector<std::string>>> split_bundle_set(std::string_view text);

// "sequence 3 (envelope #3): ..." per failure, or the one-line summary.
std::string verify_report_text(const VerifyReport& r, const std::string& bundle_name);
boost::json::value verify_report_json(const VerifyReport& r, const std::string& bundle_name);

// "2026-01-31T12:00:00Z" or with milliseconds ".123Z"; nullopt otherwise.
std::optional<std::int64_t> parse_iso_time(std::string_view s);

}  // namespace vigil::agent
