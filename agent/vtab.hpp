// Every registered collector as an eponymous SQLite virtual table. A table's
// collector runs the first time a statement reads it during a scan; the rows
// (or the error) are kept in ScanState so each runs at most once per scan
// (once per argument set for table-valued functions like file('/etc/shadow')).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "collector.hpp"
#include "engine.hpp"
#include "host.hpp"
#include "result.hpp"
#include "sqlite.hpp"

namespace vigil::agent {

struct CollectedTable {
  std::shared_ptr<const std::vector<collectors::Row>> rows;
  std::string error;  // non-empty: the collector failed
};

class Prefetcher;  // vtab.cpp

struct ScanState {
  const collectors::Host* host = nullptr;
  std::map<std::string, CollectedTable> cache;  // key: table + args
  std::vector<CollectorRun> runs;
  std::vector<collectors::Warning> warnings;
  std::set<std::string> tables_read;  // by the statement running now
  // True while a virtual table declares its schema: the read-only authorizer
  // lets that internal CREATE TABLE through, and nothing else.
  bool declaring = false;
  // Deadline for the statement running now (progress handler).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // From the scan's options (engine.hpp ScanOptions); none outside a scan.
  std::chrono::nanoseconds collector_budget{0};
  const std::map<std::string, std::string>* skip = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  // While set, the authorizer adds every table a statement being prepared
  // reads (in order, once each): how a scan learns what to collect ahead.
  std::vector<std::string>* prepare_reads = nullptr;
  // Argument-less tables collected ahead on a second thread, see start_prefetch.
  std::shared_ptr<Prefetcher> prefetch;

  void reset() {
    cache.clear();
    runs.clear();
    warnings.clear();
    tables_read.clear();
    collector_budget = std::chrono::nanoseconds{0};
    skip = nullptr;
    cancel = nullptr;
    prefetch.reset();  // after stop_prefetch: the worker is joined
  }
};

// Starts one worker thread that collects `tables` (names of tables without
// argument columns, in the order the scan reads them; a repeat keeps the
// first place): the heavy ones
// first (TableDef::heavy), then the rest from the last one backwards, while
// the scan's own thread reads them in its order: each is collected once, by whichever side claims it first, and
// the scan's thread waits only for one the worker is in the middle of.
// Results are reported as the scan reads them (CollectorRun, warnings), so
// the report is the one a scan without a worker writes. Unknown names and
// tables with arguments are ignored; nothing starts for fewer than two.
void start_prefetch(ScanState& st, const std::vector<std::string>& tables);
// Whether a read of one of tables now would wait for the worker (it is
// collecting it), or take from it a heavy table it is about to start: the
// scan then runs that check after the others.
bool prefetch_busy(const ScanState& st, const std::vector<std::string>& tables);
// Whether the worker is collecting one of tables right now.
bool prefetch_running(const ScanState& st, const std::vector<std::string>& tables);
// Stops the worker (after the collector in flight, if any) and drops what
// the scan did not read.
void stop_prefetch(ScanState& st);

// Registers every table of the collector registry as a module, plus the SQL
// helper functions (mode_within), on db.
Status register_fact_tables(const sql::Database& db, ScanState& state);

}  // namespace vigil::agent
