// Tests of the `file_glob` table-valued function (and of expand_braces) on
// trees made at test time: sorted matches, glob's dotfile rule, no match,
// symlinks out of the root, special files that must never be opened.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collector.hpp"
#include "engine.hpp"
#include "file.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::Errc;

namespace {

using vigil::test::CollectedTable;

CollectedTable glob_ok(const std::string& root, const std::string& pattern) {
  return vigil::test::collect_ok(root, "file_glob", {text_value(pattern)});
}

std::vector<std::string> paths(const CollectedTable& t) {
  std::vector<std::string> out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) out.push_back(t.text(r, "path"));
  return out;
}

}  // namespace

TEST_CASE("file_glob has the columns of file, then pattern as its hidden argument", "[file_glob]") {
  const TableDef* file = Registry::instance().find("file");
  const TableDef* glob = Registry::instance().find("file_glob");
  REQUIRE(file != nullptr);
  REQUIRE(glob != nullptr);
  REQUIRE(glob->columns.size() == file->columns.size() + 1);
  for (std::size_t i = 0; i < file->columns.size(); ++i) {
    CHECK(glob->columns[i].name == file->columns[i].name);
    CHECK(glob->columns[i].type == file->columns[i].type);
    CHECK_FALSE(glob->columns[i].hidden);
  }
  CHECK(glob->columns.back().name == "pattern");
  CHECK(glob->columns.back().hidden);
}

TEST_CASE("file_glob reports every match, sorted, with the rows file() gives", "[file_glob]") {
  vigil::test::TempDir dir;
  dir.write("etc/passwd", "root:x:" + std::to_string(::getuid()) + ":0::/root:/bin/sh\n");
  dir.write("etc/sudoers.d/README", "# read me\n", 0440);
  dir.write("etc/sudoers.d/50-admins", "%admins ALL=(ALL) ALL\n", 0640);
  dir.write("etc/sudoers.d/10-ops", "ops ALL=(ALL) ALL\n", 0666);
  dir.mkdir("etc/sudoers.d/subdir");
  const std::string pattern = "/etc/sudoers.d/*";
  const auto t = glob_ok(dir.path(), pattern);
  CHECK(paths(t) == std::vector<std::string>{"/etc/sudoers.d/10-ops", "/etc/sudoers.d/50-admins",
                                             "/etc/sudoers.d/README", "/etc/sudoers.d/subdir"});
  CHECK(t.text(0, "mode") == "0666");
  CHECK(t.integer(1, "mode_int") == 0640);
  CHECK(t.text(2, "type") == "regular");
  CHECK(t.text(3, "type") == "directory");
  CHECK(t.text(0, "owner") == "root");
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    CHECK(t.text(r, "pattern") == pattern);
    // The same builder as file(): every shared cell is equal.
    const auto one = vigil::test::collect_ok(dir.path(), "file", {text_value(t.text(r, "path"))});
    REQUIRE(one.rows.size() == 1);
    for (std::size_t c = 0; c < one.columns.size(); ++c) {
      CAPTURE(t.text(r, "path"), one.columns[c]);
      CHECK(t.rows[r][c] == one.rows[0][c]);
    }
  }
}

TEST_CASE("file_glob keeps glob's dotfile rule: dotfiles need their own pattern", "[file_glob]") {
  vigil::test::TempDir dir;
  dir.write("etc/sudoers.d/visible", "");
  dir.write("etc/sudoers.d/.hidden", "", 0600);
  dir.write("etc/sudoers.d/.also", "");
  CHECK(paths(glob_ok(dir.path(), "/etc/sudoers.d/*")) == std::vector<std::string>{"/etc/sudoers.d/visible"});
  CHECK(paths(glob_ok(dir.path(), "/etc/sudoers.d/?*")) ==
        std::vector<std::string>{"/etc/sudoers.d/visible"});
  CHECK(paths(glob_ok(dir.path(), "/etc/sudoers.d/[.v]*")) ==
        std::vector<std::string>{"/etc/sudoers.d/visible"});
  // '.' and '..' are not entries: the directory itself and /etc are never rows.
  CHECK(paths(glob_ok(dir.path(), "/etc/sudoers.d/.*")) ==
        std::vector<std::string>{"/etc/sudoers.d/.also", "/etc/sudoers.d/.hidden"});
}

TEST_CASE("file_glob: no match is no rows, not an error", "[file_glob]") {
  vigil::test::TempDir dir;
  dir.write("etc/ssh/sshd_config", "");
  for (const std::string pattern : {"/etc/ssh/ssh_host_*_key", "/etc/nothere/*", "/etc/ssh/sshd_config/*",
                                    "/var/spool/cron/crontabs/*", "/etc/ssh/exactly-this"}) {
    SECTION(pattern) {
      const auto t = glob_ok(dir.path(), pattern);
      CHECK(t.rows.empty());
      CHECK(t.warnings.empty());
    }
  }
}

