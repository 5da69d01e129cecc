// Benchmark: a real `vigil-store serve` on loopback, fed by many simulated
// agents at once. Each agent has its own host key and identity, enrolls
// through POST /v1/enroll with an enrollment token made by `vigil-store
// token create`, and ships its chain of signed scan envelopes in batches with
// the Vigil-Host request signature, over client threads that each own an
// HttpClient (libcurl, keep-alive), as `vigil ship` does. Everything is
// signed before the timed phase, so the timed phase is the store's work:
// TLS, request signature, JSON, every envelope's Ed25519 signature,
// statement and chain checks, and the SQLite writes. Prints envelopes/s,
// request latency, the store's CPU time and peak RSS, and the ratio to
// `openssl speed ed25519`'s verify rate on the same machine. Asserts
// nothing about time; fails (exit 1) when any envelope is not accepted.
//
//   vigil_store_bench [--agents 32] [--envelopes 50] [--batch 10] [--threads 8]
//                     [--store-threads 4] [--envelope-bytes N] [--openssl-seconds 2] [ROOT]
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "store_bench_agents.hpp"
#include "store_bench_support.hpp"
#include "runner.hpp"
#include "strings.hpp"

namespace {

using namespace vigil;
using namespace vigil::bench;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int fail(const std::string& what) {
  std::fprintf(stderr, "vigil_store_bench: %s\n", what.c_str());
  return 1;
}

constexpr const char* kUsage =
    "usage: vigil_store_bench [--agents N] [--envelopes M] [--batch B] [--threads T]\n"
    "                         [--store-threads S] [--envelope-bytes BYTES] [--openssl-seconds S] [ROOT]\n";

struct Options {
  BenchShape shape;
  unsigned store_threads = 4;  // the store's default limits.threads
  int openssl_seconds = 2;
};

// Whole numbers >= 1 for every option; false (usage printed) otherwise.
bool parse_options(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf("%s", kUsage);
      std::exit(0);
    }
    if (a.rfind("--", 0) != 0) {
      o.shape.root = a;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "vigil_store_bench: %s needs a value\n%s", a.c_str(), kUsage);
      return false;
    }
    char* end = nullptr;
    const long v = std::strtol(argv[++i], &end, 10);
    if (end == argv[i] || *end != '\0' || v < 1 || v > 100'000'000) {
      std::fprintf(stderr, "vigil_store_bench: %s must be a whole number >= 1, not '%s'\n", a.c_str(), argv[i]);
      return false;
    }
    const auto u = static_cast<std::size_t>(v);
    if (a == "--agents") o.shape.agents = u;
    else if (a == "--envelopes") o.shape.envelopes = u;
    else if (a == "--batch") o.shape.batch = u;
    else if (a == "--threads") o.shape.threads = u;
    else if (a == "--store-threads") o.store_threads = static_cast<unsigned>(u);
    else if (a == "--envelope-bytes") o.shape.envelope_bytes = u;
    else if (a == "--openssl-seconds") o.openssl_seconds = static_cast<int>(std::min<long>(v, 60));
    else {
      std::fprintf(stderr, "vigil_store_bench: unknown option %s\n%s", a.c_str(), kUsage);
      return false;
    }
  }
  if (o.shape.batch > 1000) {
    std::fprintf(stderr, "vigil_store_bench: --batch is at most 1000 (the store's limit per request)\n");
    return false;
  }
  return true;
}

std::string store_config(const Pki& pki, const std::string& dir, unsigned threads) {
  return "listen: 127.0.0.1:0\n"
         "tls:\n  certificate: " + pki.server_cert + "\n  private_key: " + pki.server_key +
         "\n"
         "database:\n  path: " + dir + "/store.db\n"
         "limits:\n  threads: " + std::to_string(threads) + "\n";
}

// `vigil-store token create` prints the secret alone on stdout.
Result<std::string> make_token(const std::string& config, const std::string& role, std::size_t uses) {
  std::vector<std::string> args{"token", "create", "--config", config, "--role", role, "--name", "bench"};
  if (uses > 0) args.insert(args.end(), {"--uses", std::to_string(uses)});
  auto r = collectors::run_program(VIGIL_STORE_BINARY, args, collectors::RunOptions{std::chrono::seconds(30)});
  if (!r) return r.error();
  if (r->exit_code != 0) return make_error(Errc::io, "vigil-store token create: " + r->err);
  return std::string(trim(r->out));
}

