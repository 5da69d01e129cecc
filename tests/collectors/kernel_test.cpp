// Tests of the kernel package and /proc/version readers and of the `kernel`
// table over fixture hosts: running = newest, a reboot pending, and a running
// kernel no package installs.
#include "kernel.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "collector.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;

namespace {

DebPackage pkg(std::string name, std::string version, std::string state = "installed", int line = 1) {
  DebPackage p;
  p.name = std::move(name);
  p.version = std::move(version);
  p.state = std::move(state);
  p.line = line;
  return p;
}

// "release package version running newest vmlinuz" per row; '-' for NULL.
std::vector<std::string> summary(const std::vector<KernelRow>& rows) {
  std::vector<std::string> out;
  for (const auto& k : rows) {
    out.push_back(k.release + " " + k.package.value_or("-") + " " + k.version.value_or("-") + " " +
                  (k.running ? (*k.running ? "1" : "0") : "-") + " " + (k.newest ? "1" : "0") + " " +
                  (k.vmlinuz_present ? "1" : "0"));
  }
  return out;
}

std::size_t row_of(const vigil::test::CollectedTable& t, std::string_view release, bool with_package = true) {
  for (auto r : t.rows_where("release", release)) {
    if (t.is_null(r, "package") != with_package) return r;
  }
  FAIL("no row for " << release);
  return 0;
}

}  // namespace

TEST_CASE("kernel_image_release tells image packages from meta and debug packages", "[kernel]") {
  const std::vector<std::pair<std::string, std::optional<std::string>>> cases{
      {"linux-image-6.1.0-13-amd64", "6.1.0-13-amd64"},
      {"linux-image-6.1.0-13-cloud-amd64", "6.1.0-13-cloud-amd64"},
      {"linux-image-6.1.0-13-rt-amd64", "6.1.0-13-rt-amd64"},
      {"linux-image-6.1.0-13-amd64-unsigned", "6.1.0-13-amd64"},
      {"linux-image-5.15.0-91-generic", "5.15.0-91-generic"},
      {"linux-image-unsigned-5.15.0-91-generic", "5.15.0-91-generic"},
      {"linux-image-4.19.0-26-686-pae", "4.19.0-26-686-pae"},
      {"linux-image-amd64", std::nullopt},
      {"linux-image-cloud-amd64", std::nullopt},
      {"linux-image-generic", std::nullopt},
      {"linux-image-generic-hwe-22.04", std::nullopt},
      {"linux-image-6.1.0-13-amd64-dbg", std::nullopt},
      {"linux-image-5.15.0-91-generic-dbgsym", std::nullopt},
      {"linux-headers-6.1.0-13-amd64", std::nullopt},
      {"linux-image-", std::nullopt},
      {"linux-image-6.1/../../etc/passwd", std::nullopt},
      {"openssh-server", std::nullopt},
  };
  for (const auto& [name, release] : cases) {
    INFO("package " << name);
    CHECK(kernel_image_release(name) == release);
  }
}

TEST_CASE("kernel_flavour is what follows the ABI number", "[kernel]") {
  const std::vector<std::pair<std::string, std::optional<std::string>>> cases{
      {"6.1.0-13-amd64", "amd64"},    {"6.1.0-13-cloud-amd64", "cloud-amd64"},
      {"5.15.0-1049-azure", "azure"}, {"4.19.0-26-686-pae", "686-pae"},
      {"6.6.7-custom", std::nullopt}, {"6.1.0-13-", std::nullopt},
      {"6.1-13-amd64", std::nullopt}, {"", std::nullopt},
  };
  for (const auto& [release, flavour] : cases) {
    INFO("release " << release);
    CHECK(kernel_flavour(release) == flavour);
  }
}

TEST_CASE("parse_proc_version finds the release and the Debian build", "[kernel]") {
  const auto debian = parse_proc_version(
      "Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU "
      "ld "
      "(GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)\n");
  CHECK(debian.release == "6.1.0-13-amd64");
  CHECK(debian.debian_version == "6.1.55-1");
  const auto ubuntu = parse_proc_version(
      "Linux version 5.15.0-91-generic (buildd@lcy02-amd64-045) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, "
      "GNU "
      "ld (GNU Binutils for Ubuntu) 2.38) #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023");
  CHECK(ubuntu.release == "5.15.0-91-generic");
  CHECK_FALSE(ubuntu.debian_version.has_value());
  const auto custom = parse_proc_version("Linux version 6.6.7-custom (gcc (Debian 12.2.0-14) 12.2.0) #3 SMP");
  CHECK(custom.release == "6.6.7-custom");
  CHECK_FALSE(custom.debian_version.has_value());  // "Debian" of the compiler is not the build
  CHECK_FALSE(parse_proc_version("").release.has_value());
  CHECK_FALSE(parse_proc_version("garbage \xff\xfe #1 Debian").debian_version.has_value());
  CHECK_FALSE(parse_proc_version("Linux version ../../x (y) #1 SMP Debian !!").release.has_value());
}

