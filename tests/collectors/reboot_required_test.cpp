// Tests of the reboot-required package list reader and the `reboot_required`
// table over a fixture host and throw-away trees.
#include "reboot_required.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collector.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;

TEST_CASE("parse_reboot_required_pkgs reads one name a line, each once", "[reboot_required]") {
  struct Case {
    std::string text;
    std::vector<std::string> names;
    std::size_t issues = 0;
  };
  const std::vector<Case> cases{
      {"", {}},
      {"\n\n", {}},
      {"linux-image-6.1.0-27-amd64\n", {"linux-image-6.1.0-27-amd64"}},
      {"libc6\nlibc6\nlinux-base\nlibc6\n", {"libc6", "linux-base"}},
      {"  openssl  \r\nlibssl3:amd64\n", {"openssl", "libssl3:amd64"}},
      {"two words\nrm -rf /\nok\n", {"ok"}, 2},
      {std::string("ba\0d\ngood\n", 9), {"good"}, 1},
      {"\xff\xfe\n", {}, 1},
  };
  for (const auto& c : cases) {
    INFO("text: " << c.text);
    const auto p = parse_reboot_required_pkgs(c.text);
    CHECK(p.names == c.names);
    CHECK(p.issues.size() == c.issues);
  }
}

TEST_CASE("reboot_required table: a reboot pending with its packages", "[reboot_required]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("reboot-pending"), "reboot_required");
  REQUIRE(t.rows.size() == 1);
  CHECK(t.integer(0, "required") == 1);
  CHECK(t.text(0, "packages") == "linux-image-6.1.0-27-amd64 libc6 openssl");
  CHECK(t.text(0, "file") == "/run/reboot-required");
  CHECK(t.integer(0, "mtime") > 0);  // git keeps no mtimes: the exact value is tested below
  CHECK(t.integer(0, "run_present") == 1);
  CHECK(t.warnings.empty());
}

TEST_CASE("reboot_required table: absent, odd and hostile files", "[reboot_required]") {
  vigil::test::TempDir dir;
  SECTION("no /run at all: required 0, and run_present says why it means little") {
    dir.mkdir("etc");
    auto t = vigil::test::collect_ok(dir.path(), "reboot_required");
    REQUIRE(t.rows.size() == 1);
    CHECK(t.integer(0, "required") == 0);
    CHECK(t.is_null(0, "packages"));
    CHECK(t.is_null(0, "mtime"));
    CHECK(t.integer(0, "run_present") == 0);
    CHECK(t.warned("/run", "no /run"));
  }
  SECTION("an empty /run: no reboot pending, no warning") {
    dir.mkdir("run");
    auto t = vigil::test::collect_ok(dir.path(), "reboot_required");
    CHECK(t.integer(0, "required") == 0);
    CHECK(t.integer(0, "run_present") == 1);
    CHECK(t.warnings.empty());
  }
  SECTION("the flag file with its mtime, and no package list") {
    dir.write("/run/reboot-required", "*** System restart required ***\n");
    const struct timespec times[2] = {{1730776320, 0}, {1730776320, 0}};
    REQUIRE(::utimensat(AT_FDCWD, (dir.path() + "/run/reboot-required").c_str(), times, 0) == 0);
    auto t = vigil::test::collect_ok(dir.path(), "reboot_required");
    CHECK(t.integer(0, "required") == 1);
    CHECK(t.integer(0, "mtime") == 1730776320);
    CHECK(t.is_null(0, "packages"));
  }
  SECTION("a symlink to a regular file is the flag") {
    dir.write("/var/lib/flag", "x\n");
    dir.symlink("/run/reboot-required", "/var/lib/flag");
    auto t = vigil::test::collect_ok(dir.path(), "reboot_required");
    CHECK(t.integer(0, "required") == 1);  // a symlink to a regular file counts, as test -f does
  }
  SECTION("a fifo or directory is not the flag, and is never opened") {
    dir.mkdir("run/reboot-required");
    REQUIRE(::mkfifo((dir.path() + "/run/reboot-required.pkgs").c_str(), 0644) == 0);
    auto t = vigil::test::collect_ok(dir.path(), "reboot_required");  // must not hang
    CHECK(t.integer(0, "required") == 0);
    CHECK(t.warned("/run/reboot-required", "not a regular file"));
    CHECK(t.warned("/run/reboot-required.pkgs", "cannot be read"));
  }
  SECTION("packages listed without the flag") {
    dir.write("/run/reboot-required.pkgs", "libc6\n");
    auto t = vigil::test::collect_ok(dir.path(), "reboot_required");
    CHECK(t.integer(0, "required") == 0);
    CHECK(t.text(0, "packages") == "libc6");
    CHECK(t.warned("/run/reboot-required.pkgs", "no reboot is flagged"));
  }
  SECTION("a huge package list is a warning, not a crash") {
    dir.write("/run/reboot-required", "x\n");
    dir.write("/run/reboot-required.pkgs", std::string(2u * 1024u * 1024u, 'a'));
    auto t = vigil::test::collect_ok(dir.path(), "reboot_required");
    CHECK(t.integer(0, "required") == 1);
    CHECK(t.is_null(0, "packages"));
    CHECK(t.warned("/run/reboot-required.pkgs", "cannot be read"));
  }
}
