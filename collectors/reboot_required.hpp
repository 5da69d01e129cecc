// Whether the host waits for a reboot: the flag file that package hooks
// (update-notifier-common's notify-reboot-required, unattended-upgrades)
// write, and the list of packages that asked for it. A pure parser of the
// list; the `reboot_required` table wraps it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "accounts.hpp"  // ParseIssue

namespace vigil::collectors {

inline constexpr std::string_view kRebootRequiredFile = "/run/reboot-required";
inline constexpr std::string_view kRebootRequiredPkgs = "/run/reboot-required.pkgs";

struct RebootPackages {
  std::vector<std::string> names;  // in file order, each once
  std::vector<ParseIssue> issues;  // lines that are not a package name
};

// One package name per line, as the hooks append them (`echo "$PKG" >>`):
// blanks around a name are dropped, repeats are kept once.
RebootPackages parse_reboot_required_pkgs(std::string_view text);

}  // namespace vigil::collectors