TEST_CASE("kernel_rows: newest in dpkg order, running, and a running kernel no package has", "[kernel]") {
  const std::vector<DebPackage> packages{
      pkg("linux-image-6.1.0-9-amd64", "6.1.27-1"),
      pkg("linux-image-6.1.0-10-amd64", "6.1.38-1"),
      pkg("linux-image-amd64", "6.1.38-1"),
      pkg("linux-image-6.1.0-8-amd64", "6.1.25-1", "config-files"),
      pkg("linux-image-6.1.0-10-amd64-dbg", "6.1.38-1"),
      pkg("openssh-server", "1:9.2p1-2"),
  };
  const std::set<std::string> boot{"6.1.0-9-amd64", "6.1.0-10-amd64"};
  auto vmlinuz = [&boot](const std::string& r) { return boot.count(r) != 0; };
  // "6.1.0-10" sorts before "6.1.0-9" as text: the order must be dpkg's.
  CHECK(summary(kernel_rows(packages, std::string("6.1.0-9-amd64"), std::nullopt, vmlinuz)) ==
        std::vector<std::string>{"6.1.0-9-amd64 linux-image-6.1.0-9-amd64 6.1.27-1 1 0 1",
                                 "6.1.0-10-amd64 linux-image-6.1.0-10-amd64 6.1.38-1 0 1 1"});
  CHECK(summary(kernel_rows(packages, std::string("5.15.0-1049-azure"), std::nullopt, vmlinuz)) ==
        std::vector<std::string>{"6.1.0-9-amd64 linux-image-6.1.0-9-amd64 6.1.27-1 0 0 1",
                                 "6.1.0-10-amd64 linux-image-6.1.0-10-amd64 6.1.38-1 0 1 1",
                                 "5.15.0-1049-azure - - 1 0 0"});
  CHECK(summary(kernel_rows(packages, std::nullopt, std::nullopt, vmlinuz)) ==
        std::vector<std::string>{"6.1.0-9-amd64 linux-image-6.1.0-9-amd64 6.1.27-1 - 0 1",
                                 "6.1.0-10-amd64 linux-image-6.1.0-10-amd64 6.1.38-1 - 1 1"});
  CHECK(summary(kernel_rows({}, std::string("6.1.0-9-amd64"), std::nullopt, vmlinuz)) ==
        std::vector<std::string>{"6.1.0-9-amd64 - - 1 0 1"});
  // Equal versions: the release breaks the tie, in dpkg's order too.
  const auto tied = kernel_rows(
      {pkg("linux-image-6.1.0-10-rt-amd64", "6.1.38-1"), pkg("linux-image-6.1.0-10-amd64", "6.1.38-1")},
      std::nullopt, std::nullopt, vmlinuz);
  CHECK(summary(tied) ==
        std::vector<std::string>{"6.1.0-10-rt-amd64 linux-image-6.1.0-10-rt-amd64 6.1.38-1 - 1 0",
                                 "6.1.0-10-amd64 linux-image-6.1.0-10-amd64 6.1.38-1 - 0 1"});
  const auto built = kernel_rows(packages, std::string("6.1.0-10-amd64"), std::string("6.1.37-1"), vmlinuz);
  CHECK(built[1].running_version == "6.1.37-1");  // same ABI, upgraded in place: the new build is not running
  CHECK_FALSE(built[0].running_version.has_value());
}

TEST_CASE("kernel table: the running kernel is the newest", "[kernel]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("kernel-current"), "kernel");
  CHECK(t.warnings.empty());
  REQUIRE(t.rows.size() == 2);  // config-files, -dbg and the meta package are not images
  const auto cur = row_of(t, "6.1.0-27-amd64");
  CHECK(t.text(cur, "package") == "linux-image-6.1.0-27-amd64");
  CHECK(t.text(cur, "version") == "6.1.115-1");
  CHECK(t.text(cur, "flavour") == "amd64");
  CHECK(t.integer(cur, "running") == 1);
  CHECK(t.integer(cur, "newest") == 1);
  CHECK(t.integer(cur, "vmlinuz_present") == 1);
  CHECK(t.text(cur, "running_version") == "6.1.115-1");
  CHECK(t.text(cur, "file") == "/var/lib/dpkg/status");
  CHECK(t.integer(cur, "line") == 25);
  const auto old = row_of(t, "6.1.0-26-amd64");
  CHECK(t.integer(old, "running") == 0);
  CHECK(t.integer(old, "newest") == 0);
  CHECK(t.is_null(old, "running_version"));
}

