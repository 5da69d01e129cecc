// `vigil evidence export` (see cli_evidence.hpp).
#include "cli_evidence.hpp"

#include <chrono>
#include <ostream>

#include "catalog.hpp"
#include "cli.hpp"
#include "cli_args.hpp"
#include "cli_export.hpp"
#include "file_io.hpp"
#include "record.hpp"
#include "strings.hpp"

namespace vigil::agent {

namespace {

constexpr const char* kExportHelp =
    R"(Usage: vigil evidence export --from TIME [--to TIME] --format json|oscal|html --out PATH [options]

Writes the evidence recorded in the period as one bundle an auditor can check
offline with `vigil verify`: every signed envelope of the period byte for byte
(scans and gap records), the host's public key, and a manifest of the period
and filters. Envelopes are whole (a signature covers all of a scan), so
--control and --check narrow what the readable formats show, and are named in
the manifest.

Options:
  --from TIME        start of the period: 2026-12-01T00:00:00Z, 2026-12-01, or
                     a time ago: 90s, 30m, 24h, 7d, 2w
  --to TIME          end of the period (default: now)
  --control ID       an Annex A control (A.8.5, or a 2013 id); repeatable
  --check ID         a check id; repeatable
  --format FORMAT    json (the bundle: docs/evidence-bundle.md), oscal (OSCAL
                     assessment-results) or html (one page for people)
  --out PATH         the file to write (mode 0644, written atomically)
  --force            replace PATH if it exists
  --state-dir DIR    the agent's state directory (default /var/lib/vigil)
  -h, --help         show this help

Exit codes: 0 written, 1 nothing recorded in the period, 2 usage error or an
unreadable cache.
)";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int cmd_evidence_export(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  const char* help_cmd = "evidence export ";
  auto args =
      parse_cli_args(argv, 3, {"from", "to", "control", "check", "format", "out", "state-dir"}, {"force"});
  if (!args) return cli_usage_error(err, args.error().message, help_cmd);
  if (args->help) {
    out << kExportHelp;
    return kExitOk;
  }
  if (!args->positional.empty())
    return cli_usage_error(err, "unexpected argument '" + args->positional[0] + "'", help_cmd);
  ExportRequest req;
  req.now_ms = now_ms();
  auto from = args->get("from");
  if (!from) return cli_usage_error(err, "--from is required", help_cmd);
  auto f = parse_cli_time(*from, req.now_ms);
  if (!f) return cli_usage_error(err, "--from: " + f.error().message, help_cmd);
  req.from_ms = *f;
  req.to_ms = req.now_ms;
  if (auto to = args->get("to")) {
    auto t = parse_cli_time(*to, req.now_ms);
    if (!t) return cli_usage_error(err, "--to: " + t.error().message, help_cmd);
    req.to_ms = *t;
  }
  if (req.to_ms < req.from_ms) return cli_usage_error(err, "--to is before --from", help_cmd);
  const auto& catalog = ControlCatalog::builtin();
  for (const auto& c : args->all("control")) {
    if (!catalog.has_2022(c) && !catalog.has_2013(c))
      return cli_usage_error(
          err, "--control " + c + " is not an ISO/IEC 27001 Annex A control (2022 or 2013)", help_cmd);
    req.controls.push_back(c);
  }
  req.checks = args->all("check");
  const std::string format = args->get("format").value_or("");
  if (format.empty()) return cli_usage_error(err, "--format is required (json, oscal or html)", help_cmd);
  if (format != "json" && format != "oscal" && format != "html")
    return cli_usage_error(err, "--format must be json, oscal or html, not '" + format + "'", help_cmd);
  auto path = args->get("out");
  if (!path || path->empty()) return cli_usage_error(err, "--out is required", help_cmd);
  if (auto d = args->get("state-dir")) req.state_dir = *d;

  auto bundle = export_bundle(req);
  if (!bundle) {
    err << "vigil: " << terminal_safe(bundle.error().message, true) << "\n";
    return bundle.error().code == Errc::not_found &&
                   bundle.error().message.rfind("no evidence recorded", 0) == 0
               ? kExitFailed
               : kExitUsage;
  }
  if (format != "json") {
    // The readable formats are made from the bundle, verified first against
    // the host's own public key, so they show exactly what a bundle would.
    ExportCommandOptions eo;
    eo.out_path = *path;
    eo.force = args->has("force");
    eo.bundle_name = "bundle.json";
    return export_bundle_command(format == "oscal" ? ExportFormat::oscal : ExportFormat::html, *bundle, eo,
                                 out, err);
  }
  const Replace replace = args->has("force") ? Replace::allow : Replace::refuse;
  if (Status s = write_file_atomic(*path, *bundle, 0644, replace); !s) {
    err << "vigil: " << terminal_safe(s.error().message, true)
        << (replace == Replace::refuse ? " (--force replaces an existing file)" : "") << "\n";
    return kExitUsage;
  }
  out << "Wrote " << terminal_safe(*path) << " (" << bundle->size() << " bytes); check it with: vigil verify "
      << terminal_safe(*path) << "\n";
  return kExitOk;
}

}  // namespace vigil::agent
