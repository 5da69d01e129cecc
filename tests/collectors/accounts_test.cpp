// Tests of the passwd/shadow/group parsers and of the `users` and `groups`
// tables over fixture host trees.
#include "accounts.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collector.hpp"
#include "host.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;

namespace {

using namespace std::string_literals;

// A users or groups table, with rows looked up by their `name`.
struct Table : vigil::test::CollectedTable {
  // Index of the first row whose `name` is name; fails the test when absent.
  std::size_t find(std::string_view name) const {
    const auto found = rows_where("name", name);
    if (found.empty()) FAIL("no row named " << name);
    return found.empty() ? 0 : found.front();
  }
};

Table collect(const std::string& root, const std::string& table) {
  return {vigil::test::collect_ok(root, table)};
}

}  // namespace

TEST_CASE("password_state and hash_algorithm classify every kind of field", "[accounts]") {
  struct Case {
    std::string field;
    const char* state;
    const char* algorithm;
  };
  const std::vector<Case> cases{
      {"", "empty", ""},
      {"*", "none", ""},
      {"!", "none", ""},
      {"!!", "none", ""},
      {"!*", "none", ""},
      {"*LK*", "none", ""},
      {"x", "none", ""},
      {"!$6$", "none", ""},  // a prefix alone is no hash
      {"$y$j9T$abc$def", "hashed", "yescrypt"},
      {"$gy$j9T$abc$def", "hashed", "gost-yescrypt"},
      {"$7$CU..../....abc$def", "hashed", "scrypt"},
      {"$2a$10$abcdefghijklmnopqrstuv", "hashed", "bcrypt"},
      {"$2b$10$abcdefghijklmnopqrstuv", "hashed", "bcrypt"},
      {"$2y$10$abcdefghijklmnopqrstuv", "hashed", "bcrypt"},
      {"$6$salt$hash", "hashed", "sha512"},
      {"$5$salt$hash", "hashed", "sha256"},
      {"$1$salt$hash", "hashed", "md5"},
      {"$sha1$40000$salt$hash", "hashed", "sha1"},
      {"$md5,rounds=5000$salt$hash", "hashed", "sunmd5"},
      {"$3$$8846f7eaee8fb117ad06bdd830b7586c", "hashed", "nt"},
      {"_J9..abcdEFGH1234567", "hashed", "bsdicrypt"},
      {"abJnggxhB/yWI", "hashed", "des"},
      {"abJnggxhB/yW", "none", ""},  // 12 characters: not DES
      {"abJnggxhB/yW!", "none", ""},
      {"$argon2id$v=19$m=65536$abc", "hashed", "unknown"},
      {"$NOT AN ID$x", "none", ""},
      {"!$6$salt$hash", "locked", "sha512"},
      {"!!$y$j9T$abc$def", "locked", "yescrypt"},
      {"!abJnggxhB/yWI", "locked", "des"},
      {"!\xff\xfe", "none", ""},
  };
  for (const auto& c : cases) {
    INFO("field: " << c.field);
    CHECK(password_state(c.field) == c.state);
    CHECK(hash_algorithm(c.field) == c.algorithm);
  }
}

TEST_CASE("is_login_shell knows the fixed-program shells", "[accounts]") {
  for (const char* s : {"/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false", "/bin/sync"}) {
    INFO(s);
    CHECK_FALSE(is_login_shell(s));
  }
  for (const char* s : {"", "/bin/sh", "/bin/bash", "/usr/bin/zsh"}) {
    INFO(s);
    CHECK(is_login_shell(s));
  }
}

TEST_CASE("parse_passwd reads well-formed lines", "[accounts]") {
  std::vector<ParseIssue> issues;
  auto e = parse_passwd(
      "root:x:0:0:root:/root:/bin/bash\r\n"
      "\n"
      "# comment\n"
      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
      "max:x:4294967295:0:::\n"
      "utf:x:7:7:\xc3\xa9t\xff:/h:/bin/sh",
      &issues);
  CHECK(issues.empty());
  REQUIRE(e.size() == 4);
  CHECK(e[0].name == "root");
  CHECK(e[0].shell == "/bin/bash");  // CR of CRLF dropped
  CHECK(e[0].line == 1);
  CHECK(e[1].uid == 65534);
  CHECK(e[1].line == 4);
  CHECK(e[2].uid == 4294967295u);
  CHECK(e[2].gecos.empty());
  CHECK(e[2].home.empty());
  CHECK(e[2].shell.empty());             // trailing empty fields are fields
  CHECK(e[3].gecos == "\xc3\xa9t\xff");  // raw bytes kept
  CHECK(e[3].line == 6);
}

