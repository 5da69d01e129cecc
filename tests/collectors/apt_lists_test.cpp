// Tests of the Release and Packages parsers and of the `apt_lists` and
// `apt_updates` tables.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "apt.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::test::collect_ok;
using vigil::test::fixture_host;

namespace {

const std::string kLists = "/var/lib/apt/lists/";
const std::string kMain = kLists + "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages";
const std::string kSecurity =
    kLists + "security.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages";

std::vector<PackageIndexEntry> scan(std::string_view text, std::vector<ParseIssue>* issues = nullptr) {
  std::vector<PackageIndexEntry> out;
  scan_packages_index(
      text, [&](const PackageIndexEntry& e) { out.push_back(e); }, issues);
  return out;
}

}  // namespace

TEST_CASE("clearsigned_body returns the signed text only", "[apt]") {
  const std::string signed_text =
      "-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA512\r\n\r\nOrigin: Debian\nSuite: stable\n"
      "-----BEGIN PGP SIGNATURE-----\n\niQIzBAEB\n=abcd\n-----END PGP SIGNATURE-----\n";
  auto body = clearsigned_body(signed_text);
  REQUIRE(body.has_value());
  CHECK(*body == "Origin: Debian\nSuite: stable\n");

  struct Case {
    const char* what;
    std::string text;
  };
  const std::vector<Case> bad{
      {"not signed", "Origin: Debian\n"},
      {"no body separator", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n"},
      {"no signature", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\n"},
      {"truncated signature",
       "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\n-----BEGIN PGP "
       "SIGNATURE-----\nxx\n"},
  };
  for (const auto& c : bad) {
    INFO(c.what);
    CHECK_FALSE(clearsigned_body(c.text).has_value());
  }
}

TEST_CASE("parse_release reads the first paragraph", "[apt]") {
  std::vector<ParseIssue> issues;
  auto r = parse_release(
      "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nCodename: bookworm-security\n"
      "Date: Thu, 14 Mar 2024 20:10:21 UTC\nValid-Until: Thu, 21 Mar 2024 20:10:21 UTC\n"
      "SHA256:\n 6f0a  167261 main/binary-amd64/Packages\n Label: not a field\n"
      "origin: duplicate\n\nLabel: second paragraph\n",
      &issues);
  CHECK(r.origin == "Debian");
  CHECK(r.label == "Debian-Security");
  CHECK(r.suite == "stable-security");
  CHECK(r.codename == "bookworm-security");
  CHECK(r.date == "Thu, 14 Mar 2024 20:10:21 UTC");
  CHECK(r.valid_until == "Thu, 21 Mar 2024 20:10:21 UTC");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].line == 10);
  auto empty = parse_release("");
  CHECK_FALSE(empty.origin.has_value());
  CHECK_FALSE(empty.valid_until.has_value());
}

TEST_CASE("release_is_security looks at Label, Suite and Codename only", "[apt]") {
  auto rel = [](const char* label, const char* suite, const char* codename) {
    AptRelease r;
    if (label) r.label = label;
    if (suite) r.suite = suite;
    if (codename) r.codename = codename;
    return r;
  };
  CHECK(release_is_security(rel("Debian-Security", nullptr, nullptr)));
  CHECK(release_is_security(rel("Ubuntu", "jammy-security", "jammy")));
  CHECK(release_is_security(rel(nullptr, nullptr, "bookworm-security")));
  CHECK_FALSE(release_is_security(rel("Debian", "stable", "bookworm")));
  CHECK_FALSE(release_is_security(rel("Debian", "stable-updates", "bookworm-updates")));
  CHECK_FALSE(release_is_security(rel("security.debian.org", "security", nullptr)));
  CHECK_FALSE(release_is_security(rel(nullptr, nullptr, nullptr)));
}

