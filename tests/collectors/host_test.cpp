// Host: reads stay inside the root, are capped, and never block on special files.
#include "host.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test_support.hpp"

using vigil::Errc;
using vigil::Status;
using vigil::collectors::FileType;
using vigil::collectors::GlobOptions;
using vigil::collectors::Host;
using vigil::collectors::kReadChunkSize;
using vigil::collectors::ReadOptions;
using vigil::test::TempDir;

namespace {
// Every test of a tree runs twice: resolved by the kernel (openat2
// RESOLVE_IN_ROOT) and by the component walk, which must agree.
Host open_host(const TempDir& d) {
  const auto how =
      GENERATE(vigil::collectors::PathResolution::kernel, vigil::collectors::PathResolution::walk);
  INFO((how == vigil::collectors::PathResolution::kernel ? "kernel resolution" : "walk"));
  auto h = Host::open(d.path(), how);
  REQUIRE(h.ok());
  return std::move(*h);
}

// What read_chunks handed over: the pieces, and its status.
struct Chunks {
  std::vector<std::string> pieces;
  Status status;
  std::string joined() const {
    std::string out;
    for (const auto& p : pieces) out += p;
    return out;
  }
};

Chunks read_chunks(const Host& h, std::string_view path,
                   std::size_t cap = vigil::collectors::kDefaultReadCap) {
  Chunks c;
  c.status = h.read_chunks(path, ReadOptions{.max_bytes = cap}, [&](std::string_view piece) {
    c.pieces.emplace_back(piece);
    return Status::success();
  });
  return c;
}

// The error code of a status, or "ok" (printable by Catch).
std::string outcome(const Status& st) {
  return st.ok() ? "ok" : vigil::errc_name(st.error().code);
}

// Bytes that differ at every offset, so a misplaced or repeated chunk shows.
std::string numbered(std::size_t n) {
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; out.size() < n; ++i) out += std::to_string(i) + ',';
  out.resize(n);
  return out;
}
}  // namespace

TEST_CASE("Host::open refuses a missing or non-directory root", "[host]") {
  TempDir d;
  d.write("/file", "x");
  CHECK(Host::open(d.path() + "/nope").is(Errc::not_found));
  CHECK_FALSE(Host::open(d.path() + "/file").ok());
  CHECK_FALSE(Host::open("").ok());
  auto h = Host::open(d.path() + "///");
  REQUIRE(h.ok());
  CHECK(h->root() == d.path());
}

TEST_CASE("read_file reads regular files and reports absence as not_found", "[host]") {
  TempDir d;
  d.write("/etc/hostname", "web-01\n");
  Host h = open_host(d);
  auto r = h.read_file("/etc/hostname");
  REQUIRE(r.ok());
  CHECK(r->data == "web-01\n");
  CHECK(r->path == "/etc/hostname");
  CHECK(h.read_file("/etc/missing").is(Errc::not_found));
  CHECK(h.read_file("/nodir/missing").is(Errc::not_found));
  CHECK(h.read_file("/etc/hostname/below").is(Errc::not_found));  // ENOTDIR is absence too
  CHECK(h.read_file("relative/path").is(Errc::invalid));
  CHECK(h.read_file(std::string_view("/etc/host\0name", 14)).is(Errc::invalid));
}

TEST_CASE("read_file refuses directories, fifos and files over the cap", "[host]") {
  TempDir d;
  d.mkdir("/etc/dir");
  REQUIRE(::mkfifo((d.path() + "/etc/fifo").c_str(), 0644) == 0);
  d.write("/big", std::string(5000, 'x'));
  Host h = open_host(d);
  CHECK(h.read_file("/etc/dir").is(Errc::not_regular));
  CHECK(h.read_file("/etc/fifo").is(Errc::not_regular));  // would block forever if opened
  ReadOptions small;
  small.max_bytes = 4096;
  auto big = h.read_file("/big", small);
  CHECK(big.is(Errc::too_large));
  CHECK(big.error().message.find("4096") != std::string::npos);
  small.max_bytes = 5000;
  CHECK(h.read_file("/big", small).ok());
}

