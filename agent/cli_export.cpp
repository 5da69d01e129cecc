// `vigil evidence convert` (see cli_export.hpp).
#include "cli_export.hpp"

#include <ostream>

#include "cli.hpp"
#include "cli_args.hpp"
#include "cli_verify.hpp"
#include "export_html.hpp"
#include "export_oscal.hpp"
#include "file_io.hpp"
#include "strings.hpp"
#include "verify.hpp"

namespace vigil::agent {

namespace {

int evidence_usage(std::ostream& err, const std::string& msg) {
  err << "vigil: " << terminal_safe(msg, true) << "\nTry 'vigil evidence --help'.\n";
  return kExitUsage;
}

std::string last_component(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int cmd_convert(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parse_cli_args(argv, 3, {"format", "out", "key"}, {"force", "allow-unverified"});
  if (!args) return evidence_usage(err, args.error().message);
  if (args->help) {
    out << kEvidenceHelp;
    return kExitOk;
  }
  const auto format = args->get("format");
  const auto out_path = args->get("out");
  const auto& positional = args->positional;
  if (positional.size() != 1) return evidence_usage(err, "evidence convert takes exactly one bundle file");
  if (!format) return evidence_usage(err, "evidence convert needs --format oscal or --format html");
  if (*format != "oscal" && *format != "html")
    return evidence_usage(err, "--format must be oscal or html, not '" + *format + "'");
  if (!out_path || out_path->empty()) return evidence_usage(err, "evidence convert needs --out PATH");
  ExportCommandOptions opts;
  opts.force = args->has("force");
  opts.allow_unverified = args->has("allow-unverified");
  opts.out_path = *out_path;
  opts.bundle_name = positional[0];
  auto input = read_bundle_input(args->get("key"), positional[0]);
  if (!input) {
    err << "vigil: " << terminal_safe(input.error().message, true) << "\n";
    return kExitUsage;
  }
  opts.pinned_key = std::move(input->pinned_key);
  return export_bundle_command(*format == "oscal" ? ExportFormat::oscal : ExportFormat::html, input->text,
                               opts, out, err);
}

}  // namespace

int export_bundle_command(ExportFormat format, std::string_view bundle_json, const ExportCommandOptions& opts,
                          std::ostream& out, std::ostream& err) {
  const std::string name = opts.bundle_name.empty() ? std::string("bundle") : opts.bundle_name;
  VerifyOptions vopts;
  vopts.pinned_key = opts.pinned_key;
  auto bundle = read_evidence_bundle(bundle_json, vopts);
  if (!bundle) {
    err << "vigil: " << terminal_safe(name) << ": " << terminal_safe(bundle.error().message, true) << "\n";
    return kExitUsage;
  }
  const VerifyReport& report = (*bundle)->verification;
  std::string bytes;
  if (format == ExportFormat::oscal) {
    OscalOptions o;
    o.allow_unverified = opts.allow_unverified;
    if (!opts.bundle_name.empty()) o.bundle_href = last_component(opts.bundle_name);
    auto doc = bundle_to_oscal(**bundle, o);
    if (!doc) {
      err << verify_report_text(report, name) << "vigil: " << terminal_safe(opts.out_path)
          << " not written: the bundle did not verify (--allow-unverified writes a document that says so)\n";
      return kExitFailed;
    }
    bytes = std::move(*doc);
  } else {
    HtmlOptions h;
    h.bundle_name = opts.bundle_name;
    bytes = bundle_to_html(**bundle, h);
  }
  if (Status s = write_file_atomic(opts.out_path, bytes, 0644, opts.force ? Replace::allow : Replace::refuse);
      !s.ok()) {
    err << "vigil: " << terminal_safe(s.error().message, true)
        << (s.error().code == Errc::invalid && !opts.force ? " (--force replaces it)" : "") << "\n";
    return kExitUsage;
  }
  if (!report.ok()) {
    err << verify_report_text(report, name) << "vigil: wrote " << terminal_safe(opts.out_path) << " ("
        << bytes.size() << " bytes), which lists every problem\n";
    return kExitFailed;
  }
  out << "vigil: " << terminal_safe(name) << " verified; wrote " << terminal_safe(opts.out_path) << " ("
      << bytes.size() << " bytes, " << (format == ExportFormat::oscal ? "OSCAL assessment-results" : "HTML")
      << ")\n";
  return kExitOk;
}

int cmd_evidence(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  if (argv.size() < 3 || argv[2] == "-h" || argv[2] == "--help") {
    (argv.size() < 3 ? err : out) << kEvidenceHelp;
    return argv.size() < 3 ? kExitUsage : kExitOk;
  }
  if (argv[2] == "convert") return cmd_convert(argv, out, err);
  return evidence_usage(err, "unknown evidence command '" + argv[2] + "' (known: convert)");
}

}  // namespace vigil::agent
