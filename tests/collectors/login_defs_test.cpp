// Tests of the login.defs and pwquality/faillock readers (strings) and of the
// `login_defs` and `pam_config` tables over fixture host trees.
#include "login_defs.hpp"

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

const LoginDefsEntry* effective(const LoginDefs& d, std::string_view name) {
  for (const auto& e : d.entries) {
    if (e.name == name && e.effective) return &e;
  }
  return nullptr;
}

bool has_issue(const std::vector<SettingsIssue>& issues, int line, std::string_view part) {
  for (const auto& i : issues) {
    if (i.line == line && i.message.find(part) != std::string::npos) return true;
  }
  return false;
}

using vigil::test::MemFs;

// "key=value@effective" per setting of one source, in reading order.
std::vector<std::string> summary(const PamConfig& c, std::string_view source) {
  std::vector<std::string> out;
  for (const auto& s : c.settings) {
    if (s.source != source) continue;
    out.push_back(s.key + (s.value ? "=" + *s.value : "") + (s.effective ? "@1" : "@0"));
  }
  return out;
}

}  // namespace

TEST_CASE("login_defs_number reads numbers like strtol with base 0", "[login_defs]") {
  const std::vector<std::pair<std::string, std::optional<std::int64_t>>> cases{
      {"022", 18},
      {"027", 23},
      {"077", 63},
      {"0x1F", 31},
      {"0X10", 16},
      {"99999", 99999},
      {"0", 0},
      {"-1", -1},
      {"+5", 5},
      {"27", 27},
      {"08", std::nullopt},
      {"", std::nullopt},
      {"12abc", std::nullopt},
      {"0x", std::nullopt},
      {"yes", std::nullopt},
      {"90 # days", std::nullopt},
      {"99999999999999999999", std::nullopt},
  };
  for (const auto& [text, value] : cases) {
    INFO("value: " << text);
    CHECK(login_defs_number(text) == value);
  }
}

TEST_CASE("parse_login_defs reads lines like shadow's def_load", "[login_defs]") {
  struct Case {
    std::string line;
    std::string name;  // "" = no entry
    std::string value;
  };
  const std::vector<Case> cases{
      {"PASS_MAX_DAYS\t99999", "PASS_MAX_DAYS", "99999"},
      {"  UMASK   022   ", "UMASK", "022"},
      {"UMASK 027\r", "UMASK", "027"},
      {"ENV_PATH \"PATH=/usr/bin:/bin\"", "ENV_PATH", "PATH=/usr/bin:/bin"},
      {"ENV_PATH \"a\"b", "ENV_PATH", "a"},
      {"MOTD_FILE /etc/motd:/etc/motd.d extra", "MOTD_FILE", "/etc/motd:/etc/motd.d extra"},
      {"PASS_MAX_DAYS 90 # three months", "PASS_MAX_DAYS", "90 # three months"},
      {"pass_max_days 30", "pass_max_days", "30"},
      {"# PASS_MAX_DAYS 1", "", ""},
      {"   #UMASK 077", "", ""},
      {"", "", ""},
      {"LONELY", "", ""},
  };
  for (const auto& c : cases) {
    INFO("line: " << c.line);
    auto d = parse_login_defs(c.line + "\n");
    if (c.name.empty()) {
      CHECK(d.entries.empty());
      continue;
    }
    REQUIRE(d.entries.size() == 1);
    CHECK(d.entries[0].name == c.name);
    CHECK(d.entries[0].value == c.value);
    CHECK(d.entries[0].effective);
  }
  CHECK(has_issue(parse_login_defs("LONELY\n").issues, 1, "no value"));
  CHECK(has_issue(parse_login_defs("\nPASS_MAX_DAYS 90 # months\n").issues, 2, "not a comment"));
}

TEST_CASE("login.defs: the last definition wins, every occurrence is kept", "[login_defs]") {
  auto d = parse_login_defs("UMASK 022\r\nPASS_MAX_DAYS 99999\r\nUMASK\t077\r\nUMASK 0x12\r\n");
  REQUIRE(d.entries.size() == 4);
  CHECK_FALSE(d.entries[0].effective);
  CHECK(d.entries[0].value_int == 18);
  CHECK_FALSE(d.entries[2].effective);
  CHECK(d.entries[2].value_int == 63);
  const auto* umask = effective(d, "UMASK");
  REQUIRE(umask != nullptr);
  CHECK(umask->line == 4);
  CHECK(umask->value == "0x12");
  CHECK(umask->value_int == 18);
  REQUIRE(effective(d, "PASS_MAX_DAYS") != nullptr);
  CHECK(effective(d, "PASS_MAX_DAYS")->value_int == 99999);
  CHECK(d.issues.empty());
}

