// Character-level helpers of the sudoers parser (sudoers_parse.cpp): blanks,
// comments, quotes and escapes as sudo's toke.l sees them. Header-only; not
// for other collectors.
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

namespace vigil::collectors::sudoers_detail {

inline bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
inline bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
inline bool one_of(std::string_view word, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), word) != set.end();
}

// '#' is a comment unless it begins a uid/gid: toke.l's ID is #-?[0-9]+.
inline bool starts_comment(std::string_view s, std::size_t i) {
  const std::size_t j = i + 1 < s.size() && s[i + 1] == '-' ? i + 2 : i + 1;
  return !(j < s.size() && is_digit(s[j]));
}

// Collapses runs of blanks outside double quotes to one space, so rows read
// the same whether a spec was written on one line or continued over several.
inline std::string squeeze(std::string_view s) {
  std::string out;
  bool quoted = false;
  bool pending = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!quoted && is_blank(c)) {
      pending = !out.empty();
      continue;
    }
    if (pending) out += ' ';
    pending = false;
    out += c;
    if (c == '\\' && i + 1 < s.size()) {
      out += s[++i];
    } else if (c == '"') {
      quoted = !quoted;
    }
  }
  return out;
}

// Drops the backslash of every escape ("a\ b" -> "a b"), as sudo's fill_txt does.
inline std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

// The end of a double-quoted string starting at s[i] == '"', or npos.
inline std::size_t closing_quote(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
    } else if (s[i] == '"') {
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace vigil::collectors::sudoers_detail
