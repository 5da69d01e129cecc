// `vigil evidence convert BUNDLE --format oscal|html --out PATH` (docs/cli.md),
// and the step it shares with `vigil evidence export`: a bundle's text,
// verified, rendered in an auditor format and written atomically.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto.hpp"

namespace vigil::agent {

enum class ExportFormat { oscal, html };

struct ExportCommandOptions {
  std::string out_path;
  bool force = false;             // replace out_path if it exists
  bool allow_unverified = false;  // OSCAL: write it although verification failed (marked)
  std::optional<crypto::PublicKey> pinned_key;
  std::string bundle_name;  // shown on the page; the OSCAL rlinks' file name (its last component)
};

// Verifies bundle_json, renders it as format and writes opts.out_path
// (mode 0644, atomically; an existing file is refused unless opts.force).
// Returns the exit code, as `vigil verify` does: 0 verified and written;
// 1 verification failed (the HTML page is still written and lists every
// problem; the OSCAL document only with allow_unverified); 2 the bundle
// cannot be read as one, or the file cannot be written. Messages to err.
int export_bundle_command(ExportFormat format, std::string_view bundle_json, const ExportCommandOptions& opts,
                          std::ostream& out, std::ostream& err);

inline constexpr const char* kEvidenceHelp =
    R"(Usage: vigil evidence convert BUNDLE --format oscal|html --out PATH [options]

Verifies an evidence bundle (vigil evidence export --format json) offline,
as vigil verify does, and writes it in an auditor format:
  oscal  an OSCAL 1.0.6 assessment-results document (JSON): an observation
         per check result per scan with its evidence rows, a finding per
         ISO/IEC 27001:2022 Annex A control, the envelopes by SHA-256
  html   one self-contained page: verification status, per control its
         checks and verdicts over the period, evidence, envelopes

Options:
  --format FORMAT      oscal or html (required)
  --out PATH           the file to write (required); written atomically
  --force              replace PATH if it exists
  --key PUBKEY         PEM public key to trust (the host's enrolled key)
  --allow-unverified   oscal: write the document although verification
                       failed (it says so); html pages always list failures
  -h, --help           show this help

Exit codes: 0 verified and written, 1 verification failed (the html page is
written all the same), 2 usage error, unreadable bundle or key, PATH exists
without --force, or PATH cannot be written.
)";

// argv as for run_cli: argv[1] is "evidence".
int cmd_evidence(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

}  // namespace vigil::agent
