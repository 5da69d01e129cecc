// End-to-end checks of encryption, logging, time and hardening: each check
// passes on the hardened host (scan_e2e_test.cpp) and fails here on a copy of
// it, or on a collector fixture, that breaks exactly what the check judges.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "e2e_support.hpp"
#include "runner.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using vigil::test::fixture_host;
using vigil::test::TempDir;
using namespace vigil::e2e;

namespace {

Scan scan_check(const std::string& root, const std::string& check) {
  Scan s = scan_root(root, {"--check", check});
  INFO(check << ": " << s.message(check));
  REQUIRE(s.by_check.count(check) == 1);
  return s;
}

// The rows of a check whose `compliant` is 0 or NULL.
std::vector<json::object> failing_rows(const Scan& s, const std::string& check) {
  std::vector<json::object> out;
  for (const auto& r : s.rows(check)) {
    const auto& c = r.as_object().at("compliant");
    if (c.is_null() || c.to_number<std::int64_t>() == 0) out.push_back(r.as_object());
  }
  return out;
}

std::string str(const json::object& row, const char* key) {
  const auto& v = row.at(key);
  return v.is_string() ? std::string(v.as_string()) : std::string("<not text>");
}

// /usr/bin/openssl, run without a shell, writing into dir.
void openssl(const std::vector<std::string>& args) {
  vigil::collectors::RunOptions opts;
  opts.timeout = std::chrono::milliseconds(60000);
  auto r = vigil::collectors::run_program("/usr/bin/openssl", args, opts);
  REQUIRE(r.ok());
  INFO(r->err);
  REQUIRE(r->exit_code == 0);
}

}  // namespace

TEST_CASE("encryption at rest: LUKS beneath LVM or RAID passes, a plain disk fails", "[e2e]") {
  const std::string check = "crypto.storage-encrypted";
  SECTION("LUKS on RAID counts; the plain partitions and RAID beside it do not") {
    Scan s = scan_check(fixture_host("storage-md-luks"), check);
    CHECK(s.verdict(check) == "fail");
    bool luks_on_raid = false;
    for (const auto& r : s.rows(check)) {
      const auto& row = r.as_object();
      const std::string chain = str(row, "chain");
      if (chain.find("CRYPT-LUKS") != std::string::npos && chain.find("raid") != std::string::npos) {
        luks_on_raid = true;
        CHECK(row.at("compliant").to_number<std::int64_t>() == 1);
      }
    }
    CHECK(luks_on_raid);
    const auto* data = row_where(s.rows(check), "mount_point", "/data");
    REQUIRE(data != nullptr);
    CHECK(data->at("compliant").to_number<std::int64_t>() == 0);
  }
  SECTION("a plain disk and plain swap fail") {
    Scan s = scan_check(fixture_host("storage-plain"), check);
    CHECK(s.verdict(check) == "fail");
    CHECK_FALSE(failing_rows(s, check).empty());
  }
  SECTION("the hardened host: root, /home, /var/tmp and swap on LUKS2; /boot exempt") {
    TempDir dir;
    prepare_hardened(dir);
    Scan s = scan_check(dir.path(), check);
    CHECK(s.verdict(check) == "pass");
    CHECK(row_where(s.rows(check), "mount_point", "/boot") == nullptr);
    const auto* swap = row_where(s.rows(check), "mount_point", "swap");
    REQUIRE(swap != nullptr);
    CHECK(str(*swap, "crypt_type") == "LUKS2");
  }
}

TEST_CASE("system TLS policy: Debian 12's openssl.cnf leaves MinProtocol unset", "[e2e]") {
  const std::string check = "crypto.system-tls-policy";
  Scan s = scan_check(fixture_host("openssl-debian12"), check);
  CHECK(s.verdict(check) == "fail");
  const auto bad = failing_rows(s, check);
  REQUIRE(bad.size() == 1);
  CHECK(str(bad[0], "command") == "MinProtocol");
  CHECK(str(bad[0], "value") == "None");
  Scan good = scan_check(fixture_host("openssl-hardened"), check);
  CHECK(good.verdict(check) == "pass");
  const auto* min = row_where(good.rows(check), "command", "MinProtocol");
  REQUIRE(min != nullptr);
  CHECK(str(*min, "file") == "/etc/ssl/openssl.cnf");
}

