// Tests of the dconf profile, keyfile, lock and GVariant readers (strings),
// of the lookup order (checked against dconf 0.40's `dconf read` on the same
// trees), and of the `dconf_settings` table over fixture and temporary roots.
#include "dconf.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collector.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;

namespace {

void set_mtime(const std::string& path, std::int64_t t) {
  struct timespec times[2] = {{static_cast<time_t>(t), 0}, {static_cast<time_t>(t), 0}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

const DconfSetting* effective(const DconfEvaluation& e, std::string_view path) {
  const DconfSetting* found = nullptr;
  for (const auto& s : e.settings) {
    if (s.path == path && s.effective) {
      CHECK(found == nullptr);
      found = &s;
    }
  }
  return found;
}

std::vector<DconfSource> profile(std::string_view text) {
  return parse_dconf_profile(text).sources;
}

DconfDbInput db(std::string name, std::vector<std::string> keyfiles, std::vector<std::string> locks = {}) {
  DconfDbInput d;
  for (std::size_t i = 0; i < keyfiles.size(); ++i)
    d.keyfiles.push_back({"/etc/dconf/db/" + name + ".d/" + std::to_string(i), keyfiles[i]});
  for (std::size_t i = 0; i < locks.size(); ++i)
    d.lockfiles.push_back({"/etc/dconf/db/" + name + ".d/locks/" + std::to_string(i), locks[i]});
  d.name = std::move(name);
  return d;
}

std::vector<std::size_t> rows_of(const vigil::test::CollectedTable& t, std::string_view path) {
  return t.rows_where("path", path);
}

}  // namespace

TEST_CASE("parse_dconf_profile reads source lines like dconf-engine-profile.c", "[dconf]") {
  auto p = parse_dconf_profile(
      "# comment\n  user-db:user  \nsystem-db:local # site "
      "policy\r\nsystem-db:site\n\nservice-db:keyfile/user\n"
      "file-db:/usr/share/gdm/greeter-dconf-defaults\nbogus-db:x\nsystem-db:\nuser-db\n");
  std::vector<std::string> got;
  for (const auto& s : p.sources) got.push_back(s.kind + ":" + s.name + "@" + std::to_string(s.line));
  CHECK(got == std::vector<std::string>{"user-db:user@2", "system-db:local@3", "system-db:site@4",
                                        "service-db:keyfile/user@6",
                                        "file-db:/usr/share/gdm/greeter-dconf-defaults@7"});
  REQUIRE(p.issues.size() == 3);
  CHECK(p.issues[0].line == 8);
  CHECK(p.issues[0].message.find("unknown dconf database description") != std::string::npos);
}

TEST_CASE("parse_dconf_keyfile: GKeyFile syntax and dconf update's checks", "[dconf]") {
  auto k = parse_dconf_keyfile(
      "# c\n[org/gnome/desktop/session]\nidle-delay=uint32 300\n  # indented comment\n"
      "[org/gnome/desktop/screensaver]\r\nlock-delay = uint32 30\r\nlock-enabled=true\n\n"
      "[org/gnome/desktop/session]\nidle-delay=uint32 600\n");
  REQUIRE_FALSE(k.error.has_value());
  std::vector<std::string> got;
  for (const auto& e : k.entries) got.push_back(e.path + "=" + e.value + "@" + std::to_string(e.line));
  CHECK(got == std::vector<std::string>{"/org/gnome/desktop/session/idle-delay=uint32 300@3",
                                        "/org/gnome/desktop/screensaver/lock-delay=uint32 30@6",
                                        "/org/gnome/desktop/screensaver/lock-enabled=true@7",
                                        "/org/gnome/desktop/session/idle-delay=uint32 600@10"});
  struct Bad {
    std::string text;
    int line;
    std::string part;
  };
  const std::vector<Bad> bad{
      {"idle-delay=uint32 1\n", 1, "before the first group"},
      {"[org/gnome]\nidle-delay uint32 5\n", 2, "not a key-value pair"},
      {"[/org/gnome/desktop/session/]\nidle-delay=uint32 11\n", 1, "invalid group name"},
      {"[org//gnome]\na=1\n", 1, "invalid group name"},
      {"[org/gnome]\na/b=1\n", 2, "invalid key name"},
      {"[org/gnome]\nidle-delay=uint32 abc\n", 2, "unknown keyword"},
      {"[org/gnome]\nx='unterminated\n", 2, "unterminated string"},
      {"[org/gnome\nx=1\n", 1, "not a group line"},
      {"[org/gnome]\n=1\n", 2, "empty key"},
  };
  for (const auto& b : bad) {
    INFO(b.text);
    auto r = parse_dconf_keyfile(b.text);
    REQUIRE(r.error.has_value());
    CHECK(r.error->line == b.line);
    CHECK(r.error->message.find(b.part) != std::string::npos);
  }
  // Garbage bytes are a refused file, never a crash.
  CHECK(parse_dconf_keyfile(std::string("\x00\xff\xfe[\x01", 5)).error.has_value());
}

TEST_CASE("parse_dconf_locks takes lines starting with '/', untrimmed", "[dconf]") {
  auto l = parse_dconf_locks("# c\n/org/gnome/desktop/session/idle-delay\n  /not/trimmed\n/crlf\r\n/last");
  REQUIRE(l.size() == 3);
  CHECK(l[0].path == "/org/gnome/desktop/session/idle-delay");
  CHECK(l[0].line == 2);
  CHECK(l[1].path == "/crlf\r");
  CHECK(l[2].path == "/last");
}

TEST_CASE("parse_gvariant_text infers types like g_variant_parse", "[dconf]") {
  struct Case {
    std::string text;
    bool valid;
    std::string type;
    std::optional<std::int64_t> integer;
  };
  const std::vector<Case> cases{
      {"uint32 300", true, "u", 300},
      {"  uint32   0 ", true, "u", 0},
      {"@u 900", true, "u", 900},
      {"300", true, "i", 300},
      {"-1", true, "i", -1},
      {"int32 -5", true, "i", -5},
      {"uint32 -1", false, "", std::nullopt},
      {"uint32 4294967296", false, "", std::nullopt},
      {"uint32 4294967295", true, "u", 4294967295},
      {"2147483648", false, "", std::nullopt},
      {"uint64 18446744073709551615", true, "t", std::nullopt},
      {"byte 255", true, "y", 255},
      {"0x1F", true, "i", 31},
      {"true", true, "b", 1},
      {"false", true, "b", 0},
      {"boolean true", true, "b", 1},
      {"uint32 true", false, "", std::nullopt},
      {"'24h'", true, "s", std::nullopt},
      {"\"x\"", true, "s", std::nullopt},
      {"3.5", true, "d", std::nullopt},
      {"double 1", true, "d", std::nullopt},
      {"['a', 'b']", true, "", std::nullopt},
      {"@as []", true, "", std::nullopt},
      {"yes", false, "", std::nullopt},
      {"", false, "", std::nullopt},
      {"uint32 abc", false, "", std::nullopt},
  };
  for (const auto& c : cases) {
    INFO("text: " << c.text);
    auto v = parse_gvariant_text(c.text);
    CHECK(v.valid == c.valid);
    if (!c.valid) continue;
    CHECK(v.type == c.type);
    CHECK(v.integer == c.integer);
  }
}

TEST_CASE("evaluate_dconf follows dconf_engine_read's order", "[dconf]") {
  // The tree checked with dconf 0.40: profile user, local, site.
  const auto p = profile("user-db:user\nsystem-db:local\nsystem-db:site\n");
  const std::vector<DconfDbInput> dbs{
      db("local",
         {"[org/gnome/desktop/session]\nidle-delay=uint32 900\n",
          "[org/gnome/desktop/screensaver]\nlock-delay=uint32 30\nlock-enabled=true\n",
          "[org/gnome/desktop/session]\nidle-delay=uint32 3\n"},
         {"/org/gnome/desktop/session/idle-delay\n"}),
      db("site",
         {"[org/gnome/desktop/session]\nidle-delay=uint32 1200\n[org/gnome/desktop/screensaver]\n"
          "lock-delay=uint32 99\nlock-enabled=false\n"},
         {"# c\n/org/gnome/desktop/screensaver/lock-delay\n"}),
  };
  auto e = evaluate_dconf(p, dbs);
  CHECK(e.issues.empty());
  // Locked in local: local's last file wins.
  const auto* idle = effective(e, "/org/gnome/desktop/session/idle-delay");
  REQUIRE(idle != nullptr);
  CHECK(idle->db == "local");
  CHECK(idle->value == "uint32 3");
  CHECK(idle->locked);
  CHECK(idle->locked_by == "local");
  CHECK_FALSE(idle->user_writable);
  // Locked in site, a later database: site's value, although local sets it (dconf read: uint32 99).
  const auto* delay = effective(e, "/org/gnome/desktop/screensaver/lock-delay");
  REQUIRE(delay != nullptr);
  CHECK(delay->db == "site");
  CHECK(delay->parsed.integer == 99);
  // Not locked: the first database sets it, the user may override.
  const auto* enabled = effective(e, "/org/gnome/desktop/screensaver/lock-enabled");
  REQUIRE(enabled != nullptr);
  CHECK(enabled->db == "local");
  CHECK(enabled->value == "true");
  CHECK(enabled->user_writable);
  CHECK_FALSE(enabled->locked);
  // Unset everywhere: the schema default.
  const auto* activation = effective(e, "/org/gnome/desktop/screensaver/idle-activation-enabled");
  REQUIRE(activation != nullptr);
  CHECK(activation->is_default);
  CHECK(activation->value == "true");
  CHECK(activation->user_writable);

  // Reversed profile order: local's lock still forces local's value, site now comes first otherwise.
  auto r = evaluate_dconf(profile("user-db:user\nsystem-db:site\nsystem-db:local\n"), dbs);
  CHECK(effective(r, "/org/gnome/desktop/session/idle-delay")->value == "uint32 3");
  CHECK(effective(r, "/org/gnome/desktop/screensaver/lock-delay")->value == "uint32 99");
  CHECK(effective(r, "/org/gnome/desktop/screensaver/lock-enabled")->value == "false");
}

TEST_CASE("evaluate_dconf: wrong types, profiles without the database, bad files", "[dconf]") {
  SECTION("a bare 300 is an int32: GSettings ignores it and uses the default") {
    auto e = evaluate_dconf(profile("user-db:user\nsystem-db:local\n"),
                            {db("local", {"[org/gnome/desktop/session]\nidle-delay=300\n"},
                                {"/org/gnome/desktop/session/idle-delay\n"})});
    const auto* idle = effective(e, "/org/gnome/desktop/session/idle-delay");
    REQUIRE(idle != nullptr);
    CHECK(idle->is_default);
    CHECK(idle->locked);  // dconf returns the locked int32; the user cannot set a right one
    for (const auto& s : e.settings) {
      if (s.db == "local") {
        CHECK(s.type_ok == false);
        CHECK(s.parsed.type == "i");
      }
    }
  }
  SECTION("the default profile uses no system database") {
    auto e = evaluate_dconf(profile("user-db:user\n"),
                            {db("local", {"[org/gnome/desktop/session]\nidle-delay=uint32 60\n"},
                                {"/org/gnome/desktop/session/idle-delay\n"})});
    const auto* idle = effective(e, "/org/gnome/desktop/session/idle-delay");
    REQUIRE(idle != nullptr);
    CHECK(idle->is_default);
    CHECK_FALSE(idle->locked);
    for (const auto& s : e.settings) {
      if (s.db == "local") CHECK_FALSE(s.in_profile);
    }
  }
  SECTION("a profile starting with a system-db is not writable, its locks ignored") {
    auto e = evaluate_dconf(profile("system-db:local\n"),
                            {db("local", {"[org/gnome/desktop/session]\nidle-delay=uint32 60\n"},
                                {"/org/gnome/desktop/session/idle-delay\n"})});
    const auto* idle = effective(e, "/org/gnome/desktop/session/idle-delay");
    REQUIRE(idle != nullptr);
    CHECK(idle->db == "local");
    CHECK_FALSE(idle->locked);
    CHECK_FALSE(idle->user_writable);
  }
  SECTION("a refused keyfile makes the database stale; CRLF locks lock nothing") {
    auto e = evaluate_dconf(
        profile("user-db:user\nsystem-db:local\nsystem-db:missing\n"),
        {db("local", {"[org/gnome/desktop/session]\nidle-delay=uint32 60\n", "[org/x]\nbad value\n"},
            {"/org/gnome/desktop/session/idle-delay\r\n"})});
    const auto* idle = effective(e, "/org/gnome/desktop/session/idle-delay");
    REQUIRE(idle != nullptr);
    CHECK(idle->db == "local");
    CHECK(idle->stale == true);
    CHECK_FALSE(idle->locked);
    REQUIRE(e.issues.size() == 3);
    CHECK(e.issues[0].second.find("refuses this file") != std::string::npos);
    CHECK(e.issues[1].second.find("locks nothing") != std::string::npos);
    CHECK(e.issues[2].second.find("system-db:missing") != std::string::npos);
  }
}

TEST_CASE("dconf_settings on a stock Debian 12 workstation: defaults only", "[dconf]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("dconf-debian12-stock"), "dconf_settings");
  REQUIRE(t.rows.size() == 4);
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    CHECK(t.integer(r, "is_default") == 1);
    CHECK(t.integer(r, "effective") == 1);
    CHECK(t.integer(r, "locked") == 0);
    CHECK(t.integer(r, "user_writable") == 1);
    CHECK(t.is_null(r, "db"));
    CHECK(t.is_null(r, "stale"));
    CHECK(t.is_null(r, "in_profile"));
    CHECK(t.integer(r, "type_ok") == 1);
  }
  auto idle = rows_of(t, "/org/gnome/desktop/session/idle-delay");
  REQUIRE(idle.size() == 1);
  CHECK(t.text(idle[0], "value") == "uint32 300");
  CHECK(t.text(idle[0], "value_type") == "u");
  CHECK(t.integer(idle[0], "value_int") == 300);
  CHECK(t.text(idle[0], "file") == "/usr/share/glib-2.0/schemas/org.gnome.desktop.session.gschema.xml");
  CHECK(t.integer(rows_of(t, "/org/gnome/desktop/screensaver/lock-delay")[0], "value_int") == 0);
  CHECK(t.integer(rows_of(t, "/org/gnome/desktop/screensaver/lock-enabled")[0], "value_int") == 1);
  CHECK(t.warned("/etc/dconf/profile/user", "default profile"));
}

TEST_CASE("dconf_settings on a hardened host: local.d with locks", "[dconf]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("dconf-hardened"), "dconf_settings");
  auto only_effective = [&t](std::string_view path) {
    std::vector<std::size_t> out;
    for (auto r : rows_of(t, path)) {
      if (t.integer(r, "effective") == 1) out.push_back(r);
    }
    INFO(path);
    REQUIRE(out.size() == 1);
    return out[0];
  };
  auto idle = only_effective("/org/gnome/desktop/session/idle-delay");
  CHECK(t.text(idle, "db") == "local");
  CHECK(t.integer(idle, "value_int") == 600);  // 10-local sorts after 00-screensaver
  CHECK(t.text(idle, "file") == "/etc/dconf/db/local.d/10-local");
  CHECK(t.integer(idle, "line") == 2);
  CHECK(t.integer(idle, "locked") == 1);
  CHECK(t.text(idle, "locked_by") == "local");
  CHECK(t.integer(idle, "user_writable") == 0);
  CHECK(t.integer(idle, "in_profile") == 1);
  CHECK(rows_of(t, "/org/gnome/desktop/session/idle-delay").size() == 4);  // 300, 600, site's 900, default

  auto lock = only_effective("/org/gnome/desktop/screensaver/lock-enabled");
  CHECK(t.integer(lock, "value_int") == 1);
  CHECK(t.integer(lock, "locked") == 1);
  auto delay = only_effective("/org/gnome/desktop/screensaver/lock-delay");
  CHECK(t.integer(delay, "value_int") == 0);
  CHECK(t.text(delay, "file") == "/etc/dconf/db/local.d/00-screensaver");
  auto activation = only_effective("/org/gnome/desktop/screensaver/idle-activation-enabled");
  CHECK(t.text(activation, "db") == "local");  // site's false comes later
  CHECK(t.integer(activation, "locked") == 0);
  CHECK(t.integer(activation, "user_writable") == 1);
  auto clock = only_effective("/org/gnome/desktop/interface/clock-format");
  CHECK(t.text(clock, "value") == "'24h'");
  CHECK(t.text(clock, "value_type") == "s");
  CHECK(t.is_null(clock, "type_ok"));
  // No compiled databases in the fixture: dconf reads nothing yet.
  CHECK(t.integer(idle, "stale") == 1);
  CHECK(t.warned("/etc/dconf/db/local", "no compiled database"));
}

TEST_CASE("dconf_settings: absent dconf, stale and fresh databases, hostile trees", "[dconf]") {
  vigil::test::TempDir dir;
  dir.mkdir("etc");
  auto none = vigil::test::collect_ok(dir.path(), "dconf_settings");
  CHECK(none.rows.empty());
  CHECK(none.warned("/etc/dconf", "absent"));

  dir.write("etc/dconf/profile/user", "user-db:user\r\nsystem-db:local\r\n");
  dir.write("etc/dconf/db/local.d/00-lock", "[org/gnome/desktop/session]\r\nidle-delay=uint32 120\r\n");
  dir.write("etc/dconf/db/local.d/locks/00-lock", "/org/gnome/desktop/session/idle-delay\n");
  dir.write("etc/dconf/db/local.d/.hidden", "[org/gnome/desktop/session]\nidle-delay=uint32 1\n");
  dir.write("etc/dconf/db/local.d/README~", std::string("\xff\xfe garbage\n", 11));
  dir.write("etc/dconf/db/local", "GVariant binary");
  REQUIRE(::mkfifo((dir.path() + "/etc/dconf/db/local.d/fifo").c_str(), 0644) == 0);
  dir.symlink("etc/dconf/db/local.d/out", "/../../../../../../etc/passwd");
  const std::string d = dir.path() + "/etc/dconf/db/local.d";
  for (const auto& p :
       {d + "/00-lock", d + "/locks/00-lock", d + "/.hidden", d + "/README~", d + "/locks", d}) {
    set_mtime(p, 1700000000);
  }

  set_mtime(dir.path() + "/etc/dconf/db/local", 1700000100);
  auto fresh = vigil::test::collect_ok(dir.path(), "dconf_settings");
  auto idle = fresh.rows_where("file", "/etc/dconf/db/local.d/00-lock");
  REQUIRE(idle.size() == 1);
  // the dotfile, the fifo and the link out of the root are not keyfiles
  CHECK(fresh.rows.size() == 5);
  CHECK(fresh.integer(idle[0], "value_int") == 120);
  CHECK(fresh.integer(idle[0], "effective") == 1);
  CHECK(fresh.integer(idle[0], "locked") == 1);
  CHECK(fresh.integer(idle[0], "stale") == 1);  // README~ is refused, so dconf update fails
  CHECK(fresh.warned("/etc/dconf/db/local.d/README~:1", "refuses this file"));

  dir.write("etc/dconf/db/local.d/README~", "# fixed\n");
  set_mtime(d + "/README~", 1700000000);
  auto ok = vigil::test::collect_ok(dir.path(), "dconf_settings");
  CHECK(ok.integer(ok.rows_where("file", "/etc/dconf/db/local.d/00-lock").at(0), "stale") == 0);

  set_mtime(d + "/00-lock", 1700000200);  // edited in place after the last update
  auto edited = vigil::test::collect_ok(dir.path(), "dconf_settings");
  CHECK(edited.integer(edited.rows_where("file", "/etc/dconf/db/local.d/00-lock").at(0), "stale") == 1);
  CHECK(edited.warned("/etc/dconf/db/local", "edited in place"));

  set_mtime(d, 1700000300);  // a file added or removed
  auto added = vigil::test::collect_ok(dir.path(), "dconf_settings");
  CHECK(added.warned("/etc/dconf/db/local", "not yet `dconf update`d"));
}
