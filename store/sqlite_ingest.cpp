// SqliteStorage::ingest: the chain rules of docs/store-api.md ("Ingest") for
// a request's verified envelopes, in one BEGIN IMMEDIATE transaction so two
// replicas ingesting for one host cannot both take a position. A rejected
// envelope leaves nothing but, for a fork, the fork flag on the host; an
// error rolls the whole request back.
#include "sqlite_storage.hpp"

#include <unordered_map>

#include "sqlite_util.hpp"
#include "strings.hpp"

namespace vigil::store {

using namespace sqlite;

namespace {

struct Position {
  std::int64_t epoch = 1;
  std::optional<std::int64_t> last_sequence;
  std::string last_digest;
};

Result<Position> chain_position(const sql::Database& db, const std::string& host_id) {
  auto st = query(db, "SELECT epoch FROM hosts WHERE id = ?1", {std::string_view(host_id)});
  if (!st) return std::move(st).error();
  if (!st->step()) return make_error(Errc::not_found, "no host " + host_id);
  Position p;
  p.epoch = st->column_int(0);
  auto last = query(db,
                    "SELECT sequence, digest FROM envelopes WHERE host_id = ?1 AND epoch = ?2"
                    " ORDER BY sequence DESC LIMIT 1",
                    {std::string_view(host_id), p.epoch});
  if (!last) return std::move(last).error();
  if (last->step()) {
    p.last_sequence = last->column_int(0);
    p.last_digest = last->column_text(1);
  } else if (!last->succeeded()) {
    return step_error(db, "envelopes");
  }
  return p;
}

Result<std::optional<std::string>> stored_digest(const sql::Database& db, const std::string& host_id,
                                                 std::int64_t epoch, std::int64_t sequence) {
  auto st = query(db, "SELECT digest FROM envelopes WHERE host_id = ?1 AND epoch = ?2 AND sequence = ?3",
                  {std::string_view(host_id), epoch, sequence});
  if (!st) return std::move(st).error();
  if (st->step()) return std::optional<std::string>(st->column_text(0));
  if (!st->succeeded()) return step_error(db, "envelopes");
  return std::optional<std::string>();
}

Status flag_fork(const sql::Database& db, const std::string& host_id, std::int64_t epoch,
                 const IngestItem& it, const std::string& reason, std::int64_t now_ms) {
  return run(db,
             "INSERT OR IGNORE INTO forks (host_id, epoch, sequence, digest, reason, at_ms)"
             " VALUES (?1,?2,?3,?4,?5,?6)",
             {std::string_view(host_id), epoch, it.sequence, std::string_view(it.digest),
              std::string_view(reason), now_ms});
}

Status flag_gap(const sql::Database& db, const std::string& host_id, std::int64_t epoch, std::int64_t first,
                std::int64_t last) {
  return run(db, "INSERT INTO gaps (host_id, epoch, first_sequence, last_sequence) VALUES (?1,?2,?3,?4)",
             {std::string_view(host_id), epoch, first, last});
}

// Marks the part of every unexplained gap that [first, last] covers as
// explained by the gap record at `by`, splitting a gap it covers in part.
Status explain_gaps(const sql::Database& db, const std::string& host_id, std::int64_t epoch,
                    const IngestItem& it) {
  auto st = query(db,
                  "SELECT id, first_sequence, last_sequence FROM gaps WHERE host_id = ?1 AND epoch = ?2"
                  " AND explained_by IS NULL AND first_sequence <= ?4 AND last_sequence >= ?3",
                  {std::string_view(host_id), epoch, it.gap_first, it.gap_last});
  if (!st) return st.error();
  struct Row {
    std::int64_t id, first, last;
  };
  std::vector<Row> rows;
  while (st->step()) rows.push_back({st->column_int(0), st->column_int(1), st->column_int(2)});
  if (!st->succeeded()) return step_error(db, "gaps");
  for (const auto& r : rows) {
    Status s = run(db, "DELETE FROM gaps WHERE id = ?1", {r.id});
    if (s && r.first < it.gap_first) s = flag_gap(db, host_id, epoch, r.first, it.gap_first - 1);
    if (s && r.last > it.gap_last) s = flag_gap(db, host_id, epoch, it.gap_last + 1, r.last);
    if (s)
      s = run(db,
              "INSERT INTO gaps (host_id, epoch, first_sequence, last_sequence, explained_by, reason)"
              " VALUES (?1,?2,?3,?4,?5,?6)",
              {std::string_view(host_id), epoch, std::max(r.first, it.gap_first),
               std::min(r.last, it.gap_last), it.sequence, std::string_view(it.gap_reason)});
    if (!s) return s;
  }
  return {};
}

// The host's latest result per check: read once per request, kept up to
// date as its envelopes are indexed (one query instead of one per result),
// and written back once when the request's envelopes are in (a check's
// `latest` row changes once per request, not once per envelope).
struct LatestResult {
  std::string verdict;
  std::int64_t result_id = 0;
  bool changed = false;  // by this request: to write back
};
using LatestResults = std::unordered_map<std::string, LatestResult>;

Result<LatestResults> read_latest(const sql::Database& db, const std::string& host_id) {
  auto st =
      query(db,
            "SELECT l.check_id, r.verdict, l.result_id FROM latest l JOIN results r ON r.id = l.result_id"
            " WHERE l.host_id = ?1",
            {std::string_view(host_id)});
  if (!st) return std::move(st).error();
  LatestResults out;
  while (st->step())
    out.insert_or_assign(st->column_text(0), LatestResult{st->column_text(1), st->column_int(2), false});
  if (!st->succeeded()) return step_error(db, "latest");
  return out;
}

Status write_latest(const sql::Database& db, const std::string& host_id, const LatestResults& latest) {
  for (const auto& [check, l] : latest) {
    if (!l.changed) continue;
    Status s = run(db,
                   "INSERT INTO latest (host_id, check_id, result_id) VALUES (?1,?2,?3)"
                   " ON CONFLICT (host_id, check_id) DO UPDATE SET result_id = excluded.result_id",
                   {std::string_view(host_id), std::string_view(check), l.result_id});
    if (!s) return s;
  }
  return {};
}

Status index_result(const sql::Database& db, const std::string& host_id, std::int64_t epoch,
                    const IngestItem& it, const ResultRow& r, LatestResults& latest) {
  Status s = run(db,
                 "INSERT INTO results (host_id, epoch, sequence, time_ms, check_id, policy, title, severity,"
                 " verdict, message, evidence, controls, evidence_offset, evidence_size)"
                 " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
                 {std::string_view(host_id), epoch, it.sequence, it.time_ms, std::string_view(r.check),
                  std::string_view(r.policy), std::string_view(r.title), std::string_view(r.severity),
                  std::string_view(r.verdict), std::string_view(r.message),
                  r.evidence_span ? std::string_view("") : std::string_view(r.evidence_json),
                  std::string_view(join(r.controls, ",")),
                  r.evidence_span ? sql::Param(r.evidence_span->offset) : sql::Param(nullptr),
                  r.evidence_span ? sql::Param(r.evidence_span->size) : sql::Param(nullptr)});
  if (!s) return s;
  const std::int64_t id = db.last_insert_rowid();
  const auto before = latest.find(r.check);
  if (before == latest.end() || before->second.verdict != r.verdict) {
    s = run(
        db,
        "INSERT INTO transitions (host_id, check_id, from_verdict, to_verdict, sequence, time_ms, message)"
        " VALUES (?1,?2,?3,?4,?5,?6,?7)",
        {std::string_view(host_id), std::string_view(r.check),
         before != latest.end() ? sql::Param(std::string_view(before->second.verdict)) : sql::Param(nullptr),
         std::string_view(r.verdict), it.sequence, it.time_ms, std::string_view(r.message)});
    if (!s) return s;
  }
  latest.insert_or_assign(r.check, LatestResult{r.verdict, id, true});
  return {};
}

Status store_envelope(const sql::Database& db, const std::string& host_id, std::int64_t epoch,
                      const IngestItem& it, std::int64_t now_ms, LatestResults& latest) {
  Status s = run(
      db,
      "INSERT INTO envelopes (host_id, epoch, sequence, digest, previous_digest, kind, time_ms,"
      " received_at_ms, bytes) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
      {std::string_view(host_id), epoch, it.sequence, std::string_view(it.digest),
       std::string_view(it.previous_digest), std::string_view(it.kind == EnvelopeKind::scan ? "scan" : "gap"),
       it.time_ms, now_ms, sql::Blob{it.bytes}});
  if (!s) return s;
  if (it.kind == EnvelopeKind::gap) return explain_gaps(db, host_id, epoch, it);
  for (const auto& r : it.results)
    if (s = index_result(db, host_id, epoch, it, r, latest); !s) return s;
  s = run(db, "UPDATE hosts SET last_scan_ms = MAX(COALESCE(last_scan_ms, 0), ?2) WHERE id = ?1",
          {std::string_view(host_id), it.time_ms});
  if (s && it.scope)
    s = run(db, "UPDATE hosts SET scope = ?2 WHERE id = ?1",
            {std::string_view(host_id), std::string_view(scope_to_json(*it.scope))});
  return s;
}

IngestOutcome rejected(std::string reason) {
  return IngestOutcome{IngestStatus::rejected, std::move(reason)};
}

Result<IngestOutcome> ingest_in_tx(const sql::Database& db, const std::string& host_id, const IngestItem& it,
                                   std::int64_t now_ms, LatestResults& latest) {
  auto pos = chain_position(db, host_id);
  if (!pos) return std::move(pos).error();
  const std::string seq = "sequence " + std::to_string(it.sequence);
  auto stored = stored_digest(db, host_id, pos->epoch, it.sequence);
  if (!stored) return std::move(stored).error();
  if (*stored) {
    if (**stored == it.digest) return IngestOutcome{IngestStatus::duplicate, ""};
    auto why = "fork: " + seq + " is stored with digest " + **stored;
    if (auto s = flag_fork(db, host_id, pos->epoch, it, why, now_ms); !s) return s.error();
    return rejected(why);
  }
  if (pos->last_sequence) {
    const std::int64_t last = *pos->last_sequence;
    if (it.sequence < last)
      return rejected("out of order: " + seq + " is below the last stored sequence " + std::to_string(last) +
                      " and was not received before");
    if (it.sequence == last + 1 && it.previous_digest != pos->last_digest) {
      auto why = "fork: " + seq + " names previous_digest " + it.previous_digest + ", the stored sequence " +
                 std::to_string(last) + " has " + pos->last_digest;
      if (auto s = flag_fork(db, host_id, pos->epoch, it, why, now_ms); !s) return s.error();
      return rejected(why);
    }
    if (it.sequence > last + 1)
      if (auto s = flag_gap(db, host_id, pos->epoch, last + 1, it.sequence - 1); !s) return s.error();
  } else if (pos->epoch == 1 && it.sequence > 1) {
    // The host's first chain should start at 1; after a re-key it starts
    // wherever the new key's first envelope is.
    if (auto s = flag_gap(db, host_id, pos->epoch, 1, it.sequence - 1); !s) return s.error();
  } else if (it.sequence == 1 && !it.previous_digest.empty()) {
    return rejected("sequence 1 must have an empty previous_digest");
  }
  if (auto s = store_envelope(db, host_id, pos->epoch, it, now_ms, latest); !s) return s.error();
  return IngestOutcome{IngestStatus::accepted, ""};
}

}  // namespace

Result<std::vector<IngestOutcome>> SqliteStorage::ingest(const std::string& host_id,
                                                         std::span<const IngestItem> items,
                                                         std::int64_t now_ms) {
  if (items.empty()) return std::vector<IngestOutcome>();
  auto lease = acquire();
  if (!lease) return lease.error();
  const auto& db = lease->db();
  // One commit for the request, not one per envelope: each envelope's rows,
  // index pages and WAL frames were written and synced on their own before.
  return in_write_tx(db, [&]() -> Result<std::vector<IngestOutcome>> {
    auto latest = read_latest(db, host_id);
    if (!latest) return std::move(latest).error();
    std::vector<IngestOutcome> out;
    out.reserve(items.size());
    for (const auto& item : items) {
      auto r = ingest_in_tx(db, host_id, item, now_ms, *latest);
      if (!r) return std::move(r).error();
      out.push_back(std::move(*r));
    }
    Status s = write_latest(db, host_id, *latest);
    if (s)
      s = run(db, "UPDATE hosts SET last_seen_ms = MAX(COALESCE(last_seen_ms, 0), ?2) WHERE id = ?1",
              {std::string_view(host_id), now_ms});
    if (!s) return s.error();
    return out;
  });
}

}  // namespace vigil::store
