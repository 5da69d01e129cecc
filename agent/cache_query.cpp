// Reading the evidence cache: history, status, drift, and the envelopes and
// results an export covers (see cache.hpp).
#include <sys/stat.h>

#include <algorithm>
#include <boost/json.hpp>

#include "cache.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

Result<std::vector<std::string>> parse_strings(const std::string& text, const std::string& where) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return make_error(Errc::parse, where + ": stored value is not a JSON array");
  std::vector<std::string> out;
  for (const auto& e : v.get_array()) {
    if (!e.is_string()) return make_error(Errc::parse, where + ": stored array holds a non-string");
    out.emplace_back(e.get_string());
  }
  return out;
}

// Columns: columns, rows, total_rows, truncated at `first`; NULL columns
// mean the evidence row is gone.
Result<std::optional<StoredEvidence>> read_evidence(const sql::Statement& s, int first,
                                                    const std::string& where) {
  if (s.column_is_null(first)) return std::optional<StoredEvidence>();
  StoredEvidence e;
  auto cols = parse_strings(s.column_text(first), where + " evidence columns");
  if (!cols) return cols.error();
  e.columns = std::move(*cols);
  boost::system::error_code ec;
  json::value rows = json::parse(s.column_text(first + 1), ec);
  if (ec || !rows.is_array())
    return make_error(Errc::parse, where + ": stored evidence rows are not a JSON array");
  e.rows = std::move(rows.get_array());
  e.total_rows = s.column_int(first + 2);
  e.truncated = s.column_int(first + 3) != 0;
  return std::optional<StoredEvidence>(std::move(e));
}

std::string json_list(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return json::serialize(a);
}

std::int64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

}  // namespace

Result<std::vector<ScanSummary>> Cache::history(std::size_t limit) const {
  auto s = db_.prepare(
      "SELECT id, sequence, started_at_ms, duration_ms, host, root, agent_version, result_count, pass_count, "
      "fail_count, not_applicable_count, error_count, waived_count FROM scans ORDER BY sequence DESC LIMIT "
      "?");
  if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
  if (Status b = s->bind_int(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX))); !b)
    return b.error();
  std::vector<ScanSummary> out;
  while (s->step()) {
    ScanSummary x;
    x.scan_id = s->column_int(0);
    x.sequence = s->column_int(1);
    x.started_at_ms = s->column_int(2);
    x.duration_ms = s->column_double(3);
    x.host = s->column_text(4);
    x.root = s->column_text(5);
    x.agent_version = s->column_text(6);
    x.results = s->column_int(7);
    x.counts.pass = static_cast<std::size_t>(s->column_int(8));
    x.counts.fail = static_cast<std::size_t>(s->column_int(9));
    x.counts.not_applicable = static_cast<std::size_t>(s->column_int(10));
    x.counts.error = static_cast<std::size_t>(s->column_int(11));
    x.counts.waived = static_cast<std::size_t>(s->column_int(12));
    out.push_back(std::move(x));
  }
  if (!s->succeeded()) return make_error(Errc::sql, path_ + ": " + db_.last_error());
  auto p = db_.prepare(
      "SELECT pack_id, version, source, sha256 FROM scan_packs WHERE scan_id = ? ORDER BY position");
  if (!p) return make_error(Errc::sql, path_ + ": " + p.error().message);
  for (auto& x : out) {
    (void)p->reset();
    if (Status b = p->bind_int(1, x.scan_id); !b) return b.error();
    while (p->step())
      x.packs.push_back({p->column_text(0), p->column_text(1), p->column_text(2), p->column_text(3)});
    if (!p->succeeded()) return make_error(Errc::sql, path_ + ": " + db_.last_error());
  }
  return out;
}

