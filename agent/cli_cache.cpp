// `vigil history`, `vigil status`, `vigil drift`: reading the evidence cache
// (see cli_cache.hpp, docs/cli.md). They open the cache read-only.
#include "cli_cache.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ostream>

#include "cache.hpp"
#include "cli.hpp"
#include "cli_args.hpp"
#include "daemon_state.hpp"
#include "enrollment.hpp"
#include "file_io.hpp"
#include "report.hpp"
#include "strings.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

constexpr const char* kHistoryHelp =
    R"(Usage: vigil history [--limit N] [--state-dir DIR] [--format text|json]

Lists the last scans recorded in the evidence cache, newest first: time,
host, policy packs, verdict counts and the scan's sequence in the chain.

Options:
  --limit N          scans to list (default 20)
  --state-dir DIR    the agent's state directory (default /var/lib/vigil)
  --format FORMAT    text (default) or json
)";

constexpr const char* kStatusHelp = R"(Usage: vigil status [--state-dir DIR] [--format text|json]

Shows the evidence cache: the last scan and its verdict counts, the outbox
(envelopes not yet shipped, the oldest of them, those set aside with the
store's reason), the last acknowledgement by the store, gap records, the
database size, and the store this host is enrolled with (vigil enroll).
When the daemon (vigil run) uses this state directory: whether it runs,
each schedule's last and next scan, collectors in quarantine, the last ship.
)";

constexpr const char* kDriftHelp =
    R"(Usage: vigil drift [--since TIME] [--check ID] [--state-dir DIR] [--format text|json]

Lists verdict changes (pass->fail, fail->pass, ->error, ->not_applicable, and
"new" for a check's first result) in the order they were recorded, with the
evidence before and after.

Options:
  --since TIME       only changes seen at or after TIME: ISO 8601 UTC
                     (2026-12-01T00:00:00Z), a date (2026-12-01) or a time ago
                     (90s, 30m, 24h, 7d, 2w)
  --check ID         only this check
  --state-dir DIR    the agent's state directory (default /var/lib/vigil)
  --format FORMAT    text (default) or json
)";

std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::string> text_or_json(const CliArgs& a) {
  std::string f = a.get("format").value_or("text");
  if (f == "table") f = "text";
  if (f != "text" && f != "json")
    return make_error(Errc::invalid, "--format must be text or json, not '" + f + "'");
  return f;
}

Result<Cache> open_for_reading(const CliArgs& a) {
  CacheOptions o;
  o.state_dir = a.get("state-dir").value_or(kDefaultStateDir);
  o.access = CacheAccess::read_only;
  return Cache::open(o);
}

int cache_error(std::ostream& err, const Error& e) {
  err << "vigil: " << terminal_safe(e.message, true) << "\n";
  return kExitUsage;
}

json::object counts_json(const VerdictCounts& c) {
  return {{"pass", c.pass},
          {"fail", c.fail},
          {"not_applicable", c.not_applicable},
          {"error", c.error},
          {"waived", c.waived}};
}

std::string counts_text(const VerdictCounts& c) {
  return std::to_string(c.pass) + " pass, " + std::to_string(c.fail) + " fail, " +
         std::to_string(c.not_applicable) + " not applicable, " + std::to_string(c.error) + " error, " +
         std::to_string(c.waived) + " waived";
}

std::string packs_text(const std::vector<PackRef>& packs) {
  std::vector<std::string> parts;
  for (const auto& p : packs) parts.push_back(p.id + " " + p.version);
  return parts.empty() ? "-" : join(parts, ", ");
}

json::object scan_json(const ScanSummary& s) {
  json::array packs;
  for (const auto& p : s.packs)
    packs.push_back(json::object{{"id", p.id}, {"version", p.version}, {"source", p.source}});
  return {{"sequence", s.sequence},
          {"scan_id", s.scan_id},
          {"started_at", format_utc(s.started_at_ms)},
          {"started_at_ms", s.started_at_ms},
          {"duration_ms", s.duration_ms},
          {"host", s.host},
          {"root", s.root},
          {"agent_version", s.agent_version},
          {"packs", std::move(packs)},
          {"results", s.results},
          {"counts", counts_json(s.counts)}};
}

