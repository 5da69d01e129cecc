// End-to-end: the built `vigil` binary scans fixture hosts through --root and
// the JSON report carries the expected verdicts and evidence. Fixture trees
// are copied to a temporary directory first so file modes can be set (git
// keeps only the executable bit).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "e2e_support.hpp"
#include "runner.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using vigil::test::fixture_host;
using vigil::test::TempDir;
using namespace vigil::e2e;

using namespace std::chrono_literals;

TEST_CASE("stock Debian 12: real verdicts with file and line evidence", "[e2e]") {
  TempDir dir;
  copy_fixture("debian12-stock", dir);
  set_lists_age(dir, 30 * kDays);
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
  for (const char* id : {"ssh.empty-passwords-refused",
                         "ssh.host-based-trust-disabled",
                         "ssh.user-environment-disabled",
                         "ssh.strict-modes",
                         "ssh.log-level",
                         "accounts.uid0-only-root",
                         "accounts.no-empty-passwords",
                         "accounts.passwords-shadowed",
                         "accounts.unique-uids",
                         "accounts.unique-names",
                         "accounts.primary-groups-exist",
                         "groups.unique-gids",
                         "packages.no-insecure-services",
                         "os.supported-release",
                         "sudo.nopasswd-restricted",
                         "sudo.authentication-not-disabled",
                         "sudo.use-pty",
                         "pam.password-hashing",
                         "accounts.password-hashes-strong",
                         "logindefs.password-warn-age",
                         "logindefs.encrypt-method",
                         "accounts.expired-cannot-log-in",
                         "patching.security-repository",
                         "patching.sources-authenticated",
                         "fs.no-world-writable-files",
                         "fs.world-writable-dirs-sticky",
                         "fs.setid-programs-reviewed"}) {
    INFO(id);
    CHECK(s.verdict(id) == "pass");
  }
  // Debian 12 as installed: what a baseline finds wanting.
  for (const char* id :
       {"ssh.idle-timeout", "sudo.logfile", "pam.no-nullok", "pam.password-quality", "pam.faillock",
        "logindefs.password-max-days", "logindefs.password-min-days", "logindefs.umask",
        "accounts.password-aging", "accounts.inactive-lock", "patching.security-updates-installed",
        "patching.updates-installed", "patching.package-lists-fresh", "patching.automatic-updates",
        "patching.reboot-not-pending", "patching.running-newest-kernel", "accounts.shell-idle-timeout",
        "ssh.strong-cryptography"}) {
    INFO(id);
    CHECK(s.verdict(id) == "fail");
  }
  // OpenSSH 9.2's default MACs include hmac-sha1 and umac-64.
  const auto* sha1 = row_where(s.rows("ssh.strong-cryptography"), "algorithm", "hmac-sha1");
  REQUIRE(sha1 != nullptr);
  CHECK(sha1->at("from_default").as_int64() == 1);
  CHECK(sha1->at("compliant").as_int64() == 0);
  const auto* nullok = row_where(s.rows("pam.no-nullok"), "file", "/etc/pam.d/common-auth");
  REQUIRE(nullok != nullptr);
  CHECK(nullok->at("line").as_int64() == 17);
  CHECK(nullok->at("arguments").as_string() == "nullok");
  const auto* umask = row_where(s.rows("logindefs.umask"), "name", "UMASK");
  REQUIRE(umask != nullptr);
  CHECK(umask->at("directory_mode").as_string() == "0755");
  CHECK(umask->at("line").as_int64() == 151);
  // The security list offers a newer OpenSSH; the point release a newer libc6.
  const auto* ssh = row_where(s.rows("patching.security-updates-installed"), "name", "openssh-server");
  REQUIRE(ssh != nullptr);
  CHECK(ssh->at("candidate_version").as_string() == "1:9.2p1-2+deb12u5");
  CHECK(ssh->at("security_version").as_string() == "1:9.2p1-2+deb12u5");
  CHECK(ssh->at("compliant").as_int64() == 0);
  CHECK(row_where(s.rows("patching.security-updates-installed"), "name", "libc6") == nullptr);
  const auto* libc = row_where(s.rows("patching.updates-installed"), "name", "libc6");
  REQUIRE(libc != nullptr);
  CHECK(libc->at("candidate_version").as_string() == "2.36-9+deb12u9");
  CHECK(libc->at("security").as_int64() == 0);
  CHECK(s.verdict("patching.unattended-upgrades-security-origin") == "not_applicable");
  const auto* reboot = row_where(s.rows("patching.reboot-not-pending"), "file", "/run/reboot-required");
  REQUIRE(reboot != nullptr);
  CHECK(reboot->at("packages").as_string() == "linux-image-6.1.0-28-amd64");
  // Running 6.1.0-27 while 6.1.0-28 is installed: both rows are the evidence.
  const auto* running = row_where(s.rows("patching.running-newest-kernel"), "release", "6.1.0-27-amd64");
  REQUIRE(running != nullptr);
  CHECK(running->at("running").as_int64() == 1);
  CHECK(running->at("newest").as_int64() == 0);
  const auto* newest = row_where(s.rows("patching.running-newest-kernel"), "release", "6.1.0-28-amd64");
  REQUIRE(newest != nullptr);
  CHECK(newest->at("version").as_string() == "6.1.119-1");
  const auto* uu = row_where(s.rows("patching.automatic-updates"), "name", "unattended-upgrades");
  REQUIRE(uu != nullptr);
  CHECK(uu->at("compliant").as_int64() == 0);
  const auto* lists = row_where(s.rows("patching.package-lists-fresh"), "kind", "last update");
  REQUIRE(lists != nullptr);
  CHECK(lists->at("age_days").as_int64() == 30);
  // The security Release expired in March 2024: apt refuses it until the next update.
  const auto* expired = row_where(s.rows("patching.package-lists-fresh"), "kind", "expired Release");
  REQUIRE(expired != nullptr);
  CHECK(expired->at("file").as_string() ==
        "/var/lib/apt/lists/security.debian.org_debian-security_dists_bookworm-security_InRelease");
  if (kRoot) {
    CHECK(s.verdict("files.ssh-host-keys-private") == "pass");
    CHECK(s.verdict("files.sudoers-permissions") == "pass");
    CHECK(s.verdict("files.cron-permissions") == "pass");
    CHECK(row_where(s.rows("files.sudoers-permissions"), "path", "/etc/sudoers.d/README") != nullptr);
    CHECK(row_where(s.rows("files.cron-permissions"), "path", "/etc/cron.daily/dpkg") != nullptr);
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
    // A verdict without rows says why: no evidence (a fail) or the check's own on_empty: pass.
    if (r.at("evidence").at("total_rows").as_int64() == 0) {
      const std::string message(r.at("message").as_string());
      if (r.at("verdict").as_string() == "pass") CHECK(message.find("on_empty: pass") != std::string::npos);
      if (r.at("verdict").as_string() == "fail") CHECK(message.find("no evidence") != std::string::npos);
    }
  }
}

