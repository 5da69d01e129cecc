// `vigil run`, the daemon (docs/cli.md, docs/configuration.md).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vigil::agent {

int cmd_run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

}  // namespace vigil::agent
