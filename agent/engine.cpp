// The scan engine (see engine.hpp).
#include "engine.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "strings.hpp"
#include "vtab.hpp"

namespace vigil::agent {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Policies and ad-hoc queries may only read: no ATTACH (which could create
// files as the agent's user), no writes, no pragmas.
// Functions a policy must not reach: fts3_tokenizer leaks and installs raw
// function pointers (Debian builds SQLite with SQLITE_ENABLE_FTS3_TOKENIZER).
bool denied_function(std::string_view name) {
  return iequals(name, "fts3_tokenizer") || iequals(name, "load_extension");
}

int authorize(void* p, int action, const char* arg1, const char* arg2, const char*, const char*) {
  const auto* st = static_cast<const ScanState*>(p);
  if (st->declaring) return SQLITE_OK;
  if (action == SQLITE_READ && arg1 != nullptr && st->prepare_reads != nullptr &&
      std::find(st->prepare_reads->begin(), st->prepare_reads->end(), arg1) == st->prepare_reads->end())
    st->prepare_reads->emplace_back(arg1);
  // Built-in eponymous tables (json_each) register themselves on first use
  // with an internal update of the schema table; statements themselves still
  // have to be read-only (sqlite3_stmt_readonly) and DEFENSIVE is on.
  if (action == SQLITE_UPDATE && arg1 != nullptr && std::string_view(arg1) == "sqlite_master")
    return SQLITE_OK;
  switch (action) {
    case SQLITE_FUNCTION:
      return arg2 != nullptr && denied_function(arg2) ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    default:
      return SQLITE_DENY;
  }
}

int progress(void* p) {
  auto* st = static_cast<ScanState*>(p);
  if (st->cancel != nullptr && st->cancel->load(std::memory_order_relaxed)) return 1;
  return Clock::now() > st->deadline ? 1 : 0;
}

collectors::Value column_value(const sql::Statement& s, int i) {
  switch (s.column_type(i)) {
    case SQLITE_INTEGER:
      return s.column_int(i);
    case SQLITE_FLOAT:
      return s.column_double(i);
    case SQLITE_NULL:
      return std::monostate{};
    default:
      return s.column_text(i);
  }
}

Status bind_parameters(sql::Statement& stmt, const PolicyPack& pack, std::int64_t scan_time_s) {
  for (int i = 1; i <= stmt.parameter_count(); ++i) {
    const char* raw = stmt.parameter_name(i);
    if (raw == nullptr || (raw[0] != ':' && raw[0] != '$' && raw[0] != '@')) {
      return make_error(Errc::invalid, "positional parameters (?) are not supported; use :name");
    }
    std::string name(raw + 1);
    if (name == kScanTimeParameter) {
      if (Status s = stmt.bind_int(i, scan_time_s); !s.ok()) return s;
      continue;
    }
    auto it = pack.parameters.find(name);
    if (it == pack.parameters.end()) {
      return make_error(Errc::invalid, "unknown parameter :" + name + " (not in the pack's parameters)");
    }
    const auto& v = it->second;
    Status s;
    if (const auto* n = std::get_if<std::int64_t>(&v))
      s = stmt.bind_int(i, *n);
    else if (const auto* d = std::get_if<double>(&v))
      s = stmt.bind_double(i, *d);
    else if (const auto* t = std::get_if<std::string>(&v))
      s = stmt.bind_text(i, *t);
    else
      s = stmt.bind_null(i);
    if (!s.ok()) return s;
  }
  return {};
}

// Result columns by name are the evidence (JSON objects): two columns of one
// name would lose one of them, or make `compliant` ambiguous.
std::string duplicate_column(const sql::Statement& s) {
  std::set<std::string> seen;
  for (int i = 0; i < s.column_count(); ++i) {
    if (!seen.insert(to_lower(s.column_name(i))).second) return s.column_name(i);
  }
  return {};
}

std::size_t value_bytes(const collectors::Value& v) {
  if (const auto* t = std::get_if<std::string>(&v)) return t->size() + 8;
  return 8;
}

// Keeps a statement's rows as evidence up to a row and a byte cap, and
// counts every row, kept or not.
class EvidenceSink {
 public:
  EvidenceSink(Evidence& e, std::size_t row_cap, std::size_t byte_cap)
      : e_(e), row_cap_(row_cap), byte_cap_(byte_cap) {}
  void take(const sql::Statement& st) {
    ++e_.total_rows;
    if (e_.rows.size() >= row_cap_ || bytes_ >= byte_cap_) return;
    collectors::Row row;
    for (int i = 0; i < st.column_count(); ++i) {
      row.push_back(column_value(st, i));
      bytes_ += value_bytes(row.back());
    }
    e_.rows.push_back(std::move(row));
  }

 private:
  Evidence& e_;
  std::size_t row_cap_, byte_cap_, bytes_ = 0;
};

// Column names for an ad-hoc result; a repeated name gets ":2", ":3"... so
// no column is lost when rows become JSON objects.
std::vector<std::string> unique_column_names(const sql::Statement& s) {
  std::vector<std::string> out;
  std::map<std::string, int> seen;
  for (int i = 0; i < s.column_count(); ++i) {
    std::string name = s.column_name(i);
    int n = ++seen[to_lower(name)];
    out.push_back(n == 1 ? name : name + ":" + std::to_string(n));
  }
  return out;
}

int find_compliant_column(const sql::Statement& s) {
  for (int i = 0; i < s.column_count(); ++i) {
    if (iequals(s.column_name(i), "compliant")) return i;
  }
  return -1;
}

// By table and arguments: with the prefetch worker, the order in which
// collectors finish depends on the machine; the report does not.
std::vector<CollectorRun> sorted_runs(std::vector<CollectorRun> runs) {
  std::stable_sort(runs.begin(), runs.end(), [](const CollectorRun& a, const CollectorRun& b) {
    return a.table != b.table ? a.table < b.table : a.args < b.args;
  });
  return runs;
}

}  // namespace

const char* verdict_name(Verdict v) noexcept {
  switch (v) {
    case Verdict::pass:
      return "pass";
    case Verdict::fail:
      return "fail";
    case Verdict::not_applicable:
      return "not_applicable";
    case Verdict::error:
      return "error";
    case Verdict::waived:
      return "waived";
  }
  return "error";
}

Engine::Engine(Token, sql::Database db, std::unique_ptr<ScanState> state)
    : db_(std::move(db)), state_(std::move(state)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::create(const collectors::Host& host) {
  auto db = sql::Database::open(":memory:");
  if (!db) return std::move(db).error();
  auto state = std::make_unique<ScanState>();
  state->host = &host;
  sqlite3* raw = db->get();
  // Policy SQL is untrusted input: bound what one value, the whole heap and
  // temporary storage can take. temp_store=MEMORY keeps sorts and temporary
  // b-trees off the host's /var/tmp; the heap limit is process-wide and sized
  // for everything the agent keeps in SQLite.
  sqlite3_hard_heap_limit64(kSqliteHeapLimit);
  sqlite3_limit(raw, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_limit(raw, SQLITE_LIMIT_LENGTH, kMaxValueBytes);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  if (Status s = db->exec("PRAGMA temp_store = MEMORY"); !s.ok()) return s.error();
  if (Status s = register_fact_tables(*db, *state); !s.ok()) return s.error();
  sqlite3_set_authorizer(raw, authorize, state.get());
  sqlite3_progress_handler(raw, 100, progress, state.get());
  return std::make_unique<Engine>(Token{}, std::move(*db), std::move(state));
}

Result<sql::Statement> Engine::prepare_checked(std::string_view sql, std::vector<std::string>* reads) {
  auto it = compiled_reads_.find(sql);
  const bool first = it == compiled_reads_.end();
  if (first) it = compiled_reads_.emplace(std::string(sql), std::vector<std::string>()).first;
  // Only the first compile records its reads (a copy compiled while the
  // cached one is in use reads the same tables).
  state_->prepare_reads = first ? &it->second : nullptr;
  auto stmt = db_.prepare_cached(sql);
  state_->prepare_reads = nullptr;
  if (!stmt) {
    if (first) compiled_reads_.erase(it);
    return stmt;
  }
  if (!sqlite3_stmt_readonly(stmt->get())) return make_error(Errc::sql, "statement is not read-only");
  if (reads != nullptr)
    for (const auto& t : it->second)
      if (std::find(reads->begin(), reads->end(), t) == reads->end()) reads->push_back(t);
  return stmt;
}

Status Engine::validate(const PolicyPack& pack) {
  std::vector<std::string> problems;
  auto where = [&](const Check& c, const char* what) {
    return pack.source + ":" + std::to_string(c.line) + ": check " + c.id + ": " + what + ": ";
  };
  for (const auto& c : pack.checks) {
    if (!c.applies_when.empty()) {
      auto s = prepare_checked(c.applies_when);
      if (!s)
        problems.push_back(where(c, "applies_when") + s.error().message);
      else if (Status b = bind_parameters(*s, pack, scan_time_s_); !b.ok())
        problems.push_back(where(c, "applies_when") + b.error().message);
    }
    auto s = prepare_checked(c.query);
    if (!s) {
      problems.push_back(where(c, "query") + s.error().message);
      continue;
    }
    if (Status b = bind_parameters(*s, pack, scan_time_s_); !b.ok())
      problems.push_back(where(c, "query") + b.error().message);
    if (find_compliant_column(*s) < 0) {
      problems.push_back(where(c, "query") + "has no column named 'compliant' (1 = the row complies)");
    }
    if (auto dup = duplicate_column(*s); !dup.empty()) {
      problems.push_back(where(c, "query") + "two result columns are named '" + dup +
                         "'; name each one (AS)");
    }
  }
  if (!problems.empty()) return make_error(Errc::invalid, join(problems, "\n"));
  return {};
}

void Engine::begin_scan(const ScanOptions* opts) {
  state_->reset();
  if (opts != nullptr) {
    state_->collector_budget = opts->collector_budget;
    state_->skip = &opts->skip_collectors;
    state_->cancel = opts->cancel;
  }
}

namespace {

struct StepOutcome {
  bool ok = true;
  std::string error;
};

// Steps a prepared statement to the end under the state's deadline.
template <typename OnRow>
StepOutcome run_statement(sql::Statement& s, ScanState& st, std::chrono::milliseconds budget, sqlite3* db,
                          OnRow&& on_row) {
  st.deadline = Clock::now() + budget;
  while (s.step()) on_row(s);
  st.deadline = Clock::time_point::max();
  if (s.succeeded()) return {};
  if ((s.last_code() & 0xff) == SQLITE_INTERRUPT) {
    if (st.cancel != nullptr && st.cancel->load(std::memory_order_relaxed)) return {false, "scan cancelled"};
    return {false, "exceeded the time budget of " + std::to_string(budget.count()) + " ms"};
  }
  return {false, sqlite3_errmsg(db)};
}

void set_verdict(CheckResult& r, Verdict v, std::string message) {
  r.verdict = v;
  r.message = std::move(message);
}

// The verdict of a query that ran: the rules in docs/policies.md.
void judge(CheckResult& r, OnEmpty on_empty, std::size_t not_compliant, std::size_t null_compliant) {
  const std::size_t total = r.evidence.total_rows;
  if (total == 0) {
    switch (on_empty) {
      case OnEmpty::pass:
        return set_verdict(r, Verdict::pass, "no rows (on_empty: pass)");
      case OnEmpty::error:
        return set_verdict(r, Verdict::error, "no rows: no evidence");
      case OnEmpty::fail:
        return set_verdict(r, Verdict::fail, "no rows: no evidence");
    }
  }
  if (not_compliant + null_compliant == 0) {
    return set_verdict(r, Verdict::pass, "all " + std::to_string(total) + " rows compliant");
  }
  std::string message =
      std::to_string(not_compliant + null_compliant) + " of " + std::to_string(total) + " rows not compliant";
  if (null_compliant > 0) {
    message += " (" + std::to_string(null_compliant) + " with compliant NULL: unknown is not compliant)";
  }
  set_verdict(r, Verdict::fail, std::move(message));
}

}  // namespace

bool Engine::check_applies(const PolicyPack& pack, const Check& check, const ScanOptions& opts,
                           CheckResult& r) {
  if (check.applies_when.empty()) return true;
  auto s = prepare_checked(check.applies_when);
  Status bound = s ? bind_parameters(*s, pack, scan_time_s_) : Status(s.error());
  if (!bound.ok()) {
    set_verdict(r, Verdict::error, "applies_when: " + bound.error().message);
    return false;
  }
  std::size_t rows = 0;
  auto out = run_statement(*s, *state_, opts.check_timeout, db_.get(), [&](sql::Statement&) { ++rows; });
  if (!out.ok) {
    set_verdict(r, Verdict::error, "applies_when: " + out.error);
    return false;
  }
  if (rows == 0) {
    set_verdict(r, Verdict::not_applicable,
                check.applies_to.empty()
                    ? "applies_when returned no rows"
                    : "applies to " + check.applies_to + "; applies_when found none here");
    return false;
  }
  return true;
}

void Engine::evaluate_query(const PolicyPack& pack, const Check& check, const ScanOptions& opts,
                            CheckResult& r) {
  auto s = prepare_checked(check.query);
  Status bound = s ? bind_parameters(*s, pack, scan_time_s_) : Status(s.error());
  if (!bound.ok()) return set_verdict(r, Verdict::error, "query: " + bound.error().message);
  const int compliant_col = find_compliant_column(*s);
  if (compliant_col < 0) return set_verdict(r, Verdict::error, "query: has no column named 'compliant'");
  for (int i = 0; i < s->column_count(); ++i) r.evidence.columns.push_back(s->column_name(i));
  std::size_t not_compliant = 0, null_compliant = 0;
  EvidenceSink sink(r.evidence, opts.evidence_cap, opts.evidence_byte_cap);
  auto out = run_statement(*s, *state_, opts.check_timeout, db_.get(), [&](sql::Statement& st) {
    if (st.column_is_null(compliant_col)) {
      ++null_compliant;
    } else if (st.column_int(compliant_col) == 0) {
      ++not_compliant;
    }
    sink.take(st);
  });
  if (!out.ok) {
    r.evidence = {};  // rows of a statement that failed half-way prove nothing
    return set_verdict(r, Verdict::error, "query: " + out.error);
  }
  judge(r, check.on_empty, not_compliant, null_compliant);
}

CheckResult Engine::run_check(const PolicyPack& pack, const Check& check, const ScanOptions& opts) {
  const auto start = Clock::now();
  CheckResult r;
  r.pack = &pack;
  r.check = &check;
  state_->tables_read.clear();
  // A throw below is a bug, but it must cost one check, not the scan.
  try {
    if (check_applies(pack, check, opts, r)) evaluate_query(pack, check, opts, r);
  } catch (const std::exception& e) {
    r.evidence = {};
    set_verdict(r, Verdict::error, std::string("internal error: ") + e.what());
  }
  r.tables.assign(state_->tables_read.begin(), state_->tables_read.end());
  r.duration_ms = ms_since(start);
  return r;
}

std::vector<std::vector<std::string>> Engine::tables_read_by(
    const std::vector<std::pair<const PolicyPack*, const Check*>>& checks) {
  std::vector<std::vector<std::string>> reads;
  for (const auto& [pack, check] : checks) {
    reads.emplace_back();
    if (!check->applies_when.empty()) (void)prepare_checked(check->applies_when, &reads.back());
    (void)prepare_checked(check->query, &reads.back());
  }
  return reads;
}

ScanReport Engine::scan(const std::vector<PolicyPack>& packs, const ScanOptions& opts) {
  begin_scan(&opts);
  ScanReport report;
  report.root = state_->host->root();
  report.started_at_ms = opts.started_at_ms.value_or(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                         std::chrono::system_clock::now().time_since_epoch())
                                                         .count());
  scan_time_s_ = report.started_at_ms / 1000;
  const auto scan_start = Clock::now();
  const std::set<std::string> only(opts.only_checks.begin(), opts.only_checks.end());
  std::vector<std::pair<const PolicyPack*, const Check*>> checks;
  for (const auto& pack : packs) {
    report.packs.push_back(&pack);
    for (const auto& check : pack.checks)
      if (only.empty() || only.count(check.id) != 0) checks.emplace_back(&pack, &check);
  }
  // With a prefetch worker, a check that reads a table the worker is
  // collecting (or about to: the heavy ones) runs after the other checks,
  // so the scan's thread works instead of waiting; results keep the packs'
  // order.
  std::vector<std::vector<std::string>> reads;
  if (opts.prefetch) {
    reads = tables_read_by(checks);
    std::vector<std::string> all;  // start_prefetch keeps each table's first place
    for (const auto& r : reads) all.insert(all.end(), r.begin(), r.end());
    all.emplace_back("system_info");  // the host description at the end
    start_prefetch(*state_, all);
  }
  std::vector<std::optional<CheckResult>> results(checks.size());
  std::vector<std::size_t> deferred;
  auto cancelled = [&] { return opts.cancel != nullptr && opts.cancel->load(std::memory_order_relaxed); };
  for (std::size_t i = 0; i < checks.size() && !cancelled(); ++i) {
    if (!reads.empty() && prefetch_busy(*state_, reads[i])) {
      deferred.push_back(i);
      continue;
    }
    results[i] = run_check(*checks[i].first, *checks[i].second, opts);
  }
  // Then the deferred ones: first any whose tables the worker is not in
  // the middle of (a heavy one it has not reached is collected here), and
  // only when every one left would wait, the first of them.
  while (!deferred.empty() && !cancelled()) {
    auto next = std::find_if(deferred.begin(), deferred.end(),
                             [&](std::size_t i) { return !prefetch_running(*state_, reads[i]); });
    if (next == deferred.end()) next = deferred.begin();
    const std::size_t i = *next;
    deferred.erase(next);
    results[i] = run_check(*checks[i].first, *checks[i].second, opts);
  }
  for (auto& r : results) {
    if (!r) {
      report.cancelled = true;  // only a cancel leaves a check unrun
      break;
    }
    report.results.push_back(std::move(*r));
  }
  // A cancel that came during the last check cut it short too.
  if (opts.cancel != nullptr && opts.cancel->load(std::memory_order_relaxed)) report.cancelled = true;
  if (report.cancelled) {
    report.collectors = sorted_runs(state_->runs);
    report.duration_ms = ms_since(scan_start);
    state_->reset();
    return report;
  }
  // Describe the host from the same scan state (a check may already have read it).
  if (auto s = prepare_checked("SELECT * FROM system_info"); s) {
    Evidence info;
    info.columns = unique_column_names(*s);
    EvidenceSink sink(info, 1, opts.evidence_byte_cap);
    auto out =
        run_statement(*s, *state_, opts.check_timeout, db_.get(), [&](sql::Statement& st) { sink.take(st); });
    if (out.ok)
      report.host_info = std::move(info);
    else
      state_->warnings.push_back({"system_info", report.root, "host description failed: " + out.error});
  }
  // ...and one during the host description leaves it empty: not a whole scan either.
  if (opts.cancel != nullptr && opts.cancel->load(std::memory_order_relaxed)) report.cancelled = true;
  stop_prefetch(*state_);
  report.collectors = sorted_runs(state_->runs);
  report.warnings = state_->warnings;
  std::stable_sort(report.warnings.begin(), report.warnings.end(),
                   [](const collectors::Warning& a, const collectors::Warning& b) { return a.table < b.table; });
  report.duration_ms = ms_since(scan_start);
  state_->skip = nullptr;
  state_->cancel = nullptr;
  state_->collector_budget = std::chrono::nanoseconds{0};
  return report;
}

Result<QueryResult> Engine::query(std::string_view sql, std::size_t row_cap) {
  begin_scan();
  auto s = prepare_checked(sql);
  if (!s) return std::move(s).error();
  if (s->parameter_count() > 0)
    return make_error(Errc::invalid, "parameters are not supported in ad-hoc queries");
  QueryResult out;
  out.rows.columns = unique_column_names(*s);
  EvidenceSink sink(out.rows, row_cap, kQueryByteCap);
  auto res = run_statement(*s, *state_, std::chrono::milliseconds(60000), db_.get(),
                           [&](sql::Statement& st) { sink.take(st); });
  if (!res.ok) return make_error(Errc::sql, res.error);
  out.collectors = state_->runs;
  out.warnings = state_->warnings;
  return out;
}

}  // namespace vigil::agent
