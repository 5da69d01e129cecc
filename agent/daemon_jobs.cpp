// agent/daemon_jobs.hpp: `vigil job`, the daemon's scans, drains and validations.
#include "daemon_jobs.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "cache.hpp"
#include "crypto.hpp"
#include "engine.hpp"
#include "enrollment.hpp"
#include "file_io.hpp"
#include "http_client.hpp"
#include "record.hpp"
#include "report.hpp"
#include "shipper.hpp"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

namespace vigil::agent {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Set by SIGTERM/SIGINT: the scan stops at its next statement. A lock-free
// atomic store is async-signal-safe.
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_stop_signal(int) {
  g_stop.store(true, std::memory_order_relaxed);
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  // A reload is the loop's business; the job finishes with what it was given.
  std::signal(SIGHUP, SIG_IGN);
}

Result<std::string> read_stdin(std::size_t cap) {
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(0, buf, sizeof buf);
    if (n == 0) return text;
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io, std::string("stdin: ") + std::strerror(errno));
    }
    if (text.size() + static_cast<std::size_t>(n) > cap)
      return make_error(Errc::invalid, "stdin: request larger than " + std::to_string(cap) + " bytes");
    text.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

Result<std::shared_ptr<const LoadedConfig>> load_policies(DaemonConfig config) {
  auto loaded = std::make_shared<LoadedConfig>();
  loaded->config = std::move(config);
  const DaemonConfig& c = loaded->config;
  auto host = collectors::Host::open(c.root);
  if (!host) return make_error(Errc::invalid, "root " + c.root + ": " + host.error().message);
  auto engine = Engine::create(*host);
  if (!engine) return engine.error();
  for (const auto& sc : c.schedules) {
    auto sources = read_policy_sources(sc.policies);
    if (!sources) return make_error(Errc::invalid, "schedule " + sc.name + ": " + sources.error().message);
    auto packs = parse_policy_sources(*sources);
    if (!packs) return make_error(Errc::invalid, "schedule " + sc.name + ": " + packs.error().message);
    for (const auto& p : *packs) {
      if (Status s = (*engine)->validate(p); !s.ok())
        return make_error(Errc::invalid, "schedule " + sc.name + ": " + s.error().message);
    }
    loaded->sources.push_back(std::move(*sources));
    loaded->packs.push_back(std::move(*packs));
  }
  return std::shared_ptr<const LoadedConfig>(std::move(loaded));
}

Result<std::shared_ptr<const LoadedConfig>> load_config_and_policies(const DaemonOptions& opts) {
  auto file = load_daemon_config_or_defaults(opts);
  if (!file) return file.error();
  return load_policies(std::move(file->config));
}

ScanJobResult run_scan_job(const LoadedConfig& loaded, std::size_t schedule,
                           std::vector<QuarantineEntry> quarantine, std::int64_t now_ms,
                           const std::atomic<bool>* cancel, const std::function<void()>& before_recording) {
  const DaemonConfig& c = loaded.config;
  ScanJobResult r;
  r.schedule = schedule;
  r.name = c.schedules.at(schedule).name;
  r.started_ms = now_ms;
  const auto start = SteadyClock::now();
  expire_quarantine(quarantine, now_ms);
  r.quarantine = quarantine;
  auto host = collectors::Host::open(c.root);
  if (!host) {
    r.error = "root " + c.root + ": " + host.error().message;
    return r;
  }
  auto engine = Engine::create(*host);
  if (!engine) {
    r.error = engine.error().message;
    return r;
  }
  ScanOptions so;
  so.evidence_cap = c.evidence_rows;
  so.check_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(c.check_timeout);
  so.collector_budget = c.collector_budget;
  so.skip_collectors = quarantine_skip_map(quarantine, now_ms);
  so.cancel = cancel;
  const auto& packs = loaded.packs.at(schedule);
  ScanReport report = (*engine)->scan(packs, so);
  r.wall_ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
  if (report.cancelled) {
    r.cancelled = true;
    return r;
  }
  const auto budget_ms = std::chrono::duration_cast<std::chrono::milliseconds>(c.collector_budget).count();  // 0 below 1 ms (tests)
  const auto period_ms = std::chrono::duration_cast<std::chrono::milliseconds>(c.quarantine).count();
  r.newly_quarantined = quarantine_over_budget(quarantine, report.collectors, now_ms, period_ms, budget_ms);
  r.quarantine = quarantine;
  r.counts = count_verdicts(report);
  RecordOptions ro;
  ro.state_dir = c.state_dir;
  ro.scope = c.scope;
  ro.retention = c.retention;
  const ReportMeta meta{VIGIL_VERSION, host_info_object(report.host_info)};
  if (before_recording) before_recording();
  auto recorded = record_evidence(report, meta, ro);
  if (!recorded) {
    r.error = recorded.error().message;
    return r;
  }
  r.sequence = recorded->scan.sequence;
  r.warnings = recorded->warnings;
  return r;
}

