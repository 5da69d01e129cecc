// The scan engine: fact tables in an in-memory SQLite database, checks run
// as SQL over them, one verdict per check with the rows as its evidence.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "collector.hpp"
#include "host.hpp"
#include "policy.hpp"
#include "sqlite.hpp"

namespace vigil::agent {

enum class Verdict { pass, fail, not_applicable, error, waived };
const char* verdict_name(Verdict v) noexcept;

// Rows a query returned, as evidence: column names, values, and how many rows
// there were in all when the kept rows were capped.
struct Evidence {
  std::vector<std::string> columns;
  std::vector<collectors::Row> rows;
  std::size_t total_rows = 0;
  bool truncated() const noexcept { return total_rows > rows.size(); }
};

struct CheckResult {
  const PolicyPack* pack = nullptr;
  const Check* check = nullptr;
  Verdict verdict = Verdict::error;
  std::string message;  // why: the reason for fail/error/not_applicable
  Evidence evidence;
  std::vector<std::string> tables;  // fact tables the check read
  double duration_ms = 0;
};

// One run of a collector during a scan (tables with arguments run once per argument set).
struct CollectorRun {
  std::string table;
  std::string args;  // "('/etc/shadow')" for table-valued functions, "" otherwise
  std::size_t rows = 0;
  double duration_ms = 0;
  std::string error;         // empty when it succeeded
  bool over_budget = false;  // it ran longer than ScanOptions::collector_budget (error says so)
  bool skipped = false;      // not run: ScanOptions::skip_collectors named it (error says why)
};

// Limits on what policy SQL can make the agent hold (see Engine::create).
inline constexpr int kMaxValueBytes = 1024 * 1024;                     // one TEXT/BLOB value
inline constexpr std::int64_t kSqliteHeapLimit = 256LL * 1024 * 1024;  // all of SQLite's heap
inline constexpr std::size_t kQueryByteCap = 64u * 1024u * 1024u;      // rows kept by query()

struct ScanOptions {
  std::vector<std::string> only_checks;            // empty: all checks
  std::size_t evidence_cap = 100;                  // rows kept per result
  std::size_t evidence_byte_cap = 1024 * 1024;     // bytes of values kept per result
  std::chrono::milliseconds check_timeout{10000};  // per SQL statement
  // A collector that runs longer than this (0: no budget) is an error for the
  // checks that read it: its rows are dropped and its CollectorRun says
  // over_budget, so the daemon can quarantine it. A collector cannot be
  // stopped half-way; its own reads and programs are capped.
  std::chrono::nanoseconds collector_budget{0};
  // Tables not to collect in this scan (the daemon's quarantine): table ->
  // reason. Checks reading one end in error naming the reason.
  std::map<std::string, std::string> skip_collectors;
  // Set from another thread to stop the scan: the running statement is
  // interrupted, no further check runs and ScanReport::cancelled is true.
  const std::atomic<bool>* cancel = nullptr;
  // Collect the tables without arguments ahead on one more thread while the
  // checks run (vtab.hpp, start_prefetch): the same report, sooner on a
  // machine with a second core.
  bool prefetch = true;
  // The scan's clock (Unix ms): ScanReport::started_at_ms, and :scan_time
  // in seconds. None: the system clock when the scan starts. Tests pin it.
  std::optional<std::int64_t> started_at_ms;
};

struct ScanReport {
  std::string root;
  std::int64_t started_at_ms = 0;  // Unix time
  double duration_ms = 0;
  std::vector<const PolicyPack*> packs;
  std::vector<CheckResult> results;
  std::vector<CollectorRun> collectors;
  std::vector<collectors::Warning> warnings;
  bool cancelled = false;  // ScanOptions::cancel stopped it: the report is incomplete
  // The system_info row of the scanned host (columns and one row), read in
  // the same scan so it describes the same moment; empty if it failed.
  Evidence host_info;
};

struct QueryResult {
  Evidence rows;
  std::vector<CollectorRun> collectors;
  std::vector<collectors::Warning> warnings;
};

struct ScanState;  // per-scan cache of collected tables (vtab.cpp)

class Engine {
 public:
  // The engine reads the host through `host`, which must outlive it.
  static Result<std::unique_ptr<Engine>> create(const collectors::Host& host);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Prepares every statement of the pack (without collecting anything): an
  // unknown table or column, a syntax error, a missing `compliant` column, an
  // unknown :parameter or a statement that writes is refused with the pack's
  // file, the check id and the reason.
  Status validate(const PolicyPack& pack);

  // Runs the checks of the packs (all must have been validated). Collectors
  // run lazily, at most once per scan each.
  // The report points into `packs`, which must outlive it (a temporary
  // vector is refused at compile time).
  ScanReport scan(const std::vector<PolicyPack>& packs, const ScanOptions& opts = {});
  ScanReport scan(std::vector<PolicyPack>&& packs, const ScanOptions& opts = {}) = delete;

  // One read-only statement over the fact tables (for `vigil query`).
  Result<QueryResult> query(std::string_view sql, std::size_t row_cap = 100000);

 private:
  struct Token {};  // lets create() use make_unique while the constructor stays internal

 public:
  Engine(Token, sql::Database db, std::unique_ptr<ScanState> state);

 private:
  // A read-only statement, compiled on first use and then taken from the
  // connection's statement cache (validate, the prefetch plan and the check
  // itself share one compile); the tables its compile read (the
  // authorizer's SQLITE_READ) are added to *reads.
  Result<sql::Statement> prepare_checked(std::string_view sql, std::vector<std::string>* reads = nullptr);
  // The tables each check's statements read, in the order they do.
  std::vector<std::vector<std::string>> tables_read_by(
      const std::vector<std::pair<const PolicyPack*, const Check*>>& checks);
  void begin_scan(const ScanOptions* opts = nullptr);
  CheckResult run_check(const PolicyPack& pack, const Check& check, const ScanOptions& opts);
  // False when the check does not apply or applies_when failed (r says which).
  bool check_applies(const PolicyPack& pack, const Check& check, const ScanOptions& opts, CheckResult& r);
  void evaluate_query(const PolicyPack& pack, const Check& check, const ScanOptions& opts, CheckResult& r);
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  sql::Database db_;
  std::unique_ptr<ScanState> state_;
  // :scan_time for the statements of the scan running now (validate binds
  // whatever it holds: validation only prepares, it never steps).
  std::int64_t scan_time_s_ = 0;
  // SQL text -> the tables its compile read, for every statement compiled.
  std::unordered_map<std::string, std::vector<std::string>, TextHash, std::equal_to<>> compiled_reads_;
};

}  // namespace vigil::agent