TEST_CASE("symlinks resolve inside the root, never outside it", "[host]") {
  TempDir d;
  d.write("/etc/real.conf", "inside");
  d.symlink("/etc/abs.conf", "/etc/real.conf");               // absolute: from the root
  d.symlink("/etc/rel.conf", "real.conf");                    // relative: from the link's directory
  d.symlink("/etc/up.conf", "../../../../../etc/real.conf");  // '..' stops at the root
  d.symlink("/etc/escape", "/../../../../../etc/hostname");   // the real /etc/hostname must not be read
  d.symlink("/etc/dirlink", "/etc");
  d.symlink("/loop1", "/loop2");
  d.symlink("/loop2", "/loop1");
  d.symlink("/self", "self");
  Host h = open_host(d);
  for (const char* p : {"/etc/abs.conf", "/etc/rel.conf", "/etc/up.conf", "/etc/dirlink/real.conf",
                        "/etc/dirlink/../etc/real.conf", "/../../etc/real.conf"}) {
    INFO(p);
    auto r = h.read_file(p);
    REQUIRE(r.ok());
    CHECK(r->data == "inside");
  }
  CHECK(h.read_file("/etc/escape").is(Errc::not_found));
  // "." as a link target names the link's directory, so ".." after it climbs
  // from there, exactly as the kernel resolves it.
  d.write("/passwd", "top-level");
  d.symlink("/etc/here", ".");
  auto dot = h.read_file("/etc/here/../passwd");
  REQUIRE(dot.ok());
  CHECK(dot->data == "top-level");
  CHECK(h.read_file("/loop1").is(Errc::loop));
  CHECK(h.read_file("/self").is(Errc::loop));
}

TEST_CASE("stat has lstat semantics unless asked to follow", "[host]") {
  TempDir d;
  d.write("/etc/shadow", "x", 0640);
  d.symlink("/etc/localtime", "/usr/share/zoneinfo/UTC");
  d.write("/usr/share/zoneinfo/UTC", "TZif");
  Host h = open_host(d);
  auto s = h.stat("/etc/shadow");
  REQUIRE(s.ok());
  CHECK(s->type == FileType::regular);
  CHECK(s->mode == 0640);
  CHECK(s->size == 1);
  auto l = h.stat("/etc/localtime");
  REQUIRE(l.ok());
  CHECK(l->type == FileType::symlink);
  auto f = h.stat("/etc/localtime", true);
  REQUIRE(f.ok());
  CHECK(f->type == FileType::regular);
  auto link = h.read_link("/etc/localtime");
  REQUIRE(link.ok());
  CHECK(*link == "/usr/share/zoneinfo/UTC");
  CHECK(h.read_link("/etc/shadow").is(Errc::invalid));
  auto root = h.stat("/");
  REQUIRE(root.ok());
  CHECK(root->type == FileType::directory);
}

TEST_CASE("list_dir is sorted and glob follows glob(3)", "[host]") {
  TempDir d;
  d.write("/etc/ssh/sshd_config.d/20-b.conf", "");
  d.write("/etc/ssh/sshd_config.d/10-a.conf", "");
  d.write("/etc/ssh/sshd_config.d/.hidden.conf", "");
  d.write("/etc/ssh/sshd_config.d/notes.txt", "");
  d.write("/etc/a/x.conf", "");
  d.write("/etc/b/x.conf", "");
  d.write("/etc/c/y.conf", "");
  Host h = open_host(d);
  auto l = h.list_dir("/etc/ssh/sshd_config.d");
  REQUIRE(l.ok());
  REQUIRE(l->size() == 4);
  CHECK((*l)[0].name == ".hidden.conf");
  CHECK((*l)[1].name == "10-a.conf");

  auto g = h.glob("/etc/ssh/sshd_config.d/*.conf");
  REQUIRE(g.ok());
  CHECK(*g ==
        std::vector<std::string>{"/etc/ssh/sshd_config.d/10-a.conf", "/etc/ssh/sshd_config.d/20-b.conf"});
  auto mid = h.glob("/etc/*/x.conf");
  REQUIRE(mid.ok());
  CHECK(*mid == std::vector<std::string>{"/etc/a/x.conf", "/etc/b/x.conf"});
  auto none = h.glob("/etc/nothere/*.conf");
  REQUIRE(none.ok());
  CHECK(none->empty());
  auto plain = h.glob("/etc/a/x.conf");
  REQUIRE(plain.ok());
  CHECK(plain->size() == 1);
  auto missing_plain = h.glob("/etc/a/zzz.conf");
  REQUIRE(missing_plain.ok());
  CHECK(missing_plain->empty());
  auto q = h.glob("/etc/?/[xy].conf");
  REQUIRE(q.ok());
  CHECK(q->size() == 3);
  CHECK(h.glob("relative/*.conf").is(Errc::invalid));
}

