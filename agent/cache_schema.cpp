// The evidence cache's schema, as an ordered list of migrations keyed by
// PRAGMA user_version (docs/architecture.md, "Evidence cache"). Version N is
// migrations[N-1]; adding v2 is one more entry at the end, never an edit of v1.
#include <array>
#include <string>

#include "cache.hpp"

namespace vigil::agent {

namespace {

using sql::Migration;

// v1: the first schema. STRICT tables (SQLite 3.37+) so a wrong type is an
// error, not a silent conversion.
constexpr const char* kSchemaV1 = R"sql(
-- The chain: one row per envelope ever made, never deleted or changed (the
-- triggers), so the next sequence and previous digest survive retention.
CREATE TABLE chain (
  sequence INTEGER PRIMARY KEY CHECK (sequence >= 1),
  digest TEXT NOT NULL CHECK (length(digest) = 64),
  previous_digest TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('scan', 'gap')),
  created_at_ms INTEGER NOT NULL
) STRICT;
CREATE TRIGGER chain_consecutive BEFORE INSERT ON chain
WHEN NEW.sequence <> COALESCE((SELECT MAX(sequence) FROM chain), 0) + 1
  OR NEW.previous_digest <> COALESCE((SELECT digest FROM chain ORDER BY sequence DESC LIMIT 1), '')
BEGIN SELECT RAISE(ABORT, 'chain: a link must follow the last one (sequence + 1, its digest)'); END;
CREATE TRIGGER chain_no_delete BEFORE DELETE ON chain
BEGIN SELECT RAISE(ABORT, 'chain: links are never deleted'); END;
CREATE TRIGGER chain_no_update BEFORE UPDATE ON chain
BEGIN SELECT RAISE(ABORT, 'chain: links are never changed'); END;

-- Envelopes verbatim, for the shipper (shipped_at_ms) and exports.
CREATE TABLE outbox (
  sequence INTEGER PRIMARY KEY REFERENCES chain(sequence),
  digest TEXT NOT NULL,
  bytes BLOB NOT NULL,
  created_at_ms INTEGER NOT NULL,
  shipped_at_ms INTEGER,
  set_aside_reason TEXT
) STRICT;
CREATE INDEX outbox_created ON outbox(created_at_ms);
CREATE INDEX outbox_unshipped ON outbox(sequence) WHERE shipped_at_ms IS NULL;

CREATE TABLE scans (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  -- Deferred: the scan is written before it is signed and its link exists.
  sequence INTEGER NOT NULL UNIQUE REFERENCES chain(sequence) DEFERRABLE INITIALLY DEFERRED,
  started_at_ms INTEGER NOT NULL,
  duration_ms REAL NOT NULL,
  recorded_at_ms INTEGER NOT NULL,
  host TEXT NOT NULL,
  root TEXT NOT NULL,
  agent_version TEXT NOT NULL,
  host_info TEXT NOT NULL,
  result_count INTEGER NOT NULL,
  pass_count INTEGER NOT NULL,
  fail_count INTEGER NOT NULL,
  not_applicable_count INTEGER NOT NULL,
  error_count INTEGER NOT NULL,
  waived_count INTEGER NOT NULL
) STRICT;
CREATE INDEX scans_started ON scans(started_at_ms);

CREATE TABLE scan_packs (
  scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  pack_id TEXT NOT NULL,
  version TEXT NOT NULL,
  source TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  PRIMARY KEY (scan_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE results (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
  policy_id TEXT NOT NULL,
  policy_version TEXT NOT NULL,
  check_id TEXT NOT NULL,
  title TEXT NOT NULL,
  severity TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail', 'not_applicable', 'error', 'waived')),
  message TEXT NOT NULL,
  controls_2022 TEXT NOT NULL,
  controls_2013 TEXT NOT NULL,
  duration_ms REAL NOT NULL,
  UNIQUE (scan_id, policy_id, check_id)
) STRICT;
CREATE INDEX results_check ON results(check_id);

CREATE TABLE evidence (
  result_id INTEGER PRIMARY KEY REFERENCES results(id) ON DELETE CASCADE,
  columns TEXT NOT NULL,
  rows TEXT NOT NULL,
  total_rows INTEGER NOT NULL,
  truncated INTEGER NOT NULL
) STRICT;

-- The state of each check, kept when retention removes the scans behind it:
-- future transitions compare against it.
CREATE TABLE check_state (
  policy_id TEXT NOT NULL,
  check_id TEXT NOT NULL,
  verdict TEXT NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  first_seen_scan_id INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  last_seen_scan_id INTEGER NOT NULL,
  last_seen_sequence INTEGER NOT NULL,
  last_result_id INTEGER REFERENCES results(id) ON DELETE SET NULL,
  PRIMARY KEY (policy_id, check_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX check_state_result ON check_state(last_result_id);

CREATE TABLE transitions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  policy_id TEXT NOT NULL,
  check_id TEXT NOT NULL,
  before_verdict TEXT,
  after_verdict TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  before_scan_id INTEGER,
  before_sequence INTEGER,
  before_seen_ms INTEGER,
  before_result_id INTEGER REFERENCES results(id) ON DELETE SET NULL,
  after_scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
  after_sequence INTEGER NOT NULL,
  after_result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE
) STRICT;
CREATE INDEX transitions_at ON transitions(at_ms);
CREATE INDEX transitions_check ON transitions(check_id);
CREATE INDEX transitions_before_result ON transitions(before_result_id);
CREATE INDEX transitions_after_result ON transitions(after_result_id);
CREATE INDEX transitions_after_scan ON transitions(after_scan_id);

-- Envelopes retention removed before they were shipped, one row per gap
-- record (itself an envelope at `sequence`).
CREATE TABLE gaps (
  sequence INTEGER PRIMARY KEY REFERENCES chain(sequence),
  first_sequence INTEGER NOT NULL,
  last_sequence INTEGER NOT NULL,
  first_time_ms INTEGER NOT NULL,
  last_time_ms INTEGER NOT NULL,
  reason TEXT NOT NULL
) STRICT;
)sql";

constexpr std::array kMigrations{
    Migration{1, kSchemaV1},
};

}  // namespace

std::int64_t cache_schema_version() noexcept {
  return kMigrations.back().version;
}

Status migrate_cache(const sql::Database& db, const std::string& path) {
  return sql::migrate(db, kMigrations, path);
}

}  // namespace vigil::agent
