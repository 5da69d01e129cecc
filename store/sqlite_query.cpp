// SqliteStorage: the read side (chain state, latest and period results,
// drift, envelopes for export).
#include "sqlite_storage.hpp"
#include "sqlite_util.hpp"
#include "strings.hpp"

namespace vigil::store {

using namespace sqlite;

namespace {

constexpr const char* kResultColumns =
    "SELECT r.host_id, r.sequence, r.time_ms, r.check_id, r.policy, r.title, r.severity, r.verdict,"
    " r.message, r.evidence, r.controls, r.epoch, r.evidence_offset, r.evidence_size FROM results r ";

StoredResult result_from_row(const sql::Statement& s) {
  StoredResult r;
  r.host_id = s.column_text(0);
  r.sequence = s.column_int(1);
  r.time_ms = s.column_int(2);
  r.row.check = s.column_text(3);
  r.row.policy = s.column_text(4);
  r.row.title = s.column_text(5);
  r.row.severity = s.column_text(6);
  r.row.verdict = s.column_text(7);
  r.row.message = s.column_text(8);
  r.row.evidence_json = s.column_text(9);
  const std::string controls = s.column_text(10);
  for (auto c : split(controls, ','))
    if (!c.empty()) r.row.controls.emplace_back(c);
  r.epoch = s.column_int(11);
  if (!s.column_is_null(12)) r.row.evidence_span = EvidenceSpan{s.column_int(12), s.column_int(13)};
  return r;
}

Result<std::vector<StoredResult>> results_of(const sql::Database& db, const std::string& sql_text,
                                             std::initializer_list<sql::Param> params) {
  auto st = query(db, sql_text, params);
  if (!st) return std::move(st).error();
  std::vector<StoredResult> out;
  while (st->step()) out.push_back(result_from_row(*st));
  if (!st->succeeded()) return step_error(db, "results");
  return out;
}

}  // namespace

Result<ChainState> SqliteStorage::chain_state(const std::string& host_id) {
  auto lease = acquire();
  if (!lease) return lease.error();
  const auto& db = lease->db();
  ChainState c;
  auto st =
      query(db,
            "SELECT h.epoch, e.sequence, e.digest FROM hosts h LEFT JOIN envelopes e ON e.host_id = h.id"
            " AND e.epoch = h.epoch WHERE h.id = ?1 ORDER BY e.sequence DESC LIMIT 1",
            {std::string_view(host_id)});
  if (!st) return std::move(st).error();
  if (!st->step()) return make_error(Errc::not_found, "no host " + host_id);
  c.epoch = st->column_int(0);
  c.last_sequence = opt_int(*st, 1);
  if (c.last_sequence) c.last_digest = st->column_text(2);
  auto gaps = query(db,
                    "SELECT first_sequence, last_sequence, explained_by, reason FROM gaps"
                    " WHERE host_id = ?1 AND epoch = ?2 ORDER BY first_sequence",
                    {std::string_view(host_id), c.epoch});
  if (!gaps) return std::move(gaps).error();
  while (gaps->step())
    c.gaps.push_back(
        GapRecord{gaps->column_int(0), gaps->column_int(1), opt_int(*gaps, 2), gaps->column_text(3)});
  if (!gaps->succeeded()) return step_error(db, "gaps");
  auto forks = query(db,
                     "SELECT sequence, digest, reason, at_ms FROM forks WHERE host_id = ?1 AND epoch = ?2"
                     " ORDER BY sequence, id",
                     {std::string_view(host_id), c.epoch});
  if (!forks) return std::move(forks).error();
  while (forks->step())
    c.forks.push_back(
        ForkRecord{forks->column_int(0), forks->column_text(1), forks->column_text(2), forks->column_int(3)});
  if (!forks->succeeded()) return step_error(db, "forks");
  return c;
}

Result<std::vector<StoredResult>> SqliteStorage::latest_results(const std::string& host_id) {
  auto lease = acquire();
  if (!lease) return lease.error();
  // Two texts, not "?1 = '' OR l.host_id = ?1": with the OR the planner
  // cannot use latest's key, and one host's page scanned the whole fleet's.
  if (host_id.empty())
    return results_of(
        lease->db(),
        std::string(kResultColumns) + "JOIN latest l ON l.result_id = r.id ORDER BY l.host_id, l.check_id",
        {});
  return results_of(lease->db(),
                    std::string(kResultColumns) +
                        "JOIN latest l ON l.result_id = r.id WHERE l.host_id = ?1 ORDER BY l.check_id",
                    {std::string_view(host_id)});
}

Result<std::vector<StoredResult>> SqliteStorage::period_results(const std::string& host_id,
                                                                std::int64_t from_ms, std::int64_t to_ms) {
  auto lease = acquire();
  if (!lease) return lease.error();
  return results_of(lease->db(),
                    std::string(kResultColumns) +
                        "WHERE (?1 = '' OR r.host_id = ?1) AND r.time_ms BETWEEN ?2 AND ?3"
                        " ORDER BY r.host_id, r.sequence, r.check_id",
                    {std::string_view(host_id), from_ms, to_ms});
}

Result<std::vector<Transition>> SqliteStorage::drift(const DriftFilter& f) {
  auto lease = acquire();
  if (!lease) return lease.error();
  const std::string host = f.host_id.value_or("");
  const std::string check = f.check.value_or("");
  auto st = query(
      lease->db(),
      "SELECT host_id, check_id, from_verdict, to_verdict, sequence, time_ms, message FROM transitions"
      " WHERE time_ms >= ?1 AND (?2 = '' OR host_id = ?2) AND (?3 = '' OR check_id = ?3)"
      " ORDER BY time_ms, id LIMIT ?4",
      {f.since_ms, std::string_view(host), std::string_view(check), static_cast<std::int64_t>(f.limit)});
  if (!st) return std::move(st).error();
  std::vector<Transition> out;
  while (st->step()) {
    Transition t;
    t.host_id = st->column_text(0);
    t.check = st->column_text(1);
    if (!st->column_is_null(2)) t.from = st->column_text(2);
    t.to = st->column_text(3);
    t.sequence = st->column_int(4);
    t.time_ms = st->column_int(5);
    t.message = st->column_text(6);
    out.push_back(std::move(t));
  }
  if (!st->succeeded()) return step_error(lease->db(), "transitions");
  return out;
}

Result<std::vector<std::string>> SqliteStorage::envelopes(const std::string& host_id, std::int64_t from_ms,
                                                          std::int64_t to_ms) {
  auto lease = acquire();
  if (!lease) return lease.error();
  auto st = query(lease->db(),
                  "SELECT e.bytes FROM envelopes e JOIN hosts h ON h.id = e.host_id AND h.epoch = e.epoch"
                  " WHERE e.host_id = ?1 AND e.time_ms BETWEEN ?2 AND ?3 ORDER BY e.sequence",
                  {std::string_view(host_id), from_ms, to_ms});
  if (!st) return std::move(st).error();
  std::vector<std::string> out;
  while (st->step()) out.push_back(st->column_blob(0));
  if (!st->succeeded()) return step_error(lease->db(), "envelopes");
  return out;
}

Result<std::optional<std::string>> SqliteStorage::envelope(const std::string& host_id, std::int64_t epoch,
                                                           std::int64_t sequence) {
  auto lease = acquire();
  if (!lease) return lease.error();
  auto st =
      query(lease->db(), "SELECT bytes FROM envelopes WHERE host_id = ?1 AND epoch = ?2 AND sequence = ?3",
            {std::string_view(host_id), epoch, sequence});
  if (!st) return std::move(st).error();
  if (st->step()) return std::optional<std::string>(st->column_blob(0));
  if (!st->succeeded()) return step_error(lease->db(), "envelopes");
  return std::optional<std::string>();
}

}  // namespace vigil::store
