// Whole-buffer decompression of the formats hosts keep their data in (apt's
// lists under Acquire::GzipIndexes: .lz4, .gz, .xz), through the real
// libraries (liblz4, zlib, liblzma), with a cap on what comes out: a
// decompression bomb ends as Errc::too_large, never as exhausted memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

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

// The decompressed bytes of data, at most max_out of them. Errors:
//  - Errc::too_large: the output would exceed max_out, or an xz stream needs
//    more decoder memory than kXzMemoryLimit;
//  - Errc::parse: not data of that format, corrupt (a failed checksum
//    included), or truncated; the message names the format and the problem;
//  - Errc::internal: the library could not allocate its state.
// Integrity checks the format carries (gzip CRC32, xz check, lz4 content and
// block checksums when the frame has them) are verified.
[[nodiscard]] Result<std::string> decompress(std::string_view data, Compression c, std::size_t max_out);

}  // namespace vigil
