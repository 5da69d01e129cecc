// Signed statements of the evidence chain: a scan (or a gap record) becomes
// an in-toto Statement v1, serialised deterministically, wrapped in a DSSE
// envelope signed with the host's Ed25519 key over the DSSE PAE. Formats in
// docs/evidence-bundle.md; the chain position comes from the cache through
// the ScanSigner/GapSigner callbacks of chain.hpp.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain.hpp"
#include "crypto.hpp"
#include "engine.hpp"
#include "report.hpp"
#include "result.hpp"

namespace vigil::agent {

inline constexpr std::string_view kDssePayloadType = "application/vnd.in-toto+json";
inline constexpr std::string_view kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kScanPredicateType = "https://vigil.dev/attestation/scan/v1";
inline constexpr std::string_view kGapPredicateType = "https://vigil.dev/attestation/gap/v1";

// Free-form labels of the host's scope (site, owner, environment...).
using ScopeTags = std::map<std::string, std::string>;

// DSSE v1 Pre-Authentication Encoding:
// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in decimal.
std::string dsse_pae(std::string_view payload_type, std::string_view body);

struct DsseSignature {
  std::string keyid;
  std::string sig;  // raw signature bytes (64 for Ed25519)
};

struct DsseEnvelope {
  std::string payload_type;
  std::string payload;  // decoded bytes
  std::vector<DsseSignature> signatures;
};

// {"payloadType":...,"payload":<base64>,"signatures":[{"keyid":...,"sig":<base64>}]}
// compact, in that order, standard base64 with padding.
std::string serialize_envelope(const DsseEnvelope& env);
// Refuses (Errc::parse / too_large, naming the field) anything but one JSON
// object with exactly those members, at most kMaxEnvelopeBytes; payload and
// sig may be standard or URL-safe base64 (DSSE requires verifiers accept both).
Result<DsseEnvelope> parse_envelope(std::string_view bytes);
// Signs payload under payload_type; the envelope bytes and their SHA-256.
Result<SignedEnvelope> sign_envelope(const crypto::HostKey& key, std::string_view payload_type,
                                     std::string payload);
// Succeeds when a signature whose keyid is key's id verifies over the PAE;
// Errc::invalid says which of the two failed.
Status verify_envelope(const DsseEnvelope& env, const crypto::PublicKey& key);

// The host's name in statements: the system_info machine_id, else its
// hostname, else "unknown". Subjects are "host:" + this.
std::string host_identity(const ReportMeta& meta);

// The statement of a scan at a chain position, as the bytes that are signed
// (deterministic: the same arguments give the same bytes).
std::string scan_statement(const ScanReport& report, const ReportMeta& meta, const ScopeTags& scope,
                           const ChainLink& link, const std::string& key_id);
// The statement of a gap record, made at recorded_at_ms.
std::string gap_statement(const std::string& host, const GapInfo& gap, const ChainLink& link,
                          const std::string& key_id, std::int64_t recorded_at_ms);

// A signer for the cache (chain.hpp): it holds its own copy of everything it
// needs from report and meta, so they need not outlive it, and a copy of key.
ScanSigner make_scan_signer(const crypto::HostKey& key, const ScanReport& report, const ReportMeta& meta,
                            const ScopeTags& scope);
// Gap records of host (use host_identity(meta) so they name the same host as
// the scans), stamped with the time they are signed.
GapSigner make_gap_signer(const crypto::HostKey& key, const std::string& host);

enum class StatementKind { scan, gap };

// Where a part of the statement lies in the payload's bytes.
struct PayloadSpan {
  std::size_t offset = 0;
  std::size_t size = 0;
  std::string_view of(std::string_view payload) const { return payload.substr(offset, size); }
  bool operator==(const PayloadSpan&) const = default;
};

// What a verifier needs from a statement, read from the payload.
struct Statement {
  // sp: where predicate's values live (decode_statement: its arena).
  explicit Statement(boost::json::storage_ptr sp = {}) : predicate(std::move(sp)) {}
  Statement(Statement&&) noexcept = default;
  // Neither copied nor assigned. A Boost.JSON copy allocates in the source's
  // resource (a copy would grow the shared arena, from whichever thread
  // copies), and an assigned-to container keeps its own (assigning a decoded
  // statement would copy the whole predicate out of the arena).
  // Move-construct instead.
  Statement(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  Statement& operator=(const Statement&) = delete;

  StatementKind kind = StatementKind::scan;
  std::string host;            // subject name without "host:"
  std::string subject_digest;  // what the subject claims
  // SHA-256 of the canonical predicate.results (scan) or predicate.gap (gap)
  // as parsed: equal to subject_digest unless the statement was altered.
  std::string computed_digest;
  std::int64_t sequence = 0;
  std::string previous_digest;
  std::string key_id;
  std::int64_t time_ms = 0;  // scan: started_at_ms; gap: recorded_at_ms
  GapInfo gap;               // kind == gap
  // Its values live in one arena per statement (a monotonic resource,
  // freed with the last value that uses it): a scan's predicate is
  // thousands of small strings and objects. Not for growing from two
  // threads at once.
  boost::json::object predicate;
  // Per element of predicate.results (scan), its "evidence" member's text
  // in the payload, if it has one: the canonical serialisation of that
  // value, so readers can keep it without serialising it again.
  std::vector<std::optional<PayloadSpan>> result_evidence;
};

// Parses an envelope's payload as a Vigil statement: payloadType, _type,
// one subject "host:...", a known predicateType, the chain fields, and that
// the payload is in canonical form (re-serialising it gives the same bytes,
// so nothing was added, reordered or re-encoded). Errc::parse naming the field.
Result<Statement> decode_statement(const DsseEnvelope& env);

}  // namespace vigil::agent
