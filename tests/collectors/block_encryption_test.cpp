// block_encryption: dm uuid classes, /proc/swaps, and the sysfs walk on
// fixture hosts shaped like real sysfs (tests/fixtures/make_storage_fixtures.py)
// and on trees made at test time for loops, bounds and odd layers.
#include "block_encryption.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::test::collect_ok;
using vigil::test::CollectedTable;
using vigil::test::fixture_host;
using vigil::test::TempDir;

namespace {

std::size_t only(const CollectedTable& t, std::string_view mount_point, std::string_view source = {}) {
  std::vector<std::size_t> found;
  for (auto r : t.rows_where("mount_point", mount_point)) {
    if (source.empty() || t.text(r, "source") == source) found.push_back(r);
  }
  INFO("mount point " << mount_point << " " << source);
  REQUIRE(found.size() == 1);
  return found[0];
}

// A block device in a TempDir sysfs: devices/virtual/block/<name> with the
// class/block link, dm or md files, and slaves links to other such devices.
void device(const TempDir& d, const std::string& name, const std::vector<std::string>& slaves,
            const std::string& uuid = "", const std::string& md_level = "") {
  const std::string dir = "sys/devices/virtual/block/" + name;
  d.write(dir + "/dev", "254:1\n");
  if (!uuid.empty()) d.write(dir + "/dm/uuid", uuid + "\n");
  if (!md_level.empty()) d.write(dir + "/md/level", md_level + "\n");
  d.mkdir(dir + "/slaves");
  for (const auto& s : slaves) d.symlink(dir + "/slaves/" + s, "../../" + s);
  d.symlink("sys/class/block/" + name, "../../devices/virtual/block/" + name);
}

// A whole disk sdX at a PCI path, with its partitions.
void disk(const TempDir& d, const std::string& name, const std::vector<std::string>& parts) {
  const std::string dir = "sys/devices/pci0000:00/0000:00:1f.2/ata1/block/" + name;
  d.write(dir + "/dev", "8:0\n");
  d.symlink("sys/class/block/" + name, "../../devices/pci0000:00/0000:00:1f.2/ata1/block/" + name);
  for (const auto& p : parts) {
    d.write(dir + "/" + p + "/dev", "8:1\n");
    d.write(dir + "/" + p + "/partition", "1\n");
    d.symlink("sys/class/block/" + p, "../../devices/pci0000:00/0000:00:1f.2/ata1/block/" + name + "/" + p);
  }
}

}  // namespace

TEST_CASE("classify_dm_uuid names the layer a dm uuid stands for", "[block_encryption]") {
  struct Case {
    std::string uuid;
    std::string kind;
    std::string label;
    bool encrypting;
    bool known;
  };
  const std::vector<Case> cases{
      {"CRYPT-LUKS2-0d5a0f1c6e2b4e7a9c3d1f2e3a4b5c6d-sda5_crypt", "crypt", "CRYPT-LUKS2", true, true},
      {"CRYPT-LUKS1-3e9c5b7a1d2f4e6a8b0c9d7e5f3a1b2c-srv", "crypt", "CRYPT-LUKS1", true, true},
      {"CRYPT-PLAIN-swap", "crypt", "CRYPT-PLAIN", true, true},
      {"CRYPT-BITLK-1234-usb", "crypt", "CRYPT-BITLK", true, true},
      {"CRYPT-VERITY-4a5b-root_verity", "crypt", "CRYPT-VERITY", false, true},
      {"CRYPT-INTEGRITY-data", "crypt", "CRYPT-INTEGRITY", false, true},
      {"CRYPT-SUBDEV-0d5a-sda5_crypt_dif", "crypt", "CRYPT-SUBDEV", false, true},
      {"CRYPT-NEWTYPE-x", "crypt", "CRYPT-NEWTYPE", false, false},
      {"LVM-Xb3kQ1Zr7pYc2Wm9Lt5Hn0Ds8Fv4Gj6AaR4sT8uV2wX6yZ0bC3dE7fG1hJ5kL9mN", "lvm", "LVM", false, true},
      {"mpath-3600508b400105e210000900000490000", "multipath", "mpath", false, true},
      {"part1-mpath-3600508b400105e21", "dm-partition", "part1", false, true},
      {"DMRAID-isw_raid", "dmraid", "DMRAID", false, true},
      {"", "dm", "dm", false, false},
      {"crypt-luks2-lowercase", "dm", "dm", false, false},
      {"partition-x", "dm", "dm", false, false},
  };
  for (const auto& c : cases) {
    INFO(c.uuid);
    const DmLayer l = classify_dm_uuid(c.uuid);
    CHECK(l.kind == c.kind);
    CHECK(l.label == c.label);
    CHECK(l.encrypting == c.encrypting);
    CHECK(l.known == c.known);
  }
  CHECK(classify_dm_uuid("CRYPT-LUKS2-x-y").crypt_type == "LUKS2");
  CHECK_FALSE(classify_dm_uuid("LVM-x").crypt_type.has_value());
}