TEST_CASE("parse_passwd skips or keeps odd lines as glibc does", "[accounts]") {
  struct Case {
    std::string text;
    bool kept;           // glibc resolves the line to an account
    std::uint32_t uid;   // when kept
    std::string shell;   // when kept
    std::string reason;  // part of the issue; "" = no issue
  };
  const std::vector<Case> cases{
      {"a:x:0:0:g:/root", true, 0, "", "6 fields instead of 7"},
      {"a:x:0:0", true, 0, "", "4 fields instead of 7"},
      {"a:x:0", false, 0, "", "3 fields"},
      {"a", false, 0, "", "1 fields"},
      {"a:x:1:1:g:/h:/bin/sh:x", true, 1, "/bin/sh:x", "8 fields instead of 7"},
      {"a:x:abc:1:g:/h:/bin/sh", false, 0, "", "uid of 'a' is not a number"},
      {"a:x::1:g:/h:/bin/sh", false, 0, "", "uid of 'a' is not a number"},
      {"a:x:1:1x:g:/h:/bin/sh", false, 0, "", "gid of 'a' is not a number"},
      {"a:x:4294967296:1:g:/h:/bin/sh", false, 0, "", "not a number from 0 to 4294967295"},
      {"a:x:99999999999999999999999:1:g:/h:/bin/sh", false, 0, "", "not a number"},
      {"a:x:-1:1:g:/h:/bin/sh", false, 0, "", "not a number"},
      {"a:x:0 :1:g:/h:/bin/sh", false, 0, "", "not a number"},
      {"a:x: 0:1:g:/h:/bin/sh", true, 0, "/bin/sh", "read as 0"},
      {"a:x:+0:1:g:/h:/bin/sh", true, 0, "/bin/sh", "read as 0"},
      {"a:x:-0:1:g:/h:/bin/sh", true, 0, "/bin/sh", "read as 0"},
      {"a:x:007:1:g:/h:/bin/sh", true, 7, "/bin/sh", "read as 7"},
      {"a:x:1:1:g:/h:/bin/sh\0junk"s, true, 1, "/bin/sh", "NUL byte"},
      {"a\0:x:1:1:g:/h:/bin/sh"s, false, 0, "", "NUL byte"},
      {"+::::::", false, 0, "", "NIS compat entry '+'"},
      {"+@admins::::::", false, 0, "", "NIS compat entry '+@admins'"},
      {"-baduser", false, 0, "", "NIS compat entry '-baduser'"},
      {"a:x:1:1:" + std::string(70000, 'g') + ":/h:/bin/sh", false, 0, "", "longer than 65536"},
      {"a:x:1:1:g:/h:/bin/sh\r", true, 1, "/bin/sh", ""},
      {"a:x:1:1:::", true, 1, "", ""},
  };
  for (const auto& c : cases) {
    INFO("line: " << c.text);
    std::vector<ParseIssue> issues;
    auto e = parse_passwd(c.text + "\nok:x:9:9::/:/bin/sh\n", &issues);
    // A bad line never takes the next good one with it.
    REQUIRE(!e.empty());
    CHECK(e.back().name == "ok");
    CHECK(e.back().line == 2);
    REQUIRE(e.size() == (c.kept ? 2u : 1u));
    if (c.kept) {
      CHECK(e[0].uid == c.uid);
      CHECK(e[0].shell == c.shell);
    }
    if (c.reason.empty()) {
      CHECK(issues.empty());
    } else {
      // A NUL can leave a line too short as well: both are told.
      REQUIRE(!issues.empty());
      CHECK(issues.size() <= 2);
      CHECK_THAT(issues[0].message, Catch::Contains(c.reason));
      for (const auto& i : issues) CHECK(i.line == 1);
    }
  }
}

