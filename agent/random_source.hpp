// Random numbers for splay and backoff jitter: they only need to spread
// hosts apart, not to be unpredictable.
#pragma once

#include <cstdint>
#include <functional>

namespace vigil::agent {

// A uniform random integer in [0, upper] (upper >= 0).
using RandomUpTo = std::function<std::int64_t(std::int64_t upper)>;
// One engine per thread, seeded from the OS.
RandomUpTo system_random();

}  // namespace vigil::agent
