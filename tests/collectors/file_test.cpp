// Tests of the `file` table-valued function on fixture trees and on trees
// made at test time (git keeps no modes or owners, so those are set here).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collector.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::Errc;

namespace {

using vigil::test::CollectedTable;

CollectedTable query(const std::string& root, Value path) {
  return vigil::test::collect_table(root, "file", {std::move(path)});
}

// The one row about path (as row 0), requiring the query to succeed.
CollectedTable one_row(const std::string& root, const std::string& path) {
  auto out = query(root, text_value(path));
  if (!out.status.ok()) FAIL(out.status.error().message);
  REQUIRE(out.rows.size() == 1);
  CHECK(out.text(0, "path") == path);
  return out;
}

}  // namespace

TEST_CASE("file declares path as its hidden argument", "[file]") {
  const TableDef* def = Registry::instance().find("file");
  REQUIRE(def != nullptr);
  REQUIRE_FALSE(def->columns.empty());
  CHECK(def->columns.front().name == "path");
  CHECK(def->columns.front().hidden);
  for (std::size_t i = 1; i < def->columns.size(); ++i) CHECK_FALSE(def->columns[i].hidden);
}

TEST_CASE("file reports each kind of entry in a fixture tree", "[file]") {
  const std::string root = vigil::test::fixture_host("files-basic");
  struct Case {
    std::string path;
    std::string type;
    std::string link_target;  // "" = NULL
  };
  // clang-format off
  const std::vector<Case> cases{
      {"/etc/passwd", "regular", ""},
      {"/etc/ssh", "directory", ""},
      {"/etc/ssh/", "directory", ""},
      // lstat semantics: the link itself, not the zone file it names.
      {"/etc/localtime", "symlink", "/usr/share/zoneinfo/Etc/UTC"},
      {"/usr/share/climb", "symlink", "../../../../../../../../etc"},
      {"/etc/nonexistent", "absent", ""},
      {"/no/such/dir/file", "absent", ""},
      {"/etc/passwd/child", "absent", ""},  // a file is not a directory: nothing there
  };
  // clang-format on
  for (const auto& c : cases) {
    SECTION(c.path) {
      const auto r = one_row(root, c.path);
      CHECK(r.text(0, "type") == c.type);
      if (c.link_target.empty()) {
        CHECK(r.is_null(0, "link_target"));
      } else {
        CHECK(r.text(0, "link_target") == c.link_target);
        CHECK(r.integer(0, "size") == static_cast<std::int64_t>(c.link_target.size()));
      }
      if (c.type == "absent") {
        for (const char* col :
             {"mode", "mode_int", "uid", "gid", "owner", "group_name", "size", "mtime", "nlink"}) {
          CAPTURE(col);
          CHECK(r.is_null(0, col));
        }
      } else {
        CHECK(r.text(0, "mode").size() == 4);
        CHECK(r.integer(0, "nlink") >= 1);
        CHECK(r.integer(0, "mtime") > 0);
      }
    }
  }
}

TEST_CASE("file follows symlinks on the way but never out of the root", "[file]") {
  const std::string root = vigil::test::fixture_host("files-basic");
  struct stat fixture_passwd {};
  REQUIRE(::stat((root + "/etc/passwd").c_str(), &fixture_passwd) == 0);
  // climb -> ../../../../../../../../etc: ".." stops at the root, so this is
  // the fixture's passwd, not the scanning machine's.
  const auto r = one_row(root, "/usr/share/climb/passwd");
  CHECK(r.text(0, "type") == "regular");
  CHECK(r.integer(0, "size") == static_cast<std::int64_t>(fixture_passwd.st_size));
}

TEST_CASE("file reports modes and sizes set at test time", "[file]") {
  vigil::test::TempDir dir;
  dir.write("etc/shadow", "root:*:19000:0:99999:7:::\n", 0640);
  dir.write("usr/bin/su", "#!/bin/true\n", 04755);
  dir.write("etc/private", "", 0600);
  dir.mkdir("tmp");
  REQUIRE(::chmod((dir.path() + "/tmp").c_str(), 01777) == 0);
  REQUIRE(::mkfifo((dir.path() + "/run.fifo").c_str(), 0600) == 0);
  REQUIRE(::chmod((dir.path() + "/run.fifo").c_str(), 0620) == 0);  // past the umask

  struct Case {
    std::string path;
    std::string type;
    std::string mode;
    std::int64_t mode_int;
    std::int64_t size;  // -1: not checked
  };
  // clang-format off
  const std::vector<Case> cases{
      {"/etc/shadow", "regular", "0640", 0640, 26},
      {"/usr/bin/su", "regular", "4755", 04755, 12},
      {"/etc/private", "regular", "0600", 0600, 0},
      {"/tmp", "directory", "1777", 01777, -1},
      {"/run.fifo", "fifo", "0620", 0620, 0},
  };
  // clang-format on
  for (const auto& c : cases) {
    SECTION(c.path) {
      const auto r = one_row(dir.path(), c.path);
      CHECK(r.text(0, "type") == c.type);
      CHECK(r.text(0, "mode") == c.mode);
      CHECK(r.integer(0, "mode_int") == c.mode_int);
      if (c.size >= 0) CHECK(r.integer(0, "size") == c.size);
      CHECK(r.integer(0, "uid") == static_cast<std::int64_t>(::getuid()));
      CHECK(r.integer(0, "gid") == static_cast<std::int64_t>(::getgid()));
    }
  }
}