TEST_CASE("certificates: one expiring within the window and a weak one fail, trust anchors are not judged",
          "[e2e]") {
  const std::string check = "crypto.certificates-valid";
  TempDir dir;
  prepare_hardened(dir);
  TempDir keys;
  // Valid for ten days: inside the 30-day warning window.
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
           keys.path() + "/soon.key", "-out", dir.path() + "/etc/ssl/certs/soon.example.net.pem", "-days",
           "10", "-subj", "/CN=soon.example.net", "-addext", "basicConstraints=CA:FALSE"});
  // RSA 1024 signed with SHA-1: weak key and weak signature, valid for years.
  openssl({"req", "-x509", "-newkey", "rsa:1024", "-sha1", "-nodes", "-keyout", keys.path() + "/weak.key",
           "-out", dir.path() + "/etc/ssl/certs/weak.example.net.pem", "-days", "3650", "-subj",
           "/CN=weak.example.net", "-addext", "basicConstraints=CA:FALSE"});
  Scan s = scan_check(dir.path(), check);
  CHECK(s.verdict(check) == "fail");
  const auto bad = failing_rows(s, check);
  REQUIRE(bad.size() == 2);
  const auto* soon = row_where(s.rows(check), "file", "/etc/ssl/certs/soon.example.net.pem");
  REQUIRE(soon != nullptr);
  CHECK(soon->at("days_left").to_number<std::int64_t>() <= 10);
  const auto* weak = row_where(s.rows(check), "file", "/etc/ssl/certs/weak.example.net.pem");
  REQUIRE(weak != nullptr);
  CHECK(weak->at("key_bits").to_number<std::int64_t>() == 1024);
  CHECK(str(*weak, "signature_hash") == "sha1");
  CHECK(row_where(s.rows(check), "file", "/etc/ssl/certs/vigil-fixture-ca.pem") == nullptr);
  CHECK(row_where(s.rows(check), "file", "/etc/ssl/certs/web-01.example.net.pem") != nullptr);
}

TEST_CASE("auditd: not running, Debian's default rules and actions fail", "[e2e]") {
  SECTION("a host whose auditd is not running") {
    TempDir dir;
    prepare_hardened(dir);
    fs::remove_all(dir.path() + "/proc/401");
    Scan s = scan_check(dir.path(), "logging.auditd-running");
    CHECK(s.verdict("logging.auditd-running") == "fail");
    CHECK(s.rows("logging.auditd-running")[0].at("processes").to_number<std::int64_t>() == 0);
  }
  SECTION("Debian's stock rules record none of the required events") {
    Scan s = scan_check(fixture_host("logging-debian12"), "logging.audit-rules");
    CHECK(s.verdict("logging.audit-rules") == "fail");
    const auto* shadow = row_where(s.rows("logging.audit-rules"), "wanted", "/etc/shadow");
    REQUIRE(shadow != nullptr);
    CHECK(shadow->at("rule").is_null());
  }
  SECTION("the hardened rules pass; rules left only in audit.rules are not what boot loads") {
    TempDir dir;
    prepare_hardened(dir);
    Scan s = scan_check(dir.path(), "logging.audit-rules");
    CHECK(s.verdict("logging.audit-rules") == "pass");
    const auto* sudoers_d = row_where(s.rows("logging.audit-rules"), "wanted", "/etc/sudoers.d");
    REQUIRE(sudoers_d != nullptr);  // written "-w /etc/sudoers.d/": the trailing slash is the same path
    CHECK(str(*sudoers_d, "rule").find("30-identity.rules:8") != std::string::npos);
    // A later file deletes the shadow watch (-W, matching it whole).
    dir.write("/etc/audit/rules.d/50-local.rules", "-W /etc/shadow -p wa -k identity\n");
    Scan deleted = scan_check(dir.path(), "logging.audit-rules");
    CHECK(deleted.verdict("logging.audit-rules") == "fail");
    CHECK(row_where(deleted.rows("logging.audit-rules"), "wanted", "/etc/shadow")->at("rule").is_null());
    fs::remove(dir.path() + "/etc/audit/rules.d/50-local.rules");
    // augenrules rewrites audit.rules from rules.d at boot: the old file's watches go.
    fs::remove(dir.path() + "/etc/audit/rules.d/30-identity.rules");
    Scan later = scan_check(dir.path(), "logging.audit-rules");
    CHECK(later.verdict("logging.audit-rules") == "fail");
    const auto* shadow = row_where(later.rows("logging.audit-rules"), "wanted", "/etc/shadow");
    REQUIRE(shadow != nullptr);
    CHECK(shadow->at("rule").is_null());
  }
  SECTION("Debian's auditd.conf rotates logs away and only suspends on a full disk") {
    Scan s = scan_check(fixture_host("logging-debian12"), "logging.auditd-full-actions");
    CHECK(s.verdict("logging.auditd-full-actions") == "fail");
    const auto* full = row_where(s.rows("logging.auditd-full-actions"), "key", "disk_full_action");
    REQUIRE(full != nullptr);
    CHECK(str(*full, "value") == "suspend");
    CHECK(str(*full, "file") == "/etc/audit/auditd.conf");
  }
}