TEST_CASE("parse_proc_swaps reads the kernel's swap table", "[block_encryption]") {
  const auto t = parse_proc_swaps(
      "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
      "/dev/dm-2                               partition\t999420\t\t0\t\t-2\n"
      "/swap\\040file                           file\t\t524284\t\t0\t\t-3\n"
      "/old\\040(deleted)                       file\t\t1024\t\t0\t\t-4\n"
      "/gone (deleted) file 1024 0 -5\n"
      "short line\r\n"
      "\n");
  REQUIRE(t.entries.size() == 4);
  CHECK(t.entries[0].filename == "/dev/dm-2");
  CHECK(t.entries[0].type == "partition");
  CHECK(t.entries[0].line == 2);
  CHECK(t.entries[1].filename == "/swap file");
  CHECK(t.entries[1].type == "file");
  CHECK(t.entries[2].filename == "/old");
  CHECK(t.entries[2].deleted);
  CHECK(t.entries[3].filename == "/gone");
  CHECK(t.entries[3].type == "file");
  CHECK(t.entries[3].deleted);
  REQUIRE(t.issues.size() == 1);
  CHECK(t.issues[0].first == 6);
  CHECK(parse_proc_swaps("Filename Type Size Used Priority\n").entries.empty());
}

TEST_CASE("parse_mountinfo_devices maps mount points to major:minor", "[block_encryption]") {
  const auto d = parse_mountinfo_devices(
      "23 1 8:3 / / rw,relatime shared:1 - ext4 /dev/sda3 rw\n"
      "43 23 8:19 / /mnt/my\\040disk ro - ext4 /dev/root ro\n"
      "garbage\n");
  REQUIRE(d.size() == 2);
  CHECK(d[0] == std::pair<std::string, std::string>{"/", "8:3"});
  CHECK(d[1] == std::pair<std::string, std::string>{"/mnt/my disk", "8:19"});
  CHECK(last_component("../../devices/pci0000:00/block/sda/sda5") == "sda5");
  CHECK(last_component("sda/") == "sda");
  CHECK(join_link("/dev/mapper/root", "../dm-1") == "/dev/dm-1");
  CHECK(join_link("/dev/disk/by-uuid/x", "../../sda1") == "/dev/sda1");
  CHECK(join_link("/dev/x", "/../../etc") == "/etc");
  CHECK(block_name_valid("dm-0"));
  CHECK_FALSE(block_name_valid(""));
  CHECK_FALSE(block_name_valid(".."));
  CHECK_FALSE(block_name_valid("../sda"));
}

TEST_CASE("block_encryption: Debian's guided encrypted LVM", "[block_encryption]") {
  auto t = collect_ok(fixture_host("storage-luks-lvm"), "block_encryption");
  CHECK(t.warnings.empty());
  // proc, sysfs, devtmpfs, devpts, tmpfs, securityfs, cgroup2 are not rows.
  CHECK(t.rows.size() == 5);
  auto root = only(t, "/");
  CHECK(t.integer(root, "encrypted") == 1);
  CHECK(t.text(root, "crypt_type") == "LUKS2");
  CHECK(t.text(root, "kind") == "lvm");
  CHECK(t.text(root, "device") == "dm-1");
  CHECK(t.text(root, "chain") == "dm-1 (LVM) > dm-0 (CRYPT-LUKS2) > sda5 (partition) > sda (disk)");
  CHECK(t.text(root, "file") == "/proc/mounts");
  CHECK(t.integer(root, "line") == 6);
  auto boot = only(t, "/boot");
  CHECK(t.integer(boot, "encrypted") == 0);
  CHECK(t.is_null(boot, "crypt_type"));
  CHECK(t.text(boot, "chain") == "sda1 (partition) > sda (disk)");
  auto overlay = only(t, "/var/lib/docker/overlay2/4f1e/merged");
  CHECK(t.is_null(overlay, "encrypted"));
  CHECK(t.text(overlay, "kind") == "overlay");
  auto swap = only(t, "swap", "/dev/dm-2");
  CHECK(t.integer(swap, "encrypted") == 1);
  CHECK(t.text(swap, "fstype") == "swap");
  CHECK(t.text(swap, "file") == "/proc/swaps");
  auto swapfile = only(t, "swap", "/var/swap file");
  CHECK(t.integer(swapfile, "encrypted") == 1);
  CHECK(t.text(swapfile, "kind") == "file");
  CHECK(t.text(swapfile, "chain").rfind("file on / (ext4) > dm-1 (LVM)", 0) == 0);
}

