// The statement vigil_store_bench's agents sign: the built-in baseline's scan
// of a fixture host, as sign_bench makes it, optionally cut (fewer results,
// fewer evidence rows) or grown (evidence rows repeated) to about
// --envelope-bytes, so the store parses and indexes real results either way.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "attest.hpp"
#include "store_bench_agents.hpp"

namespace vigil::bench {

namespace {

using Clock = std::chrono::steady_clock;

// The envelope size of report, signed for a typical bench agent.
Result<std::size_t> envelope_size(const agent::ScanReport& report, const crypto::HostKey& key) {
  const agent::ReportMeta meta{"bench", boost::json::object{{"machine_id", std::string(32, '0')},
                                                            {"hostname", "bench-agent-0"}}};
  auto env = agent::make_scan_signer(key, report, meta, {{"env", "bench"}})(agent::ChainLink{1, ""});
  if (!env) return env.error();
  return env->bytes.size();
}

void set_rows(agent::CheckResult& r, std::vector<collectors::Row> rows) {
  r.evidence.rows = std::move(rows);
  r.evidence.total_rows = r.evidence.rows.size();
}

// Cuts the report to at most `target` bytes of envelope: the longest prefix
// of results that fits, else the first result with the rows that fit.
Status cut_to(agent::ScanReport& report, std::size_t target, const crypto::HostKey& key) {
  const auto all = report.results;
  auto fits = [&](std::size_t k) -> Result<bool> {
    report.results.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k));
    auto n = envelope_size(report, key);
    if (!n) return n.error();
    return *n <= target;
  };
  std::size_t lo = 1, hi = all.size();  // largest k in [1, hi] that fits, or 1
  while (lo < hi) {
    const std::size_t mid = (lo + hi + 1) / 2;
    auto f = fits(mid);
    if (!f) return f.error();
    if (*f) lo = mid;
    else hi = mid - 1;
  }
  auto f = fits(lo);
  if (!f) return f.error();
  if (*f || lo > 1) return {};
  // One result is still too big: keep fewer of its rows.
  while (!report.results[0].evidence.rows.empty()) {
    auto n = envelope_size(report, key);
    if (!n) return n.error();
    if (*n <= target) break;
    auto keep = report.results[0].evidence.rows;
    keep.pop_back();
    set_rows(report.results[0], std::move(keep));
  }
  return {};
}

// Grows the report to at least `target` bytes of envelope by repeating each
// result's evidence rows (as a host with many more files or packages would).
Status grow_to(agent::ScanReport& report, std::size_t target, const crypto::HostKey& key) {
  const auto base = report.results;
  for (std::size_t times = 2; times < 100000; times = times * 3 / 2 + 1) {
    auto n = envelope_size(report, key);
    if (!n) return n.error();
    if (*n >= target) return {};
    for (std::size_t i = 0; i < base.size(); ++i) {
      std::vector<collectors::Row> rows;
      for (std::size_t t = 0; t < times; ++t)
        rows.insert(rows.end(), base[i].evidence.rows.begin(), base[i].evidence.rows.end());
      set_rows(report.results[i], std::move(rows));
    }
  }
  return {};
}

template <typename F>
double rate_of(F&& once) {
  int n = 0;
  const auto t = Clock::now();
  double s = 0;
  while (n < 20 || s < 0.5) {
    if (!once()) return 0;
    ++n;
    s = std::chrono::duration<double>(Clock::now() - t).count();
  }
  return n / s;
}

}  // namespace

Result<agent::SignedEnvelope> StatementSource::sign(const crypto::HostKey& key, const agent::ReportMeta& meta,
                                                    std::int64_t started_at_ms,
                                                    const agent::ChainLink& link) const {
  agent::ScanReport r = report;
  r.started_at_ms = started_at_ms;
  return agent::make_scan_signer(key, r, meta, {{"env", "bench"}})(link);
}

std::string StatementSource::describe() const {
  return what + ", " + std::to_string(envelope_size) + " bytes each";
}

Result<StatementSource> make_statement_source(const BenchShape& shape) {
  StatementSource s;
  auto pack = agent::builtin_baseline();
  if (!pack) return make_error(pack.error().code, "baseline: " + pack.error().message);
  s.packs = std::make_unique<std::vector<agent::PolicyPack>>(std::vector<agent::PolicyPack>{std::move(*pack)});
  auto host = collectors::Host::open(shape.root);
  if (!host) return make_error(host.error().code, shape.root + ": " + host.error().message);
  auto engine = agent::Engine::create(*host);
  if (!engine) return make_error(engine.error().code, "engine: " + engine.error().message);
  s.report = (*engine)->scan(*s.packs);
  s.report.host_info = {};  // each agent names its own host (ReportMeta)
  auto key = crypto::HostKey::generate();
  if (!key) return key.error();
  auto full = envelope_size(s.report, *key);
  if (!full) return full.error();
  if (shape.envelope_bytes > 0 && shape.envelope_bytes < *full) {
    if (auto st = cut_to(s.report, shape.envelope_bytes, *key); !st) return st.error();
  } else if (shape.envelope_bytes > *full) {
    if (auto st = grow_to(s.report, shape.envelope_bytes, *key); !st) return st.error();
  }
  std::size_t rows = 0;
  for (const auto& r : s.report.results) rows += r.evidence.rows.size();
  s.what = "baseline scan of " + shape.root + (shape.envelope_bytes > 0 ? ", sized to --envelope-bytes " +
                                                                              std::to_string(shape.envelope_bytes)
                                                                        : std::string()) +
           ": " + std::to_string(s.report.results.size()) + " results, " + std::to_string(rows) +
           " evidence rows";
  auto size = envelope_size(s.report, *key);
  if (!size) return size.error();
  s.envelope_size = *size;

  // What the store does per envelope before SQLite, on one core.
  const agent::ReportMeta meta{"bench", boost::json::object{{"machine_id", std::string(32, '0')}}};
  auto env = s.sign(*key, meta, s.report.started_at_ms, agent::ChainLink{1, ""});
  if (!env) return env.error();
  s.verify_rate_ = rate_of([&] {
    auto e = agent::parse_envelope(env->bytes);
    if (!e || !agent::verify_envelope(*e, key->public_key()).ok()) return false;
    auto st = agent::decode_statement(*e);
    return st.ok() && st->computed_digest == st->subject_digest;
  });
  auto parsed = agent::parse_envelope(env->bytes);
  if (!parsed || parsed->signatures.empty()) return make_error(Errc::internal, "the bench envelope does not parse");
  const std::string pae = agent::dsse_pae(parsed->payload_type, parsed->payload);
  const std::string sig = parsed->signatures[0].sig;
  s.ed25519_rate_ = rate_of([&] { return key->public_key().verify(pae, sig); });
  if (s.verify_rate_ == 0 || s.ed25519_rate_ == 0)
    return make_error(Errc::internal, "the bench envelope does not verify");
  return s;
}

}  // namespace vigil::bench
