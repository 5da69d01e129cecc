// The `vigil` command line: scan, query, collectors, policy lint.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vigil::agent {

// Exit codes (documented in docs/cli.md and `vigil --help`).
inline constexpr int kExitOk = 0;          // every check passed or was not applicable
inline constexpr int kExitFailed = 1;      // at least one check failed
inline constexpr int kExitUsage = 2;       // bad command line, config or policy
inline constexpr int kExitCheckError = 3;  // no check failed, but at least one ended in error
inline constexpr int kExitNotRecorded = 4;  // the scan ran but could not be recorded as evidence

// Runs the command line; out gets the report, err gets diagnostics.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace vigil::agent
