// Tests of the sudoers parser and include walk (in-memory files) and of the
// `sudoers_rules` / `sudoers_defaults` / `sudoers_aliases` tables over
// fixture host trees and trees made at test time.
#include "sudoers.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "collector.hpp"
#include "mem_fs.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::Errc;

namespace {

using vigil::test::MemFs;

vigil::Result<Sudoers> run(const MemFs& fs) {
  return evaluate_sudoers(fs.loader<SudoersLoader>());
}

Sudoers eval(const MemFs& fs) {
  auto r = run(fs);
  if (!r) FAIL(r.error().message);
  return std::move(r).value();
}

Sudoers parse(const std::string& text) {
  Sudoers s;
  REQUIRE(parse_sudoers("/etc/sudoers", text, s).ok());
  return s;
}

bool has_issue(const Sudoers& s, std::string_view file, int line, std::string_view part) {
  for (const auto& i : s.issues) {
    if (i.file == file && i.line == line && i.message.find(part) != std::string::npos) return true;
  }
  return false;
}

std::vector<std::string> commands(const Sudoers& s) {
  std::vector<std::string> out;
  for (const auto& r : s.rules) out.push_back(r.command);
  return out;
}

}  // namespace

TEST_CASE("includedir reads names without '~' or '.', in byte order", "[sudoers]") {
  struct Case {
    std::string name;
    bool read;
  };
  const std::vector<Case> cases{
      {"README", true},  {"10-ops", true},        {"Zeta", true},     {"backup~", false},
      {"x.conf", false}, {"ops.dpkg-old", false}, {".hidden", false}, {"ops.dpkg-dist", false},
      {"a~b", true},     {"under_score", true},
  };
  MemFs fs;
  fs.files["/etc/sudoers"] = "@includedir /etc/sudoers.d\n";
  for (const auto& c : cases) fs.files["/etc/sudoers.d/" + c.name] = "u ALL = /bin/" + c.name + "\n";
  auto s = eval(fs);
  std::vector<std::string> expected_files{"/etc/sudoers"};
  for (const std::string name : {"10-ops", "README", "Zeta", "a~b", "under_score"})
    expected_files.push_back("/etc/sudoers.d/" + name);
  CHECK(s.files == expected_files);
  for (const auto& c : cases) {
    INFO("name " << c.name);
    const std::string path = "/etc/sudoers.d/" + c.name;
    bool found = false;
    for (const auto& r : s.rules) found = found || r.file == path;
    CHECK(found == c.read);
    CHECK(has_issue(s, path, 0, "skipped") == !c.read);
  }
}

TEST_CASE("include paths: relative to the including file, quoted, #include and @include", "[sudoers]") {
  struct Case {
    std::string directive;  // in /etc/sudoers.d/base, included from /etc/sudoers
    std::string target;     // the file it must read
  };
  const std::vector<Case> cases{
      {"@include extra", "/etc/sudoers.d/extra"},
      {"#include extra", "/etc/sudoers.d/extra"},
      // Named as sudo names it; the host resolves the "..".
      {"@include ../sudoers.local", "/etc/sudoers.d/../sudoers.local"},
      {"@include /opt/sudo/rules", "/opt/sudo/rules"},
      {"@include \"/opt/my rules\"", "/opt/my rules"},
      {"@include /opt/my\\ rules", "/opt/my rules"},
      {"  @include extra   # trailing comment", "/etc/sudoers.d/extra"},
      {"@include\textra", "/etc/sudoers.d/extra"},
  };
  for (const auto& c : cases) {
    INFO("directive: " << c.directive);
    MemFs fs;
    fs.files["/etc/sudoers"] = "#include sudoers.d/base\n";
    fs.files["/etc/sudoers.d/base"] = c.directive + "\n";
    fs.files[c.target] = "alice ALL = /bin/true\n";
    auto s = eval(fs);
    REQUIRE(s.rules.size() == 1);
    CHECK(s.rules[0].file == c.target);
    CHECK(s.issues.empty());
  }
}

