// bench/store_bench_agents.hpp: enrollment, pre-signed requests, the timed
// ingest and the checks of its answers.
#include "store_bench_agents.hpp"

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <latch>
#include <mutex>
#include <thread>

#include "enrollment.hpp"
#include "http_client.hpp"
#include "request_auth.hpp"
#include "shipper.hpp"

namespace vigil::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kHourMs = 3'600'000;

Result<std::unique_ptr<agent::HttpClient>> client(const std::string& base_url, const std::string& ca_file) {
  agent::HttpClientOptions o;
  o.base_url = base_url;
  o.tls.ca_file = ca_file;
  o.user_agent = "vigil_store_bench";
  return agent::HttpClient::create(o);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Runs fn(i) for i in [0, n) on up to `threads` threads; the first error wins.
template <typename F>
Status parallel_for(std::size_t n, std::size_t threads, F&& fn) {
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  Status first;
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < std::min(n, threads); ++t) {
    pool.emplace_back([&] {
      for (std::size_t i = next++; i < n; i = next++) {
        Status s = fn(i);
        if (!s) {
          std::lock_guard<std::mutex> lock(mu);
          if (first) first = s;
          return;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  return first;
}

struct AgentKey {
  crypto::HostKey key;
  std::string identity;
};

}  // namespace

std::size_t Fleet::envelope_count() const {
  std::size_t n = 0;
  for (const auto& a : agents)
    for (const auto& r : a.requests) n += r.records.size();
  return n;
}

std::size_t Fleet::request_count() const {
  std::size_t n = 0;
  for (const auto& a : agents) n += a.requests.size();
  return n;
}

double Fleet::mean_body_bytes() const {
  double bytes = 0;
  for (const auto& a : agents)
    for (const auto& r : a.requests) bytes += static_cast<double>(r.body.size());
  const auto n = request_count();
  return n == 0 ? 0 : bytes / static_cast<double>(n);
}

Result<Fleet> make_fleet(const BenchShape& shape, const StatementSource& source, const std::string& base_url,
                         const std::string& ca_file, const std::string& token) {
  auto http = client(base_url, ca_file);
  if (!http) return http.error();
  Fleet fleet;
  fleet.target = (*http)->target("/v1/evidence");
  std::vector<AgentKey> keys;
  for (std::size_t i = 0; i < shape.agents; ++i) {
    auto key = crypto::HostKey::generate();
    if (!key) return key.error();
    // A machine-id-like identity (32 hex digits), unique per key.
    std::string identity = key->key_id().substr(0, 32);
    agent::EnrollRequest req{token, identity,
                             boost::json::object{{"hostname", "bench-agent-" + std::to_string(i)},
                                                 {"machine_id", identity},
                                                 {"agent_version", "bench"},
                                                 {"scope", boost::json::object{{"env", "bench"}}}}};
    auto e = agent::enroll_host(**http, *key, req);
    if (!e) return make_error(e.error().code, "enrolling agent " + std::to_string(i) + ": " + e.error().message);
    fleet.agents.push_back(BenchAgent{e->host_id, {}});
    keys.push_back(AgentKey{std::move(*key), std::move(identity)});
  }

  // Scans an hour apart, the last one an hour ago; requests signed now, so
  // the timed phase must start within the store's 300 s clock window.
  const std::int64_t first_ms = now_ms() - static_cast<std::int64_t>(shape.envelopes + 1) * kHourMs;
  const std::int64_t now_s = now_ms() / 1000;
  Status s = parallel_for(shape.agents, std::max<std::size_t>(1, shape.threads), [&](std::size_t i) -> Status {
    const AgentKey& k = keys[i];
    BenchAgent& a = fleet.agents[i];
    const agent::ReportMeta meta{
        "bench", boost::json::object{{"machine_id", k.identity}, {"hostname", "bench-agent-" + std::to_string(i)}}};
    std::string prev;
    std::vector<agent::EnvelopeRecord> batch;
    for (std::size_t j = 0; j < shape.envelopes; ++j) {
      const auto seq = static_cast<std::int64_t>(j + 1);
      auto env = source.sign(k.key, meta, first_ms + seq * kHourMs, agent::ChainLink{seq, prev});
      if (!env) return make_error(env.error().code, "signing: " + env.error().message);
      prev = env->digest;
      agent::EnvelopeRecord rec;
      rec.sequence = seq;
      rec.digest = env->digest;
      rec.bytes = std::move(env->bytes);
      rec.kind = "scan";
      batch.push_back(std::move(rec));
      if (batch.size() == shape.batch || j + 1 == shape.envelopes) {
        BenchRequest r;
        r.body = agent::evidence_request_body(a.host_id, batch);
        auto auth = request_auth::make_authorization(k.key, a.host_id, "POST", fleet.target, r.body, now_s);
        if (!auth) return auth.error();
        r.authorization = std::move(*auth);
        for (auto& b : batch) b.bytes = std::string();  // the body holds them now
        r.records = std::move(batch);
        batch.clear();
        a.requests.push_back(std::move(r));
      }
    }
    return {};
  });
  if (!s) return s.error();
  return fleet;
}

Result<IngestRun> run_ingest(const Fleet& fleet, const BenchShape& shape, const std::string& base_url,
                             const std::string& ca_file) {
  const std::size_t threads = std::max<std::size_t>(1, std::min(shape.threads, fleet.agents.size()));
  IngestRun run;
  run.bodies.resize(fleet.agents.size());
  for (std::size_t i = 0; i < fleet.agents.size(); ++i) run.bodies[i].resize(fleet.agents[i].requests.size());
  std::vector<std::vector<double>> latencies(threads);
  std::vector<Status> errors(threads);
  std::atomic<bool> failed{false};
  std::latch ready(static_cast<std::ptrdiff_t>(threads + 1));
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      // Connected (TLS handshake done) before the clock starts, as an agent
      // that keeps its connection between batches.
      auto http = client(base_url, ca_file);
      if (http) {
        auto warm = (*http)->get((*http)->target("/v1/health"));
        if (!warm) errors[t] = warm.error();
      } else {
        errors[t] = http.error();
      }
      ready.arrive_and_wait();
      if (!errors[t]) {
        failed = true;
        return;
      }
      std::size_t most = 0;
      for (std::size_t a = t; a < fleet.agents.size(); a += threads)
        most = std::max(most, fleet.agents[a].requests.size());
      for (std::size_t k = 0; k < most && !failed; ++k) {
        for (std::size_t a = t; a < fleet.agents.size() && !failed; a += threads) {
          const BenchAgent& ag = fleet.agents[a];
          if (k >= ag.requests.size()) continue;
          const BenchRequest& req = ag.requests[k];
          const agent::HttpHeaders headers{{"Content-Type", "application/json"},
                                           {"Authorization", req.authorization}};
          const auto t0 = Clock::now();
          auto resp = (*http)->post(fleet.target, headers, req.body);
          latencies[t].push_back(std::chrono::duration<double>(Clock::now() - t0).count());
          const std::string what = "agent " + std::to_string(a) + " (" + ag.host_id + ") batch " +
                                   std::to_string(k);
          if (!resp) {
            errors[t] = make_error(resp.error().code, what + ": " + resp.error().message);
          } else if (resp->status != 200) {
            errors[t] = make_error(Errc::invalid, what + ": the store answered " + std::to_string(resp->status) +
                                                      ": " + agent::store_error_message(*resp));
          } else {
            run.bodies[a][k] = std::move(resp->body);
            continue;
          }
          failed = true;
        }
      }
    });
  }
  ready.arrive_and_wait();
  const auto start = Clock::now();
  for (auto& th : pool) th.join();
  run.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& e : errors)
    if (!e) return e.error();
  for (auto& l : latencies) run.request_s.insert(run.request_s.end(), l.begin(), l.end());
  return run;
}