void print_ms(const char* what, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::printf("  %-26s p50 %8.2f ms   p99 %8.2f ms   max %8.2f ms   (%zu)\n", what, quantile(v, 0.5) * 1e3,
              quantile(v, 0.99) * 1e3, v.empty() ? 0.0 : v.back() * 1e3, v.size());
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse_options(argc, argv, opt)) return 2;
  const BenchShape& shape = opt.shape;
  const Machine machine = describe_machine();  // the load before we add any
  std::printf("vigil_store_bench: %s serve on 127.0.0.1\n", VIGIL_STORE_BINARY);
  std::printf("  machine      %u cores, %s, %s\n", machine.cores, machine.cpu_model.c_str(), machine.kernel.c_str());
  std::printf("  load average %s (at start)\n", machine.load_average.c_str());
  std::printf("  parameters   %zu agents x %zu envelopes, batches of %zu, %zu client threads, store limits.threads %u\n",
              shape.agents, shape.envelopes, shape.batch, shape.threads, opt.store_threads);

  auto statement = make_statement_source(shape);
  if (!statement) return fail(statement.error().message);
  std::printf("  envelopes    %s\n", statement->describe().c_str());

  auto dir = TempDir::create("vigil-store-bench-");
  if (!dir) return fail(dir.error().message);
  auto pki = make_pki(dir->path());
  if (!pki) return fail("certificates: " + pki.error().message);
  const std::string config = dir->path() + "/store.yaml";
  if (auto s = write_text(config, store_config(*pki, dir->path(), opt.store_threads)); !s)
    return fail(s.error().message);
  auto store = StoreProcess::start(VIGIL_STORE_BINARY, config, dir->path());
  if (!store) return fail(store.error().message);
  const std::string base_url = "https://127.0.0.1:" + std::to_string(store->port());
  auto enroll_token = make_token(config, "enroll", shape.agents);
  auto admin_token = make_token(config, "admin", 0);
  if (!enroll_token || !admin_token)
    return fail("token create: " + (enroll_token ? admin_token.error() : enroll_token.error()).message);

  // Enroll every agent, then sign every envelope and request (untimed).
  auto t = Clock::now();
  auto fleet = make_fleet(shape, *statement, base_url, pki->ca_cert, *enroll_token);
  if (!fleet) return fail(fleet.error().message + "\nstore log: " + store->log_tail());
  std::printf("  prepared     %zu agents enrolled, %zu envelopes and %zu requests signed in %.1f s (untimed)\n",
              shape.agents, fleet->envelope_count(), fleet->request_count(), seconds_since(t));
  std::printf("  request body %.0f KiB on average\n", fleet->mean_body_bytes() / 1024.0);

  auto before = store->stats();
  if (!before) return fail(before.error().message);
  const auto ingest = run_ingest(*fleet, shape, base_url, pki->ca_cert);
  if (!ingest) return fail(ingest.error().message + "\nstore log: " + store->log_tail());
  auto after = store->stats();
  if (!after) return fail(after.error().message);
  if (auto s = check_answers(*fleet, *ingest); !s) return fail(s.error().message);
  auto chains = check_chains(*fleet, shape, base_url, pki->ca_cert, *admin_token);
  if (!chains) return fail(chains.error().message);
  auto exit_code = store->stop();
  if (!exit_code) return fail(exit_code.error().message);

  const double n = static_cast<double>(fleet->envelope_count());
  const double rate = n / ingest->wall_s;
  const double cpu = after->cpu_seconds - before->cpu_seconds;
  std::printf("ingest (timed, every envelope verified and stored):\n");
  std::printf("  wall                       %.2f s\n", ingest->wall_s);
  std::printf("  accepted                   %zu of %zu envelopes; %s\n", fleet->envelope_count(),
              fleet->envelope_count(), chains->c_str());
  std::printf("  rate                       %.1f envelopes/s   (%.1f MB/s of request bodies)\n", rate,
              fleet->mean_body_bytes() * static_cast<double>(fleet->request_count()) / ingest->wall_s / 1e6);
  print_ms("request latency", ingest->request_s);
  std::vector<double> per_env;
  for (double r : ingest->request_s) per_env.push_back(r / static_cast<double>(shape.batch));
  print_ms("  per envelope (÷ batch)", per_env);
  std::printf("  store CPU                  %.2f s over the phase (%.0f %% of one core), %.1f envelopes per CPU-second\n",
              cpu, 100.0 * cpu / ingest->wall_s, cpu > 0 ? n / cpu : 0.0);
  std::printf("  store peak RSS             %.1f MiB (VmHWM); exit status %d after SIGTERM\n",
              static_cast<double>(after->peak_rss_kib) / 1024.0, *exit_code);

  std::printf("reference, one core of this machine:\n");
  std::printf("  %-26s %8.1f envelopes/s (parse, Ed25519, canonical form, digest; no TLS, no SQLite)\n",
              "in-process verify", statement->verify_rate());
  std::printf("  %-26s %8.1f /s (Ed25519 over this envelope's PAE alone)\n", "in-process Ed25519",
              statement->ed25519_rate());
  auto speed = openssl_speed_ed25519(opt.openssl_seconds);
  if (!speed) {
    std::printf("  openssl speed not run: %s\n", speed.error().message.c_str());
    return 0;
  }
  const double cores = std::min<double>(opt.store_threads, std::max(1u, machine.cores));
  std::printf("  openssl speed -seconds %d ed25519: %s\n", opt.openssl_seconds, speed->line.c_str());
  std::printf("  openssl verify/s           %8.1f\n", speed->verify_per_s);
  std::printf("ratio (goal >= 30 %%):\n");
  std::printf("  store ÷ openssl verify     %.1f %%   (%.1f ÷ %.1f)\n", 100.0 * rate / speed->verify_per_s, rate,
              speed->verify_per_s);
  std::printf("  per core                   %.1f %%   (%.1f envelopes/s ÷ min(%u store threads, %u cores) = %.1f)\n",
              100.0 * rate / cores / speed->verify_per_s, rate, opt.store_threads, machine.cores, rate / cores);
  std::printf("  per store CPU-second       %.1f %%   (%.1f envelopes per CPU-second)\n",
              cpu > 0 ? 100.0 * n / cpu / speed->verify_per_s : 0.0, cpu > 0 ? n / cpu : 0.0);
  return 0;
}
