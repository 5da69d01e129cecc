// Tests of the fs_findings walk: trees built at test time with the modes set
// by chmod, symlinks that must not be followed, the caps, and -xdev on /dev.
#include "fs_walk.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "collector.hpp"
#include "host.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::test::CollectedTable;
using vigil::test::TempDir;

namespace {

using Pairs = std::set<std::pair<std::string, std::string>>;  // (path, kind)

CollectedTable walk(const std::string& root, const WalkOptions& opts) {
  const TableDef* def = Registry::instance().find("fs_findings");
  REQUIRE(def != nullptr);
  auto host = Host::open(root);
  REQUIRE(host.ok());
  CollectedTable t;
  for (const auto& c : def->columns) t.columns.push_back(c.name);
  CollectContext ctx(*host, {}, t.warnings, "fs_findings");
  t.status = collect_fs_findings(ctx, t.rows, opts);
  REQUIRE(t.status.ok());
  for (const auto& r : t.rows) REQUIRE(r.size() == t.columns.size());
  return t;
}

Pairs findings(const CollectedTable& t) {
  Pairs out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    if (t.text(r, "kind") != "walk_summary") out.emplace(t.text(r, "path"), t.text(r, "kind"));
  }
  return out;
}

std::size_t summary(const CollectedTable& t) {
  const auto rows = t.rows_where("kind", "walk_summary");
  REQUIRE(rows.size() == 1);
  return rows.front();
}

// Index of the row for (path, kind); fails the test when absent.
std::size_t row_of(const CollectedTable& t, const std::string& path, const std::string& kind) {
  for (auto r : t.rows_where("path", path)) {
    if (t.text(r, "kind") == kind) return r;
  }
  FAIL("no " << kind << " row for " << path);
  return 0;
}

bool warned_anywhere(const CollectedTable& t, const std::string& part) {
  for (const auto& w : t.warnings) {
    if (w.message.find(part) != std::string::npos) return true;
  }
  return false;
}

void chmod_or_fail(const std::string& path, unsigned mode) {
  INFO(path);
  REQUIRE(::chmod(path.c_str(), static_cast<mode_t>(mode)) == 0);
}

// A host tree holding one example of each finding and of each near miss.
// 27 entries are visited: the root and the 26 below it.
struct Tree {
  TempDir dir;
  const bool as_root = ::geteuid() == 0;
  Tree() {
    const std::string uid = std::to_string(::geteuid()), gid = std::to_string(::getegid());
    // The tester's own ids are known, so only the chown'ed file is unowned.
    dir.write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\ntester:x:" + uid + ":" + gid + "::/:/bin/sh\n");
    dir.write("etc/group", "root:x:0:\ntester:x:" + gid + ":\n");
    dir.write("data/ww.txt", "w", 0666);
    dir.write("data/private.txt", "p", 0600);
    dir.write("open/inner.txt", "i", 0644);
    dir.write("tmp/ww-in-tmp", "t", 0666);
    dir.write("bin/suid", "s", 04755);
    dir.write("bin/sgid", "g", 02755);
    dir.write("bin/both", "b", 06755);
    dir.mkdir("bin/sgid-dir");
    dir.mkdir("pipes");
    REQUIRE(::mkfifo((dir.path() + "/pipes/ww-fifo").c_str(), 0600) == 0);
    REQUIRE(::mkfifo((dir.path() + "/pipes/fifo").c_str(), 0600) == 0);
    chmod_or_fail(dir.path() + "/pipes/ww-fifo", 0666);
    chmod_or_fail(dir.path() + "/pipes/fifo", 0644);
    dir.symlink("escape", "/");
    dir.write("deep/a/b/c/deep.txt", "d", 0666);
    dir.write("owned/stranger", "x", 0644);
    // Directories get explicit modes: the umask must not decide the findings.
    for (const char* d : {"etc", "data", "tmp", "bin", "pipes", "deep", "deep/a", "deep/a/b", "deep/a/b/c",
                          "owned", "open"}) {
      chmod_or_fail(dir.path() + "/" + d, 0755);
    }
    chmod_or_fail(dir.path() + "/open", 0777);
    chmod_or_fail(dir.path() + "/tmp", 01777);
    chmod_or_fail(dir.path() + "/bin/sgid-dir", 02775);
    if (as_root) {
      REQUIRE(::lchown((dir.path() + "/owned/stranger").c_str(), 54321, 54321) == 0);
    }
  }
  std::string owner() const { return as_root ? "root" : "tester"; }
};

}  // namespace

