// log_files: the bounded /var/log walk.
#include <catch2/catch.hpp>

#include "test_support.hpp"

TEST_CASE("log_files lists /var/log without following symlinks", "[log_files]") {
  vigil::test::TempDir dir;
  dir.write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
  dir.write("var/log/syslog", "x", 0640);
  dir.write("var/log/audit/audit.log", "x", 0600);
  dir.write("var/log/.hidden", "x", 0666);
  dir.write("outside/secret", "x");
  dir.symlink("var/log/escape", "/outside");
  auto t = vigil::test::collect_ok(dir.path(), "log_files");
  auto rel = [&t](std::string_view p) {
    auto rows = t.rows_where("path", std::string("/var/log/") + std::string(p));
    INFO(p);
    REQUIRE(rows.size() == 1);
    return rows[0];
  };
  CHECK(t.text(rel("syslog"), "mode") == "0640");
  CHECK(t.text(rel("audit/audit.log"), "relative_path") == "audit/audit.log");
  CHECK(t.text(rel(".hidden"), "mode") == "0666");
  CHECK(t.text(rel("escape"), "type") == "symlink");
  CHECK(t.rows_where("path", "/var/log/escape/secret").empty());
  auto summary = t.rows_where("kind", "walk_summary");
  REQUIRE(summary.size() == 1);
  CHECK(t.text(summary[0], "type") == "complete");
  CHECK(t.integer(summary[0], "size") == 5);
}

TEST_CASE("log_files: the depth cap truncates, no /var/log is absent", "[log_files]") {
  vigil::test::TempDir dir;
  dir.write("var/log/1/2/3/4/5/6/7/8/9/deep.log", "x");
  auto t = vigil::test::collect_ok(dir.path(), "log_files");
  CHECK(t.warned("/var/log/1/2/3/4/5/6/7/8/9", "not entered"));
  CHECK(t.text(t.rows_where("kind", "walk_summary")[0], "type") == "truncated");

  vigil::test::TempDir none;
  none.mkdir("etc");
  auto n = vigil::test::collect_ok(none.path(), "log_files");
  REQUIRE(n.rows.size() == 1);
  CHECK(n.text(0, "type") == "absent");
}
