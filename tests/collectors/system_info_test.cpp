// Tests of the system_info parsers (strings in, facts out) and of the table
// on fixture trees: a Debian VM, a Docker container and a bare-metal server.
#include "system_info.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collector.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;

TEST_CASE("parse_os_release follows os-release(5) quoting", "[system_info]") {
  struct Case {
    const char* name;
    std::string text;
    std::string key;
    std::string expected;
  };
  // clang-format off
  const std::vector<Case> cases{
      {"unquoted", "ID=debian\n", "ID", "debian"},
      {"double quotes", "NAME=\"Debian GNU/Linux\"\n", "NAME", "Debian GNU/Linux"},
      {"single quotes", "ID_LIKE='rhel fedora'\n", "ID_LIKE", "rhel fedora"},
      {"escaped double quote", R"(PRETTY_NAME="He said \"hi\"")", "PRETTY_NAME", "He said \"hi\""},
      {"escaped backslash", R"(X="a\\b")", "X", R"(a\b)"},
      {"escaped dollar and backtick", R"(X="cost \$5 \`x\`")", "X", "cost $5 `x`"},
      {"other backslash kept in double quotes", R"(X="a\qb")", "X", R"(a\qb)"},
      {"no escapes in single quotes", R"(X='a\"b\\')", "X", R"(a\"b\\)"},
      {"backslash outside quotes", R"(X=two\ words)", "X", "two words"},
      {"pieces concatenated", R"(X="con"'cat'enated)", "X", "concatenated"},
      {"quoted value over two lines", "X=\"line one\nline two\"\nY=1\n", "X", "line one\nline two"},
      {"line continuation in double quotes", "X=\"ab\\\ncd\"\n", "X", "abcd"},
      {"unquoted trailing blanks trimmed", "X=value  \t\n", "X", "value"},
      {"quoted blanks kept", "X=\"  keep  \"\n", "X", "  keep  "},
      {"blanks around =", "  X =  spaced\n", "X", "spaced"},
      {"empty value", "X=\nY=2\n", "X", ""},
      {"comment lines skipped", "# ID=fedora\nID=debian\n", "ID", "debian"},
      {"CRLF line ends", "ID=debian\r\nVERSION_ID=\"12\"\r\n", "VERSION_ID", "12"},
      {"later assignment wins", "ID=first\nID=second\n", "ID", "second"},
      {"junk lines skipped", "not an assignment\n=novalue\n9X=bad\nID=ok\n", "ID", "ok"},
      {"no final newline", "VERSION_CODENAME=bookworm", "VERSION_CODENAME", "bookworm"},
      {"hash inside a value", "X=\"a # b\"\n", "X", "a # b"},
  };
  // clang-format on
  for (const auto& c : cases) {
    SECTION(c.name) {
      const auto kv = parse_os_release(c.text);
      const auto it = kv.find(c.key);
      REQUIRE(it != kv.end());
      CHECK(it->second == c.expected);
    }
  }
  SECTION("lines that are not assignments define nothing") {
    const auto kv = parse_os_release("not an assignment\n=novalue\n9X=bad\n# ID=x\n");
    CHECK(kv.empty());
  }
}

TEST_CASE("parse_cpuinfo_flags finds the hypervisor bit", "[system_info]") {
  struct Case {
    const char* name;
    std::string text;
    bool has_flags;
    bool hypervisor;
  };
  // clang-format off
  const std::vector<Case> cases{
      {"x86 guest", "processor\t: 0\nflags\t\t: fpu vme hypervisor lahf_lm\n", true, true},
      {"x86 bare metal", "processor\t: 0\nflags\t\t: fpu vme vmx lahf_lm\n", true, false},
      {"vmx flags is not the flags line", "processor\t: 0\nvmx flags\t: hypervisor\n", false, false},
      {"similar flag name", "flags\t: hypervisor_x xhypervisor\n", true, false},
      {"arm64 (Features, no flags)", "processor\t: 0\nFeatures\t: fp asimd evtstrm\n", false, false},
      {"empty", "", false, false},
  };
  // clang-format on
  for (const auto& c : cases) {
    SECTION(c.name) {
      const auto f = parse_cpuinfo_flags(c.text);
      CHECK(f.has_flags_line == c.has_flags);
      CHECK(f.hypervisor == c.hypervisor);
    }
  }
}

TEST_CASE("container_from_cgroup reads runtime hints", "[system_info]") {
  struct Case {
    const char* name;
    std::string text;
    std::string expected;
  };
  // clang-format off
  const std::vector<Case> cases{
      {"docker cgroup v1", "12:memory:/docker/3f2a9c\n1:name=systemd:/docker/3f2a9c\n", "docker"},
      {"docker systemd driver", "0::/system.slice/docker-3f2a9c.scope\n", "docker"},
      {"docker host's own daemon is no container", "0::/system.slice/docker.service\n", ""},
      {"containerd host daemon is no container", "0::/system.slice/containerd.service\n", ""},
      {"host init", "0::/init.scope\n", ""},
      {"cgroup namespace root", "0::/\n", ""},
      {"podman", "0::/machine.slice/libpod-3f2a9c.scope/container\n", "podman"},
      {"lxc v1", "4:cpu:/lxc/web\n", "lxc"},
      {"lxc v2 payload", "0::/lxc.payload.web/init.scope\n", "lxc"},
      {"kubernetes on containerd",
       "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-ab.scope\n",
       "containerd"},
      {"kubernetes on cri-o", "0::/kubepods.slice/kubepods-pod1.slice/crio-ab.scope\n", "cri-o"},
      {"kubernetes, runtime unknown", "11:cpu:/kubepods/besteffort/pod1/ab\n", "kubernetes"},
      {"path with colons", "0::/odd:name/docker/ab\n", "docker"},
      {"malformed lines", "garbage\n:\n", ""},
  };
  // clang-format on
  for (const auto& c : cases) {
    SECTION(c.name) {
      CHECK(container_from_cgroup(c.text) == c.expected);
    }
  }
}

TEST_CASE("virtualization_from_dmi names the hypervisor", "[system_info]") {
  struct Case {
    std::string vendor;
    std::string product;
    std::string expected;
  };
  // clang-format off
  const std::vector<Case> cases{
      {"QEMU\n", "Standard PC (Q35 + ICH9, 2009)\n", "qemu"},
      {"Red Hat", "KVM", "kvm"},
      {"QEMU", "KVM Virtual Machine", "kvm"},
      {"VMware, Inc.", "VMware Virtual Platform", "vmware"},
      {"innotek GmbH", "VirtualBox", "oracle"},
      {"Xen", "HVM domU", "xen"},
      {"Microsoft Corporation", "Virtual Machine", "microsoft"},
      {"Microsoft Corporation", "Surface Laptop 5", ""},
      {"Amazon EC2", "m5.large", "amazon"},
      {"Amazon EC2", "m5.metal", ""},
      {"Google", "Google Compute Engine", "google"},
      {"Parallels Software International Inc.", "Parallels Virtual Platform", "parallels"},
      {"Dell Inc.", "PowerEdge R650", ""},
      {"", "", ""},
  };
  // clang-format on
  for (const auto& c : cases) {
    CAPTURE(c.vendor, c.product);
    CHECK(virtualization_from_dmi(c.vendor, c.product) == c.expected);
  }
}

TEST_CASE("classify_platform decides container, vm or physical", "[system_info]") {
  struct Case {
    const char* name;
    PlatformMarkers markers;
    std::string container;
    std::string virtualization;
    std::string context;
    std::string evidence_part;
  };
  PlatformMarkers x86_metal;
  x86_metal.cpuinfo_read = true;
  x86_metal.cpu = {true, false};
  PlatformMarkers x86_guest = x86_metal;
  x86_guest.cpu.hypervisor = true;
  PlatformMarkers kvm = x86_guest;
  kvm.dmi_vendor = "QEMU";
  kvm.dmi_product = "KVM";
  PlatformMarkers docker_on_vm = x86_guest;
  docker_on_vm.dockerenv = true;
  PlatformMarkers nspawn = x86_metal;
  nspawn.systemd_container = "systemd-nspawn";
  nspawn.dockerenv = true;
  PlatformMarkers podman;
  podman.containerenv = true;
  PlatformMarkers k8s;
  k8s.cgroup_runtime = "containerd";
  k8s.cgroup_source = "/proc/1/cgroup";
  PlatformMarkers xen;
  xen.hypervisor_type = "xen";
  PlatformMarkers arm;
  arm.cpuinfo_read = true;
  PlatformMarkers nothing;

  // clang-format off
  const std::vector<Case> cases{
      {"bare metal", x86_metal, "", "", "physical", "/proc/cpuinfo flags: no hypervisor"},
      {"guest, hypervisor unnamed", x86_guest, "", "vm-other", "vm", "/proc/cpuinfo flags: hypervisor"},
      {"guest named by DMI", kvm, "", "kvm", "vm", "/sys/class/dmi/id: QEMU / KVM"},
      {"docker on a VM", docker_on_vm, "docker", "vm-other", "container", "/.dockerenv exists"},
      {"systemd's word wins", nspawn, "systemd-nspawn", "", "container", "/run/systemd/container: systemd-nspawn"},
      {"podman", podman, "podman", "", "container", "/run/.containerenv exists"},
      {"cgroup only", k8s, "containerd", "", "container", "/proc/1/cgroup: containerd cgroup"},
      {"xen", xen, "", "xen", "vm", "/sys/hypervisor/type: xen"},
      {"arm without DMI", arm, "", "", "unknown", "no flags line"},
      {"nothing readable", nothing, "", "", "unknown", "not readable"},
  };
  // clang-format on
  for (const auto& c : cases) {
    SECTION(c.name) {
      const auto p = classify_platform(c.markers);
      CHECK(p.container == c.container);
      CHECK(p.virtualization == c.virtualization);
      CHECK(p.context == c.context);
      CHECK_THAT(p.evidence, Catch::Contains(c.evidence_part));
    }
  }
}

namespace {

// The table on a host root: exactly one row, read as row 0.
vigil::test::CollectedTable collect_on(const std::string& root) {
  auto t = vigil::test::collect_ok(root, "system_info");
  REQUIRE(t.rows.size() == 1);
  return t;
}

}  // namespace

TEST_CASE("system_info on a Debian 12 VM", "[system_info]") {
  const auto r = collect_on(vigil::test::fixture_host("sysinfo-debian-vm"));
  CHECK(r.warnings.empty());
  CHECK(r.text(0, "hostname") == "web01");  // the kernel's name wins over /etc/hostname
  CHECK(r.text(0, "os_id") == "debian");
  CHECK(r.text(0, "os_version_id") == "12");
  CHECK(r.text(0, "os_version_codename") == "bookworm");
  CHECK(r.text(0, "os_name") == "Debian GNU/Linux 12 (bookworm)");
  CHECK(r.is_null(0, "os_id_like"));  // Debian sets none: absent, not invented
  CHECK(r.text(0, "kernel_release") == "6.1.0-18-amd64");
  CHECK(r.is_null(0, "architecture"));  // never the scanning machine's uname for a foreign root
  CHECK(r.text(0, "machine_id") == "4c4c4544004b3510804cb4c04f4e3132");
  CHECK(r.is_null(0, "container"));
  CHECK(r.text(0, "virtualization") == "qemu");
  CHECK(r.text(0, "context") == "vm");
  CHECK_THAT(r.text(0, "context_evidence"), Catch::Contains("QEMU") && Catch::Contains("flags: hypervisor"));
  CHECK_THAT(r.text(0, "sources"), Catch::Contains("/etc/os-release") &&
                                       Catch::Contains("/sys/class/dmi/id/sys_vendor") &&
                                       !Catch::Contains("/etc/hostname"));
}

TEST_CASE("system_info in a Docker container", "[system_info]") {
  const auto r = collect_on(vigil::test::fixture_host("sysinfo-container"));
  CHECK(r.warnings.empty());
  CHECK(r.text(0, "hostname") == "3f2a9c1b7d4e");  // no /proc/sys: /etc/hostname
  CHECK(r.text(0, "os_id") == "debian");           // from /usr/lib/os-release
  CHECK_THAT(r.text(0, "sources"), Catch::Contains("/usr/lib/os-release"));
  CHECK(r.is_null(0, "kernel_release"));
  CHECK(r.is_null(0, "machine_id"));
  CHECK(r.text(0, "container") == "docker");
  CHECK(r.text(0, "virtualization") == "vm-other");  // the host's CPU shows through
  CHECK(r.text(0, "context") == "container");
  CHECK_THAT(r.text(0, "context_evidence"),
             Catch::Contains("/.dockerenv exists") && Catch::Contains("/proc/1/cgroup: docker cgroup"));
}

TEST_CASE("system_info on a bare-metal server", "[system_info]") {
  const auto r = collect_on(vigil::test::fixture_host("sysinfo-baremetal"));
  CHECK(r.warnings.empty());
  CHECK(r.text(0, "hostname") == "db-prod-03");  // first line that is not a comment
  CHECK(r.text(0, "os_id") == "ubuntu");
  CHECK(r.text(0, "os_id_like") == "debian");
  CHECK(r.text(0, "os_version_id") == "22.04");
  CHECK(r.text(0, "os_name") == "Ubuntu 22.04.4 LTS");
  CHECK(r.is_null(0, "machine_id"));  // "uninitialized" is no id
  CHECK(r.text(0, "kernel_release") == "5.15.0-97-generic");
  CHECK(r.is_null(0, "container"));
  CHECK(r.is_null(0, "virtualization"));
  CHECK(r.text(0, "context") == "physical");
  CHECK_THAT(r.text(0, "context_evidence"), Catch::Contains("no hypervisor"));
}

TEST_CASE("system_info on an empty root reports unknowns, not errors", "[system_info]") {
  vigil::test::TempDir dir;
  const auto r = collect_on(dir.path());
  CHECK(r.warnings.empty());
  for (const char* col : {"hostname", "os_id", "os_name", "kernel_release", "architecture", "machine_id",
                          "container", "virtualization"}) {
    CAPTURE(col);
    CHECK(r.is_null(0, col));
  }
  CHECK(r.text(0, "context") == "unknown");
  CHECK(r.text(0, "sources").empty());
}

TEST_CASE("system_info warns about an unreadable marker and goes on", "[system_info]") {
  vigil::test::TempDir dir;
  dir.write("etc/os-release", "ID=debian\n");
  dir.mkdir("etc/hostname");  // a directory where a file belongs
  const auto r = collect_on(dir.path());
  CHECK(r.text(0, "os_id") == "debian");
  CHECK(r.is_null(0, "hostname"));
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings.front().where == "/etc/hostname");
}

TEST_CASE("system_info on the live root", "[system_info]") {
  const auto r = collect_on("/");
  CHECK_FALSE(r.is_null(0, "architecture"));
  CHECK_FALSE(r.is_null(0, "kernel_release"));
  CHECK_FALSE(r.text(0, "context").empty());
}
