// Tests of lib/decompress: round trips through the libraries' own encoders,
// truncated and corrupt input, and decompression bombs against the cap.
#include "decompress.hpp"

#include <lz4frame.h>
#include <lzma.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "compress_support.hpp"

using vigil::Compression;
using vigil::decompress;
using vigil::Errc;
using vigil::test::compress;

namespace {

const std::vector<Compression> kFormats{Compression::gzip, Compression::xz, Compression::lz4};

// Text that compresses like a Packages list, and bytes that do not compress.
std::string packages_like(std::size_t paragraphs) {
  std::string out;
  for (std::size_t i = 0; i < paragraphs; ++i) {
    out += "Package: pkg" + std::to_string(i) + "\nVersion: 1." + std::to_string(i % 97) +
           "-1\nArchitecture: amd64\nDescription: package number " + std::to_string(i * 7919) + "\n\n";
  }
  return out;
}

std::string noise(std::size_t n) {
  std::string out(n, '\0');
  std::uint32_t x = 2463534242u;  // xorshift32: deterministic, incompressible enough
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xffu);
  }
  return out;
}

}  // namespace

TEST_CASE("decompress round-trips each format", "[decompress]") {
  struct Input {
    const char* what;
    std::string data;
  };
  const std::vector<Input> inputs{
      {"empty", ""},
      {"one line", "Package: bash\n"},
      {"a Packages-like list of 2 MiB", packages_like(20000)},
      {"incompressible bytes", noise(300000)},
  };
  for (Compression c : kFormats) {
    for (const auto& in : inputs) {
      INFO(vigil::compression_name(c) << ": " << in.what);
      const std::string packed = compress(in.data, c);
      auto out = decompress(packed, c, in.data.size() + 10);
      REQUIRE(out.ok());
      CHECK(*out == in.data);
    }
  }
  auto plain = decompress("as it is", Compression::none, 8);
  REQUIRE(plain.ok());
  CHECK(*plain == "as it is");
  CHECK(decompress("as it is", Compression::none, 7).is(Errc::too_large));
}

TEST_CASE("decompress reads concatenated members, streams and frames", "[decompress]") {
  for (Compression c : kFormats) {
    INFO(vigil::compression_name(c));
    const std::string a = packages_like(100), b = "Package: last\nVersion: 2\n";
    auto out = decompress(compress(a, c) + compress(b, c), c, 1u << 20);
    REQUIRE(out.ok());
    CHECK(*out == a + b);
  }
}

TEST_CASE("decompress stops at the cap, exactly", "[decompress]") {
  const std::string data = packages_like(500);
  for (Compression c : kFormats) {
    INFO(vigil::compression_name(c));
    const std::string packed = compress(data, c);
    auto exact = decompress(packed, c, data.size());
    REQUIRE(exact.ok());
    CHECK(exact->size() == data.size());
    auto over = decompress(packed, c, data.size() - 1);
    REQUIRE(over.is(Errc::too_large));
    CHECK_THAT(over.error().message, Catch::Contains(vigil::compression_name(c)));
  }
}

TEST_CASE("a decompression bomb ends as too_large", "[decompress]") {
  const std::string zeros(8u << 20, '\0');  // 8 MiB of zeros: a few KiB compressed
  for (Compression c : kFormats) {
    INFO(vigil::compression_name(c));
    const std::string bomb = compress(zeros, c);
    CHECK(bomb.size() < 64u * 1024u);
    auto out = decompress(bomb, c, 1u << 20);
    REQUIRE(out.is(Errc::too_large));
    CHECK_THAT(out.error().message, Catch::Contains("more than 1048576 bytes"));
  }
}

TEST_CASE("decompress reports truncated input", "[decompress]") {
  const std::string data = packages_like(2000);
  for (Compression c : kFormats) {
    const std::string packed = compress(data, c);
    for (std::size_t keep : {std::size_t{0}, std::size_t{1}, packed.size() / 2, packed.size() - 1}) {
      INFO(vigil::compression_name(c) << ": first " << keep << " of " << packed.size() << " bytes");
      auto out = decompress(std::string_view(packed).substr(0, keep), c, 1u << 24);
      REQUIRE(out.is(Errc::parse));
      CHECK_THAT(out.error().message,
                 Catch::Contains(vigil::compression_name(c)) && Catch::Contains("truncated"));
    }
  }
}

