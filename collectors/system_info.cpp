// The `system_info` table: one row naming the host (hostname, OS release,
// kernel, machine id) and what it runs on (container, VM or bare metal), with
// the evidence behind that verdict. Every fact comes from a file under the
// host root, so it works the same on a live system, an image or a fixture.
#include "system_info.hpp"

#include <sys/utsname.h>

#include <optional>
#include <vector>

#include "collector.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

bool is_alpha(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_key_char(char c) noexcept {
  return is_alpha(c) || (c >= '0' && c <= '9');
}
bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t';
}
bool contains(std::string_view hay, std::string_view needle) noexcept {
  return hay.find(needle) != std::string_view::npos;
}
bool starts_with_ci(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}
bool contains_ci(std::string_view hay, std::string_view needle) {
  return contains(to_lower(hay), to_lower(needle));
}

}  // namespace

std::map<std::string, std::string> parse_os_release(std::string_view text) {
  std::map<std::string, std::string> out;
  const std::size_t n = text.size();
  std::size_t i = 0;
  auto skip_line = [&] {
    while (i < n && text[i] != '\n') ++i;
  };
  while (i < n) {
    while (i < n && (is_blank(text[i]) || text[i] == '\r' || text[i] == '\n')) ++i;
    if (i >= n) break;
    if (text[i] == '#' || !is_alpha(text[i])) {
      skip_line();
      continue;
    }
    const std::size_t key_start = i;
    while (i < n && is_key_char(text[i])) ++i;
    const std::string key(text.substr(key_start, i - key_start));
    while (i < n && is_blank(text[i])) ++i;
    if (i >= n || text[i] != '=') {
      skip_line();
      continue;
    }
    ++i;
    while (i < n && is_blank(text[i])) ++i;

    std::string value;
    std::size_t protected_len = 0;  // quoted or escaped text is never trimmed
    while (i < n && text[i] != '\n') {
      const char c = text[i];
      if (c == '\r' && (i + 1 == n || text[i + 1] == '\n')) {
        ++i;
      } else if (c == '\'') {
        for (++i; i < n && text[i] != '\''; ++i) value.push_back(text[i]);
        if (i < n) ++i;
        protected_len = value.size();
      } else if (c == '"') {
        for (++i; i < n && text[i] != '"'; ++i) {
          if (text[i] == '\\' && i + 1 < n) {
            const char e = text[i + 1];
            if (e == '\n') {  // line continuation
              ++i;
              continue;
            }
            if (e == '"' || e == '\\' || e == '$' || e == '`') {
              value.push_back(e);
              ++i;
              continue;
            }
          }
          value.push_back(text[i]);
        }
        if (i < n) ++i;
        protected_len = value.size();
      } else if (c == '\\') {
        if (i + 1 < n && text[i + 1] != '\n') {
          value.push_back(text[i + 1]);
          protected_len = value.size();
        }
        i += 2;
      } else {
        value.push_back(c);
        ++i;
      }
    }
    while (value.size() > protected_len && is_blank(value.back())) value.pop_back();
    out[key] = std::move(value);
  }
  return out;
}

CpuFlags parse_cpuinfo_flags(std::string_view text) {
  CpuFlags f;
  for (auto line : split_lines(text)) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || trim(line.substr(0, colon)) != "flags") continue;
    f.has_flags_line = true;
    for (auto flag : split_ws(line.substr(colon + 1))) {
      if (flag == "hypervisor") f.hypervisor = true;
    }
  }
  return f;
}

std::string container_from_cgroup(std::string_view text) {
  // Markers are matched on path components that only a container's own
  // cgroup has: "docker.service" on a Docker host must not count.
  bool kubepods = false;
  for (auto line : split_lines(text)) {
    const auto first = line.find(':');
    if (first == std::string_view::npos) continue;
    const auto second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view path = line.substr(second + 1);
    if (contains(path, "/libpod-") || contains(path, "/libpod_parent")) return "podman";
    if (contains(path, "cri-containerd-")) return "containerd";
    if (contains(path, "/crio-")) return "cri-o";
    if (contains(path, "/docker/") || contains(path, "/docker-")) return "docker";
    if (contains(path, "/lxc/") || contains(path, "/lxc.payload")) return "lxc";
    if (contains(path, "kubepods")) kubepods = true;
  }
  return kubepods ? "kubernetes" : "";
}