Result<CacheStatus> Cache::status() const {
  CacheStatus st;
  auto last = history(1);
  if (!last) return last.error();
  if (!last->empty()) st.last_scan = std::move(last->front());
  struct Count {
    const char* sql;
    std::int64_t* into;
  };
  for (const Count& c :
       {Count{"SELECT count(*) FROM scans", &st.scans},
        Count{"SELECT COALESCE(MAX(sequence), 0) FROM chain", &st.last_sequence},
        Count{"SELECT count(*) FROM outbox WHERE shipped_at_ms IS NULL AND set_aside_reason IS NULL",
              &st.outbox_depth},
        Count{"SELECT count(*) FROM outbox WHERE shipped_at_ms IS NULL AND set_aside_reason IS NOT NULL",
              &st.set_aside},
        Count{"SELECT count(*) FROM gaps", &st.gaps}}) {
    auto n = db_.query_int(c.sql);
    if (!n) return make_error(Errc::sql, path_ + ": " + n.error().message);
    *c.into = *n;
  }
  auto s = db_.prepare(
      "SELECT sequence, created_at_ms FROM outbox WHERE shipped_at_ms IS NULL AND set_aside_reason IS NULL "
      "ORDER BY sequence LIMIT 1");
  if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
  if (s->step()) {
    st.oldest_unshipped_sequence = s->column_int(0);
    st.oldest_unshipped_ms = s->column_int(1);
  } else if (!s->succeeded()) {
    return make_error(Errc::sql, path_ + ": " + db_.last_error());
  }
  auto last_shipped = db_.prepare("SELECT MAX(shipped_at_ms) FROM outbox");
  if (!last_shipped) return make_error(Errc::sql, path_ + ": " + last_shipped.error().message);
  if (last_shipped->step() && !last_shipped->column_is_null(0))
    st.last_shipped_ms = last_shipped->column_int(0);
  if (!last_shipped->succeeded()) return make_error(Errc::sql, path_ + ": " + db_.last_error());
  st.file_bytes = file_size(path_) + file_size(path_ + "-wal");
  auto used = used_bytes();
  if (!used) return used.error();
  st.used_bytes = *used;
  return st;
}

Result<std::vector<Transition>> Cache::drift(const DriftQuery& q) const {
  auto s = db_.prepare(
      "SELECT t.id, t.policy_id, t.check_id, t.before_verdict, t.after_verdict, t.at_ms, t.before_scan_id, "
      "t.before_sequence, t.before_seen_ms, t.after_scan_id, t.after_sequence, rb.message, ra.message, "
      "eb.columns, eb.rows, eb.total_rows, eb.truncated, ea.columns, ea.rows, ea.total_rows, ea.truncated "
      "FROM transitions t JOIN results ra ON ra.id = t.after_result_id "
      "LEFT JOIN evidence ea ON ea.result_id = ra.id "
      "LEFT JOIN results rb ON rb.id = t.before_result_id LEFT JOIN evidence eb ON eb.result_id = rb.id "
      "WHERE (?1 IS NULL OR t.at_ms >= ?1) AND (?2 IS NULL OR t.check_id = ?2) ORDER BY t.id");
  if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
  Status b = q.since_ms ? s->bind_int(1, *q.since_ms) : s->bind_null(1);
  if (b) b = q.check_id ? s->bind_text(2, *q.check_id) : s->bind_null(2);
  if (!b) return b.error();
  std::vector<Transition> out;
  while (s->step()) {
    Transition t;
    t.id = s->column_int(0);
    t.policy_id = s->column_text(1);
    t.check_id = s->column_text(2);
    if (!s->column_is_null(3)) t.before_verdict = s->column_text(3);
    t.after_verdict = s->column_text(4);
    t.at_ms = s->column_int(5);
    if (!s->column_is_null(6)) t.before_scan_id = s->column_int(6);
    if (!s->column_is_null(7)) t.before_sequence = s->column_int(7);
    if (!s->column_is_null(8)) t.before_seen_ms = s->column_int(8);
    t.after_scan_id = s->column_int(9);
    t.after_sequence = s->column_int(10);
    t.before_message = s->column_text(11);
    t.after_message = s->column_text(12);
    if (q.with_evidence) {
      const std::string where = path_ + ": transition " + std::to_string(t.id);
      auto before = read_evidence(*s, 13, where);
      if (!before) return before.error();
      auto after = read_evidence(*s, 17, where);
      if (!after) return after.error();
      t.before_evidence = std::move(*before);
      t.after_evidence = std::move(*after);
    }
    out.push_back(std::move(t));
  }
  if (!s->succeeded()) return make_error(Errc::sql, path_ + ": " + db_.last_error());
  return out;
}

