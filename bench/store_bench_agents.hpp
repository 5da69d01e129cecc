// vigil_store_bench's simulated agents: the statement they sign (a real
// baseline scan of a fixture host, or one cut or grown to a size), their
// enrollment, their pre-signed chains and requests, and the timed ingest
// over client threads that each own an HttpClient.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "cache.hpp"
#include "chain.hpp"
#include "crypto.hpp"
#include "engine.hpp"
#include "policy.hpp"
#include "report.hpp"
#include "result.hpp"

namespace vigil::bench {

struct BenchShape {
  std::size_t agents = 32, envelopes = 50, batch = 10, threads = 8;
  std::size_t envelope_bytes = 0;  // 0: the fixture's baseline scan as it is
  std::string root = std::string(VIGIL_FIXTURES_DIR) + "/debian12-hardened";
};

// The scan every agent signs (its own identity, key, time and chain link
// each time) and what verifying one such envelope costs on one core here.
class StatementSource {
 public:
  Result<agent::SignedEnvelope> sign(const crypto::HostKey& key, const agent::ReportMeta& meta,
                                     std::int64_t started_at_ms, const agent::ChainLink& link) const;
  std::string describe() const;
  double verify_rate() const noexcept { return verify_rate_; }
  double ed25519_rate() const noexcept { return ed25519_rate_; }

  // For make_statement_source.
  std::unique_ptr<std::vector<agent::PolicyPack>> packs;  // the report points into these
  agent::ScanReport report;
  std::string what;
  std::size_t envelope_size = 0;
  double verify_rate_ = 0, ed25519_rate_ = 0;
};

Result<StatementSource> make_statement_source(const BenchShape& shape);

struct BenchRequest {
  std::string body, authorization;
  std::vector<agent::EnvelopeRecord> records;  // sequence and digest (bytes dropped once in the body)
};
struct BenchAgent {
  std::string host_id;
  std::vector<BenchRequest> requests;
};
struct Fleet {
  std::string target;  // "/v1/evidence"
  std::vector<BenchAgent> agents;
  std::size_t envelope_count() const;
  std::size_t request_count() const;
  double mean_body_bytes() const;
};

// N keys and identities, each enrolled with the token, each with its chain
// signed and cut into signed requests.
Result<Fleet> make_fleet(const BenchShape& shape, const StatementSource& source, const std::string& base_url,
                         const std::string& ca_file, const std::string& token);

struct IngestRun {
  double wall_s = 0;
  std::vector<double> request_s;                 // every request's latency
  std::vector<std::vector<std::string>> bodies;  // [agent][request]: the answers
};

// Sends every request: client thread t owns agents t, t+T, ... and goes
// round their chains one batch at a time. Fails on the first transport
// error or non-200 answer (naming the agent, batch and answer).
Result<IngestRun> run_ingest(const Fleet& fleet, const BenchShape& shape, const std::string& base_url,
                             const std::string& ca_file);
// Every envelope answered "accepted" (parse_evidence_response, as the shipper reads it).
Status check_answers(const Fleet& fleet, const IngestRun& run);
// GET /v1/hosts: every agent's chain is ok and ends at its last sequence.
Result<std::string> check_chains(const Fleet& fleet, const BenchShape& shape, const std::string& base_url,
                                 const std::string& ca_file, const std::string& admin_token);

}  // namespace vigil::bench