TEST_CASE("glob drops dangling symlinks unless asked to keep them, as glob(3) does", "[host]") {
  TempDir d;
  d.write("/etc/cron.d/job", "");
  d.symlink("/etc/cron.d/gone", "/etc/cron.d/nothing-here");
  d.symlink("/etc/cron.d/loop", "loop");
  d.symlink("/etc/cron.d/out", "../../../../../outside/secret");
  Host h = open_host(d);
  auto readers = h.glob("/etc/cron.d/*");
  REQUIRE(readers.ok());
  CHECK(*readers == std::vector<std::string>{"/etc/cron.d/job"});
  auto all = h.glob("/etc/cron.d/*", GlobOptions{.keep_dangling_symlinks = true});
  REQUIRE(all.ok());
  CHECK(*all == std::vector<std::string>{"/etc/cron.d/gone", "/etc/cron.d/job", "/etc/cron.d/loop",
                                         "/etc/cron.d/out"});
  auto plain = h.glob("/etc/cron.d/gone", GlobOptions{.keep_dangling_symlinks = true});
  REQUIRE(plain.ok());
  CHECK(plain->size() == 1);
  CHECK(h.glob(std::string_view("/etc/*\0x", 9)).is(Errc::invalid));
}

TEST_CASE("glob refuses an explosion of matches through directory symlinks", "[host]") {
  TempDir d;
  for (const char* n : {"a", "b", "c"}) d.symlink(std::string("/etc/ssh/d/") + n, ".");
  Host h = open_host(d);
  std::string pattern = "/etc/ssh/d";
  for (int i = 0; i < 16; ++i) pattern += "/*";
  auto g = h.glob(pattern + "/x");
  CHECK(g.is(Errc::too_large));
}

TEST_CASE("a device node inside a foreign root is never opened", "[host]") {
  if (::geteuid() != 0) return;  // mknod needs root; CI runs as root
  TempDir d;
  d.mkdir("/proc/sys/kernel");
  const std::string node = d.path() + "/proc/sys/kernel/hostname";
  REQUIRE(::mknod(node.c_str(), S_IFCHR | 0644, ::makedev(1, 3)) == 0);  // /dev/null's numbers
  Host h = open_host(d);
  CHECK(h.read_file("/proc/sys/kernel/hostname").is(Errc::not_regular));
}

TEST_CASE("the live root reads procfs files but never devices", "[host]") {
  auto h = Host::open("/");
  REQUIRE(h.ok());
  CHECK(h->is_live_root());
  CHECK(h->display_path("/etc/passwd") == "/etc/passwd");
  CHECK(h->read_file("/dev/null").is(Errc::not_regular));
  CHECK(h->read_file("/dev/zero").is(Errc::not_regular));
  auto p = h->read_file("/proc/self/status");  // size 0 in stat, content on read
  REQUIRE(p.ok());
  CHECK(p->data.find("Name:") != std::string::npos);
}

TEST_CASE("read_chunks hands over the whole file in order, in bounded pieces", "[host]") {
  TempDir d;
  struct Case {
    const char* what;
    std::size_t size;
    std::size_t min_pieces;
  };
  const std::vector<Case> cases{
      {"empty", 0, 0},
      {"one byte", 1, 1},
      {"exactly one chunk", kReadChunkSize, 1},
      {"one byte past a chunk", kReadChunkSize + 1, 2},
      {"several chunks and an odd tail", 3 * kReadChunkSize + 12345, 4},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const std::string content = numbered(c.size);
    d.write("/var/lib/list", content);
    Host h = open_host(d);
    auto got = read_chunks(h, "/var/lib/list");
    REQUIRE(got.status.ok());
    CHECK(got.joined() == content);
    CHECK(got.pieces.size() >= c.min_pieces);
    for (const auto& p : got.pieces) {
      CHECK_FALSE(p.empty());
      CHECK(p.size() <= kReadChunkSize);
    }
    // read_file is the same read, whole.
    auto whole = h.read_file("/var/lib/list", ReadOptions{.max_bytes = c.size});
    REQUIRE(whole.ok());
    CHECK(whole->data == content);
  }
}

