// The `block_encryption` table: for each mounted filesystem (the host's
// /proc/mounts) and each active swap area (/proc/swaps), whether dm-crypt
// sits beneath it, found by walking the device stack in sysfs:
//   source (/dev/mapper/x, /dev/dm-1, /dev/sda1, a /dev symlink, or the
//   mount's major:minor from /proc/self/mountinfo) -> /sys/class/block/<name>
//   -> slaves/ of dm, md and other stacked devices, the parent disk of a
//   partition -> ... down to disks. A dm node's dm/uuid names its layer
//   (see classify_dm_uuid). Encrypted means every path down crosses a
//   CRYPT- layer that encrypts; one plain path makes it 0; anything that
//   cannot be seen (a missing node, a dm table without a known uuid, a loop
//   file, zram, a walk past its bounds) makes it NULL unless a crypt layer
//   above it already answers.
#include "block_encryption.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "collector.hpp"
#include "host.hpp"
#include "mount_table.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

constexpr std::size_t kSysCap = 64u * 1024u;
constexpr std::size_t kChainCap = 4096;

bool starts_with(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

// The answer for one top device (or filesystem).
struct Answer {
  std::optional<bool> encrypted;
  std::string chain;
  std::string kind;
  std::vector<std::string> crypt_types;
  std::vector<std::string> backing_files;
  std::vector<std::string> notes;
  std::optional<std::string> device;  // the top block device name
};

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

std::optional<bool> combine(const std::vector<std::optional<bool>>& parts) {
  if (parts.empty()) return std::nullopt;
  bool all = true;
  for (const auto& p : parts) {
    if (p == false) return false;  // one plain path: some data is not encrypted
    if (!p) all = false;
  }
  if (all) return true;
  return std::nullopt;
}

class Walker {
 public:
  explicit Walker(const Host& host) : host_(host) {
    auto st = host_.stat(kSysClassBlock, true);
    sysfs_ = st && st->type == FileType::directory;
  }

  bool has_sysfs() const { return sysfs_; }

  // The walk below one top device.
  Answer device(const std::string& name) {
    Answer a;
    nodes_ = 0;
    std::vector<std::string> path;
    a.device = name;
    a.encrypted = walk(name, path, a, a.chain, true);
    if (a.chain.size() > kChainCap) a.chain = a.chain.substr(0, kChainCap) + "...";
    return a;
  }

  std::optional<std::string> read(const std::string& path) {
    auto f = host_.read_file(path, ReadOptions{.max_bytes = kSysCap});
    if (!f) return std::nullopt;
    return std::string(trim(f->data));
  }

  // The block device a /dev path names, or nullopt.
  std::optional<std::string> resolve(std::string path) {
    for (int hop = 0; hop < 8; ++hop) {
      if (!starts_with(path, "/dev/")) return std::nullopt;
      const std::string rest = path.substr(5);
      if (block_name_valid(rest) && exists(rest)) return rest;
      if (starts_with(rest, "mapper/") && block_name_valid(rest.substr(7))) {
        if (auto n = dm_by_name(rest.substr(7))) return n;
      }
      auto target = host_.read_link(path);
      if (!target) break;
      path = join_link(path, *target);
    }
    return std::nullopt;
  }

  std::optional<std::string> dm_by_name(const std::string& dm_name) {
    auto entries = host_.list_dir(kSysClassBlock);
    if (!entries) return std::nullopt;
    std::size_t scanned = 0;
    for (const auto& e : *entries) {
      if (++scanned > kBlockMaxScan) break;
      if (!starts_with(e.name, "dm-")) continue;
      if (read(std::string(kSysClassBlock) + "/" + e.name + "/dm/name") == dm_name) return e.name;
    }
    return std::nullopt;
  }

  std::optional<std::string> by_devno(const std::string& majmin) {
    auto target = host_.read_link("/sys/dev/block/" + majmin);
    if (!target) return std::nullopt;
    std::string name = last_component(*target);
    if (!block_name_valid(name) || !exists(name)) return std::nullopt;
    return name;
  }

  // btrfs: every device of the filesystem that holds `name`, from
  // /sys/fs/btrfs/<fsid>/devices/; empty when no fsid lists it.
  std::vector<std::string> btrfs_members(const std::string& name) {
    auto fsids = host_.list_dir("/sys/fs/btrfs");
    if (!fsids) return {};
    std::size_t scanned = 0;
    for (const auto& f : *fsids) {
      if (++scanned > kBlockMaxScan) break;
      auto devs = host_.list_dir("/sys/fs/btrfs/" + f.name + "/devices");
      if (!devs) continue;
      std::vector<std::string> names;
      for (const auto& d : *devs) names.push_back(d.name);
      if (std::find(names.begin(), names.end(), name) != names.end()) return names;
    }
    return {};
  }

 private:
  bool exists(const std::string& name) {
    auto st = host_.stat(std::string(kSysClassBlock) + "/" + name, true);
    return st && st->type == FileType::directory;
  }

  std::vector<std::string> slaves(const std::string& base) {
    std::vector<std::string> out;
    auto entries = host_.list_dir(base + "/slaves");
    if (!entries) return out;
    for (const auto& e : *entries) {
      if (block_name_valid(e.name)) out.push_back(e.name);
    }
    return out;
  }

  std::optional<bool> walk(const std::string& name, std::vector<std::string>& path, Answer& a,
                           std::string& chain, bool top) {
    const auto unknown = [&](const std::string& label, const std::string& note) -> std::optional<bool> {
      chain += name + " (" + label + ")";
      add_unique(a.notes, note);
      if (top) a.kind = label;
      return std::nullopt;
    };
    if (std::find(path.begin(), path.end(), name) != path.end())
      return unknown("loop", "the slaves of " + name + " lead back to it: not walked further");
    if (path.size() > kBlockMaxDepth)
      return unknown("too deep",
                     "more than " + std::to_string(kBlockMaxDepth) + " layers: not walked further");
    if (++nodes_ > kBlockMaxNodes)
      return unknown("too many",
                     "more than " + std::to_string(kBlockMaxNodes) + " devices: not walked further");
    const std::string base = std::string(kSysClassBlock) + "/" + name;
    if (!exists(name)) return unknown("missing", "no " + base + " in sysfs");

    std::string label;
    std::string kind;
    std::vector<std::string> below;
    // The answer of this node whatever lies below (crypt), or a ceiling on
    // what the layers below can prove (an unknown layer can hide a crypt
    // target only in theory, but cannot prove "not encrypted").
    std::optional<bool> own;
    bool may_be_plain = true;
    bool leaf_plain = false;
    std::string leaf_note;

    if (auto uuid = read(base + "/dm/uuid")) {
      const DmLayer l = classify_dm_uuid(*uuid);
      label = l.label;
      kind = l.kind;
      if (l.crypt_type) add_unique(a.crypt_types, *l.crypt_type);
      if (l.encrypting) own = true;
      if (!l.known && !l.encrypting) {
        may_be_plain = false;
        add_unique(a.notes, name + ": dm uuid '" + sanitize_utf8(*uuid) +
                                "' names no known layer; its target type is not visible in sysfs");
      }
      below = slaves(base);
    } else if (auto level = read(base + "/md/level")) {
      label = level->empty() ? "md" : sanitize_utf8(*level);
      kind = "md";
      below = slaves(base);
    } else if (auto st = host_.stat(base + "/loop", true); st && st->type == FileType::directory) {
      label = kind = "loop";
      if (auto backing = read(base + "/loop/backing_file")) {
        add_unique(a.backing_files, sanitize_utf8(*backing));
        leaf_note = name + " is backed by the file " + sanitize_utf8(*backing) + ": not followed";
      } else {
        leaf_note = name + ": no backing file shown";
      }
    } else if (read(base + "/partition")) {
      label = kind = "partition";
      auto target = host_.read_link(base);
      const std::string parent = target ? last_component(target->substr(0, target->rfind('/'))) : "";
      if (block_name_valid(parent) && parent != "block")
        below.push_back(parent);
      else
        leaf_note = name + ": the disk holding this partition is not known";
    } else {
      below = slaves(base);
      if (!below.empty()) {
        label = kind = "stacked";
        may_be_plain = false;
        add_unique(a.notes, name + ": a stacked device of a type not known here");
      } else if (starts_with(name, "sd") || starts_with(name, "vd") || starts_with(name, "xvd") ||
                 starts_with(name, "hd") || starts_with(name, "mmcblk") || starts_with(name, "sr")) {
        label = kind = "disk";
        leaf_plain = true;
      } else if (starts_with(name, "nvme")) {
        label = kind = "nvme";
        leaf_plain = true;
      } else if (starts_with(name, "zram")) {
        label = kind = "zram";
        auto backing = read(base + "/backing_dev");
        leaf_note = name + ": compressed RAM; written to storage only through backing_dev (" +
                    (backing ? sanitize_utf8(*backing) : std::string("none shown")) + ")";
      } else {
        label = kind = "unknown";
        leaf_note = name + ": a device of a kind not known here";
      }
    }
    if (top) a.kind = kind;
    chain += name + " (" + label + ")";

    std::vector<std::optional<bool>> parts;
    if (!below.empty()) {
      path.push_back(name);
      chain += below.size() == 1 ? " > " : " > [";
      for (std::size_t i = 0; i < below.size(); ++i) {
        if (i != 0) chain += " | ";
        parts.push_back(walk(below[i], path, a, chain, false));
      }
      if (below.size() > 1) chain += "]";
      path.pop_back();
    }
    if (own) return own;
    if (below.empty()) {
      if (leaf_plain) return false;
      add_unique(a.notes, leaf_note.empty() ? name + ": nothing below it in sysfs" : leaf_note);
      return std::nullopt;
    }
    auto r = combine(parts);
    if (r == false && !may_be_plain) return std::nullopt;
    return r;
  }

  const Host& host_;
  bool sysfs_ = false;
  std::size_t nodes_ = 0;
};

enum Col : std::size_t {
  kMountPoint,
  kSource,
  kFstype,
  kDevice,
  kEncrypted,
  kCryptType,
  kKind,
  kChain,
  kBackingFile,
  kNote,
  kFile,
  kLine,
  kColumnCount
};

Row make_row(const std::string& mount_point, const std::string& source, const std::string& fstype,
             const Answer& a, std::string_view file, int line) {
  Row r(kColumnCount, null_value());
  r[kMountPoint] = text_value(sanitize_utf8(mount_point));
  r[kSource] = text_value(sanitize_utf8(source));
  r[kFstype] = text_value(sanitize_utf8(fstype));
  r[kDevice] = a.device ? text_value(*a.device) : null_value();
  r[kEncrypted] = a.encrypted ? bool_value(*a.encrypted) : null_value();
  r[kCryptType] = a.crypt_types.empty() ? null_value() : text_value(sanitize_utf8(join(a.crypt_types, ",")));
  r[kKind] = text_value(a.kind.empty() ? "unknown" : a.kind);
  r[kChain] = a.chain.empty() ? null_value() : text_value(sanitize_utf8(a.chain));
  r[kBackingFile] = a.backing_files.empty() ? null_value() : text_value(join(a.backing_files, ", "));
  r[kNote] = a.notes.empty() ? null_value() : text_value(sanitize_utf8(join(a.notes, "; ")));
  r[kFile] = text_value(file);
  r[kLine] = int_value(line);
  return r;
}

class Collector {
 public:
  Collector(CollectContext& ctx) : ctx_(ctx), walker_(ctx.host()) {}

  // The answer for a mount (or for the filesystem a swap file is on).
  Answer for_mount(const MountEntry& m) {
    Answer a;
    const FsClass c = fs_class(m.fstype);
    if (c != FsClass::block) {
      a.kind = c == FsClass::stacked ? m.fstype : fs_class_name(c);
      a.notes.push_back(class_note(c));
      return a;
    }
    if (!walker_.has_sysfs()) {
      a.notes.push_back("no " + std::string(kSysClassBlock) + " under this root: the devices are unknown");
      return a;
    }
    std::optional<std::string> name = walker_.resolve(m.source);
    if (!name) {
      auto it = devno_.find(m.mount_point);
      if (it != devno_.end() && !starts_with(it->second, "0:")) name = walker_.by_devno(it->second);
    }
    if (!name) {
      a.notes.push_back("source " + m.source + " names no block device in sysfs");
      a.kind = "unknown";
      return a;
    }
    if (m.fstype != "btrfs") return walker_.device(*name);
    const auto members = walker_.btrfs_members(*name);
    if (members.empty()) {
      a = walker_.device(*name);
      a.encrypted.reset();
      a.notes.push_back("btrfs may span devices and /sys/fs/btrfs lists none for " + *name +
                        ": only the source device was examined");
    } else {
      std::vector<std::optional<bool>> parts;
      for (const auto& dev : members) {
        Answer one = walker_.device(dev);
        parts.push_back(one.encrypted);
        a.chain += (a.chain.empty() ? "" : " | ") + one.chain;
        for (const auto& t : one.crypt_types) add_unique(a.crypt_types, t);
        for (const auto& n : one.notes) add_unique(a.notes, n);
        for (const auto& b : one.backing_files) add_unique(a.backing_files, b);
      }
      a.chain = "btrfs [" + a.chain + "]";
      a.encrypted = combine(parts);
      a.device = *name;
    }
    a.kind = "btrfs";
    return a;
  }

  Status run(std::vector<Row>& rows) {
    const Host& host = ctx_.host();
    std::string mounts_file;
    auto text = read_live_mounts(host, mounts_file);
    MountTable mounts;
    if (text) {
      mounts = parse_mount_table(text->data);
      for (const auto& i : mounts.issues) ctx_.warn(mounts_file + ":" + std::to_string(i.line), i.message);
    } else {
      ctx_.warn(mounts_file, text.is(Errc::not_found) ? "absent (no /proc under this root): no mounts known"
                                                      : "cannot be read: " + text.error().message);
    }
    if (auto mi = host.read_file(kMountinfoPath, ReadOptions{.max_bytes = kMountTableCap})) {
      for (auto& [mp, dev] : parse_mountinfo_devices(mi->data)) devno_[mp] = dev;
    }
    if (!walker_.has_sysfs() && text)
      ctx_.warn(std::string(kSysClassBlock), "absent: whether devices are encrypted is unknown (NULL)");
    for (const auto& m : mounts.entries) {
      const FsClass c = fs_class(m.fstype);
      if (c == FsClass::pseudo || c == FsClass::memory) continue;
      rows.push_back(make_row(m.mount_point, m.source, m.fstype, for_mount(m), mounts_file, m.line));
    }

    const std::string swaps_file(kProcSwapsPath);
    auto swaps = host.read_file(kProcSwapsPath, ReadOptions{.max_bytes = kMountTableCap});
    if (!swaps) {
      ctx_.warn(swaps_file, swaps.is(Errc::not_found) ? "absent (no /proc under this root): swap unknown"
                                                      : "cannot be read: " + swaps.error().message);
      return Status::success();
    }
    const SwapTable table = parse_proc_swaps(swaps->data);
    for (const auto& [line, msg] : table.issues) ctx_.warn(swaps_file + ":" + std::to_string(line), msg);
    for (const auto& s : table.entries) {
      Answer a;
      if (s.type == "partition") {
        MountEntry as_mount{s.filename, "swap", "swap", std::nullopt, 0, 0, s.line};
        a = for_mount(as_mount);
      } else {
        const MountEntry* fs = mount_for_path(mounts.entries, s.filename);
        if (fs == nullptr) {
          a.notes.push_back("no mount in /proc/mounts holds " + s.filename);
        } else {
          a = for_mount(*fs);
          a.chain = "file on " + fs->mount_point + " (" + fs->fstype + ")" + (a.chain.empty() ? "" : " > ") +
                    a.chain;
        }
        a.kind = "file";
      }
      if (s.deleted) a.notes.push_back("the kernel marks the swap file deleted");
      rows.push_back(make_row("swap", s.filename, "swap", a, swaps_file, s.line));
    }
    return Status::success();
  }

 private:
  static std::string class_note(FsClass c) {
    switch (c) {
      case FsClass::network:
        return "network filesystem: the storage is another host's; its encryption is not visible here";
      case FsClass::overlay:
        return "overlay: its layers are directories of other filesystems (see their rows); not guessed";
      case FsClass::zfs:
        return "ZFS: native encryption is a dataset property (zfs get encryption) and the pool's devices "
               "are not named by the source; not visible in sysfs";
      case FsClass::fuse:
        return "FUSE filesystem: where and how it stores data is up to its daemon";
      case FsClass::stacked:
        return "eCryptfs: file-level encryption over a directory of another filesystem, not dm-crypt";
      default:
        return "not a block device filesystem";
    }
  }

  CollectContext& ctx_;
  Walker walker_;
  std::map<std::string, std::string> devno_;
};

TableDef block_encryption_table() {
  using T = ColumnType;
  std::vector<Column> c(kColumnCount);
  c[kMountPoint] = {"mount_point", T::text, "where the filesystem is mounted, or 'swap' for a swap area"};
  c[kSource] = {"source", T::text, "the device or file as /proc/mounts or /proc/swaps names it"};
  c[kFstype] = {"fstype", T::text, "filesystem type; 'swap' for a swap area"};
  c[kDevice] = {"device", T::text, "the block device the source resolved to (dm-1, sda1); NULL when none"};
  c[kEncrypted] = {"encrypted", T::integer,
                   "1 when every path down the device stack crosses a dm-crypt layer that encrypts (a "
                   "CRYPT-LUKS1/LUKS2/PLAIN/LOOPAES/TCRYPT/BITLK/FVAULT2 dm uuid was seen); 0 when the "
                   "stack was seen down to disks and some path has none; NULL when unknown (see note): no "
                   "sysfs node, a loop file, zram, a dm table of unknown type, overlay, zfs, network, fuse, "
                   "btrfs whose member devices are not listed, a walk past its bounds. A self-encrypting "
                   "drive (OPAL) is not visible and reads 0"};
  c[kCryptType] = {"crypt_type", T::text,
                   "the cryptsetup types seen on the way (LUKS2, LUKS1, PLAIN, VERITY...), comma-separated; "
                   "NULL when none"};
  c[kKind] = {"kind", T::text,
              "the top layer: crypt, lvm, multipath, dm-partition, dmraid, dm (unknown dm), md, partition, "
              "disk, nvme, loop, zram, stacked, unknown, missing; btrfs; file (swap file: the answer of the "
              "filesystem holding it); or the filesystem's class: network, overlay, zfs, fuse, ecryptfs"};
  c[kChain] = {"chain", T::text,
               "the stack from the top device down, e.g. 'dm-1 (LVM) > dm-0 (CRYPT-LUKS2) > sda5 "
               "(partition) > sda (disk)'; several devices below one are '[a | b]'"};
  c[kBackingFile] = {"backing_file", T::text, "for loop devices on the way: the files backing them"};
  c[kNote] = {"note", T::text, "why encrypted is NULL, and other things worth knowing; '; '-separated"};
  c[kFile] = {"file", T::text, "/proc/mounts or /proc/swaps"};
  c[kLine] = {"line", T::integer, "1-based line in that file"};
  return TableDef{
      "block_encryption",
      "Whether dm-crypt sits beneath each mounted filesystem of the host's /proc/mounts and each active "
      "swap area of /proc/swaps, found by walking /sys/class/block (slaves/, dm/uuid, md/level, "
      "loop/backing_file, partitions' disks). Not rows: memory filesystems (tmpfs, ramfs, devtmpfs: their "
      "pages reach storage only through swap, which has rows) and pseudo filesystems (proc, sysfs, "
      "devpts, cgroup, cgroup2, securityfs, pstore, bpf, debugfs, tracefs, configfs, fusectl, mqueue, "
      "hugetlbfs, autofs, binfmt_misc, efivarfs, rpc_pipefs, nsfs, selinuxfs, nfsd, fuse.lxcfs, "
      "fuse.gvfsd-fuse, fuse.portal: no storage). Network, overlay, zfs and fuse filesystems are rows "
      "with encrypted NULL. No /proc: no rows and a warning; no /sys: rows with encrypted NULL.",
      std::move(c),
      [](CollectContext& ctx, std::vector<Row>& rows) { return Collector(ctx).run(rows); },
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(block_encryption_table());

}  // namespace vigil::collectors