TEST_CASE("'#' is a comment except #include at line start and uids", "[sudoers]") {
  MemFs fs;
  fs.files["/etc/sudoers"] =
      " #include /etc/indented\n"  // indented: a comment in sudo
      "#includedir_x /etc/x\n"     // no blank after the word: a comment
      "#include/etc/nospace\n"     // likewise
      "#0 ALL = (#0) /bin/ls # comment\n"
      "%#1000 ALL = ALL\n"
      "bob ALL = /bin/echo a\\#b\n";
  fs.files["/etc/indented"] = "evil ALL = ALL\n";
  auto s = eval(fs);
  REQUIRE(s.rules.size() == 3);
  CHECK(s.rules[0].users == "#0");
  CHECK(s.rules[0].runas == "#0");
  CHECK(s.rules[0].command == "/bin/ls");
  CHECK(s.rules[0].line == 4);
  CHECK(s.rules[1].users == "%#1000");
  CHECK(s.rules[2].command == "/bin/echo a\\#b");
  CHECK(s.files == std::vector<std::string>{"/etc/sudoers"});
  CHECK(s.issues.empty());
}

TEST_CASE("continuation lines, CRLF and comments that swallow a backslash", "[sudoers]") {
  auto s = parse(
      "alice ALL = /bin/a, \\\r\n"
      "      /bin/b,\\  \n"
      "  /bin/c\r\n"
      "# a comment ending in a backslash \\\n"
      "bob ALL = /bin/d # so does this one \\\n"
      "carol ALL = /bin/e\n"
      "Defaults env_keep += \"A \\\n"
      "     B\"\n");
  CHECK(commands(s) == std::vector<std::string>{"/bin/a", "/bin/b", "/bin/c", "/bin/d", "/bin/e"});
  CHECK(s.rules[2].line == 1);
  CHECK(s.rules[3].users == "bob");
  CHECK(s.rules[3].line == 5);
  CHECK(s.rules[4].line == 6);
  REQUIRE(s.defaults.size() == 1);
  CHECK(s.defaults[0].value == "A B");
  CHECK(s.defaults[0].line == 7);
  CHECK(s.issues.empty());
}

TEST_CASE("tags and Runas carry over within a command list", "[sudoers]") {
  struct Want {
    std::string command;
    std::optional<std::string> runas;
    std::string tags;
    bool nopasswd;
  };
  struct Case {
    std::string spec;
    std::vector<Want> rows;
  };
  const std::vector<Case> cases{
      {"u ALL = NOPASSWD: /bin/a, /bin/b, PASSWD: /bin/c",
       {{"/bin/a", std::nullopt, "NOPASSWD", true},
        {"/bin/b", std::nullopt, "NOPASSWD", true},
        {"/bin/c", std::nullopt, "PASSWD", false}}},
      {"u ALL = (root) NOPASSWD:NOEXEC: /bin/a, (ALL : wheel) /bin/b, EXEC: /bin/c",
       {{"/bin/a", "root", "NOPASSWD,NOEXEC", true},
        {"/bin/b", "ALL : wheel", "NOPASSWD,NOEXEC", true},
        {"/bin/c", "ALL : wheel", "NOPASSWD,EXEC", true}}},
      {"u ALL = (www-data) SETENV: LOG_INPUT: /usr/bin/a, !/usr/bin/b",
       {{"/usr/bin/a", "www-data", "SETENV,LOG_INPUT", false},
        {"!/usr/bin/b", "www-data", "SETENV,LOG_INPUT", false}}},
      // A ':' starts a new host list with a fresh state.
      {"u web1 = NOPASSWD: /bin/a : db1 = /bin/b",
       {{"/bin/a", std::nullopt, "NOPASSWD", true}, {"/bin/b", std::nullopt, "", false}}},
      {"u ALL = (:adm) NOPASSWD : sha256:0123abcd /bin/a, sudoedit /etc/hosts, ALL",
       {{"sha256:0123abcd /bin/a", ":adm", "NOPASSWD", true},
        {"sudoedit /etc/hosts", ":adm", "NOPASSWD", true},
        {"ALL", ":adm", "NOPASSWD", true}}},
      {"u ALL = () /bin/a\\, b, /usr/bin/kill -HUP 1",
       {{"/bin/a\\, b", "", "", false}, {"/usr/bin/kill -HUP 1", "", "", false}}},
  };
  for (const auto& c : cases) {
    INFO("spec: " << c.spec);
    auto s = parse(c.spec + "\n");
    CHECK(s.issues.empty());
    REQUIRE(s.rules.size() == c.rows.size());
    for (std::size_t i = 0; i < c.rows.size(); ++i) {
      INFO("row " << i);
      CHECK(s.rules[i].command == c.rows[i].command);
      CHECK(s.rules[i].runas == c.rows[i].runas);
      CHECK(s.rules[i].tags == c.rows[i].tags);
      CHECK(s.rules[i].nopasswd == c.rows[i].nopasswd);
    }
  }
  auto hosts = parse("u web1 = /bin/a : db1, db2 = /bin/b\n");
  REQUIRE(hosts.rules.size() == 2);
  CHECK(hosts.rules[0].hosts == "web1");
  CHECK(hosts.rules[1].hosts == "db1, db2");
}