std::string pad(std::string s, std::size_t w) {
  if (s.size() < w) s.append(w - s.size(), ' ');
  return s;
}

// Stored evidence back into the engine's shape, for rows_to_text and the
// report's JSON evidence form.
Evidence to_evidence(const StoredEvidence& s) {
  Evidence e;
  e.columns = s.columns;
  e.total_rows = static_cast<std::size_t>(s.total_rows);
  for (const auto& r : s.rows) {
    collectors::Row row;
    if (r.is_array()) {
      for (const auto& v : r.get_array()) {
        if (v.is_int64()) {
          row.emplace_back(v.get_int64());
        } else if (v.is_uint64()) {
          row.emplace_back(static_cast<std::int64_t>(v.get_uint64()));
        } else if (v.is_double()) {
          row.emplace_back(v.get_double());
        } else if (v.is_string()) {
          row.emplace_back(std::string(v.get_string()));
        } else if (v.is_bool()) {
          row.emplace_back(static_cast<std::int64_t>(v.get_bool() ? 1 : 0));
        } else {
          row.emplace_back(std::monostate{});
        }
      }
    }
    row.resize(e.columns.size());
    e.rows.push_back(std::move(row));
  }
  return e;
}

std::string indent(const std::string& text, const std::string& prefix) {
  std::string out;
  for (auto line : split_lines(text)) out += prefix + std::string(line) + "\n";
  return out;
}

// The pid in the state file still runs a vigil (not a reused pid).
bool daemon_running(const DaemonState& d) {
  if (d.stopped || d.pid <= 0) return false;
  auto comm = read_file("/proc/" + std::to_string(d.pid) + "/comm", ReadOptions{256, true});
  return comm && comm->rfind("vigil", 0) == 0;
}

void print_daemon(const DaemonState& d, std::ostream& out) {
  if (daemon_running(d))
    out << "Daemon:         running, pid " << d.pid << ", since " << format_utc(d.started_at_ms) << "\n";
  else if (d.stopped)
    out << "Daemon:         stopped at " << format_utc(d.updated_at_ms) << "\n";
  else
    out << "Daemon:         not running (pid " << d.pid << " is gone; last update " << format_utc(d.updated_at_ms)
        << ")\n";
  for (const auto& s : d.schedules) {
    out << "  schedule " << terminal_safe(s.name) << ": last scan ";
    if (s.last_scan_ms) {
      out << format_utc(*s.last_scan_ms);
      if (s.last_sequence) out << " (sequence " << *s.last_sequence;
      if (s.last_counts) out << ": " << counts_text(*s.last_counts);
      if (s.last_sequence) out << ")";
    } else {
      out << "none";
    }
    out << "; next scan " << (d.stopped ? "when the daemon runs" : format_utc(s.next_scan_ms)) << "\n";
    if (!s.last_error.empty()) out << "    last attempt recorded nothing: " << terminal_safe(s.last_error) << "\n";
  }
  if (d.quarantine.empty()) out << "  quarantined collectors: none\n";
  for (const auto& q : d.quarantine)
    out << "  quarantined:  collector " << terminal_safe(q.table) << " until " << format_utc(q.until_ms)
        << " (took " << static_cast<std::int64_t>(q.duration_ms) << " ms at " << format_utc(q.since_ms)
        << ", budget " << q.budget_ms << " ms)\n";
  out << "  last ship:    "
      << (d.last_ship_ms ? format_utc(*d.last_ship_ms) + ": " : std::string())
      << terminal_safe(d.last_ship.empty() ? "none" : d.last_ship);
  if (d.next_ship_ms && !d.stopped) out << "; next " << format_utc(*d.next_ship_ms);
  out << "\n";
}

}  // namespace

