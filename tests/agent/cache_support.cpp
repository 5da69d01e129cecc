#include "cache_support.hpp"

#include <openssl/evp.h>

#include <boost/json.hpp>

namespace vigil::test {

namespace json = boost::json;
using agent::Verdict;

std::string sha256_hex_evp(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xF]);
  }
  return out;
}

agent::ScanSigner fake_scan_signer(std::string tag) {
  return [tag](const agent::ChainLink& link) -> Result<agent::SignedEnvelope> {
    json::object o{
        {"type", "scan"}, {"sequence", link.sequence}, {"previous", link.previous_digest}, {"host", tag}};
    agent::SignedEnvelope e;
    e.bytes = json::serialize(o);
    e.digest = sha256_hex_evp(e.bytes);
    return e;
  };
}

agent::GapSigner fake_gap_signer() {
  return [](const agent::ChainLink& link, const agent::GapInfo& gap) -> Result<agent::SignedEnvelope> {
    json::object o{{"type", "gap"},
                   {"sequence", link.sequence},
                   {"previous", link.previous_digest},
                   {"first", gap.first_sequence},
                   {"last", gap.last_sequence},
                   {"first_time_ms", gap.first_time_ms},
                   {"last_time_ms", gap.last_time_ms},
                   {"reason", gap.reason}};
    agent::SignedEnvelope e;
    e.bytes = json::serialize(o);
    e.digest = sha256_hex_evp(e.bytes);
    return e;
  };
}

ScanFactory::ScanFactory(std::size_t checks, std::string pack_id)
    : pack_(std::make_unique<agent::PolicyPack>()) {
  pack_->id = std::move(pack_id);
  pack_->title = "Test pack";
  pack_->version = "2026.12.0";
  pack_->source = "builtin:test-pack";
  for (std::size_t i = 0; i < checks; ++i) {
    agent::Check c;
    c.id = "c" + std::to_string(i);
    c.title = "Check " + std::to_string(i);
    c.severity = agent::Severity::high;
    c.controls_2022 = {i % 2 == 0 ? "A.8.5" : "A.8.8"};
    c.controls_2013 = {i % 2 == 0 ? "A.9.4.2" : "A.12.6.1"};
    c.query = "SELECT 1 AS compliant";
    pack_->checks.push_back(std::move(c));
  }
}

agent::ScanReport ScanFactory::report(const std::vector<Verdict>& verdicts, std::int64_t started_at_ms,
                                      std::size_t rows_per_result, bool truncated) const {
  agent::ScanReport r;
  r.root = "/";
  r.started_at_ms = started_at_ms;
  r.duration_ms = 12.5;
  r.packs = {pack_.get()};
  r.host_info.columns = {"hostname", "os_id"};
  r.host_info.rows = {{std::string("host-1"), std::string("debian")}};
  r.host_info.total_rows = 1;
  for (std::size_t i = 0; i < verdicts.size() && i < pack_->checks.size(); ++i) {
    agent::CheckResult cr;
    cr.pack = pack_.get();
    cr.check = &pack_->checks[i];
    cr.verdict = verdicts[i];
    cr.message =
        verdicts[i] == Verdict::pass ? "" : std::string("because ") + agent::verdict_name(verdicts[i]);
    cr.evidence.columns = {"file", "line", "value", "compliant"};
    for (std::size_t k = 0; k < rows_per_result; ++k) {
      cr.evidence.rows.push_back(
          {std::string("/etc/test/") + cr.check->id + ".conf", static_cast<std::int64_t>(k + 1),
           std::string(agent::verdict_name(verdicts[i])) + " value " + std::to_string(k),
           static_cast<std::int64_t>(verdicts[i] == Verdict::pass ? 1 : 0)});
    }
    cr.evidence.total_rows = rows_per_result + (truncated ? 1 : 0);
    cr.duration_ms = 0.25;
    r.results.push_back(std::move(cr));
  }
  return r;
}

agent::ReportMeta ScanFactory::meta(std::string host) const {
  agent::ReportMeta m;
  m.vigil_version = "0.1.0-test";
  m.host = json::object{{"hostname", std::move(host)}, {"os_id", "debian"}};
  return m;
}

}  // namespace vigil::test
