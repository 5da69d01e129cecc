// Tests of the sshd_config tokenizer and evaluator (in-memory files) and of
// the `sshd_config` / `sshd_match` tables over fixture host trees.
#include "sshd_config.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collector.hpp"
#include "host.hpp"
#include "mem_fs.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::Errc;

namespace {

using vigil::test::MemFs;

SshdConfig eval(const MemFs& fs) {
  auto r = evaluate_sshd_config(fs.loader<SshdLoader>());
  if (!r) FAIL(r.error().message);
  return std::move(r).value();
}

MemFs main_only(std::string text) {
  MemFs fs;
  fs.files["/etc/ssh/sshd_config"] = std::move(text);
  return fs;
}

std::vector<SshdSetting> rows_of(const SshdConfig& c, std::string_view keyword) {
  std::vector<SshdSetting> out;
  for (const auto& s : c.settings) {
    if (s.keyword == keyword) out.push_back(s);
  }
  return out;
}

SshdSetting one(const SshdConfig& c, std::string_view keyword) {
  auto rows = rows_of(c, keyword);
  INFO("keyword " << keyword);
  REQUIRE(rows.size() == 1);
  return rows.front();
}

bool has_issue(const SshdConfig& c, int line, std::string_view part) {
  for (const auto& i : c.issues) {
    if (i.line == line && i.message.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("tokenize_sshd_line splits like sshd", "[sshd_config]") {
  struct Case {
    std::string line;
    std::string keyword;  // "" = blank or comment line
    std::vector<std::string> args;
  };
  const std::vector<Case> cases{
      {"Port 22", "port", {"22"}},
      {"Port=22", "port", {"22"}},
      {"Port = 22", "port", {"22"}},
      {"Port==22", "port", {"=22"}},  // only one '=' is a separator
      {"  PermitRootLogin\tno  ", "permitrootlogin", {"no"}},
      {"PASSWORDAUTHENTICATION yes\r", "passwordauthentication", {"yes"}},
      {"AllowUsers alice bob # trailing comment", "allowusers", {"alice", "bob"}},
      {"AllowUsers alice#bob", "allowusers", {"alice#bob"}},
      {"Banner \"/etc/issue net\"", "banner", {"/etc/issue net"}},
      {"AcceptEnv 'LC_*' LANG", "acceptenv", {"LC_*", "LANG"}},
      {"Key=\"a b\" c", "key", {"a b", "c"}},
      {"Banner /a\\ b", "banner", {"/a b"}},
      {"X \"say \\\"hi\\\"\"", "x", {"say \"hi\""}},
      {"Subsystem\tsftp\t/usr/lib/openssh/sftp-server\f",
       "subsystem",
       {"sftp", "/usr/lib/openssh/sftp-server"}},
      {"Port # nothing but a comment", "port", {}},
      {"", "", {}},
      {"   \t", "", {}},
      {"\r", "", {}},
      {"# comment", "", {}},
      {"   # indented comment", "", {}},
  };
  for (const auto& c : cases) {
    INFO("line: " << c.line);
    auto r = tokenize_sshd_line(c.line);
    REQUIRE(r.ok());
    if (c.keyword.empty()) {
      CHECK_FALSE(r->has_value());
      continue;
    }
    REQUIRE(r->has_value());
    CHECK((*r)->keyword == c.keyword);
    CHECK((*r)->args == c.args);
  }
}

TEST_CASE("tokenize_sshd_line rejects what sshd rejects", "[sshd_config]") {
  const std::string line = GENERATE("PasswordAuthentication",
                                    "Port=", "Port =   ", "Banner \"/etc/unterminated", "AllowUsers 'alice");
  INFO("line: " << line);
  auto r = tokenize_sshd_line(line);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::parse);
}

TEST_CASE("ForceCommand keeps the rest of the line as written", "[sshd_config]") {
  auto r = tokenize_sshd_line("ForceCommand /bin/echo \"a  b\" # c");
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  CHECK((*r)->rest == "/bin/echo \"a  b\" # c");
}

TEST_CASE("sshd_time_seconds reads sshd's time format", "[sshd_config]") {
  const std::vector<std::pair<std::string, std::optional<std::int64_t>>> cases{
      {"90", 90},
      {"2m", 120},
      {"1h30m", 5400},
      {"1H30M", 5400},
      {"10s", 10},
      {"1w", 604800},
      {"1d", 86400},
      {"0", 0},
      {"1m30", 90},
      {"", std::nullopt},
      {"2x", std::nullopt},
      {"m", std::nullopt},
      {"-5", std::nullopt},
      {"99999999999", std::nullopt},
      {"3000000000s", std::nullopt},
  };
  for (const auto& [text, seconds] : cases) {
    INFO("time: " << text);
    CHECK(sshd_time_seconds(text) == seconds);
  }
}

TEST_CASE("normalize_sshd_value canonicalises enum words only", "[sshd_config]") {
  struct Case {
    const char* keyword;
    const char* value;
    const char* expected;
    bool valid;
  };
  const std::vector<Case> cases{
      {"passwordauthentication", "Yes", "yes", true},
      {"permitrootlogin", "Without-Password", "prohibit-password", true},
      {"permitrootlogin", "forced-commands-only", "forced-commands-only", true},
      {"loglevel", "verbose", "VERBOSE", true},
      {"syslogfacility", "authpriv", "AUTHPRIV", true},
      {"compression", "delayed", "yes", true},
      {"allowtcpforwarding", "ALL", "yes", true},
      {"ciphers", "AES256-gcm@openssh.com", "AES256-gcm@openssh.com", true},
      {"allowusers", "Alice", "Alice", true},
      {"passwordauthentication", "maybe", "maybe", false},
      {"permituserenvironment", "LANG,LC_*", "LANG,LC_*", true},
      {"permituserenvironment", "NO", "no", true},
  };
  for (const auto& c : cases) {
    INFO(c.keyword << " " << c.value);
    bool valid = !c.valid;
    CHECK(normalize_sshd_value(c.keyword, c.value, &valid) == c.expected);
    CHECK(valid == c.valid);
  }
}

TEST_CASE("first value wins, aliases map, unset keywords are defaults", "[sshd_config]") {
  auto c =
      eval(main_only("PermitRootLogin no\n"
                     "PermitRootLogin yes\n"
                     "ChallengeResponseAuthentication No\n"
                     "KbdInteractiveAuthentication yes\n"
                     "PubkeyAcceptedKeyTypes +ssh-rsa\n"
                     "DSAAuthentication no\n"
                     "SKeyAuthentication yes\n"
                     "HostbasedAcceptedKeyTypes ssh-ed25519\n"
                     "LoginGraceTime 2m\n"));
  CHECK(c.main_file_found);
  auto root = one(c, "permitrootlogin");
  CHECK(root.value == "no");
  CHECK(root.file == "/etc/ssh/sshd_config");
  CHECK(root.line == 1);
  CHECK_FALSE(root.is_default);
  CHECK(one(c, "kbdinteractiveauthentication").value == "no");
  CHECK(one(c, "kbdinteractiveauthentication").line == 3);
  CHECK(one(c, "pubkeyacceptedalgorithms").value == "+ssh-rsa");
  CHECK(one(c, "pubkeyauthentication").value == "no");
  CHECK(one(c, "hostbasedacceptedalgorithms").value == "ssh-ed25519");
  CHECK(rows_of(c, "challengeresponseauthentication").empty());
  CHECK(one(c, "logingracetime").value == "2m");
  CHECK(one(c, "logingracetime").value_int == 120);

  auto pw = one(c, "passwordauthentication");
  CHECK(pw.value == "yes");
  CHECK(pw.is_default);
  CHECK(pw.file.empty());
  CHECK(pw.line == 0);
  CHECK(one(c, "maxauthtries").value_int == 6);
  CHECK(one(c, "maxstartups").value == "10:30:100");
  CHECK_FALSE(one(c, "maxstartups").value_int.has_value());
  CHECK(one(c, "clientaliveinterval").value_int == 0);
  CHECK(one(c, "loglevel").value == "INFO");
  CHECK(one(c, "authorizedkeysfile").value == ".ssh/authorized_keys .ssh/authorized_keys2");
  CHECK(one(c, "port").value_int == 22);
  CHECK(rows_of(c, "hostkey").size() == 3);
  CHECK(c.issues.empty());
}

TEST_CASE("accumulating keywords give one row per occurrence", "[sshd_config]") {
  auto c =
      eval(main_only("AllowUsers alice bob\n"
                     "Port 22\n"
                     "AllowUsers carol\n"
                     "Port 2222\n"
                     "AcceptEnv LANG LC_*\n"
                     "HostKey /etc/ssh/k1\n"
                     "HostKey /etc/ssh/k2\n"
                     "Subsystem sftp /usr/lib/openssh/sftp-server\n"
                     "Subsystem sftp internal-sftp\n"
                     "Subsystem backup /usr/local/bin/backup\n"
                     "ListenAddress 0.0.0.0\n"
                     "ListenAddress [::]:2222\n"
                     "DenyGroups nogroup\n"));
  auto users = rows_of(c, "allowusers");
  REQUIRE(users.size() == 3);
  CHECK(users[0].value == "alice");
  CHECK(users[1].value == "bob");
  CHECK(users[1].line == 1);
  CHECK(users[2].value == "carol");
  CHECK(users[2].line == 3);
  auto ports = rows_of(c, "port");
  REQUIRE(ports.size() == 2);
  CHECK(ports[0].value_int == 22);
  CHECK(ports[1].value_int == 2222);
  CHECK(rows_of(c, "acceptenv").size() == 2);
  auto keys = rows_of(c, "hostkey");  // configured keys replace the default ones
  REQUIRE(keys.size() == 2);
  CHECK(keys[1].value == "/etc/ssh/k2");
  auto subs = rows_of(c, "subsystem");
  REQUIRE(subs.size() == 2);
  CHECK(subs[0].value == "sftp /usr/lib/openssh/sftp-server");
  CHECK(subs[1].value == "backup /usr/local/bin/backup");
  CHECK(has_issue(c, 9, "Subsystem 'sftp' already defined"));
  CHECK(rows_of(c, "listenaddress").size() == 2);
  CHECK(one(c, "denygroups").value == "nogroup");
}

TEST_CASE("Match blocks go to sshd_match, not to the global configuration", "[sshd_config]") {
  auto c =
      eval(main_only("PasswordAuthentication yes\n"
                     "Match User backup Address 10.0.0.0/8\n"
                     "  PasswordAuthentication no\n"
                     "  AllowTcpForwarding no\n"
                     "  Port 2222\n"
                     "Match Group staff\n"
                     "  AllowUsers alice bob\n"));
  CHECK(one(c, "passwordauthentication").value == "yes");
  CHECK(one(c, "allowtcpforwarding").is_default);
  CHECK(rows_of(c, "allowusers").empty());
  CHECK(one(c, "port").is_default);
  CHECK(has_issue(c, 5, "not allowed within a Match block"));
  REQUIRE(c.match.size() == 4);
  CHECK(c.match[0].criteria == "User backup Address 10.0.0.0/8");
  CHECK(c.match[0].keyword == "passwordauthentication");
  CHECK(c.match[0].value == "no");
  CHECK(c.match[0].line == 3);
  CHECK(c.match[0].match_file == "/etc/ssh/sshd_config");
  CHECK(c.match[0].match_line == 2);
  CHECK(c.match[1].keyword == "allowtcpforwarding");
  CHECK(c.match[2].criteria == "Group staff");
  CHECK(c.match[2].value == "alice");
  CHECK(c.match[3].value == "bob");
  CHECK(c.match[3].match_line == 6);
}

TEST_CASE("Match all applies to every connection and overrides global values", "[sshd_config]") {
  auto c =
      eval(main_only("PermitRootLogin yes\n"
                     "AllowUsers alice\n"
                     "Match User bob\n"
                     "  X11Forwarding yes\n"
                     "Match all\n"
                     "  PermitRootLogin no\n"
                     "  AllowUsers carol\n"
                     "  Port 2200\n"
                     "  X11Forwarding no\n"));
  auto root = one(c, "permitrootlogin");
  CHECK(root.value == "no");
  CHECK(root.line == 6);
  auto users = rows_of(c, "allowusers");  // sshd replaces the whole list with the Match one
  REQUIRE(users.size() == 1);
  CHECK(users[0].value == "carol");
  CHECK(one(c, "port").value == "2200");
  CHECK(one(c, "x11forwarding").line == 9);
  CHECK(c.issues.empty());
  REQUIRE(c.match.size() == 5);
  CHECK(c.match[1].criteria == "all");
}

TEST_CASE("a Match block in an included file ends at that file's end", "[sshd_config]") {
  MemFs fs;
  fs.files["/etc/ssh/sshd_config"] =
      "Include /etc/ssh/sshd_config.d/*.conf\n"
      "PasswordAuthentication no\n";
  fs.files["/etc/ssh/sshd_config.d/50-bob.conf"] =
      "Match User bob\n"
      "PasswordAuthentication yes\n";
  auto c = eval(fs);
  auto pw = one(c, "passwordauthentication");
  CHECK(pw.value == "no");
  CHECK(pw.file == "/etc/ssh/sshd_config");
  CHECK(pw.line == 2);
  REQUIRE(c.match.size() == 1);
  CHECK(c.match[0].criteria == "User bob");
  CHECK(c.match[0].file == "/etc/ssh/sshd_config.d/50-bob.conf");
}

TEST_CASE("an Include inside a Match block contributes only Match-scoped settings", "[sshd_config]") {
  MemFs fs;
  fs.files["/etc/ssh/sshd_config"] =
      "Match User alice\n"
      "Include extra.conf\n"
      "X11Forwarding no\n";
  fs.files["/etc/ssh/extra.conf"] =
      "AllowAgentForwarding no\n"
      "Match Address 192.168.1.0/24\n"
      "MaxSessions 2\n"
      "Match all\n"
      "PermitTTY no\n";
  auto c = eval(fs);
  CHECK(one(c, "allowagentforwarding").is_default);
  CHECK(one(c, "maxsessions").is_default);
  CHECK(one(c, "permittty").is_default);
  CHECK(one(c, "x11forwarding").is_default);
  REQUIRE(c.match.size() == 4);
  CHECK(c.match[0].keyword == "allowagentforwarding");
  CHECK(c.match[0].criteria == "User alice");
  CHECK(c.match[0].file == "/etc/ssh/extra.conf");
  CHECK(c.match[0].match_file == "/etc/ssh/sshd_config");
  CHECK(c.match[0].match_line == 1);
  CHECK(c.match[1].criteria == "User alice Address 192.168.1.0/24");
  CHECK(c.match[1].match_file == "/etc/ssh/extra.conf");
  CHECK(c.match[1].match_line == 2);
  CHECK(c.match[2].criteria == "User alice");  // "Match all" under Match User alice
  CHECK(c.match[2].keyword == "permittty");
  CHECK(c.match[3].keyword == "x11forwarding");  // back in the includer's block
  CHECK(c.match[3].criteria == "User alice");
  CHECK(c.match[3].line == 3);
}

TEST_CASE("Include globs: sorted, relative to /etc/ssh, several per line, no match is fine",
          "[sshd_config]") {
  MemFs fs;
  fs.files["/etc/ssh/sshd_config"] =
      "Include conf.d/*.conf /etc/ssh/missing/*.conf nothing.conf\nMaxAuthTries 9\n";
  fs.files["/etc/ssh/conf.d/b.conf"] = "MaxAuthTries 4\nAllowUsers b\n";
  fs.files["/etc/ssh/conf.d/a.conf"] = "MaxAuthTries 3\nAllowUsers a\n";
  fs.files["/etc/ssh/conf.d/c.txt"] = "MaxAuthTries 8\n";
  fs.files["/etc/ssh/conf.d/.hidden.conf"] = "MaxAuthTries 7\n";
  auto c = eval(fs);
  auto tries = one(c, "maxauthtries");
  CHECK(tries.value_int == 3);
  CHECK(tries.file == "/etc/ssh/conf.d/a.conf");
  auto users = rows_of(c, "allowusers");
  REQUIRE(users.size() == 2);
  CHECK(users[0].value == "a");
  CHECK(users[1].value == "b");
  CHECK(c.issues.empty());
}

TEST_CASE("Include fan-out is bounded in files and bytes, not only in depth", "[sshd_config]") {
  // Five levels, each file including the next level 50 times: 50^5 reads if unbounded.
  MemFs fs;
  fs.files["/etc/ssh/sshd_config"] = "Include /etc/ssh/f0.conf\n";
  for (int level = 0; level < 5; ++level) {
    std::string text = "Include";
    for (int i = 0; i < 50; ++i) text += " f" + std::to_string(level + 1) + ".conf";
    fs.files["/etc/ssh/f" + std::to_string(level) + ".conf"] = text + "\n";
  }
  fs.files["/etc/ssh/f5.conf"] = "MaxSessions 4\n";
  auto wide = evaluate_sshd_config(fs.loader<SshdLoader>());
  REQUIRE_FALSE(wide.ok());
  CHECK(wide.error().code == Errc::too_large);
  CHECK_THAT(wide.error().message, Catch::Contains("included files in all"));

  MemFs big;
  big.files["/etc/ssh/sshd_config"] = "Include /etc/ssh/big.conf\n";
  big.files["/etc/ssh/big.conf"] =
      std::string(kSshdMaxIncludedBytes / 2 + 1, '#') + "\nInclude big2.conf big2.conf\n";
  big.files["/etc/ssh/big2.conf"] = std::string(kSshdMaxIncludedBytes / 2 + 1, '#');
  auto heavy = evaluate_sshd_config(big.loader<SshdLoader>());
  REQUIRE_FALSE(heavy.ok());
  CHECK_THAT(heavy.error().message, Catch::Contains("bytes included in all"));
}

TEST_CASE("Include nesting: 16 levels are fine, deeper is a loop error", "[sshd_config]") {
  auto chain = [](int levels) {
    MemFs fs;
    fs.files["/etc/ssh/sshd_config"] = "Include /etc/ssh/f1.conf\n";
    for (int i = 1; i <= levels; ++i) {
      fs.files["/etc/ssh/f" + std::to_string(i) + ".conf"] =
          i < levels ? "Include f" + std::to_string(i + 1) + ".conf\n" : "MaxSessions 4\n";
    }
    return fs;
  };
  auto deep = chain(16);
  auto ok = evaluate_sshd_config(deep.loader<SshdLoader>());
  REQUIRE(ok.ok());
  CHECK(one(*ok, "maxsessions").file == "/etc/ssh/f16.conf");

  auto too_deep = chain(17);
  auto err = evaluate_sshd_config(too_deep.loader<SshdLoader>());
  REQUIRE_FALSE(err.ok());
  CHECK(err.error().code == Errc::loop);
  CHECK_THAT(err.error().message, Catch::Contains("/etc/ssh/f16.conf:1") && Catch::Contains("f17.conf"));

  MemFs loop;
  loop.files["/etc/ssh/sshd_config"] = "Port 22\nInclude /etc/ssh/loop.conf\n";
  loop.files["/etc/ssh/loop.conf"] = "\nInclude loop.conf\n";
  auto l = evaluate_sshd_config(loop.loader<SshdLoader>());
  REQUIRE_FALSE(l.ok());
  CHECK(l.error().code == Errc::loop);
  CHECK_THAT(l.error().message, Catch::Contains("/etc/ssh/loop.conf:2"));
}

TEST_CASE("an included file that cannot be read is an error naming it", "[sshd_config]") {
  const Errc code = GENERATE(Errc::not_regular, Errc::too_large);
  MemFs fs;
  fs.files["/etc/ssh/sshd_config"] = "Include /etc/ssh/sshd_config.d/*.conf\n";
  fs.files["/etc/ssh/sshd_config.d/a.conf"] = "Port 22\n";
  fs.broken["/etc/ssh/sshd_config.d/zero.conf"] = code;
  auto r = evaluate_sshd_config(fs.loader<SshdLoader>());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == code);
  CHECK_THAT(r.error().message, Catch::Contains("/etc/ssh/sshd_config.d/zero.conf") &&
                                    Catch::Contains("/etc/ssh/sshd_config:1"));
}

TEST_CASE("an absent sshd_config gives only defaults", "[sshd_config]") {
  MemFs fs;
  auto c = eval(fs);
  CHECK_FALSE(c.main_file_found);
  REQUIRE_FALSE(c.settings.empty());
  for (const auto& s : c.settings) CHECK(s.is_default);
  CHECK(one(c, "permitrootlogin").value == "prohibit-password");
  CHECK(c.match.empty());
}

TEST_CASE("lines sshd refuses are issues and the rest is still evaluated", "[sshd_config]") {
  auto c =
      eval(main_only("NoSuchOption yes\n"
                     "PasswordAuthentication\n"
                     "Banner \"/etc/issue\n"
                     "PasswordAuthentication maybe\n"
                     "UsePrivilegeSeparation sandbox\n"
                     "Match Nobody x\n"
                     "PermitRootLogin no\n"));
  CHECK(has_issue(c, 1, "Bad configuration option: nosuchoption"));
  CHECK(has_issue(c, 2, "no argument"));
  CHECK(has_issue(c, 3, "invalid quotes"));
  CHECK(has_issue(c, 4, "unsupported value 'maybe'"));
  CHECK(has_issue(c, 5, "Deprecated"));
  CHECK(has_issue(c, 6, "unsupported Match criterion"));
  CHECK(one(c, "passwordauthentication").value == "maybe");
  CHECK(one(c, "permitrootlogin").is_default);  // still inside the (bad) Match block
  REQUIRE(c.match.size() == 1);
}

TEST_CASE("values: enum case, time in seconds, raw ForceCommand", "[sshd_config]") {
  auto c =
      eval(main_only("PasswordAuthentication NO\n"
                     "PermitRootLogin without-password\n"
                     "ClientAliveInterval 1h30m\n"
                     "MaxStartups 10:30:60\n"
                     "LogLevel debug3\n"
                     "Ciphers AES256-gcm@openssh.com\n"
                     "VersionAddendum hello world # comment\n"
                     "Match Group sftp\n"
                     "ForceCommand internal-sftp -d \"/up load\" # kept\n"));
  CHECK(one(c, "passwordauthentication").value == "no");
  CHECK(one(c, "permitrootlogin").value == "prohibit-password");
  CHECK(one(c, "clientaliveinterval").value == "1h30m");
  CHECK(one(c, "clientaliveinterval").value_int == 5400);
  CHECK_FALSE(one(c, "maxstartups").value_int.has_value());
  CHECK(one(c, "loglevel").value == "DEBUG3");
  CHECK(one(c, "ciphers").value == "AES256-gcm@openssh.com");
  CHECK(one(c, "versionaddendum").value == "hello world");
  REQUIRE(c.match.size() == 1);
  CHECK(c.match[0].value == "internal-sftp -d \"/up load\" # kept");
  CHECK_FALSE(c.match[0].value_int.has_value());
}

namespace {

// An sshd_config or sshd_match table, with rows looked up by `keyword`.
struct Table : vigil::test::CollectedTable {
  std::vector<std::size_t> find(std::string_view keyword) const { return rows_where("keyword", keyword); }
  std::size_t only(std::string_view keyword) const {
    auto found = find(keyword);
    INFO("keyword " << keyword);
    REQUIRE(found.size() == 1);
    return found.front();
  }
};

// Collects the table (its status is the caller's to check) and requires every
// column and the table itself to be documented.
Table collect(const std::string& root, const std::string& table) {
  const TableDef* def = Registry::instance().find(table);
  REQUIRE(def != nullptr);
  for (const auto& c : def->columns) CHECK_FALSE(c.doc.empty());
  CHECK_FALSE(def->doc.empty());
  return {vigil::test::collect_table(root, table)};
}

}  // namespace

TEST_CASE("sshd_config table on a stock Debian 12 host", "[sshd_config]") {
  auto t = collect(vigil::test::fixture_host("sshd-debian12"), "sshd_config");
  REQUIRE(t.status.ok());
  CHECK(t.warnings.empty());
  auto kbd = t.only("kbdinteractiveauthentication");
  CHECK(t.text(kbd, "value") == "no");
  CHECK(t.text(kbd, "file") == "/etc/ssh/sshd_config");
  CHECK(t.integer(kbd, "line") == 62);
  CHECK(t.integer(kbd, "is_default") == 0);
  CHECK(t.text(t.only("usepam"), "value") == "yes");
  CHECK(t.text(t.only("x11forwarding"), "value") == "yes");
  CHECK(t.text(t.only("printmotd"), "value") == "no");
  auto env = t.find("acceptenv");
  REQUIRE(env.size() == 2);
  CHECK(t.text(env[1], "value") == "LC_*");
  CHECK(t.integer(env[1], "line") == 112);
  CHECK(t.text(t.only("subsystem"), "value") == "sftp /usr/lib/openssh/sftp-server");
  auto root = t.only("permitrootlogin");
  CHECK(t.text(root, "value") == "prohibit-password");
  CHECK(t.integer(root, "is_default") == 1);
  CHECK(t.is_null(root, "file"));
  CHECK(t.is_null(root, "line"));
  auto grace = t.only("logingracetime");
  CHECK(t.integer(grace, "value_int") == 120);
  CHECK(t.is_null(t.only("ciphers"), "value_int"));
  CHECK(t.text(t.only("passwordauthentication"), "value") == "yes");

  auto m = collect(vigil::test::fixture_host("sshd-debian12"), "sshd_match");
  REQUIRE(m.status.ok());
  CHECK(m.rows.empty());
}

TEST_CASE("sshd_config and sshd_match on a hardened host with drop-ins and CRLF", "[sshd_config]") {
  auto t = collect(vigil::test::fixture_host("sshd-hardened"), "sshd_config");
  REQUIRE(t.status.ok());
  CHECK(t.warnings.empty());
  const std::string auth = "/etc/ssh/sshd_config.d/20-auth.conf";
  auto root = t.only("permitrootlogin");
  CHECK(t.text(root, "value") == "no");
  CHECK(t.text(root, "file") == auth);
  CHECK(t.integer(root, "line") == 1);
  CHECK(t.text(t.only("passwordauthentication"), "value") == "no");
  CHECK(t.text(t.only("kbdinteractiveauthentication"), "value") == "no");
  CHECK(t.integer(t.only("maxauthtries"), "value_int") == 3);
  CHECK(t.integer(t.only("logingracetime"), "value_int") == 30);
  CHECK(t.text(t.only("clientaliveinterval"), "value") == "5m");
  CHECK(t.integer(t.only("clientaliveinterval"), "value_int") == 300);
  CHECK(t.text(t.only("loglevel"), "value") == "VERBOSE");
  CHECK(t.text(t.only("ciphers"), "value") == "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com");
  CHECK(t.text(t.only("subsystem"), "value") == "sftp internal-sftp -l INFO");
  CHECK(t.text(t.only("x11forwarding"), "value") == "no");
  auto groups = t.find("allowgroups");
  REQUIRE(groups.size() == 2);
  CHECK(t.text(groups[0], "value") == "ssh-users");
  auto port = t.only("port");
  CHECK(t.integer(port, "value_int") == 22);
  CHECK(t.integer(port, "line") == 4);
  for (std::size_t r = 0; r < t.rows.size(); ++r) CHECK(t.text(r, "value").find('\r') == std::string::npos);

  auto m = collect(vigil::test::fixture_host("sshd-hardened"), "sshd_match");
  REQUIRE(m.status.ok());
  REQUIRE(m.rows.size() == 6);
  CHECK(m.text(0, "criteria") == "User admin Address 10.0.0.0/8");
  CHECK(m.text(0, "keyword") == "passwordauthentication");
  CHECK(m.text(0, "value") == "yes");
  CHECK(m.text(0, "match_file") == "/etc/ssh/sshd_config.d/30-admins.conf");
  CHECK(m.integer(0, "match_line") == 3);
  CHECK(m.integer(1, "value_int") == 5);
  CHECK(m.text(2, "criteria") == "Group sftponly");
  CHECK(m.text(2, "keyword") == "chrootdirectory");
  CHECK(m.text(2, "value") == "/srv/sftp/%u");
  CHECK(m.text(3, "value") == "internal-sftp -d /upload");
  CHECK(m.text(3, "file") == "/etc/ssh/sshd_config");
  CHECK(m.integer(3, "line") == 12);
  CHECK(m.integer(3, "match_line") == 10);
}

TEST_CASE("sshd_config table without the file reports the defaults and a warning", "[sshd_config]") {
  vigil::test::TempDir dir;
  dir.mkdir("etc/ssh");
  auto t = collect(dir.path(), "sshd_config");
  REQUIRE(t.status.ok());
  REQUIRE_FALSE(t.rows.empty());
  for (std::size_t r = 0; r < t.rows.size(); ++r) CHECK(t.integer(r, "is_default") == 1);
  CHECK(t.warned("/etc/ssh/sshd_config", "absent"));
}

TEST_CASE("sshd_config table errors on an include loop through a symlink", "[sshd_config]") {
  vigil::test::TempDir dir;
  dir.write("etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\n");
  dir.symlink("etc/ssh/sshd_config.d/loop.conf", "/etc/ssh/sshd_config");
  auto t = collect(dir.path(), "sshd_config");
  REQUIRE_FALSE(t.status.ok());
  CHECK(t.status.error().code == Errc::loop);
  CHECK_THAT(t.status.error().message, Catch::Contains("/etc/ssh/sshd_config.d/loop.conf"));
}

TEST_CASE("sshd_config table errors on an include of a fifo, reads a directory as empty", "[sshd_config]") {
  vigil::test::TempDir dir;
  dir.write("etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*\nPermitRootLogin no\n");
  dir.mkdir("etc/ssh/sshd_config.d/subdir");
  {
    auto t = collect(dir.path(), "sshd_config");
    REQUIRE(t.status.ok());
    CHECK(t.warned("/etc/ssh/sshd_config.d/subdir", "directory"));
    CHECK(t.text(t.only("permitrootlogin"), "value") == "no");
  }
  const std::string fifo = dir.path() + "/etc/ssh/sshd_config.d/pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto t = collect(dir.path(), "sshd_config");
  REQUIRE_FALSE(t.status.ok());
  CHECK(t.status.error().code == Errc::not_regular);
  CHECK_THAT(t.status.error().message, Catch::Contains("/etc/ssh/sshd_config.d/pipe"));
  auto m = collect(dir.path(), "sshd_match");
  CHECK_FALSE(m.status.ok());
}
