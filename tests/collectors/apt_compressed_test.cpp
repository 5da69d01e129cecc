// Tests of apt_updates on lists kept compressed (Acquire::GzipIndexes): host
// trees made at test time, with lists compressed by the libraries themselves.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "compress_support.hpp"
#include "decompress.hpp"
#include "test_support.hpp"

using vigil::Compression;
using vigil::test::collect_ok;
using vigil::test::compress;

namespace {

const std::string kLists = "/var/lib/apt/lists/";
const std::string kMain = "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages";
const std::string kSecurity =
    "var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages";

struct Format {
  Compression compression;
  const char* extension;
};
const std::vector<Format> kReadable{
    {Compression::lz4, ".lz4"}, {Compression::gzip, ".gz"}, {Compression::xz, ".xz"}};

// A Debian 12 container: dpkg's database, and the main and security Release files.
void debian_host(const vigil::test::TempDir& dir) {
  dir.write(
      "var/lib/dpkg/status",
      "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21.22\n\n"
      "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n\n"
      "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u1\n");
  dir.write("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_Release",
            "Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: bookworm\n");
  dir.write("var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_Release",
            "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nCodename: bookworm-security\n");
}

std::string paragraph(const char* name, const char* version) {
  return std::string("Package: ") + name + "\nVersion: " + version +
         "\nArchitecture: amd64\nDescription: a package\n\n";
}

}  // namespace

TEST_CASE("apt_updates reads a compressed security list", "[apt]") {
  for (const auto& f : kReadable) {
    INFO(f.extension);
    vigil::test::TempDir dir;
    debian_host(dir);
    dir.write(
        kMain + f.extension,
        compress(paragraph("bash", "5.2.15-2+b2") + paragraph("openssl", "3.0.11-1~deb12u2"), f.compression));
    dir.write(kSecurity + f.extension, compress(paragraph("openssl", "3.0.15-1~deb12u1"), f.compression));
    auto t = collect_ok(dir.path(), "apt_updates");
    CHECK(t.warnings.empty());
    REQUIRE(t.rows.size() == 2);
    CHECK(t.text(0, "name") == "bash");
    CHECK(t.text(0, "candidate_list") == "/" + kMain + f.extension);
    CHECK(t.integer(0, "pending") == 0);
    CHECK(t.text(1, "name") == "openssl");
    CHECK(t.text(1, "candidate_version") == "3.0.15-1~deb12u1");
    CHECK(t.text(1, "candidate_list") == "/" + kSecurity + f.extension);
    CHECK(t.integer(1, "security") == 1);
    CHECK(t.integer(1, "pending") == 1);
  }
}

TEST_CASE("apt_updates reads one copy of each list, the uncompressed one first", "[apt]") {
  vigil::test::TempDir dir;
  debian_host(dir);
  // Different versions in each copy show which one was read.
  dir.write(kMain, paragraph("bash", "5.2.15-3"));
  dir.write(kMain + ".lz4", compress(paragraph("bash", "5.2.15-9"), Compression::lz4));
  dir.write(kSecurity + ".xz", compress(paragraph("openssl", "3.0.15-1~deb12u3"), Compression::xz));
  dir.write(kSecurity + ".gz", compress(paragraph("openssl", "3.0.15-1~deb12u2"), Compression::gzip));
  dir.write(kSecurity + ".bz2", "not read: a readable copy exists");
  auto t = collect_ok(dir.path(), "apt_updates");
  CHECK(t.warnings.empty());
  REQUIRE(t.rows.size() == 2);
  CHECK(t.text(0, "candidate_version") == "5.2.15-3");
  CHECK(t.text(0, "candidate_list") == "/" + kMain);
  // Without an uncompressed copy: lz4, then gzip, then xz.
  CHECK(t.text(1, "candidate_version") == "3.0.15-1~deb12u2");
  CHECK(t.text(1, "candidate_list") == "/" + kSecurity + ".gz");
}

