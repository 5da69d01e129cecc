// The contract between the evidence cache (agent/cache) and the signer
// (agent/attest): the cache owns the chain position and stores envelopes
// verbatim; the signer turns a position into a signed DSSE envelope.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "result.hpp"

namespace vigil::agent {

// Where the next statement sits in the host's chain. Sequences start at 1
// and never repeat; previous_digest is the lowercase hex SHA-256 of the
// previous envelope's bytes, empty for sequence 1.
struct ChainLink {
  std::int64_t sequence = 0;
  std::string previous_digest;
};

// A serialised DSSE envelope (stored and shipped byte for byte) and the
// lowercase hex SHA-256 of those bytes (the next link's previous_digest).
struct SignedEnvelope {
  std::string bytes;
  std::string digest;
};

// The largest envelope the signer may make and the cache, the store and the
// verifier accept (a baseline scan's is about 100 KiB).
inline constexpr std::size_t kMaxEnvelopeBytes = 128u * 1024u * 1024u;

// Envelopes the cache had to drop before they were shipped (a retention cap
// forced it): the range, the times of the first and last dropped scan, why.
struct GapInfo {
  std::int64_t first_sequence = 0;
  std::int64_t last_sequence = 0;
  std::int64_t first_time_ms = 0;
  std::int64_t last_time_ms = 0;
  std::string reason;
};

// Called inside the cache's write transaction, once, with the position the
// statement takes; an error aborts the transaction (nothing is written).
using ScanSigner = std::function<Result<SignedEnvelope>(const ChainLink&)>;
using GapSigner = std::function<Result<SignedEnvelope>(const ChainLink&, const GapInfo&)>;

}  // namespace vigil::agent