std::string virtualization_from_dmi(std::string_view sys_vendor, std::string_view product_name) {
  const std::string_view v = trim(sys_vendor);
  const std::string_view p = trim(product_name);
  if (contains_ci(p, "KVM")) return "kvm";
  if (starts_with_ci(v, "QEMU")) return "qemu";
  if (starts_with_ci(v, "VMware") || starts_with_ci(p, "VMware")) return "vmware";
  if (starts_with_ci(v, "innotek") || starts_with_ci(p, "VirtualBox")) return "oracle";
  if (starts_with_ci(v, "Xen")) return "xen";
  // Microsoft also sells laptops: only its VM product name means Hyper-V.
  if (starts_with_ci(v, "Microsoft") && iequals(p, "Virtual Machine")) return "microsoft";
  // EC2 "*.metal" instances carry the Amazon vendor string on bare hardware.
  if (starts_with_ci(v, "Amazon EC2") && !(p.size() >= 6 && p.substr(p.size() - 6) == ".metal"))
    return "amazon";
  if (starts_with_ci(v, "Google")) return "google";
  if (starts_with_ci(v, "Parallels") || starts_with_ci(p, "Parallels")) return "parallels";
  if (starts_with_ci(v, "Bochs") || starts_with_ci(p, "Bochs")) return "bochs";
  if (starts_with_ci(p, "BHYVE")) return "bhyve";
  return "";
}

Platform classify_platform(const PlatformMarkers& m) {
  Platform out;
  std::vector<std::string> evidence;
  if (!m.systemd_container.empty()) {
    out.container = m.systemd_container;
    evidence.push_back("/run/systemd/container: " + m.systemd_container);
  }
  if (m.dockerenv) {
    if (out.container.empty()) out.container = "docker";
    evidence.emplace_back("/.dockerenv exists");
  }
  if (m.containerenv) {
    if (out.container.empty()) out.container = "podman";
    evidence.emplace_back("/run/.containerenv exists");
  }
  if (!m.cgroup_runtime.empty()) {
    if (out.container.empty()) out.container = m.cgroup_runtime;
    evidence.push_back(m.cgroup_source + ": " + m.cgroup_runtime + " cgroup");
  }

  const std::string dmi = virtualization_from_dmi(m.dmi_vendor, m.dmi_product);
  if (!dmi.empty()) {
    out.virtualization = dmi;
    evidence.push_back("/sys/class/dmi/id: " + std::string(trim(m.dmi_vendor)) + " / " +
                       std::string(trim(m.dmi_product)));
  }
  if (!m.hypervisor_type.empty()) {
    if (out.virtualization.empty()) out.virtualization = to_lower(m.hypervisor_type);
    evidence.push_back("/sys/hypervisor/type: " + m.hypervisor_type);
  }
  if (m.cpuinfo_read && m.cpu.hypervisor) {
    if (out.virtualization.empty()) out.virtualization = "vm-other";
    evidence.emplace_back("/proc/cpuinfo flags: hypervisor");
  }

  if (!out.container.empty()) {
    out.context = "container";
  } else if (!out.virtualization.empty()) {
    out.context = "vm";
  } else if (m.cpuinfo_read && m.cpu.has_flags_line) {
    out.context = "physical";
    evidence.emplace_back("/proc/cpuinfo flags: no hypervisor");
  } else {
    out.context = "unknown";
    evidence.emplace_back(m.cpuinfo_read
                              ? "/proc/cpuinfo has no flags line; no container or hypervisor marker"
                              : "/proc/cpuinfo not readable; no container or hypervisor marker");
  }
  out.evidence = join(evidence, "; ");
  return out;
}

namespace {

constexpr std::size_t kSmallFileCap = 64u * 1024u;

// Reads through Host and remembers which files answered. Absent files are
// expected (most markers are absent on most hosts); any other failure is a
// warning, and the fact it would have given is reported as unknown (NULL).
class Probe {
 public:
  explicit Probe(CollectContext& ctx) : ctx_(ctx) {}

  std::optional<std::string> read(std::string_view path, std::size_t cap = kSmallFileCap) {
    auto r = ctx_.read_optional(path, cap);
    if (r) sources_.emplace_back(path);
    return r;
  }

  // First line of a one-value file, trimmed; "" when absent or empty.
  std::string read_value(std::string_view path) {
    auto text = read(path);
    if (!text) return "";
    auto lines = split_lines(*text);
    return lines.empty() ? "" : std::string(trim(lines.front()));
  }

  bool exists(std::string_view path) {
    auto st = ctx_.host().stat(path, false);
    if (!st) {
      if (!st.is(Errc::not_found)) ctx_.warn(std::string(path), st.error().message);
      return false;
    }
    sources_.emplace_back(path);
    return true;
  }

  const std::vector<std::string>& sources() const noexcept { return sources_; }