TEST_CASE("read_chunks stops at the cap and at the sink's error", "[host]") {
  TempDir d;
  const std::string content = numbered(2 * kReadChunkSize + 7);
  d.write("/big", content);
  Host h = open_host(d);
  auto exact = read_chunks(h, "/big", content.size());
  REQUIRE(exact.status.ok());
  CHECK(exact.joined() == content);
  // Over the cap by st_size: refused before anything is read.
  auto over = read_chunks(h, "/big", content.size() - 1);
  REQUIRE_FALSE(over.status.ok());
  CHECK(over.status.error().code == Errc::too_large);
  CHECK_THAT(over.status.error().message, Catch::Contains(std::to_string(content.size() - 1)));
  CHECK(over.pieces.empty());

  // The sink's own error ends the read at once and comes back unchanged.
  int calls = 0;
  auto st = h.read_chunks("/big", ReadOptions{}, [&](std::string_view) -> Status {
    ++calls;
    return vigil::make_error(Errc::parse, "sink gave up");
  });
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == Errc::parse);
  CHECK(st.error().message == "sink gave up");
  CHECK(calls == 1);
}

TEST_CASE("read_chunks counts the bytes read, not the size stat reports", "[host]") {
  // procfs files have st_size 0: only the count of what was read can stop them.
  auto h = Host::open("/");
  REQUIRE(h.ok());
  auto whole = read_chunks(*h, "/proc/self/status");
  REQUIRE(whole.status.ok());
  REQUIRE(whole.joined().size() > 64);
  auto capped = read_chunks(*h, "/proc/self/status", 64);
  REQUIRE_FALSE(capped.status.ok());
  CHECK(capped.status.error().code == Errc::too_large);
  std::size_t seen = 0;
  for (const auto& p : capped.pieces) seen += p.size();
  CHECK(seen <= 64);  // never a silent cut, and never past the cap
}

TEST_CASE("read_chunks refuses what read_file refuses", "[host]") {
  TempDir d;
  d.mkdir("/etc/dir");
  REQUIRE(::mkfifo((d.path() + "/etc/fifo").c_str(), 0644) == 0);
  d.write("/etc/real.conf", "inside");
  d.symlink("/etc/abs.conf", "/etc/real.conf");
  d.symlink("/etc/escape", "/../../../../../etc/hostname");  // the real /etc/hostname must not be read
  d.symlink("/etc/loop", "/etc/loop");
  Host h = open_host(d);
  CHECK(outcome(read_chunks(h, "/etc/missing").status) == "not_found");
  CHECK(outcome(read_chunks(h, "/etc/dir").status) == "not_regular");
  CHECK(outcome(read_chunks(h, "/etc/fifo").status) == "not_regular");  // would block if opened
  CHECK(outcome(read_chunks(h, "/etc/escape").status) == "not_found");
  CHECK(outcome(read_chunks(h, "/etc/loop").status) == "loop");
  CHECK(outcome(read_chunks(h, "relative").status) == "invalid");
  auto inside = read_chunks(h, "/etc/abs.conf");
  REQUIRE(inside.status.ok());
  CHECK(inside.joined() == "inside");
  auto live = Host::open("/");
  REQUIRE(live.ok());
  CHECK(outcome(read_chunks(*live, "/dev/zero").status) == "not_regular");  // never endless
  if (::geteuid() == 0) {
    d.mkdir("/dev");
    REQUIRE(::mknod((d.path() + "/dev/null").c_str(), S_IFCHR | 0644, ::makedev(1, 3)) == 0);
    CHECK(outcome(read_chunks(h, "/dev/null").status) == "not_regular");
  }
}
