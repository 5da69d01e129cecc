// Sockets in /proc/net/{tcp,tcp6,udp,udp6,raw,raw6} as the kernel prints
// them (net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c get_tcp6_sock,
// net/ipv4/udp.c udp4_format_sock, ...), behind the `listening_sockets`
// table. Pure parsers, so tests feed strings.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::collectors {

// The kernel prints an address as the 32-bit words of the __be32/in6_addr in
// memory, each with "%08X" of the word read in the CPU's own byte order: on
// x86 127.0.0.1 (bytes 7f 00 00 01) is "0100007F", on s390x "7F000001".
// Decoding takes the byte order of the kernel that wrote the file, which for
// a live /proc is the scanning machine's own.
enum class ByteOrder { little, big };
inline constexpr ByteOrder kNativeByteOrder =
    std::endian::native == std::endian::little ? ByteOrder::little : ByteOrder::big;

struct ProcNetSocket {
  std::string address;  // inet_ntop form: 127.0.0.1, ::, ::ffff:10.0.0.1
  int port = 0;         // local port; for raw sockets the IP protocol number
  int state = 0;        // TCP state number: 0x0A LISTEN, 0x07 CLOSE (unconnected UDP/raw)
  std::int64_t uid = 0;
  std::uint64_t inode = 0;
  int line = 0;  // 1-based line of the file (the header is line 1)
};

struct ProcNetTable {
  std::vector<ProcNetSocket> sockets;  // every socket, any state, in file order
  std::vector<int> bad_lines;          // lines that are not a socket entry
};

// family is 4 or 6 (the width of the addresses: 8 or 32 hex digits).
ProcNetTable parse_proc_net(std::string_view text, int family, ByteOrder order = kNativeByteOrder);

// "0100007F" (family 4) or 32 hex digits (family 6) -> inet_ntop text.
std::optional<std::string> decode_proc_net_address(std::string_view hex, int family,
                                                   ByteOrder order = kNativeByteOrder);

// 'loopback' (127.0.0.0/8, ::1, ::ffff:127.x.y.z), 'any' (0.0.0.0, ::) or
// 'address' (bound to one specific address) for an inet_ntop address.
std::string address_scope(std::string_view address);

// TCP listens in state LISTEN (0x0A); a UDP or raw socket receives in state
// CLOSE (0x07), the state of a bound but unconnected socket.
bool is_listening(std::string_view protocol, int state) noexcept;

// The inode of a descriptor link target "socket:[12345]"; nullopt otherwise.
std::optional<std::uint64_t> socket_link_inode(std::string_view target);

}  // namespace vigil::collectors
