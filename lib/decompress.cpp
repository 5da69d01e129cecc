// Streaming decompression through liblz4, zlib and liblzma into one fixed
// output buffer, counted against the caller's cap. Each library's state is
// owned by a unique_ptr whose deleter is the library's own free function;
// the state lives in the heap-allocated Impl, which never moves (zlib keeps
// a pointer back to its z_stream).
#include "decompress.hpp"

#define ZLIB_CONST  // next_in as a pointer to const
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <optional>

namespace vigil {

namespace {

Error truncated(const char* format) {
  return make_error(Errc::parse, std::string(format) + " data is truncated (it ends inside the stream)");
}

Error corrupt(const char* format, std::string_view detail) {
  return make_error(Errc::parse, std::string(format) + " data is corrupt: " + std::string(detail));
}

}  // namespace

// What every format shares: the output buffer, the cap, and the rule that an
// error is final.
struct Decompressor::Impl {
  Impl(const char* name, std::size_t max_out, bool buffered)
      : name_(name), max_out_(max_out), out_(buffered ? kDecompressChunkSize : 0, '\0') {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  virtual ~Impl() = default;

  Status feed(std::string_view input, const ChunkSink& sink) {
    if (auto st = usable(); !st) return st;
    return remember(decode(input, sink));
  }
  Status finish(const ChunkSink& sink) {
    if (auto st = usable(); !st) return st;
    finished_ = true;
    return remember(end(sink));
  }

 protected:
  virtual Status decode(std::string_view input, const ChunkSink& sink) = 0;
  virtual Status end(const ChunkSink& sink) = 0;

  // n bytes of output, already counted against the cap, to the sink.
  Status pass(std::string_view piece, const ChunkSink& sink) {
    if (piece.empty()) return Status::success();
    if (piece.size() > max_out_ - total_) return too_large();
    total_ += piece.size();
    return sink(piece);
  }
  // The first n bytes of the output buffer, which the library just wrote.
  Status emit(std::size_t n, const ChunkSink& sink) { return pass(std::string_view(out_.data(), n), sink); }
  virtual Error too_large() const {
    return make_error(Errc::too_large, std::string(name_) + " data decompresses to more than " +
                                           std::to_string(max_out_) + " bytes; not read");
  }

  const char* name_;
  std::size_t max_out_;
  std::string out_;

 private:
  Status usable() const {
    if (failed_) return *failed_;
    if (finished_) return make_error(Errc::internal, std::string(name_) + ": decompressor used after finish");
    return Status::success();
  }
  Status remember(Status st) {
    if (!st) failed_ = st.error();
    return st;
  }

  std::size_t total_ = 0;
  std::optional<Error> failed_;
  bool finished_ = false;
};

namespace {

using Impl = Decompressor::Impl;

class Plain final : public Impl {
 public:
  explicit Plain(std::size_t max_out) : Impl("none", max_out, false) {}
  bool init() { return true; }

 private:
  // The input is handed on as it is, in pieces no larger than any format's.
  Status decode(std::string_view input, const ChunkSink& sink) override {
    while (!input.empty()) {
      const std::size_t n = std::min(input.size(), kDecompressChunkSize);
      if (auto st = pass(input.substr(0, n), sink); !st) return st;
      input.remove_prefix(n);
    }
    return Status::success();
  }
  Status end(const ChunkSink&) override { return Status::success(); }
  Error too_large() const override {
    return make_error(Errc::too_large, "data is more than " + std::to_string(max_out_) + " bytes; not read");
  }
};

struct InflateEnd {
  void operator()(z_stream* zs) const noexcept { ::inflateEnd(zs); }
};

class Gzip final : public Impl {
 public:
  explicit Gzip(std::size_t max_out) : Impl("gzip", max_out, true) {}
  bool init() {
    if (::inflateInit2(&zs_, 15 + 16) != Z_OK) return false;
    guard_.reset(&zs_);
    return true;
  }

 private:
  Status decode(std::string_view input, const ChunkSink& sink) override {
    // zlib counts in uInt: feed it in pieces one can hold.
    while (!input.empty()) {
      const std::size_t n = std::min<std::size_t>(input.size(), UINT_MAX);
      if (auto st = decode_piece(input.substr(0, n), sink); !st) return st;
      input.remove_prefix(n);
    }
    return Status::success();
  }