TEST_CASE("login_defs table on a stock Debian 12 host", "[login_defs]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("logindefs-debian12"), "login_defs");
  CHECK(t.warnings.empty());
  auto only = [&t](std::string_view name) {
    auto rows = t.rows_where("name", name);
    INFO("name " << name);
    REQUIRE(rows.size() == 1);
    CHECK(t.integer(rows[0], "effective") == 1);
    return rows[0];
  };
  auto max_days = only("PASS_MAX_DAYS");
  CHECK(t.text(max_days, "value") == "99999");
  CHECK(t.integer(max_days, "value_int") == 99999);
  CHECK(t.integer(max_days, "line") == 165);
  CHECK(t.text(max_days, "file") == "/etc/login.defs");
  CHECK(t.integer(only("PASS_MIN_DAYS"), "value_int") == 0);
  CHECK(t.integer(only("PASS_WARN_AGE"), "value_int") == 7);
  auto umask = only("UMASK");
  CHECK(t.text(umask, "value") == "022");
  CHECK(t.integer(umask, "value_int") == 18);
  CHECK(t.integer(only("ERASECHAR"), "value_int") == 127);
  CHECK(t.integer(only("KILLCHAR"), "value_int") == 21);
  CHECK(t.text(only("ENCRYPT_METHOD"), "value") == "SHA512");
  CHECK(t.is_null(only("ENCRYPT_METHOD"), "value_int"));
  CHECK(t.text(only("ENV_PATH"), "value") == "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games");
  CHECK(t.rows_where("name", "HOME_MODE").empty());  // commented out
  CHECK(t.rows.size() == 35);
}

TEST_CASE("login_defs table: absent file, overrides and CRLF", "[login_defs]") {
  vigil::test::TempDir dir;
  dir.mkdir("etc");
  auto empty = vigil::test::collect_ok(dir.path(), "login_defs");
  CHECK(empty.rows.empty());
  CHECK(empty.warned("/etc/login.defs", "absent"));

  dir.write("etc/login.defs",
            "PASS_MAX_DAYS 99999\r\nUMASK 022\r\n# hardening\r\nPASS_MAX_DAYS 365 # a year\r\n"
            "PASS_MAX_DAYS\t90\r\n");
  auto t = vigil::test::collect_ok(dir.path(), "login_defs");
  auto rows = t.rows_where("name", "PASS_MAX_DAYS");
  REQUIRE(rows.size() == 3);
  CHECK(t.integer(rows[0], "effective") == 0);
  CHECK(t.is_null(rows[1], "value_int"));
  CHECK(t.integer(rows[2], "effective") == 1);
  CHECK(t.integer(rows[2], "value_int") == 90);
  CHECK(t.integer(rows[2], "line") == 5);
  CHECK(t.warned("/etc/login.defs:4", "not a comment"));
  for (std::size_t r = 0; r < t.rows.size(); ++r) CHECK(t.text(r, "value").find('\r') == std::string::npos);
}

TEST_CASE("parse_security_conf reads key = value and bare flags", "[pam]") {
  struct Case {
    std::string line;
    std::string key;  // "" = no setting
    std::optional<std::string> value;
  };
  const std::vector<Case> cases{
      {"minlen = 14", "minlen", "14"},
      {"minlen=14", "minlen", "14"},
      {"  minlen\t=\t14  # CIS", "minlen", "14"},
      {"minlen 14", "minlen", "14"},
      {"minlen == 14", "minlen", "= 14"},
      {"badwords = foo bar", "badwords", "foo bar"},
      {"dir = /var/run/faillock\r", "dir", "/var/run/faillock"},
      {"even_deny_root", "even_deny_root", std::nullopt},
      {"deny =", "deny", std::nullopt},
      {"# deny = 3", "", std::nullopt},
      {"   ", "", std::nullopt},
  };
  for (const auto& c : cases) {
    INFO("line: " << c.line);
    auto lines = parse_security_conf(c.line + "\n");
    if (c.key.empty()) {
      CHECK(lines.empty());
      continue;
    }
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].key == c.key);
    CHECK(lines[0].value == c.value);
  }
}

