// Debian packages from dpkg's database (/var/lib/dpkg/status): a pure parser
// of the deb822 text, used by the `deb_packages` table.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts.hpp"  // ParseIssue

namespace vigil::collectors {

// One stanza of the status file. Optional fields are nullopt when the stanza
// does not have them (dpkg keeps no Version for some not-installed entries).
struct DebPackage {
  std::string name;
  std::optional<std::string> version;
  std::optional<std::string> architecture;
  std::string source;                         // Source without "(version)", else the package name
  std::optional<std::string> source_version;  // the "(version)" of Source, else version
  std::optional<std::string> status;          // "want flag state" as written
  std::optional<std::string> want;
  std::optional<std::string> flag;
  std::optional<std::string> state;
  std::optional<std::string> multi_arch;
  int line = 0;  // 1-based line where the stanza starts
};

// One pass over the text, no copy of its lines. Stanzas without a Package
// field are skipped with an issue; field names are case-insensitive.
std::vector<DebPackage> parse_dpkg_status(std::string_view text, std::vector<ParseIssue>* issues = nullptr);

// True for the one state in which dpkg has the package unpacked and
// configured with nothing pending: "installed" (held packages included).
bool dpkg_state_installed(std::string_view state) noexcept;

}  // namespace vigil::collectors