TEST_CASE("scan_packages_index yields name, version and architecture views", "[apt]") {
  std::vector<ParseIssue> issues;
  auto e = scan(
      "Package: libc6\r\nVersion: 2.36-9+deb12u7\r\nArchitecture: amd64\r\nDescription: x\r\n Version: "
      "0\r\n\r\n"
      "Package: tzdata\nversion: 2024a-0+deb12u1\n\n\n"
      "Package: broken\nArchitecture: amd64\n\n"
      "Version: 1.0\n",
      &issues);
  REQUIRE(e.size() == 2);
  CHECK(e[0].name == "libc6");
  CHECK(e[0].version == "2.36-9+deb12u7");
  CHECK(e[0].architecture == "amd64");
  CHECK(e[0].line == 1);
  CHECK(e[1].name == "tzdata");
  CHECK(e[1].architecture.empty());
  CHECK(e[1].line == 7);
  REQUIRE(issues.size() == 2);
  CHECK(issues[0].line == 11);
  CHECK(issues[1].line == 14);
}

TEST_CASE("packages_list_architecture reads the list's file name", "[apt]") {
  CHECK(packages_list_architecture("deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages") ==
        "amd64");
  CHECK(packages_list_architecture("x_dists_jammy_universe_binary-i386_Packages") == "i386");
  CHECK_FALSE(packages_list_architecture("example.invalid_._Packages").has_value());
  CHECK_FALSE(packages_list_architecture("x_binary-amd64_Sources").has_value());
  CHECK_FALSE(packages_list_architecture("x_binary-_Packages").has_value());
}

TEST_CASE("apt_lists on a Debian 12 host", "[apt]") {
  const std::string root = fixture_host("apt-debian12");
  auto t = collect_ok(root, "apt_lists");
  REQUIRE(t.rows.size() == 2);
  CHECK(t.text(0, "file") == kLists + "deb.debian.org_debian_dists_bookworm_Release");
  CHECK(t.text(0, "origin") == "Debian");
  CHECK(t.text(0, "label") == "Debian");
  CHECK(t.text(0, "suite") == "stable");
  CHECK(t.text(0, "codename") == "bookworm");
  CHECK(t.text(0, "date") == "Sat, 10 Feb 2024 10:47:43 UTC");
  CHECK(t.is_null(0, "valid_until"));
  CHECK(t.integer(0, "is_security") == 0);
  CHECK(t.text(1, "file") ==
        kLists + "security.debian.org_debian-security_dists_bookworm-security_InRelease");
  CHECK(t.text(1, "label") == "Debian-Security");
  CHECK(t.text(1, "codename") == "bookworm-security");
  CHECK(t.text(1, "valid_until") == "Thu, 21 Mar 2024 20:10:21 UTC");
  CHECK(t.integer(1, "is_security") == 1);
  for (std::size_t i = 0; i < 2; ++i) {
    struct stat st {};
    REQUIRE(::stat((root + t.text(i, "file")).c_str(), &st) == 0);
    CHECK(t.integer(i, "mtime") == st.st_mtime);
  }
}

TEST_CASE("apt_lists warns about unusable or absent lists", "[apt]") {
  vigil::test::TempDir dir;
  dir.write("var/lib/apt/lists/x.invalid_dists_stable_InRelease", "Origin: unsigned\n");
  dir.write("var/lib/apt/lists/y.invalid_dists_stable_Release", "Origin: Y\nLabel: Y\n");
  auto t = collect_ok(dir.path(), "apt_lists");
  REQUIRE(t.rows.size() == 1);
  CHECK(t.text(0, "origin") == "Y");
  CHECK(t.is_null(0, "suite"));
  CHECK(t.warned(kLists + "x.invalid_dists_stable_InRelease", "not a complete clear-signed message"));

  vigil::test::TempDir empty;
  empty.mkdir("var");
  auto none = collect_ok(empty.path(), "apt_lists");
  CHECK(none.rows.empty());
  CHECK(none.warned(kLists, "no Release files"));
}

