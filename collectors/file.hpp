// Pure helpers behind the `file` and `file_glob` tables (file.cpp), here so
// tests can feed them strings.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace vigil::collectors {

// A pattern like /etc/cron.{hourly,daily,weekly,monthly} expands to this many
// patterns at most; more is Errc::too_large ({a,b}{a,b}... doubles each time).
inline constexpr std::size_t kMaxBraceExpansions = 256;
// PATH_MAX: a longer pattern can match nothing.
inline constexpr std::size_t kMaxPatternLength = 4096;

// Expands {a,b,...} alternatives the way glob(3) does with GLOB_BRACE: groups
// may nest, '\' escapes a brace or comma, a group without a comma ({x}) is its
// one alternative, and a '{' without its '}' leaves the whole pattern as it
// is (glibc then globs it literally). The result keeps the order of the
// alternatives, duplicates included. Longer than kMaxPatternLength is
// Errc::invalid.
Result<std::vector<std::string>> expand_braces(std::string_view pattern,
                                               std::size_t max_patterns = kMaxBraceExpansions);

}  // namespace vigil::collectors
