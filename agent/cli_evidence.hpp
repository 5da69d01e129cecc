// `vigil evidence export`: a period of the evidence cache as a bundle an
// auditor verifies offline (docs/cli.md, docs/evidence-bundle.md).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vigil::agent {

int cmd_evidence_export(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

}  // namespace vigil::agent
