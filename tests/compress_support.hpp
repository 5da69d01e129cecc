// Compressing at test time with the same libraries Vigil decompresses with,
// so the tests need no fixture binaries and no command-line tools.
#pragma once

#include <string>
#include <string_view>

#include "decompress.hpp"

namespace vigil::test {

// data compressed as c (gzip level 6, xz preset 1 with a CRC64 check, an lz4
// frame with a content checksum, as lz4(1) writes). Compression::none copies.
// Throws when a library fails: a test helper, not product code.
std::string compress(std::string_view data, Compression c);

}  // namespace vigil::test
