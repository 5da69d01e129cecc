// SQLite virtual-table glue for collectors (see vtab.hpp).
#include "vtab.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>

#include "debversion.hpp"
#include "strings.hpp"

namespace vigil::agent {

namespace {

using collectors::Row;
using collectors::TableDef;
using collectors::Value;

struct Module {
  const TableDef* def = nullptr;
  ScanState* state = nullptr;
  sqlite3_module methods{};
};

struct VTab {
  sqlite3_vtab base{};  // must be first: SQLite hands back sqlite3_vtab*
  const TableDef* def = nullptr;
  ScanState* state = nullptr;
  std::vector<int> hidden;  // column indexes of hidden (argument) columns
};

struct Cursor {
  sqlite3_vtab_cursor base{};  // must be first
  std::shared_ptr<const std::vector<Row>> rows;
  std::size_t pos = 0;
};

VTab* vtab_of(sqlite3_vtab* v) {
  return reinterpret_cast<VTab*>(v);
}
Cursor* cursor_of(sqlite3_vtab_cursor* c) {
  return reinterpret_cast<Cursor*>(c);
}

void set_error(sqlite3_vtab* v, const std::string& msg) {
  sqlite3_free(v->zErrMsg);
  v->zErrMsg = sqlite3_mprintf("%s", msg.c_str());
}

std::string quote_ident(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string quote_literal(const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "NULL";
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return std::to_string(*d);
  std::string out = "'";
  for (char c : std::get<std::string>(v)) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

int x_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char** err) {
  auto* mod = static_cast<Module*>(aux);
  std::string ddl = "CREATE TABLE x(";
  auto v = std::make_unique<VTab>();
  v->def = mod->def;
  v->state = mod->state;
  for (std::size_t i = 0; i < mod->def->columns.size(); ++i) {
    const auto& c = mod->def->columns[i];
    if (i != 0) ddl += ", ";
    ddl += quote_ident(c.name) + " " + collectors::column_type_name(c.type);
    if (c.hidden) {
      ddl += " HIDDEN";
      v->hidden.push_back(static_cast<int>(i));
    }
  }
  ddl += ")";
  mod->state->declaring = true;
  int rc = sqlite3_declare_vtab(db, ddl.c_str());
  mod->state->declaring = false;
  if (rc != SQLITE_OK) {
    *err = sqlite3_mprintf("%s: cannot declare table: %s", mod->def->name.c_str(), sqlite3_errmsg(db));
    return rc;
  }
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *out = &v.release()->base;  // owned by SQLite until x_disconnect
  return SQLITE_OK;
}

int x_disconnect(sqlite3_vtab* v) {
  std::unique_ptr<VTab> owned(vtab_of(v));
  sqlite3_free(v->zErrMsg);
  return SQLITE_OK;
}

// A table with argument columns can only be scanned with an equality on each
// of them; without one the plan gets idxNum 0 and a prohibitive cost, and if
// SQLite still has to use it, xFilter explains what is missing.
int x_best_index(sqlite3_vtab* v, sqlite3_index_info* info) {
  VTab* t = vtab_of(v);
  if (t->hidden.empty()) {
    info->idxNum = 1;
    info->estimatedCost = 1000;
    return SQLITE_OK;
  }
  std::vector<int> constraint_for(t->hidden.size(), -1);
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    for (std::size_t h = 0; h < t->hidden.size(); ++h) {
      if (c.iColumn == t->hidden[h] && constraint_for[h] < 0) constraint_for[h] = i;
    }
  }
  for (int ci : constraint_for) {
    if (ci < 0) {
      info->idxNum = 0;
      info->estimatedCost = 1e30;
      info->estimatedRows = 1000000000;
      return SQLITE_OK;
    }
  }
  for (std::size_t h = 0; h < constraint_for.size(); ++h) {
    auto& usage = info->aConstraintUsage[constraint_for[h]];
    usage.argvIndex = static_cast<int>(h) + 1;
    usage.omit = 1;
  }
  info->idxNum = 1;
  info->estimatedCost = 1;
  info->estimatedRows = 1;
  return SQLITE_OK;
}

int x_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto c = std::make_unique<Cursor>();
  *out = &c.release()->base;
  return SQLITE_OK;
}

int x_close(sqlite3_vtab_cursor* c) {
  std::unique_ptr<Cursor> owned(cursor_of(c));
  return SQLITE_OK;
}

Value value_of(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return static_cast<std::int64_t>(sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return sqlite3_value_double(v);
    case SQLITE_NULL:
      return std::monostate{};
    default: {
      const auto* p = sqlite3_value_text(v);
      return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_value_bytes(v)));
    }
  }
}