TEST_CASE("parse_shadow reads aging fields, empty as absent", "[accounts]") {
  std::vector<ParseIssue> issues;
  auto e = parse_shadow(
      "root:$y$j9T$a$b:19500:0:99999:7:::\r\n"
      "alice:!$6$s$h:19600:1:90:14:30:20000:\n"
      "svc:*:::::::\n"
      "zero:x:0:0:0:0:0:0:0",
      &issues);
  CHECK(issues.empty());
  REQUIRE(e.size() == 4);
  CHECK(e[0].hash == "$y$j9T$a$b");
  CHECK(e[0].last_change == 19500);
  CHECK(e[0].min_days == 0);
  CHECK(e[0].max_days == 99999);
  CHECK(e[0].warn_days == 7);
  CHECK_FALSE(e[0].inactive_days.has_value());
  CHECK_FALSE(e[0].expire_date.has_value());
  CHECK(e[1].inactive_days == 30);
  CHECK(e[1].expire_date == 20000);
  CHECK(e[1].line == 2);
  for (auto* f : {&e[2].last_change, &e[2].min_days, &e[2].max_days, &e[2].warn_days, &e[2].inactive_days,
                  &e[2].expire_date}) {
    CHECK_FALSE(f->has_value());
  }
  CHECK(e[3].last_change == 0);  // 0 = must change, not absent
  CHECK(e[3].expire_date == 0);
}

TEST_CASE("parse_shadow skips malformed lines without quoting them", "[accounts]") {
  struct Case {
    std::string text;
    std::string reason;
  };
  const std::vector<Case> cases{
      {"a:$6$secret$hash:19500:0:99999:7::", "8 fields instead of 9"},
      {"a:$6$secret$hash", "2 fields instead of 9"},
      {"a:$6$secret$hash:19500:0:99999:7::::", "10 fields instead of 9"},
      {"a:$6$secret$hash:abc:0:99999:7:::", "field 3 is not a number"},
      {"a:$6$secret$hash:19500:0:99999:7:::x", "field 9 is not a number"},
      {"a:$6$secret$hash:-5:0:99999:7:::", "field 3 is not a number"},
      {"+", "NIS compat entry"},
      {"a:$6$secret$hash:19500:0:99999:7:::\0x"s, "NUL byte"},
  };
  for (const auto& c : cases) {
    INFO("line: " << c.text);
    std::vector<ParseIssue> issues;
    auto e = parse_shadow(c.text + "\nok:*:1:2:3:4:5:6:\n", &issues);
    REQUIRE(!e.empty());
    CHECK(e.back().name == "ok");
    REQUIRE(!issues.empty());
    CHECK(issues[0].line == 1);
    CHECK_THAT(issues[0].message, Catch::Contains(c.reason));
    CHECK_THAT(issues[0].message, !Catch::Contains("secret"));
  }
}

TEST_CASE("parse_group reads members as glibc does", "[accounts]") {
  std::vector<ParseIssue> issues;
  auto g = parse_group(
      "root:x:0:\n"
      "adm:x:4:syslog,alice\r\n"
      "sudo:x:27: alice, ,bob,\n"
      "short:x:5\n"
      "odd:x:8:a:b\n"
      "bad:x:zz:alice\n"
      "+:::\n",
      &issues);
  REQUIRE(g.size() == 5);
  CHECK(g[0].members.empty());
  CHECK((g[1].members == std::vector<std::string>{"syslog", "alice"}));
  CHECK((g[2].members == std::vector<std::string>{"alice", "bob"}));
  CHECK(g[3].gid == 5);
  CHECK(g[3].members.empty());
  CHECK((g[4].members == std::vector<std::string>{"a:b"}));
  REQUIRE(issues.size() == 3);
  CHECK(issues[0].line == 4);
  CHECK(issues[1].line == 6);
  CHECK_THAT(issues[1].message, Catch::Contains("gid of 'bad'"));
  CHECK(issues[2].line == 7);
}

