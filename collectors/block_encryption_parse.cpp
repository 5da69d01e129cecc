// Pure readers behind the `block_encryption` table (see block_encryption.hpp):
// dm uuid classes, /proc/swaps and the device numbers of /proc/self/mountinfo.
#include "block_encryption.hpp"
#include "mount_table.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

bool starts_with(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

}  // namespace

std::string last_component(std::string_view p) {
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  const auto slash = p.rfind('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

// Joins a symlink target to the directory of the link and folds "." and "..".
std::string join_link(std::string_view link, std::string_view target) {
  std::string base = target.empty() || target.front() != '/'
                         ? std::string(link.substr(0, link.rfind('/') + 1)) + std::string(target)
                         : std::string(target);
  std::vector<std::string_view> out;
  for (auto part : split(base, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(part);
  }
  std::string path;
  for (auto p : out) path += "/" + std::string(p);
  return path.empty() ? "/" : path;
}

bool block_name_valid(std::string_view name) noexcept {
  return !name.empty() && name.size() < 256 && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

DmLayer classify_dm_uuid(std::string_view uuid) {
  DmLayer l;
  if (starts_with(uuid, "CRYPT-")) {
    const std::string_view rest = uuid.substr(6);
    const std::string type(rest.substr(0, rest.find('-')));
    l.kind = "crypt";
    l.label = "CRYPT-" + type;
    l.crypt_type = type;
    for (auto t : {"LUKS1", "LUKS2", "PLAIN", "LOOPAES", "TCRYPT", "BITLK", "FVAULT2"}) {
      if (type == t) l.encrypting = l.known = true;
    }
    for (auto t : {"VERITY", "INTEGRITY", "SUBDEV"}) {
      if (type == t) l.known = true;
    }
    return l;
  }
  l.known = true;
  if (starts_with(uuid, "LVM-")) {
    l.kind = "lvm";
    l.label = "LVM";
  } else if (starts_with(uuid, "mpath-")) {
    l.kind = "multipath";
    l.label = "mpath";
  } else if (uuid.size() > 5 && starts_with(uuid, "part") && uuid[4] >= '0' && uuid[4] <= '9') {
    l.kind = "dm-partition";
    l.label = std::string(uuid.substr(0, uuid.find('-')));
  } else if (starts_with(uuid, "DMRAID-")) {
    l.kind = "dmraid";
    l.label = "DMRAID";
  } else {
    l.kind = "dm";
    l.label = "dm";
    l.known = false;
  }
  return l;
}

SwapTable parse_proc_swaps(std::string_view text) {
  SwapTable out;
  int number = 0;
  for (std::string_view l : split_lines(text)) {
    ++number;
    const auto f = split_ws(l);
    if (f.empty()) continue;
    if (number == 1 && f[0] == "Filename") continue;
    if (f.size() < 5) {
      out.issues.emplace_back(number, "fewer than five fields; not read");
      continue;
    }
    SwapEntry e;
    e.filename = unescape_mount_field(f[0]);
    e.line = number;
    std::size_t t = 1;
    // " (deleted)" is written after the name, with its blank escaped or not.
    if (f[1] == "(deleted)") {
      e.deleted = true;
      t = 2;
    } else if (constexpr std::string_view kDel = " (deleted)";
               e.filename.size() > kDel.size() &&
               e.filename.substr(e.filename.size() - kDel.size()) == kDel) {
      e.deleted = true;
      e.filename.resize(e.filename.size() - kDel.size());
    }
    if (t >= f.size()) {
      out.issues.emplace_back(number, "no swap type; not read");
      continue;
    }
    e.type = std::string(f[t]);
    out.entries.push_back(std::move(e));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_mountinfo_devices(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::string_view l : split_lines(text)) {
    const auto f = split_ws(l);
    if (f.size() < 5 || f[2].find(':') == std::string_view::npos) continue;
    out.emplace_back(unescape_mount_field(f[4]), std::string(f[2]));
  }
  return out;
}

}  // namespace vigil::collectors
