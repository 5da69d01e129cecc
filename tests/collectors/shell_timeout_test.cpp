// Tests of the `shell_timeout` evaluation: reading order, read-only and
// export across files and shells, and the effective statement (an in-memory
// host), then the table over fixture hosts and hostile trees.
#include "shell_timeout.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collector.hpp"
#include "mem_fs.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::Errc;

namespace {

bool has_issue(const std::vector<ShellIssue>& issues, int line, std::string_view part) {
  for (const auto& i : issues) {
    if (i.line == line && i.message.find(part) != std::string::npos) return true;
  }
  return false;
}

using vigil::test::MemFs;

// "file:line command=value flags" per setting, flags as letters: r x ? E(ffective).
std::vector<std::string> settings(const ShellTimeout& t) {
  std::vector<std::string> out;
  for (const auto& s : t.settings) {
    std::string one =
        s.file + ":" + std::to_string(s.line) + " " + s.command + (s.value ? "=" + *s.value : "");
    std::string flags;
    if (s.readonly) flags += "r";
    if (s.exported) flags += "x";
    if (s.conditional) flags += "?";
    if (s.effective) flags += "E";
    out.push_back(one + (flags.empty() ? "" : " " + flags));
  }
  return out;
}

ShellTimeout evaluate(const MemFs& fs) {
  auto r = evaluate_shell_timeout(fs.loader<ShellFileLoader>());
  if (!r) FAIL(r.error().message);
  return std::move(*r);
}

// The structure of Debian 12's /etc/profile (base-files 12.4), shortened.
const std::string kDebianProfile =
    R"SH(# /etc/profile: system-wide .profile file for the Bourne shell (sh(1))
if [ "$(id -u)" -eq 0 ]; then
  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
fi
export PATH

if [ -d /etc/profile.d ]; then
  for i in /etc/profile.d/*.sh; do
    if [ -r $i ]; then
      . $i
    fi
  done
  unset i
fi
)SH";

}  // namespace

TEST_CASE("reading order: profile.d where /etc/profile's loop sources it, bash.bashrc last",
          "[shell_timeout]") {
  MemFs fs;
  fs.files["/etc/profile"] = "TMOUT=100\n" + kDebianProfile + "TMOUT=300\n";
  fs.files["/etc/profile.d/50-b.sh"] = "TMOUT=250\n";
  fs.files["/etc/profile.d/10-a.sh"] = "TMOUT=200\n";
  fs.files["/etc/profile.d/README"] = "TMOUT=1\n";
  fs.files["/etc/profile.d/.hidden.sh"] = "TMOUT=2\n";
  auto t = evaluate(fs);
  CHECK(settings(t) == std::vector<std::string>{
                           "/etc/profile:1 assignment=100", "/etc/profile.d/10-a.sh:1 assignment=200",
                           "/etc/profile.d/50-b.sh:1 assignment=250", "/etc/profile:16 assignment=300 E"});
  CHECK(has_issue(t.issues, 0, "file absent"));  // /etc/bash.bashrc

  fs.files["/etc/bash.bashrc"] = "[ -z \"$PS1\" ] && return\nTMOUT=60\n";
  t = evaluate(fs);
  REQUIRE(t.settings.size() == 5);
  CHECK(settings(t).back() == "/etc/bash.bashrc:2 assignment=60 E");
}

TEST_CASE("without the profile.d loop the files come after /etc/profile, with a warning", "[shell_timeout]") {
  MemFs fs;
  fs.files["/etc/profile"] = "PATH=/usr/bin:/bin\nTMOUT=100\n";
  fs.files["/etc/profile.d/tmout.sh"] = "TMOUT=200\n";
  auto t = evaluate(fs);
  CHECK(settings(t) == std::vector<std::string>{"/etc/profile:2 assignment=100",
                                                "/etc/profile.d/tmout.sh:1 assignment=200 E"});
  CHECK(has_issue(t.issues, 0, "no loop sourcing /etc/profile.d/*.sh"));
}

TEST_CASE("read-only TMOUT: later assignments are refused, attributes cover the shell", "[shell_timeout]") {
  MemFs fs;
  fs.files["/etc/profile"] = kDebianProfile;
  fs.files["/etc/profile.d/50-tmout.sh"] = "export TMOUT\nTMOUT=900\nreadonly TMOUT\n";
  fs.files["/etc/profile.d/60-user.sh"] = "TMOUT=0\nunset TMOUT\n";
  fs.files["/etc/bash.bashrc"] = "TMOUT=0\n";
  auto t = evaluate(fs);
  CHECK(settings(t) == std::vector<std::string>{
                           "/etc/profile.d/50-tmout.sh:1 export rx",
                           "/etc/profile.d/50-tmout.sh:2 assignment=900 rx",
                           "/etc/profile.d/50-tmout.sh:3 readonly rx",
                           "/etc/profile.d/60-user.sh:1 assignment=0 rx",
                           "/etc/profile.d/60-user.sh:2 unset rx",
                           // a new shell: not read-only there, but the exported value came along
                           "/etc/bash.bashrc:1 assignment=0 xE",
                       });
  CHECK(has_issue(t.issues, 1,
                  "bash refuses this assignment: TMOUT is read-only since /etc/profile.d/50-tmout.sh:3"));
  CHECK(has_issue(t.issues, 2, "bash refuses this unset"));

  fs.files.erase("/etc/bash.bashrc");
  t = evaluate(fs);
  REQUIRE(t.settings.size() == 5);
  CHECK(t.settings[1].effective);
}

TEST_CASE("unset after the last assignment is the effective statement", "[shell_timeout]") {
  MemFs fs;
  fs.files["/etc/profile"] = "TMOUT=900\nexport TMOUT\nunset TMOUT\n";
  auto t = evaluate(fs);
  CHECK(settings(t) == std::vector<std::string>{"/etc/profile:1 assignment=900", "/etc/profile:2 export x",
                                                "/etc/profile:3 unset E"});
}

TEST_CASE("conditional statements are never effective, and say so", "[shell_timeout]") {
  MemFs fs;
  fs.files["/etc/profile"] = "if [ \"$(id -u)\" -ne 0 ]; then\n  TMOUT=600\nfi\n";
  auto t = evaluate(fs);
  CHECK(settings(t) == std::vector<std::string>{"/etc/profile:2 assignment=600 ?"});
  CHECK(has_issue(t.issues, 2, "set only conditionally"));

  fs.files["/etc/profile"] = "TMOUT=900\n[ \"$USER\" = dev ] && TMOUT=0\n";
  t = evaluate(fs);
  CHECK(settings(t) ==
        std::vector<std::string>{"/etc/profile:1 assignment=900 E", "/etc/profile:2 assignment=0 ?"});
  CHECK(has_issue(t.issues, 2, "after the effective one may change TMOUT"));
}

TEST_CASE("special, unreadable and oversized start-up files", "[shell_timeout]") {
  MemFs fs;
  fs.files["/etc/profile"] = kDebianProfile;
  fs.files["/etc/profile.d/99-tmout.sh"] = "TMOUT=900\n";
  fs.broken["/etc/profile.d/fifo.sh"] = Errc::not_regular;
  auto t = evaluate(fs);
  CHECK(has_issue(t.issues, 0, "not a regular file"));
  REQUIRE(t.settings.size() == 1);
  CHECK(t.settings[0].effective);

  fs.broken["/etc/profile.d/huge.sh"] = Errc::too_large;
  auto huge = evaluate_shell_timeout(fs.loader<ShellFileLoader>());
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.error().code == Errc::too_large);
  CHECK_THAT(huge.error().message, Catch::Contains("/etc/profile.d/huge.sh"));
}

// --- the table over host trees ----------------------------------------------

TEST_CASE("shell_timeout on a stock Debian 12 host: no TMOUT anywhere", "[shell_timeout]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("shell-debian12"), "shell_timeout");
  CHECK(t.rows.empty());
  CHECK(t.warnings.empty());  // both files read cleanly, with their if/for/function/return structure
}

TEST_CASE("shell_timeout on a hardened host", "[shell_timeout]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("shell-hardened"), "shell_timeout");
  CHECK(t.warnings.empty());
  REQUIRE(t.rows.size() == 3);
  const std::vector<std::string> statements{"assignment", "readonly", "export"};
  for (std::size_t r = 0; r < 3; ++r) {
    CHECK(t.integer(r, "seq") == static_cast<std::int64_t>(r + 1));
    CHECK(t.text(r, "file") == "/etc/profile.d/99-tmout.sh");
    CHECK(t.integer(r, "line") == 2);
    CHECK(t.text(r, "statement") == statements[r]);
    CHECK(t.integer(r, "readonly") == 1);
    CHECK(t.integer(r, "exported") == 1);
    CHECK(t.integer(r, "conditional") == 0);
    CHECK(t.integer(r, "effective") == (r == 0 ? 1 : 0));
  }
  CHECK(t.text(0, "value") == "900");
  CHECK(t.integer(0, "value_int") == 900);
  CHECK(t.is_null(1, "value"));
  CHECK(t.is_null(1, "value_int"));
}

TEST_CASE("shell_timeout where TMOUT is set only inside an if block", "[shell_timeout]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("shell-conditional"), "shell_timeout");
  REQUIRE(t.rows.size() == 3);
  for (std::size_t r = 0; r < 3; ++r) {
    CHECK(t.integer(r, "conditional") == 1);
    CHECK(t.integer(r, "effective") == 0);
    // A conditional readonly or export marks only its own row: it may not run.
    CHECK(t.integer(r, "readonly") == (r == 1 ? 1 : 0));
    CHECK(t.integer(r, "exported") == (r == 2 ? 1 : 0));
  }
  CHECK(t.integer(0, "value_int") == 600);
  CHECK(t.warned("/etc/profile.d/tmout.sh:3", "set only conditionally"));
}

TEST_CASE("shell_timeout where TMOUT=0 turns the timeout off", "[shell_timeout]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("shell-tmout-zero"), "shell_timeout");
  REQUIRE(t.rows.size() == 1);
  CHECK(t.text(0, "statement") == "export");
  CHECK(t.text(0, "value") == "0");
  CHECK(t.integer(0, "value_int") == 0);
  CHECK(t.integer(0, "effective") == 1);
  CHECK(t.integer(0, "exported") == 1);
  CHECK(t.integer(0, "readonly") == 0);
}

TEST_CASE("shell_timeout with no start-up file at all: no rows and a warning", "[shell_timeout]") {
  vigil::test::TempDir dir;
  dir.mkdir("etc");
  auto t = vigil::test::collect_ok(dir.path(), "shell_timeout");
  CHECK(t.rows.empty());
  CHECK(t.warned("/etc/profile, /etc/profile.d/*.sh, /etc/bash.bashrc", "no shell start-up file exists"));
}

TEST_CASE("shell_timeout skips a fifo, /dev/zero and a directory in profile.d, never hangs",
          "[shell_timeout]") {
  vigil::test::TempDir dir;
  const std::string root = dir.path() + "/root";
  dir.write("root/etc/profile", kDebianProfile);
  dir.write("root/etc/profile.d/99-tmout.sh", "TMOUT=900\n");
  REQUIRE(::mkfifo((root + "/etc/profile.d/fifo.sh").c_str(), 0644) == 0);
  dir.mkdir("root/etc/profile.d/dir.sh");
  dir.mkdir("root/dev");
  const bool have_zero = ::mknod((root + "/dev/zero").c_str(), S_IFCHR | 0666, ::makedev(1, 5)) == 0;
  dir.symlink("root/etc/profile.d/zero.sh", "/dev/zero");  // the root's /dev/zero, a device
  dir.write("outside/evil.sh", "TMOUT=0\n");
  // ".." stops at the root, where there is no /outside: never read, not even listed.
  dir.symlink("root/etc/profile.d/out.sh", "../../../outside/evil.sh");

  auto t = vigil::test::collect_ok(root, "shell_timeout");
  CHECK(t.warned("/etc/profile.d/fifo.sh", "not a regular file"));
  CHECK(t.warned("/etc/profile.d/dir.sh", "not a regular file"));
  if (have_zero) CHECK(t.warned("/etc/profile.d/zero.sh", "not a regular file"));
  CHECK_FALSE(t.warned("/etc/profile.d/out.sh", ""));
  REQUIRE(t.rows.size() == 1);
  CHECK(t.text(0, "file") == "/etc/profile.d/99-tmout.sh");
  CHECK(t.integer(0, "effective") == 1);
}

TEST_CASE("shell_timeout: CRLF files and oversized files", "[shell_timeout]") {
  vigil::test::TempDir dir;
  dir.write("etc/profile.d/99-tmout.sh", "TMOUT=900; readonly TMOUT; export TMOUT\r\n");
  auto t = vigil::test::collect_ok(dir.path(), "shell_timeout");
  // "export TMOUT\r" names no variable; the value "900" still arms bash's timer.
  REQUIRE(t.rows.size() == 2);
  CHECK(t.integer(0, "value_int") == 900);
  CHECK(t.integer(0, "effective") == 1);
  CHECK(t.integer(0, "exported") == 0);
  CHECK(t.integer(0, "readonly") == 1);
  CHECK(t.warned("/etc/profile.d/99-tmout.sh:1", "CRLF"));

  dir.write("etc/profile", std::string(kDefaultReadCap + 1, '#'));
  auto big = vigil::test::collect_table(dir.path(), "shell_timeout");
  REQUIRE_FALSE(big.status.ok());
  CHECK(big.status.error().code == Errc::too_large);
  CHECK_THAT(big.status.error().message, Catch::Contains("/etc/profile"));
}