Result<std::vector<CheckState>> Cache::check_states() const {
  auto s = db_.prepare(
      "SELECT policy_id, check_id, verdict, first_seen_ms, first_seen_scan_id, last_seen_ms, "
      "last_seen_scan_id, "
      "last_seen_sequence FROM check_state ORDER BY policy_id, check_id");
  if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
  std::vector<CheckState> out;
  while (s->step()) {
    out.push_back({s->column_text(0), s->column_text(1), s->column_text(2), s->column_int(3),
                   s->column_int(4), s->column_int(5), s->column_int(6), s->column_int(7)});
  }
  if (!s->succeeded()) return make_error(Errc::sql, path_ + ": " + db_.last_error());
  return out;
}

namespace {

// Rows of SELECT sequence, digest, bytes, created_at_ms, kind, shipped_at_ms,
// set_aside_reason (bytes may be a NULL or empty column).
Result<std::vector<EnvelopeRecord>> read_envelopes(sql::Statement& s, const std::string& path,
                                                   const sql::Database& db) {
  std::vector<EnvelopeRecord> out;
  while (s.step()) {
    EnvelopeRecord e;
    e.sequence = s.column_int(0);
    e.digest = s.column_text(1);
    if (sqlite3_column_bytes(s.get(), 2) > static_cast<int>(kMaxEnvelopeBytes))
      return make_error(Errc::too_large,
                        path + ": envelope " + std::to_string(e.sequence) + " is over the cap");
    e.bytes = s.column_blob(2);
    e.created_at_ms = s.column_int(3);
    e.kind = s.column_text(4);
    if (!s.column_is_null(5)) e.shipped_at_ms = s.column_int(5);
    if (!s.column_is_null(6)) e.set_aside_reason = s.column_text(6);
    out.push_back(std::move(e));
  }
  if (!s.succeeded()) return make_error(Errc::sql, path + ": " + db.last_error());
  return out;
}

}  // namespace

Result<std::vector<EnvelopeRecord>> Cache::envelopes_between(std::int64_t from_ms, std::int64_t to_ms) const {
  auto s = db_.prepare(
      "SELECT o.sequence, o.digest, o.bytes, o.created_at_ms, c.kind, o.shipped_at_ms, o.set_aside_reason "
      "FROM outbox o JOIN chain c ON c.sequence = o.sequence WHERE o.created_at_ms BETWEEN ? AND ? "
      "ORDER BY o.sequence");
  if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
  if (Status b = s->bind_all({from_ms, to_ms}); !b) return b.error();
  return read_envelopes(*s, path_, db_);
}

Result<std::vector<EnvelopeRecord>> Cache::unshipped_envelopes(std::int64_t after_sequence,
                                                               std::size_t limit) const {
  auto s = db_.prepare(
      "SELECT o.sequence, o.digest, o.bytes, o.created_at_ms, c.kind, o.shipped_at_ms, o.set_aside_reason "
      "FROM outbox o JOIN chain c ON c.sequence = o.sequence "
      "WHERE o.shipped_at_ms IS NULL AND o.set_aside_reason IS NULL AND o.sequence > ? "
      "ORDER BY o.sequence LIMIT ?");
  if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
  if (Status b =
          s->bind_all({after_sequence, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1u << 30))});
      !b)
    return b.error();
  return read_envelopes(*s, path_, db_);
}

Result<std::vector<EnvelopeRecord>> Cache::set_aside_envelopes(std::size_t limit) const {
  auto s = db_.prepare(
      "SELECT o.sequence, o.digest, NULL, o.created_at_ms, c.kind, o.shipped_at_ms, o.set_aside_reason "
      "FROM outbox o JOIN chain c ON c.sequence = o.sequence "
      "WHERE o.shipped_at_ms IS NULL AND o.set_aside_reason IS NOT NULL ORDER BY o.sequence LIMIT ?");
  if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
  if (Status b = s->bind_all({static_cast<std::int64_t>(std::min<std::size_t>(limit, 1u << 30))}); !b)
    return b.error();
  return read_envelopes(*s, path_, db_);
}