int cmd_history(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parse_cli_args(argv, 2, {"limit", "state-dir", "format"});
  if (!args) return cli_usage_error(err, args.error().message, "history ");
  if (args->help) {
    out << kHistoryHelp;
    return kExitOk;
  }
  if (!args->positional.empty())
    return cli_usage_error(err, "unexpected argument '" + args->positional[0] + "'", "history ");
  auto format = text_or_json(*args);
  if (!format) return cli_usage_error(err, format.error().message, "history ");
  std::size_t limit = 20;
  if (auto l = args->get("limit")) {
    auto n = parse_int(*l);
    if (!n || *n < 1 || *n > 1000000)
      return cli_usage_error(err, "--limit must be a number from 1 to 1000000, not '" + *l + "'", "history ");
    limit = static_cast<std::size_t>(*n);
  }
  auto cache = open_for_reading(*args);
  if (!cache) return cache_error(err, cache.error());
  auto scans = cache->history(limit);
  if (!scans) return cache_error(err, scans.error());
  if (*format == "json") {
    json::array a;
    for (const auto& s : *scans) a.push_back(scan_json(s));
    out << pretty_json(a);
    return kExitOk;
  }
  if (scans->empty()) {
    out << "No scans recorded in " << terminal_safe(cache->path()) << ".\n";
    return kExitOk;
  }
  out << pad("SEQUENCE", 10) << pad("TIME (UTC)", 22) << pad("HOST", 20) << pad("PASS", 6) << pad("FAIL", 6)
      << pad("N/A", 6) << pad("ERROR", 7) << pad("WAIVED", 8) << "PACKS\n";
  for (const auto& s : *scans) {
    out << pad(std::to_string(s.sequence), 10) << pad(format_utc(s.started_at_ms), 22)
        << pad(terminal_safe(s.host.empty() ? "-" : s.host), 20) << pad(std::to_string(s.counts.pass), 6)
        << pad(std::to_string(s.counts.fail), 6) << pad(std::to_string(s.counts.not_applicable), 6)
        << pad(std::to_string(s.counts.error), 7) << pad(std::to_string(s.counts.waived), 8)
        << terminal_safe(packs_text(s.packs)) << "\n";
  }
  return kExitOk;
}