TEST_CASE("journald: drop-in precedence decides whether the journal survives a reboot", "[e2e]") {
  const std::string check = "logging.journal-persistent";
  TempDir dir;
  prepare_hardened(dir);
  // A vendor drop-in sorts after the local 50-vigil.conf: the later file wins.
  dir.mkdir("/usr/lib/systemd/journald.conf.d");
  dir.write("/usr/lib/systemd/journald.conf.d/90-volatile.conf", "[Journal]\nStorage=volatile\n");
  Scan s = scan_check(dir.path(), check);
  CHECK(s.verdict(check) == "fail");
  const auto* storage = row_where(s.rows(check), "key", "Storage");
  REQUIRE(storage != nullptr);
  CHECK(str(*storage, "value") == "volatile");
  CHECK(str(*storage, "file") == "/usr/lib/systemd/journald.conf.d/90-volatile.conf");
  // A file of the same name in /etc replaces the vendor's.
  dir.write("/etc/systemd/journald.conf.d/90-volatile.conf", "[Journal]\nStorage=persistent\n");
  Scan fixed = scan_check(dir.path(), check);
  CHECK(fixed.verdict(check) == "pass");
  const auto* now = row_where(fixed.rows(check), "key", "Storage");
  REQUIRE(now != nullptr);
  CHECK(str(*now, "file") == "/etc/systemd/journald.conf.d/90-volatile.conf");
}

TEST_CASE("remote logging: a plain UDP forward in an included file fails beside a TLS one", "[e2e]") {
  const std::string check = "logging.remote-tls";
  Scan s = scan_check(fixture_host("logging-hardened"), check);
  CHECK(s.verdict(check) == "fail");
  const auto bad = failing_rows(s, check);
  REQUIRE(bad.size() == 1);
  CHECK(str(bad[0], "target") == "old-collector.example.net");
  CHECK(str(bad[0], "protocol") == "udp");
  CHECK(str(bad[0], "file") == "/etc/rsyslog.d/50-forward.conf");
  const auto* tls = row_where(s.rows(check), "target", "logs.example.net");
  REQUIRE(tls != nullptr);
  CHECK(tls->at("compliant").to_number<std::int64_t>() == 1);
  SECTION("journald that keeps messages from rsyslog defeats the forward") {
    TempDir dir;
    prepare_hardened(dir);
    Scan ok = scan_check(dir.path(), check);
    CHECK(ok.verdict(check) == "pass");
    dir.write("/etc/systemd/journald.conf.d/60-local.conf", "[Journal]\nForwardToSyslog=no\n");
    Scan s2 = scan_check(dir.path(), check);
    CHECK(s2.verdict(check) == "fail");
    const auto* fwd = row_where(s2.rows(check), "name", "ForwardToSyslog");
    REQUIRE(fwd != nullptr);
    CHECK(str(*fwd, "value") == "no");
    CHECK(str(*fwd, "file") == "/etc/systemd/journald.conf.d/60-local.conf");
  }
  SECTION("no forwarding at all is a failure that says so") {
    Scan none = scan_check(fixture_host("logging-debian12"), check);
    CHECK(none.verdict(check) == "fail");
    const auto bad_rows = failing_rows(none, check);
    REQUIRE(bad_rows.size() == 1);
    CHECK(str(bad_rows[0], "name") == "no forwarding action");
    // Debian's journald forwards to the syslog socket by default.
    const auto* fwd = row_where(none.rows(check), "name", "ForwardToSyslog");
    REQUIRE(fwd != nullptr);
    CHECK(str(*fwd, "value") == "yes");
  }
}

