// The argument of table-valued functions that name host paths, e.g.
// fs_findings('["/", "/home"]') and certificates('["/etc/ssl/certs"]'): a
// JSON array of absolute path strings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace vigil::collectors {

// Errc::invalid for anything but a non-empty JSON array of non-empty strings
// that start with '/'. `what` names an element in messages ("root", "path").
Result<std::vector<std::string>> parse_path_list(std::string_view json_array, std::string_view what = "path");

}  // namespace vigil::collectors
