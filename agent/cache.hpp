// The evidence cache: one SQLite database under the state directory that
// keeps every recorded scan (results, evidence, drift) and the chain of
// signed envelopes waiting in the outbox (docs/architecture.md, "Evidence
// cache"). One Cache is one connection; use it from one thread.
#pragma once

#include <boost/json/array.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chain.hpp"
#include "engine.hpp"
#include "report.hpp"
#include "result.hpp"
#include "sqlite.hpp"

namespace vigil::agent {

inline constexpr const char* kDefaultStateDir = "/var/lib/vigil";
inline constexpr const char* kCacheFileName = "cache.db";
// The schema versions this build knows (PRAGMA user_version); a file with a
// higher version is refused, never migrated down or overwritten.
std::int64_t cache_schema_version() noexcept;

enum class CacheAccess {
  read_write,  // the agent: creates the state directory and the file, migrates
  read_only,   // history/status/drift/export: the file must exist, nothing is written
};

struct CacheOptions {
  std::string state_dir = kDefaultStateDir;
  CacheAccess access = CacheAccess::read_write;
  std::chrono::milliseconds busy_timeout{5000};
  // PRAGMA quick_check on open (O(database size); see docs/benchmarks.md).
  bool quick_check = true;
  // Unix time in milliseconds; the system clock when empty. Tests inject one.
  std::function<std::int64_t()> clock;
};

struct RecordedScan {
  std::int64_t scan_id = 0;
  std::int64_t sequence = 0;
  std::string digest;  // of the envelope
  std::size_t results = 0;
  std::size_t transitions = 0;
};

// Retention caps; 0 switches a cap off. Applied by Cache::apply_retention.
struct RetentionPolicy {
  std::int64_t max_age_days = 400;               // an audit year and a margin
  std::int64_t max_bytes = 512LL * 1024 * 1024;  // pages in use, not the file's size
  std::int64_t max_scans = 0;
};

struct GapRecord {
  std::int64_t sequence = 0;  // where the gap record sits in the chain
  GapInfo info;
};

struct RetentionReport {
  std::int64_t scans_removed = 0;
  std::int64_t envelopes_removed = 0;
  std::int64_t unshipped_removed = 0;  // each covered by a gap record
  std::vector<GapRecord> gaps;
  std::int64_t bytes_before = 0, bytes_after = 0;  // pages in use
  // The newest scan is never removed: when it alone is over max_bytes this is
  // true and the caller must say so.
  bool still_over_size = false;
};

struct PackRef {
  std::string id, version, source;
  std::string sha256;  // of the pack's YAML text as it was loaded
};

struct ScanSummary {
  std::int64_t scan_id = 0;
  std::int64_t sequence = 0;
  std::int64_t started_at_ms = 0;
  double duration_ms = 0;
  std::string host, root, agent_version;
  std::vector<PackRef> packs;
  std::int64_t results = 0;
  VerdictCounts counts;
};

// Evidence as stored: columns and positional rows (JSON scalars).
struct StoredEvidence {
  std::vector<std::string> columns;
  boost::json::array rows;  // arrays of values, one per column
  std::int64_t total_rows = 0;
  bool truncated = false;
};

struct StoredResult {
  std::int64_t result_id = 0, scan_id = 0, sequence = 0, started_at_ms = 0;
  std::string host, policy_id, policy_version, check_id, title, severity, verdict, message;
  std::vector<std::string> controls_2022, controls_2013;
  StoredEvidence evidence;
};

struct EnvelopeRecord {
  std::int64_t sequence = 0;
  std::string digest;
  std::string bytes;
  std::int64_t created_at_ms = 0;
  std::string kind;  // "scan" or "gap"
  std::optional<std::int64_t> shipped_at_ms;
  std::optional<std::string> set_aside_reason;
};

// One verdict change of one check. before_* are empty for the first result
// of a check ("new"); before evidence is empty once retention removed it.
struct Transition {
  std::int64_t id = 0;
  std::string policy_id, check_id;
  std::optional<std::string> before_verdict;
  std::string after_verdict;
  std::int64_t at_ms = 0;  // start of the scan that saw the new verdict
  std::optional<std::int64_t> before_scan_id, before_sequence, before_seen_ms;
  std::int64_t after_scan_id = 0, after_sequence = 0;
  std::string before_message, after_message;
  std::optional<StoredEvidence> before_evidence, after_evidence;
  std::string kind() const;  // "new" or "pass->fail"
};

struct CheckState {
  std::string policy_id, check_id, verdict;
  std::int64_t first_seen_ms = 0, first_seen_scan_id = 0;  // when the current verdict started
  std::int64_t last_seen_ms = 0, last_seen_scan_id = 0, last_seen_sequence = 0;
};

struct CacheStatus {
  std::optional<ScanSummary> last_scan;
  std::int64_t scans = 0;
  std::int64_t last_sequence = 0;
  std::int64_t outbox_depth = 0;  // unshipped and not set aside
  std::int64_t set_aside = 0;
  std::optional<std::int64_t> oldest_unshipped_sequence, oldest_unshipped_ms;
  std::optional<std::int64_t> last_shipped_ms;  // the latest acknowledgement by the store
  std::int64_t gaps = 0;
  std::int64_t file_bytes = 0;  // the database file and its WAL
  std::int64_t used_bytes = 0;  // pages in use
};

struct DriftQuery {
  std::optional<std::int64_t> since_ms;  // at_ms >= since_ms
  std::optional<std::string> check_id;
  bool with_evidence = true;
};

struct ResultQuery {
  std::int64_t from_ms = 0, to_ms = 0;  // scan started_at in [from, to]
  std::vector<std::string> controls;    // 2022 or 2013 ids; empty: any
  std::vector<std::string> checks;      // check ids; empty: any
};

class Cache {
 public:
  // Opens (read_write: creating) STATE_DIR/cache.db. Refuses, with the path
  // and the reason, and without writing anything: a state directory that is a
  // symlink, not a directory, world-writable or (read_write) not writable; a
  // database file that is a symlink, not a regular file, not SQLite, not a
  // Vigil cache, from a newer schema, or that fails PRAGMA quick_check.
  static Result<Cache> open(const CacheOptions& opts);

