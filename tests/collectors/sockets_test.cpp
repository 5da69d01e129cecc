// Tests of the /proc/net readers (strings, both byte orders) and of the
// `listening_sockets` table over a fixture /proc tree whose fd links are
// dangling "socket:[inode]" symlinks, as procfs shows them.
#include "sockets.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collector.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;

namespace {

// "protocol address:port scope state pid comm owner_status" per row, '-' for NULL.
std::vector<std::string> summary(const vigil::test::CollectedTable& t) {
  std::vector<std::string> out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    out.push_back(t.text(r, "protocol") + " " + t.text(r, "address") + ":" +
                  std::to_string(t.integer(r, "port")) + " " + t.text(r, "scope") + " " + t.text(r, "state") +
                  " " + (t.is_null(r, "pid") ? "-" : std::to_string(t.integer(r, "pid"))) + " " +
                  (t.is_null(r, "comm") ? "-" : t.text(r, "comm")) + " " + t.text(r, "owner_status"));
  }
  return out;
}

const std::string kTcpHeader =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

}  // namespace

TEST_CASE("decode_proc_net_address reads the kernel's words in either byte order", "[sockets]") {
  struct Case {
    std::string hex;
    int family;
    ByteOrder order;
    std::optional<std::string> address;
  };
  const std::vector<Case> cases{
      {"0100007F", 4, ByteOrder::little, "127.0.0.1"},
      {"7F000001", 4, ByteOrder::big, "127.0.0.1"},
      {"00000000", 4, ByteOrder::little, "0.0.0.0"},
      {"0500000A", 4, ByteOrder::little, "10.0.0.5"},
      {"020200C0", 4, ByteOrder::little, "192.0.2.2"},
      {"00000000000000000000000001000000", 6, ByteOrder::little, "::1"},
      {"00000000000000000000000000000001", 6, ByteOrder::big, "::1"},
      {"00000000000000000000000000000000", 6, ByteOrder::little, "::"},
      {"0000000000000000FFFF00000100007F", 6, ByteOrder::little, "::ffff:127.0.0.1"},
      {"B80D0120000000000000000001000000", 6, ByteOrder::little, "2001:db8::1"},
      {"20010DB8000000000000000000000001", 6, ByteOrder::big, "2001:db8::1"},
      {"0000FE80000000000000000001000000", 6, ByteOrder::little, "80fe::1"},
      {"000080FE000000000000000001000000", 6, ByteOrder::little, "fe80::1"},
      {"0100007", 4, ByteOrder::little, std::nullopt},
      {"0100007G", 4, ByteOrder::little, std::nullopt},
      {"0100007F", 6, ByteOrder::little, std::nullopt},
      {"", 4, ByteOrder::little, std::nullopt},
  };
  for (const auto& c : cases) {
    INFO(c.hex << " family " << c.family);
    CHECK(decode_proc_net_address(c.hex, c.family, c.order) == c.address);
  }
}

TEST_CASE("address_scope, is_listening and socket_link_inode", "[sockets]") {
  const std::vector<std::pair<std::string, std::string>> scopes{
      {"0.0.0.0", "any"},        {"::", "any"},
      {"127.0.0.1", "loopback"}, {"127.0.0.53", "loopback"},
      {"::1", "loopback"},       {"::ffff:127.0.0.1", "loopback"},
      {"10.0.0.5", "address"},   {"::ffff:10.0.0.5", "address"},
      {"fe80::1", "address"},    {"1.127.0.0", "address"},
  };
  for (const auto& [address, scope] : scopes) {
    INFO(address);
    CHECK(address_scope(address) == scope);
  }
  CHECK(is_listening("tcp", 0x0A));
  CHECK(is_listening("tcp6", 0x0A));
  CHECK_FALSE(is_listening("tcp", 0x07));
  CHECK_FALSE(is_listening("tcp", 0x01));
  CHECK(is_listening("udp", 0x07));
  CHECK(is_listening("raw6", 0x07));
  CHECK_FALSE(is_listening("udp", 0x01));
  CHECK(socket_link_inode("socket:[12345]") == 12345u);
  CHECK_FALSE(socket_link_inode("socket:[]"));
  CHECK_FALSE(socket_link_inode("socket:[12a]"));
  CHECK_FALSE(socket_link_inode("pipe:[12345]"));
  CHECK_FALSE(socket_link_inode("/dev/null"));
  CHECK_FALSE(socket_link_inode("socket:[12345"));
}

