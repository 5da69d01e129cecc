// Tests of the systemd-sysctl 252 reader (strings) and of the `sysctl` and
// `sysctl_known` tables over fixture trees: a stock Debian 12 host, and one
// with files in all four directories, masking, overriding, globs, a '-key'
// exclusion, CRLF and a key leaving /proc/sys; then hostile trees.
#include "sysctl.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collector.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::test::CollectedTable;

namespace {

std::size_t only(const CollectedTable& t, std::string_view name) {
  auto rows = t.rows_where("name", name);
  INFO("name " << name);
  REQUIRE(rows.size() == 1);
  return rows[0];
}

std::string text_or_null(const CollectedTable& t, std::size_t r, std::string_view column) {
  return t.is_null(r, column) ? "NULL" : t.text(r, column);
}

// "live/status persisted via file:line differs" for one row.
std::string facts(const CollectedTable& t, std::size_t r) {
  return text_or_null(t, r, "live_value") + "/" + t.text(r, "live_status") + " " +
         text_or_null(t, r, "persisted_value") + " " + text_or_null(t, r, "persisted_via") + " " +
         text_or_null(t, r, "persisted_file") +
         (t.is_null(r, "persisted_line") ? "" : ":" + std::to_string(t.integer(r, "persisted_line"))) + " " +
         (t.is_null(r, "differs") ? "NULL" : std::to_string(t.integer(r, "differs")));
}

std::vector<std::string> lines_of(const SysctlLines& l) {
  std::vector<std::string> out;
  for (const auto& x : l.lines) out.push_back(std::to_string(x.number) + ":" + std::string(x.text));
  return out;
}

}  // namespace

TEST_CASE("split_systemd_lines ends lines as read_line() does", "[sysctl]") {
  using namespace std::string_literals;
  using V = std::vector<std::string>;
  CHECK(lines_of(split_systemd_lines("a\nb\n")) == V{"1:a", "2:b"});
  CHECK(lines_of(split_systemd_lines("a\r\nb\r\n")) == V{"1:a", "2:b"});
  CHECK(lines_of(split_systemd_lines("a\n\rb")) == V{"1:a", "2:b"});
  CHECK(lines_of(split_systemd_lines("a\rb\rc")) == V{"1:a", "2:b", "3:c"});
  CHECK(lines_of(split_systemd_lines("a\n\nb")) == V{"1:a", "2:", "3:b"});
  CHECK(lines_of(split_systemd_lines("a\r\r\nb")) == V{"1:a", "2:", "3:b"});
  CHECK(lines_of(split_systemd_lines("a\0b\n"s)) == V{"1:a", "2:b"});
  CHECK(lines_of(split_systemd_lines("a\r\n\0b"s)) == V{"1:a", "2:b"});
  CHECK(lines_of(split_systemd_lines("a\0\0b"s)) == V{"1:a", "2:", "3:b"});
  CHECK(lines_of(split_systemd_lines("")).empty());
  const std::string long_text = "a=1\n" + std::string(20, 'x') + "\nb=2\n";
  auto long_line = split_systemd_lines(long_text, 20);
  CHECK(lines_of(long_line) == V{"1:a=1"});
  CHECK(long_line.too_long_line == 2);
  CHECK(split_systemd_lines(std::string(19, 'x'), 20).too_long_line == 0);
}