TEST_CASE("log files: a world-readable log and a wide rsyslog create mode fail", "[e2e]") {
  const std::string check = "logging.log-file-permissions";
  TempDir dir;
  prepare_hardened(dir);
  ::chmod((dir.path() + "/var/log/auth.log").c_str(), 0644);
  edit_file(dir, "/etc/rsyslog.conf", "$FileCreateMode 0640", "$FileCreateMode 0644", 0644);
  Scan s = scan_check(dir.path(), check);
  CHECK(s.verdict(check) == "fail");
  const auto* auth = row_where(s.rows(check), "path", "/var/log/auth.log");
  REQUIRE(auth != nullptr);
  CHECK(str(*auth, "mode") == "0644");
  CHECK(auth->at("compliant").to_number<std::int64_t>() == 0);
  bool rsyslog_row = false;
  for (const auto& r : failing_rows(s, check)) {
    if (str(r, "type") == "rsyslog file action") rsyslog_row = true;
  }
  CHECK(rsyslog_row);
  // wtmp at Debian's 0664 is an exception the pack names.
  const auto* wtmp = row_where(s.rows(check), "path", "/var/log/wtmp");
  REQUIRE(wtmp != nullptr);
  CHECK(wtmp->at("compliant").to_number<std::int64_t>() == 1);
}

TEST_CASE("time: configured servers without a running client fail", "[e2e]") {
  const std::string check = "time.synchronised";
  TempDir dir;
  prepare_hardened(dir);
  Scan ok = scan_check(dir.path(), check);
  CHECK(ok.verdict(check) == "pass");
  fs::remove_all(dir.path() + "/proc/433");  // chronyd
  Scan s = scan_check(dir.path(), check);
  CHECK(s.verdict(check) == "fail");
  const auto* chrony = row_where(s.rows(check), "daemon", "chrony");
  REQUIRE(chrony != nullptr);
  CHECK(chrony->at("sources").to_number<std::int64_t>() == 2);
  CHECK(chrony->at("pids").is_null());
}

TEST_CASE("mount options: /dev/shm without noexec and no separate /tmp fail", "[e2e]") {
  const std::string check = "filesystems.mount-options";
  TempDir dir;
  prepare_hardened(dir);
  edit_file(dir, "/proc/mounts", "tmpfs /dev/shm tmpfs rw,nosuid,nodev,noexec,inode64",
            "tmpfs /dev/shm tmpfs rw,nosuid,nodev,inode64", 0444);
  edit_file(dir, "/proc/mounts", "tmpfs /tmp tmpfs rw,nosuid,nodev,noexec,size=1048576k,inode64 0 0\n", "",
            0444);
  edit_file(dir, "/proc/mounts",
            "/dev/mapper/debian--vg-root /home ext4 rw,nosuid,nodev,relatime,errors=remount-ro 0 0\n", "",
            0444);
  Scan s = scan_check(dir.path(), check);
  CHECK(s.verdict(check) == "fail");
  const auto bad = failing_rows(s, check);
  REQUIRE(bad.size() == 2);
  const auto* shm = row_where(s.rows(check), "mount_point", "/dev/shm");
  REQUIRE(shm != nullptr);
  CHECK(shm->at("noexec").to_number<std::int64_t>() == 0);
  const auto* tmp = row_where(s.rows(check), "mount_point", "/tmp");
  REQUIRE(tmp != nullptr);
  CHECK(tmp->at("source").is_null());  // not a separate mount
  // /home is judged only when it is mounted on its own.
  CHECK(row_where(s.rows(check), "mount_point", "/home") == nullptr);
}