TEST_CASE("apt_updates finds the newest candidate and where it comes from", "[apt]") {
  auto t = collect_ok(fixture_host("apt-debian12"), "apt_updates");
  CHECK(t.warnings.empty());
  // dpkg is offered by no list; telnet is only config-files.
  REQUIRE(t.rows.size() == 4);
  CHECK(t.rows_where("name", "dpkg").empty());
  CHECK(t.rows_where("name", "telnet").empty());
  struct Expect {
    const char* name;
    const char* arch;
    const char* installed;
    const char* candidate;
    std::string list;
    const char* security_version;  // nullptr: NULL
    int security;
    int pending;
  };
  const std::vector<Expect> expected{
      {"bash", "amd64", "5.2.15-2+b2", "5.2.15-2+b2", kMain, nullptr, 0, 0},
      // The point release is newer; the security list offers only what is installed.
      {"libc6", "amd64", "2.36-9+deb12u4", "2.36-9+deb12u7", kMain, "2.36-9+deb12u4", 0, 1},
      {"openssh-server", "amd64", "1:9.2p1-2+deb12u2", "1:9.2p1-2+deb12u3", kSecurity, "1:9.2p1-2+deb12u3", 1,
       1},
      {"tzdata", "all", "2024a-0+deb12u1", "2024a-0+deb12u1", kMain, nullptr, 0, 0},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& e = expected[i];
    INFO(e.name);
    CHECK(t.text(i, "name") == e.name);
    CHECK(t.text(i, "architecture") == e.arch);
    CHECK(t.text(i, "installed_version") == e.installed);
    CHECK(t.text(i, "candidate_version") == e.candidate);
    CHECK(t.text(i, "candidate_list") == e.list);
    if (e.security_version == nullptr) {
      CHECK(t.is_null(i, "security_version"));
    } else {
      CHECK(t.text(i, "security_version") == e.security_version);
    }
    CHECK(t.integer(i, "security") == e.security);
    CHECK(t.integer(i, "pending") == e.pending);
  }
}

TEST_CASE("apt_updates matches architectures and prefers a security list on a tie", "[apt]") {
  vigil::test::TempDir dir;
  dir.write("var/lib/dpkg/status",
            "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21.22\n\n"
            "Package: libfoo\nStatus: install ok installed\nArchitecture: i386\nVersion: 1.0\n\n"
            "Package: libfoo\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n\n"
            "Package: moved\nStatus: hold ok installed\nArchitecture: all\nVersion: 1.0\n\n"
            "Package: tie\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n");
  dir.write("var/lib/apt/lists/m.invalid_dists_stable_Release", "Suite: stable\n");
  dir.write("var/lib/apt/lists/m.invalid_dists_stable_main_binary-amd64_Packages",
            "Package: libfoo\nVersion: 3.0\nArchitecture: arm64\n\n"  // another architecture
            "Package: libfoo\nVersion: 2.0\n\n"                       // the list's own (amd64)
            "Package: moved\nVersion: 2.0\nArchitecture: amd64\n\n"   // all -> any on the native arch
            "Package: tie\nVersion: 1.1\nArchitecture: amd64\n");
  dir.write("var/lib/apt/lists/m.invalid_dists_stable_main_binary-i386_Packages",
            "Package: libfoo\nVersion: 1.5\nArchitecture: i386\n");
  dir.write("var/lib/apt/lists/s.invalid_dists_stable-security_Release", "Suite: stable-security\n");
  dir.write("var/lib/apt/lists/s.invalid_dists_stable-security_main_binary-amd64_Packages",
            "Package: tie\nVersion: 1.1\nArchitecture: amd64\n\nPackage: libfoo\nVersion: 1.9\n");
  auto t = collect_ok(dir.path(), "apt_updates");
  REQUIRE(t.rows.size() == 4);
  CHECK(t.text(0, "name") == "libfoo");
  CHECK(t.text(0, "architecture") == "i386");
  CHECK(t.text(0, "candidate_version") == "1.5");
  CHECK(t.is_null(0, "security_version"));  // the security list has libfoo for amd64 only
  CHECK(t.integer(0, "security") == 0);
  CHECK(t.text(1, "architecture") == "amd64");
  CHECK(t.text(1, "candidate_version") == "2.0");
  CHECK(t.text(1, "candidate_list") == kLists + "m.invalid_dists_stable_main_binary-amd64_Packages");
  // The security list's 1.9 (the list's own architecture) is newer than what is installed.
  CHECK(t.text(1, "security_version") == "1.9");
  CHECK(t.integer(1, "security") == 1);
  CHECK(t.text(2, "name") == "moved");
  CHECK(t.text(2, "candidate_version") == "2.0");
  CHECK(t.text(3, "name") == "tie");
  CHECK(t.text(3, "candidate_list") == kLists + "s.invalid_dists_stable-security_main_binary-amd64_Packages");
  CHECK(t.integer(3, "security") == 1);
  CHECK(t.integer(3, "pending") == 1);
}

