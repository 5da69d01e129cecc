// The commands that talk to vigil-store: `vigil enroll` and `vigil ship`
// (docs/cli.md). argv is the whole command line (argv[1] is the command).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vigil::agent {

// Exit codes of `vigil ship` besides kExitOk and kExitUsage (docs/cli.md).
inline constexpr int kExitShipRejected = 1;  // drained, but the store rejected some envelopes (set aside)
inline constexpr int kExitShipRetry = 3;     // the store could not be reached or asked to wait
inline constexpr int kExitShipRefused = 4;   // the store refused the request or answered off-protocol

int cmd_enroll(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);
int cmd_ship(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

}  // namespace vigil::agent