TEST_CASE("removable media: a blacklist line alone does not stop modprobe", "[e2e]") {
  const std::string check = "media.removable-storage-disabled";
  TempDir dir;
  prepare_hardened(dir);
  dir.write("/etc/modprobe.d/60-removable-media.conf",
            "blacklist usb-storage\ninstall uas /bin/false\ninstall firewire-core /bin/false\n"
            "install thunderbolt /bin/false\n");
  Scan s = scan_check(dir.path(), check);
  CHECK(s.verdict(check) == "fail");
  const auto bad = failing_rows(s, check);
  REQUIRE(bad.size() == 1);
  CHECK(str(bad[0], "module") == "usb-storage");
  CHECK(bad[0].at("blacklisted").to_number<std::int64_t>() == 1);
  CHECK(bad[0].at("disabled_by_install").to_number<std::int64_t>() == 0);
}

TEST_CASE("malware protection: old signatures and a stopped daemon fail", "[e2e]") {
  const std::string check = "malware.protection-current";
  TempDir dir;
  prepare_hardened(dir);
  set_clamav_build_time(dir, "/var/lib/clamav/daily.cld", 10 * kDays);
  fs::remove_all(dir.path() + "/proc/610");  // clamd
  Scan s = scan_check(dir.path(), check);
  CHECK(s.verdict(check) == "fail");
  const auto bad = failing_rows(s, check);
  REQUIRE(bad.size() == 2);
  const auto* daily = row_where(s.rows(check), "name", "daily");
  REQUIRE(daily != nullptr);
  CHECK(daily->at("age_days").to_number<double>() > 9.0);
  const auto* clamd = row_where(s.rows(check), "name", "clamd");
  REQUIRE(clamd != nullptr);
  CHECK(clamd->at("compliant").to_number<std::int64_t>() == 0);
  SECTION("a host without ClamAV: not applicable unless the pack requires it") {
    Scan none = scan_check(fixture_host("debian12-stock"), check);
    CHECK(none.verdict(check) == "not_applicable");
  }
}

TEST_CASE("screen lock: GNOME defaults fail, a locked, compiled database passes", "[e2e]") {
  const std::string check = "workstation.screen-lock";
  SECTION("stock Debian 12 GNOME: schema defaults, nothing locked") {
    TempDir dir;
    fs::copy(fixture_host("dconf-debian12-stock"), dir.path(), fs::copy_options::recursive);
    dir.write("/usr/bin/gnome-shell", "", 0755);
    Scan s = scan_check(dir.path(), check);
    CHECK(s.verdict(check) == "fail");
    const auto* idle = row_where(s.rows(check), "path", "/org/gnome/desktop/session/idle-delay");
    REQUIRE(idle != nullptr);
    CHECK(idle->at("is_default").to_number<std::int64_t>() == 1);
  }
  SECTION("keyfiles without `dconf update`, then compiled and locked") {
    TempDir dir;
    fs::copy(fixture_host("dconf-hardened"), dir.path(), fs::copy_options::recursive);
    dir.write("/usr/bin/gnome-shell", "", 0755);
    Scan stale = scan_check(dir.path(), check);
    CHECK(stale.verdict(check) == "fail");
    const auto* lock = row_where(stale.rows(check), "path", "/org/gnome/desktop/screensaver/lock-enabled");
    REQUIRE(lock != nullptr);
    CHECK(lock->at("stale").to_number<std::int64_t>() == 1);
    // Lock the fourth key and compile the databases (dconf reads only the compiled files).
    dir.write("/etc/dconf/db/local.d/locks/screensaver",
              read_text(dir.path() + "/etc/dconf/db/local.d/locks/screensaver") +
                  "/org/gnome/desktop/screensaver/idle-activation-enabled\n");
    const auto later = fs::file_time_type::clock::now() + std::chrono::hours(1);
    for (const char* db : {"/etc/dconf/db/local", "/etc/dconf/db/site"}) {
      dir.write(db, "GVariant");
      fs::last_write_time(dir.path() + db, later);
    }
    Scan s = scan_check(dir.path(), check);
    CHECK(s.verdict(check) == "pass");
    const auto* idle = row_where(s.rows(check), "path", "/org/gnome/desktop/session/idle-delay");
    REQUIRE(idle != nullptr);
    CHECK(str(*idle, "value") == "uint32 600");
  }
}
