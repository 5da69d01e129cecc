// Benchmark: the evidence cache. Prints figures; asserts nothing.
//
//   vigil_cache_bench [--scans N] [ROOT]   (default: 1000 scans of the
//                                           debian12-hardened fixture)
//
// One real scan of ROOT with the built-in packs is recorded N times (the
// start time advancing an hour each time, as a daemon would), each with an
// envelope of the size a DSSE envelope of the full report would have (the
// report JSON base64-encoded plus a signature; the real signer arrives with
// agent/attest). Printed: write time per scan (median, p95, max), database
// size per 1,000 scans, the cost of opening with and without PRAGMA
// quick_check, and of a retention pass that halves the cache.
#include <openssl/evp.h>
#include <stdlib.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cache.hpp"
#include "cache_support.hpp"
#include "crypto.hpp"
#include "engine.hpp"
#include "policy.hpp"
#include "report.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace vigil::agent;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// An envelope as large as the real one: the statement is the report JSON
// with the chain link, base64 in the DSSE payload, one 64-byte signature.
ScanSigner sized_signer(const std::string& report_json) {
  return [report_json](const ChainLink& link) -> vigil::Result<SignedEnvelope> {
    const std::string statement = "{\"sequence\":" + std::to_string(link.sequence) + ",\"previous\":\"" +
                                  link.previous_digest + "\",\"report\":" + report_json + "}";
    boost::json::object env{
        {"payloadType", "application/vnd.in-toto+json"},
        {"payload", base64(statement)},
        {"signatures", boost::json::array{boost::json::object{{"keyid", std::string(64, 'k')},
                                                              {"sig", base64(std::string(64, 's'))}}}}};
    SignedEnvelope e;
    e.bytes = boost::json::serialize(env);
    e.digest = vigil::crypto::sha256_hex(e.bytes);
    return e;
  };
}

struct Stats {
  double median = 0, p95 = 0, max = 0;
};
Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[v.size() * 95 / 100], v.back()};
}

}  // namespace

int main(int argc, char** argv) {
  long scans = 1000;
  std::string root = std::string(VIGIL_FIXTURES_DIR) + "/debian12-hardened";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--scans" && i + 1 < argc) {
      scans = std::max(10L, std::atol(argv[++i]));
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: vigil_cache_bench [--scans N] [ROOT]\n");
      return 0;
    } else {
      root = a;
    }
  }
  auto packs = builtin_packs();
  auto host = vigil::collectors::Host::open(root);
  if (!packs || !host) {
    std::fprintf(stderr, "setup: %s\n",
                 !packs ? packs.error().message.c_str() : host.error().message.c_str());
    return 1;
  }
  auto engine = Engine::create(*host);
  if (!engine) return 1;
  for (const auto& p : *packs) {
    if (!(*engine)->validate(p).ok()) return 1;
  }
  ScanReport report = (*engine)->scan(*packs);
  ReportMeta meta{"0.1.0", {}};
  for (std::size_t i = 0; i < report.host_info.columns.size() && !report.host_info.rows.empty(); ++i)
    meta.host[report.host_info.columns[i]] = value_to_json(report.host_info.rows[0][i]);
  const std::string report_json = boost::json::serialize(report_to_json(report, meta));
  std::size_t rows = 0;
  for (const auto& r : report.results) rows += r.evidence.rows.size();

  char tmpl[] = "/tmp/vigil-cache-bench-XXXXXX";
  const char* base = mkdtemp(tmpl);
  if (base == nullptr) return 1;
  const std::string dir = base;
  CacheOptions opts;
  opts.state_dir = dir;
  auto cache = Cache::open(opts);
  if (!cache) {
    std::fprintf(stderr, "%s\n", cache.error().message.c_str());
    return 1;
  }
  const auto sign = sized_signer(report_json);
  const auto envelope_bytes = sign({1, std::string(64, '0')})->bytes.size();
  std::printf("vigil_cache_bench: %ld scans of %s\n", scans, root.c_str());
  std::printf("  report: %zu results, %zu evidence rows, %zu bytes of JSON; envelope ~%zu bytes\n",
              report.results.size(), rows, report_json.size(), envelope_bytes);

  std::vector<double> write_ms;
  for (long i = 0; i < scans; ++i) {
    report.started_at_ms = 1'800'000'000'000 + i * 3'600'000;
    const auto t = Clock::now();
    auto rec = cache->record_scan(report, meta, sign);
    write_ms.push_back(ms_since(t));
    if (!rec) {
      std::fprintf(stderr, "record %ld: %s\n", i, rec.error().message.c_str());
      return 1;
    }
  }
  const auto w = stats(write_ms);
  std::printf("  write          per scan  median %.2f ms   p95 %.2f ms   max %.2f ms\n", w.median, w.p95,
              w.max);
  (void)cache->database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  auto st = cache->status();
  if (!st) return 1;
  const double per_1000 = static_cast<double>(st->file_bytes) * 1000.0 / static_cast<double>(scans);
  std::printf("  size           %lld bytes for %ld scans: %.1f MiB per 1,000 scans (%.1f KiB per scan)\n",
              static_cast<long long>(st->file_bytes), scans, per_1000 / 1048576.0,
              per_1000 / 1000.0 / 1024.0);
  const auto outbox = cache->database().query_int("SELECT sum(length(bytes)) FROM outbox");
  if (outbox)
    std::printf("                 of which envelopes %.1f MiB per 1,000 scans\n",
                static_cast<double>(*outbox) * 1000.0 / static_cast<double>(scans) / 1048576.0);

  for (bool check : {true, false}) {
    std::vector<double> open_ms;
    for (int i = 0; i < 5; ++i) {
      CacheOptions o = opts;
      o.access = CacheAccess::read_only;
      o.quick_check = check;
      const auto t = Clock::now();
      auto c = Cache::open(o);
      open_ms.push_back(ms_since(t));
      if (!c) return 1;
    }
    const auto o = stats(open_ms);
    std::printf("  open %-22s median %.2f ms   max %.2f ms\n",
                check ? "with quick_check" : "without quick_check", o.median, o.max);
  }

  RetentionPolicy half{0, 0, scans / 2};
  const auto t = Clock::now();
  auto rep = cache->apply_retention(half, vigil::test::fake_gap_signer());
  const double ret_ms = ms_since(t);
  if (!rep) {
    std::fprintf(stderr, "retention: %s\n", rep.error().message.c_str());
    return 1;
  }
  std::printf("  retention      removing %lld scans (%lld unshipped, %zu gap record): %.1f ms\n",
              static_cast<long long>(rep->scans_removed), static_cast<long long>(rep->unshipped_removed),
              rep->gaps.size(), ret_ms);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