 private:
  CollectContext& ctx_;
  std::vector<std::string> sources_;
};

Value text_or_null(std::string_view s) {
  return s.empty() ? null_value() : text_value(sanitize_utf8(s));
}

Value os_field(const std::map<std::string, std::string>& os, const char* key) {
  auto it = os.find(key);
  return it == os.end() ? null_value() : text_or_null(it->second);
}

std::string read_hostname(Probe& probe) {
  std::string name = probe.read_value("/proc/sys/kernel/hostname");
  if (!name.empty() && name != "(none)") return name;
  // hostname(5): the first line that is not a comment.
  auto text = probe.read("/etc/hostname");
  if (!text) return "";
  for (auto line : split_lines(*text)) {
    auto t = trim(line);
    if (!t.empty() && t.front() != '#') return std::string(t);
  }
  return "";
}

PlatformMarkers read_markers(Probe& probe) {
  PlatformMarkers m;
  m.systemd_container = probe.read_value("/run/systemd/container");
  m.dockerenv = probe.exists("/.dockerenv");
  m.containerenv = probe.exists("/run/.containerenv");
  for (const char* path : {"/proc/1/cgroup", "/proc/self/cgroup"}) {
    if (auto text = probe.read(path)) {
      m.cgroup_runtime = container_from_cgroup(*text);
      if (!m.cgroup_runtime.empty()) {
        m.cgroup_source = path;
        break;
      }
    }
  }
  m.hypervisor_type = probe.read_value("/sys/hypervisor/type");
  m.dmi_vendor = probe.read_value("/sys/class/dmi/id/sys_vendor");
  m.dmi_product = probe.read_value("/sys/class/dmi/id/product_name");
  if (auto cpuinfo = probe.read("/proc/cpuinfo", kDefaultReadCap)) {
    m.cpuinfo_read = true;
    m.cpu = parse_cpuinfo_flags(*cpuinfo);
  }
  return m;
}

Status collect_system_info(CollectContext& ctx, std::vector<Row>& rows) {
  Probe probe(ctx);
  const std::string hostname = read_hostname(probe);

  std::map<std::string, std::string> os;
  auto os_text = probe.read("/etc/os-release");
  if (!os_text) os_text = probe.read("/usr/lib/os-release");
  if (os_text) os = parse_os_release(*os_text);

  const std::string kernel = probe.read_value("/proc/sys/kernel/osrelease");
  std::string machine_id = probe.read_value("/etc/machine-id");
  if (machine_id == "uninitialized") machine_id.clear();  // first-boot placeholder, machine-id(5)

  // uname() describes the scanning machine: only true of the host when the
  // host is the live root, never of an image or a fixture tree.
  std::string arch;
  if (ctx.host().is_live_root()) {
    struct utsname u {};
    if (::uname(&u) == 0) arch = u.machine;
  }

  const Platform platform = classify_platform(read_markers(probe));

  Row row;
  row.push_back(text_or_null(hostname));
  row.push_back(os_field(os, "ID"));
  row.push_back(os_field(os, "VERSION_ID"));
  row.push_back(os_field(os, "VERSION_CODENAME"));
  row.push_back(os_field(os, "PRETTY_NAME"));
  row.push_back(os_field(os, "ID_LIKE"));
  row.push_back(text_or_null(kernel));
  row.push_back(text_or_null(arch));
  row.push_back(text_or_null(machine_id));
  row.push_back(text_or_null(platform.container));
  row.push_back(text_or_null(platform.virtualization));
  row.push_back(text_value(platform.context));
  row.push_back(text_value(sanitize_utf8(platform.evidence)));
  row.push_back(text_value(join(probe.sources(), ", ")));
  rows.push_back(std::move(row));
  return Status::success();
}

TableDef system_info_table() {
  using T = ColumnType;
  return TableDef{
      "system_info",
      "One row describing the host: name, OS release, kernel, machine id, and whether it is a container, "
      "a virtual machine or physical, with the evidence for that.",
      {
          {"hostname", T::text, "/proc/sys/kernel/hostname, else the first line of /etc/hostname"},
          {"os_id", T::text, "ID from /etc/os-release (else /usr/lib/os-release), e.g. 'debian'"},
          {"os_version_id", T::text, "VERSION_ID from os-release, e.g. '12'"},
          {"os_version_codename", T::text, "VERSION_CODENAME from os-release, e.g. 'bookworm'"},
          {"os_name", T::text, "PRETTY_NAME from os-release"},
          {"os_id_like", T::text, "ID_LIKE from os-release (space-separated ids)"},
          {"kernel_release", T::text, "/proc/sys/kernel/osrelease; NULL when the root has no /proc"},
          {"architecture", T::text, "uname machine; only for the live root (/), NULL for images"},
          {"machine_id", T::text, "/etc/machine-id; NULL when absent, empty or 'uninitialized'"},
          {"container", T::text,
           "container runtime (docker, podman, lxc, containerd, cri-o, kubernetes, or the content of "
           "/run/systemd/container); NULL when no container marker was found"},
          {"virtualization", T::text,
           "hypervisor as systemd-detect-virt names it (kvm, qemu, vmware, oracle, xen, microsoft, amazon, "
           "google, ...), 'vm-other' when only the CPU hypervisor flag says so; NULL when none was found"},
          {"context", T::text,
           "'container', 'vm', 'physical' (x86 CPU flags without the hypervisor bit) or 'unknown'"},
          {"context_evidence", T::text, "the markers behind context, '; '-separated"},
          {"sources", T::text, "the host files that were read or found, ', '-separated"},
      },
      collect_system_info,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(system_info_table());

}  // namespace vigil::collectors