TEST_CASE("user and host lists are kept as written, aliases not expanded", "[sudoers]") {
  auto s = parse(
      "User_Alias ADMINS = alice, %wheel, !mallory : OPS = bob\n"
      "Cmd_Alias  SHELLS = /bin/sh, /bin/bash\n"
      "Cmnd_Alias PKG = sha224:abcd /usr/bin/apt\n"
      "Host_Alias WEB = web1, 10.0.0.0/8\n"
      "Runas_Alias DBA = postgres, #999\n"
      "ADMINS, OPS   WEB = (DBA) CWD=/srv TIMEOUT=5m SHELLS\n"
      "\"%domain users\" ALL = ALL\n");
  CHECK(s.issues.empty());
  struct Want {
    std::string kind, name, members;
    int line;
  };
  const std::vector<Want> want{
      {"User_Alias", "ADMINS", "alice, %wheel, !mallory", 1},
      {"User_Alias", "OPS", "bob", 1},
      {"Cmnd_Alias", "SHELLS", "/bin/sh, /bin/bash", 2},
      {"Cmnd_Alias", "PKG", "sha224:abcd /usr/bin/apt", 3},
      {"Host_Alias", "WEB", "web1, 10.0.0.0/8", 4},
      {"Runas_Alias", "DBA", "postgres, #999", 5},
  };
  REQUIRE(s.aliases.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO("alias " << want[i].name);
    CHECK(s.aliases[i].kind == want[i].kind);
    CHECK(s.aliases[i].name == want[i].name);
    CHECK(s.aliases[i].members == want[i].members);
    CHECK(s.aliases[i].line == want[i].line);
  }
  REQUIRE(s.rules.size() == 2);
  CHECK(s.rules[0].users == "ADMINS, OPS");
  CHECK(s.rules[0].hosts == "WEB");
  CHECK(s.rules[0].runas == "DBA");
  CHECK(s.rules[0].options == "CWD=/srv TIMEOUT=5m");
  CHECK(s.rules[0].command == "SHELLS");
  CHECK(s.rules[1].users == "\"%domain users\"");
}