TEST_CASE("pwquality: drop-ins in sorted order, then the main file, last wins", "[pam]") {
  MemFs fs;
  fs.files["/etc/security/pwquality.conf.d/90-local.conf"] = "minclass = 3\n";
  fs.files["/etc/security/pwquality.conf.d/50-cis.conf"] =
      "minlen = 14\nminclass = 4\nDIFOK = 2\nenforce_for_root\n";
  fs.files["/etc/security/pwquality.conf.d/README"] = "minlen = 1\n";
  fs.files["/etc/security/pwquality.conf"] = "# stock\ndifok = 5\n";
  auto c = evaluate_pam_config(fs.loader<PamConfigLoader>());
  CHECK(summary(c, "pwquality") == std::vector<std::string>{"minlen=14@1", "minclass=4@0", "difok=2@0",
                                                            "enforce_for_root@1", "minclass=3@1",
                                                            "difok=5@1"});
  CHECK(has_issue(c.issues, 0, "file absent"));  // faillock.conf
}

TEST_CASE("pwquality stops reading a file at a setting it refuses", "[pam]") {
  MemFs fs;
  fs.files["/etc/security/pwquality.conf.d/10-typo.conf"] = "minlen = 12\nminlenn = 20\nminclass = 4\n";
  fs.files["/etc/security/pwquality.conf"] = "dcredit = -1\nretry = three\nminlen = 10\n";
  auto c = evaluate_pam_config(fs.loader<PamConfigLoader>());
  CHECK(summary(c, "pwquality") == std::vector<std::string>{"minlen=12@1", "minlenn=20@0", "minclass=4@0",
                                                            "dcredit=-1@1", "retry=three@0", "minlen=10@0"});
  CHECK(has_issue(c.issues, 2, "unknown setting 'minlenn'"));
  CHECK(has_issue(c.issues, 2, "'retry' needs an integer"));
}

TEST_CASE("faillock.conf: flags, last value wins, unknown options ignored", "[pam]") {
  MemFs fs;
  fs.files["/etc/security/faillock.conf"] =
      "deny = 3\nunlock_time = 600\neven_deny_root\nDeny = 9\ndeny=5\r\naudit\n";
  auto c = evaluate_pam_config(fs.loader<PamConfigLoader>());
  CHECK(summary(c, "faillock") == std::vector<std::string>{"deny=3@0", "unlock_time=600@1",
                                                           "even_deny_root@1", "Deny=9@0", "deny=5@1",
                                                           "audit@1"});
  CHECK(has_issue(c.issues, 4, "unknown option 'Deny'"));
}

TEST_CASE("pam_config table on a hardened host", "[pam]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("pam-hardened"), "pam_config");
  CHECK(t.warnings.empty());
  auto effective_value = [&t](std::string_view source, std::string_view key) {
    std::vector<std::size_t> rows;
    for (auto r : t.rows_where("key", key)) {
      if (t.text(r, "source") == source && t.integer(r, "effective") == 1) rows.push_back(r);
    }
    INFO(source << " " << key);
    REQUIRE(rows.size() == 1);
    return rows[0];
  };
  auto minlen = effective_value("pwquality", "minlen");
  CHECK(t.text(minlen, "value") == "14");
  CHECK(t.text(minlen, "file") == "/etc/security/pwquality.conf.d/50-cis.conf");
  CHECK(t.integer(minlen, "line") == 2);
  CHECK(t.text(effective_value("pwquality", "minclass"), "file") ==
        "/etc/security/pwquality.conf.d/90-local.conf");
  CHECK(t.text(effective_value("pwquality", "difok"), "value") == "5");
  CHECK(t.text(effective_value("pwquality", "dcredit"), "value") == "-1");
  CHECK(t.is_null(effective_value("pwquality", "enforce_for_root"), "value"));
  CHECK(t.text(effective_value("faillock", "deny"), "value") == "5");
  CHECK(t.text(effective_value("faillock", "unlock_time"), "value") == "900");
  CHECK(t.is_null(effective_value("faillock", "even_deny_root"), "value"));
  CHECK(t.rows_where("key", "unlock_time").size() == 2);
}

TEST_CASE("pam_config table on a stock Debian 12 host: commented files", "[pam]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("pam-debian12"), "pam_config");
  CHECK(t.rows.empty());
  CHECK(t.warned("/etc/security/pwquality.conf", "absent"));
  CHECK_FALSE(t.warned("/etc/security/faillock.conf", "absent"));
}
