// mount_table (the shared /proc/mounts and fstab reader) and the mounts table.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "mount_table.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::test::collect_ok;
using vigil::test::fixture_host;
using vigil::test::TempDir;

TEST_CASE("parse_mount_table reads fstab and /proc/mounts lines as libmount does", "[mounts]") {
  const auto t = parse_mount_table(
      "# comment\n"
      "   # indented comment\n"
      "\n"
      "/dev/sda1 / ext4 rw,relatime 0 0\n"
      "UUID=7d2c /boot\text2\tdefaults\t0\t2\r\n"
      "tmpfs /mnt/my\\040disk tmpfs\n"
      "/dev/sdb1 /data xfs noatime\n"
      "/dev/sdc1 /x ext4 rw 1 two\n"
      "/dev/sdd1 /y\n"
      "srv:/e /z nfs rw 0 0 extra fields\n");
  REQUIRE(t.entries.size() == 5);
  CHECK(t.entries[0].source == "/dev/sda1");
  CHECK(t.entries[0].options == "rw,relatime");
  CHECK(t.entries[0].line == 4);
  CHECK(t.entries[1].source == "UUID=7d2c");
  CHECK(t.entries[1].mount_point == "/boot");
  CHECK(t.entries[1].options == "defaults");
  CHECK(t.entries[1].passno == 2);
  CHECK(t.entries[2].mount_point == "/mnt/my disk");
  CHECK_FALSE(t.entries[2].options.has_value());
  CHECK(t.entries[3].options == "noatime");
  CHECK(t.entries[3].freq == 0);
  CHECK(t.entries[4].mount_point == "/z");
  REQUIRE(t.issues.size() == 2);
  CHECK(t.issues[0].line == 8);
  CHECK(t.issues[0].message.find("passno") != std::string::npos);
  CHECK(t.issues[1].line == 9);
  CHECK(unescape_mount_field("a\\011b\\134c\\12") == "a\tb\\c\\12");
}

TEST_CASE("mount options are applied left to right as mount(8) does", "[mounts]") {
  struct Case {
    std::string options;
    bool nodev, nosuid, noexec, ro, noauto;
  };
  const std::vector<Case> cases{
      {"defaults", false, false, false, false, false},
      {"rw,nosuid,nodev,noexec,relatime", true, true, true, false, false},
      {"ro,nodev", true, false, false, true, false},
      {"nodev,dev", false, false, false, false, false},
      {"nodev,defaults", false, false, false, false, false},
      {"defaults,nodev,nosuid", true, true, false, false, false},
      {"user,noauto", true, true, true, false, true},
      {"user,exec", true, true, false, false, false},
      {"exec,user", true, true, true, false, false},
      {"users", true, true, true, false, false},
      {"owner", true, true, false, false, false},
      {"group,suid", true, false, false, false, false},
      {"user=alice", false, false, false, false, false},
      {"context=\"system_u:object_r:tmp_t:s0,c1\",nodev", true, false, false, false, false},
      {"NODEV", false, false, false, false, false},
      {"", false, false, false, false, false},
  };
  for (const auto& c : cases) {
    INFO(c.options);
    const MountFlags f = mount_option_flags(c.options);
    CHECK(f.nodev == c.nodev);
    CHECK(f.nosuid == c.nosuid);
    CHECK(f.noexec == c.noexec);
    CHECK(f.ro == c.ro);
    CHECK(f.noauto == c.noauto);
  }
  CHECK(expand_mount_defaults("defaults,nodev") == "rw,suid,dev,exec,auto,nouser,async,nodev");
  CHECK(expand_mount_defaults("noatime") == "noatime");
  CHECK(split_mount_options("a,context=\"x,y\",,b") == std::vector<std::string>{"a", "context=\"x,y\"", "b"});
}

TEST_CASE("fs_class sorts filesystem types", "[mounts]") {
  CHECK(fs_class("ext4") == FsClass::block);
  CHECK(fs_class("btrfs") == FsClass::block);
  CHECK(fs_class("proc") == FsClass::pseudo);
  CHECK(fs_class("cgroup2") == FsClass::pseudo);
  CHECK(fs_class("tmpfs") == FsClass::memory);
  CHECK(fs_class("devtmpfs") == FsClass::memory);
  CHECK(fs_class("nfs4") == FsClass::network);
  CHECK(fs_class("fuse.sshfs") == FsClass::network);
  CHECK(fs_class("overlay") == FsClass::overlay);
  CHECK(fs_class("zfs") == FsClass::zfs);
  CHECK(fs_class("fuse.gocryptfs") == FsClass::fuse);
  CHECK(fs_class("ecryptfs") == FsClass::stacked);
}