TEST_CASE("file_glob reports a symlink as a symlink and never follows it out of the root", "[file_glob]") {
  vigil::test::TempDir dir;
  dir.write("outside/secret", "0123456789 not for the scan\n");
  dir.write("outside/job", "* * * * * root /bin/true\n");
  dir.write("root/etc/cron.d/real", "");
  dir.symlink("root/etc/cron.d/relative", "../../../../outside/secret");
  dir.symlink("root/etc/cron.d/absolute", dir.path() + "/outside/secret");
  dir.symlink("root/etc/cron.d/dangling", "/etc/cron.d/gone");
  dir.symlink("root/etc/cron.d/loop", "loop");
  dir.symlink("root/etc/cron.weekly", "../../outside");  // a directory link on the way
  const std::string root = dir.path() + "/root";

  const auto t = glob_ok(root, "/etc/cron.d/*");
  CHECK(paths(t) == std::vector<std::string>{"/etc/cron.d/absolute", "/etc/cron.d/dangling",
                                             "/etc/cron.d/loop", "/etc/cron.d/real", "/etc/cron.d/relative"});
  for (const std::string name : {"absolute", "dangling", "loop", "relative"}) {
    CAPTURE(name);
    const auto rows = t.rows_where("path", "/etc/cron.d/" + name);
    REQUIRE(rows.size() == 1);
    const std::size_t r = rows[0];
    CHECK(t.text(r, "type") == "symlink");
    const std::string target = t.text(r, "link_target");
    CHECK(t.integer(r, "size") == static_cast<std::int64_t>(target.size()));  // the link, not its target
  }
  CHECK(t.text(t.rows_where("path", "/etc/cron.d/relative")[0], "link_target") ==
        "../../../../outside/secret");
  // Inside the root, ../../outside is /outside, which does not exist there.
  CHECK(glob_ok(root, "/etc/cron.weekly/*").rows.empty());
  const auto link = glob_ok(root, "/etc/cron.weekl?");
  REQUIRE(link.rows.size() == 1);
  CHECK(link.text(0, "type") == "symlink");
}

TEST_CASE("file_glob describes fifos and devices among the matches without opening them", "[file_glob]") {
  vigil::test::TempDir dir;
  dir.write("etc/profile.d/a.sh", "");
  REQUIRE(::mkfifo((dir.path() + "/etc/profile.d/b.sh").c_str(), 0600) == 0);
  dir.symlink("etc/profile.d/c.sh", "/dev/zero");
  const bool can_mknod =
      ::mknod((dir.path() + "/etc/profile.d/d.sh").c_str(), S_IFCHR | 0644, ::makedev(1, 5)) == 0;

  const auto t = glob_ok(dir.path(), "/etc/profile.d/*.sh");
  REQUIRE(t.rows.size() == (can_mknod ? 4u : 3u));
  CHECK(t.text(1, "path") == "/etc/profile.d/b.sh");
  CHECK(t.text(1, "type") == "fifo");
  CHECK(t.text(1, "mode") == "0600");
  CHECK(t.text(2, "type") == "symlink");
  CHECK(t.text(2, "link_target") == "/dev/zero");
  if (can_mknod) CHECK(t.text(3, "type") == "char_device");  // /dev/zero's numbers, inside the root
}

TEST_CASE("file_glob expands {a,b} alternatives and reports each path once", "[file_glob]") {
  vigil::test::TempDir dir;
  for (const char* d : {"etc/cron.daily", "etc/cron.hourly", "etc/cron.weekly", "etc/cron.d"}) dir.mkdir(d);
  dir.write("etc/cron.allow", "root\n");
  CHECK(paths(glob_ok(dir.path(), "/etc/cron.{hourly,daily,weekly,monthly}")) ==
        std::vector<std::string>{"/etc/cron.daily", "/etc/cron.hourly", "/etc/cron.weekly"});
  CHECK(paths(glob_ok(dir.path(), "/etc/cron.{d*,daily,*ly}")) ==
        std::vector<std::string>{"/etc/cron.d", "/etc/cron.daily", "/etc/cron.hourly", "/etc/cron.weekly"});
}