TEST_CASE("sysctl_normalize turns keys into paths under /proc/sys", "[sysctl]") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"net.ipv4.ip_forward", "net/ipv4/ip_forward"},
      {"net/ipv4/ip_forward", "net/ipv4/ip_forward"},
      {"net.ipv4.conf.eth0/100.rp_filter", "net/ipv4/conf/eth0.100/rp_filter"},
      {"net/ipv4/conf/eth0.100/rp_filter", "net/ipv4/conf/eth0.100/rp_filter"},
      {"/net/ipv4//ip_forward/", "net/ipv4/ip_forward"},
      {"net..ipv4.ip_forward", "net/ipv4/ip_forward"},
      {"net.ipv4.conf.*.rp_filter", "net/ipv4/conf/*/rp_filter"},
      {"kernel", "kernel"},
      {"kernel/../../etc/shadow", "kernel/../../etc/shadow"},
      {"", ""},
  };
  for (const auto& [key, path] : cases) {
    INFO(key);
    CHECK(sysctl_normalize(key) == path);
  }
  CHECK(sysctl_dotted("net/ipv4/conf/eth0.100/rp_filter") == "net.ipv4.conf.eth0/100.rp_filter");
  CHECK(sysctl_key_is_safe("net/ipv4/ip_forward"));
  CHECK(sysctl_key_is_safe("net/ipv4/conf/*/rp_filter"));
  CHECK_FALSE(sysctl_key_is_safe("kernel/../../etc/shadow"));
  CHECK_FALSE(sysctl_key_is_safe(""));
  CHECK_FALSE(sysctl_key_is_safe("/"));
  CHECK(sysctl_is_glob("net/ipv4/conf/*/rp_filter"));
  CHECK(sysctl_is_glob("net/ipv4/conf/eth[01]/rp_filter"));
  CHECK_FALSE(sysctl_is_glob("net/ipv4/conf/{all,default}/rp_filter"));
}

TEST_CASE("parse_sysctl_file reads assignments as parse_file() does", "[sysctl]") {
  struct Case {
    std::string line;
    std::string key;  // "" = no assignment
    std::optional<std::string> value;
    bool ignore_failure = false;
  };
  const std::vector<Case> cases{
      {"net.ipv4.ip_forward = 0", "net/ipv4/ip_forward", "0"},
      {"\tnet.ipv4.ip_forward\t=\t1\t", "net/ipv4/ip_forward", "1"},
      {"kernel/yama/ptrace_scope=1", "kernel/yama/ptrace_scope", "1"},
      {"- kernel.unprivileged_userns_clone = 0", "kernel/unprivileged_userns_clone", "0", true},
      {"-net.ipv4.conf.all.rp_filter", "net/ipv4/conf/all/rp_filter", std::nullopt},
      {"net.ipv4.tcp_rmem = 4096 131072  6291456", "net/ipv4/tcp_rmem", "4096 131072  6291456"},
      {"kernel.core_pattern = |/bin/false %p = x", "kernel/core_pattern", "|/bin/false %p = x"},
      {"kernel.sysrq =", "kernel/sysrq", ""},
      {"kernel.sysrq = 1 # not a comment", "kernel/sysrq", "1 # not a comment"},
      {"# kernel.sysrq = 1", "", std::nullopt},
      {"; kernel.sysrq = 1", "", std::nullopt},
      {"   ", "", std::nullopt},
      {"kernel.sysrq", "", std::nullopt},
  };
  for (const auto& c : cases) {
    INFO("line: " << c.line);
    auto f = parse_sysctl_file(c.line + "\r\n");
    if (c.key.empty()) {
      CHECK(f.assignments.empty());
      continue;
    }
    REQUIRE(f.assignments.size() == 1);
    CHECK(f.assignments[0].key == c.key);
    CHECK(f.assignments[0].value == c.value);
    CHECK(f.assignments[0].ignore_failure == c.ignore_failure);
    CHECK(f.issues.empty());
  }
  auto bad = parse_sysctl_file("a = 1\nkernel.sysrq\n");
  REQUIRE(bad.issues.size() == 1);
  CHECK(bad.issues[0].line == 2);
  CHECK(bad.issues[0].message.find("not an assignment") != std::string::npos);
}

TEST_CASE("sysctl_conf_files: name order across directories, earlier directories win", "[sysctl]") {
  const std::vector<SysctlDirListing> dirs{
      {"/etc/sysctl.d", {"99-sysctl.conf", "60-vendor.conf", ".hidden.conf", "README.sysctl", "x.conf~"}},
      {"/run/sysctl.d", {"70-override.conf"}},
      {"/usr/local/lib/sysctl.d", {}},
      {"/usr/lib/sysctl.d", {"50-pid-max.conf", "60-vendor.conf", "70-override.conf", ".conf", "conf"}},
  };
  auto files = sysctl_conf_files(dirs);
  std::vector<std::string> paths;
  for (const auto& f : files) paths.push_back(f.path);
  CHECK(paths == std::vector<std::string>{"/usr/lib/sysctl.d/50-pid-max.conf", "/etc/sysctl.d/60-vendor.conf",
                                          "/run/sysctl.d/70-override.conf", "/etc/sysctl.d/99-sysctl.conf"});
  CHECK(files[1].overridden == std::vector<std::string>{"/usr/lib/sysctl.d/60-vendor.conf"});
  CHECK(files[2].overridden == std::vector<std::string>{"/usr/lib/sysctl.d/70-override.conf"});
}