  Status decode_piece(std::string_view input, const ChunkSink& sink) {
    zs_.next_in = reinterpret_cast<const Bytef*>(input.data());
    zs_.avail_in = static_cast<uInt>(input.size());
    bool full = false;  // the last call filled the buffer: zlib may hold more
    while (zs_.avail_in > 0 || full) {
      if (member_done_) {
        if (zs_.avail_in == 0) break;
        // Another member follows, as gzip(1) writes for `cat a.gz b.gz`.
        if (::inflateReset(&zs_) != Z_OK) return make_error(Errc::internal, "gzip: cannot reset zlib");
        member_done_ = false;
      }
      const uInt give_in = zs_.avail_in, give_out = static_cast<uInt>(out_.size());
      zs_.next_out = reinterpret_cast<Bytef*>(out_.data());
      zs_.avail_out = give_out;
      const int rc = ::inflate(&zs_, Z_NO_FLUSH);
      const bool progress = zs_.avail_in != give_in || zs_.avail_out != give_out;
      full = zs_.avail_out == 0;
      if (auto st = emit(give_out - zs_.avail_out, sink); !st) return st;
      switch (rc) {
        case Z_OK:
          continue;
        case Z_STREAM_END:
          member_done_ = true;
          full = false;
          continue;
        case Z_BUF_ERROR:  // no progress possible: with room for output, the input ran out
          if (zs_.avail_in == 0) return Status::success();
          if (!progress) return corrupt(name_, "zlib makes no progress");
          continue;
        case Z_MEM_ERROR:
          return make_error(Errc::internal, "gzip: zlib is out of memory");
        case Z_NEED_DICT:
          return corrupt(name_, "the stream needs a preset dictionary");
        default:
          return corrupt(name_, zs_.msg != nullptr ? zs_.msg : "zlib error " + std::to_string(rc));
      }
    }
    return Status::success();
  }

  // zlib hands over all it can decode while it has room, so nothing is left
  // to flush: the data must simply have ended at a member's end.
  Status end(const ChunkSink&) override { return member_done_ ? Status::success() : truncated(name_); }

  z_stream zs_{};
  std::unique_ptr<z_stream, InflateEnd> guard_;  // after zs_: ends it before it goes
  bool member_done_ = false;
};

struct LzmaEnd {
  void operator()(lzma_stream* s) const noexcept { ::lzma_end(s); }
};

class Xz final : public Impl {
 public:
  explicit Xz(std::size_t max_out) : Impl("xz", max_out, true) {}
  bool init() {
    if (::lzma_stream_decoder(&strm_, kXzMemoryLimit, LZMA_CONCATENATED) != LZMA_OK) return false;
    guard_.reset(&strm_);
    return true;
  }

 private:
  Status decode(std::string_view input, const ChunkSink& sink) override {
    strm_.next_in = reinterpret_cast<const std::uint8_t*>(input.data());
    strm_.avail_in = input.size();
    return run(LZMA_RUN, sink);
  }

  // LZMA_CONCATENATED ends only under LZMA_FINISH: then liblzma knows no
  // further stream follows, and tells a complete end from a truncated one.
  Status end(const ChunkSink& sink) override {
    strm_.next_in = nullptr;
    strm_.avail_in = 0;
    return run(LZMA_FINISH, sink);
  }

  Status run(lzma_action action, const ChunkSink& sink) {
    for (;;) {
      strm_.next_out = reinterpret_cast<std::uint8_t*>(out_.data());
      strm_.avail_out = out_.size();
      const lzma_ret rc = ::lzma_code(&strm_, action);
      const bool full = strm_.avail_out == 0;
      if (auto st = emit(out_.size() - strm_.avail_out, sink); !st) return st;
      switch (rc) {
        case LZMA_OK:
          if (action == LZMA_RUN && strm_.avail_in == 0 && !full) return Status::success();
          continue;
        case LZMA_STREAM_END:
          return Status::success();
        case LZMA_BUF_ERROR:  // no progress possible twice in a row
          if (action == LZMA_RUN && strm_.avail_in == 0) return Status::success();
          return truncated(name_);
        case LZMA_MEMLIMIT_ERROR:
          return make_error(Errc::too_large, "xz stream needs more than " + std::to_string(kXzMemoryLimit) +
                                                 " bytes of decoder memory; not read");
        case LZMA_MEM_ERROR:
          return make_error(Errc::internal, "xz: liblzma is out of memory");
        case LZMA_FORMAT_ERROR:
          return corrupt(name_, "not an xz stream (bad magic bytes)");
        case LZMA_OPTIONS_ERROR:
          return corrupt(name_, "unsupported stream options");
        case LZMA_DATA_ERROR:
          return corrupt(name_, "bad compressed data or failed check");
        default:
          return corrupt(name_, "liblzma error " + std::to_string(static_cast<int>(rc)));
      }
    }
  }

