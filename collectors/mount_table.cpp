// Mount table lines and mount options (see mount_table.hpp).
#include "mount_table.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "strings.hpp"

namespace vigil::collectors {

namespace {

bool blank(char c) noexcept {
  return c == ' ' || c == '\t';
}

// libmount's next_s32: strtol() that must end at a blank or the end of the line.
std::optional<int> field_number(std::string_view f) {
  const std::string copy(f);
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(copy.c_str(), &end, 10);
  if (end == copy.c_str() || *end != '\0' || errno == ERANGE || v > INT_MAX || v < INT_MIN)
    return std::nullopt;
  return static_cast<int>(v);
}

bool in(std::string_view t, std::initializer_list<std::string_view> list) noexcept {
  for (auto k : list) {
    if (k == t) return true;
  }
  return false;
}

}  // namespace

std::string unescape_mount_field(std::string_view f) {
  const auto oct = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '\\' && i + 3 < f.size() && oct(f[i + 1]) && oct(f[i + 2]) && oct(f[i + 3])) {
      out += static_cast<char>(((f[i + 1] - '0') << 6) | ((f[i + 2] - '0') << 3) | (f[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += f[i];
  }
  return out;
}

MountTable parse_mount_table(std::string_view text) {
  MountTable out;
  int number = 0;
  for (std::string_view l : split_lines(text)) {
    ++number;
    std::size_t start = 0;
    while (start < l.size() && blank(l[start])) ++start;
    if (start == l.size() || l[start] == '#') continue;
    std::vector<std::string_view> f;
    for (std::size_t i = start; i < l.size();) {
      std::size_t j = i;
      while (j < l.size() && !blank(l[j])) ++j;
      f.push_back(l.substr(i, j - i));
      while (j < l.size() && blank(l[j])) ++j;
      i = j;
    }
    if (f.size() < 3) {
      out.issues.push_back(MountTableIssue{
          number, "fewer than three fields (source, mount point, type); mount ignores the line"});
      continue;
    }
    MountEntry e;
    e.source = unescape_mount_field(f[0]);
    e.mount_point = unescape_mount_field(f[1]);
    e.fstype = unescape_mount_field(f[2]);
    if (f.size() > 3) e.options = unescape_mount_field(f[3]);
    e.line = number;
    bool bad = false;
    for (std::size_t k = 4; k < 6 && k < f.size(); ++k) {
      auto n = field_number(f[k]);
      if (!n) {
        out.issues.push_back(MountTableIssue{number, std::string(k == 4 ? "freq" : "passno") + " '" +
                                                         std::string(f[k]) +
                                                         "' is not a number; mount ignores the line"});
        bad = true;
        break;
      }
      (k == 4 ? e.freq : e.passno) = *n;
    }
    if (!bad) out.entries.push_back(std::move(e));
  }
  return out;
}

const MountEntry* mount_for_path(const std::vector<MountEntry>& entries, std::string_view path) {
  const auto contains = [](std::string_view mp, std::string_view p) {
    if (mp == "/") return true;
    return p.substr(0, mp.size()) == mp && (p.size() == mp.size() || p[mp.size()] == '/');
  };
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const MountEntry* best = nullptr;
  std::size_t best_len = 0;
  for (const auto& e : entries) {
    std::string_view mp = e.mount_point;
    while (mp.size() > 1 && mp.back() == '/') mp.remove_suffix(1);
    if (!contains(mp, path) || mp.size() < best_len) continue;
    // A later line of the same mount point over-mounts the earlier one.
    best = &e;
    best_len = mp.size();
  }
  return best;
}

std::optional<std::string> mount_fstype(std::string_view mounts, std::string_view path) {
  const MountTable t = parse_mount_table(mounts);
  const MountEntry* e = mount_for_path(t.entries, path);
  if (e == nullptr) return std::nullopt;
  return e->fstype;
}

FsClass fs_class(std::string_view t) noexcept {
  if (in(t, {"proc",   "sysfs",     "devpts",  "securityfs",  "cgroup",          "cgroup2",
             "pstore", "bpf",       "debugfs", "tracefs",     "configfs",        "fusectl",
             "mqueue", "hugetlbfs", "autofs",  "binfmt_misc", "efivarfs",        "rpc_pipefs",
             "nsfs",   "selinuxfs", "nfsd",    "fuse.lxcfs",  "fuse.gvfsd-fuse", "fuse.portal"}))
    return FsClass::pseudo;
  if (in(t, {"tmpfs", "ramfs", "devtmpfs"})) return FsClass::memory;
  if (in(t, {"nfs",       "nfs4",      "cifs",        "smb3",
             "smbfs",     "ncpfs",     "afs",         "ceph",
             "glusterfs", "9p",        "lustre",      "gpfs",
             "ocfs2",     "gfs2",      "fuse.sshfs",  "fuse.glusterfs",
             "fuse.ceph", "fuse.s3fs", "fuse.davfs2", "fuse.rclone",
             "virtiofs"}))
    return FsClass::network;
  if (in(t, {"overlay", "aufs"})) return FsClass::overlay;
  if (t == "zfs") return FsClass::zfs;
  if (t == "ecryptfs") return FsClass::stacked;
  if (t == "fuse" || t == "fuseblk" || t.substr(0, 5) == "fuse.") return FsClass::fuse;
  return FsClass::block;
}

const char* fs_class_name(FsClass c) noexcept {
  switch (c) {
    case FsClass::block:
      return "block";
    case FsClass::pseudo:
      return "pseudo";
    case FsClass::memory:
      return "memory";
    case FsClass::network:
      return "network";
    case FsClass::overlay:
      return "overlay";
    case FsClass::zfs:
      return "zfs";
    case FsClass::fuse:
      return "fuse";
    case FsClass::stacked:
      return "stacked";
  }
  return "block";
}

std::vector<std::string> split_mount_options(std::string_view options) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : options) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

MountFlags mount_option_flags(std::string_view options) {
  MountFlags f;
  for (const auto& o : split_mount_options(options)) {
    if (o == "defaults") {
      f.ro = f.nosuid = f.nodev = f.noexec = f.noauto = false;
    } else if (o == "ro") {
      f.ro = true;
    } else if (o == "rw") {
      f.ro = false;
    } else if (o == "nodev") {
      f.nodev = true;
    } else if (o == "dev") {
      f.nodev = false;
    } else if (o == "nosuid") {
      f.nosuid = true;
    } else if (o == "suid") {
      f.nosuid = false;
    } else if (o == "noexec") {
      f.noexec = true;
    } else if (o == "exec") {
      f.noexec = false;
    } else if (o == "noauto") {
      f.noauto = true;
    } else if (o == "auto") {
      f.noauto = false;
    } else if (o == "user" || o == "users") {
      // libmount applies MS_SECURE only for the bare option (user=<name> is
      // what mount itself records for a user mount).
      f.noexec = f.nosuid = f.nodev = true;
    } else if (o == "owner" || o == "group") {
      f.nosuid = f.nodev = true;
    }
  }
  return f;
}

std::string expand_mount_defaults(std::string_view options) {
  std::vector<std::string> out;
  for (auto& o : split_mount_options(options)) {
    if (o == "defaults") {
      for (const char* d : {"rw", "suid", "dev", "exec", "auto", "nouser", "async"}) out.emplace_back(d);
    } else {
      out.push_back(std::move(o));
    }
  }
  return join(out, ",");
}

Result<FileContent> read_live_mounts(const Host& host, std::string& path) {
  const ReadOptions opts{.max_bytes = kMountTableCap};
  auto init = host.read_file(kInitMountsPath, opts);
  if (init) {
    path = std::string(kInitMountsPath);
    return init;
  }
  path = std::string(kProcMountsPath);
  return host.read_file(kProcMountsPath, opts);
}

}  // namespace vigil::collectors