Result<std::vector<StoredResult>> Cache::results_between(const ResultQuery& q) const {
  auto s = db_.prepare(
      "SELECT r.id, r.scan_id, s.sequence, s.started_at_ms, s.host, r.policy_id, r.policy_version, "
      "r.check_id, "
      "r.title, r.severity, r.verdict, r.message, r.controls_2022, r.controls_2013, e.columns, e.rows, "
      "e.total_rows, e.truncated FROM results r JOIN scans s ON s.id = r.scan_id "
      "LEFT JOIN evidence e ON e.result_id = r.id "
      "WHERE s.started_at_ms BETWEEN ?1 AND ?2 "
      "AND (?3 IS NULL OR r.check_id IN (SELECT value FROM json_each(?3))) "
      "AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(r.controls_2022) c WHERE c.value IN "
      "(SELECT value FROM json_each(?4))) OR EXISTS (SELECT 1 FROM json_each(r.controls_2013) c WHERE "
      "c.value IN "
      "(SELECT value FROM json_each(?4)))) ORDER BY s.sequence, r.id");
  if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
  const std::string checks = json_list(q.checks), controls = json_list(q.controls);
  if (Status b =
          s->bind_all({q.from_ms, q.to_ms, q.checks.empty() ? sql::Param(nullptr) : std::string_view(checks),
                       q.controls.empty() ? sql::Param(nullptr) : std::string_view(controls)});
      !b)
    return b.error();
  std::vector<StoredResult> out;
  while (s->step()) {
    StoredResult r;
    r.result_id = s->column_int(0);
    r.scan_id = s->column_int(1);
    r.sequence = s->column_int(2);
    r.started_at_ms = s->column_int(3);
    r.host = s->column_text(4);
    r.policy_id = s->column_text(5);
    r.policy_version = s->column_text(6);
    r.check_id = s->column_text(7);
    r.title = s->column_text(8);
    r.severity = s->column_text(9);
    r.verdict = s->column_text(10);
    r.message = s->column_text(11);
    const std::string where = path_ + ": result " + std::to_string(r.result_id);
    auto c22 = parse_strings(s->column_text(12), where + " controls_2022");
    auto c13 = parse_strings(s->column_text(13), where + " controls_2013");
    if (!c22) return c22.error();
    if (!c13) return c13.error();
    r.controls_2022 = std::move(*c22);
    r.controls_2013 = std::move(*c13);
    auto ev = read_evidence(*s, 14, where);
    if (!ev) return ev.error();
    if (*ev) r.evidence = std::move(**ev);
    out.push_back(std::move(r));
  }
  if (!s->succeeded()) return make_error(Errc::sql, path_ + ": " + db_.last_error());
  return out;
}

Result<std::vector<Cache::Link>> Cache::chain() const {
  auto s = db_.prepare(
      "SELECT sequence, digest, previous_digest, kind, created_at_ms FROM chain ORDER BY sequence");
  if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
  std::vector<Link> out;
  while (s->step())
    out.push_back(
        {s->column_int(0), s->column_text(1), s->column_text(2), s->column_text(3), s->column_int(4)});
  if (!s->succeeded()) return make_error(Errc::sql, path_ + ": " + db_.last_error());
  return out;
}

Result<std::vector<GapRecord>> Cache::gaps() const {
  auto s = db_.prepare(
      "SELECT sequence, first_sequence, last_sequence, first_time_ms, last_time_ms, reason FROM gaps ORDER "
      "BY "
      "sequence");
  if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
  std::vector<GapRecord> out;
  while (s->step()) {
    out.push_back(
        {s->column_int(0),
         {s->column_int(1), s->column_int(2), s->column_int(3), s->column_int(4), s->column_text(5)}});
  }
  if (!s->succeeded()) return make_error(Errc::sql, path_ + ": " + db_.last_error());
  return out;
}

}  // namespace vigil::agent
