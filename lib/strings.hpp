// Small text helpers shared by parsers. Pure functions, no allocation surprises.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

std::string_view trim(std::string_view s) noexcept;
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b) noexcept;

// Splits on any run of spaces/tabs; no empty fields.
std::vector<std::string_view> split_ws(std::string_view s);
// Splits on every occurrence of sep; keeps empty fields ("a::b" -> a,"",b).
std::vector<std::string_view> split(std::string_view s, char sep);

// Splits text into lines on '\n', dropping a trailing '\r' from each line
// (CRLF files) and not producing an empty last line for a final newline.
std::vector<std::string_view> split_lines(std::string_view text);

// Whole-string decimal integer parse; nullopt on empty, junk or overflow.
std::optional<std::int64_t> parse_int(std::string_view s) noexcept;

// Replaces bytes that are not valid UTF-8 with U+FFFD so text from host files
// can always be put into JSON and SQLite TEXT. Valid input is returned as is.
std::string sanitize_utf8(std::string_view s);

// For a terminal: valid UTF-8 with C0/C1 control characters, DEL and the
// bidirectional overrides (U+202A-U+202E, U+2066-U+2069) escaped, so text
// from host files can neither drive the terminal nor reorder what is shown.
// keep_newlines leaves '\n' alone, for multi-line messages.
std::string terminal_safe(std::string_view s, bool keep_newlines = false);

// "0640" style rendering of the permission and special bits of a mode.
std::string mode_octal(unsigned mode);
// Parses "0640"/"640"/"4755"; nullopt on anything that is not 1-4 octal digits.
std::optional<unsigned> parse_octal_mode(std::string_view s) noexcept;

std::string join(const std::vector<std::string>& parts, std::string_view sep);

// Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept;

}  // namespace vigil