TEST_CASE("block_encryption: LUKS on md RAID1, plain RAID, NVMe and /dev/root", "[block_encryption]") {
  auto t = collect_ok(fixture_host("storage-md-luks"), "block_encryption");
  CHECK(t.warnings.empty());
  auto srv = only(t, "/srv");
  CHECK(t.integer(srv, "encrypted") == 1);
  CHECK(t.text(srv, "crypt_type") == "LUKS1");
  CHECK(t.text(srv, "kind") == "crypt");
  CHECK(t.text(srv, "chain") ==
        "dm-0 (CRYPT-LUKS1) > md0 (raid1) > [sda1 (partition) > sda (disk) | sdb1 (partition) > sdb (disk)]");
  auto data = only(t, "/data");
  CHECK(t.integer(data, "encrypted") == 0);
  CHECK(t.text(data, "kind") == "md");
  auto home = only(t, "/home");
  CHECK(t.integer(home, "encrypted") == 0);
  CHECK(t.text(home, "chain") == "nvme0n1p1 (partition) > nvme0n1 (nvme)");
  // /dev/root names no device: the major:minor in mountinfo does.
  auto old = only(t, "/mnt/old");
  CHECK(t.text(old, "device") == "sdb3");
  CHECK(t.integer(old, "encrypted") == 0);
  CHECK(t.rows_where("mount_point", "swap").empty());
}

TEST_CASE("block_encryption: loop, btrfs, network, zfs, zram and a missing device", "[block_encryption]") {
  auto t = collect_ok(fixture_host("storage-plain"), "block_encryption");
  CHECK(t.warned("/proc/mounts:9", "fewer than three fields"));
  CHECK(t.integer(only(t, "/"), "encrypted") == 0);
  CHECK(t.integer(only(t, "/boot/efi"), "encrypted") == 0);
  auto snap = only(t, "/snap/core22/1122");
  CHECK(t.is_null(snap, "encrypted"));
  CHECK(t.text(snap, "kind") == "loop");
  CHECK(t.text(snap, "backing_file") == "/var/lib/snapd/snaps/core22_1122.snap");
  auto srv = only(t, "/srv");
  CHECK(t.text(srv, "kind") == "btrfs");
  CHECK(t.integer(srv, "encrypted") == 0);  // /sys/fs/btrfs lists one device, a plain disk
  CHECK(t.text(srv, "chain") == "btrfs [vdb (disk)]");
  CHECK(t.text(only(t, "/home"), "kind") == "network");
  CHECK(t.is_null(only(t, "/home"), "encrypted"));
  CHECK(t.text(only(t, "/tank"), "kind") == "zfs");
  CHECK(t.is_null(only(t, "/tank"), "encrypted"));
  auto gone = only(t, "/mnt/gone");
  CHECK(t.is_null(gone, "encrypted"));
  CHECK(t.is_null(gone, "device"));
  CHECK(t.text(gone, "note").find("names no block device") != std::string::npos);
  CHECK(t.integer(only(t, "swap", "/dev/vda2"), "encrypted") == 0);
  auto zram = only(t, "swap", "/dev/zram0");
  CHECK(t.is_null(zram, "encrypted"));
  CHECK(t.text(zram, "kind") == "zram");
}