TEST_CASE("fs_finding_kinds classifies types and modes", "[fs_walk]") {
  using FT = FileType;
  using Kinds = std::vector<std::string>;
  struct Case {
    FT type;
    unsigned mode;
    bool uid_known, gid_known;
    Kinds kinds;
  };
  const std::vector<Case> cases{
      {FT::regular, 0644, true, true, {}},
      {FT::regular, 0666, true, true, {"world_writable_file"}},
      {FT::regular, 0602, true, true, {"world_writable_file"}},
      {FT::regular, 0664, true, true, {}},  // group-writable is not world-writable
      {FT::fifo, 0666, true, true, {"world_writable_file"}},
      {FT::fifo, 0644, true, true, {}},
      {FT::socket, 0777, true, true, {"world_writable_file"}},
      {FT::char_device, 0666, true, true, {"world_writable_file"}},
      {FT::symlink, 0777, true, true, {}},  // a link's own mode means nothing
      {FT::symlink, 0777, false, true, {"unowned"}},
      {FT::directory, 0777, true, true, {"world_writable_dir_no_sticky"}},
      {FT::directory, 01777, true, true, {}},
      {FT::directory, 0755, true, true, {}},
      {FT::directory, 02775, true, true, {}},  // SGID on a directory is group inheritance
      {FT::directory, 04755, true, true, {}},
      {FT::regular, 04755, true, true, {"suid"}},
      {FT::regular, 02755, true, true, {"sgid"}},
      {FT::regular, 06777, false, false, {"world_writable_file", "unowned", "suid", "sgid"}},
      {FT::regular, 0644, true, false, {"unowned"}},
      {FT::fifo, 04644, true, true, {}},
  };
  for (const auto& c : cases) {
    INFO("type " << file_type_name(c.type) << " mode " << std::oct << c.mode << std::dec << " uid_known "
                 << c.uid_known << " gid_known " << c.gid_known);
    const auto got = fs_finding_kinds(c.type, c.mode, c.uid_known, c.gid_known);
    CHECK(Kinds(got.begin(), got.end()) == c.kinds);
  }
}

TEST_CASE("fs_findings reports each kind once and nothing else", "[fs_walk]") {
  Tree tree;
  const auto t = vigil::test::collect_ok(tree.dir.path(), "fs_findings");

  Pairs expected{
      {"/bin/both", "sgid"},
      {"/bin/both", "suid"},
      {"/bin/sgid", "sgid"},
      {"/bin/suid", "suid"},
      {"/data/ww.txt", "world_writable_file"},
      {"/deep/a/b/c/deep.txt", "world_writable_file"},
      {"/open", "world_writable_dir_no_sticky"},
      {"/pipes/ww-fifo", "world_writable_file"},
      {"/tmp/ww-in-tmp", "world_writable_file"},
  };
  if (tree.as_root) {
    expected.emplace("/owned/stranger", "unowned");
  } else {
    WARN("not running as root: the unowned file cannot be made");
  }
  // The symlink to / is not followed (no /escape/... rows), the 1777 directory,
  // the SGID directory, the 0644 fifo and the private file are not findings.
  CHECK(findings(t) == expected);

  const auto s = summary(t);
  CHECK(t.text(s, "type") == "complete");
  CHECK(t.text(s, "path") == "/");
  CHECK(t.integer(s, "size") == 27);
  CHECK(t.warnings.empty());

  const auto suid = row_of(t, "/bin/suid", "suid");
  CHECK(t.text(suid, "type") == "regular");
  CHECK(t.text(suid, "mode") == "4755");
  CHECK(t.integer(suid, "uid") == ::geteuid());
  CHECK(t.text(suid, "owner") == tree.owner());
  CHECK(t.integer(suid, "size") == 1);
  CHECK(t.integer(suid, "mtime") > 0);
  const auto fifo = row_of(t, "/pipes/ww-fifo", "world_writable_file");
  CHECK(t.text(fifo, "type") == "fifo");
  CHECK(t.text(fifo, "mode") == "0666");
  const auto open = row_of(t, "/open", "world_writable_dir_no_sticky");
  CHECK(t.text(open, "type") == "directory");
  CHECK(t.text(open, "mode") == "0777");
  if (tree.as_root) {
    const auto u = row_of(t, "/owned/stranger", "unowned");
    CHECK(t.integer(u, "uid") == 54321);
    CHECK(t.is_null(u, "owner"));
    CHECK(t.is_null(u, "group_name"));
  }
}

