// Escaping host-originated text for the auditor formats: OSCAL's one-line
// strings and tokens, Markdown (OSCAL's markup), and HTML. Every function
// first replaces invalid UTF-8 with U+FFFD, so any bytes are safe input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vigil::agent {

// One line: control characters (C0, DEL, C1) and the Unicode line and
// paragraph separators become spaces; whitespace at either end is removed
// (OSCAL's StringDatatype, ^\S(.*\S)?$). May be empty.
std::string single_line_text(std::string_view s);

// single_line_text with every ASCII punctuation character backslash-escaped
// (CommonMark), so host text can neither format nor link nor inject HTML.
std::string markdown_text(std::string_view s);

// A fenced code block around text (which must hold no raw newline, as
// compact JSON does not), the fence longer than any run of backticks in it.
std::string fenced_code(std::string_view text, std::string_view info);

// An ASCII OSCAL token: [A-Za-z_][A-Za-z0-9._-]*, other characters as '_',
// a '_' put first when the text does not start with a letter or '_'.
std::string token_text(std::string_view s);

// For HTML text and attribute values: & < > " ' as entities; control
// characters but tab and newline as their visible Control Pictures
// (U+2400...), C1 controls and the bidirectional overrides and isolates
// (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F) as "[U+XXXX]", so nothing
// can reorder or hide what an auditor reads.
std::string html_escape(std::string_view s);

// The first bytes of valid UTF-8 text up to max_bytes, cut at a character
// boundary; truncated says whether anything was cut.
std::string utf8_prefix(std::string_view s, std::size_t max_bytes, bool& truncated);

}  // namespace vigil::agent
