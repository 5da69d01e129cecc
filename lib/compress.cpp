// gzip compression with zlib (see compress.hpp).
#include "compress.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <memory>

namespace vigil {

namespace {

struct DeflateEnd {
  void operator()(z_stream* s) const noexcept { deflateEnd(s); }
};

}  // namespace

Result<std::string> gzip_compress(std::string_view data, int level) {
  if (level < 1 || level > 9)
    return make_error(Errc::invalid, "gzip level must be 1 to 9, not " + std::to_string(level));
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return make_error(Errc::internal, "gzip: zlib could not set up a deflate stream");
  std::unique_ptr<z_stream, DeflateEnd> guard(&zs);
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(std::min<std::size_t>(data.size(), 1u << 30))) + 64);
  std::size_t used = 0;
  std::size_t offset = 0;
  int rc = Z_OK;
  do {
    // zlib counts in uInt: feed at most 1 GiB at a time.
    const std::size_t piece = std::min<std::size_t>(data.size() - offset, 1u << 30);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + offset));
    zs.avail_in = static_cast<uInt>(piece);
    offset += piece;
    const int flush = offset == data.size() ? Z_FINISH : Z_NO_FLUSH;
    do {
      if (used == out.size()) out.resize(out.size() * 2);
      const std::size_t room = std::min<std::size_t>(out.size() - used, std::numeric_limits<uInt>::max());
      zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
      zs.avail_out = static_cast<uInt>(room);
      rc = deflate(&zs, flush);
      if (rc == Z_STREAM_ERROR) return make_error(Errc::internal, "gzip: deflate failed");
      used += room - zs.avail_out;
    } while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  } while (offset < data.size());
  out.resize(used);
  return out;
}

}  // namespace vigil