TEST_CASE("apt_updates without a dpkg database or lists", "[apt]") {
  vigil::test::TempDir dir;
  dir.mkdir("var/lib/apt/lists");
  auto t = collect_ok(dir.path(), "apt_updates");
  CHECK(t.rows.empty());
  CHECK(t.warned("/var/lib/dpkg/status", "file absent"));

  dir.write("var/lib/dpkg/status",
            "Package: a\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n");
  auto no_lists = collect_ok(dir.path(), "apt_updates");
  CHECK(no_lists.rows.empty());
  CHECK(no_lists.warned(kLists, "no Release files"));
}

TEST_CASE("apt_updates: security is a pending security version, whichever list has the candidate", "[apt]") {
  const std::string main_list = "var/lib/apt/lists/m.invalid_dists_stable_main_binary-amd64_Packages";
  const std::string security_list =
      "var/lib/apt/lists/s.invalid_dists_stable-security_main_binary-amd64_Packages";
  auto offer = [](std::initializer_list<const char*> versions) {
    std::string out;
    for (const char* v : versions)
      out += std::string("Package: pkg\nVersion: ") + v + "\nArchitecture: amd64\n\n";
    return out;
  };
  struct Case {
    const char* what;
    std::string main_offers, security_offers;
    const char* candidate;
    bool from_security;
    const char* security_version;  // nullptr: NULL
    int security;
    int pending;
  };
  // pkg 1.0 is installed.
  const std::vector<Case> cases{
      {"security newer than installed, main newer still", offer({"1.2"}), offer({"1.1"}), "1.2", false, "1.1",
       1, 1},
      {"the same version in both: the security list names it", offer({"1.1"}), offer({"1.1"}), "1.1", true,
       "1.1", 1, 1},
      {"security offers an older version only", offer({"1.1"}), offer({"0.9"}), "1.1", false, "0.9", 0, 1},
      {"security offers the installed version only", offer({"1.0"}), offer({"1.0"}), "1.0", true, "1.0", 0,
       0},
      {"security offers nothing for it", offer({"1.1"}), "Package: other\nVersion: 9\n", "1.1", false,
       nullptr, 0, 1},
      {"only the security list offers it", "", offer({"1.1"}), "1.1", true, "1.1", 1, 1},
      {"the newest of several security paragraphs", offer({"1.2"}), offer({"1.1", "1.3", "1.0.1"}), "1.3",
       true, "1.3", 1, 1},
      {"dpkg order: an epoch beats a higher upstream version", offer({"2.0"}), offer({"1:0.5"}), "1:0.5",
       true, "1:0.5", 1, 1},
      {"dpkg order: a tilde sorts before the release", offer({"1.0"}), offer({"1.0~rc1"}), "1.0", false,
       "1.0~rc1", 0, 0},
      {"another architecture in the security list", offer({"1.1"}),
       "Package: pkg\nVersion: 2.0\nArchitecture: arm64\n", "1.1", false, nullptr, 0, 1},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    vigil::test::TempDir dir;
    dir.write("var/lib/dpkg/status",
              "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21.22\n\n"
              "Package: pkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n");
    dir.write("var/lib/apt/lists/m.invalid_dists_stable_Release", "Suite: stable\n");
    dir.write("var/lib/apt/lists/s.invalid_dists_stable-security_Release", "Suite: stable-security\n");
    dir.write(main_list, c.main_offers);
    dir.write(security_list, c.security_offers);
    auto t = collect_ok(dir.path(), "apt_updates");
    CHECK(t.warnings.empty());
    const auto rows = t.rows_where("name", "pkg");
    REQUIRE(rows.size() == 1);
    const std::size_t r = rows[0];
    CHECK(t.text(r, "candidate_version") == c.candidate);
    CHECK(t.text(r, "candidate_list") == "/" + (c.from_security ? security_list : main_list));
    if (c.security_version == nullptr) {
      CHECK(t.is_null(r, "security_version"));
    } else {
      CHECK(t.text(r, "security_version") == c.security_version);
    }
    CHECK(t.integer(r, "security") == c.security);
    CHECK(t.integer(r, "pending") == c.pending);
  }
}