TEST_CASE("kernel table: a newer kernel is installed than the one running", "[kernel]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("kernel-pending"), "kernel");
  REQUIRE(t.rows.size() == 2);
  const auto running = row_of(t, "6.1.0-26-amd64");
  CHECK(t.integer(running, "running") == 1);
  CHECK(t.integer(running, "newest") == 0);
  CHECK(t.text(running, "running_version") == "6.1.112-1");
  const auto newest = row_of(t, "6.1.0-27-amd64");
  CHECK(t.integer(newest, "running") == 0);
  CHECK(t.integer(newest, "newest") == 1);
}

TEST_CASE("kernel table: a running kernel no package installs", "[kernel]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("kernel-custom"), "kernel");
  REQUIRE(t.rows.size() == 3);
  const auto custom = row_of(t, "6.6.7-custom", false);
  CHECK(t.integer(custom, "running") == 1);
  CHECK(t.integer(custom, "newest") == 0);
  CHECK(t.integer(custom, "vmlinuz_present") == 1);
  CHECK(t.is_null(custom, "version"));
  CHECK(t.is_null(custom, "flavour"));
  CHECK(t.is_null(custom, "running_version"));
  CHECK(t.text(custom, "file") == "/proc/sys/kernel/osrelease");
  CHECK(t.integer(row_of(t, "6.1.0-27-amd64"), "newest") == 1);
  CHECK(t.integer(row_of(t, "6.1.0-27-amd64"), "running") == 0);
}

TEST_CASE("kernel table: a container, an image and a hostile tree", "[kernel]") {
  vigil::test::TempDir dir;
  SECTION("a container: the host's kernel, no kernel packages, no /boot") {
    dir.write("/proc/sys/kernel/osrelease", "5.15.0-1049-azure\n");
    dir.write("/var/lib/dpkg/status", "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\n");
    auto t = vigil::test::collect_ok(dir.path(), "kernel");
    REQUIRE(t.rows.size() == 1);
    CHECK(t.is_null(0, "package"));
    CHECK(t.integer(0, "running") == 1);
    CHECK(t.integer(0, "vmlinuz_present") == 0);
    CHECK(t.text(0, "flavour") == "azure");
  }
  SECTION("an image: no /proc, running unknown") {
    dir.write("/var/lib/dpkg/status",
              "Package: linux-image-6.1.0-27-amd64\nStatus: install ok installed\nVersion: 6.1.115-1\n");
    auto t = vigil::test::collect_ok(dir.path(), "kernel");
    REQUIRE(t.rows.size() == 1);
    CHECK(t.is_null(0, "running"));
    CHECK(t.integer(0, "newest") == 1);
    CHECK(t.warned("/proc/sys/kernel/osrelease", "unknown"));
  }
  SECTION("no dpkg database: only the running kernel") {
    dir.write("/proc/sys/kernel/osrelease", "6.1.0-27-amd64\n");
    auto t = vigil::test::collect_ok(dir.path(), "kernel");
    REQUIRE(t.rows.size() == 1);
    CHECK(t.warned("/var/lib/dpkg/status", "absent"));
  }
  SECTION("garbage release and a vmlinuz that is a symlink out of the root") {
    dir.write("/proc/sys/kernel/osrelease", "../../../etc/shadow\xff\n");
    dir.write("/var/lib/dpkg/status",
              "Package: linux-image-6.1.0-27-amd64\nStatus: install ok installed\nVersion: 6.1.115-1\n");
    dir.symlink("/boot/vmlinuz-6.1.0-27-amd64", "../../../../../../boot/vmlinuz-6.1.0-27-amd64");
    auto t = vigil::test::collect_ok(dir.path(), "kernel");
    REQUIRE(t.rows.size() == 2);
    CHECK(t.integer(row_of(t, "6.1.0-27-amd64"), "vmlinuz_present") ==
          0);  // a loop inside the root, not /boot
    for (std::size_t r = 0; r < t.rows.size(); ++r) CHECK_NOTHROW(t.text(r, "release"));
  }
}