Status check_answers(const Fleet& fleet, const IngestRun& run) {
  for (std::size_t a = 0; a < fleet.agents.size(); ++a) {
    const BenchAgent& ag = fleet.agents[a];
    for (std::size_t k = 0; k < ag.requests.size(); ++k) {
      const std::string what = "agent " + std::to_string(a) + " batch " + std::to_string(k);
      auto answers = agent::parse_evidence_response(run.bodies[a][k], ag.host_id, ag.requests[k].records);
      if (!answers) return make_error(answers.error().code, what + ": " + answers.error().message);
      for (std::size_t i = 0; i < answers->size(); ++i) {
        const auto& ans = (*answers)[i];
        if (ans.status != agent::EnvelopeStatus::accepted)
          return make_error(Errc::invalid,
                            what + " envelope " + std::to_string(i) + " (sequence " +
                                std::to_string(ag.requests[k].records[i].sequence) + ") was not accepted: " +
                                (ans.status == agent::EnvelopeStatus::duplicate ? "duplicate" : ans.reason));
      }
    }
  }
  return {};
}

Result<std::string> check_chains(const Fleet& fleet, const BenchShape& shape, const std::string& base_url,
                                 const std::string& ca_file, const std::string& admin_token) {
  auto http = client(base_url, ca_file);
  if (!http) return http.error();
  auto resp = (*http)->get((*http)->target("/v1/hosts"), {{"Authorization", "Bearer " + admin_token}});
  if (!resp) return make_error(resp.error().code, "GET /v1/hosts: " + resp.error().message);
  if (resp->status != 200)
    return make_error(Errc::invalid, "GET /v1/hosts: " + std::to_string(resp->status) + ": " +
                                         agent::store_error_message(*resp));
  boost::system::error_code ec;
  const auto v = boost::json::parse(resp->body, ec);
  const auto* hosts = !ec && v.is_object() ? v.as_object().if_contains("hosts") : nullptr;
  if (hosts == nullptr || !hosts->is_array()) return make_error(Errc::parse, "GET /v1/hosts: no hosts array");
  std::size_t ok = 0;
  for (const auto& ag : fleet.agents) {
    bool found = false;
    for (const auto& h : hosts->as_array()) {
      const auto* o = h.if_object();
      if (o == nullptr || o->if_contains("host_id") == nullptr || o->at("host_id") != ag.host_id.c_str()) continue;
      found = true;
      const auto* chain = o->if_contains("chain");
      const auto* c = chain != nullptr ? chain->if_object() : nullptr;
      const auto* last = c != nullptr ? c->if_contains("last_sequence") : nullptr;
      const auto* status = c != nullptr ? c->if_contains("status") : nullptr;
      if (last == nullptr || !last->is_int64() || last->as_int64() != static_cast<std::int64_t>(shape.envelopes) ||
          status == nullptr || *status != "ok")
        return make_error(Errc::invalid, "host " + ag.host_id + ": chain " +
                                             (chain != nullptr ? boost::json::serialize(*chain) : "missing") +
                                             ", expected status ok and last_sequence " +
                                             std::to_string(shape.envelopes));
      ++ok;
    }
    if (!found) return make_error(Errc::invalid, "GET /v1/hosts does not list " + ag.host_id);
  }
  return std::to_string(ok) + " chains ok, each ending at sequence " + std::to_string(shape.envelopes);
}

}  // namespace vigil::bench
