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

  void reset() {
    cache.clear();
    runs.clear();
    warnings.clear();
    tables_read.clear();
    collector_budget = std::chrono::nanoseconds{0};
    skip = nullptr;
    cancel = nullptr;
  }
};

// Registers every table of the collector registry as a module, plus the SQL
// helper functions (mode_within), on db.
Status register_fact_tables(const sql::Database& db, ScanState& state);

}  // namespace vigil::agent
