// Decompression of the formats hosts keep their data in (apt's lists under
// Acquire::GzipIndexes: .lz4, .gz, .xz), through the real libraries
// (liblz4, zlib, liblzma), with a cap on what comes out: a decompression bomb
// ends as Errc::too_large, never as exhausted memory. Decompressor streams
// (input in pieces, output in pieces of a fixed buffer); decompress() is the
// whole-buffer form, built on it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "chunk_sink.hpp"
#include "result.hpp"

namespace vigil {

enum class Compression {
  none,  // copied as it is (still capped)
  gzip,  // RFC 1952 gzip wrapper around deflate (zlib); concatenated members are read as gzip(1) does
  xz,    // .xz container (liblzma); concatenated streams and stream padding are read as xz(1) does
  lz4,   // LZ4 frame format (liblz4), not the legacy format; concatenated frames are read
};

// "none", "gzip", "xz", "lz4".
const char* compression_name(Compression c) noexcept;

// The xz decoder's memory grows with the dictionary size a stream's header
// asks for (up to 4 GiB); xz -9 needs 65 MiB, so a stream asking for more
// than this is refused as Errc::too_large.
inline constexpr std::size_t kXzMemoryLimit = 128u * 1024u * 1024u;

// The largest piece of output a Decompressor hands to its sink at once.
inline constexpr std::size_t kDecompressChunkSize = 256u * 1024u;

// Errors, of both forms:
//  - Errc::too_large: the output would exceed max_out, or an xz stream needs
//    more decoder memory than kXzMemoryLimit;
//  - Errc::parse: not data of that format, corrupt (a failed checksum
//    included), or truncated; the message names the format and the problem;
//  - Errc::internal: the library could not allocate its state.
// Integrity checks the format carries (gzip CRC32, xz check, lz4 content and
// block checksums when the frame has them) are verified.
class Decompressor {
 public:
  // Errc::internal when the library cannot set up its state.
  [[nodiscard]] static Result<Decompressor> create(Compression c, std::size_t max_out);

  Decompressor(Decompressor&&) noexcept;
  Decompressor& operator=(Decompressor&&) noexcept;
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
  ~Decompressor();

  // Decodes the next piece of the input (any size, empty included) and
  // hands what it decodes to sink, in order, in non-empty pieces of at most
  // kDecompressChunkSize bytes. Output past max_out is Errc::too_large before
  // it reaches the sink. A sink's error stops decoding and is returned as is.
  [[nodiscard]] Status feed(std::string_view input, const ChunkSink& sink);
  // The input has ended: hands over what the library still holds and checks
  // that the data ended where a stream (member, frame) does; Errc::parse
  // "truncated" otherwise, empty input included.
  [[nodiscard]] Status finish(const ChunkSink& sink);

  // After an error every later call returns that error again: what the sink
  // saw is then a prefix of the output and must be discarded. A moved-from
  // Decompressor may only be destroyed or assigned to.

  struct Impl;  // one per format, in decompress.cpp

 private:
  explicit Decompressor(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

// The decompressed bytes of data, at most max_out of them; the errors above.
[[nodiscard]] Result<std::string> decompress(std::string_view data, Compression c, std::size_t max_out);

}  // namespace vigil
