// vigil-store's SQLite schema, as an ordered list of migrations keyed by
// PRAGMA user_version (like agent/cache_schema.cpp): version N is
// kMigrations[N-1]; a new version is one more entry, never an edit.
#include <array>
#include <string>

#include "sqlite_storage.hpp"

namespace vigil::store {

namespace {

using sql::Migration;

constexpr const char* kSchemaV1 = R"sql(
-- People's and enrollment tokens: only the SHA-256 of the secret is kept.
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
  role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'auditor', 'enroll')),
  name TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER,
  max_uses INTEGER CHECK (max_uses IS NULL OR max_uses >= 1),
  uses INTEGER NOT NULL DEFAULT 0,
  revoked_at_ms INTEGER
) STRICT;

CREATE TABLE hosts (
  id TEXT PRIMARY KEY,
  identity TEXT NOT NULL UNIQUE,
  public_key_pem TEXT NOT NULL,
  key_id TEXT NOT NULL,
  facts TEXT NOT NULL,
  scope TEXT NOT NULL,
  enrolled_at_ms INTEGER NOT NULL,
  rekey_allowed INTEGER NOT NULL DEFAULT 0,
  epoch INTEGER NOT NULL DEFAULT 1,
  last_seen_ms INTEGER,
  last_scan_ms INTEGER
) STRICT;

-- Envelopes verbatim, per host and key epoch (a re-key starts a new chain).
CREATE TABLE envelopes (
  host_id TEXT NOT NULL REFERENCES hosts(id),
  epoch INTEGER NOT NULL,
  sequence INTEGER NOT NULL CHECK (sequence >= 1),
  digest TEXT NOT NULL,
  previous_digest TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('scan', 'gap')),
  time_ms INTEGER NOT NULL,
  received_at_ms INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (host_id, epoch, sequence)
) STRICT;
CREATE INDEX envelopes_time ON envelopes(host_id, epoch, time_ms);

CREATE TABLE results (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  check_id TEXT NOT NULL,
  policy TEXT NOT NULL,
  title TEXT NOT NULL,
  severity TEXT NOT NULL,
  verdict TEXT NOT NULL,
  message TEXT NOT NULL,
  evidence TEXT NOT NULL,
  controls TEXT NOT NULL,  -- ISO 27001:2022 ids joined by ','
  FOREIGN KEY (host_id, epoch, sequence) REFERENCES envelopes(host_id, epoch, sequence)
) STRICT;
CREATE INDEX results_time ON results(time_ms);
CREATE INDEX results_host_check ON results(host_id, check_id, sequence);

CREATE TABLE result_controls (
  result_id INTEGER NOT NULL REFERENCES results(id),
  control TEXT NOT NULL,
  PRIMARY KEY (result_id, control)
) STRICT, WITHOUT ROWID;
CREATE INDEX result_controls_control ON result_controls(control);

-- The latest result per (host, check), kept up to date by ingest.
CREATE TABLE latest (
  host_id TEXT NOT NULL REFERENCES hosts(id),
  check_id TEXT NOT NULL,
  result_id INTEGER NOT NULL REFERENCES results(id),
  PRIMARY KEY (host_id, check_id)
) STRICT, WITHOUT ROWID;

-- Verdict changes per (host, check), for drift.
CREATE TABLE transitions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id TEXT NOT NULL REFERENCES hosts(id),
  check_id TEXT NOT NULL,
  from_verdict TEXT,
  to_verdict TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  message TEXT NOT NULL
) STRICT;
CREATE INDEX transitions_time ON transitions(time_ms);

-- Missing ranges of a host's chain; explained_by is the sequence of the
-- signed gap record that covers the range.
CREATE TABLE gaps (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id TEXT NOT NULL REFERENCES hosts(id),
  epoch INTEGER NOT NULL,
  first_sequence INTEGER NOT NULL,
  last_sequence INTEGER NOT NULL CHECK (last_sequence >= first_sequence),
  explained_by INTEGER,
  reason TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX gaps_host ON gaps(host_id, epoch);

CREATE TABLE forks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id TEXT NOT NULL REFERENCES hosts(id),
  epoch INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  digest TEXT NOT NULL,
  reason TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  UNIQUE (host_id, epoch, sequence, digest)
) STRICT;

CREATE TABLE waivers (
  id TEXT PRIMARY KEY,
  check_id TEXT NOT NULL,
  selector TEXT NOT NULL,
  owner TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER
) STRICT;

CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  actor_name TEXT NOT NULL,
  actor_role TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL,
  request_id TEXT NOT NULL,
  peer TEXT NOT NULL
) STRICT;
CREATE INDEX audit_time ON audit(time_ms);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit: entries are never changed'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit: entries are never deleted'); END;
)sql";

// v2: a result's evidence is where it lies in its envelope's payload
// (offset and size in the statement bytes), not a second copy of the text:
// evidence is most of an envelope, and the copy doubled what ingest wrote.
// Rows from v1 keep their text in `evidence` (offset NULL); new rows leave
// it ''. See docs/architecture.md, "vigil-store".
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE results ADD COLUMN evidence_offset INTEGER CHECK (evidence_offset >= 0);
ALTER TABLE results ADD COLUMN evidence_size INTEGER CHECK (evidence_size >= 0);
)sql";

// v3: drops what ingest wrote for every result and no query read: the
// result_controls rows (a result's controls are its `controls` column; the
// per-control views judge the latest and period results they read anyway)
// and the results_host_check index (no query looks results up by host and
// check; `latest` answers "the last result of this check on this host").
// Together they were three B-tree inserts and a foreign-key probe per
// result per control. A query that needs a control index adds it back in a
// later version, shaped for that query.
constexpr const char* kSchemaV3 = R"sql(
DROP INDEX result_controls_control;
DROP TABLE result_controls;
DROP INDEX results_host_check;
)sql";

constexpr std::array kMigrations{
    Migration{1, kSchemaV1},
    Migration{2, kSchemaV2},
    Migration{3, kSchemaV3},
};
static_assert(kMigrations.back().version == kStoreSchemaVersion);

}  // namespace

Status migrate_store(const sql::Database& db, const std::string& path) {
  return sql::migrate(db, kMigrations, path);
}

}  // namespace vigil::store
