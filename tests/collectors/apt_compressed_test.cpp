// Tests of apt_updates on lists kept compressed (Acquire::GzipIndexes): host
// trees made at test time, with lists compressed by the libraries themselves.
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

TEST_CASE("apt_updates warns about a list it cannot read and counts the others", "[apt]") {
  const std::string security = paragraph("openssl", "3.0.15-1~deb12u1");
  const std::string lz4 = compress(security, Compression::lz4);
  struct Case {
    const char* what;
    std::string extension;
    std::string content;
    std::string warning;
  };
  const std::vector<Case> cases{
      {"truncated lz4", ".lz4", lz4.substr(0, lz4.size() / 2), "lz4 data is truncated"},
      {"lz4 frame cut before its end mark", ".lz4", lz4.substr(0, lz4.size() - 1), "lz4 data is truncated"},
      {"garbage named .gz", ".gz", security, "gzip data is corrupt"},
      {"gzip with a flipped byte", ".gz",
       [&] {
         std::string gz = compress(security, Compression::gzip);
         gz[gz.size() - 6] = static_cast<char>(gz[gz.size() - 6] ^ 1);  // in the CRC32
         return gz;
       }(),
       "gzip data is corrupt"},
      {"empty xz", ".xz", "", "xz data is truncated"},
      {"bzip2", ".bz2", "BZh91AY&SY", "bzip2-compressed list not read"},
      {"zstd", ".zst", "\x28\xb5\x2f\xfd", "zstd-compressed list not read"},
      {"lzma", ".lzma", "]\x00\x00\x80\x00", "lzma-compressed list not read"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    vigil::test::TempDir dir;
    debian_host(dir);
    dir.write(kMain, paragraph("bash", "5.2.15-3"));
    dir.write(kSecurity + c.extension, c.content);
    auto t = collect_ok(dir.path(), "apt_updates");
    const std::string where = "/" + kSecurity + c.extension;
    CHECK(t.warned(where, c.warning));
    // A decoding error names the file in its message too, as the Host's read errors do.
    if (c.warning.find("not read") == std::string::npos) CHECK(t.warned(where, where + ": " + c.warning));
    CHECK(t.warnings.size() == 1);
    // The list that could be read still counts; openssl has no candidate.
    REQUIRE(t.rows.size() == 1);
    CHECK(t.text(0, "name") == "bash");
    CHECK(t.text(0, "candidate_version") == "5.2.15-3");
  }
}
