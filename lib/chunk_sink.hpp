// The receiving end of a stream of bytes: a file read in pieces
// (Host::read_chunks), the output of a decompressor (Decompressor). Pieces
// are views valid only during the call; an error returned by the sink stops
// the producer, which returns that error unchanged.
#pragma once

#include <functional>
#include <string_view>

#include "result.hpp"

namespace vigil {

using ChunkSink = std::function<Status(std::string_view)>;

}  // namespace vigil
