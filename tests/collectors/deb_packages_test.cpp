// Tests of the dpkg status parser and of the `deb_packages` table.
#include "deb_packages.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collector.hpp"
#include "host.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using namespace std::string_literals;

namespace {

const DebPackage& only(const std::vector<DebPackage>& p) {
  REQUIRE(p.size() == 1);
  return p[0];
}

vigil::test::CollectedTable collect_packages(const std::string& root) {
  return vigil::test::collect_ok(root, "deb_packages");
}

}  // namespace

TEST_CASE("parse_dpkg_status reads a stanza", "[deb_packages]") {
  std::vector<ParseIssue> issues;
  auto p = parse_dpkg_status(
      "Package: openssh-server\n"
      "Status: install ok installed\n"
      "Architecture: amd64\n"
      "Multi-Arch: foreign\n"
      "Source: openssh\n"
      "Version: 1:9.2p1-2+deb12u3\n"
      "Conffiles:\n"
      " /etc/default/ssh 500e3a4e0a4d8d7a7f3ef3e6b0e6ff6c\n"
      "Description: secure shell (SSH) server\n"
      " Version: 0 is a continuation, not a field\n"
      "\tPackage: neither is this\n"
      " .\n",
      &issues);
  CHECK(issues.empty());
  const auto& s = only(p);
  CHECK(s.name == "openssh-server");
  CHECK(s.version == "1:9.2p1-2+deb12u3");
  CHECK(s.architecture == "amd64");
  CHECK(s.source == "openssh");
  CHECK(s.source_version == "1:9.2p1-2+deb12u3");
  CHECK(s.status == "install ok installed");
  CHECK(s.want == "install");
  CHECK(s.flag == "ok");
  CHECK(s.state == "installed");
  CHECK(s.multi_arch == "foreign");
  CHECK(s.line == 1);
}

TEST_CASE("parse_dpkg_status handles the variants dpkg writes", "[deb_packages]") {
  struct Case {
    const char* what;
    std::string text;
    std::string version;
    std::string source;
    std::string source_version;
    std::string state;
  };
  const std::vector<Case> cases{
      {"Source with version",
       "Package: libssl3\nVersion: 3.0.11-1~deb12u2+b1\nSource: openssl (3.0.11-1~deb12u2)\nStatus: install "
       "ok installed\n",
       "3.0.11-1~deb12u2+b1", "openssl", "3.0.11-1~deb12u2", "installed"},
      {"no Source", "Package: tzdata\nVersion: 2024a-0+deb12u1\nStatus: install ok installed\n",
       "2024a-0+deb12u1", "tzdata", "2024a-0+deb12u1", "installed"},
      {"CRLF", "Package: a\r\nVersion: 1.0\r\nStatus: hold ok installed\r\n\r\n", "1.0", "a", "1.0",
       "installed"},
      {"no newline at EOF", "Package: a\nVersion: 1.0\nStatus: deinstall ok config-files", "1.0", "a", "1.0",
       "config-files"},
      {"field names in any case", "package: a\nVERSION: 1.0\nstatus: install ok half-installed\n", "1.0", "a",
       "1.0", "half-installed"},
      {"blank-looking separator", "\n\n  \nPackage: a\nVersion:1.0\nStatus: install  ok  unpacked  \n \t\n",
       "1.0", "a", "1.0", "unpacked"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    std::vector<ParseIssue> issues;
    auto parsed = parse_dpkg_status(c.text, &issues);
    const auto& p = only(parsed);
    CHECK(issues.empty());
    CHECK(p.source == c.source);
    CHECK(p.source_version == c.source_version);
    CHECK(p.state == c.state);
    CHECK(p.version == c.version);
  }
}

TEST_CASE("parse_dpkg_status keeps one row per architecture and stanza lines", "[deb_packages]") {
  auto p = parse_dpkg_status(
      "Package: libc6\nArchitecture: amd64\nStatus: install ok installed\nVersion: 2.36-9\n\n"
      "Package: libc6\nArchitecture: i386\nStatus: install ok installed\nVersion: 2.36-9\n\n\n"
      "Package: old\nStatus: purge ok not-installed\n");
  REQUIRE(p.size() == 3);
  CHECK(p[0].architecture == "amd64");
  CHECK(p[1].architecture == "i386");
  CHECK(p[0].line == 1);
  CHECK(p[1].line == 6);
  CHECK(p[2].line == 12);
  CHECK_FALSE(p[2].version.has_value());
  CHECK_FALSE(p[2].architecture.has_value());
  CHECK_FALSE(p[2].multi_arch.has_value());
  CHECK_FALSE(p[2].source_version.has_value());
  CHECK(p[2].source == "old");
}

TEST_CASE("parse_dpkg_status reports what it cannot use", "[deb_packages]") {
  struct Case {
    const char* what;
    std::string text;
    std::size_t packages;
    int line;
    std::string reason;
  };
  const std::vector<Case> cases{
      {"no Package",
       "Version: 1.0\nStatus: install ok installed\n\nPackage: b\nStatus: install ok installed\n", 1, 1,
       "without a Package field"},
      {"empty Package", "Package:\nStatus: install ok installed\n", 0, 1, "without a Package field"},
      {"no Status", "Package: a\nVersion: 1\n", 1, 1, "has no Status field"},
      {"short Status", "Package: a\nStatus: install ok\n", 1, 1, "not 'want flag state'"},
      {"duplicate field", "Package: a\nStatus: install ok installed\nPackage: b\n", 1, 3,
       "duplicate Package"},
      {"not a field", "Package: a\nStatus: install ok installed\ngarbage\n", 1, 3, "neither a field"},
      {"leading continuation", " stray\nPackage: a\nStatus: install ok installed\n", 1, 1,
       "before any field"},
      {"unclosed Source version", "Package: a\nSource: b (1.0\nStatus: install ok installed\n", 1, 1,
       "no ')'"},
      {"NUL and invalid UTF-8", "Package: a\xff\nStatus: install ok installed\nX\0Y\n"s, 1, 3,
       "neither a field"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    std::vector<ParseIssue> issues;
    auto p = parse_dpkg_status(c.text, &issues);
    CHECK(p.size() == c.packages);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].line == c.line);
    CHECK_THAT(issues[0].message, Catch::Contains(c.reason));
  }
}

