// `vigil verify BUNDLE [--key PUBKEY] [--format text|json]` (docs/cli.md).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "crypto.hpp"
#include "result.hpp"

namespace vigil::agent {

inline constexpr const char* kVerifyHelp = R"(Usage: vigil verify BUNDLE [--key PUBKEY] [--format text|json]

Verifies an evidence bundle (vigil evidence export --format json) offline:
each envelope's Ed25519 signature over the DSSE PAE, that each statement's
subject digest is the SHA-256 of its results, and the chain: consecutive
sequence numbers, each previous_digest the SHA-256 of the envelope before,
missing ranges only where a signed gap record explains them. Every problem
is listed with its sequence number.

BUNDLE may also be a bundle set (vigil-store's GET /v1/export of several
hosts, schema vigil.evidence-bundles.v1): each host's bundle is verified on
its own, with its own key; the exit status is 0 only when all verify.

Options:
  --key PUBKEY     PEM public key to trust (the host's enrolled key); the
                   bundle's key must be this one. Without it the bundle's own
                   key is used, which proves consistency, not origin.
  --format FORMAT  text (default) or json
  -h, --help       show this help

Exit codes: 0 verified, 1 verification failed, 2 usage error or unreadable
bundle or key file.
)";

// What verify and evidence convert read: the --key to pin (when given) and
// the bundle's text (capped at kMaxBundleBytes). The error message names
// what failed ("--key: ..." for the key) and is meant for "vigil: MSG".
struct BundleInput {
  std::optional<crypto::PublicKey> pinned_key;
  std::string text;
};
Result<BundleInput> read_bundle_input(const std::optional<std::string>& key_path,
                                      const std::string& bundle_path);

// argv as for run_cli: argv[1] is "verify".
int cmd_verify(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

}  // namespace vigil::agent
