// The running kernel against the kernel image packages dpkg has installed:
// pure functions over the text of /proc/version and dpkg's parsed database,
// behind the `kernel` table.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "deb_packages.hpp"

namespace vigil::collectors {

inline constexpr std::string_view kOsReleasePath = "/proc/sys/kernel/osrelease";
inline constexpr std::string_view kProcVersionPath = "/proc/version";

// The kernel release a package installs an image of:
//   linux-image-6.1.0-13-amd64           -> 6.1.0-13-amd64 (Debian, signed)
//   linux-image-6.1.0-13-amd64-unsigned  -> 6.1.0-13-amd64 (Debian)
//   linux-image-unsigned-5.15.0-91-generic -> 5.15.0-91-generic (Ubuntu)
// nullopt for meta packages (linux-image-amd64, linux-image-cloud-amd64,
// linux-image-generic: the release does not start with a digit), debug
// symbols (-dbg, -dbgsym) and anything that is not linux-image-*.
std::optional<std::string> kernel_image_release(std::string_view package);

// "6.1.0-13-cloud-amd64" -> "cloud-amd64", "5.15.0-91-generic" -> "generic";
// nullopt when the release is not <x.y.z>-<abi>-<flavour>.
std::optional<std::string> kernel_flavour(std::string_view release);

struct ProcVersion {
  std::optional<std::string> release;         // "Linux version <release> ..."
  std::optional<std::string> debian_version;  // "... #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)"
};
ProcVersion parse_proc_version(std::string_view text);

struct KernelRow {
  std::string release;
  std::optional<std::string> package;  // nullopt: the running kernel, no package installs it
  std::optional<std::string> version;
  std::optional<bool> running;  // nullopt when the running release is unknown
  bool newest = false;
  bool vmlinuz_present = false;
  std::optional<std::string> running_version;  // on running rows: the build /proc/version names
  int line = 0;                                // stanza line in the dpkg database; 0 for the running-only row
};

// One row per installed (dpkg state "installed") kernel image package, in
// database order; newest marks the greatest Version in dpkg's order, ties
// broken by the release in the same order (every row equal to the greatest
// is newest). A running release no package matches gets a row of its own.
std::vector<KernelRow> kernel_rows(const std::vector<DebPackage>& packages,
                                   const std::optional<std::string>& running_release,
                                   const std::optional<std::string>& running_version,
                                   const std::function<bool(const std::string& release)>& vmlinuz_present);

}  // namespace vigil::collectors