TEST_CASE("hardened host: drop-in read first wins over Debian's sshd_config", "[e2e]") {
  TempDir dir;
  prepare_hardened(dir);
  Scan s = scan_root(dir.path());
  const auto* x11 = row_where(s.rows("ssh.x11-forwarding-disabled"), "keyword", "x11forwarding");
  REQUIRE(x11 != nullptr);
  CHECK(x11->at("value").as_string() == "no");
  CHECK(x11->at("file").as_string() == "/etc/ssh/sshd_config.d/50-hardening.conf");
  CHECK(s.rows("ssh.login-grace-time")[0].at("seconds").as_int64() == 30);
  // A copied root has no kernel packet filter to read, and a server no GNOME.
  const std::set<std::string> not_here{"network.firewall-active", "workstation.screen-lock"};
  for (const auto& [id, r] : s.by_check) {
    INFO(id << ": " << r.at("message").as_string());
    if (!kRoot && id.rfind("files.", 0) == 0) continue;
    CHECK(r.at("verdict").as_string() == (not_here.count(id) ? "not_applicable" : "pass"));
  }
  if (kRoot) CHECK(s.exit_code == 0);
  const auto* sshd = row_where(s.rows("network.listeners-approved"), "comm", "sshd");
  REQUIRE(sshd != nullptr);
  CHECK(sshd->at("port").as_int64() == 22);
  const auto* kptr = row_where(s.rows("kernel.sysctl-hardened"), "name", "kernel.kptr_restrict");
  REQUIRE(kptr != nullptr);
  CHECK(kptr->at("persisted_file").as_string() == "/etc/sysctl.d/90-hardening.conf");
}

