// Pure parsers behind the `system_info` table: os-release(5), /proc/cpuinfo
// flags, cgroup and DMI hints, and the container/VM/physical classification
// built from them. Text in, facts out; the collector in system_info.cpp does
// the reads through Host.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace vigil::collectors {

// os-release(5) assignments: KEY=value with shell-style quoting (single
// quotes literal, double quotes with \" \\ \$ \` escapes, backslash escapes
// outside quotes, adjacent quoted/unquoted pieces concatenated, quoted values
// may span lines). '#' lines are comments; lines that are not assignments are
// skipped; a later assignment of a key wins, as when a shell sources the file.
std::map<std::string, std::string> parse_os_release(std::string_view text);

struct CpuFlags {
  bool has_flags_line = false;  // an x86 "flags" line was seen (other arches have none)
  bool hypervisor = false;      // the CPU reports running under a hypervisor
};
CpuFlags parse_cpuinfo_flags(std::string_view text);

// The container runtime a /proc/<pid>/cgroup file points at: "docker",
// "podman", "lxc", "containerd", "cri-o", "kubernetes" (a kubepods cgroup with
// no runtime marker), or "" when it shows no container.
std::string container_from_cgroup(std::string_view text);

// The hypervisor named by DMI sys_vendor/product_name, as the ids
// systemd-detect-virt prints ("kvm", "qemu", "vmware", "oracle", "xen",
// "microsoft", "amazon", "google", "parallels", "bochs", "bhyve"), or "".
std::string virtualization_from_dmi(std::string_view sys_vendor, std::string_view product_name);

// What the collector found on the host; empty strings mean "not found".
struct PlatformMarkers {
  std::string systemd_container;  // content of /run/systemd/container
  bool dockerenv = false;         // /.dockerenv exists
  bool containerenv = false;      // /run/.containerenv exists
  std::string cgroup_runtime;     // container_from_cgroup() of cgroup_source
  std::string cgroup_source;      // "/proc/1/cgroup"
  std::string hypervisor_type;    // content of /sys/hypervisor/type
  std::string dmi_vendor;         // /sys/class/dmi/id/sys_vendor
  std::string dmi_product;        // /sys/class/dmi/id/product_name
  bool cpuinfo_read = false;
  CpuFlags cpu;
};

struct Platform {
  std::string container;       // runtime, "" when not in a container
  std::string virtualization;  // hypervisor id, "vm-other" when only the CPU flag says so, "" for none
  std::string context;         // "container", "vm", "physical" or "unknown"
  std::string evidence;        // the markers behind the verdict, "; "-separated
};

// A container marker wins over virtualization (a container on a VM is still a
// container); "physical" needs positive evidence: an x86 flags line without
// the hypervisor bit and no hypervisor named anywhere.
Platform classify_platform(const PlatformMarkers& m);

}  // namespace vigil::collectors