TEST_CASE("parse_proc_net reads every entry and reports the lines it cannot", "[sockets]") {
  const std::string text =
      kTcpHeader +
      "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 "
      "000000006fb359d2 100 0 0 10 0                      \n"
      "   1: 020200C0:A3D0 507100CB:0050 06 00000000:00000000 03:00000DAA 00000000     0        0 0 3 "
      "00000000baf802ba\n"
      "   2: 0100007F:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 2101\r\n"
      "   3: garbage\n"
      "   4: 0100007F:19 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 2101\n"
      "\n"
      "\xff\xfe\x00\n";
  auto t = parse_proc_net(text, 4, ByteOrder::little);
  REQUIRE(t.sockets.size() == 3);
  CHECK(t.sockets[0].address == "0.0.0.0");
  CHECK(t.sockets[0].port == 22);
  CHECK(t.sockets[0].state == 0x0A);
  CHECK(t.sockets[0].inode == 2001);
  CHECK(t.sockets[0].line == 2);
  CHECK(t.sockets[1].address == "192.0.2.2");
  CHECK(t.sockets[1].port == 0xA3D0);
  CHECK(t.sockets[1].state == 0x06);
  CHECK(t.sockets[2].address == "127.0.0.1");
  CHECK(t.sockets[2].uid == 101);
  CHECK(t.sockets[2].line == 4);
  CHECK(t.bad_lines == std::vector<int>{5, 6, 8});
  CHECK(parse_proc_net("", 4).sockets.empty());
  CHECK(parse_proc_net(kTcpHeader, 4).bad_lines.empty());
}

TEST_CASE("listening_sockets over a Debian 12 /proc tree", "[sockets]") {
  if (kNativeByteOrder != ByteOrder::little) {
    WARN("the fixture's /proc/net was written by a little-endian kernel");
    return;
  }
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("proc-debian12"), "listening_sockets");
  CHECK(summary(t) == std::vector<std::string>{
                          "tcp 0.0.0.0:22 any LISTEN 1 systemd process",
                          "tcp 0.0.0.0:22 any LISTEN 512 sshd process",
                          "tcp 127.0.0.1:25 loopback LISTEN 1100 exim4 process",
                          "tcp 10.0.0.5:5432 address LISTEN 1200 postgres process",
                          "tcp 10.0.0.5:5432 address LISTEN 1201 postgres process",
                          "tcp6 :::22 any LISTEN 1 systemd process",
                          "tcp6 :::22 any LISTEN 512 sshd process",
                          "tcp6 ::1:631 loopback LISTEN - - none",
                          "tcp6 ::ffff:127.0.0.1:8080 loopback LISTEN - - none",
                          "udp 127.0.0.1:323 loopback UNCONN 640 chronyd process",
                          "udp 0.0.0.0:51820 any UNCONN - - none",
                          "udp6 ::1:323 loopback UNCONN 640 chronyd process",
                      });
  std::size_t exim = t.rows.size();
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    if (t.integer(r, "inode") == 2101) exim = r;
  }
  REQUIRE(exim < t.rows.size());
  CHECK(t.text(exim, "comm") == "exim4");
  CHECK(t.integer(exim, "uid") == 101);
  CHECK(t.text(exim, "source") == "/proc/net/tcp:3");
  CHECK(t.warnings.empty());
}

TEST_CASE("listening_sockets: unreadable descriptors, no procfs, hostile files", "[sockets]") {
  if (kNativeByteOrder != ByteOrder::little) {
    WARN("the entries below are in a little-endian kernel's format");
    return;
  }
  vigil::test::TempDir dir;
  dir.mkdir("etc");
  auto none = vigil::test::collect_table(dir.path(), "listening_sockets");
  REQUIRE_FALSE(none.status.ok());
  CHECK(none.status.error().message.find("/proc/net/tcp absent") != std::string::npos);

  const std::string line =
      "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 "
      "0000000000000000 100 0 0 10 0\n";
  dir.write("proc/net/tcp", kTcpHeader + line + "garbage line\n");
  auto no_udp = vigil::test::collect_table(dir.path(), "listening_sockets");
  REQUIRE_FALSE(no_udp.status.ok());  // udp missing: half the facts would be unknown

  dir.write("proc/net/udp", "");
  dir.mkdir("proc/net/tcp6");  // a directory where a file should be
  auto wrong = vigil::test::collect_table(dir.path(), "listening_sockets");
  REQUIRE_FALSE(wrong.status.ok());

  ::rmdir((dir.path() + "/proc/net/tcp6").c_str());
  // pid 20 holds the socket behind a readable fd; pid 30's fd is not a directory.
  dir.symlink("proc/20/fd/3", "socket:[2001]");
  dir.write("proc/20/stat", "20 (sshd) S 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n");
  dir.write("proc/30/fd", "not a directory");
  auto t = vigil::test::collect_ok(dir.path(), "listening_sockets");
  CHECK(summary(t) == std::vector<std::string>{"tcp 0.0.0.0:22 any LISTEN 20 sshd process"});
  CHECK(t.warned("/proc/net/tcp:3", "not a socket entry"));
  CHECK(t.warned("/proc/<pid>/fd", "1 of 2 processes could not be read"));

  ::unlink((dir.path() + "/proc/20/fd/3").c_str());
  auto unknown = vigil::test::collect_ok(dir.path(), "listening_sockets");
  CHECK(summary(unknown) == std::vector<std::string>{"tcp 0.0.0.0:22 any LISTEN - - unknown"});
}
