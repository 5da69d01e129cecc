// The `vigil` command line (see cli.hpp, docs/cli.md).
#include "cli.hpp"

#include <boost/json.hpp>
#include <map>
#include <optional>
#include <ostream>

#include "cli_args.hpp"
#include "cli_cache.hpp"
#include "cli_evidence.hpp"
#include "cli_run.hpp"
#include "cli_export.hpp"
#include "cli_store.hpp"
#include "daemon_jobs.hpp"
#include "cli_verify.hpp"
#include "engine.hpp"
#include "policy.hpp"
#include "record.hpp"
#include "report.hpp"
#include "strings.hpp"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

namespace vigil::agent {

namespace {

constexpr const char* kMainHelp = R"(vigil - continuous ISO/IEC 27001 control monitoring for Linux hosts

Usage: vigil <command> [options]

Commands:
  scan              run policy checks against this host (or --root) and report
  query SQL         run one read-only SQL query over the fact tables
  collectors        list the fact tables and their columns
  policy lint FILE  validate policy packs without running them
  evidence export   a period of recorded evidence as a bundle for auditors
  verify BUNDLE     verify an evidence bundle offline: signatures, chain, digests
  history           the last scans recorded in the evidence cache
  status            the evidence cache: last scan, outbox depth, size
  drift             verdict changes per check, with evidence before and after
  evidence convert  write a verified bundle as OSCAL assessment-results or an HTML report
  enroll            enroll this host with a vigil-store (writes enrollment.json)
  ship              send the outbox's signed evidence to the store
  run               the daemon: scan on schedules, record, ship (vigil.service)

Options:
  -h, --help        show help (also: vigil <command> --help)
  --version         print the version

Exit codes: 0 all checks pass or are not applicable, 1 a check failed,
2 usage, configuration or policy error, 3 a check ended in error (none failed).
(enroll and ship have their own: vigil ship --help.)
Documentation: docs/cli.md, docs/configuration.md, docs/policies.md, docs/tables.md.
)";

constexpr const char* kScanHelp = R"(Usage: vigil scan [options]

Runs the checks of the policy packs against the host and prints a report
grouped by ISO/IEC 27001:2022 Annex A control. Nothing on the host is changed.

Options:
  --root DIR         read the host under DIR (a fixture tree, a mounted image,
                     a container root); default /
  --policy PATH      a policy pack file, a directory of *.yaml/*.yml packs, or
                     a built-in pack: builtin:linux-baseline (host settings,
                     fast), builtin:linux-filesystem (one walk of the whole
                     filesystem); repeatable; default: both built-in packs
  --check ID         run only this check; repeatable
  --format FORMAT    table (default) or json (schema: docs/scan-report.md)
  --evidence-rows N  evidence rows kept per check (default 100)
  --state-dir DIR    record the scan as signed evidence in DIR's cache
                     (default /var/lib/vigil; the host key is made there on
                     first use)
  --no-record        only print the report
  --tag KEY=VALUE    a scope tag (owner, environment, role...) signed into the
                     evidence; repeatable
  --keep-days N      retention: drop recorded scans older than N days (400)
  --keep-mib N       retention: keep the cache under N MiB in use (512)
  --keep-scans N     retention: keep at most N scans (0: no limit); an
                     unshipped envelope removed by a cap leaves a signed gap
                     record
  -h, --help         show this help

A scan of the running system (--root /) is recorded by default; a scan of
another root only with --state-dir, so a fixture or image never joins this
host's chain.

Exit codes: 0 all pass/not applicable, 1 a check failed, 2 usage or policy
error, 3 a check ended in error and none failed, 4 the scan could not be
recorded (the report is printed all the same).
)";

constexpr const char* kQueryHelp = R"(Usage: vigil query [options] SQL

Runs one read-only SQL statement (SQLite dialect) over the fact tables of the
host and prints the rows. Tables are listed by `vigil collectors`.
Example: vigil query "SELECT keyword, value, file, line FROM sshd_config"

Options:
  --root DIR       read the host under DIR; default /
  --format FORMAT  table (default) or json
  -h, --help       show this help
)";

constexpr const char* kCollectorsHelp = R"(Usage: vigil collectors [--format table|json|markdown]

Lists the fact tables that checks and queries can read, with their columns.
Tables with an argument column are table-valued functions:
  SELECT * FROM file('/etc/shadow')
)";

constexpr const char* kLintHelp = R"(Usage: vigil policy lint FILE|DIR...

Parses and validates policy packs: structure, unknown keys, duplicate check
ids, Annex A control ids, and every SQL statement against the fact tables
(without collecting anything). Prints problems with file, line and check id.
Exit code 0 when every pack is valid, 2 otherwise.
)";

using Args = CliArgs;

Result<std::string> format_of(const Args& a) {
  std::string f = a.get("format").value_or("table");
  if (f != "table" && f != "json")
    return make_error(Errc::invalid, "--format must be table or json, not '" + f + "'");
  return f;
}

int usage_error(std::ostream& err, const std::string& msg, const char* help_cmd) {
  return cli_usage_error(err, msg, help_cmd);
}

Result<collectors::Host> open_host(const Args& a) {
  auto root = a.get("root").value_or("/");
  return collectors::Host::open(root);
}

void print_warnings(const std::vector<collectors::Warning>& warnings, std::ostream& err) {
  for (const auto& w : warnings)
    err << "vigil: warning: " << terminal_safe(w.table) << ": " << terminal_safe(w.where) << ": "
        << terminal_safe(w.message) << "\n";
}

int cmd_scan(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parse_cli_args(argv, 2,
                             {"root", "policy", "check", "format", "evidence-rows", "state-dir", "tag",
                              "keep-days", "keep-mib", "keep-scans"},
                             {"no-record"});
  if (!args) return usage_error(err, args.error().message, "scan ");
  if (args->help) {
    out << kScanHelp;
    return kExitOk;
  }
  if (!args->positional.empty())
    return usage_error(err, "unexpected argument '" + args->positional[0] + "'", "scan ");
  auto format = format_of(*args);
  if (!format) return usage_error(err, format.error().message, "scan ");
  ScanOptions opts;
  opts.only_checks = args->all("check");
  if (auto n = args->get("evidence-rows")) {
    auto v = parse_int(*n);
    if (!v || *v < 0 || *v > 1000000)
      return usage_error(err, "--evidence-rows must be a number from 0 to 1000000", "scan ");
    opts.evidence_cap = static_cast<std::size_t>(*v);
  }
  RecordOptions record;
  const bool live_root = args->get("root").value_or("/") == "/";
  const bool recording = !args->has("no-record") && (live_root || args->has("state-dir"));
  if (args->has("no-record") && args->has("state-dir"))
    return usage_error(err, "--no-record and --state-dir contradict each other", "scan ");
  if (auto d = args->get("state-dir")) {
    if (d->empty() || (*d)[0] != '/')
      return usage_error(err, "--state-dir must be an absolute path", "scan ");
    record.state_dir = *d;
  }
  // Retention caps of the cache (0 switches one off); defaults in cache.hpp.
  struct Cap {
    const char* name;
    std::int64_t* field;
    std::int64_t scale;
  };
  for (const Cap& c : {Cap{"keep-days", &record.retention.max_age_days, 1},
                       Cap{"keep-mib", &record.retention.max_bytes, 1024 * 1024},
                       Cap{"keep-scans", &record.retention.max_scans, 1}}) {
    if (auto v = args->get(c.name)) {
      auto n = parse_int(*v);
      if (!n || *n < 0 || *n > 1000000)
        return usage_error(
            err, std::string("--") + c.name + " must be a number from 0 to 1000000, not '" + *v + "'",
            "scan ");
      *c.field = *n * c.scale;
    }
  }
  for (const auto& t : args->all("tag")) {
    const auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == t.size())
      return usage_error(err, "--tag takes KEY=VALUE, not '" + t + "'", "scan ");
    if (!record.scope.emplace(t.substr(0, eq), t.substr(eq + 1)).second)
      return usage_error(err, "--tag " + t.substr(0, eq) + " given twice", "scan ");
  }

  std::vector<PolicyPack> packs;
  const auto paths = args->all("policy");
  if (paths.empty()) {
    auto builtin = builtin_packs();
    if (!builtin) {
      err << "vigil: built-in policy is invalid (a build defect):\n"
          << terminal_safe(builtin.error().message, true) << "\n";
      return kExitUsage;
    }
    packs = std::move(*builtin);
  } else {
    auto loaded = load_policy_paths(paths);
    if (!loaded) {
      err << "vigil: policy error:\n" << terminal_safe(loaded.error().message, true) << "\n";
      return kExitUsage;
    }
    packs = std::move(*loaded);
  }

  auto host = open_host(*args);
  if (!host) return usage_error(err, host.error().message, "scan ");
  auto engine = Engine::create(*host);
  if (!engine) {
    err << "vigil: " << terminal_safe(engine.error().message, true) << "\n";
    return kExitUsage;
  }
  for (const auto& p : packs) {
    if (Status s = (*engine)->validate(p); !s.ok()) {
      err << "vigil: policy error:\n" << terminal_safe(s.error().message, true) << "\n";
      return kExitUsage;
    }
  }
  // Every --check must name a check, or the user silently scans nothing.
  for (const auto& id : opts.only_checks) {
    bool found = false;
    for (const auto& p : packs) {
      for (const auto& c : p.checks) found = found || c.id == id;
    }
    if (!found) return usage_error(err, "no check with id '" + id + "' in the policies", "scan ");
  }

  ScanReport report = (*engine)->scan(packs, opts);
  ReportMeta meta{VIGIL_VERSION, host_info_object(report.host_info)};
  std::optional<Result<RecordOutcome>> recorded;
  if (recording) recorded.emplace(record_evidence(report, meta, record));
  if (*format == "json") {
    boost::json::value v = report_to_json(report, meta);
    boost::json::value rec = nullptr;
    if (recorded && recorded->ok()) {
      const auto& r = recorded->value();
      rec = {{"sequence", r.scan.sequence},
             {"envelope_sha256", r.scan.digest},
             {"key_id", r.key_id},
             {"cache", r.cache_path},
             {"transitions", r.scan.transitions}};
    }
    v.as_object()["recorded"] = rec;
    out << pretty_json(v);
  } else {
    out << report_to_text(report, meta);
    if (recorded && recorded->ok()) {
      const auto& r = recorded->value();
      out << "Recorded: sequence " << r.scan.sequence << ", envelope sha256 " << r.scan.digest << ", "
          << r.scan.transitions << " verdict changes, in " << terminal_safe(r.cache_path) << " (key "
          << r.key_id << ")\n";
    }
  }
  if (recorded) {
    if (!recorded->ok()) {
      err << "vigil: the scan was not recorded as evidence in " << terminal_safe(record.state_dir) << ": "
          << terminal_safe(recorded->error().message, true)
          << "\n(run as the agent's user or root, pick another --state-dir, or --no-record to only print)\n";
      return kExitNotRecorded;
    }
    for (const auto& w : recorded->value().warnings) err << "vigil: warning: " << terminal_safe(w) << "\n";
  }
  const auto counts = count_verdicts(report);
  if (counts.fail > 0) return kExitFailed;
  if (counts.error > 0) return kExitCheckError;
  return kExitOk;
}

int cmd_query(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parse_cli_args(argv, 2, {"root", "format"});
  if (!args) return usage_error(err, args.error().message, "query ");
  if (args->help) {
    out << kQueryHelp;
    return kExitOk;
  }
  if (args->positional.size() != 1)
    return usage_error(err, "query takes exactly one SQL statement", "query ");
  auto format = format_of(*args);
  if (!format) return usage_error(err, format.error().message, "query ");
  auto host = open_host(*args);
  if (!host) return usage_error(err, host.error().message, "query ");
  auto engine = Engine::create(*host);
  if (!engine) {
    err << "vigil: " << terminal_safe(engine.error().message, true) << "\n";
    return kExitUsage;
  }
  auto res = (*engine)->query(args->positional[0]);
  if (!res) {
    err << "vigil: query failed: " << terminal_safe(res.error().message, true) << "\n";
    return kExitUsage;
  }
  print_warnings(res->warnings, err);
  if (*format == "json") {
    out << pretty_json(evidence_to_json(res->rows));
  } else {
    out << rows_to_text(res->rows);
  }
  return kExitOk;
}

// Pipes and newlines would break a Markdown table cell.
std::string md_cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out.push_back(c);
  }
  return out;
}

int cmd_collectors(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parse_cli_args(argv, 2, {"format"});
  if (!args) return usage_error(err, args.error().message, "collectors ");
  if (args->help) {
    out << kCollectorsHelp;
    return kExitOk;
  }
  const std::string format = args->get("format").value_or("table");
  if (format != "table" && format != "json" && format != "markdown") {
    return usage_error(err, "--format must be table, json or markdown, not '" + format + "'", "collectors ");
  }
  auto tables = collectors::Registry::instance().tables();
  std::sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  if (format == "json") {
    boost::json::array arr;
    for (const auto& t : tables) {
      boost::json::array cols;
      for (const auto& c : t.columns) {
        cols.push_back(boost::json::object{{"name", c.name},
                                           {"type", collectors::column_type_name(c.type)},
                                           {"doc", c.doc},
                                           {"argument", c.hidden}});
      }
      arr.push_back(boost::json::object{{"table", t.name}, {"doc", t.doc}, {"columns", std::move(cols)}});
    }
    out << pretty_json(arr);
    return kExitOk;
  }
  if (format == "markdown") {
    out << "# Fact tables\n\nGenerated by `vigil collectors --format markdown`; a test keeps this file in "
           "step "
           "with the code.\nColumns marked *argument* are the arguments of a table-valued function: "
           "`SELECT * FROM file('/etc/shadow')`.\n";
    for (const auto& t : tables) {
      out << "\n## `" << t.name << "`\n\n" << t.doc << "\n\n| column | type | meaning |\n|---|---|---|\n";
      for (const auto& c : t.columns) {
        out << "| `" << c.name << "` | " << collectors::column_type_name(c.type) << " | "
            << (c.hidden ? "*argument*: " : "") << md_cell(c.doc) << " |\n";
      }
    }
    return kExitOk;
  }
  for (const auto& t : tables) {
    out << t.name << "\n  " << t.doc << "\n";
    std::size_t w = 0;
    for (const auto& c : t.columns) w = std::max(w, c.name.size());
    for (const auto& c : t.columns) {
      std::string name = c.name;
      name.resize(w, ' ');
      std::string type = collectors::column_type_name(c.type);
      type.resize(8, ' ');
      out << "    " << name << "  " << type << (c.hidden ? "(argument) " : "") << c.doc << "\n";
    }
    out << "\n";
  }
  return kExitOk;
}

int cmd_policy(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  if (argv.size() < 3 || argv[2] == "-h" || argv[2] == "--help") {
    out << kLintHelp;
    return argv.size() < 3 ? kExitUsage : kExitOk;
  }
  if (argv[2] != "lint")
    return usage_error(err, "unknown policy command '" + argv[2] + "' (known: lint)", "policy lint ");
  auto args = parse_cli_args(argv, 3, {});
  if (!args) return usage_error(err, args.error().message, "policy lint ");
  if (args->help) {
    out << kLintHelp;
    return kExitOk;
  }
  if (args->positional.empty())
    return usage_error(err, "policy lint needs at least one file or directory", "policy lint ");
  auto host = collectors::Host::open("/");
  if (!host) return usage_error(err, host.error().message, "policy lint ");
  auto engine = Engine::create(*host);
  if (!engine) {
    err << "vigil: " << terminal_safe(engine.error().message, true) << "\n";
    return kExitUsage;
  }
  int rc = kExitOk;
  // One path at a time so a bad file does not hide the verdict on the others.
  for (const auto& path : args->positional) {
    auto packs = load_policy_paths({path});
    if (!packs) {
      err << terminal_safe(packs.error().message, true) << "\n";
      rc = kExitUsage;
      continue;
    }
    for (const auto& p : *packs) {
      for (const auto& w : p.warnings) err << "warning: " << terminal_safe(w) << "\n";
      if (Status s = (*engine)->validate(p); !s.ok()) {
        err << terminal_safe(s.error().message, true) << "\n";
        rc = kExitUsage;
      } else {
        out << terminal_safe(p.source) << ": ok (" << terminal_safe(p.id) << " " << terminal_safe(p.version)
            << ", " << p.checks.size() << " checks)\n";
      }
    }
  }
  return rc;
}

}  // namespace

int run_cli(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  if (argv.size() < 2) {
    err << kMainHelp;
    return kExitUsage;
  }
  const std::string& cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    out << kMainHelp;
    return kExitOk;
  }
  if (cmd == "--version" || cmd == "version") {
    out << "vigil " << VIGIL_VERSION << "\n";
    return kExitOk;
  }
  try {
    if (cmd == "scan") return cmd_scan(argv, out, err);
    if (cmd == "query") return cmd_query(argv, out, err);
    if (cmd == "collectors") return cmd_collectors(argv, out, err);
    if (cmd == "policy") return cmd_policy(argv, out, err);
    if (cmd == "verify") return cmd_verify(argv, out, err);
    if (cmd == "evidence") {
      if (argv.size() > 2 && argv[2] == "export") return cmd_evidence_export(argv, out, err);
      return cmd_evidence(argv, out, err);  // convert, and its usage errors
    }
    if (cmd == "history") return cmd_history(argv, out, err);
    if (cmd == "status") return cmd_status(argv, out, err);
    if (cmd == "drift") return cmd_drift(argv, out, err);
    if (cmd == "enroll") return cmd_enroll(argv, out, err);
    if (cmd == "ship") return cmd_ship(argv, out, err);
    if (cmd == "run") return cmd_run(argv, out, err);
    if (cmd == "job") return cmd_job(argv, out, err);  // the daemon's, not in --help
  } catch (const std::exception& e) {
    // Last line of defence: a defect must still end with a message, not abort().
    err << "vigil: internal error: " << e.what() << "\n";
    return kExitUsage;
  }
  return usage_error(err, "unknown command '" + cmd + "'", "");
}

}  // namespace vigil::agent
