// Test helpers for signing and verification: a synthetic scan report with
// awkward values (doubles, control characters, non-UTF-8, NULLs), a signed
// chain of envelopes, and openssl run as a real process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attest.hpp"
#include "engine.hpp"
#include "policy.hpp"
#include "report.hpp"
#include "verify.hpp"

namespace vigil::test {

// Owns the packs its report points into.
struct SampleScan {
  std::vector<agent::PolicyPack> packs;
  agent::ScanReport report;
  agent::ReportMeta meta;
};

// A report of n results; `salt` changes one message so two scans differ.
SampleScan sample_scan(std::size_t n = 6, const std::string& salt = "",
                       std::int64_t started_at_ms = 1767225600000);

// n scan envelopes with sequences first..first+n-1, chained from prev.
struct Chain {
  std::vector<std::string> envelopes;
  std::vector<std::string> digests;
};
Chain sign_chain(const crypto::HostKey& key, const SampleScan& scan, std::size_t n, std::int64_t first = 1,
                 std::string prev = "");

// The manifest make_bundle gets in tests (host of sample_scan, a wide range).
agent::BundleManifest sample_manifest();

// /usr/bin/openssl, or "" (with a WARN) when it is missing and CI is not set;
// when CI is set a missing openssl fails the test.
std::string openssl_or_skip();

}  // namespace vigil::test