TEST_CASE("dpkg_state_installed counts held packages, not leftovers", "[deb_packages]") {
  CHECK(dpkg_state_installed("installed"));
  for (const char* s : {"config-files", "half-installed", "not-installed", "unpacked", "half-configured",
                        "triggers-awaited", "triggers-pending", ""}) {
    INFO(s);
    CHECK_FALSE(dpkg_state_installed(s));
  }
}

TEST_CASE("deb_packages table over dpkg-mixed", "[deb_packages]") {
  auto t = collect_packages(vigil::test::fixture_host("dpkg-mixed"));
  CHECK(t.warnings.empty());
  REQUIRE(t.rows.size() == 6);
  struct Expect {
    const char* name;
    const char* arch;
    const char* version;
    const char* source;
    const char* source_version;
    const char* want;
    const char* state;
    std::int64_t installed;
    std::int64_t line;
  };
  const std::vector<Expect> expected{
      {"openssh-server", "amd64", "1:9.2p1-2+deb12u3", "openssh", "1:9.2p1-2+deb12u3", "install", "installed",
       1, 1},
      {"libc6", "amd64", "2.36-9+deb12u7", "glibc", "2.36-9+deb12u7", "install", "installed", 1, 30},
      {"libc6", "i386", "2.36-9+deb12u7", "glibc", "2.36-9+deb12u7", "install", "installed", 1, 53},
      {"libssl3", "amd64", "3.0.11-1~deb12u2+b1", "openssl", "3.0.11-1~deb12u2", "hold", "installed", 1, 69},
      {"telnetd", "amd64", "2:2.4-2+deb12u1", "inetutils", "2:2.4-2+deb12u1", "deinstall", "config-files", 0,
       86},
      {"tzdata", "all", "2024a-0+deb12u1", "tzdata", "2024a-0+deb12u1", "install", "installed", 1, 101},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& x = expected[i];
    INFO("row " << i << " " << x.name);
    CHECK(t.text(i, "name") == x.name);
    CHECK(t.text(i, "architecture") == x.arch);
    CHECK(t.text(i, "version") == x.version);
    CHECK(t.text(i, "source") == x.source);
    CHECK(t.text(i, "source_version") == x.source_version);
    CHECK(t.text(i, "want") == x.want);
    CHECK(t.text(i, "flag") == "ok");
    CHECK(t.text(i, "state") == x.state);
    CHECK(t.text(i, "status") == std::string(x.want) + " ok " + x.state);
    CHECK(t.integer(i, "installed") == x.installed);
    CHECK(t.integer(i, "line") == x.line);
    CHECK(t.text(i, "file") == "/var/lib/dpkg/status");
  }
  CHECK(t.text(1, "multi_arch") == "same");
  CHECK(t.is_null(4, "multi_arch"));
}

TEST_CASE("deb_packages table on a host without dpkg", "[deb_packages]") {
  vigil::test::TempDir dir;
  auto t = collect_packages(dir.path());
  CHECK(t.rows.empty());
  REQUIRE(t.warnings.size() == 1);
  CHECK(t.warnings[0].where == "/var/lib/dpkg/status");
  CHECK(t.warnings[0].message.find("absent") != std::string::npos);
}

TEST_CASE("deb_packages table warns with file and line", "[deb_packages]") {
  vigil::test::TempDir dir;
  dir.write("var/lib/dpkg/status", "Package: a\nStatus: install ok installed\n\nVersion: 1\n");
  auto t = collect_packages(dir.path());
  REQUIRE(t.rows.size() == 1);
  REQUIRE(t.warnings.size() == 1);
  CHECK(t.warnings[0].where == "/var/lib/dpkg/status:4");
  CHECK(t.is_null(0, "version"));
  CHECK(t.is_null(0, "source_version"));
  CHECK(t.text(0, "source") == "a");
}
