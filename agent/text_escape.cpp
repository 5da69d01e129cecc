// Escaping for OSCAL, Markdown and HTML (see text_escape.hpp).
#include "text_escape.hpp"

#include <cstdio>

#include "strings.hpp"

namespace vigil::agent {

namespace {

// Calls fn(code point, its bytes) for each character of valid UTF-8.
template <typename Fn>
void for_each_cp(std::string_view s, Fn&& fn) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + n > s.size()) n = s.size() - i;  // not after sanitize_utf8; never read past the end
    unsigned cp = n == 1 ? c : n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    fn(cp, s.substr(i, n));
    i += n;
  }
}

bool is_control(unsigned cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

// Unicode White_Space, which Python's \s and ECMAScript's \s both cover.
bool is_space(unsigned cp) {
  return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000 || cp == 0xFEFF || (cp >= 0x1C && cp <= 0x1F);
}

bool is_bidi_control(unsigned cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
         cp == 0x061C;
}

std::string u_plus(unsigned cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "[U+%04X]", cp);
  return buf;
}

void append_cp(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

std::string single_line_text(std::string_view s) {
  const std::string clean = sanitize_utf8(s);
  std::string out;
  out.reserve(clean.size());
  // Whitespace is held back until something else follows, so none ends the text.
  std::string pending;
  bool started = false;
  for_each_cp(clean, [&](unsigned cp, std::string_view bytes) {
    const bool space = is_space(cp) || is_control(cp);
    if (space) {
      if (started)
        pending += (is_control(cp) || cp == 0x2028 || cp == 0x2029) ? std::string(" ") : std::string(bytes);
      return;
    }
    out += pending;
    pending.clear();
    out += bytes;
    started = true;
  });
  return out;
}

std::string markdown_text(std::string_view s) {
  const std::string line = single_line_text(s);
  std::string out;
  out.reserve(line.size() + line.size() / 8);
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && ((u >= 0x21 && u <= 0x2F) || (u >= 0x3A && u <= 0x40) || (u >= 0x5B && u <= 0x60) ||
                     (u >= 0x7B && u <= 0x7E)))
      out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string fenced_code(std::string_view text, std::string_view info) {
  std::size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  std::string out = fence;
  out += info;
  out += '\n';
  out += sanitize_utf8(text);
  out += '\n';
  out += fence;
  return out;
}

std::string token_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_';
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || !((out[0] >= 'A' && out[0] <= 'Z') || (out[0] >= 'a' && out[0] <= 'z') || out[0] == '_'))
    out.insert(out.begin(), '_');
  return out;
}

std::string html_escape(std::string_view s) {
  const std::string clean = sanitize_utf8(s);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  for_each_cp(clean, [&](unsigned cp, std::string_view bytes) {
    switch (cp) {
      case '&':
        out += "&amp;";
        return;
      case '<':
        out += "&lt;";
        return;
      case '>':
        out += "&gt;";
        return;
      case '"':
        out += "&quot;";
        return;
      case '\'':
        out += "&#39;";
        return;
      case '\t':
      case '\n':
        out.push_back(static_cast<char>(cp));
        return;
      default:
        break;
    }
    if (cp < 0x20) {
      append_cp(out, 0x2400 + cp);  // U+2400 CONTROL PICTURES: a visible stand-in
    } else if (cp == 0x7F) {
      append_cp(out, 0x2421);
    } else if ((cp >= 0x80 && cp <= 0x9F) || is_bidi_control(cp)) {
      out += u_plus(cp);
    } else {
      out += bytes;
    }
  });
  return out;
}

std::string utf8_prefix(std::string_view s, std::size_t max_bytes, bool& truncated) {
  truncated = s.size() > max_bytes;
  if (!truncated) return std::string(s);
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end));
}

}  // namespace vigil::agent