// One collector run behind a firewall: an exception or a malformed row
// becomes the table's error; a table in `skip` is not run; one over its
// budget is an error. Touches nothing shared: the prefetch worker calls it
// too. arg_text is the arguments as the report writes them ("('/etc')").
struct Collected {
  CollectedTable table;
  CollectorRun run;
  std::vector<collectors::Warning> warnings;
};

Collected run_collector(const TableDef& def, const collectors::Host& host, std::vector<Value> args,
                        const std::string& arg_text, const std::map<std::string, std::string>* skip,
                        std::chrono::nanoseconds budget) {
  Collected out;
  const std::string key = def.name + arg_text;
  if (skip != nullptr) {
    if (auto skipped = skip->find(def.name); skipped != skip->end()) {
      out.run = CollectorRun{def.name, arg_text, 0, 0.0, "skipped: " + skipped->second};
      out.run.skipped = true;
      out.table.error = "collector " + key + " skipped: " + skipped->second;
      return out;
    }
  }
  auto rows = std::make_shared<std::vector<Row>>();
  const auto start = std::chrono::steady_clock::now();
  std::string error;
  // Collectors never throw: the registry wraps each one in a firewall.
  collectors::CollectContext ctx(host, std::move(args), out.warnings, def.name);
  if (Status s = def.collect(ctx, *rows); !s.ok()) error = s.error().message;
  if (error.empty()) {
    for (std::size_t i = 0; i < rows->size(); ++i) {
      if ((*rows)[i].size() != def.columns.size()) {
        error = "internal: row " + std::to_string(i) + " has " + std::to_string((*rows)[i].size()) +
                " values for " + std::to_string(def.columns.size()) + " columns";
        break;
      }
    }
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  bool over_budget = false;
  // Slow and then failed (a program that timed out) counts too: it is the
  // slow collector the quarantine is for. Its own error stays in the message.
  if (budget.count() > 0 && ms * 1e6 > static_cast<double>(budget.count())) {
    over_budget = true;
    char text[96];
    std::snprintf(text, sizeof text, "took %.1f ms, over its time budget of %.1f ms", ms,
                  static_cast<double>(budget.count()) / 1e6);
    error = error.empty() ? std::string(text) : std::string(text) + "; " + error;
  }
  out.run = CollectorRun{def.name, arg_text, error.empty() ? rows->size() : 0, ms, error};
  out.run.over_budget = over_budget;
  if (error.empty())
    out.table.rows = std::move(rows);
  else
    out.table.error = "collector " + key + " failed: " + error;
  return out;
}

}  // namespace

class Prefetcher {
 public:
  Prefetcher(const ScanState& st, std::vector<const TableDef*> defs)
      : host_(*st.host), skip_(st.skip), budget_(st.collector_budget), cancel_(st.cancel) {
    for (const auto* d : defs) {
      index_.emplace(d->name, slots_.size());
      slots_.push_back(Slot{d, State::pending, {}});
    }
    worker_ = std::thread([this] { work(); });
  }
  ~Prefetcher() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    worker_.join();
  }
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // Whether reading one of names now would wait for the worker (it is
  // collecting it) or, with pending_heavy, take from it a heavy table it is
  // due to collect.
  bool busy(const std::vector<std::string>& names, bool pending_heavy) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& n : names) {
      auto it = index_.find(n);
      if (it == index_.end()) continue;
      const Slot& slot = slots_[it->second];
      if (slot.state == State::running || (pending_heavy && slot.state == State::pending && slot.def->heavy))
        return true;
    }
    return false;
  }

  // The table's collection, run here if the worker has not started it,
  // waited for if it has; nullopt when the table is not prefetched or was
  // already taken.
  std::optional<Collected> take(const std::string& name) {
    std::unique_lock<std::mutex> lock(mutex_);
    auto it = index_.find(name);
    if (it == index_.end()) return std::nullopt;
    Slot& slot = slots_[it->second];
    // The heavy tables are the worker's, which starts with them: before it
    // has begun, wait for it rather than take its first one. Once it works,
    // a heavy table it has not reached is taken here (the other side is busy).
    if (slot.def->heavy)
      done_.wait(lock, [&] { return slot.state != State::pending || worker_started_ || worker_done_; });
    switch (slot.state) {
      case State::taken:
        return std::nullopt;
      case State::pending: {
        slot.state = State::taken;
        lock.unlock();
        return run_collector(*slot.def, host_, {}, "", skip_, budget_);
      }
      case State::running:
        done_.wait(lock, [&] { return slot.state == State::done; });
        [[fallthrough]];
      case State::done:
        slot.state = State::taken;
        return std::move(slot.result);
    }
    return std::nullopt;
  }

 private:
  enum class State { pending, running, done, taken };
  struct Slot {
    const TableDef* def;
    State state;
    Collected result;
  };

  void work() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (std::size_t i = slots_.size(); i-- > 0;) {
      if (stopping_ || (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed))) break;
      Slot& slot = slots_[i];
      if (slot.state != State::pending) break;  // the scan's thread got here first: the rest is its
      slot.state = State::running;
      worker_started_ = true;
      done_.notify_all();
      lock.unlock();
      Collected c = run_collector(*slot.def, host_, {}, "", skip_, budget_);
      lock.lock();
      slot.result = std::move(c);
      slot.state = State::done;
      done_.notify_all();
    }
    worker_done_ = true;
    done_.notify_all();
  }

  const collectors::Host& host_;
  const std::map<std::string, std::string>* skip_;
  std::chrono::nanoseconds budget_;
  const std::atomic<bool>* cancel_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<Slot> slots_;  // never resized once the worker runs
  std::map<std::string, std::size_t> index_;
  bool stopping_ = false;
  bool worker_started_ = false;  // work() has claimed its first table
  bool worker_done_ = false;     // work() has returned: nothing more will be collected there
  std::thread worker_;  // last: started once the rest is built
};