TEST_CASE("expand_braces follows glob(3)'s GLOB_BRACE", "[file_glob]") {
  using V = std::vector<std::string>;
  struct Case {
    std::string pattern;
    V expanded;
  };
  // clang-format off
  const std::vector<Case> cases{
      {"/etc/cron.d/*", {"/etc/cron.d/*"}},
      {"/etc/cron.{hourly,daily}", {"/etc/cron.hourly", "/etc/cron.daily"}},
      {"/{a,b}/{x,y}", {"/a/x", "/a/y", "/b/x", "/b/y"}},
      {"/a{b,c{d,e}}f", {"/abf", "/acdf", "/acef"}},
      {"/{x}", {"/x"}},
      {"/a{,b}", {"/a", "/ab"}},
      {"/a\\{b,c}", {"/a\\{b,c}"}},           // an escaped brace is no group
      {"/{a\\,b,c}", {"/a\\,b", "/c"}},        // nor is an escaped comma a separator
      {"/unbalanced{a,b", {"/unbalanced{a,b"}},  // glibc globs it as written
      {"/x}{a,b}", {"/x}a", "/x}b"}},
  };
  // clang-format on
  for (const auto& c : cases) {
    CAPTURE(c.pattern);
    auto r = expand_braces(c.pattern);
    REQUIRE(r.ok());
    CHECK(*r == c.expanded);
  }
  std::string explosion = "/";
  for (int i = 0; i < 9; ++i) explosion += "{a,b}";  // 512 patterns
  CHECK(expand_braces(explosion).is(Errc::too_large));
  CHECK(expand_braces("/" + std::string(kMaxPatternLength, 'a')).is(Errc::invalid));
  std::string deep = "/";
  for (int i = 0; i < 1000; ++i) deep += "{x}";
  REQUIRE(expand_braces(deep).ok());
  CHECK(expand_braces(deep)->front() == "/" + std::string(1000, 'x'));
}

TEST_CASE("file_glob turns bad patterns and explosions into errors", "[file_glob]") {
  vigil::test::TempDir dir;
  for (const char* n : {"a", "b", "c"}) dir.symlink(std::string("etc/d/") + n, ".");
  std::string explosion = "/etc/d";
  for (int i = 0; i < 16; ++i) explosion += "/*";
  struct Case {
    const char* name;
    Value arg;
    Errc code;
    std::string message_part;
  };
  // clang-format off
  const std::vector<Case> cases{
      {"relative pattern", text_value("etc/*"), Errc::invalid, "must be absolute: 'etc/*'"},
      {"empty pattern", text_value(""), Errc::invalid, "must be absolute"},
      {"NULL argument", null_value(), Errc::invalid, "pattern argument"},
      {"integer argument", int_value(7), Errc::invalid, "pattern argument"},
      {"NUL byte", text_value(std::string("/etc/*\0/x", 9)), Errc::invalid, "NUL"},
      {"too many matches", text_value(explosion), Errc::too_large, "more than 10000"},
      {"too many alternatives", text_value("/{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}"), Errc::too_large,
       "more than 256 patterns"},
  };
  // clang-format on
  for (const auto& c : cases) {
    SECTION(c.name) {
      auto out = vigil::test::collect_table(dir.path(), "file_glob", {c.arg});
      REQUIRE_FALSE(out.status.ok());
      CHECK(out.status.error().code == c.code);
      CHECK_THAT(out.status.error().message, Catch::Contains(c.message_part));
      CHECK(out.rows.empty());
    }
  }
}

TEST_CASE("file_glob from SQL: SELECT * gives path and the columns of file", "[file_glob]") {
  vigil::test::TempDir dir;
  dir.write("etc/ssh/ssh_host_ed25519_key", "k", 0600);
  dir.write("etc/ssh/ssh_host_rsa_key", "k", 0640);
  dir.write("etc/ssh/ssh_host_rsa_key.pub", "k", 0644);
  auto host = Host::open(dir.path());
  REQUIRE(host.ok());
  auto engine = vigil::agent::Engine::create(*host);
  REQUIRE(engine.ok());
  auto keys = (*engine)->query("SELECT * FROM file_glob('/etc/ssh/ssh_host_*_key')");
  REQUIRE(keys.ok());
  auto one = (*engine)->query("SELECT * FROM file('/etc/ssh/ssh_host_rsa_key')");
  REQUIRE(one.ok());
  // file() hides path (its argument); file_glob() hides pattern and reports path.
  auto expected = one->rows.columns;
  expected.insert(expected.begin(), "path");
  CHECK(keys->rows.columns == expected);
  REQUIRE(keys->rows.rows.size() == 2);
  CHECK(std::get<std::string>(keys->rows.rows[1][2]) == "0640");
  auto none = (*engine)->query("SELECT count(*) FROM file_glob('/etc/ssh/*.nothing')");
  REQUIRE(none.ok());
  CHECK(std::get<std::int64_t>(none->rows.rows[0][0]) == 0);
}