int cmd_status(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parse_cli_args(argv, 2, {"state-dir", "format"});
  if (!args) return cli_usage_error(err, args.error().message, "status ");
  if (args->help) {
    out << kStatusHelp;
    return kExitOk;
  }
  if (!args->positional.empty())
    return cli_usage_error(err, "unexpected argument '" + args->positional[0] + "'", "status ");
  auto format = text_or_json(*args);
  if (!format) return cli_usage_error(err, format.error().message, "status ");
  auto cache = open_for_reading(*args);
  if (!cache) return cache_error(err, cache.error());
  auto st = cache->status();
  if (!st) return cache_error(err, st.error());
  constexpr std::size_t kSetAsideListed = 50;
  auto set_aside = cache->set_aside_envelopes(kSetAsideListed);
  if (!set_aside) return cache_error(err, set_aside.error());
  const auto enrollment = load_enrollment(args->get("state-dir").value_or(kDefaultStateDir));
  const auto daemon = load_daemon_state(args->get("state-dir").value_or(kDefaultStateDir));
  if (*format == "json") {
    json::object o{
        {"cache", cache->path()},
        {"scans", st->scans},
        {"last_sequence", st->last_sequence},
        {"last_scan", st->last_scan ? json::value(scan_json(*st->last_scan)) : json::value(nullptr)},
        {"outbox_depth", st->outbox_depth},
        {"set_aside", st->set_aside},
        {"oldest_unshipped_sequence",
         st->oldest_unshipped_sequence ? json::value(*st->oldest_unshipped_sequence) : json::value(nullptr)},
        {"oldest_unshipped_at",
         st->oldest_unshipped_ms ? json::value(format_utc(*st->oldest_unshipped_ms)) : json::value(nullptr)},
        {"gaps", st->gaps},
        {"file_bytes", st->file_bytes},
        {"used_bytes", st->used_bytes},
        {"last_shipped_at",
         st->last_shipped_ms ? json::value(format_utc(*st->last_shipped_ms)) : json::value(nullptr)}};
    json::array aside;
    for (const auto& e : *set_aside)
      aside.push_back(json::object{{"sequence", e.sequence},
                                   {"kind", e.kind},
                                   {"created_at", format_utc(e.created_at_ms)},
                                   {"reason", e.set_aside_reason.value_or("")}});
    o["set_aside_envelopes"] = std::move(aside);
    o["enrollment"] = enrollment ? json::value(json::object{{"store", enrollment->store},
                                                            {"host_id", enrollment->host_id},
                                                            {"key_id", enrollment->key_id},
                                                            {"enrolled_at", enrollment->enrolled_at}})
                                 : json::value(nullptr);
    if (!enrollment && !enrollment.is(Errc::not_found)) o["enrollment_error"] = enrollment.error().message;
    if (daemon) {
      json::object d = daemon_state_object(*daemon);
      d["running"] = daemon_running(*daemon);
      o["daemon"] = std::move(d);
    } else {
      o["daemon"] = nullptr;
      if (!daemon.is(Errc::not_found)) o["daemon_error"] = daemon.error().message;
    }
    out << pretty_json(o);
    return kExitOk;
  }
  char size[96];
  std::snprintf(size, sizeof size, "%.1f MiB on disk, %.1f MiB in use",
                static_cast<double>(st->file_bytes) / 1048576.0,
                static_cast<double>(st->used_bytes) / 1048576.0);
  out << "Evidence cache: " << terminal_safe(cache->path()) << " (" << size << ")\n";
  out << "Scans:          " << st->scans << " kept; chain at sequence " << st->last_sequence << "; "
      << st->gaps << " gap record" << (st->gaps == 1 ? "" : "s") << "\n";
  if (st->last_scan) {
    const auto& s = *st->last_scan;
    out << "Last scan:      sequence " << s.sequence << ", " << format_utc(s.started_at_ms) << ", host "
        << terminal_safe(s.host.empty() ? "-" : s.host) << ", " << s.results
        << " results: " << counts_text(s.counts) << "\n";
  } else {
    out << "Last scan:      none recorded\n";
  }
  out << "Outbox:         " << st->outbox_depth << " unshipped";
  if (st->oldest_unshipped_sequence)
    out << " (oldest: sequence " << *st->oldest_unshipped_sequence << ", "
        << format_utc(*st->oldest_unshipped_ms) << ")";
  out << ", " << st->set_aside << " set aside\n";
  for (const auto& e : *set_aside)
    out << "  set aside:    sequence " << e.sequence << " (" << terminal_safe(e.kind) << ", "
        << format_utc(e.created_at_ms) << "): " << terminal_safe(e.set_aside_reason.value_or("")) << "\n";
  if (st->set_aside > static_cast<std::int64_t>(set_aside->size()))
    out << "  ... and " << (st->set_aside - static_cast<std::int64_t>(set_aside->size())) << " more\n";
  if (enrollment)
    out << "Store:          " << terminal_safe(enrollment->store) << ", host id "
        << terminal_safe(enrollment->host_id) << "; last shipped "
        << (st->last_shipped_ms ? format_utc(*st->last_shipped_ms) : std::string("never")) << "\n";
  else if (enrollment.is(Errc::not_found))
    out << "Store:          not enrolled (vigil enroll)\n";
  else
    out << "Store:          " << terminal_safe(enrollment.error().message) << "\n";
  if (daemon) {
    print_daemon(*daemon, out);
  } else if (daemon.is(Errc::not_found)) {
    out << "Daemon:         has not run with this state directory (vigil run)\n";
  } else {
    out << "Daemon:         " << terminal_safe(daemon.error().message) << "\n";
  }
  return kExitOk;
}