TEST_CASE("fs_findings stops at each cap and says so", "[fs_walk]") {
  Tree tree;
  WalkOptions opts;

  SECTION("entries") {
    opts.max_entries = 3;
    const auto t = walk(tree.dir.path(), opts);
    CHECK(t.text(summary(t), "type") == "truncated");
    CHECK(t.integer(summary(t), "size") == 3);
    CHECK(warned_anywhere(t, "cap of 3 entries"));
  }
  SECTION("time") {
    opts.time_budget = std::chrono::milliseconds(0);
    const auto t = walk(tree.dir.path(), opts);
    CHECK(t.text(summary(t), "type") == "truncated");
    CHECK(t.integer(summary(t), "size") == 0);
    CHECK(warned_anywhere(t, "time budget of 0 ms"));
  }
  SECTION("depth") {
    opts.max_depth = 2;  // /deep and /deep/a are entered, /deep/a/b is not
    const auto t = walk(tree.dir.path(), opts);
    CHECK(t.text(summary(t), "type") == "truncated");
    CHECK(findings(t).count({"/deep/a/b/c/deep.txt", "world_writable_file"}) == 0);
    CHECK(findings(t).count({"/data/ww.txt", "world_writable_file"}) == 1);
    CHECK(t.warned("/deep/a/b", "1 directories more than 2 levels"));
  }
  SECTION("findings") {
    opts.max_findings = 2;
    const auto t = walk(tree.dir.path(), opts);
    CHECK(t.text(summary(t), "type") == "truncated");
    CHECK(findings(t).size() == 2);
    CHECK(warned_anywhere(t, "cap of 2 findings"));
  }
}

TEST_CASE("fs_findings start directories are never symlinks and walked once", "[fs_walk]") {
  Tree tree;
  WalkOptions opts;

  SECTION("a symlinked start is refused, not followed to the scanning machine's /") {
    opts.start_dirs = {"/escape"};
    const auto t = walk(tree.dir.path(), opts);
    CHECK(t.rows.size() == 1);
    CHECK(t.text(summary(t), "type") == "incomplete");
    CHECK(t.warned("/escape", "not followed"));
  }
  SECTION("a start through '..' is refused") {
    opts.start_dirs = {"/bin/../.."};
    const auto t = walk(tree.dir.path(), opts);
    CHECK(t.rows.size() == 1);
    CHECK(t.warned("/bin/../..", "'..' is not allowed"));
  }
  SECTION("an absent start is a fact: warned, the rest is complete") {
    opts.start_dirs = {"/nowhere", "/bin"};
    const auto t = walk(tree.dir.path(), opts);
    CHECK(t.text(summary(t), "type") == "complete");
    CHECK(t.text(summary(t), "path") == "/nowhere, /bin");
    CHECK(t.warned("/nowhere", "do not exist"));
    CHECK(findings(t).size() == 4);
  }
  SECTION("the same directory twice is walked once") {
    opts.start_dirs = {"/bin", "/bin/", "//bin/."};
    const auto t = walk(tree.dir.path(), opts);
    CHECK(t.integer(summary(t), "size") == 5);  // /bin and its 4 entries
    CHECK(findings(t).size() == 4);
  }
}

TEST_CASE("fs_findings without the host's passwd reports no unowned entries", "[fs_walk]") {
  TempDir dir;
  dir.write("x/ww", "w", 0666);
  chmod_or_fail(dir.path() + "/x", 0755);
  const auto t = walk(dir.path(), WalkOptions{});
  CHECK(findings(t) == Pairs{{"/x/ww", "world_writable_file"}});
  CHECK(t.is_null(row_of(t, "/x/ww", "world_writable_file"), "owner"));
  CHECK(t.warned("/etc/passwd", "unknown owner or group are not reported"));
  CHECK(t.warned("/etc/group", "unknown owner or group are not reported"));
}

TEST_CASE("fs_findings on the live /dev stays on one filesystem", "[fs_walk]") {
  struct stat dev {
  }, shm{};
  if (::stat("/dev", &dev) != 0 || ::stat("/dev/shm", &shm) != 0 || dev.st_dev == shm.st_dev ||
      ::access("/dev/shm", W_OK) != 0) {
    WARN("no writable /dev/shm mounted apart from /dev: -xdev not tested");
    return;
  }
  // A world-writable file on the other filesystem must not be found.
  char name[] = "/dev/shm/vigil-fs-walk-XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  ::close(fd);
  chmod_or_fail(name, 0666);
  WalkOptions opts;
  opts.start_dirs = {"/dev"};
  const auto t = walk("/", opts);
  ::unlink(name);
  const auto found = findings(t);
  CHECK(found.count({name, "world_writable_file"}) == 0);
  // /dev itself was walked: its null device is world-writable.
  CHECK(found.count({"/dev/null", "world_writable_file"}) == 1);
}

