// journald_config and the systemd 252 reader it shares with time_sync.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "systemd_conf.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;

TEST_CASE("parse_systemd_conf reads one section the way config_parse() does", "[journald]") {
  const auto p = parse_systemd_conf(
      "\xEF\xBB\xBF# top\nStorage=none\n[Journal]\n Storage = persistent \r\n;c\nSystemMaxUse=1\\\n# inside\n"
      "G\nnoequals\n=x\n[X-Vendor]\nSeal=no\n[Other]\nSeal=no\n[Journal]\nSeal=\n",
      "Journal");
  REQUIRE(p.assignments.size() == 3);
  CHECK(p.assignments[0].key == "Storage");
  CHECK(p.assignments[0].value == "persistent");
  CHECK(p.assignments[0].line == 4);
  CHECK(p.assignments[1].value == "1 G");  // the backslash became a blank, the comment was dropped
  CHECK(p.assignments[1].line == 6);
  CHECK(p.assignments[2].key == "Seal");
  CHECK(p.assignments[2].value.empty());
  std::vector<int> lines;
  for (const auto& i : p.issues) lines.push_back(i.line);
  CHECK(lines == std::vector<int>{2, 9, 10, 13});  // outside a section, no '=', no key, unknown section
}

TEST_CASE("resolve_dropins: name order across directories, earlier directory wins", "[journald]") {
  const auto files =
      resolve_dropins({{"/etc/systemd/j.conf.d", {"60-b.conf", "10-a.conf", ".hidden.conf", "x.txt"}},
                       {"/run/systemd/j.conf.d", {"10-a.conf", "20-run.conf"}},
                       {"/usr/lib/systemd/j.conf.d", {"05-vendor.conf", "60-b.conf"}}});
  REQUIRE(files.size() == 4);
  CHECK(files[0].path == "/usr/lib/systemd/j.conf.d/05-vendor.conf");
  CHECK(files[1].path == "/etc/systemd/j.conf.d/10-a.conf");
  CHECK(files[1].hidden == std::vector<std::string>{"/run/systemd/j.conf.d/10-a.conf"});
  CHECK(files[2].path == "/run/systemd/j.conf.d/20-run.conf");
  CHECK(files[3].path == "/etc/systemd/j.conf.d/60-b.conf");
  CHECK(systemd_boolean("On") == 1);
  CHECK(systemd_boolean("f") == 0);
  CHECK(systemd_boolean("maybe") == -1);
}

TEST_CASE("journald_config on a stock Debian 12 host: every key at its default", "[journald]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("logging-debian12"), "journald_config");
  CHECK(t.warnings.empty());
  REQUIRE(t.rows.size() == 30);
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    CHECK(t.integer(r, "is_default") == 1);
    CHECK(t.integer(r, "effective") == 1);
    CHECK(t.integer(r, "var_log_journal") == 1);
  }
  CHECK(t.text(t.rows_where("key", "Storage")[0], "value") == "auto");
  CHECK(t.text(t.rows_where("key", "ForwardToSyslog")[0], "value") == "yes");  // Debian's build
  CHECK(t.is_null(t.rows_where("key", "SystemMaxUse")[0], "value"));
}

TEST_CASE("journald_config on a hardened host: /etc drop-in overrides /usr/lib's", "[journald]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("logging-hardened"), "journald_config");
  CHECK(t.warned("/usr/lib/systemd/journald.conf.d/50-vendor.conf", "overridden"));
  CHECK(t.warned("/run/systemd/journald.conf.d/60-retention.conf", "overridden"));
  auto storage = t.rows_where("key", "Storage");
  REQUIRE(storage.size() == 1);  // the /usr/lib file of the same name is not read
  CHECK(t.text(storage[0], "value") == "persistent");
  CHECK(t.text(storage[0], "file") == "/etc/systemd/journald.conf.d/50-vendor.conf");
  CHECK(t.integer(storage[0], "effective") == 1);
  auto retention = t.rows_where("key", "MaxRetentionSec");
  REQUIRE(retention.size() == 1);
  CHECK(t.text(retention[0], "value") == "1year");
}

TEST_CASE("journald_config on tricky input: masked /run drop-in, refused values", "[journald]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("logging-tricky"), "journald_config");
  CHECK(t.warned("/run/systemd/journald.conf.d/10-keep.conf",
                 "overridden by /etc/systemd/journald.conf.d/10-keep.conf"));
  CHECK(t.warned("/etc/systemd/journald.conf", "absent"));
  CHECK(t.warned("/run/systemd/journald.conf.d/20-bad.conf:2", "cannot parse"));
  auto storage = t.rows_where("key", "Storage");
  REQUIRE(storage.size() == 2);
  CHECK(t.integer(storage[0], "effective") == 1);  // 'Persistent' is refused: case-sensitive
  CHECK(t.integer(storage[1], "effective") == 0);
  CHECK(t.is_null(storage[1], "value"));
  auto forward = t.rows_where("key", "ForwardToSyslog");
  REQUIRE(forward.size() == 2);
  CHECK(t.integer(forward[1], "is_default") == 1);  // 'maybe' refused: the default holds
  CHECK(t.integer(forward[1], "effective") == 1);
  CHECK(t.text(t.rows_where("key", "Compress")[0], "value") == "no");
  CHECK(t.rows_where("key", "Seal").size() == 1);  // [Other] Seal=no is not read
  CHECK(t.integer(t.rows_where("key", "Storage")[0], "var_log_journal") == 0);
}

TEST_CASE("journald_config: a fifo drop-in is skipped, CRLF values are clean", "[journald]") {
  vigil::test::TempDir dir;
  dir.write("etc/systemd/journald.conf", "[Journal]\r\nStorage=persistent\r\n");
  dir.mkdir("run/systemd/journald.conf.d");
  REQUIRE(::mkfifo((dir.path() + "/run/systemd/journald.conf.d/90-fifo.conf").c_str(), 0644) == 0);
  auto t = vigil::test::collect_ok(dir.path(), "journald_config");
  CHECK(t.warned("/run/systemd/journald.conf.d/90-fifo.conf", "not read"));
  CHECK(t.text(t.rows_where("key", "Storage")[0], "value") == "persistent");
}
