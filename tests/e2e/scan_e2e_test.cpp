// End-to-end: the built `vigil` binary scans fixture hosts through --root and
// the JSON report carries the expected verdicts and evidence. Fixture trees
// are copied to a temporary directory first so file modes can be set (git
// keeps only the executable bit).
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "runner.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using vigil::collectors::run_program;
using vigil::collectors::RunOptions;
using vigil::test::fixture_host;
using vigil::test::TempDir;

namespace {

struct Scan {
  int exit_code = -1;
  json::value report;
  std::string err;
  std::map<std::string, json::object> by_check;

  std::string verdict(const std::string& id) const {
    auto it = by_check.find(id);
    if (it == by_check.end()) return "<missing>";
    return std::string(it->second.at("verdict").as_string());
  }
  const json::array& rows(const std::string& id) const {
    return by_check.at(id).at("evidence").at("rows").as_array();
  }
};

Scan run_vigil(const std::vector<std::string>& args) {
  RunOptions opts;
  opts.timeout = std::chrono::milliseconds(60000);
  opts.max_output = 64u * 1024u * 1024u;
  auto r = run_program(VIGIL_BINARY, args, opts);
  REQUIRE(r.ok());
  Scan s;
  s.exit_code = r->exit_code;
  s.err = r->err;
  json::error_code ec;
  s.report = json::parse(r->out, ec);
  INFO("stdout: " << r->out.substr(0, 2000) << "\nstderr: " << r->err);
  REQUIRE_FALSE(ec);  // the output is always valid JSON
  for (const auto& res : s.report.at("results").as_array()) {
    s.by_check[std::string(res.at("check").as_string())] = res.as_object();
  }
  return s;
}

Scan scan_root(const std::string& root, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"scan", "--root", root, "--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_vigil(args);
}

// A copy of a fixture host with the modes a real Debian install has.
void copy_fixture(const std::string& name, const TempDir& dir) {
  fs::copy(fixture_host(name), dir.path(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  for (const char* f : {"/etc/passwd", "/etc/group"}) ::chmod((dir.path() + f).c_str(), 0644);
  for (const char* f : {"/etc/shadow", "/etc/gshadow"}) ::chmod((dir.path() + f).c_str(), 0640);
}

const json::object* row_where(const json::array& rows, const char* key, const char* value) {
  for (const auto& r : rows) {
    const auto& o = r.as_object();
    if (o.contains(key) && o.at(key).is_string() && o.at(key).as_string() == value) return &o;
  }
  return nullptr;
}

const bool kRoot = ::geteuid() == 0;

}  // namespace

TEST_CASE("stock Debian 12: real verdicts with file and line evidence", "[e2e]") {
  TempDir dir;
  copy_fixture("debian12-stock", dir);
  Scan s = scan_root(dir.path());
  CHECK(s.exit_code == 1);  // failures present

  // Debian's defaults: root may log in with a key, passwords are accepted.
  CHECK(s.verdict("ssh.root-login-disabled") == "fail");
  const auto* prl = row_where(s.rows("ssh.root-login-disabled"), "keyword", "permitrootlogin");
  REQUIRE(prl != nullptr);
  CHECK(prl->at("value").as_string() == "prohibit-password");
  CHECK(prl->at("is_default").as_int64() == 1);

  CHECK(s.verdict("ssh.password-authentication-disabled") == "fail");
  const auto* kbd =
      row_where(s.rows("ssh.password-authentication-disabled"), "keyword", "kbdinteractiveauthentication");
  REQUIRE(kbd != nullptr);
  CHECK(kbd->at("file").as_string() == "/etc/ssh/sshd_config");
  CHECK(kbd->at("line").as_int64() == 62);

  CHECK(s.verdict("ssh.x11-forwarding-disabled") == "fail");
  CHECK(s.rows("ssh.x11-forwarding-disabled")[0].at("line").as_int64() == 90);
  CHECK(s.verdict("ssh.max-auth-tries") == "fail");
  CHECK(s.verdict("ssh.login-grace-time") == "fail");
  for (const char* id :
       {"ssh.empty-passwords-refused", "ssh.host-based-trust-disabled", "ssh.user-environment-disabled",
        "ssh.strict-modes", "ssh.log-level", "accounts.uid0-only-root", "accounts.no-empty-passwords",
        "accounts.passwords-shadowed", "accounts.unique-uids", "accounts.unique-names",
        "accounts.primary-groups-exist", "groups.unique-gids", "packages.no-insecure-services",
        "os.supported-release"}) {
    INFO(id);
    CHECK(s.verdict(id) == "pass");
  }
  // Ownership checks depend on who made the copy: root in CI.
  if (kRoot) {
    CHECK(s.verdict("files.passwd-permissions") == "pass");
    CHECK(s.verdict("files.shadow-permissions") == "pass");
  }
  // The report describes the host and every check has controls and evidence.
  CHECK(s.report.at("host").at("hostname").as_string() == "web-01");
  CHECK(s.report.at("host").at("os_id").as_string() == "debian");
  for (const auto& [id, r] : s.by_check) {
    INFO(id);
    CHECK_FALSE(r.at("controls").at("iso27001-2022").as_array().empty());
    if (r.at("verdict").as_string() == "pass" || r.at("verdict").as_string() == "fail") {
      CHECK(r.at("evidence").at("total_rows").as_int64() + (id == "packages.no-insecure-services" ? 1 : 0) >
            0);
    }
  }
}

TEST_CASE("hardened host: drop-in read first wins over Debian's sshd_config", "[e2e]") {
  TempDir dir;
  copy_fixture("debian12-hardened", dir);
  Scan s = scan_root(dir.path());
  const auto* x11 = row_where(s.rows("ssh.x11-forwarding-disabled"), "keyword", "x11forwarding");
  REQUIRE(x11 != nullptr);
  CHECK(x11->at("value").as_string() == "no");
  CHECK(x11->at("file").as_string() == "/etc/ssh/sshd_config.d/50-hardening.conf");
  CHECK(s.rows("ssh.login-grace-time")[0].at("seconds").as_int64() == 30);
  for (const auto& [id, r] : s.by_check) {
    INFO(id << ": " << r.at("message").as_string());
    if (!kRoot && id.rfind("files.", 0) == 0) continue;
    CHECK(r.at("verdict").as_string() == "pass");
  }
  if (kRoot) CHECK(s.exit_code == 0);
}

TEST_CASE("weak host: every planted weakness is a failure naming its evidence", "[e2e]") {
  TempDir dir;
  copy_fixture("debian10-weak", dir);
  ::chmod((dir.path() + "/etc/shadow").c_str(), 0644);  // world-readable hashes
  Scan s = scan_root(dir.path());
  CHECK(s.exit_code == 1);
  CHECK(s.verdict("accounts.uid0-only-root") == "fail");
  REQUIRE(row_where(s.rows("accounts.uid0-only-root"), "name", "toor") != nullptr);
  CHECK(s.verdict("accounts.no-empty-passwords") == "fail");
  const auto* guest = row_where(s.rows("accounts.no-empty-passwords"), "name", "guest");
  REQUIRE(guest != nullptr);
  CHECK(guest->at("password_state").as_string() == "empty");
  CHECK(guest->at("compliant").as_int64() == 0);
  CHECK(s.verdict("accounts.passwords-shadowed") == "fail");
  CHECK(s.verdict("accounts.unique-uids") == "fail");
  CHECK(s.verdict("accounts.primary-groups-exist") == "fail");
  CHECK(s.verdict("packages.no-insecure-services") == "fail");
  REQUIRE(row_where(s.rows("packages.no-insecure-services"), "name", "telnetd") != nullptr);
  CHECK(s.verdict("os.supported-release") == "fail");
  CHECK(s.verdict("files.shadow-permissions") == "fail");
  CHECK(s.verdict("ssh.root-login-disabled") == "fail");
  const auto* prl = row_where(s.rows("ssh.root-login-disabled"), "keyword", "permitrootlogin");
  REQUIRE(prl != nullptr);
  CHECK(prl->at("value").as_string() == "yes");
  CHECK(prl->at("file").as_string() == "/etc/ssh/sshd_config.d/10-legacy.conf");
  CHECK(prl->at("line").as_int64() == 2);
  CHECK(s.verdict("ssh.empty-passwords-refused") == "fail");

  // The readable report groups by control and shows the offending rows and the fix.
  RunOptions opts;
  opts.timeout = std::chrono::milliseconds(60000);
  auto text = run_program(VIGIL_BINARY, {"scan", "--root", dir.path()}, opts);
  REQUIRE(text.ok());
  CHECK(text->exit_code == 1);
  const std::string& out = text->out;
  CHECK(out.find("A.8.2  Privileged access rights") != std::string::npos);
  CHECK(out.find("| name=toor uid=0 shell=/bin/bash file=/etc/passwd line=24") != std::string::npos);
  CHECK(out.find("| name=root uid=0") == std::string::npos);  // compliant rows are not the news
  CHECK(out.find("fix: Remove the extra uid 0 account") != std::string::npos);
  CHECK(out.find("Summary: " + std::to_string(s.by_check.size()) + " checks:") != std::string::npos);
}

TEST_CASE("a host without sshd or dpkg gets not_applicable, never pass", "[e2e]") {
  TempDir dir;
  dir.write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  dir.write("/etc/shadow", "root:*:19700:0:99999:7:::\n", 0640);
  dir.write("/etc/group", "root:x:0:\n");
  Scan s = scan_root(dir.path());
  CHECK(s.verdict("ssh.root-login-disabled") == "not_applicable");
  CHECK(s.verdict("packages.no-insecure-services") == "not_applicable");
  // No os-release: the release check cannot pass.
  CHECK(s.verdict("os.supported-release") == "fail");
  // gshadow is missing: a missing file is a fact that fails its check.
  CHECK(s.verdict("files.shadow-permissions") == "fail");
  CHECK(row_where(s.rows("files.shadow-permissions"), "type", "absent") != nullptr);
}

TEST_CASE("hostile host input ends in error results or warnings, with valid JSON", "[e2e]") {
  TempDir dir;
  copy_fixture("debian12-stock", dir);
  SECTION("include loop in sshd_config") {
    dir.write("/etc/ssh/sshd_config.d/loop.conf", "Include /etc/ssh/sshd_config.d/loop.conf\n");
    Scan s = scan_root(dir.path());
    CHECK(s.verdict("ssh.root-login-disabled") == "error");
    CHECK(s.verdict("accounts.uid0-only-root") == "pass");  // the scan went on
    CHECK(s.exit_code == 3);  // errors and no failure (the failing ssh checks now error)
  }
  SECTION("symlink escaping the root resolves inside it") {
    fs::remove(dir.path() + "/etc/passwd");
    dir.symlink("/etc/passwd", "../../../../../../../../etc/passwd");
    Scan s = scan_root(dir.path());
    // The link points back at itself inside the root: a loop, never the real /etc/passwd.
    CHECK(s.verdict("accounts.uid0-only-root") == "error");
    CHECK(std::string(s.by_check.at("accounts.uid0-only-root").at("message").as_string())
              .find("symbolic link") != std::string::npos);
  }
  SECTION("a 100 MB package database") {
    const std::string status = dir.path() + "/var/lib/dpkg/status";
    REQUIRE(::truncate(status.c_str(), 100LL * 1024 * 1024) == 0);
    Scan s = scan_root(dir.path());
    CHECK(s.verdict("packages.no-insecure-services") == "error");
    CHECK(std::string(s.by_check.at("packages.no-insecure-services").at("message").as_string()).find("cap") !=
          std::string::npos);
  }
  SECTION("non-UTF-8 bytes and a NUL in passwd") {
    static const char kPasswd[] = "root:x:0:0:r\xff\xfeot:/root:/bin/bash\nev\0il:x:0:0::/:/bin/sh\n";
    dir.write("/etc/passwd", std::string(kPasswd, sizeof kPasswd - 1));
    Scan s = scan_root(dir.path());
    CHECK(s.verdict("accounts.uid0-only-root") == "pass");  // the NUL line is skipped, like glibc does
    bool warned = false;
    for (const auto& w : s.report.at("warnings").as_array()) {
      warned = warned || w.at("where").as_string() == "/etc/passwd:2";
    }
    CHECK(warned);
  }
  SECTION("a fifo where a config file should be") {
    dir.mkdir("/etc/ssh/sshd_config.d");  // git keeps no empty directories
    REQUIRE(::mkfifo((dir.path() + "/etc/ssh/sshd_config.d/fifo.conf").c_str(), 0644) == 0);
    Scan s = scan_root(dir.path());  // must not hang on open()
    CHECK(s.verdict("ssh.root-login-disabled") == "error");
  }
}

TEST_CASE("command line: usage errors, policy errors and --check", "[e2e]") {
  TempDir dir;
  copy_fixture("debian12-stock", dir);
  auto run = [](std::vector<std::string> args) {
    RunOptions opts;
    opts.timeout = std::chrono::milliseconds(60000);
    auto r = run_program(VIGIL_BINARY, args, opts);
    REQUIRE(r.ok());
    return std::move(*r);
  };
  CHECK(run({"--version"}).exit_code == 0);
  CHECK(run({"scan", "--help"}).out.find("--root") != std::string::npos);
  CHECK(run({"scan", "--bogus"}).exit_code == 2);
  CHECK(run({"scan", "--root", dir.path() + "/nope"}).exit_code == 2);
  CHECK(run({"scan", "--root", dir.path(), "--check", "no.such"}).exit_code == 2);

  Scan one =
      run_vigil({"scan", "--root", dir.path(), "--format", "json", "--check", "accounts.uid0-only-root"});
  CHECK(one.by_check.size() == 1);
  CHECK(one.exit_code == 0);

  dir.write("/policy/bad.yaml",
            "id: bad\ntitle: t\nversion: 1\nchecks:\n  - id: x\n    title: t\n    severity: high\n"
            "    controls: { iso27001-2022: [A.8.5] }\n    query: SELECT * FROM nosuch\n"
            "    remediation: r\n");
  auto bad = run({"scan", "--root", dir.path(), "--policy", dir.path() + "/policy/bad.yaml"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("bad.yaml:5: check x: query: no such table: nosuch") != std::string::npos);

  auto lint = run({"policy", "lint", std::string(VIGIL_SOURCE_DIR) + "/policies/linux-baseline.yaml"});
  CHECK(lint.exit_code == 0);

  // docs/tables.md is generated from the registry; it must not drift from the code.
  auto md = run({"collectors", "--format", "markdown"});
  REQUIRE(md.exit_code == 0);
  std::ifstream doc(std::string(VIGIL_SOURCE_DIR) + "/docs/tables.md", std::ios::binary);
  std::ostringstream doc_text;
  doc_text << doc.rdbuf();
  INFO("regenerate with: vigil collectors --format markdown > docs/tables.md");
  CHECK(doc_text.str() == md.out);

  auto q = run({"query", "--root", dir.path(), "--format", "json", "SELECT name FROM users WHERE uid = 0"});
  CHECK(q.exit_code == 0);
  CHECK(q.out.find("\"root\"") != std::string::npos);
  CHECK(run({"query", "--root", dir.path(), "DELETE FROM users"}).exit_code == 2);
}
