// Decompression through liblz4, zlib and liblzma into one growing buffer that
// never goes past the caller's cap. Each library's state is owned by a
// unique_ptr whose deleter is the library's own free function.
#include "decompress.hpp"

#define ZLIB_CONST  // next_in as a pointer to const
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>

namespace vigil {

namespace {

constexpr std::size_t kMinInitialOut = 64u * 1024u;

// The output buffer: grown geometrically up to one byte past the cap, so that
// a stream of exactly max_out bytes is told from one that goes on (a bomb).
// The first allocation is the caller's guess of the output size (capped):
// a good guess means one allocation and no copy of a 50 MiB list.
class Sink {
 public:
  Sink(std::size_t guess, std::size_t max_out)
      : max_out_(max_out),
        limit_(max_out == std::numeric_limits<std::size_t>::max() ? max_out : max_out + 1),
        initial_(std::clamp(guess, std::min(kMinInitialOut, limit_), limit_)) {}

  // Room to write into; never empty while within the cap (size() <= max_out).
  std::span<char> space() {
    if (size_ == out_.size() && out_.size() < limit_) {
      const std::size_t grown =
          out_.empty() ? initial_ : (out_.size() > limit_ / 2 ? limit_ : out_.size() * 2);
      out_.resize(grown);
    }
    return {out_.data() + size_, out_.size() - size_};
  }
  void commit(std::size_t n) noexcept { size_ += n; }
  bool over() const noexcept { return size_ > max_out_; }
  Error too_large(const char* format) const {
    return make_error(Errc::too_large, std::string(format) + " data decompresses to more than " +
                                           std::to_string(max_out_) + " bytes; not read");
  }
  std::string take() {
    out_.resize(size_);
    return std::move(out_);
  }

