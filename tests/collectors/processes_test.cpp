// Tests of the /proc/<pid> readers (strings) and of the `processes` table over
// a fixture /proc tree: kernel threads, a zombie, a command name with ") (",
// a long command line, a process without a stat file, and hostile trees.
#include "processes.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "collector.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;

namespace {

std::size_t row_of_pid(const vigil::test::CollectedTable& t, std::int64_t pid) {
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    if (t.integer(r, "pid") == pid) return r;
  }
  FAIL("no row for pid " << pid);
  return 0;
}

bool has_pid(const vigil::test::CollectedTable& t, std::int64_t pid) {
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    if (t.integer(r, "pid") == pid) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("parse_proc_stat takes the command name up to the last parenthesis", "[processes]") {
  struct Case {
    std::string text;
    std::optional<std::string> comm;  // nullopt: not parsed
    char state;
    std::int64_t ppid;
    std::uint64_t flags;
    std::uint64_t start;
  };
  const std::string tail = " 0 0 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 1500 12345678 300 0 0 0\n";
  const std::vector<Case> cases{
      {"512 (sshd) S 1" + tail, "sshd", 'S', 1, 4194560, 1500},
      {"4242 (evil) S 1 (x) R 77" + tail, "evil) S 1 (x", 'R', 77, 4194560, 1500},
      {"7 (a b) Z 3" + tail, "a b", 'Z', 3, 4194560, 1500},
      {"2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 25 0 0 18446744073709551615\n", "kthreadd",
       'S', 0, 2129984, 25},
      {"9 () S 1" + tail, "", 'S', 1, 4194560, 1500},
      {"512 sshd S 1" + tail, std::nullopt, 0, 0, 0, 0},
      {"512 (sshd) S 1 2 3\n", std::nullopt, 0, 0, 0, 0},
      {"512 (sshd) SS 1" + tail, std::nullopt, 0, 0, 0, 0},
      {"", std::nullopt, 0, 0, 0, 0},
  };
  for (const auto& c : cases) {
    INFO("stat: " << c.text);
    auto s = parse_proc_stat(c.text);
    REQUIRE(s.has_value() == c.comm.has_value());
    if (!s) continue;
    CHECK(s->comm == *c.comm);
    CHECK(s->state == c.state);
    CHECK(s->ppid == c.ppid);
    CHECK(s->flags == c.flags);
    CHECK(s->starttime == c.start);
  }
  CHECK((parse_proc_stat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 25 0 0\n")->flags &
         kPfKthread) != 0);
}

TEST_CASE("parse_proc_status reads name, state, parent and uids", "[processes]") {
  auto s = parse_proc_status(
      "Name:\tevil\\\\x\\nnext\nUmask:\t0022\nState:\tR "
      "(running)\nPPid:\t77\nUid:\t1000\t0\t0\t0\nKthread:\t0\n");
  CHECK(s.name == "evil\\x\nnext");
  CHECK(s.state == 'R');
  CHECK(s.ppid == 77);
  CHECK(s.uid == 1000);
  CHECK(s.euid == 0);
  CHECK(s.kthread == false);
  auto k = parse_proc_status("Name:\tkthreadd\r\nState:\tS (sleeping)\r\nKthread:\t1\r\n");
  CHECK(k.kthread == true);
  CHECK(k.state == 'S');
  auto empty = parse_proc_status("garbage\n\xff\xfe\nUid:\tx\n");
  CHECK_FALSE(empty.name);
  CHECK_FALSE(empty.uid);
  CHECK_FALSE(empty.kthread);
}

TEST_CASE("join_cmdline joins NUL-separated arguments and caps them", "[processes]") {
  struct Case {
    std::string raw;
    std::string text;
    bool truncated;
  };
  using namespace std::string_literals;
  const std::vector<Case> cases{
      {"/usr/sbin/chronyd\0-F\0"s
       "1\0"s,
       "/usr/sbin/chronyd -F 1", false},
      {"sshd: /usr/sbin/sshd -D [listener]"s, "sshd: /usr/sbin/sshd -D [listener]", false},
      {"postgres: checkpointer \0\0\0\0"s, "postgres: checkpointer ", false},
      {"a\0\0b\0"s, "a  b", false},
      {""s, "", false},
      {"\0\0"s, "", false},
  };
  for (const auto& c : cases) {
    INFO("raw size " << c.raw.size());
    auto j = join_cmdline(c.raw);
    CHECK(j.text == c.text);
    CHECK(j.truncated == c.truncated);
  }
  auto cut = join_cmdline(std::string(5000, 'x') + std::string(1, '\0'), 4096);
  CHECK(cut.text.size() == 4096);
  CHECK(cut.truncated);
}

TEST_CASE("looks_like_kernel_thread needs all three signs", "[processes]") {
  CHECK(looks_like_kernel_thread(2, 0, true, true));
  CHECK(looks_like_kernel_thread(15, 2, true, true));
  CHECK_FALSE(looks_like_kernel_thread(15, 2, false, true));  // a command line
  CHECK_FALSE(looks_like_kernel_thread(15, 2, true, false));  // an exe link (or EACCES)
  CHECK_FALSE(looks_like_kernel_thread(15, 1, true, true));   // a zombie of init
  CHECK_FALSE(looks_like_kernel_thread(15, std::nullopt, true, true));
}

TEST_CASE("pid names and the boot time", "[processes]") {
  for (auto name : {"1", "512", "4194304"}) CHECK(is_pid_name(name));
  for (auto name : {"", "0123", "self", "12a", "-1", "sys", "99999999999"}) CHECK_FALSE(is_pid_name(name));
  CHECK(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n") == 1700000000);
  CHECK_FALSE(parse_boot_time("cpu  1 2 3\n"));
  CHECK_FALSE(parse_boot_time("btime soon\n"));
}

TEST_CASE("processes table over a Debian 12 /proc tree", "[processes]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("proc-debian12"), "processes");
  // 1 2 3 512 640 700 1100 1200 1201 4242 5000; not self, 0123, net, sys
  CHECK(t.rows.size() == 11);
  CHECK_FALSE(has_pid(t, 123));

  auto sshd = row_of_pid(t, 512);
  CHECK(t.text(sshd, "comm") == "sshd");
  CHECK(t.text(sshd, "exe") == "/usr/sbin/sshd");
  CHECK(t.text(sshd, "cmdline") == "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups");
  CHECK(t.integer(sshd, "ppid") == 1);
  CHECK(t.integer(sshd, "uid") == 0);
  CHECK(t.text(sshd, "state") == "S");
  CHECK(t.integer(sshd, "kernel_thread") == 0);
  CHECK(t.integer(sshd, "start_time") == 1700000000 + 15);  // 1500 ticks at USER_HZ 100
  CHECK(t.text(sshd, "source") == "/proc/512");

  auto chronyd = row_of_pid(t, 640);
  CHECK(t.text(chronyd, "cmdline") == "/usr/sbin/chronyd -F 1");
  CHECK(t.integer(chronyd, "uid") == 100);

  for (std::int64_t pid : {2, 3}) {
    auto k = row_of_pid(t, pid);
    CHECK(t.integer(k, "kernel_thread") == 1);
    CHECK(t.is_null(k, "exe"));
    CHECK(t.text(k, "cmdline").empty());
  }
  CHECK(t.text(row_of_pid(t, 3), "comm") == "kworker/0:0H-kblockd");
  CHECK(t.text(row_of_pid(t, 3), "state") == "I");

  auto zombie = row_of_pid(t, 700);
  CHECK(t.text(zombie, "state") == "Z");
  CHECK(t.integer(zombie, "kernel_thread") == 0);
  CHECK(t.is_null(zombie, "exe"));

  auto evil = row_of_pid(t, 4242);
  CHECK(t.text(evil, "comm") == "evil) S 1 (x");
  CHECK(t.integer(evil, "ppid") == 1);
  CHECK(t.integer(evil, "uid") == 1000);
  CHECK(t.integer(evil, "euid") == 0);
  CHECK(t.integer(evil, "cmdline_truncated") == 1);
  CHECK(t.text(evil, "cmdline").size() == kMaxCmdline);
  CHECK(t.text(evil, "cmdline").rfind("/usr/bin/java -cp /opt/app/lib/dependency-0000.jar:", 0) == 0);

  CHECK(t.text(row_of_pid(t, 1200), "exe") == "/usr/lib/postgresql/15/bin/postgres (deleted)");
  CHECK(t.text(row_of_pid(t, 1201), "cmdline") == "postgres: 15/main: checkpointer ");

  // No stat file: comm from /proc/<pid>/comm, state and ppid from status, no start time.
  auto cron = row_of_pid(t, 5000);
  CHECK(t.text(cron, "comm") == "cron");
  CHECK(t.text(cron, "state") == "S");
  CHECK(t.integer(cron, "ppid") == 1);
  CHECK(t.is_null(cron, "start_time"));
  CHECK(t.integer(cron, "kernel_thread") == 0);
  CHECK(t.warnings.empty());
}

TEST_CASE("processes table: no /proc, an empty /proc, exited and odd entries", "[processes]") {
  vigil::test::TempDir dir;
  dir.mkdir("etc");
  auto none = vigil::test::collect_table(dir.path(), "processes");
  REQUIRE_FALSE(none.status.ok());
  CHECK(none.status.error().message.find("unknown") != std::string::npos);

  dir.mkdir("proc");  // an image: the mount point without procfs
  auto empty = vigil::test::collect_table(dir.path(), "processes");
  REQUIRE_FALSE(empty.status.ok());
  CHECK(empty.status.error().message.find("no process") != std::string::npos);

  // 10: a directory with nothing readable in it (still a process: a row of
  // NULLs); 11: only a cmdline; 12: stat is a fifo and status garbage; 13: a
  // regular file and 14 a symlink, not processes.
  dir.mkdir("proc/10");
  dir.write("proc/11/cmdline", std::string("/bin/sleep\0"
                                           "60\0",
                                           13));
  dir.mkdir("proc/12");
  REQUIRE(::mkfifo((dir.path() + "/proc/12/stat").c_str(), 0644) == 0);
  dir.write("proc/12/status", std::string("\0\xff\xfe garbage\n", 12));
  dir.write("proc/12/cmdline", "x");
  dir.write("proc/13", "not a directory");
  // 2: kthreadd as an old kernel shows it without stat: no Kthread:, no exe.
  dir.write("proc/2/status", "Name:\tkthreadd\nState:\tS (sleeping)\nPPid:\t0\nUid:\t0\t0\t0\t0\n");
  dir.write("proc/2/cmdline", "");
  dir.symlink("proc/14", "14");  // a self loop
  auto t = vigil::test::collect_ok(dir.path(), "processes");
  CHECK(t.rows.size() == 4);  // 2, 10, 11, 12: they exist, with what could be read
  CHECK(t.integer(row_of_pid(t, 2), "kernel_thread") == 1);
  CHECK(t.text(row_of_pid(t, 2), "comm") == "kthreadd");
  CHECK(t.integer(row_of_pid(t, 10), "kernel_thread") == 0);
  auto eleven = row_of_pid(t, 11);
  CHECK(t.text(eleven, "cmdline") == "/bin/sleep 60");
  CHECK(t.is_null(eleven, "comm"));
  CHECK(t.is_null(eleven, "uid"));
  CHECK(t.is_null(eleven, "state"));
  auto twelve = row_of_pid(t, 12);
  CHECK(t.is_null(twelve, "ppid"));
  CHECK(t.text(twelve, "cmdline") == "x");
  CHECK(t.warned("/proc/<pid>/status", "not readable for 2 of 4"));
  CHECK(t.warned("/proc/stat", "start_time is NULL"));
}