TEST_CASE("users table over accounts-mixed", "[accounts]") {
  auto t = collect(vigil::test::fixture_host("accounts-mixed"), "users");
  REQUIRE(t.rows.size() == 11);  // 14 lines: a comment, a bad gid and a '+' entry are not rows

  struct Expect {
    const char* name;
    std::int64_t uid;
    std::int64_t login_shell;
    const char* state;
    const char* source;
    const char* algorithm;
  };
  const std::vector<Expect> expected{
      {"root", 0, 1, "hashed", "shadow", "yescrypt"}, {"daemon", 1, 0, "none", "shadow", ""},
      {"sync", 4, 0, "none", "shadow", ""},           {"toor", 0, 1, "hashed", "shadow", "sha512"},
      {"guest", 1001, 1, "empty", "shadow", ""},      {"alice", 1000, 1, "hashed", "shadow", "yescrypt"},
      {"bob", 1002, 1, "locked", "shadow", "sha512"}, {"sshd", 105, 0, "none", "shadow", ""},
      {"legacy", 1003, 1, "hashed", "passwd", "md5"}, {"ghost", 1005, 1, "none", "missing", ""},
  };
  for (const auto& x : expected) {
    INFO("user " << x.name);
    auto r = t.find(x.name);
    CHECK(t.integer(r, "uid") == x.uid);
    CHECK(t.integer(r, "login_shell") == x.login_shell);
    CHECK(t.text(r, "password_state") == x.state);
    CHECK(t.text(r, "password_source") == x.source);
    CHECK(t.text(r, "hash_algorithm") == x.algorithm);
    CHECK(t.text(r, "file") == "/etc/passwd");
  }

  auto alice = t.find("alice");
  CHECK(t.text(alice, "gecos") == "Alice Example,,,");
  CHECK(t.text(alice, "home") == "/home/alice");
  CHECK(t.integer(alice, "line") == 8);
  CHECK(t.integer(alice, "shadow_line") == 7);
  CHECK(t.integer(alice, "last_change") == 19600);
  CHECK(t.integer(alice, "min_days") == 1);
  CHECK(t.integer(alice, "max_days") == 90);
  CHECK(t.integer(alice, "warn_days") == 14);
  CHECK(t.integer(alice, "inactive_days") == 30);
  CHECK(t.integer(alice, "expire_date") == 20000);

  auto sshd = t.find("sshd");
  CHECK(t.integer(sshd, "last_change") == 19500);
  CHECK(t.is_null(sshd, "min_days"));
  CHECK(t.is_null(sshd, "expire_date"));

  auto ghost = t.find("ghost");
  CHECK(t.is_null(ghost, "shadow_line"));
  CHECK(t.is_null(ghost, "last_change"));

  // A hash in passwd still takes its aging from shadow.
  auto legacy = t.find("legacy");
  CHECK(t.text(legacy, "shell").empty());
  CHECK(t.integer(legacy, "shadow_line") == 10);

  CHECK(t.warned("/etc/passwd:12", "gid of 'broken'"));
  CHECK(t.warned("/etc/passwd:14", "NIS compat entry '+@netadmins'"));
  for (const auto& w : t.warnings) CHECK_THAT(w.message, !Catch::Contains("$"));  // no hash leaks
}

TEST_CASE("users table without shadow or passwd", "[accounts]") {
  vigil::test::TempDir dir;
  dir.mkdir("etc");
  {
    auto t = collect(dir.path(), "users");
    CHECK(t.rows.empty());
    CHECK(t.warned("/etc/passwd", "absent"));
  }
  dir.write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nold:abJnggxhB/yWI:5:5::/:\n");
  auto t = collect(dir.path(), "users");
  REQUIRE(t.rows.size() == 2);
  CHECK(t.text(0, "password_state") == "none");
  CHECK(t.text(0, "password_source") == "missing");
  CHECK(t.is_null(0, "shadow_line"));
  CHECK(t.text(1, "password_state") == "hashed");
  CHECK(t.text(1, "password_source") == "passwd");
  CHECK(t.text(1, "hash_algorithm") == "des");
  CHECK(t.warned("/etc/shadow", "absent"));
}

TEST_CASE("users table uses the first of duplicate shadow entries", "[accounts]") {
  vigil::test::TempDir dir;
  dir.write("etc/passwd", "a:x:1:1::/:/bin/sh\n");
  dir.write("etc/shadow", "a:!:1::::::\na::2::::::\n", 0600);
  auto t = collect(dir.path(), "users");
  REQUIRE(t.rows.size() == 1);
  CHECK(t.text(0, "password_state") == "none");
  CHECK(t.integer(0, "shadow_line") == 1);
  CHECK(t.warned("/etc/shadow:2", "duplicate entry 'a'"));
}

TEST_CASE("groups table over accounts-mixed", "[accounts]") {
  auto t = collect(vigil::test::fixture_host("accounts-mixed"), "groups");
  REQUIRE(t.rows.size() == 6);
  auto sudo = t.find("sudo");
  CHECK(t.integer(sudo, "gid") == 27);
  CHECK(t.text(sudo, "members") == "alice,bob");
  CHECK(t.integer(sudo, "member_count") == 2);
  CHECK(t.integer(sudo, "line") == 3);
  CHECK(t.text(sudo, "file") == "/etc/group");
  auto root = t.find("root");
  CHECK(t.text(root, "members").empty());
  CHECK(t.integer(root, "member_count") == 0);
  CHECK(t.warned("/etc/group:7", "gid of 'bad'"));
}

TEST_CASE("groups table on a host without /etc/group", "[accounts]") {
  vigil::test::TempDir dir;
  auto t = collect(dir.path(), "groups");
  CHECK(t.rows.empty());
  CHECK(t.warned("/etc/group", "absent"));
}