  const std::string& path() const noexcept { return path_; }

  // Writes the scan in one IMMEDIATE transaction: scan, packs, results,
  // evidence, drift, the chain link and the envelope `sign` returns for it.
  // Any failure (the signer's too) leaves the cache as it was.
  Result<RecordedScan> record_scan(const ScanReport& report, const ReportMeta& meta, const ScanSigner& sign);

  // Removes what the caps no longer allow, oldest first, in one transaction;
  // unshipped envelopes removed are covered by gap records signed by `sign`.
  Result<RetentionReport> apply_retention(const RetentionPolicy& policy, const GapSigner& sign);

  // For the shipper: the store acknowledged / refused an envelope.
  Status mark_shipped(std::int64_t sequence, std::int64_t at_ms);
  Status set_aside(std::int64_t sequence, const std::string& reason);
  // The shipper's queue: envelopes not shipped and not set aside, with
  // sequence > after_sequence, in sequence order, at most limit of them.
  Result<std::vector<EnvelopeRecord>> unshipped_envelopes(std::int64_t after_sequence,
                                                          std::size_t limit) const;
  // Envelopes set aside (not shipped), in sequence order, at most limit,
  // without their bytes: for `vigil status`.
  Result<std::vector<EnvelopeRecord>> set_aside_envelopes(std::size_t limit) const;

  // Queries (read only).
  Result<std::vector<ScanSummary>> history(std::size_t limit) const;
  Result<CacheStatus> status() const;
  Result<std::vector<Transition>> drift(const DriftQuery& q) const;
  Result<std::vector<CheckState>> check_states() const;
  // Envelopes with from_ms <= created_at <= to_ms, in sequence order.
  Result<std::vector<EnvelopeRecord>> envelopes_between(std::int64_t from_ms, std::int64_t to_ms) const;
  // Results of scans started in [from, to] matching the filters, by scan then check.
  Result<std::vector<StoredResult>> results_between(const ResultQuery& q) const;
  // The chain links (sequence, digest, previous digest, kind), in order.
  struct Link {
    std::int64_t sequence = 0;
    std::string digest, previous_digest, kind;
    std::int64_t created_at_ms = 0;
  };
  Result<std::vector<Link>> chain() const;
  Result<std::vector<GapRecord>> gaps() const;

  std::int64_t now_ms() const;
  const sql::Database& database() const noexcept { return db_; }

 private:
  Cache(sql::Database db, std::string path, CacheOptions opts)
      : db_(std::move(db)), path_(std::move(path)), opts_(std::move(opts)) {}
  Result<sql::Statement*> cached(const char* sql);
  // Runs a cached statement that returns no rows.
  Status run(const char* sql, std::initializer_list<sql::Param> params);
  Result<ChainLink> next_link() const;
  Status append_envelope(const ChainLink& link, const SignedEnvelope& env, const char* kind,
                         std::int64_t created_at_ms);
  Result<std::int64_t> used_bytes() const;

  sql::Database db_;
  std::string path_;
  CacheOptions opts_;
  // Prepared statements reused across scans, finalized before db_ closes.
  std::map<const char*, sql::Statement> statements_;
};

// The checks Cache::open makes of the state directory (read_write: created
// 0700 when missing; refused when a symlink, not a directory, world-writable
// or not writable), for the daemon to run before it writes anything there.
Status check_state_dir(const std::string& dir, CacheAccess access);

// Schema and migrations (agent/cache_schema.cpp): brings the database from
// its user_version up to cache_schema_version(), one transaction per step.
Status migrate_cache(const sql::Database& db, const std::string& path);

}  // namespace vigil::agent
