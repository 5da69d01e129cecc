// agent/random_source.hpp.
#include "random_source.hpp"

#include <random>

namespace vigil::agent {

RandomUpTo system_random() {
  // One engine per thread, seeded from the OS: jitter only needs to spread
  // hosts apart, not to be unpredictable.
  return [](std::int64_t upper) {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    if (upper <= 0) return std::int64_t{0};
    return std::uniform_int_distribution<std::int64_t>(0, upper)(engine);
  };
}

}  // namespace vigil::agent
