// Compression of what Vigil sends: gzip (RFC 1952) request bodies for
// vigil-store, through zlib. The other direction (decompression, capped) is
// lib/decompress.hpp.
#pragma once

#include <string>
#include <string_view>

#include "result.hpp"

namespace vigil {

// The gzip member of data at zlib level 1..9 (6: zlib's default, a good
// size/time balance for JSON). Errc::invalid for a level out of range,
// Errc::internal when zlib cannot set up its state.
[[nodiscard]] Result<std::string> gzip_compress(std::string_view data, int level = 6);

}  // namespace vigil