namespace {

// Runs the collector (at most once per scan and argument set) and keeps the
// outcome in the scan state; a prefetched table comes from the worker.
const CollectedTable& collect(VTab* t, std::vector<Value> args) {
  ScanState& st = *t->state;
  std::string arg_text;
  if (!args.empty()) {
    arg_text = "(";
    for (std::size_t i = 0; i < args.size(); ++i) arg_text += (i ? ", " : "") + quote_literal(args[i]);
    arg_text += ")";
  }
  const std::string key = t->def->name + arg_text;
  if (auto it = st.cache.find(key); it != st.cache.end()) return it->second;
  std::optional<Collected> got;
  if (args.empty() && st.prefetch) got = st.prefetch->take(t->def->name);
  if (!got) got = run_collector(*t->def, *st.host, std::move(args), arg_text, st.skip, st.collector_budget);
  st.runs.push_back(std::move(got->run));
  // The same warning from the same table is kept once per scan (a
  // collector that runs per argument would otherwise repeat it).
  for (auto& w : got->warnings) collectors::add_warning_once(st.warnings, std::move(w));
  return st.cache.emplace(key, std::move(got->table)).first->second;
}

int x_filter(sqlite3_vtab_cursor* cur, int idx_num, const char*, int argc, sqlite3_value** argv) {
  Cursor* c = cursor_of(cur);
  VTab* t = vtab_of(cur->pVtab);
  t->state->tables_read.insert(t->def->name);
  if (idx_num == 0) {
    std::string names;
    for (int h : t->hidden)
      names += (names.empty() ? "" : ", ") + t->def->columns[static_cast<std::size_t>(h)].name;
    set_error(cur->pVtab, "table " + t->def->name + " needs a value for " + names + ", e.g. SELECT * FROM " +
                              t->def->name + "('...') or WHERE " + names + " = '...'");
    return SQLITE_ERROR;
  }
  std::vector<Value> args;
  for (int i = 0; i < argc; ++i) args.push_back(value_of(argv[i]));
  const CollectedTable& ct = collect(t, std::move(args));
  if (!ct.error.empty()) {
    set_error(cur->pVtab, ct.error);
    return SQLITE_ERROR;
  }
  c->rows = ct.rows;
  c->pos = 0;
  return SQLITE_OK;
}

int x_next(sqlite3_vtab_cursor* cur) {
  ++cursor_of(cur)->pos;
  return SQLITE_OK;
}

int x_eof(sqlite3_vtab_cursor* cur) {
  Cursor* c = cursor_of(cur);
  return (!c->rows || c->pos >= c->rows->size()) ? 1 : 0;
}

int x_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) {
  Cursor* c = cursor_of(cur);
  const Value& v = (*c->rows)[c->pos][static_cast<std::size_t>(col)];
  if (const auto* i = std::get_if<std::int64_t>(&v))
    sqlite3_result_int64(ctx, *i);
  else if (const auto* d = std::get_if<double>(&v))
    sqlite3_result_double(ctx, *d);
  else if (const auto* s = std::get_if<std::string>(&v))
    sqlite3_result_text64(ctx, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  else
    sqlite3_result_null(ctx);
  return SQLITE_OK;
}

int x_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) {
  *rowid = static_cast<sqlite3_int64>(cursor_of(cur)->pos);
  return SQLITE_OK;
}

