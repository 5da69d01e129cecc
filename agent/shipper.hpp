// The shipper: drains the evidence cache's outbox to vigil-store in sequence
// order (POST /v1/evidence, docs/store-api.md), marks what the store
// acknowledged, sets aside what it rejected, and backs off (capped, full
// jitter, Retry-After honoured) when the store cannot be reached or asks to
// wait. `vigil ship` runs one drain; the daemon keeps one Shipper and calls
// drain_once() again after retry_after. See docs/architecture.md ("Shipper").
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cache.hpp"
#include "crypto.hpp"
#include "http_client.hpp"
#include "result.hpp"
#include "random_source.hpp"

namespace vigil::agent {


inline constexpr std::chrono::milliseconds kBackoffBase{1000};
inline constexpr std::chrono::milliseconds kBackoffCap{3'600'000};

// Full jitter: random in [0, min(cap, base * 2^attempt)] (attempt 0 is the
// first failure). Pure, so it is table-tested with a fixed random source.
std::chrono::milliseconds backoff_delay(unsigned attempt, const RandomUpTo& random,
                                        std::chrono::milliseconds base = kBackoffBase,
                                        std::chrono::milliseconds cap = kBackoffCap);

struct ShipperOptions {
  std::string host_id;                         // the store's id for this host (enrollment.json)
  std::size_t batch_count = 100;               // envelopes per request (the store takes at most 1000)
  std::size_t batch_bytes = 8u * 1024 * 1024;  // envelope bytes per request; a bigger envelope goes alone
  bool gzip = true;                            // Content-Encoding: gzip request bodies
  // Unix seconds for the request signature and Retry-After dates; the system clock when empty.
  std::function<std::int64_t()> now_s;
  RandomUpTo random;  // system_random() when empty
  // Consecutive transient failures before this Shipper (the daemon runs
  // each drain in a process of its own and carries the count over).
  unsigned initial_failures = 0;
};

struct RejectedEnvelope {
  std::int64_t sequence = 0;
  std::string reason;
};

struct DrainReport {
  std::size_t sent = 0;  // envelopes in requests the store answered
  std::size_t accepted = 0, duplicate = 0, rejected = 0;
  std::size_t batches = 0;  // requests the store answered with 200
  std::vector<RejectedEnvelope> rejections;
  // Set when the drain stopped early; the message says what happened.
  std::optional<Error> error;
  // Set with error when trying again later may work (no connection, 5xx,
  // 408, 429): when to try again.
  std::optional<std::chrono::milliseconds> retry_after;
  bool drained() const noexcept { return !error; }  // the outbox was emptied
};

class Shipper {
 public:
  // cache, key and transport must outlive the Shipper.
  Shipper(Cache& cache, const crypto::HostKey& key, HttpTransport& transport, ShipperOptions opts);

  // Sends batches until the outbox is empty, a transient failure (then
  // retry_after is set and the backoff attempt grows) or an error that needs
  // a person (the store refused the request, or answered something that is
  // not the protocol; the batch is then not acknowledged at all).
  DrainReport drain_once();

  // Consecutive transient failures since the last answered batch.
  unsigned failures() const noexcept { return failures_; }

 private:
  struct Outcome;
  Outcome send_batch(const std::vector<EnvelopeRecord>& batch, DrainReport& report);
  std::chrono::milliseconds next_delay(std::optional<std::int64_t> retry_after_s);

  Cache& cache_;
  const crypto::HostKey& key_;
  HttpTransport& transport_;
  ShipperOptions opts_;
  unsigned failures_ = 0;
};

// The body of POST /v1/evidence for these envelopes (before compression).
std::string evidence_request_body(const std::string& host_id, const std::vector<EnvelopeRecord>& batch);

// Per-envelope answers of the store, checked against the batch: one result
// per index, each with a known status (and, where the store gives them, the
// batch's sequence and digest). Errc::parse naming the problem otherwise.
enum class EnvelopeStatus { accepted, duplicate, rejected };
struct EnvelopeAnswer {
  EnvelopeStatus status = EnvelopeStatus::rejected;
  std::string reason;
};
Result<std::vector<EnvelopeAnswer>> parse_evidence_response(std::string_view body, const std::string& host_id,
                                                            const std::vector<EnvelopeRecord>& batch);

// "message" of the store's error shape, else the body's start (sanitised).
std::string store_error_message(const HttpResponse& r);

}  // namespace vigil::agent
