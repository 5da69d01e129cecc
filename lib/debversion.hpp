// Debian package versions ([epoch:]upstream[-revision], deb-version(7)):
// the order dpkg and apt put them in, and dpkg's syntax rules. Pure functions
// on text, shared by the apt collectors and the SQL function deb_version_cmp.
#pragma once

#include <string>
#include <string_view>

namespace vigil {

// <0, 0 or >0 as a sorts before, equal to, or after b in dpkg's order. Total
// on any input: a version with bad syntax is compared as dpkg compares it
// after its warning (surrounding whitespace ignored, epoch before the first
// ':', revision after the last '-'). Digit runs of any length are compared
// without converting them to integers, so nothing overflows.
int deb_version_compare(std::string_view a, std::string_view b) noexcept;

enum class DebVersionSyntax {
  ok,
  warning,  // accepted by dpkg with a warning: the upstream part does not start with a digit
  error,    // refused: empty, embedded space, bad epoch, empty upstream or revision, bad character
};

struct DebVersionCheck {
  DebVersionSyntax syntax = DebVersionSyntax::ok;
  std::string message;  // empty when ok; else dpkg's reason, e.g. "epoch in version is not number"
};

DebVersionCheck deb_version_check(std::string_view v);

// True when deb_version_check is ok or only a warning (dpkg accepts the version).
bool deb_version_valid(std::string_view v);

}  // namespace vigil
