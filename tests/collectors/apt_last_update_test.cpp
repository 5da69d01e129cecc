// Tests of the Release date reader and of the `apt_last_update` table (hosts
// made at test time: mtimes are set explicitly), and of apt_updates refusing
// lists whose Release file is unusable.
#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "apt.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::test::TempDir;

namespace {

void set_mtime(const std::string& path, std::int64_t t) {
  const timespec ts{static_cast<time_t>(t), 0};
  const timespec times[2] = {ts, ts};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

std::string release(const std::string& label, const std::string& date) {
  return "Origin: Debian\nLabel: " + label + "\nSuite: stable\nCodename: bookworm\nDate: " + date + "\n";
}

}  // namespace

TEST_CASE("parse_release_date reads RFC 1123 dates in UTC as apt does", "[apt]") {
  struct Case {
    const char* text;
    std::optional<std::int64_t> epoch;
  };
  const std::vector<Case> cases{
      {"Thu, 01 Jan 1970 00:00:00 UTC", 0},
      {"Sat, 10 Feb 2024 10:47:43 UTC", 1707562063},
      {"Mon, 30 Nov 2026 00:22:33 UTC", 1795998153},
      {"Thu, 29 Feb 2024 12:00:00 GMT", 1709208000},
      {"Sun, 31 Dec 2023 23:59:59 +0000", 1704067199},
      {"Sat,  3 Feb 2024 01:02:03 UTC", 1706922123},    // one-digit day, two spaces
      {"Sat, 10 Feb 2024 10:47:43 CET", std::nullopt},  // apt accepts only UTC
      {"Sat, 10 Feb 2024 10:47:43", std::nullopt},
      {"Fri, 29 Feb 2023 00:00:00 UTC", std::nullopt},  // not a leap year
      {"Sat, 31 Apr 2024 00:00:00 UTC", std::nullopt},
      {"Sat, 10 Foo 2024 10:47:43 UTC", std::nullopt},
      {"Sat, 10 Feb 2024 24:00:00 UTC", std::nullopt},
      {"Sat, 10 Feb 24 10:47:43 UTC", std::nullopt},
      {"10 Feb 2024 10:47:43 UTC", std::nullopt},
      {"Sat, 10 Feb 2024 10:47:43 UTC extra", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(parse_release_date(c.text) == c.epoch);
  }
}

TEST_CASE("apt_last_update is the newest lower bound of the last update", "[apt]") {
  TempDir dir;
  const std::string lists = dir.path() + "/var/lib/apt/lists";
  dir.write("var/lib/apt/lists/a_dists_bookworm_Release", release("Debian", "Sat, 10 Feb 2024 10:47:43 UTC"));
  dir.write("var/lib/apt/lists/b_dists_bookworm-security_Release",
            release("Debian-Security", "Mon, 30 Nov 2026 00:22:33 UTC"));
  set_mtime(lists + "/a_dists_bookworm_Release", 1700000000);
  set_mtime(lists + "/b_dists_bookworm-security_Release", 1600000000);

  SECTION("a signed Date newer than any mtime") {
    set_mtime(lists, 1650000000);
    auto t = vigil::test::collect_ok(dir.path(), "apt_last_update");
    REQUIRE(t.rows.size() == 1);
    CHECK(t.integer(0, "last_update") == 1795998153);
    CHECK(t.text(0, "source") == "Date of /var/lib/apt/lists/b_dists_bookworm-security_Release");
    CHECK(t.integer(0, "newest_release_mtime") == 1700000000);
    CHECK(t.integer(0, "lists_dir_mtime") == 1650000000);
    CHECK(t.is_null(0, "success_stamp_mtime"));
  }
  SECTION("a stamp newer than the lists") {
    dir.write("var/lib/apt/periodic/update-success-stamp", "");
    set_mtime(dir.path() + "/var/lib/apt/periodic/update-success-stamp", 1800000000);
    set_mtime(lists, 1650000000);
    auto t = vigil::test::collect_ok(dir.path(), "apt_last_update");
    CHECK(t.integer(0, "last_update") == 1800000000);
    CHECK(t.text(0, "source") == "/var/lib/apt/periodic/update-success-stamp");
  }
  SECTION("no APT state at all: one row of NULLs") {
    TempDir empty;
    auto t = vigil::test::collect_ok(empty.path(), "apt_last_update");
    REQUIRE(t.rows.size() == 1);
    CHECK(t.is_null(0, "last_update"));
    CHECK(t.is_null(0, "source"));
  }
}

TEST_CASE("apt_updates is an error for a list whose Release file apt could not use", "[apt]") {
  TempDir dir;
  dir.write(
      "var/lib/dpkg/status",
      "Package: openssh-server\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:9.2p1-2\n");
  dir.write("var/lib/apt/lists/sec_dists_bookworm-security_InRelease", "not clear-signed at all\n");
  dir.write("var/lib/apt/lists/sec_dists_bookworm-security_main_binary-amd64_Packages",
            "Package: openssh-server\nVersion: 1:9.2p1-2+deb12u5\nArchitecture: amd64\n");
  auto t = vigil::test::collect_table(dir.path(), "apt_updates");
  REQUIRE_FALSE(t.status.ok());
  CHECK_THAT(t.status.error().message,
             Catch::Contains("sec_dists_bookworm-security_InRelease not a complete clear-signed message"));
  CHECK_THAT(t.status.error().message, Catch::Contains("whether it is a security list is unknown"));
  // apt_lists leaves the unusable file out and warns.
  auto lists = vigil::test::collect_ok(dir.path(), "apt_lists");
  CHECK(lists.rows.empty());
  CHECK(lists.warned("/var/lib/apt/lists/sec_dists_bookworm-security_InRelease", "clear-signed"));
}
