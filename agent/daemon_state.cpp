// agent/daemon_state.hpp: daemon-state.json and the quarantine rules.
#include "daemon_state.hpp"

#include <boost/json.hpp>

#include "file_io.hpp"
#include "json_fields.hpp"
#include "text_format.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxStateBytes = 1024u * 1024u;

json::value opt(const std::optional<std::int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

}  // namespace

json::object verdict_counts_object(const VerdictCounts& c) {
  return {{"pass", c.pass}, {"fail", c.fail}, {"not_applicable", c.not_applicable}, {"error", c.error},
          {"waived", c.waived}};
}

Result<VerdictCounts> parse_verdict_counts(const json::object& o, const std::string& where) {
  JsonFields r{where};
  VerdictCounts vc;
  for (auto [key, field] : {std::pair{"pass", &vc.pass}, std::pair{"fail", &vc.fail},
                            std::pair{"not_applicable", &vc.not_applicable}, std::pair{"error", &vc.error},
                            std::pair{"waived", &vc.waived}}) {
    auto n = r.integer(o, key);
    if (!n) return std::move(n).error();
    *field = static_cast<std::size_t>(*n < 0 ? 0 : *n);
  }
  return vc;
}

json::object quarantine_entry_object(const QuarantineEntry& q) {
  return {{"table", q.table},
          {"since_ms", q.since_ms},
          {"until_ms", q.until_ms},
          {"until_at", format_utc(q.until_ms)},
          {"duration_ms", q.duration_ms},
          {"budget_ms", q.budget_ms}};
}

Result<QuarantineEntry> parse_quarantine_entry(const json::value& v, const std::string& where) {
  JsonFields r{where};
  if (!v.is_object()) return r.bad("quarantine");
  const auto& qo = v.as_object();
  QuarantineEntry q;
  auto table = r.text(qo, "table");
  auto since = r.integer(qo, "since_ms");
  auto until = r.integer(qo, "until_ms");
  auto duration = r.real(qo, "duration_ms");
  auto budget = r.integer(qo, "budget_ms");
  if (!table) return std::move(table).error();
  if (!since) return std::move(since).error();
  if (!until) return std::move(until).error();
  if (!duration) return std::move(duration).error();
  if (!budget) return std::move(budget).error();
  return QuarantineEntry{std::move(*table), *since, *until, *duration, *budget};
}

json::object daemon_state_object(const DaemonState& s) {
  json::array schedules;
  for (const auto& sc : s.schedules) {
    schedules.push_back(json::object{
        {"name", sc.name},
        {"last_scan_ms", opt(sc.last_scan_ms)},
        {"last_scan_at", sc.last_scan_ms ? json::value(format_utc(*sc.last_scan_ms)) : json::value(nullptr)},
        {"last_sequence", opt(sc.last_sequence)},
        {"last_counts", sc.last_counts ? json::value(verdict_counts_object(*sc.last_counts)) : json::value(nullptr)},
        {"last_error", sc.last_error},
        {"next_scan_ms", sc.next_scan_ms},
        {"next_scan_at", format_utc(sc.next_scan_ms)}});
  }
  json::array quarantine;
  for (const auto& q : s.quarantine) {
    quarantine.push_back(quarantine_entry_object(q));
  }
  json::object o{{"format", "vigil.daemon-state.v1"},
                 {"pid", s.pid},
                 {"started_at_ms", s.started_at_ms},
                 {"updated_at_ms", s.updated_at_ms},
                 {"config", s.config},
                 {"stopped", s.stopped},
                 {"schedules", std::move(schedules)},
                 {"quarantine", std::move(quarantine)},
                 {"last_ship_ms", opt(s.last_ship_ms)},
                 {"next_ship_ms", opt(s.next_ship_ms)},
                 {"last_ship", s.last_ship}};
  return o;
}

std::string daemon_state_to_json(const DaemonState& s) {
  return pretty_json(daemon_state_object(s));
}

Result<DaemonState> parse_daemon_state(std::string_view text, const std::string& where) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(Errc::parse, where + ": not a JSON object");
  const auto& o = v.as_object();
  JsonFields r{where};
  if (auto f = r.text(o, "format"); !f || *f != "vigil.daemon-state.v1")
    return make_error(Errc::parse, where + ": not a vigil.daemon-state.v1 file");
  DaemonState s;