TEST_CASE("Defaults forms", "[sudoers]") {
  struct Want {
    std::string scope, name;
    std::optional<std::string> value;
    bool negated;
    std::string op;
  };
  struct Case {
    std::string line;
    std::vector<Want> rows;
  };
  const std::vector<Case> cases{
      {"Defaults use_pty", {{"", "use_pty", std::nullopt, false, ""}}},
      {"Defaults\t!authenticate", {{"", "authenticate", std::nullopt, true, ""}}},
      {"Defaults !!lecture", {{"", "lecture", std::nullopt, false, ""}}},
      {"Defaults logfile=\"/var/log/sudo.log\"", {{"", "logfile", "/var/log/sudo.log", false, "="}}},
      {"Defaults env_reset, mail_badpass, secure_path=\"/usr/sbin:/usr/bin\"",
       {{"", "env_reset", std::nullopt, false, ""},
        {"", "mail_badpass", std::nullopt, false, ""},
        {"", "secure_path", "/usr/sbin:/usr/bin", false, "="}}},
      {"Defaults:%sudo env_keep += \"http_proxy, https_proxy\"",
       {{":%sudo", "env_keep", "http_proxy, https_proxy", false, "+="}}},
      {"Defaults:alice , bob   !requiretty", {{":alice,bob", "requiretty", std::nullopt, true, ""}}},
      {"Defaults@web1 passwd_tries=5", {{"@web1", "passwd_tries", "5", false, "="}}},
      {"Defaults>root env_delete -= PATH", {{">root", "env_delete", "PATH", false, "-="}}},
      {"Defaults!/usr/bin/less noexec", {{"!/usr/bin/less", "noexec", std::nullopt, false, ""}}},
      {"Defaults secure_path=/usr/sbin:/usr/bin", {{"", "secure_path", "/usr/sbin:/usr/bin", false, "="}}},
      {"Defaults badpass_message=\"say \\\"please\\\"\"",
       {{"", "badpass_message", "say \"please\"", false, "="}}},
  };
  for (const auto& c : cases) {
    INFO("line: " << c.line);
    auto s = parse(c.line + "\n");
    CHECK(s.issues.empty());
    REQUIRE(s.defaults.size() == c.rows.size());
    for (std::size_t i = 0; i < c.rows.size(); ++i) {
      CHECK(s.defaults[i].scope == c.rows[i].scope);
      CHECK(s.defaults[i].name == c.rows[i].name);
      CHECK(s.defaults[i].value == c.rows[i].value);
      CHECK(s.defaults[i].negated == c.rows[i].negated);
      CHECK(s.defaults[i].op == c.rows[i].op);
      CHECK(s.defaults[i].line == 1);
    }
  }
}

TEST_CASE("only global Defaults decide authenticate, the last one wins", "[sudoers]") {
  CHECK(parse("u ALL = ALL\n").authenticate());
  CHECK_FALSE(parse("Defaults !authenticate\n").authenticate());
  CHECK(parse("Defaults !authenticate\nDefaults authenticate\n").authenticate());
  CHECK(parse("Defaults:alice !authenticate\n").authenticate());
}

TEST_CASE("lines sudo rejects are issues and skipped, the rest is kept", "[sudoers]") {
  const std::string bad = GENERATE("alice ALL /bin/ls", "alice ALL = ", "alice ALL = (root /bin/ls",
                                   "Defaults", "Defaults env_reset mail_badpass", "Defaults !env_keep=\"A\"",
                                   "Defaults logfile=", "Defaults:", "Cmnd_Alias lower = /bin/ls",
                                   "User_Alias X =", "alice ALL = /bin/a,", "\"unterminated ALL = ALL",
                                   "@include", "@include \"/etc/open", "alice ALL = ^/bin/[a-z]+");
  INFO("line: " << bad);
  auto s = parse(bad + "\nbob ALL = /bin/ok\n");
  REQUIRE(s.rules.size() == 1);
  CHECK(s.rules[0].users == "bob");
  CHECK(s.defaults.empty());
  CHECK(s.aliases.empty());
  REQUIRE(s.issues.size() == 1);
  CHECK(s.issues[0].line == 1);
}

TEST_CASE("include loops, fan-out and unreadable included files are errors", "[sudoers]") {
  MemFs loop;
  loop.files["/etc/sudoers"] = "root ALL = ALL\n@include /etc/sudoers.d/a\n";
  loop.files["/etc/sudoers.d/a"] = "\n@include a\n";
  auto l = run(loop);
  REQUIRE_FALSE(l.ok());
  CHECK(l.error().code == Errc::loop);
  CHECK_THAT(l.error().message, Catch::Contains("/etc/sudoers.d/a:2"));

  MemFs self;
  self.files["/etc/sudoers"] = "@includedir /etc\n";
  self.files["/etc/sudoers2"] = "u ALL = ALL\n";
  auto sl = run(self);
  REQUIRE_FALSE(sl.ok());
  CHECK(sl.error().code == Errc::loop);

  MemFs wide;
  wide.files["/etc/sudoers"] = "@includedir /etc/d\n@includedir /etc/d\n";
  for (int i = 0; i < 600; ++i) wide.files["/etc/d/f" + std::to_string(i)] = "";
  auto w = run(wide);
  REQUIRE_FALSE(w.ok());
  CHECK(w.error().code == Errc::too_large);

  const Errc code = GENERATE(Errc::not_regular, Errc::too_large, Errc::io);
  MemFs fs;
  fs.files["/etc/sudoers"] = "\n@include /etc/sudoers.local\n";
  fs.broken["/etc/sudoers.local"] = code;
  auto r = run(fs);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == code);
  CHECK_THAT(r.error().message, Catch::Contains("/etc/sudoers:2") && Catch::Contains("/etc/sudoers.local"));
}

