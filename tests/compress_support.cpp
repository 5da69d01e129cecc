#include "compress_support.hpp"

#define ZLIB_CONST
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>

#include <cstdint>
#include <memory>
#include <stdexcept>

namespace vigil::test {

namespace {

struct DeflateEnd {
  void operator()(z_stream* zs) const noexcept { ::deflateEnd(zs); }
};

std::string gzip(std::string_view data) {
  z_stream zs{};
  if (::deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  const std::unique_ptr<z_stream, DeflateEnd> guard(&zs);
  std::string out(::deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<const Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (::deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(zs.total_out);
  return out;
}

std::string xz(std::string_view data) {
  std::string out(::lzma_stream_buffer_bound(data.size()), '\0');
  std::size_t pos = 0;
  if (::lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, nullptr,
                                reinterpret_cast<const std::uint8_t*>(data.data()), data.size(),
                                reinterpret_cast<std::uint8_t*>(out.data()), &pos, out.size()) != LZMA_OK)
    throw std::runtime_error("lzma_easy_buffer_encode failed");
  out.resize(pos);
  return out;
}

std::string lz4(std::string_view data) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  std::string out(::LZ4F_compressFrameBound(data.size(), &prefs), '\0');
  const std::size_t n = ::LZ4F_compressFrame(out.data(), out.size(), data.data(), data.size(), &prefs);
  if (::LZ4F_isError(n))
    throw std::runtime_error(std::string("LZ4F_compressFrame: ") + ::LZ4F_getErrorName(n));
  out.resize(n);
  return out;
}

}  // namespace

std::string compress(std::string_view data, Compression c) {
  switch (c) {
    case Compression::none:
      return std::string(data);
    case Compression::gzip:
      return gzip(data);
    case Compression::xz:
      return xz(data);
    case Compression::lz4:
      return lz4(data);
  }
  throw std::invalid_argument("unknown compression");
}

}  // namespace vigil::test