TEST_CASE("file names owners from the host's own passwd and group", "[file]") {
  // Deliberately unlike any real account, so a name can only come from here.
  const auto uid = std::to_string(::getuid());
  const auto gid = std::to_string(::getgid());
  struct Case {
    const char* name;
    std::string passwd;  // "" = no /etc/passwd at all
    std::string group;
    std::string owner;  // "" = NULL
    std::string group_name;
  };
  // clang-format off
  const std::vector<Case> cases{
      {"both known", "vigil-owner:x:" + uid + ":" + gid + "::/:/bin/false\n",
       "vigil-grp:x:" + gid + ":\n", "vigil-owner", "vigil-grp"},
      {"first of duplicate ids wins",
       "first-user:x:" + uid + ":0::/:/bin/false\nsecond-user:x:" + uid + ":0::/:/bin/false\n",
       "first-grp:x:" + gid + ":\nsecond-grp:x:" + gid + ":\n", "first-user", "first-grp"},
      {"no such user or group", "someone:x:65000:65000::/:/bin/false\n", "others:x:65000:\n", "", ""},
      {"no databases at all", "", "", "", ""},
  };
  // clang-format on
  for (const auto& c : cases) {
    SECTION(c.name) {
      vigil::test::TempDir dir;
      dir.write("srv/data", "x");
      if (!c.passwd.empty()) dir.write("etc/passwd", c.passwd);
      if (!c.group.empty()) dir.write("etc/group", c.group);
      auto out = query(dir.path(), text_value("/srv/data"));
      REQUIRE(out.status.ok());
      REQUIRE(out.rows.size() == 1);
      CHECK(out.warnings.empty());  // absent databases are a fact, not a problem
      if (c.owner.empty())
        CHECK(out.is_null(0, "owner"));
      else
        CHECK(out.text(0, "owner") == c.owner);
      if (c.group_name.empty())
        CHECK(out.is_null(0, "group_name"));
      else
        CHECK(out.text(0, "group_name") == c.group_name);
    }
  }
}

TEST_CASE("file keeps symlinks that point outside the root inside it", "[file]") {
  vigil::test::TempDir dir;
  dir.write("outside/secret", "do not read");
  dir.mkdir("root");
  dir.symlink("root/rel", "../outside");
  dir.symlink("root/abs", dir.path() + "/outside");
  const std::string root = dir.path() + "/root";

  for (const std::string path : {"/rel/secret", "/abs/secret"}) {
    SECTION(path) {
      const auto r = one_row(root, path);
      CHECK(r.text(0, "type") == "absent");
    }
  }
  SECTION("the link itself") {
    const auto r = one_row(root, "/abs");
    CHECK(r.text(0, "type") == "symlink");
    CHECK(r.text(0, "link_target") == dir.path() + "/outside");
  }
}

TEST_CASE("file turns bad arguments and resolution failures into errors", "[file]") {
  vigil::test::TempDir dir;
  dir.symlink("loop1", "loop2");
  dir.symlink("loop2", "loop1");
  struct Case {
    const char* name;
    Value arg;
    Errc code;
    std::string message_part;
  };
  // clang-format off
  const std::vector<Case> cases{
      {"relative path", text_value("etc/passwd"), Errc::invalid, "must be absolute: 'etc/passwd'"},
      {"empty path", text_value(""), Errc::invalid, "must be absolute"},
      {"NULL argument", null_value(), Errc::invalid, "path argument"},
      {"integer argument", int_value(42), Errc::invalid, "path argument"},
      {"symlink loop on the way", text_value("/loop1/x"), Errc::loop, "/loop1/x"},
  };
  // clang-format on
  for (const auto& c : cases) {
    SECTION(c.name) {
      auto out = query(dir.path(), c.arg);
      REQUIRE_FALSE(out.status.ok());
      CHECK(out.status.error().code == c.code);
      CHECK_THAT(out.status.error().message, Catch::Contains(c.message_part));
      CHECK(out.rows.empty());
    }
  }
  SECTION("a looping link is still a fact when asked about itself") {
    const auto r = one_row(dir.path(), "/loop1");
    CHECK(r.text(0, "type") == "symlink");
    CHECK(r.text(0, "link_target") == "loop2");
  }
}

TEST_CASE("file on the live root reports devices", "[file]") {
  const auto r = one_row("/", "/dev/null");
  CHECK(r.text(0, "type") == "char_device");
  CHECK(r.text(0, "mode") == "0666");
}