TEST_CASE("decompress refuses garbage and corrupt data", "[decompress]") {
  const std::string data = packages_like(2000);
  for (Compression c : kFormats) {
    INFO(vigil::compression_name(c));
    auto garbage = decompress("Package: bash\nVersion: 5.2\n", c, 1u << 20);
    REQUIRE(garbage.is(Errc::parse));
    CHECK_THAT(garbage.error().message,
               Catch::Contains(vigil::compression_name(c)) && Catch::Contains("corrupt"));

    std::string packed = compress(data, c);
    packed[packed.size() / 2] = static_cast<char>(packed[packed.size() / 2] ^ 0x5a);  // a checksum catches it
    CHECK(decompress(packed, c, 1u << 24).is(Errc::parse));

    // A complete stream followed by bytes that are not another one.
    CHECK(decompress(compress(data, c) + "trailing junk", c, 1u << 24).is(Errc::parse));
  }
}

TEST_CASE("an xz stream asking for a huge dictionary is refused before it is allocated", "[decompress]") {
  std::string packed = compress(packages_like(10), Compression::xz);
  // The block header follows the 12-byte stream header: its size, flags,
  // then the LZMA2 filter (id 0x21, one property byte: the dictionary size),
  // and a CRC32 of the header. Ask for a 4 GiB dictionary.
  auto* header = reinterpret_cast<std::uint8_t*>(packed.data()) + 12;
  const std::size_t size = (std::size_t{header[0]} + 1) * 4;
  bool patched = false;
  for (std::size_t i = 2; i + 2 < size - 4; ++i) {
    if (header[i] == 0x21 && header[i + 1] == 0x01) {
      header[i + 2] = 40;
      patched = true;
      break;
    }
  }
  REQUIRE(patched);
  const std::uint32_t crc = ::lzma_crc32(header, size - 4, 0);
  for (std::size_t k = 0; k < 4; ++k) header[size - 4 + k] = static_cast<std::uint8_t>(crc >> (8 * k));
  auto out = decompress(packed, Compression::xz, 1u << 20);
  REQUIRE(out.is(Errc::too_large));
  CHECK_THAT(out.error().message, Catch::Contains("decoder memory"));
}

TEST_CASE("decompress reads lz4 frames as apt writes them", "[decompress]") {
  // apt's lists under GzipIndexes: 64 KiB independent blocks, no content
  // size and no checksums, so only the frame structure tells truncation.
  const std::string data = packages_like(20000);
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  std::string packed(::LZ4F_compressFrameBound(data.size(), &prefs), '\0');
  const std::size_t n = ::LZ4F_compressFrame(packed.data(), packed.size(), data.data(), data.size(), &prefs);
  REQUIRE_FALSE(::LZ4F_isError(n));
  packed.resize(n);
  auto out = decompress(packed, Compression::lz4, data.size());
  REQUIRE(out.ok());
  CHECK(*out == data);
  CHECK(decompress(std::string_view(packed).substr(0, n - 4), Compression::lz4, data.size()).is(Errc::parse));
}

namespace {

using vigil::Decompressor;
using vigil::kDecompressChunkSize;
using vigil::Status;

const std::vector<Compression> kAllFormats{Compression::none, Compression::gzip, Compression::xz,
                                           Compression::lz4};

// A streaming run: the input fed in pieces of `step` bytes, every output
// piece checked for size, the output joined.
struct Streamed {
  std::string out;
  Status status;
  std::size_t pieces = 0;
  bool pieces_bounded = true;
};

Streamed stream(std::string_view packed, Compression c, std::size_t max_out, std::size_t step) {
  Streamed s;
  auto d = Decompressor::create(c, max_out);
  REQUIRE(d.ok());
  const vigil::ChunkSink sink = [&](std::string_view piece) {
    ++s.pieces;
    s.pieces_bounded = s.pieces_bounded && !piece.empty() && piece.size() <= kDecompressChunkSize;
    s.out.append(piece);
    return Status::success();
  };
  for (std::size_t at = 0; at < packed.size(); at += step) {
    s.status = d->feed(packed.substr(at, step), sink);
    if (!s.status.ok()) return s;
  }
  s.status = d->finish(sink);
  return s;
}

std::string outcome(const Status& st) {
  return st.ok() ? "ok" : vigil::errc_name(st.error().code);
}

}  // namespace