TEST_CASE("mounts table: live and persisted mounts of an encrypted-LVM host", "[mounts]") {
  auto t = collect_ok(fixture_host("storage-luks-lvm"), "mounts");
  CHECK(t.warnings.empty());
  CHECK(t.rows_where("origin", "live").size() == 11);
  CHECK(t.rows_where("origin", "fstab").size() == 4);
  auto find = [&t](std::string_view origin, std::string_view mp) {
    std::vector<std::size_t> out;
    for (auto r : t.rows_where("mount_point", mp)) {
      if (t.text(r, "origin") == origin) out.push_back(r);
    }
    INFO(origin << " " << mp);
    REQUIRE(out.size() == 1);
    return out[0];
  };
  auto run = find("live", "/run");
  CHECK(t.integer(run, "nodev") == 1);
  CHECK(t.integer(run, "nosuid") == 1);
  CHECK(t.integer(run, "noexec") == 1);
  CHECK(t.integer(run, "visible") == 1);
  CHECK(t.is_null(run, "noauto"));
  CHECK(t.text(run, "file") == "/proc/mounts");
  auto shm = find("live", "/dev/shm");
  CHECK(t.integer(shm, "noexec") == 0);
  auto root = find("fstab", "/");
  CHECK(t.text(root, "options") == "errors=remount-ro");
  CHECK(t.integer(root, "passno") == 1);
  CHECK(t.is_null(root, "visible"));
  CHECK(t.text(root, "file") == "/etc/fstab");
  CHECK(t.integer(root, "line") == 4);
  auto boot = find("fstab", "/boot");
  CHECK(t.text(boot, "options_expanded") == "rw,suid,dev,exec,auto,nouser,async");
  CHECK(t.integer(boot, "nodev") == 0);
  auto cdrom = find("fstab", "/media/cdrom0");
  CHECK(t.integer(cdrom, "nodev") == 1);
  CHECK(t.integer(cdrom, "noexec") == 1);
  CHECK(t.integer(cdrom, "noauto") == 1);
  CHECK(t.text(find("fstab", "none"), "fstype") == "swap");
}

TEST_CASE("mounts table: over-mounts, absent files, CRLF and garbage", "[mounts]") {
  TempDir d;
  d.mkdir("etc");
  auto empty = collect_ok(d.path(), "mounts");
  CHECK(empty.rows.empty());
  CHECK(empty.warned("/proc/mounts", "absent"));
  CHECK(empty.warned("/etc/fstab", "absent"));

  d.write("proc/mounts",
          "/dev/sda1 / ext4 rw 0 0\ntmpfs /tmp tmpfs rw,nosuid,nodev 0 0\n"
          "tmpfs /tmp tmpfs rw,nosuid,nodev,noexec 0 0\n");
  d.write("etc/fstab",
          "tmpfs /tmp tmpfs defaults,nodev,nosuid,noexec 0 0\r\n\xff\xfe garbage\r\n/dev/sdb1 /home\r\n");
  auto t = collect_ok(d.path(), "mounts");
  auto tmp = t.rows_where("mount_point", "/tmp");
  REQUIRE(tmp.size() == 3);
  CHECK(t.integer(tmp[0], "visible") == 0);
  CHECK(t.integer(tmp[0], "noexec") == 0);
  CHECK(t.integer(tmp[1], "visible") == 1);
  CHECK(t.integer(tmp[1], "noexec") == 1);
  CHECK(t.text(tmp[2], "origin") == "fstab");
  CHECK(t.integer(tmp[2], "noexec") == 1);
  CHECK(t.text(tmp[2], "options") == "defaults,nodev,nosuid,noexec");
  CHECK(t.rows_where("origin", "fstab").size() == 1);
  CHECK(t.warned("/etc/fstab:2", "fewer than three fields"));
  CHECK(t.warned("/etc/fstab:3", "fewer than three fields"));
}

TEST_CASE("mounts table: PID 1's table is the host's, read before the agent's own namespace", "[mounts]") {
  TempDir dir;
  // What a sandboxed agent sees of itself (systemd's ProtectSystem/PrivateTmp)...
  dir.write("proc/mounts", "/dev/vda1 / ext4 ro,relatime 0 0\n/dev/vda1 /tmp ext4 rw,nosuid,nodev 0 0\n");
  // ...and the host's own mounts, as PID 1 has them.
  dir.write("proc/1/mounts", "/dev/vda1 / ext4 rw,relatime 0 0\n");
  const auto t = collect_ok(dir.path(), "mounts");
  const auto live = t.rows_where("origin", "live");
  REQUIRE(live.size() == 1);
  CHECK(t.text(live[0], "mount_point") == "/");
  CHECK(t.text(live[0], "file") == "/proc/1/mounts");
  CHECK(t.text(live[0], "options") == "rw,relatime");
}