TEST_CASE("SysctlOptions: a changed value moves to the end, the same value stays", "[sysctl]") {
  SysctlOptions o;
  auto a = [](std::string key, std::optional<std::string> value, int line, bool ignore = false) {
    return SysctlAssignment{std::move(key), std::move(value), ignore, line};
  };
  o.add("f1", a("a", "1", 1));
  o.add("f1", a("b", "1", 2));
  o.add("f1", a("c", std::nullopt, 3));
  o.add("f2", a("a", "1", 1, true));  // same value: stays first, '-' merged in
  o.add("f2", a("b", "2", 2));        // changed: moves to the end
  o.add("f2", a("c", "5", 3));        // an exclusion replaced by a value
  std::vector<std::string> got;
  for (const auto& x : o.ordered()) {
    got.push_back(x.key + "=" + x.value.value_or("NULL") + "@" + x.file + ":" + std::to_string(x.line) +
                  (x.ignore_failure ? "-" : ""));
  }
  CHECK(got == std::vector<std::string>{"a=1@f1:1-", "b=2@f2:2", "c=5@f2:3"});
}

TEST_CASE("sysctl_decide: an explicit key beats every glob, the last glob wins", "[sysctl]") {
  SysctlOptions o;
  o.add("50", SysctlAssignment{"net/ipv4/conf/*/rp_filter", "2", false, 5});
  o.add("50", SysctlAssignment{"net/ipv4/conf/all/rp_filter", std::nullopt, false, 6});
  o.add("50", SysctlAssignment{"net/ipv4/conf/default/rp_filter", "2", false, 4});
  o.add("80", SysctlAssignment{"net/ipv4/conf/e*/rp_filter", "1", false, 3});
  o.add("90", SysctlAssignment{"net/ipv4/conf/{lo,eth*}/accept_redirects", "0", false, 1});
  // Braces alone do not make a glob (string_is_glob): a literal key, which no real key equals.
  o.add("90", SysctlAssignment{"net/ipv4/conf/{all,default}/send_redirects", "0", false, 3});
  o.add("90", SysctlAssignment{"net/ipv4/conf/lo[0-9]/accept_redirects", "0", false, 2});
  const auto opts = o.ordered();
  auto decide = [&](std::string_view key) {
    auto d = sysctl_decide(opts, key);
    if (d.option == nullptr) return std::string("none");
    return d.option->value.value_or("excluded") + (d.via_glob ? " glob " : " key ") + d.option->file + ":" +
           std::to_string(d.option->line);
  };
  CHECK(decide("net/ipv4/conf/all/rp_filter") == "excluded key 50:6");
  CHECK(decide("net/ipv4/conf/default/rp_filter") == "2 key 50:4");
  CHECK(decide("net/ipv4/conf/lo/rp_filter") == "2 glob 50:5");
  CHECK(decide("net/ipv4/conf/eth0/rp_filter") == "1 glob 80:3");
  CHECK(decide("net/ipv4/conf/eth0.100/rp_filter") == "1 glob 80:3");
  CHECK(decide("net/ipv4/conf/eth0/x/rp_filter") == "none");  // '*' does not cross '/'
  CHECK(decide("net/ipv4/conf/lo/accept_redirects") == "0 glob 90:1");
  CHECK(decide("net/ipv4/conf/lo1/accept_redirects") == "0 glob 90:2");
  CHECK(decide("net/ipv4/conf/all/send_redirects") == "none");
  CHECK(decide("net/ipv4/ip_forward") == "none");
  CHECK(sysctl_glob_matches("net/ipv4/conf/*/rp_filter", "net/ipv4/conf/eth0.100/rp_filter"));
  CHECK_FALSE(sysctl_glob_matches("net/ipv4/conf/*/rp_filter", "net/ipv4/conf/.hidden/rp_filter"));
}

