// Test doubles for the evidence cache: a deterministic fake signer (JSON
// bytes naming the chain link, digest = SHA-256 computed with OpenSSL EVP)
// and synthetic scan reports with stable checks. Shared by cache_test, the
// crash helper and bench/cache_bench (no Catch2 here).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chain.hpp"
#include "engine.hpp"
#include "report.hpp"

namespace vigil::test {

std::string sha256_hex_evp(std::string_view bytes);

// {"type":"scan","sequence":N,"previous":"<hex>","host":"<tag>"}
agent::ScanSigner fake_scan_signer(std::string tag = "test");
// {"type":"gap","sequence":N,"previous":"<hex>","first":A,"last":B,"reason":"..."}
agent::GapSigner fake_gap_signer();

// A policy pack "test-pack" with checks c0..c{n-1} (controls A.8.5 on the
// even ones, A.8.8 on the odd ones) and reports over it.
class ScanFactory {
 public:
  explicit ScanFactory(std::size_t checks, std::string pack_id = "test-pack");
  // One result per verdict, for the first verdicts.size() checks; each
  // result has rows_per_result evidence rows (and total rows + 1 when
  // truncated is set).
  agent::ScanReport report(const std::vector<agent::Verdict>& verdicts, std::int64_t started_at_ms,
                           std::size_t rows_per_result = 2, bool truncated = false) const;
  agent::ReportMeta meta(std::string host = "host-1") const;
  const agent::PolicyPack& pack() const { return *pack_; }

 private:
  std::unique_ptr<agent::PolicyPack> pack_;  // stable address: reports point into it
};

}  // namespace vigil::test
