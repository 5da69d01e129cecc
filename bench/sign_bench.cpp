// Benchmark: signing and verifying scan envelopes (envelopes/s) for the
// baseline scan of a fixture host, beside `openssl speed ed25519` on the same
// machine (the ceiling: Ed25519 alone). Prints figures; asserts nothing.
//
//   vigil_sign_bench [--iterations N] [ROOT]   (default: the debian12-hardened fixture)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "attest.hpp"
#include "engine.hpp"
#include "policy.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "strings.hpp"
#include "verify.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void print_rate(const char* what, int n, double secs) {
  std::printf("  %-52s %8.0f /s  (%d in %.2f s)\n", what, n / secs, n, secs);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vigil;
  using namespace vigil::agent;
  int iterations = 2000;
  std::string root = std::string(VIGIL_FIXTURES_DIR) + "/debian12-hardened";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) {
      iterations = std::max(1, std::atoi(argv[++i]));
    } else {
      root = a;
    }
  }
  auto pack = builtin_baseline();
  if (!pack) {
    std::fprintf(stderr, "baseline: %s\n", pack.error().message.c_str());
    return 1;
  }
  const std::vector<PolicyPack> packs{*pack};
  auto host = collectors::Host::open(root);
  if (!host) {
    std::fprintf(stderr, "%s: %s\n", root.c_str(), host.error().message.c_str());
    return 1;
  }
  auto engine = Engine::create(*host);
  if (!engine) {
    std::fprintf(stderr, "engine: %s\n", engine.error().message.c_str());
    return 1;
  }
  const ScanReport report = (*engine)->scan(packs);
  const ReportMeta meta{"bench", vigil::agent::host_info_object(report.host_info)};
  std::size_t rows = 0;
  for (const auto& r : report.results) rows += r.evidence.rows.size();
  auto key = crypto::HostKey::generate();
  if (!key) {
    std::fprintf(stderr, "key: %s\n", key.error().message.c_str());
    return 1;
  }
  const ChainLink link{42, std::string(64, 'a')};
  const std::string statement = scan_statement(report, meta, {}, link, key->key_id());
  std::printf("sign_bench: baseline scan of %s: %zu results, %zu evidence rows\n", root.c_str(),
              report.results.size(), rows);
  std::printf("  statement %zu bytes\n", statement.size());

  // Signing: what the cache's transaction waits for (statement + PAE + Ed25519 + envelope).
  auto t = Clock::now();
  auto signer = make_scan_signer(*key, report, meta, {});
  const double prepare = seconds_since(t);
  std::vector<std::string> envelopes;
  std::string prev;
  t = Clock::now();
  for (int i = 0; i < iterations; ++i) {
    auto env = signer(ChainLink{i + 1, prev});
    if (!env) {
      std::fprintf(stderr, "sign: %s\n", env.error().message.c_str());
      return 1;
    }
    prev = env->digest;
    if (envelopes.size() < 200) envelopes.push_back(std::move(env->bytes));
  }
  const double sign_s = seconds_since(t);
  std::printf("  envelope %zu bytes; make_scan_signer (results JSON + digest) %.2f ms\n", envelopes[0].size(),
              prepare * 1e3);
  print_rate("signed envelopes (statement, PAE, Ed25519, envelope)", iterations, sign_s);

  const std::string pae = dsse_pae(kDssePayloadType, statement);
  t = Clock::now();
  for (int i = 0; i < iterations; ++i) {
    if (!key->sign(pae)) return 1;
  }
  print_rate("Ed25519 signatures of that PAE alone", iterations, seconds_since(t));

  // Verifying: parse, signature, canonical form and subject digest.
  t = Clock::now();
  int verified = 0;
  for (int i = 0; i < iterations; ++i) {
    auto env = parse_envelope(envelopes[static_cast<std::size_t>(i) % envelopes.size()]);
    if (!env || !verify_envelope(*env, key->public_key()).ok()) return 1;
    auto st = decode_statement(*env);
    if (!st || st->computed_digest != st->subject_digest) return 1;
    ++verified;
  }
  print_rate("verified envelopes (parse, Ed25519, canonical, digest)", verified, seconds_since(t));
  const auto sig = key->sign(pae).value();
  t = Clock::now();
  for (int i = 0; i < iterations; ++i) {
    if (!key->public_key().verify(pae, sig)) return 1;
  }
  print_rate("Ed25519 verifications of that PAE alone", iterations, seconds_since(t));

  BundleManifest m;
  m.host = host_identity(meta);
  m.from_ms = 0;
  m.to_ms = report.started_at_ms + 1;
  auto bundle = make_bundle(envelopes, key->public_key(), m);
  if (!bundle) {
    std::fprintf(stderr, "bundle: %s\n", bundle.error().message.c_str());
    return 1;
  }
  t = Clock::now();
  const auto vr = verify_bundle(*bundle);
  const double vb = seconds_since(t);
  std::printf("  verify_bundle of %zu envelopes (%.1f MB): %.1f ms, %.0f envelopes/s, %s\n", envelopes.size(),
              static_cast<double>(bundle->size()) / 1e6, vb * 1e3, static_cast<double>(envelopes.size()) / vb,
              vr.ok() ? "intact" : "FAILED");

  // The same machine's Ed25519 ceiling, measured by OpenSSL itself.
  const std::string openssl = "/usr/bin/openssl";
  std::printf("openssl speed -seconds 2 ed25519 (%s):\n", openssl.c_str());
  auto r = collectors::run_program(openssl, {"speed", "-seconds", "2", "ed25519"},
                                   collectors::RunOptions{std::chrono::milliseconds(60000), 1u << 20});
  if (!r) {
    std::printf("  not run: %s\n", r.error().message.c_str());
    return 0;
  }
  for (auto line : split_lines(r->out)) {
    if (line.find("sign") != std::string_view::npos || line.find("Ed25519") != std::string_view::npos)
      std::printf("  %.*s\n", static_cast<int>(line.size()), line.data());
  }
  return 0;
}