TEST_CASE("absent includes are facts: a warning, not an error", "[sudoers]") {
  MemFs fs;
  fs.files["/etc/sudoers"] =
      "@include /etc/nope\n@includedir /etc/nodir\n#include /etc/%h.conf\nu ALL = ALL\n";
  auto s = eval(fs);
  CHECK(s.rules.size() == 1);
  CHECK(has_issue(s, "/etc/sudoers", 1, "/etc/nope is absent"));
  CHECK(has_issue(s, "/etc/sudoers", 2, "sudo ignores it"));
  CHECK(has_issue(s, "/etc/sudoers", 3, "%h"));

  fs.files["/etc/web1.conf"] = "w ALL = ALL\n";
  auto h = evaluate_sudoers(fs.loader<SudoersLoader>(), kSudoersPath, "web1");
  REQUIRE(h.ok());
  CHECK(h->rules.size() == 2);
  CHECK(h->rules[0].file == "/etc/web1.conf");

  MemFs none;
  auto n = run(none);
  REQUIRE(n.ok());
  CHECK_FALSE(n->main_file_found);
}

TEST_CASE("sudoers tables on a stock Debian 12 host", "[sudoers]") {
  const auto root = vigil::test::fixture_host("sudoers-debian12");
  auto rules = vigil::test::collect_ok(root, "sudoers_rules");
  CHECK(rules.warnings.empty());
  REQUIRE(rules.rows.size() == 2);
  CHECK(rules.text(0, "users") == "root");
  CHECK(rules.text(1, "users") == "%sudo");
  CHECK(rules.text(1, "hosts") == "ALL");
  CHECK(rules.text(1, "runas") == "ALL:ALL");
  CHECK(rules.text(1, "command") == "ALL");
  CHECK(rules.text(1, "tags") == "");
  CHECK(rules.integer(1, "nopasswd") == 0);
  CHECK(rules.integer(1, "authenticate") == 1);
  CHECK(rules.text(1, "file") == "/etc/sudoers");
  CHECK(rules.integer(1, "line") == 50);

  auto defaults = vigil::test::collect_ok(root, "sudoers_defaults");
  REQUIRE(defaults.rows.size() == 4);
  CHECK(defaults.text(3, "name") == "use_pty");
  CHECK(defaults.is_null(3, "value"));
  CHECK(defaults.is_null(3, "operator"));
  CHECK(defaults.text(3, "scope") == "");
  CHECK(defaults.integer(3, "line") == 15);
  CHECK(defaults.text(2, "value") == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  CHECK(defaults.text(2, "operator") == "=");

  CHECK(vigil::test::collect_ok(root, "sudoers_aliases").rows.empty());
}

TEST_CASE("sudoers tables on a risky host", "[sudoers]") {
  const auto root = vigil::test::fixture_host("sudoers-risky");
  auto rules = vigil::test::collect_ok(root, "sudoers_rules");
  const auto ops = rules.rows_where("users", "%ops");
  REQUIRE(ops.size() == 1);
  CHECK(rules.text(ops[0], "command") == "ALL");
  CHECK(rules.integer(ops[0], "nopasswd") == 1);
  CHECK(rules.text(ops[0], "file") == "/etc/sudoers.d/ops");
  CHECK(rules.integer(ops[0], "line") == 6);
  for (std::size_t i = 0; i < rules.rows.size(); ++i) CHECK(rules.integer(i, "authenticate") == 0);
  const auto deploy = rules.rows_where("users", "deploy");
  REQUIRE(deploy.size() == 2);
  CHECK(rules.text(deploy[0], "command") == "PKG");
  CHECK(rules.integer(deploy[0], "nopasswd") == 1);
  CHECK(rules.integer(deploy[1], "nopasswd") == 0);
  // The editor backup would make every user root; sudo never reads it.
  CHECK(rules.rows_where("users", "ALL").empty());
  CHECK(rules.warned("/etc/sudoers.d/backup.conf~", "skipped"));
  CHECK(rules.warned("/etc/sudoers.d/ops.dpkg-old", "skipped"));

  auto aliases = vigil::test::collect_ok(root, "sudoers_aliases");
  REQUIRE(aliases.rows.size() == 1);
  CHECK(aliases.text(0, "members") == "/usr/bin/apt, /usr/bin/apt-get, /usr/bin/dpkg");
  auto defaults = vigil::test::collect_ok(root, "sudoers_defaults");
  const auto scoped = defaults.rows_where("scope", ":%ops");
  REQUIRE(scoped.size() == 2);
  CHECK(defaults.text(scoped[1], "value") == "SSH_AUTH_SOCK");
  for (auto r : scoped) CHECK(defaults.integer(r, "effective") == 0);  // scoped entries are never global
}

TEST_CASE("sudoers_defaults: the last global entry of a name is effective", "[sudoers]") {
  vigil::test::TempDir dir;
  dir.write("etc/sudoers",
            "Defaults use_pty\nDefaults:ops !use_pty\n@includedir /etc/sudoers.d\nDefaults logfile=/a\n");
  dir.write("etc/sudoers.d/zz", "Defaults !use_pty, logfile=\"/var/log/sudo.log\"\n");
  auto d = vigil::test::collect_ok(dir.path(), "sudoers_defaults");
  // file order: use_pty, :ops !use_pty, (sudoers.d/zz) !use_pty, logfile, (back) logfile=/a
  REQUIRE(d.rows.size() == 5);
  const std::vector<std::int64_t> effective{0, 0, 1, 0, 1};
  for (std::size_t i = 0; i < d.rows.size(); ++i) {
    INFO(i);
    CHECK(d.integer(i, "effective") == effective[i]);
  }
  CHECK(d.integer(2, "negated") == 1);
  CHECK(d.text(2, "file") == "/etc/sudoers.d/zz");
  CHECK(d.text(4, "value") == "/a");
}

TEST_CASE("a fifo in an includedir is skipped as sudo skips it, included by name it is an error",
          "[sudoers]") {
  vigil::test::TempDir dir;
  dir.write("etc/sudoers", "@includedir /etc/sudoers.d\n");
  dir.write("etc/sudoers.d/ops", "ops ALL = ALL\n");
  const std::string fifo = dir.path() + "/etc/sudoers.d/pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto t = vigil::test::collect_ok(dir.path(), "sudoers_rules");
  CHECK(t.rows.size() == 1);
  CHECK(t.warned("/etc/sudoers.d/pipe", "not a regular file"));

  dir.write("etc/sudoers", "root ALL = ALL\n@include /etc/sudoers.d/pipe\n");
  auto e = vigil::test::collect_table(dir.path(), "sudoers_rules");
  REQUIRE_FALSE(e.status.ok());
  CHECK(e.status.error().code == Errc::not_regular);
  CHECK_THAT(e.status.error().message, Catch::Contains("/etc/sudoers:2") && Catch::Contains("pipe"));
  CHECK_FALSE(vigil::test::collect_table(dir.path(), "sudoers_defaults").status.ok());
}

TEST_CASE("an absent /etc/sudoers is zero rows and a warning", "[sudoers]") {
  vigil::test::TempDir dir;
  dir.mkdir("etc");
  for (const char* table : {"sudoers_rules", "sudoers_defaults", "sudoers_aliases"}) {
    auto t = vigil::test::collect_ok(dir.path(), table);
    CHECK(t.rows.empty());
    CHECK(t.warned("/etc/sudoers", "absent"));
  }
}
