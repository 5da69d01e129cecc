#include "agent/chain_support.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "verify.hpp"

namespace vigil::test {

using namespace vigil::agent;
using collectors::Value;

SampleScan sample_scan(std::size_t n, const std::string& salt, std::int64_t started_at_ms) {
  SampleScan s;
  PolicyPack pack;
  pack.id = "test-pack";
  pack.title = "Test pack";
  pack.version = "2026.1.0";
  pack.source = "tests/sample.yaml";
  pack.sha256 = crypto::sha256_hex("pack text");
  for (std::size_t i = 0; i < n; ++i) {
    Check c;
    c.id = "test.check-" + std::to_string(i);
    c.title = "Check number " + std::to_string(i);
    c.severity = Severity::high;
    c.controls_2022 = {"A.8.5", "A.8." + std::to_string(i % 30 + 1)};
    c.controls_2013 = {"A.9.4.2"};
    c.remediation = "fix it";
    pack.checks.push_back(std::move(c));
  }
  s.packs.push_back(std::move(pack));
  const auto& p = s.packs[0];
  s.report.root = "/";
  s.report.started_at_ms = started_at_ms;
  s.report.duration_ms = 91.25;
  s.report.packs = {&p};
  for (std::size_t i = 0; i < n; ++i) {
    CheckResult r;
    r.pack = &p;
    r.check = &p.checks[i];
    r.verdict = i % 3 == 0 ? Verdict::fail : Verdict::pass;
    r.message = i == 0 ? "1 row not compliant" + salt : "";
    r.evidence.columns = {"file", "line", "value", "ratio", "compliant"};
    for (std::size_t k = 0; k < 3; ++k) {
      r.evidence.rows.push_back({Value(std::string("/etc/ssh/sshd_config\t\"q\"\x01 \xc3\xa9 \xff")),
                                 Value(static_cast<std::int64_t>(k + 1)),
                                 k == 2 ? Value() : Value(std::string("no")),
                                 Value(0.1 * static_cast<double>(k + i) + 1.2132633886030113e4),
                                 Value(static_cast<std::int64_t>(k % 2))});
    }
    r.evidence.total_rows = 5;
    s.report.results.push_back(std::move(r));
  }
  s.report.host_info.columns = {"hostname", "machine_id"};
  s.report.host_info.rows = {{Value(std::string("web1")), Value(std::string("0123456789abcdef"))}};
  s.report.host_info.total_rows = 1;
  s.meta.vigil_version = "0.1.0";
  s.meta.host =
      boost::json::object{{"hostname", "web1"}, {"machine_id", "0123456789abcdef"}, {"os_id", "debian"}};
  return s;
}

Chain sign_chain(const crypto::HostKey& key, const SampleScan& scan, std::size_t n, std::int64_t first,
                 std::string prev) {
  Chain c;
  auto signer = make_scan_signer(key, scan.report, scan.meta, {{"site", "lab"}});
  for (std::size_t i = 0; i < n; ++i) {
    auto env = signer(ChainLink{first + static_cast<std::int64_t>(i), prev});
    REQUIRE(env.ok());
    prev = env->digest;
    c.envelopes.push_back(env->bytes);
    c.digests.push_back(env->digest);
  }
  return c;
}

BundleManifest sample_manifest() {
  BundleManifest m;
  m.host = "0123456789abcdef";
  m.from_ms = 1767225600000 - 86400000;
  m.to_ms = 1767225600000 + 86400000;
  m.created_at_ms = 1767225600000 + 3600000;
  return m;
}

std::string openssl_or_skip() {
  const std::string path = "/usr/bin/openssl";
  if (::access(path.c_str(), X_OK) == 0) return path;
  const char* ci = std::getenv("CI");
  if (ci != nullptr && *ci != '\0') FAIL("CI is set and " << path << " is missing");
  WARN(path << " is missing: skipped (set CI=true to make this a failure)");
  return "";
}

}  // namespace vigil::test