TEST_CASE("sysctl_values_equal compares as the kernel parses", "[sysctl]") {
  struct Case {
    std::string live, persisted;
    bool equal;
  };
  const std::vector<Case> cases{
      {"1", "1", true},
      {"1", "0", false},
      {"4096\t131072\t6291456", "4096 131072  6291456", true},
      {"4096\t131072\t6291456", "4096 131072", false},
      {"16", "0x10", true},
      {"8", "010", true},
      {"0", "0x0", true},
      {"-1", "-1", true},
      {"-1", "-01", true},
      {"2", "+2", true},
      {"|/usr/share/apport/apport -p%p", "|/usr/share/apport/apport  -p%p", true},
      {"fq_codel", "fq_codel", true},
      {"fq_codel", "pfifo_fast", false},
      {"010", "010", true},
      {"10", "010", false},
      {"", "", true},
      {"1", "", false},
      {"1", "1x", false},
  };
  for (const auto& c : cases) {
    INFO("live '" << c.live << "' persisted '" << c.persisted << "'");
    CHECK(sysctl_values_equal(c.live, c.persisted) == c.equal);
  }
}

TEST_CASE("sysctl_known on a stock Debian 12 host", "[sysctl]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("sysctl-debian12"), "sysctl_known");
  CHECK(t.warnings.empty());  // /etc/sysctl.conf is all comments and linked from 99-sysctl.conf
  CHECK(facts(t, only(t, "kernel.pid_max")) ==
        "4194304/read 4194304 key /usr/lib/sysctl.d/50-pid-max.conf:16 0");
  CHECK(t.integer(only(t, "kernel.pid_max"), "listed") == 0);
  CHECK(facts(t, only(t, "fs.protected_regular")) ==
        "2/read 2 key /usr/lib/sysctl.d/99-protect-links.conf:9 0");
  CHECK(facts(t, only(t, "kernel.kptr_restrict")) == "0/read NULL NULL NULL NULL");
  CHECK(t.integer(only(t, "kernel.kptr_restrict"), "listed") == 1);
  CHECK(facts(t, only(t, "kernel.yama.ptrace_scope")) == "0/read NULL NULL NULL NULL");
  CHECK(facts(t, only(t, "kernel.kexec_load_disabled")) == "NULL/absent NULL NULL NULL NULL");
  CHECK(t.rows_where("name", "net.ipv4.tcp_rmem").empty());  // neither listed nor persisted
  CHECK(t.rows.size() == 43);                                // the 42 listed keys and kernel.pid_max
}

