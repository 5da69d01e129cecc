// Recording a scan as signed evidence, and exporting it (see record.hpp).
#include "record.hpp"

#include "cli_args.hpp"
#include "crypto.hpp"
#include "strings.hpp"
#include "verify.hpp"

namespace vigil::agent {

Result<RecordOutcome> record_evidence(const ScanReport& report, const ReportMeta& meta,
                                      const RecordOptions& opts) {
  CacheOptions co;
  co.state_dir = opts.state_dir;
  // The cache makes the state directory (0700) before the key goes in it.
  auto cache = Cache::open(co);
  if (!cache) return std::move(cache).error();
  auto key = crypto::load_or_create_host_key(opts.state_dir);
  if (!key) return std::move(key).error();

  RecordOutcome out;
  out.key_id = key->key_id();
  out.cache_path = opts.state_dir + "/" + kCacheFileName;
  auto recorded = cache->record_scan(report, meta, make_scan_signer(*key, report, meta, opts.scope));
  if (!recorded) return std::move(recorded).error();
  out.scan = *recorded;

  // The scan is safe in the cache: retention problems are warnings.
  auto kept = cache->apply_retention(opts.retention, make_gap_signer(*key, host_identity(meta)));
  if (!kept) {
    out.warnings.push_back("retention not applied: " + kept.error().message);
  } else {
    out.retention = *kept;
    if (kept->still_over_size)
      out.warnings.push_back("the newest scan alone is over the cache's size cap (" +
                             std::to_string(opts.retention.max_bytes) + " bytes); it is kept");
  }
  return out;
}

Result<std::string> export_bundle(const ExportRequest& req) {
  if (req.to_ms < req.from_ms) return make_error(Errc::invalid, "the period ends before it starts");
  CacheOptions co;
  co.state_dir = req.state_dir;
  co.access = CacheAccess::read_only;
  auto cache = Cache::open(co);
  if (!cache) return std::move(cache).error();
  auto key = crypto::load_public_key(req.state_dir + "/" + crypto::kHostPublicKeyFile);
  if (!key) return std::move(key).error();
  auto records = cache->envelopes_between(req.from_ms, req.to_ms);
  if (!records) return std::move(records).error();
  if (records->empty())
    return make_error(Errc::not_found, "no evidence recorded between " + format_utc(req.from_ms) + " and " +
                                           format_utc(req.to_ms) + " in " + req.state_dir);
  std::vector<std::string> envelopes;
  envelopes.reserve(records->size());
  for (auto& r : *records) envelopes.push_back(std::move(r.bytes));
  // The host as the statements name it (host_identity: the machine id, else the name).
  auto env = parse_envelope(envelopes.back());
  if (!env)
    return make_error(Errc::parse,
                      "envelope " + std::to_string(records->back().sequence) + ": " + env.error().message);
  auto st = decode_statement(*env);
  if (!st)
    return make_error(Errc::parse,
                      "envelope " + std::to_string(records->back().sequence) + ": " + st.error().message);
  BundleManifest m;
  m.host = st->host;
  m.from_ms = req.from_ms;
  m.to_ms = req.to_ms;
  m.controls = req.controls;
  m.checks = req.checks;
  m.created_at_ms = req.now_ms;
  return make_bundle(envelopes, *key, m);
}

}  // namespace vigil::agent
