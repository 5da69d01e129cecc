// The store's URL as the configuration, enroll and the HTTP client take it.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "result.hpp"

namespace vigil::agent {

// Checks a store URL: https, a host, no query or fragment, no user info.
// Returns {origin "https://host:port", path prefix without a trailing '/'}.
Result<std::pair<std::string, std::string>> split_store_url(std::string_view url);

}  // namespace vigil::agent
