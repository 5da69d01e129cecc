// The evidence cache commands: `vigil history`, `vigil status`, `vigil drift`
// (docs/cli.md). argv is the whole command line (argv[1] is the command).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vigil::agent {

int cmd_history(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);
int cmd_status(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);
int cmd_drift(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

}  // namespace vigil::agent