TEST_CASE("Decompressor gives the same bytes whatever the input's pieces", "[decompress]") {
  const std::string small = packages_like(2000) + noise(5000), large = packages_like(20000) + noise(600000);
  for (Compression c : kAllFormats) {
    for (std::size_t step :
         {std::size_t{1}, std::size_t{7}, std::size_t{4093}, std::size_t{65536}, std::size_t{1} << 30}) {
      const std::string& data = step == 1 ? small : large;  // byte by byte is slow under ASan
      INFO(vigil::compression_name(c) << ", input in pieces of " << step << " bytes");
      const auto got = stream(compress(data, c), c, data.size(), step);
      REQUIRE(outcome(got.status) == "ok");
      CHECK(got.out == data);
      CHECK(got.pieces_bounded);
    }
    // Members, streams and frames one after another, split at their boundary and inside it.
    const std::string a = packages_like(300), b = "Package: last\nVersion: 2\n";
    const std::string both = compress(a, c) + compress(b, c);
    for (std::size_t step : {std::size_t{1}, compress(a, c).size(), std::size_t{13}}) {
      INFO(vigil::compression_name(c) << ": concatenated, pieces of " << step);
      const auto got = stream(both, c, 1u << 20, step);
      REQUIRE(outcome(got.status) == "ok");
      CHECK(got.out == a + b);
    }
  }
}

TEST_CASE("Decompressor holds one buffer against a bomb and stops at the cap", "[decompress]") {
  const std::string zeros(8u << 20, '\0');
  for (Compression c : kAllFormats) {
    INFO(vigil::compression_name(c));
    const std::string bomb = compress(zeros, c);
    auto d = Decompressor::create(c, 1u << 20);
    REQUIRE(d.ok());
    std::size_t seen = 0, largest = 0;
    const vigil::ChunkSink count = [&](std::string_view piece) {
      seen += piece.size();
      largest = std::max(largest, piece.size());
      return Status::success();
    };
    Status st;
    for (std::size_t at = 0; at < bomb.size() && st.ok(); at += 4096)
      st = d->feed(std::string_view(bomb).substr(at, 4096), count);
    if (st.ok()) st = d->finish(count);
    REQUIRE(outcome(st) == "too_large");
    CHECK_THAT(st.error().message, Catch::Contains("more than 1048576 bytes"));
    CHECK(seen <= (1u << 20));
    CHECK(largest <= kDecompressChunkSize);
    // The error is final.
    CHECK(outcome(d->feed("more", count)) == "too_large");
    CHECK(outcome(d->finish(count)) == "too_large");
  }
}

TEST_CASE("Decompressor tells truncation from the end, whatever the pieces", "[decompress]") {
  const std::string data = packages_like(2000);
  for (Compression c : kFormats) {
    const std::string packed = compress(data, c);
    for (std::size_t keep : {std::size_t{0}, std::size_t{1}, packed.size() / 2, packed.size() - 1}) {
      for (std::size_t step : {std::size_t{1}, std::size_t{333}}) {
        INFO(vigil::compression_name(c)
             << ": first " << keep << " of " << packed.size() << " bytes, pieces of " << step);
        const auto got = stream(std::string_view(packed).substr(0, keep), c, 1u << 24, step);
        REQUIRE(outcome(got.status) == "parse");
        CHECK_THAT(got.status.error().message, Catch::Contains("truncated"));
        CHECK(data.substr(0, got.out.size()) == got.out);  // what was seen is a prefix
      }
    }
  }
}

TEST_CASE("Decompressor stops on the sink's error and refuses use after finish", "[decompress]") {
  const std::string data = packages_like(20000);  // 2 MiB: several output pieces
  for (Compression c : kAllFormats) {
    INFO(vigil::compression_name(c));
    auto d = Decompressor::create(c, data.size());
    REQUIRE(d.ok());
    int calls = 0;
    auto st = d->feed(compress(data, c), [&](std::string_view) -> Status {
      ++calls;
      return vigil::make_error(Errc::io, "sink is full");
    });
    REQUIRE(outcome(st) == "io");
    CHECK(st.error().message == "sink is full");
    CHECK(calls == 1);

    auto e = Decompressor::create(c, 100);
    REQUIRE(e.ok());
    const vigil::ChunkSink ignore = [](std::string_view) { return Status::success(); };
    REQUIRE(e->feed(compress("abc", c), ignore).ok());
    REQUIRE(e->feed("", ignore).ok());  // an empty piece, even between streams, changes nothing
    REQUIRE(e->finish(ignore).ok());
    CHECK(outcome(e->feed("x", ignore)) == "internal");
  }
}