ShipJobResult run_ship_job(const DaemonConfig& config, unsigned failures) {
  ShipJobResult r;
  r.failures = failures;
  auto enrollment = load_enrollment(config.state_dir);
  if (!enrollment) {
    r.message = enrollment.is(Errc::not_found) ? "not enrolled (vigil enroll)" : enrollment.error().message;
    return r;
  }
  if (!config.store.url.empty() && config.store.url != enrollment->store) {
    r.message = "store.url " + config.store.url + " is not the store this host enrolled with (" +
                enrollment->store + "); run vigil enroll with the new store";
    return r;
  }
  HttpClientOptions ho;
  ho.base_url = enrollment->store;
  ho.tls = enrollment->tls;
  const TlsOptions& over = config.store.tls;
  if (!over.ca_file.empty()) ho.tls.ca_file = over.ca_file;
  if (!over.pinned_public_key.empty()) ho.tls.pinned_public_key = over.pinned_public_key;
  if (!over.client_cert.empty()) ho.tls.client_cert = over.client_cert;
  if (!over.client_key.empty()) ho.tls.client_key = over.client_key;
  ho.total_timeout = config.store.timeout;
  auto client = HttpClient::create(ho);
  if (!client) {
    r.message = "store settings: " + client.error().message;
    return r;
  }
  CacheOptions co;
  co.state_dir = config.state_dir;
  co.quick_check = false;  // the recording side checks; a drain every few minutes should not
  auto cache = Cache::open(co);
  if (!cache) {
    r.message = cache.error().message;
    return r;
  }
  auto key = crypto::load_private_key(config.state_dir + "/" + crypto::kHostKeyFile);
  if (!key) {
    r.message = key.error().message;
    return r;
  }
  if (key->key_id() != enrollment->key_id) {
    r.message =
        "the host key (" + key->key_id() + ") is not the enrolled key (" + enrollment->key_id + "); enroll again";
    return r;
  }
  ShipperOptions so;
  so.host_id = enrollment->host_id;
  so.batch_count = config.store.batch_count;
  so.batch_bytes = config.store.batch_bytes;
  so.initial_failures = failures;
  Shipper shipper(*cache, *key, **client, so);
  r.attempted = true;
  const DrainReport d = shipper.drain_once();
  r.accepted = d.accepted;
  r.duplicate = d.duplicate;
  r.rejected = d.rejected;
  r.retry_after = d.retry_after;
  r.ok = d.drained();
  r.failures = shipper.failures();
  if (d.error) {
    r.message = d.error->message;
  } else {
    r.message = d.sent == 0 ? std::string("outbox empty, nothing to ship")
                            : "shipped " + std::to_string(d.accepted) + " accepted, " + std::to_string(d.duplicate) +
                                  " duplicate, " + std::to_string(d.rejected) + " rejected";
  }
  return r;
}

int cmd_job(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  if (argv.size() != 2) {
    err << "vigil job: takes no arguments; it is the daemon's own command (a request on stdin)\n";
    return 2;
  }
  install_signal_handlers();
  auto input = read_stdin(kMaxJobMessageBytes);
  if (!input) {
    err << "vigil job: " << input.error().message << "\n";
    return 2;
  }
  auto req = parse_job_request(*input);
  if (!req) {
    err << "vigil job: " << req.error().message << "\n";
    return 2;
  }
  input->clear();
  input->shrink_to_fit();
  auto config = daemon_config_from_text(req->config_source, req->config_text);
  switch (req->kind) {
    case JobKind::validate: {
      ValidateJobResult r;
      auto loaded = config ? load_policies(std::move(*config)) : Result<std::shared_ptr<const LoadedConfig>>(config.error());
      if (!loaded)
        r.error = loaded.error().message;
      else if (Status s = check_state_dir((*loaded)->config.state_dir, CacheAccess::read_write); !s.ok())
        r.error = s.error().message;
      else
        r.policies = (*loaded)->sources;
      out << validate_result_to_json(r);
      break;
    }
    case JobKind::scan: {
      ScanJobResult r;
      r.schedule = req->schedule;
      r.started_ms = req->now_ms;
      r.quarantine = req->quarantine;
      LoadedConfig loaded;
      if (!config) {
        r.error = config.error().message;
      } else if (req->schedule >= config->schedules.size()) {
        r.error = "no schedule " + std::to_string(req->schedule) + " in " + req->config_source;
      } else {
        r.name = config->schedules[req->schedule].name;
        auto packs = parse_policy_sources(req->policies);
        if (!packs) {
          r.error = packs.error().message;
        } else {
          loaded.config = std::move(*config);
          loaded.packs.resize(loaded.config.schedules.size());
          loaded.packs[req->schedule] = std::move(*packs);
          r = run_scan_job(loaded, req->schedule, req->quarantine, req->now_ms, &g_stop,
                           [&out] { out << kJobRecordingLine << "\n" << std::flush; });
        }
      }
      out << scan_result_to_json(r);
      break;
    }
    case JobKind::ship: {
      ShipJobResult r;
      if (config)
        r = run_ship_job(*config, req->ship_failures);
      else
        r.message = config.error().message;
      out << ship_result_to_json(r);
      break;
    }
  }
  out.flush();
  return out ? 0 : 2;
}

}  // namespace vigil::agent