#define VIGIL_TAKE(target, expr)        \
  do {                                  \
    auto taken = (expr);                \
    if (!taken) return taken.error();   \
    target = std::move(*taken);         \
  } while (0)
  VIGIL_TAKE(s.pid, r.integer(o, "pid"));
  VIGIL_TAKE(s.started_at_ms, r.integer(o, "started_at_ms"));
  VIGIL_TAKE(s.updated_at_ms, r.integer(o, "updated_at_ms"));
  VIGIL_TAKE(s.config, r.text(o, "config"));
  VIGIL_TAKE(s.last_ship_ms, r.opt_integer(o, "last_ship_ms"));
  VIGIL_TAKE(s.next_ship_ms, r.opt_integer(o, "next_ship_ms"));
  VIGIL_TAKE(s.last_ship, r.text(o, "last_ship"));
  const auto* stopped = o.if_contains("stopped");
  if (stopped == nullptr || !stopped->is_bool()) return r.bad("stopped");
  s.stopped = stopped->as_bool();
  const auto* schedules = o.if_contains("schedules");
  if (schedules == nullptr || !schedules->is_array()) return r.bad("schedules");
  for (const auto& item : schedules->as_array()) {
    if (!item.is_object()) return r.bad("schedules");
    const auto& so = item.as_object();
    ScheduleState sc;
    VIGIL_TAKE(sc.name, r.text(so, "name"));
    VIGIL_TAKE(sc.last_scan_ms, r.opt_integer(so, "last_scan_ms"));
    VIGIL_TAKE(sc.last_sequence, r.opt_integer(so, "last_sequence"));
    VIGIL_TAKE(sc.last_error, r.text(so, "last_error"));
    VIGIL_TAKE(sc.next_scan_ms, r.integer(so, "next_scan_ms"));
    if (const auto* c = so.if_contains("last_counts"); c != nullptr && c->is_object()) {
      VIGIL_TAKE(sc.last_counts, parse_verdict_counts(c->as_object(), where));
    }
    s.schedules.push_back(std::move(sc));
  }
  const auto* quarantine = o.if_contains("quarantine");
  if (quarantine == nullptr || !quarantine->is_array()) return r.bad("quarantine");
  for (const auto& item : quarantine->as_array()) {
    auto q = parse_quarantine_entry(item, where);
    if (!q) return std::move(q).error();
    s.quarantine.push_back(std::move(*q));
  }
#undef VIGIL_TAKE
  return s;
}

Status save_daemon_state(const std::string& state_dir, const DaemonState& s) {
  return write_file_atomic(state_dir + "/" + kDaemonStateFile, daemon_state_to_json(s), 0600, Replace::allow,
                           Owner::directory);
}

Result<DaemonState> load_daemon_state(const std::string& state_dir) {
  const std::string path = state_dir + "/" + kDaemonStateFile;
  auto text = read_file(path, ReadOptions{kMaxStateBytes, false});
  if (!text) return text.error();
  return parse_daemon_state(*text, path);
}

void expire_quarantine(std::vector<QuarantineEntry>& q, std::int64_t now_ms) {
  std::erase_if(q, [&](const QuarantineEntry& e) { return e.until_ms <= now_ms; });
}

std::vector<std::string> quarantine_over_budget(std::vector<QuarantineEntry>& q,
                                                const std::vector<CollectorRun>& runs, std::int64_t now_ms,
                                                std::int64_t period_ms, std::int64_t budget_ms) {
  std::vector<std::string> added;
  for (const auto& run : runs) {
    if (!run.over_budget) continue;
    auto it = std::find_if(q.begin(), q.end(), [&](const QuarantineEntry& e) { return e.table == run.table; });
    if (it == q.end()) {
      q.push_back({run.table, now_ms, now_ms + period_ms, run.duration_ms, budget_ms});
      added.push_back(run.table);
    } else {
      // A table-valued collector over budget for several arguments: the slowest run counts.
      it->until_ms = now_ms + period_ms;
      if (run.duration_ms > it->duration_ms) it->duration_ms = run.duration_ms;
    }
  }
  return added;
}

std::map<std::string, std::string> quarantine_skip_map(const std::vector<QuarantineEntry>& q,
                                                       std::int64_t now_ms) {
  std::map<std::string, std::string> skip;
  for (const auto& e : q) {
    if (e.until_ms <= now_ms) continue;
    skip[e.table] = "quarantined until " + format_utc(e.until_ms) + ": its run at " + format_utc(e.since_ms) +
                    " took " + std::to_string(static_cast<std::int64_t>(e.duration_ms)) +
                    " ms, over its budget of " + std::to_string(e.budget_ms) + " ms";
  }
  return skip;
}

}  // namespace vigil::agent