int cmd_drift(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parse_cli_args(argv, 2, {"since", "check", "state-dir", "format"});
  if (!args) return cli_usage_error(err, args.error().message, "drift ");
  if (args->help) {
    out << kDriftHelp;
    return kExitOk;
  }
  if (!args->positional.empty())
    return cli_usage_error(err, "unexpected argument '" + args->positional[0] + "'", "drift ");
  auto format = text_or_json(*args);
  if (!format) return cli_usage_error(err, format.error().message, "drift ");
  DriftQuery q;
  if (auto since = args->get("since")) {
    auto t = parse_cli_time(*since, wall_now_ms());
    if (!t) return cli_usage_error(err, "--since: " + t.error().message, "drift ");
    q.since_ms = *t;
  }
  q.check_id = args->get("check");
  auto cache = open_for_reading(*args);
  if (!cache) return cache_error(err, cache.error());
  auto changes = cache->drift(q);
  if (!changes) return cache_error(err, changes.error());
  if (*format == "json") {
    json::array a;
    for (const auto& t : *changes) {
      json::value before = nullptr;
      if (t.before_verdict) {
        before = json::object{
            {"verdict", *t.before_verdict},
            {"scan_id", t.before_scan_id ? json::value(*t.before_scan_id) : json::value(nullptr)},
            {"sequence", t.before_sequence ? json::value(*t.before_sequence) : json::value(nullptr)},
            {"last_seen_at",
             t.before_seen_ms ? json::value(format_utc(*t.before_seen_ms)) : json::value(nullptr)},
            {"message", t.before_message},
            {"evidence",
             t.before_evidence ? evidence_to_json(to_evidence(*t.before_evidence)) : json::value(nullptr)}};
      }
      json::object after{{"verdict", t.after_verdict},
                         {"scan_id", t.after_scan_id},
                         {"sequence", t.after_sequence},
                         {"message", t.after_message},
                         {"evidence", t.after_evidence ? evidence_to_json(to_evidence(*t.after_evidence))
                                                       : json::value(nullptr)}};
      a.push_back(json::object{{"at", format_utc(t.at_ms)},
                               {"at_ms", t.at_ms},
                               {"policy", t.policy_id},
                               {"check", t.check_id},
                               {"change", t.kind()},
                               {"before", std::move(before)},
                               {"after", std::move(after)}});
    }
    out << pretty_json(a);
    return kExitOk;
  }
  if (changes->empty()) {
    out << "No verdict changes" << (q.since_ms ? " since " + format_utc(*q.since_ms) : std::string())
        << ".\n";
    return kExitOk;
  }
  for (const auto& t : *changes) {
    out << format_utc(t.at_ms) << "  " << terminal_safe(t.policy_id) << "/" << terminal_safe(t.check_id)
        << "  " << t.kind() << "\n";
    if (t.before_verdict) {
      out << "  before: " << *t.before_verdict << " (sequence "
          << (t.before_sequence ? std::to_string(*t.before_sequence) : "?") << ", last seen "
          << (t.before_seen_ms ? format_utc(*t.before_seen_ms) : "?") << ")";
      if (!t.before_message.empty()) out << ": " << terminal_safe(t.before_message);
      out << "\n";
      if (t.before_evidence)
        out << indent(rows_to_text(to_evidence(*t.before_evidence)), "    ");
      else
        out << "    (evidence removed by retention)\n";
    }
    out << "  after:  " << t.after_verdict << " (sequence " << t.after_sequence << ")";
    if (!t.after_message.empty()) out << ": " << terminal_safe(t.after_message);
    out << "\n";
    if (t.after_evidence) out << indent(rows_to_text(to_evidence(*t.after_evidence)), "    ");
  }
  return kExitOk;
}

}  // namespace vigil::agent