TEST_CASE("apt_updates is an error naming a list it cannot read", "[apt]") {
  // An unread list may hold a pending security update: no row of the table can be trusted.
  const std::string security = paragraph("openssl", "3.0.15-1~deb12u1");
  const std::string lz4 = compress(security, Compression::lz4);
  struct Case {
    const char* what;
    std::string extension;
    std::string content;
    std::string reason;
  };
  const std::vector<Case> cases{
      {"truncated lz4", ".lz4", lz4.substr(0, lz4.size() / 2), "lz4 data is truncated"},
      {"lz4 frame cut before its end mark", ".lz4", lz4.substr(0, lz4.size() - 1), "lz4 data is truncated"},
      {"not lz4 at all", ".lz4", std::string("\x04\x22\x4d\x18not really lz4\n"), "lz4 data is corrupt"},
      {"garbage named .gz", ".gz", security, "gzip data is corrupt"},
      {"gzip with a flipped byte", ".gz",
       [&] {
         std::string gz = compress(security, Compression::gzip);
         gz[gz.size() - 6] = static_cast<char>(gz[gz.size() - 6] ^ 1);  // in the CRC32
         return gz;
       }(),
       "gzip data is corrupt"},
      {"empty xz", ".xz", "", "xz data is truncated"},
      {"bzip2 only", ".bz2", "BZh91AY&SY", "bzip2-compressed list, which Vigil does not read"},
      {"zstd only", ".zst", "\x28\xb5\x2f\xfd", "zstd-compressed list, which Vigil does not read"},
      {"lzma only", ".lzma", "]\x00\x00\x80\x00", "lzma-compressed list, which Vigil does not read"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    vigil::test::TempDir dir;
    debian_host(dir);
    dir.write(kMain, paragraph("bash", "5.2.15-3"));
    dir.write(kSecurity + c.extension, c.content);
    auto t = vigil::test::collect_table(dir.path(), "apt_updates");
    REQUIRE_FALSE(t.status.ok());
    // The message names the file on the scanning machine and the reason.
    CHECK_THAT(t.status.error().message,
               Catch::Contains("a package list cannot be read") &&
                   Catch::Contains(dir.path() + "/" + kSecurity + c.extension + ": " + c.reason));
    CHECK(t.rows.empty());
  }
}

TEST_CASE("apt_updates names every list it cannot read", "[apt]") {
  vigil::test::TempDir dir;
  debian_host(dir);
  dir.write(kMain + ".gz", "not gzip");
  dir.mkdir(kSecurity);  // a directory where the list should be
  const std::string updates =
      "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages";
  REQUIRE(::mkfifo((dir.path() + "/" + updates).c_str(), 0644) == 0);  // must not hang the scan
  auto t = vigil::test::collect_table(dir.path(), "apt_updates");
  REQUIRE_FALSE(t.status.ok());
  const std::string& message = t.status.error().message;
  CHECK_THAT(message,
             Catch::Contains("3 package lists cannot be read or classified, so pending updates are unknown"));
  CHECK_THAT(message, Catch::Contains(dir.path() + "/" + kMain + ".gz: gzip data is corrupt"));
  CHECK_THAT(message, Catch::Contains(dir.path() + "/" + kSecurity + ": not a regular file (directory)"));
  CHECK_THAT(message, Catch::Contains(dir.path() + "/" + updates + ": not a regular file (fifo)"));
}

TEST_CASE("apt_updates keeps odd paragraphs of a readable list as warnings", "[apt]") {
  for (const auto& f : kReadable) {
    INFO(f.extension);
    vigil::test::TempDir dir;
    debian_host(dir);
    dir.write(kMain + f.extension,
              compress(paragraph("bash", "5.2.15-3") + "Package: noversion\nArchitecture: amd64\n\n" +
                           "Package: huge\nVersion: 1\nDescription: x\n" + std::string(2u << 20, 'x') +
                           "\n\n" + paragraph("openssl", "3.0.15-1~deb12u1"),
                       f.compression));
    auto t = collect_ok(dir.path(), "apt_updates");
    const std::string where = "/" + kMain + f.extension;
    CHECK(t.warned(where + ":6", "paragraph without Package or Version; skipped"));
    CHECK(t.warned(where + ":9", "paragraph of more than 1048576 bytes; skipped"));
    CHECK(t.warnings.size() == 2);
    REQUIRE(t.rows.size() == 2);  // the paragraph after the huge one still counts
    CHECK(t.text(1, "name") == "openssl");
    CHECK(t.text(1, "candidate_version") == "3.0.15-1~deb12u1");
  }
}