TEST_CASE("mount_fstype finds the mount that holds a path", "[fs_walk]") {
  const std::string mounts =
      "/dev/vda1 / ext4 rw,relatime 0 0\n"
      "proc /proc proc rw,nosuid 0 0\n"
      "srv:/export/home /home nfs4 rw 0 0\n"
      "/dev/vdb1 /home/local ext4 rw 0 0\n"
      "tmpfs /mnt/my\\040disk tmpfs rw 0 0\n"
      "/dev/vdc1 /data xfs rw 0 0\n"
      "srv:/data /data nfs rw 0 0\n"  // mounted over the local /data
      "garbage\n";
  struct Case {
    std::string path;
    std::optional<std::string> fstype;
  };
  const std::vector<Case> cases{
      {"/", "ext4"},
      {"/etc", "ext4"},
      {"/proc", "proc"},
      {"/proc/1/fd", "proc"},
      {"/procfs", "ext4"},
      {"/home", "nfs4"},
      {"/home/", "nfs4"},
      {"/home/local", "ext4"},
      {"/home/localx", "nfs4"},
      {"/mnt/my disk/x", "tmpfs"},
      {"/data", "nfs"},
  };
  for (const auto& c : cases) {
    INFO(c.path);
    CHECK(mount_fstype(mounts, c.path) == c.fstype);
  }
  CHECK(mount_fstype("", "/") == std::nullopt);
  CHECK(mount_fstype("proc /proc proc rw 0 0\n", "/etc") == std::nullopt);

  for (const char* t : {"proc", "sysfs", "cgroup2", "nfs", "nfs4", "cifs", "fuse.sshfs", "ceph"}) {
    INFO(t);
    CHECK(skipped_fstype(t));
  }
  for (const char* t : {"ext4", "xfs", "btrfs", "tmpfs", "overlay", "zfs", "vfat", ""}) {
    INFO(t);
    CHECK_FALSE(skipped_fstype(t));
  }
}

TEST_CASE("parse_walk_roots reads a JSON array of absolute paths", "[fs_walk]") {
  CHECK(*parse_walk_roots("") == std::vector<std::string>{"/"});
  CHECK(*parse_walk_roots(R"(["/", "/home"])") == std::vector<std::string>{"/", "/home"});
  for (const char* bad : {"/", "[]", "[\"relative\"]", "[1]", "{\"a\": 1}", "[\"/\"", "[\"\"]"}) {
    INFO(bad);
    CHECK_FALSE(parse_walk_roots(bad).ok());
  }
}

TEST_CASE("fs_findings walks the roots it is given and skips network and pseudo filesystems", "[fs_walk]") {
  TempDir dir;
  dir.write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  dir.write("etc/group", "root:x:0:\n");
  dir.write("data/ww.txt", "w", 0666);
  dir.write("mnt/nfs/ww-remote.txt", "r", 0666);
  dir.write("srv/ww-srv.txt", "s", 0666);
  dir.write("proc/mounts", "/dev/vda1 / ext4 rw 0 0\nsrv:/export /mnt/nfs nfs4 rw 0 0\n");
  const std::string roots = R"(["/data", "/mnt/nfs"])";
  const auto t = vigil::test::collect_ok(dir.path(), "fs_findings", {text_value(roots)});
  const auto found = findings(t);
  CHECK(found == Pairs{{"/data/ww.txt", "world_writable_file"}});
  const auto s = summary(t);
  CHECK(t.text(s, "path") == "/data");
  CHECK(t.text(s, "type") == "complete");
  CHECK(t.text(s, "roots") == roots);  // every row carries the argument
  CHECK(t.warned("/mnt/nfs", "nfs4 filesystem"));

  // Without /proc/mounts (an image, a fixture) every root is walked.
  REQUIRE(::unlink((dir.path() + "/proc/mounts").c_str()) == 0);
  const auto all = vigil::test::collect_ok(dir.path(), "fs_findings", {text_value(roots)});
  CHECK(findings(all).count({"/mnt/nfs/ww-remote.txt", "world_writable_file"}) == 1);

  const auto bad = vigil::test::collect_table(dir.path(), "fs_findings", {text_value("[\"srv\"]")});
  REQUIRE_FALSE(bad.status.ok());
  CHECK(bad.status.error().message.find("absolute path") != std::string::npos);
}