// mode_within(mode, allowed): 1 when mode ('0640' text or an integer) sets no
// permission bit outside allowed ('0644'), 0 when it does, NULL when mode is
// NULL (an absent file has no mode: the check decides what that means).
void mode_within(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto to_mode = [](sqlite3_value* v) -> std::optional<unsigned> {
    if (sqlite3_value_type(v) == SQLITE_INTEGER)
      return static_cast<unsigned>(sqlite3_value_int64(v)) & 07777u;
    if (sqlite3_value_type(v) != SQLITE_TEXT) return std::nullopt;
    const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
    return parse_octal_mode(std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v))));
  };
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  auto mode = to_mode(argv[0]);
  auto allowed = to_mode(argv[1]);
  if (!mode || !allowed) {
    sqlite3_result_error(ctx, "mode_within(mode, allowed): both must be octal modes like '0640'", -1);
    return;
  }
  sqlite3_result_int(ctx, (*mode & ~*allowed) == 0 ? 1 : 0);
}

// deb_version_cmp(a, b): -1, 0 or 1 in dpkg's version order (epochs, '~'
// before everything); NULL when either side is NULL.
void deb_version_cmp(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  auto text = [](sqlite3_value* v) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
    return std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v)));
  };
  const int c = deb_version_compare(text(argv[0]), text(argv[1]));
  sqlite3_result_int(ctx, c < 0 ? -1 : (c > 0 ? 1 : 0));
}

// SQLite owns each Module from registration and frees it here when the
// connection closes (or registration fails).
void destroy_module(void* p) {
  std::unique_ptr<Module> owned(static_cast<Module*>(p));
}

}  // namespace

Status register_fact_tables(const sql::Database& db, ScanState& state) {
  for (const auto& def : collectors::Registry::instance().tables()) {
    auto m = std::make_unique<Module>();
    m->def = &def;
    m->state = &state;
    sqlite3_module& mm = m->methods;
    mm.iVersion = 1;
    mm.xCreate = nullptr;  // eponymous only: no CREATE VIRTUAL TABLE
    mm.xConnect = x_connect;
    mm.xBestIndex = x_best_index;
    mm.xDisconnect = x_disconnect;
    mm.xDestroy = x_disconnect;
    mm.xOpen = x_open;
    mm.xClose = x_close;
    mm.xFilter = x_filter;
    mm.xNext = x_next;
    mm.xEof = x_eof;
    mm.xColumn = x_column;
    mm.xRowid = x_rowid;
    int rc = sqlite3_create_module_v2(db.get(), def.name.c_str(), &mm, m.release(), destroy_module);
    if (rc != SQLITE_OK) return make_error(Errc::sql, "register table " + def.name + ": " + db.last_error());
  }
  int rc = sqlite3_create_function_v2(db.get(), "mode_within", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                      mode_within, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return make_error(Errc::sql, "register mode_within: " + db.last_error());
  rc = sqlite3_create_function_v2(db.get(), "deb_version_cmp", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                  deb_version_cmp, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return make_error(Errc::sql, "register deb_version_cmp: " + db.last_error());
  return {};
}

void start_prefetch(ScanState& st, const std::vector<std::string>& tables) {
  st.prefetch.reset();
  std::vector<const TableDef*> defs;
  for (const auto& name : tables) {
    const TableDef* def = collectors::Registry::instance().find(name);
    if (def == nullptr) continue;
    if (std::any_of(def->columns.begin(), def->columns.end(), [](const collectors::Column& c) { return c.hidden; }))
      continue;
    if (std::find(defs.begin(), defs.end(), def) == defs.end()) defs.push_back(def);
  }
  if (defs.size() < 2 || st.host == nullptr) return;
  // The worker works from the end: the heavy tables first, the one the scan
  // reaches soonest first, so the slowest collectors overlap the scan's own
  // work instead of the scan waiting for them.
  const auto heavy = std::stable_partition(defs.begin(), defs.end(), [](const TableDef* d) { return !d->heavy; });
  std::reverse(heavy, defs.end());
  try {
    st.prefetch = std::make_shared<Prefetcher>(st, std::move(defs));
  } catch (const std::system_error&) {
    st.prefetch.reset();  // no thread to be had: the scan collects everything itself
  }
}

bool prefetch_busy(const ScanState& st, const std::vector<std::string>& tables) {
  return st.prefetch && st.prefetch->busy(tables, true);
}

bool prefetch_running(const ScanState& st, const std::vector<std::string>& tables) {
  return st.prefetch && st.prefetch->busy(tables, false);
}

void stop_prefetch(ScanState& st) {
  st.prefetch.reset();
}

}  // namespace vigil::agent