TEST_CASE("sysctl_known with files in every directory, masking, globs and exclusions", "[sysctl]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("sysctl-hardened"), "sysctl_known");
  const std::string cis = "/etc/sysctl.d/90-cis.conf";
  // An explicit line beats the globs; it replaced 50-default's '-' exclusion.
  CHECK(facts(t, only(t, "net.ipv4.conf.all.rp_filter")) == "1/read 1 key " + cis + ":5 0");
  CHECK(facts(t, only(t, "net.ipv4.conf.default.rp_filter")) ==
        "2/read 2 key /usr/lib/sysctl.d/50-default.conf:4 0");
  // Only globs: the one written last wins.
  auto lo = only(t, "net.ipv4.conf.lo.rp_filter");
  CHECK(facts(t, lo) == "2/read 2 glob /usr/lib/sysctl.d/50-default.conf:5 0");
  CHECK(t.text(lo, "persisted_pattern") == "net.ipv4.conf.*.rp_filter");
  auto eth0 = only(t, "net.ipv4.conf.eth0.rp_filter");
  CHECK(facts(t, eth0) == "1/read 1 glob /usr/local/lib/sysctl.d/80-local.conf:3 0");
  CHECK(t.text(eth0, "persisted_pattern") == "net.ipv4.conf.e*.rp_filter");
  CHECK(facts(t, only(t, "net.ipv4.conf.eth0/100.rp_filter")) ==
        "0/read 1 glob /usr/local/lib/sysctl.d/80-local.conf:3 1");
  CHECK(facts(t, only(t, "net.ipv4.conf.eth0/100.accept_redirects")) == "1/read 0 key " + cis + ":8 1");
  CHECK(facts(t, only(t, "net.ipv4.conf.all.promote_secondaries")) ==
        "1/read NULL excluded /usr/lib/sysctl.d/50-default.conf:11 NULL");
  CHECK(facts(t, only(t, "net.ipv4.conf.lo.promote_secondaries")) ==
        "1/read 1 glob /usr/lib/sysctl.d/50-default.conf:10 0");
  // Later files win; a repeated equal value keeps the first line.
  CHECK(facts(t, only(t, "kernel.kptr_restrict")) == "1/read 1 key /etc/sysctl.d/95-later.conf:1 0");
  CHECK(facts(t, only(t, "kernel.randomize_va_space")) ==
        "2/read 2 key /usr/local/lib/sysctl.d/80-local.conf:2 0");
  // /etc/sysctl.d/60-vendor.conf -> /dev/null masks /usr/lib's; /run's 70-override.conf hides /usr/lib's.
  CHECK(facts(t, only(t, "kernel.sysrq")) == "0/read 0x0 key " + cis + ":9 0");
  CHECK(facts(t, only(t, "kernel.dmesg_restrict")) == "1/read 1 key /run/sysctl.d/70-override.conf:1 0");
  CHECK(facts(t, only(t, "kernel.yama.ptrace_scope")) == "1/read 1 key " + cis + ":3 0");
  CHECK(facts(t, only(t, "net.ipv4.tcp_rmem")) ==
        "4096\t131072\t6291456/read 4096 131072  6291456 key /usr/local/lib/sysctl.d/80-local.conf:4 0");
  CHECK(facts(t, only(t, "net.ipv4.ip_forward")) == "0/read 0 key " + cis + ":11 0");
  CHECK(facts(t, only(t, "kernel.unprivileged_userns_clone")) == "NULL/absent 0 key " + cis + ":4 NULL");
  CHECK(facts(t, only(t, "net.core.default_qdisc")) ==
        "NULL/absent fq_codel key /usr/lib/sysctl.d/50-default.conf:14 NULL");
  CHECK(t.rows_where("name", "kernel.kptr_restrict").size() == 1);
  // Not read: the hidden file, notes.txt, the key outside /proc/sys.
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    CHECK(text_or_null(t, r, "persisted_file").find("hidden") == std::string::npos);
    CHECK(t.text(r, "name").find("shadow") == std::string::npos);
  }
  CHECK(t.warned(cis + ":10", "not an assignment"));
  CHECK(t.warned("/etc/sysctl.d/95-later.conf:3", "not under /proc/sys"));
  CHECK(t.warned("/etc/sysctl.conf", "does not apply them at boot"));
  CHECK(t.warnings.size() == 3);
}

TEST_CASE("sysctl: one row per key asked for, patterns, bad arguments", "[sysctl]") {
  using vigil::collectors::text_value;
  const auto root = vigil::test::fixture_host("sysctl-hardened");
  auto dotted = vigil::test::collect_ok(root, "sysctl", {text_value("kernel.kptr_restrict")});
  REQUIRE(dotted.rows.size() == 1);
  CHECK(dotted.text(0, "key") == "kernel.kptr_restrict");
  CHECK(facts(dotted, 0) == "1/read 1 key /etc/sysctl.d/95-later.conf:1 0");
  CHECK(dotted.integer(0, "listed") == 1);

  auto slash = vigil::test::collect_ok(root, "sysctl", {text_value("net/ipv4/conf/eth0.100/rp_filter")});
  REQUIRE(slash.rows.size() == 1);
  CHECK(slash.text(0, "name") == "net.ipv4.conf.eth0/100.rp_filter");
  CHECK(slash.text(0, "persisted_via") == "glob");

  auto unknown = vigil::test::collect_ok(root, "sysctl", {text_value("net.ipv4.no_such_key")});
  REQUIRE(unknown.rows.size() == 1);
  CHECK(facts(unknown, 0) == "NULL/absent NULL NULL NULL NULL");
  CHECK(unknown.integer(0, "listed") == 0);

  auto dir = vigil::test::collect_ok(root, "sysctl", {text_value("net.ipv4.conf")});
  REQUIRE(dir.rows.size() == 1);
  CHECK(dir.text(0, "live_status") == "not_a_key");

  auto pattern = vigil::test::collect_ok(root, "sysctl", {text_value("net.ipv4.conf.*.accept_redirects")});
  std::vector<std::string> names;
  for (std::size_t r = 0; r < pattern.rows.size(); ++r) {
    CHECK(pattern.text(r, "key") == "net.ipv4.conf.*.accept_redirects");
    names.push_back(pattern.text(r, "name"));
  }
  CHECK(names == std::vector<std::string>{
                     "net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.default.accept_redirects",
                     "net.ipv4.conf.eth0.accept_redirects", "net.ipv4.conf.eth0/100.accept_redirects",
                     "net.ipv4.conf.lo.accept_redirects"});
  auto braces = vigil::test::collect_ok(root, "sysctl", {text_value("net.ipv4.conf.{all,lo}.rp_f?lter")});
  CHECK(braces.rows.size() == 2);
  auto nothing = vigil::test::collect_ok(root, "sysctl", {text_value("net.ipv9.*")});
  CHECK(nothing.rows.empty());
  CHECK(nothing.warned("sysctl('net.ipv9.*')", "matches no key"));

  for (auto bad : {"kernel/../../etc/shadow", "", "/"}) {
    INFO(bad);
    auto t = vigil::test::collect_table(root, "sysctl", {text_value(bad)});
    CHECK_FALSE(t.status.ok());
  }
  CHECK_FALSE(vigil::test::collect_table(root, "sysctl", {vigil::collectors::int_value(1)}).status.ok());
}

