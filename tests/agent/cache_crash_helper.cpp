// Test helper for the cache crash test: records scans into STATE_DIR in a
// loop until it is killed (or after MAX scans). Scan with sequence s has
// expected_results(s) results, so the test can tell a partial scan.
//
//   vigil_cache_crash_helper STATE_DIR [MAX]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cache.hpp"
#include "cache_support.hpp"

using namespace vigil::agent;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: vigil_cache_crash_helper STATE_DIR [MAX]\n");
    return 2;
  }
  const long max = argc > 2 ? std::atol(argv[2]) : 1000000;
  CacheOptions o;
  o.state_dir = argv[1];
  auto cache = Cache::open(o);
  if (!cache) {
    std::fprintf(stderr, "open: %s\n", cache.error().message.c_str());
    return 1;
  }
  vigil::test::ScanFactory factory(40);
  const auto sign = vigil::test::fake_scan_signer("crash");
  for (long i = 0; i < max; ++i) {
    auto st = cache->status();
    if (!st) return 1;
    const std::int64_t next = st->last_sequence + 1;
    // 10..40 results, with 30 evidence rows each: several ms of writing.
    const auto n = static_cast<std::size_t>(10 + next % 31);
    std::vector<Verdict> verdicts;
    for (std::size_t k = 0; k < n; ++k)
      verdicts.push_back((k + static_cast<std::size_t>(next)) % 3 == 0 ? Verdict::fail : Verdict::pass);
    auto rec = cache->record_scan(factory.report(verdicts, 1'800'000'000'000 + next * 1000, 30),
                                  factory.meta(), sign);
    if (!rec) {
      std::fprintf(stderr, "record: %s\n", rec.error().message.c_str());
      return 1;
    }
    std::printf("%lld\n", static_cast<long long>(rec->sequence));
    std::fflush(stdout);
  }
  return 0;
}