TEST_CASE("running host: unapproved listeners and kernel settings not persisted fail", "[e2e]") {
  TempDir dir;
  copy_fixture("debian12-hardened", dir);
  // Postgres on a LAN address and a stray UDP socket; sysctl.d no longer sets kptr_restrict.
  fs::remove_all(dir.path() + "/proc");
  fs::copy(fixture_host("proc-debian12") + "/proc", dir.path() + "/proc",
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::copy(fixture_host("debian12-hardened") + "/proc/sys", dir.path() + "/proc/sys",
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  edit_file(dir, "/etc/sysctl.d/90-hardening.conf", "kernel.kptr_restrict = 1\n", "", 0644);
  Scan s =
      scan_root(dir.path(), {"--check", "network.listeners-approved", "--check", "kernel.sysctl-hardened"});
  CHECK(s.verdict("network.listeners-approved") == "fail");
  const auto* pg = row_where(s.rows("network.listeners-approved"), "comm", "postgres");
  REQUIRE(pg != nullptr);
  CHECK(pg->at("address").as_string() == "10.0.0.5");
  CHECK(pg->at("compliant").as_int64() == 0);
  CHECK(s.verdict("kernel.sysctl-hardened") == "fail");
  const auto* kptr = row_where(s.rows("kernel.sysctl-hardened"), "name", "kernel.kptr_restrict");
  REQUIRE(kptr != nullptr);
  CHECK(kptr->at("live_value").as_string() == "1");
  CHECK(kptr->at("persisted_value").is_null());
  CHECK(kptr->at("compliant").as_int64() == 0);
}

TEST_CASE("hardened host: a later apt.conf file can undo automatic security updates", "[e2e]") {
  TempDir dir;
  copy_fixture("debian12-hardened", dir);
  dir.mkdir("/run");
  const std::vector<std::string> only{"--check", "patching.automatic-updates", "--check",
                                      "patching.unattended-upgrades-security-origin"};
  SECTION("#clear drops Debian's security origins") {
    dir.write("/etc/apt/apt.conf.d/99local",
              "#clear Unattended-Upgrade::Origins-Pattern;\n"
              "Unattended-Upgrade::Origins-Pattern { \"origin=Example,label=Example Tools\"; };\n");
    Scan s = scan_root(dir.path(), only);
    CHECK(s.verdict("patching.automatic-updates") == "pass");
    CHECK(s.verdict("patching.unattended-upgrades-security-origin") == "fail");
    const auto& rows = s.rows("patching.unattended-upgrades-security-origin");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].at("value").as_string() == "origin=Example,label=Example Tools");
    CHECK(rows[0].at("file").as_string() == "/etc/apt/apt.conf.d/99local");
  }
  SECTION("a later file turns the periodic run off") {
    dir.write("/etc/apt/apt.conf.d/99local", "APT::Periodic::Unattended-Upgrade \"0\";\n");
    Scan s = scan_root(dir.path(), only);
    CHECK(s.verdict("patching.automatic-updates") == "fail");
    const auto* off =
        row_where(s.rows("patching.automatic-updates"), "name", "APT::Periodic::Unattended-Upgrade");
    REQUIRE(off != nullptr);
    CHECK(off->at("value").as_string() == "0");
    CHECK(off->at("file").as_string() == "/etc/apt/apt.conf.d/99local");
  }
  SECTION("a syntax error in any apt.conf file stops apt and unattended-upgrades") {
    dir.write("/etc/apt/apt.conf.d/99local", "APT::Periodic::Verbose \"1\"\n");  // no ';'
    Scan s = scan_root(dir.path(), only);
    CHECK(s.verdict("patching.automatic-updates") == "fail");
    const auto* error = row_where(s.rows("patching.automatic-updates"), "kind", "apt.conf error");
    REQUIRE(error != nullptr);
    CHECK(error->at("name").as_string() == "/etc/apt/apt.conf.d/99local");
  }
}

