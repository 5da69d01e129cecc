// The lexical layer of OpenSSL 3.0's configuration reader (conf_def.c:
// CONF_type_default's character classes, clear_comments, eat_alpha_numeric
// and str_copy); see openssl_config_internal.hpp.
#include <algorithm>

#include "openssl_config_internal.hpp"

namespace vigil::collectors {

namespace {

bool is_quote(char c) {
  return c == '"' || c == '\'' || c == '`';
}
bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_alnum_punct(char c) {
  if (is_alnum(c)) return true;
  constexpr std::string_view kPunct = "!%&*+,-./;?@^|~";
  return c != '\0' && kPunct.find(c) != std::string_view::npos;
}

std::size_t scan_esc(std::string_view s, std::size_t i) {
  return i + 1 >= s.size() ? i + 1 : i + 2;
}

std::size_t scan_quote(std::string_view s, std::size_t i) {
  const char q = s[i++];
  while (i < s.size() && s[i] != q) {
    if (conf_is_esc(s[i])) {
      if (++i >= s.size()) return i;
    }
    ++i;
  }
  if (i < s.size() && s[i] == q) ++i;
  return i;
}

}  // namespace

bool conf_is_ws(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool conf_is_esc(char c) noexcept {
  return c == '\\';
}

std::size_t conf_eat_ws(std::string_view s, std::size_t i) noexcept {
  while (i < s.size() && conf_is_ws(s[i])) ++i;
  return i;
}

std::string_view conf_trim_ws(std::string_view s) noexcept {
  while (!s.empty() && conf_is_ws(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view conf_clear_comments(std::string_view s) noexcept {
  std::size_t i = conf_eat_ws(s, 0);
  while (i < s.size()) {
    if (s[i] == '#') return s.substr(0, i);
    if (is_quote(s[i])) {
      i = scan_quote(s, i);
    } else if (conf_is_esc(s[i])) {
      i = scan_esc(s, i);
    } else {
      ++i;
    }
  }
  return s;
}

std::size_t conf_eat_name(std::string_view s, std::size_t i, bool dollarid) noexcept {
  while (i < s.size()) {
    if (conf_is_esc(s[i])) {
      i = scan_esc(s, i);
    } else if (is_alnum_punct(s[i]) || (dollarid && s[i] == '$')) {
      ++i;
    } else {
      break;
    }
  }
  return std::min(i, s.size());
}

ConfExpansion expand_conf_value(const std::optional<std::string>& section, std::string_view from,
                                bool dollarid, const ConfLookup& lookup) {
  ConfExpansion x;
  std::string out;
  std::size_t length = from.size() + 1;  // the buffer size OpenSSL checks against its cap
  std::size_t i = 0;
  while (i < from.size()) {
    const char c = from[i];
    const char next = i + 1 < from.size() ? from[i + 1] : '\0';
    if (is_quote(c)) {
      ++i;
      while (i < from.size() && from[i] != c) {
        if (conf_is_esc(from[i]) && ++i >= from.size()) break;
        out += from[i++];
      }
      if (i < from.size() && from[i] == c) ++i;
    } else if (conf_is_esc(c)) {
      if (i + 1 >= from.size()) break;
      char v = from[i + 1];
      i += 2;
      v = v == 'r' ? '\r' : v == 'n' ? '\n' : v == 'b' ? '\b' : v == 't' ? '\t' : v;
      out += v;
    } else if (c == '$' && (!dollarid || next == '{' || next == '(')) {
      std::size_t s = i + 1;
      const char close = next == '{' ? '}' : next == '(' ? ')' : '\0';
      if (close != '\0') ++s;
      const auto name_end = [&](std::size_t e) {
        while (e < from.size() && (is_alnum(from[e]) || (dollarid && from[e] == '$'))) ++e;
        return e;
      };
      std::optional<std::string> cp = section;
      std::size_t np = s;
      std::size_t e = name_end(s);
      if (e + 1 < from.size() && from[e] == ':' && from[e + 1] == ':') {
        cp = std::string(from.substr(np, e - np));
        np = e + 2;
        e = name_end(np);
      }
      const std::string name(from.substr(np, e - np));
      if (close != '\0') {
        if (e >= from.size() || from[e] != close) {
          x.error = "no close brace in '" + std::string(from.substr(i)) + "'";
          return x;
        }
        ++e;
      }
      const std::string reference(from.substr(i, e - i));
      std::string value;
      const ConfValue* v = cp ? lookup(*cp, name) : nullptr;
      if (v == nullptr && cp && *cp == "ENV") {
        // getenv() of each program: unknowable from its files.
        x.env_dependent = true;
        value = reference;
      } else {
        if (v == nullptr) v = lookup("default", name);
        if (v == nullptr) {
          x.error = "variable " + reference + " has no value; OpenSSL refuses the whole configuration";
          return x;
        }
        value = v->value;
        x.env_dependent = x.env_dependent || v->env_dependent;
      }
      const std::size_t newsize = value.size() + length - (e - i);
      if (newsize > kOpensslMaxValueLength) {
        x.error = "expanding " + reference + " makes a value longer than " +
                  std::to_string(kOpensslMaxValueLength) + " bytes";
        return x;
      }
      length = newsize;
      out += value;
      i = e;
    } else {
      out += c;
      ++i;
    }
  }
  x.value = std::move(out);
  return x;
}

}  // namespace vigil::collectors