  lzma_stream strm_ = LZMA_STREAM_INIT;
  std::unique_ptr<lzma_stream, LzmaEnd> guard_;  // after strm_: ends it before it goes
};

struct Lz4FreeDctx {
  void operator()(LZ4F_dctx* d) const noexcept { ::LZ4F_freeDecompressionContext(d); }
};

class Lz4 final : public Impl {
 public:
  explicit Lz4(std::size_t max_out) : Impl("lz4", max_out, true) {}
  bool init() {
    LZ4F_dctx* raw = nullptr;
    const std::size_t created = ::LZ4F_createDecompressionContext(&raw, LZ4F_VERSION);
    dctx_.reset(raw);
    return !::LZ4F_isError(created) && dctx_;
  }

 private:
  Status decode(std::string_view input, const ChunkSink& sink) override {
    // liblz4 may stop early: at a frame's end (the next call starts the next
    // frame by itself), or holding decoded bytes that did not fit. It is not
    // called without input unless it holds some: between frames a call
    // without input would ask for the next frame's header.
    while (!input.empty() || holding_) {
      std::size_t used = input.size(), made = out_.size();
      hint_ = ::LZ4F_decompress(dctx_.get(), out_.data(), &made, input.data(), &used, nullptr);
      if (::LZ4F_isError(hint_)) return corrupt(name_, ::LZ4F_getErrorName(hint_));
      input.remove_prefix(used);
      // 0: the frame is decoded and flushed; a full buffer may leave more.
      holding_ = hint_ != 0 && made == out_.size();
      if (auto st = emit(made, sink); !st) return st;
      if (used == 0 && made == 0 && !input.empty()) return corrupt(name_, "liblz4 makes no progress");
    }
    return Status::success();
  }

  // hint_ is 0 exactly when the last frame is complete.
  Status end(const ChunkSink& sink) override {
    if (auto st = decode({}, sink); !st) return st;
    return hint_ == 0 ? Status::success() : truncated(name_);
  }

  std::unique_ptr<LZ4F_dctx, Lz4FreeDctx> dctx_;
  std::size_t hint_ = 1;  // nothing read yet: not a complete frame
  bool holding_ = false;
};

// A format's state, set up; null when its library cannot allocate it.
template <typename Format>
std::unique_ptr<Impl> set_up(std::size_t max_out) {
  auto f = std::make_unique<Format>(max_out);
  if (!f->init()) return nullptr;
  return f;
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

Decompressor::Decompressor(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Decompressor::Decompressor(Decompressor&&) noexcept = default;
Decompressor& Decompressor::operator=(Decompressor&&) noexcept = default;
Decompressor::~Decompressor() = default;

Result<Decompressor> Decompressor::create(Compression c, std::size_t max_out) {
  std::unique_ptr<Impl> impl;
  switch (c) {
    case Compression::none:
      impl = set_up<Plain>(max_out);
      break;
    case Compression::gzip:
      impl = set_up<Gzip>(max_out);
      break;
    case Compression::xz:
      impl = set_up<Xz>(max_out);
      break;
    case Compression::lz4:
      impl = set_up<Lz4>(max_out);
      break;
    default:
      return make_error(Errc::invalid, "unknown compression");
  }
  if (!impl)
    return make_error(Errc::internal, std::string(compression_name(c)) + ": cannot set up the library");
  return Decompressor(std::move(impl));
}

Status Decompressor::feed(std::string_view input, const ChunkSink& sink) {
  return impl_->feed(input, sink);
}

Status Decompressor::finish(const ChunkSink& sink) {
  return impl_->finish(sink);
}

Result<std::string> decompress(std::string_view data, Compression c, std::size_t max_out) {
  auto d = Decompressor::create(c, max_out);
  if (!d) return std::move(d).error();
  std::string out;
  const ChunkSink append = [&](std::string_view piece) {
    out.append(piece);
    return Status::success();
  };
  if (auto st = d->feed(data, append); !st) return st.error();
  if (auto st = d->finish(append); !st) return st.error();
  return out;
}

}  // namespace vigil