TEST_CASE("weak host: every planted weakness is a failure naming its evidence", "[e2e]") {
  TempDir dir;
  copy_fixture("debian10-weak", dir);
  ::chmod((dir.path() + "/etc/shadow").c_str(), 0644);  // world-readable hashes
  ::chmod((dir.path() + "/etc/ssh/ssh_host_ed25519_key").c_str(), 0644);
  ::chmod((dir.path() + "/etc/crontab").c_str(), 0666);
  ::chmod((dir.path() + "/etc/sudoers.d/ops").c_str(), 0644);
  set_lists_age(dir, 400 * kDays);
  dir.write("/srv/share/drop.txt", "anyone may change this", 0666);
  dir.mkdir("/srv/upload");
  ::chmod((dir.path() + "/srv/upload").c_str(), 0777);
  dir.write("/usr/local/bin/rootshell", "#!/bin/sh\n", 04755);
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

  // Access: sudo without a password or any authentication, weak hashes, an expired leaver.
  for (const char* id :
       {"sudo.nopasswd-restricted", "sudo.authentication-not-disabled", "sudo.use-pty", "pam.no-nullok",
        "pam.password-hashing", "accounts.password-hashes-strong", "logindefs.encrypt-method",
        "accounts.expired-cannot-log-in", "patching.security-repository", "patching.sources-authenticated",
        "patching.package-lists-fresh"}) {
    INFO(id);
    CHECK(s.verdict(id) == "fail");
  }
  if (kRoot) {
    CHECK(s.verdict("files.ssh-host-keys-private") == "fail");
    CHECK(s.verdict("files.cron-permissions") == "fail");
    const auto* crontab = row_where(s.rows("files.cron-permissions"), "path", "/etc/crontab");
    REQUIRE(crontab != nullptr);
    CHECK(crontab->at("mode").as_string() == "0666");
    CHECK(s.verdict("files.sudoers-permissions") == "fail");
    const auto* ops_mode = row_where(s.rows("files.sudoers-permissions"), "path", "/etc/sudoers.d/ops");
    REQUIRE(ops_mode != nullptr);
    CHECK(ops_mode->at("compliant").as_int64() == 0);
  }
  CHECK(s.verdict("accounts.shell-idle-timeout") == "fail");
  // The filesystem pack: one walk finds the planted modes.
  for (const char* id :
       {"fs.no-world-writable-files", "fs.world-writable-dirs-sticky", "fs.setid-programs-reviewed"}) {
    INFO(id);
    CHECK(s.verdict(id) == "fail");
  }
  CHECK(row_where(s.rows("fs.no-world-writable-files"), "path", "/srv/share/drop.txt") != nullptr);
  CHECK(row_where(s.rows("fs.world-writable-dirs-sticky"), "path", "/srv/upload") != nullptr);
  const auto* suid = row_where(s.rows("fs.setid-programs-reviewed"), "path", "/usr/local/bin/rootshell");
  REQUIRE(suid != nullptr);
  CHECK(suid->at("mode").as_string() == "4755");
  const auto* walk = row_where(s.rows("fs.setid-programs-reviewed"), "kind", "walk_summary");
  REQUIRE(walk != nullptr);
  CHECK(walk->at("type").as_string() == "complete");
  CHECK(walk->at("compliant").as_int64() == 1);
  const auto* ops = row_where(s.rows("sudo.nopasswd-restricted"), "users", "%ops");
  REQUIRE(ops != nullptr);
  CHECK(ops->at("file").as_string() == "/etc/sudoers.d/ops");
  CHECK(ops->at("line").as_int64() == 3);
  const auto* noauth = row_where(s.rows("sudo.authentication-not-disabled"), "subject", ":%ops");
  REQUIRE(noauth != nullptr);
  CHECK(noauth->at("setting").as_string() == "!authenticate");
  const auto* pty = row_where(s.rows("sudo.use-pty"), "name", "use_pty");
  REQUIRE(pty != nullptr);
  CHECK(pty->at("negated").as_int64() == 1);
  const auto* md5 = row_where(s.rows("accounts.password-hashes-strong"), "name", "legacy");
  REQUIRE(md5 != nullptr);
  CHECK(md5->at("hash_algorithm").as_string() == "md5");
  const auto* hashing = row_where(s.rows("pam.password-hashing"), "file", "/etc/pam.d/common-password");
  REQUIRE(hashing != nullptr);
  CHECK(hashing->at("algorithm").as_string() == "md5");
  const auto* leaver = row_where(s.rows("accounts.expired-cannot-log-in"), "name", "leaver");
  REQUIRE(leaver != nullptr);
  CHECK(leaver->at("expired").as_int64() == 1);
  CHECK(leaver->at("compliant").as_int64() == 0);
  const auto* unsigned_repo =
      row_where(s.rows("patching.sources-authenticated"), "name", "http://apt.example.net/internal");
  REQUIRE(unsigned_repo != nullptr);
  CHECK(unsigned_repo->at("line").as_int64() == 2);
  CHECK(unsigned_repo->at("compliant").as_int64() == 0);
  const auto* unauth =
      row_where(s.rows("patching.sources-authenticated"), "name", "APT::Get::AllowUnauthenticated");
  REQUIRE(unauth != nullptr);
  CHECK(unauth->at("file").as_string() == "/etc/apt/apt.conf.d/99local");
  CHECK(unauth->at("compliant").as_int64() == 0);
  const auto* valid_until =
      row_where(s.rows("patching.sources-authenticated"), "name", "Acquire::Check-Valid-Until");
  REQUIRE(valid_until != nullptr);
  CHECK(valid_until->at("compliant").as_int64() == 0);
  CHECK(s.verdict("patching.automatic-updates") == "fail");
  CHECK(s.verdict("patching.reboot-not-pending") == "not_applicable");  // an image without /run

  // The readable report groups by control and shows the offending rows and the fix.
  const Run text = run_vigil_process({"scan", "--root", dir.path()});
  CHECK(text.exit_code == 1);
  const std::string& out = text.out;
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
    Scan s =
        scan_root(dir.path(), {"--check", "ssh.root-login-disabled", "--check", "accounts.uid0-only-root"});
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
  SECTION("a sudoers include loop, and /dev/zero in sudoers.d") {
    dir.write("/etc/sudoers.d/loop", "@include /etc/sudoers.d/loop\n", 0440);
    dir.symlink("/etc/sudoers.d/zero", "/dev/zero");
    Scan s = scan_root(dir.path());
    for (const char* id : {"sudo.nopasswd-restricted", "sudo.use-pty", "sudo.authentication-not-disabled"}) {
      INFO(id);
      CHECK(s.verdict(id) == "error");
    }
    CHECK(s.verdict("accounts.uid0-only-root") == "pass");
  }
  SECTION("a device node or fifo in sudoers.d is skipped, as sudo skips it") {
    // /dev/zero inside the host root when this test may make device nodes, a fifo always:
    // either would block or never end a read.
    dir.mkdir("/dev");
    const bool zero = ::mknod((dir.path() + "/dev/zero").c_str(), S_IFCHR | 0666, makedev(1, 5)) == 0;
    if (zero) dir.symlink("/etc/sudoers.d/zero", "/dev/zero");
    REQUIRE(::mkfifo((dir.path() + "/etc/sudoers.d/pipe").c_str(), 0440) == 0);
    Scan s = scan_root(dir.path());
    CHECK(s.verdict("sudo.use-pty") == "pass");
    std::set<std::string> warned;
    for (const auto& w : s.report.at("warnings").as_array())
      warned.insert(std::string(w.at("where").as_string()));
    CHECK(warned.count("/etc/sudoers.d/pipe") == 1);
    if (zero) CHECK(warned.count("/etc/sudoers.d/zero") == 1);
  }
  SECTION("a PAM include loop") {
    dir.write("/etc/pam.d/common-auth", "@include common-auth\n");
    Scan s = scan_root(dir.path());
    CHECK(s.verdict("pam.no-nullok") == "error");
    CHECK(s.verdict("pam.faillock") == "error");
    CHECK(s.verdict("logindefs.encrypt-method") == "pass");
  }
  SECTION("login.defs over its size cap, and login.defs linked out of the root") {
    const std::string defs = dir.path() + "/etc/login.defs";
    REQUIRE(::truncate(defs.c_str(), 17LL * 1024 * 1024) == 0);
    Scan big = scan_root(dir.path());
    CHECK(big.verdict("logindefs.password-max-days") == "error");
    fs::remove(defs);
    dir.symlink("/etc/login.defs", "../../../../../../../etc/login.defs");  // back to itself inside the root
    Scan link = scan_root(dir.path());
    CHECK(link.verdict("logindefs.password-max-days") == "error");
    CHECK(link.verdict("logindefs.encrypt-method") == "error");
  }
  SECTION("garbage bytes in the package lists") {
    std::string junk(64 * 1024, '\0');
    for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 2654435761u) >> 13);
    dir.write("/var/lib/apt/lists/security.debian.org_debian-security_dists_bookworm-security_InRelease",
              junk);
    dir.write(
        "/var/lib/apt/lists/"
        "security.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages",
        junk);
    Scan s = scan_root(dir.path());
    // Without its Release the list cannot be classified: a pending security fix could
    // hide in it, so the patching checks end in error, never in pass.
    CHECK(s.verdict("patching.security-updates-installed") == "error");
    CHECK(s.verdict("patching.updates-installed") == "error");
    CHECK_THAT(std::string(s.by_check.at("patching.updates-installed").at("message").as_string()),
               Catch::Contains("whether it is a security list is unknown"));
    CHECK_FALSE(s.report.at("warnings").as_array().empty());
  }
}

TEST_CASE("command line: usage errors, policy errors and --check", "[e2e]") {
  TempDir dir;
  copy_fixture("debian12-stock", dir);
  const auto run = run_vigil_process;
  CHECK(run({"--version"}).exit_code == 0);
  CHECK(run({"scan", "--help"}).out.find("--root") != std::string::npos);
  CHECK(run({"scan", "--bogus"}).exit_code == 2);
  CHECK(run({"scan", "--root", dir.path() + "/nope"}).exit_code == 2);
  CHECK(run({"scan", "--root", dir.path(), "--check", "no.such"}).exit_code == 2);

  // A built-in pack by name runs alone; a wrong name says which packs exist.
  Scan fs_only =
      run_vigil({"scan", "--root", dir.path(), "--format", "json", "--policy", "builtin:linux-filesystem"});
  CHECK(fs_only.by_check.size() == 4);
  CHECK(fs_only.verdict("fs.no-unowned-files") != "<missing>");
  auto unknown_pack = run({"scan", "--root", dir.path(), "--policy", "builtin:linux-nope"});
  CHECK(unknown_pack.exit_code == 2);
  CHECK(unknown_pack.err.find("no such built-in policy pack") != std::string::npos);

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