 private:
  std::string out_;
  std::size_t size_ = 0;
  std::size_t max_out_;
  std::size_t limit_;
  std::size_t initial_;
};

Error truncated(const char* format) {
  return make_error(Errc::parse, std::string(format) + " data is truncated (it ends inside the stream)");
}

Error corrupt(const char* format, std::string_view detail) {
  return make_error(Errc::parse, std::string(format) + " data is corrupt: " + std::string(detail));
}

// input_size * ratio, saturating.
std::size_t scaled(std::size_t input_size, std::size_t ratio) noexcept {
  return input_size > std::numeric_limits<std::size_t>::max() / ratio
             ? std::numeric_limits<std::size_t>::max()
             : input_size * ratio;
}

// zlib counts in uInt; feed and drain in pieces a uInt can hold.
uInt clamp_uint(std::size_t n) noexcept {
  return static_cast<uInt>(std::min<std::size_t>(n, UINT_MAX));
}

struct InflateEnd {
  void operator()(z_stream* zs) const noexcept { ::inflateEnd(zs); }
};

Result<std::string> inflate_gzip(std::string_view data, std::size_t max_out) {
  constexpr const char* kName = "gzip";
  z_stream zs{};
  if (::inflateInit2(&zs, 15 + 16) != Z_OK) return make_error(Errc::internal, "gzip: cannot set up zlib");
  const std::unique_ptr<z_stream, InflateEnd> guard(&zs);
  // The last 4 bytes of a gzip member are its size mod 2^32 (RFC 1952
  // ISIZE): exact for one member, and believed only up to deflate's maximum
  // ratio (1032:1), so a lying trailer cannot make a small file allocate the cap.
  std::size_t guess = scaled(data.size(), 6);  // Packages lists shrink about 5x
  if (data.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(data.data()) + data.size() - 4;
    const std::size_t isize =
        std::size_t{t[0]} | std::size_t{t[1]} << 8 | std::size_t{t[2]} << 16 | std::size_t{t[3]} << 24;
    // One byte more, so the call that reads the trailer still has room and
    // the buffer need not double for it.
    if (isize <= scaled(data.size(), 1032)) guess = isize + 1;
  }
  Sink sink(guess, max_out);
  const auto* in = reinterpret_cast<const Bytef*>(data.data());
  std::size_t in_left = data.size();
  for (;;) {
    const auto space = sink.space();
    const uInt give_in = clamp_uint(in_left), give_out = clamp_uint(space.size());
    zs.next_in = in;
    zs.avail_in = give_in;
    zs.next_out = reinterpret_cast<Bytef*>(space.data());
    zs.avail_out = give_out;
    const int rc = ::inflate(&zs, Z_NO_FLUSH);
    const bool progress = zs.avail_in != give_in || zs.avail_out != give_out;
    in += give_in - zs.avail_in;
    in_left -= give_in - zs.avail_in;
    sink.commit(give_out - zs.avail_out);
    if (sink.over()) return sink.too_large(kName);
    switch (rc) {
      case Z_OK:
        continue;
      case Z_STREAM_END:
        if (in_left == 0) return sink.take();
        // Another member follows, as gzip(1) writes for `cat a.gz b.gz`.
        if (::inflateReset(&zs) != Z_OK) return make_error(Errc::internal, "gzip: cannot reset zlib");
        continue;
      case Z_BUF_ERROR:  // no progress possible: there was room for output, so the input ran out
        if (in_left == 0) return truncated(kName);
        if (!progress) return corrupt(kName, "zlib makes no progress");
        continue;
      case Z_MEM_ERROR:
        return make_error(Errc::internal, "gzip: zlib is out of memory");
      case Z_NEED_DICT:
        return corrupt(kName, "the stream needs a preset dictionary");
      default:
        return corrupt(kName, zs.msg != nullptr ? zs.msg : "zlib error " + std::to_string(rc));
    }
  }
}

struct LzmaEnd {
  void operator()(lzma_stream* s) const noexcept { ::lzma_end(s); }
};

Result<std::string> decode_xz(std::string_view data, std::size_t max_out) {
  constexpr const char* kName = "xz";
  lzma_stream strm = LZMA_STREAM_INIT;
  if (::lzma_stream_decoder(&strm, kXzMemoryLimit, LZMA_CONCATENATED) != LZMA_OK)
    return make_error(Errc::internal, "xz: cannot set up liblzma");
  const std::unique_ptr<lzma_stream, LzmaEnd> guard(&strm);
  Sink sink(scaled(data.size(), 8), max_out);  // Packages lists shrink about 7x
  strm.next_in = reinterpret_cast<const std::uint8_t*>(data.data());
  strm.avail_in = data.size();
  for (;;) {
    const auto space = sink.space();
    strm.next_out = reinterpret_cast<std::uint8_t*>(space.data());
    strm.avail_out = space.size();
    // All the input is given at once, so every call may finish the stream.
    const lzma_ret rc = ::lzma_code(&strm, LZMA_FINISH);
    sink.commit(space.size() - strm.avail_out);
    if (sink.over()) return sink.too_large(kName);
    switch (rc) {
      case LZMA_OK:
        continue;
      case LZMA_STREAM_END:
        return sink.take();
      case LZMA_BUF_ERROR:
        return truncated(kName);
      case LZMA_MEMLIMIT_ERROR:
        return make_error(Errc::too_large, "xz stream needs more than " + std::to_string(kXzMemoryLimit) +
                                               " bytes of decoder memory; not read");
      case LZMA_MEM_ERROR:
        return make_error(Errc::internal, "xz: liblzma is out of memory");
      case LZMA_FORMAT_ERROR:
        return corrupt(kName, "not an xz stream (bad magic bytes)");
      case LZMA_OPTIONS_ERROR:
        return corrupt(kName, "unsupported stream options");
      case LZMA_DATA_ERROR:
        return corrupt(kName, "bad compressed data or failed check");
      default:
        return corrupt(kName, "liblzma error " + std::to_string(static_cast<int>(rc)));
    }
  }
}

struct Lz4FreeDctx {
  void operator()(LZ4F_dctx* d) const noexcept { ::LZ4F_freeDecompressionContext(d); }
};

Result<std::string> decode_lz4(std::string_view data, std::size_t max_out) {
  constexpr const char* kName = "lz4";
  LZ4F_dctx* raw = nullptr;
  const std::size_t created = ::LZ4F_createDecompressionContext(&raw, LZ4F_VERSION);
  const std::unique_ptr<LZ4F_dctx, Lz4FreeDctx> dctx(raw);
  if (::LZ4F_isError(created) || !dctx) return make_error(Errc::internal, "lz4: cannot set up liblz4");
  Sink sink(scaled(data.size(), 3), max_out);  // Packages lists shrink 2.7 to 3.3x
  const char* in = data.data();
  std::size_t in_left = data.size();
  std::size_t hint = 1;  // 0 once a frame is complete
  bool progress = true;
  // After the input is used up, liblz4 may still hold decoded bytes that did
  // not fit: call on while it makes progress.
  while (in_left > 0 || (hint != 0 && progress)) {
    const auto space = sink.space();
    std::size_t used = in_left, made = space.size();
    hint = ::LZ4F_decompress(dctx.get(), space.data(), &made, in, &used, nullptr);
    if (::LZ4F_isError(hint)) return corrupt(kName, ::LZ4F_getErrorName(hint));
    in += used;
    in_left -= used;
    sink.commit(made);
    if (sink.over()) return sink.too_large(kName);
    progress = used > 0 || made > 0;
    if (!progress && in_left > 0) return corrupt(kName, "liblz4 makes no progress");
    // A complete frame followed by more input: the next frame (liblz4 resets
    // the context by itself after a frame's end).
  }
  if (hint != 0) return truncated(kName);
  return sink.take();
}

}  // namespace

const char* compression_name(Compression c) noexcept {
  switch (c) {
    case Compression::none:
      return "none";
    case Compression::gzip:
      return "gzip";
    case Compression::xz:
      return "xz";
    case Compression::lz4:
      return "lz4";
  }
  return "unknown";
}

Result<std::string> decompress(std::string_view data, Compression c, std::size_t max_out) {
  switch (c) {
    case Compression::none:
      if (data.size() > max_out)
        return make_error(Errc::too_large,
                          "data is more than " + std::to_string(max_out) + " bytes; not read");
      return std::string(data);
    case Compression::gzip:
      return inflate_gzip(data, max_out);
    case Compression::xz:
      return decode_xz(data, max_out);
    case Compression::lz4:
      return decode_lz4(data, max_out);
  }
  return make_error(Errc::invalid, "unknown compression");
}

}  // namespace vigil