TEST_CASE("sysctl: no /proc/sys, hostile sysctl.d entries", "[sysctl]") {
  using namespace std::string_literals;
  using vigil::collectors::text_value;
  vigil::test::TempDir dir;
  dir.write("etc/sysctl.d/10-ok.conf", "kernel.kptr_restrict = 2\n");
  REQUIRE(::mkfifo((dir.path() + "/etc/sysctl.d/20-fifo.conf").c_str(), 0644) == 0);
  dir.mkdir("etc/sysctl.d/30-dir.conf");
  dir.symlink("etc/sysctl.d/40-loop.conf", "40-loop.conf");
  dir.symlink("etc/sysctl.d/50-escape.conf", "../../../../../../etc/passwd");
  dir.write("etc/sysctl.d/60-garbage.conf", "\xff\xfe\0kernel.sysrq = 1\0\x80 = \x81\n"s);
  dir.write("etc/sysctl.d/70-long.conf", "kernel.dmesg_restrict = 1\n" + std::string(kSysctlMaxLine, 'x') +
                                             "\nkernel.dmesg_restrict = 0\n");
  dir.write("usr/lib/sysctl.d/80-huge.conf", std::string(17u * 1024u * 1024u, '#'));
  auto t = vigil::test::collect_ok(dir.path(), "sysctl_known");
  CHECK(t.warned("/proc/sys", "live values are unknown"));
  CHECK(t.warned("/etc/sysctl.d/20-fifo.conf", "not a regular file"));
  CHECK(t.warned("/etc/sysctl.d/30-dir.conf", "not a regular file"));
  CHECK(t.warned("/etc/sysctl.d/40-loop.conf", "too many levels"));
  CHECK(t.warned("/etc/sysctl.d/50-escape.conf", "dangling"));
  CHECK(t.warned("/etc/sysctl.d/70-long.conf:2", "stops reading"));
  CHECK(t.warned("/usr/lib/sysctl.d/80-huge.conf", "read cap"));
  CHECK(facts(t, only(t, "kernel.kptr_restrict")) == "NULL/no_proc 2 key /etc/sysctl.d/10-ok.conf:1 NULL");
  CHECK(facts(t, only(t, "kernel.sysrq")) == "NULL/no_proc 1 key /etc/sysctl.d/60-garbage.conf:2 NULL");
  CHECK(facts(t, only(t, "kernel.dmesg_restrict")) == "NULL/no_proc 1 key /etc/sysctl.d/70-long.conf:1 NULL");
  auto asked = vigil::test::collect_ok(dir.path(), "sysctl", {text_value("net.ipv4.ip_forward")});
  REQUIRE(asked.rows.size() == 1);
  CHECK(facts(asked, 0) == "NULL/no_proc NULL NULL NULL NULL");
}