TEST_CASE("block_encryption: every path down must be encrypted", "[block_encryption]") {
  TempDir d;
  disk(d, "sda", {"sda1", "sda2"});
  disk(d, "sdb", {"sdb1"});
  device(d, "dm-0", {"sda1"}, "CRYPT-LUKS2-aaaa-one");
  // An LVM volume group over one encrypted and one plain physical volume.
  device(d, "dm-1", {"dm-0", "sdb1"}, "LVM-vgspan");
  // A dm table loaded without a known uuid (dmsetup create): over a plain
  // disk it may hide a crypt target, so unknown; over LUKS still encrypted.
  device(d, "dm-2", {"sda2"}, " ");  // an empty dm/uuid
  device(d, "dm-3", {"dm-0"}, " ");
  // dm-verity does not encrypt.
  device(d, "dm-4", {"sdb1"}, "CRYPT-VERITY-bbbb-root");
  device(d, "dm-5", {"sdb1"}, "CRYPT-FUTURE-cccc-x");
  // Slaves that lead back: dm-6 > dm-7 > dm-6.
  device(d, "dm-6", {"dm-7"}, "LVM-a");
  device(d, "dm-7", {"dm-6"}, "LVM-b");
  d.write("proc/mounts",
          "/dev/dm-1 /span ext4 rw 0 0\n/dev/dm-2 /raw ext4 rw 0 0\n/dev/dm-3 /over ext4 rw 0 0\n"
          "/dev/dm-4 /verity ext4 ro 0 0\n/dev/dm-5 /future ext4 rw 0 0\n/dev/dm-6 /loop ext4 rw 0 0\n"
          "/dev/mapper/nosuch /nomapper ext4 rw 0 0\nrootfs / rootfs rw 0 0\n");
  d.write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/swapfile file 1024 0 -2\n");
  auto t = collect_ok(d.path(), "block_encryption");
  CHECK(t.integer(only(t, "/span"), "encrypted") == 0);
  CHECK(t.text(only(t, "/span"), "chain") ==
        "dm-1 (LVM) > [dm-0 (CRYPT-LUKS2) > sda1 (partition) > sda (disk) | sdb1 (partition) > sdb (disk)]");
  CHECK(t.is_null(only(t, "/raw"), "encrypted"));
  CHECK(t.text(only(t, "/raw"), "note").find("names no known layer") != std::string::npos);
  CHECK(t.integer(only(t, "/over"), "encrypted") == 1);
  CHECK(t.integer(only(t, "/verity"), "encrypted") == 0);
  CHECK(t.text(only(t, "/verity"), "crypt_type") == "VERITY");
  CHECK(t.is_null(only(t, "/future"), "encrypted"));
  auto loop = only(t, "/loop");
  CHECK(t.is_null(loop, "encrypted"));
  CHECK(t.text(loop, "note").find("lead back") != std::string::npos);
  CHECK(t.is_null(only(t, "/nomapper"), "encrypted"));
  // rootfs is a block filesystem class but names no device.
  CHECK(t.is_null(only(t, "/"), "encrypted"));
  // The swap file is on "/", whose answer is unknown.
  auto swapfile = only(t, "swap");
  CHECK(t.is_null(swapfile, "encrypted"));
  CHECK(t.text(swapfile, "kind") == "file");
}

TEST_CASE("block_encryption: bounds on depth and devices", "[block_encryption]") {
  TempDir d;
  disk(d, "sda", {});
  // A chain of 30 LVM layers over LUKS: deeper than the walk goes.
  device(d, "dm-100", {"sda"}, "CRYPT-LUKS2-dddd-deep");
  std::string below = "dm-100";
  for (int i = 0; i < 30; ++i) {
    const std::string name = "dm-" + std::to_string(i);
    device(d, name, {below}, "LVM-layer");
    below = name;
  }
  // A RAID of 80 encrypted members: past the device cap the rest is unknown
  // (were one of those seen plain, 0 would be the answer instead).
  std::vector<std::string> members;
  for (int i = 0; i < 80; ++i) {
    members.push_back("dm-" + std::to_string(200 + i));
    device(d, members.back(), {}, "CRYPT-LUKS2-eeee-m" + std::to_string(i));
  }
  device(d, "md9", members, "", "raid1");
  d.write("proc/mounts", "/dev/" + below + " /deep ext4 rw 0 0\n/dev/md9 /wide ext4 rw 0 0\n");
  auto t = collect_ok(d.path(), "block_encryption");
  CHECK(t.is_null(only(t, "/deep"), "encrypted"));
  CHECK(t.text(only(t, "/deep"), "note").find("layers") != std::string::npos);
  CHECK(t.is_null(only(t, "/wide"), "encrypted"));
  CHECK(t.text(only(t, "/wide"), "note").find("devices") != std::string::npos);
}

TEST_CASE("block_encryption: no /proc, no /sys, a fifo in sysfs", "[block_encryption]") {
  TempDir d;
  d.mkdir("etc");
  auto none = collect_ok(d.path(), "block_encryption");
  CHECK(none.rows.empty());
  CHECK(none.warned("/proc/mounts", "absent"));
  CHECK(none.warned("/proc/swaps", "absent"));

  d.write("proc/mounts", "/dev/sda1 / ext4 rw 0 0\n");
  d.write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
  auto nosys = collect_ok(d.path(), "block_encryption");
  REQUIRE(nosys.rows.size() == 1);
  CHECK(nosys.is_null(0, "encrypted"));
  CHECK(nosys.warned("/sys/class/block", "absent"));

  // A fifo where dm/uuid belongs: never read (it would block), so unknown.
  disk(d, "sda", {"sda1"});
  device(d, "dm-0", {"sda1"});
  d.mkdir("sys/devices/virtual/block/dm-0/dm");
  REQUIRE(::mkfifo((d.path() + "/sys/devices/virtual/block/dm-0/dm/uuid").c_str(), 0644) == 0);
  d.write("proc/mounts", "/dev/dm-0 / ext4 rw 0 0\n");
  auto fifo = collect_ok(d.path(), "block_encryption");
  REQUIRE(fifo.rows.size() == 1);
  CHECK(fifo.is_null(0, "encrypted"));
}
