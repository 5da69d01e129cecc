// The `listening_sockets` table: TCP sockets in LISTEN and UDP/raw sockets
// bound but unconnected, from /proc/net/{tcp,tcp6,udp,udp6,raw,raw6}, with
// the processes holding them found as ss -lntup (iproute2 6.1) finds them:
// by scanning every /proc/<pid>/fd/* link for "socket:[<inode>]".
//
// /proc/net is the network namespace of the process that reads it (procfs
// resolves /proc/net through /proc/self), so on the live root these are the
// agent's own namespace's sockets: a container's sockets in another
// namespace are not listed. For a fixture or image root it is whatever the
// tree holds; a root without /proc/net is an error (listeners unknown).
#include "sockets.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>
#include <map>
#include <set>

#include "collector.hpp"
#include "processes.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

// A /proc/net/tcp line is ~150 bytes: 64 MiB is some 400 000 sockets.
constexpr std::size_t kProcNetCap = 64u * 1024u * 1024u;
// Descriptor links read in all before the owner search gives up.
constexpr std::size_t kMaxDescriptors = 2000000;

std::optional<std::uint32_t> hex32(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

template <class T>
std::optional<T> number(std::string_view s, int base = 10) {
  T v{};
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The four bytes of a word as the kernel held them in memory.
void word_bytes(std::uint32_t w, ByteOrder order, unsigned char* out) {
  if (order == ByteOrder::little) {
    for (int i = 0; i < 4; ++i) out[i] = static_cast<unsigned char>(w >> (8 * i));
  } else {
    for (int i = 0; i < 4; ++i) out[i] = static_cast<unsigned char>(w >> (8 * (3 - i)));
  }
}

struct NetFile {
  const char* path;
  const char* protocol;
  int family;
  bool required;  // absent only when the root has no procfs; tcp6/udp6 are absent with IPv6 disabled
};
constexpr std::array<NetFile, 6> kNetFiles{{
    {"/proc/net/tcp", "tcp", 4, true},
    {"/proc/net/tcp6", "tcp6", 6, false},
    {"/proc/net/udp", "udp", 4, true},
    {"/proc/net/udp6", "udp6", 6, false},
    {"/proc/net/raw", "raw", 4, false},
    {"/proc/net/raw6", "raw6", 6, false},
}};

struct Listener {
  const NetFile* file;
  ProcNetSocket socket;
};

struct Owners {
  std::map<std::uint64_t, std::set<std::int64_t>> by_inode;
  std::size_t processes = 0;
  std::size_t unreadable = 0;
  bool incomplete = false;  // some descriptors were never looked at
};

// Every /proc/<pid>/fd/* link naming one of the wanted socket inodes.
Owners find_owners(CollectContext& ctx, const std::set<std::uint64_t>& wanted) {
  const Host& host = ctx.host();
  Owners out;
  bool cut = false;
  auto pids = list_pids(host, kMaxProcesses, &cut);
  if (!pids) {
    ctx.warn("/proc", "cannot list processes: " + pids.error().message + "; no socket has an owner");
    out.incomplete = true;
    return out;
  }
  if (cut) out.incomplete = true;
  std::size_t links = 0;
  for (const std::int64_t pid : *pids) {
    const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
    auto entries = host.list_dir(fd_dir);
    if (entries.is(Errc::not_found)) continue;  // exited
    ++out.processes;
    if (!entries) {
      ++out.unreadable;
      continue;
    }
    for (const auto& e : *entries) {
      if (++links > kMaxDescriptors) {
        ctx.warn("/proc/<pid>/fd", "more than " + std::to_string(kMaxDescriptors) +
                                       " descriptors: the owner search stopped at pid " +
                                       std::to_string(pid));
        out.incomplete = true;
        return out;
      }
      auto target = host.read_link(fd_dir + "/" + e.name);
      if (target.is(Errc::not_found)) continue;  // closed meanwhile
      if (!target) {
        ++out.unreadable;  // EACCES on one link means on all of this process's
        break;
      }
      if (auto inode = socket_link_inode(*target); inode && wanted.count(*inode) != 0) {
        out.by_inode[*inode].insert(pid);
      }
    }
  }
  return out;
}

Status collect_listening_sockets(CollectContext& ctx, std::vector<Row>& rows) {
  const Host& host = ctx.host();
  std::vector<Listener> listeners;
  for (const auto& f : kNetFiles) {
    auto text = host.read_file(f.path, ReadOptions{.max_bytes = kProcNetCap});
    if (text.is(Errc::not_found) && !f.required) continue;
    if (text.is(Errc::not_found)) {
      return make_error(
          Errc::not_found,
          std::string(f.path) + " absent (no procfs under this root): the listening sockets are unknown");
    }
    if (!text) return make_error(text.error().code, text.error().message);
    const ProcNetTable table = parse_proc_net(text->data, f.family);
    for (int line : table.bad_lines) {
      ctx.warn(std::string(f.path) + ":" + std::to_string(line), "not a socket entry; skipped");
    }
    for (const auto& s : table.sockets) {
      if (is_listening(f.protocol, s.state)) listeners.push_back(Listener{&f, s});
    }
  }

  std::set<std::uint64_t> wanted;
  for (const auto& l : listeners) {
    if (l.socket.inode != 0) wanted.insert(l.socket.inode);
  }
  Owners owners;
  if (!wanted.empty()) owners = find_owners(ctx, wanted);
  if (owners.unreadable > 0) {
    ctx.warn("/proc/<pid>/fd",
             "descriptors of " + std::to_string(owners.unreadable) + " of " +
                 std::to_string(owners.processes) +
                 " processes could not be read (another user's process needs CAP_SYS_PTRACE or "
                 "the same uid): a socket only they hold has owner_status 'unknown'");
  }
  const bool complete = owners.unreadable == 0 && !owners.incomplete;

  std::map<std::int64_t, std::optional<std::string>> comms;
  for (const auto& l : listeners) {
    const auto& s = l.socket;
    auto base = [&](Value pid, Value comm, const char* owner_status) {
      return Row{text_value(l.file->protocol),
                 text_value(s.address),
                 int_value(s.port),
                 text_value(address_scope(s.address)),
                 text_value(s.state == 0x0A ? "LISTEN" : "UNCONN"),
                 int_value(s.uid),
                 int_value(static_cast<std::int64_t>(s.inode)),
                 std::move(pid),
                 std::move(comm),
                 text_value(owner_status),
                 text_value(std::string(l.file->path) + ":" + std::to_string(s.line))};
    };
    auto it = owners.by_inode.find(s.inode);
    if (s.inode == 0 || it == owners.by_inode.end()) {
      rows.push_back(base(null_value(), null_value(), complete || s.inode == 0 ? "none" : "unknown"));
      continue;
    }
    for (const std::int64_t pid : it->second) {
      auto c = comms.find(pid);
      if (c == comms.end()) c = comms.emplace(pid, process_comm(host, pid)).first;
      rows.push_back(
          base(int_value(pid), c->second ? text_value(sanitize_utf8(*c->second)) : null_value(), "process"));
    }
  }
  return Status::success();
}

using T = ColumnType;

TableDef listening_sockets_table() {
  TableDef def{
      "listening_sockets",
      "Sockets that accept traffic: TCP in LISTEN and UDP/raw sockets bound but not connected, from "
      "/proc/net/tcp, tcp6, udp, udp6, raw and raw6 (tcp6/udp6/raw6 are absent when IPv6 is disabled). One "
      "row "
      "per socket and process holding it (a socket several processes share, like a forked server's or one "
      "systemd passes on, has a row for each); a socket with no known holder has one row with pid NULL. "
      "/proc/net "
      "is the network namespace of the reading process: on the live root the agent's own, so sockets of "
      "containers in other namespaces are not listed. No /proc/net/tcp or udp under the root is an error.",
      {
          {"protocol", T::text, "'tcp', 'tcp6', 'udp', 'udp6', 'raw' or 'raw6' (the file it is listed in)"},
          {"address", T::text,
           "local address as inet_ntop prints it: '0.0.0.0', '127.0.0.1', '::', '::1', '::ffff:10.0.0.5'. A "
           "tcp6 "
           "or udp6 socket on '::' also accepts IPv4 unless it set IPV6_V6ONLY, which /proc/net does not "
           "show"},
          {"port", T::integer, "local port; for raw sockets the IP protocol number (1 ICMP, 58 ICMPv6)"},
          {"scope", T::text,
           "'loopback' (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104: reachable from this host only), 'any' "
           "(0.0.0.0 "
           "or ::: every address of every interface) or 'address' (one specific local address)"},
          {"state", T::text, "'LISTEN' (TCP) or 'UNCONN' (UDP/raw bound and not connected)"},
          {"uid", T::integer, "uid that created the socket"},
          {"inode", T::integer, "socket inode (0 for a socket no file refers to)"},
          {"pid", T::integer,
           "a process holding the socket in one of its descriptors; NULL when none is known"},
          {"comm", T::text, "that process's command name ('sshd', 'systemd', 'chronyd'); NULL with pid"},
          {"owner_status", T::text,
           "'process' (pid found); 'unknown' (no readable process holds it, but some processes' descriptors "
           "could not be read: a warning counts them); 'none' (every descriptor was read and none holds it: "
           "a "
           "socket the kernel opened itself, such as NFS or WireGuard, or one held only outside this pid "
           "namespace)"},
          {"source", T::text, "file and line of the entry: '/proc/net/tcp:2'"},
      },
      collect_listening_sockets,
  };
  def.heavy = true;
  return def;
}

}  // namespace

std::optional<std::string> decode_proc_net_address(std::string_view hex, int family, ByteOrder order) {
  if (family == 4) {
    auto w = hex32(hex);
    if (!w) return std::nullopt;
    unsigned char b[4];
    word_bytes(*w, order, b);
    char buf[INET_ADDRSTRLEN];
    if (::inet_ntop(AF_INET, b, buf, sizeof buf) == nullptr) return std::nullopt;
    return std::string(buf);
  }
  if (family != 6 || hex.size() != 32) return std::nullopt;
  unsigned char b[16];
  for (int i = 0; i < 4; ++i) {
    auto w = hex32(hex.substr(static_cast<std::size_t>(i) * 8, 8));
    if (!w) return std::nullopt;
    word_bytes(*w, order, b + 4 * i);
  }
  char buf[INET6_ADDRSTRLEN];
  if (::inet_ntop(AF_INET6, b, buf, sizeof buf) == nullptr) return std::nullopt;
  return std::string(buf);
}

ProcNetTable parse_proc_net(std::string_view text, int family, ByteOrder order) {
  ProcNetTable out;
  int number_of_line = 0;
  for (std::string_view line : split_lines(text)) {
    ++number_of_line;
    const auto f = split_ws(line);
    if (f.empty() || (number_of_line == 1 && f[0] == "sl")) continue;
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    ProcNetSocket s;
    s.line = number_of_line;
    bool ok = f.size() >= 10 && f[0].size() >= 2 && f[0].back() == ':';
    if (ok) {
      const auto colon = f[1].rfind(':');
      auto addr = colon == std::string_view::npos
                      ? std::nullopt
                      : decode_proc_net_address(f[1].substr(0, colon), family, order);
      auto port = colon == std::string_view::npos ? std::nullopt : number<int>(f[1].substr(colon + 1), 16);
      auto state = number<int>(f[3], 16);
      auto uid = number<std::int64_t>(f[7]);
      auto inode = number<std::uint64_t>(f[9]);
      ok = addr && port && state && uid && inode && f[1].size() - colon - 1 == 4;
      if (ok) {
        s.address = std::move(*addr);
        s.port = *port;
        s.state = *state;
        s.uid = *uid;
        s.inode = *inode;
      }
    }
    if (ok)
      out.sockets.push_back(std::move(s));
    else
      out.bad_lines.push_back(number_of_line);
  }
  return out;
}

std::string address_scope(std::string_view address) {
  if (address == "0.0.0.0" || address == "::") return "any";
  if (address == "::1") return "loopback";
  if (address.substr(0, 4) == "127.") return "loopback";
  if (address.substr(0, 11) == "::ffff:127.") return "loopback";
  return "address";
}

bool is_listening(std::string_view protocol, int state) noexcept {
  if (protocol == "tcp" || protocol == "tcp6") return state == 0x0A;
  return state == 0x07;
}

std::optional<std::uint64_t> socket_link_inode(std::string_view target) {
  constexpr std::string_view kPrefix = "socket:[";
  if (target.size() <= kPrefix.size() + 1 || target.substr(0, kPrefix.size()) != kPrefix ||
      target.back() != ']')
    return std::nullopt;
  return number<std::uint64_t>(target.substr(kPrefix.size(), target.size() - kPrefix.size() - 1));
}

VIGIL_REGISTER_TABLE(listening_sockets_table());

}  // namespace vigil::collectors
