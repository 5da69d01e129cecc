// The lexical layer of OpenSSL 3.0's configuration reader (conf_def.c):
// character classes, comments, names and str_copy()'s value expansion.
// Shared by openssl_config_lex.cpp and the reader in openssl_config_parse.cpp.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "openssl_config.hpp"

namespace vigil::collectors {

// CONF_type_default's classes: blanks are ' ', '\t', '\r', '\n'.
bool conf_is_ws(char c) noexcept;
bool conf_is_esc(char c) noexcept;
std::size_t conf_eat_ws(std::string_view s, std::size_t i) noexcept;
std::string_view conf_trim_ws(std::string_view s) noexcept;
// The line up to its comment: '#' outside quotes (' " `) and escapes.
std::string_view conf_clear_comments(std::string_view s) noexcept;
// eat_alpha_numeric(): past letters, digits, '_', the punctuation
// !%&*+,-./;?@^|~ and escaped characters ('$' too under dollarid).
std::size_t conf_eat_name(std::string_view s, std::size_t i, bool dollarid) noexcept;

struct ConfExpansion {
  std::optional<std::string> value;  // nullopt: the load fails, error says why
  std::string error;
  bool env_dependent = false;  // a $ENV:: reference the file does not define
};

// The kept value of (section, name) so far, or nullptr.
using ConfLookup = std::function<const ConfValue*(const std::string& section, const std::string& name)>;

// str_copy(): quotes, escapes (\n \r \t \b), and $name, ${name}, $(name),
// $section::name looked up in section (nullopt for a section header) then
// in [default]. An undefined name, a missing '}' or ')' and a value over
// kOpensslMaxValueLength fail. $ENV::NAME that the file's own [ENV] does not
// define is left as written (each program's getenv()).
ConfExpansion expand_conf_value(const std::optional<std::string>& section, std::string_view from,
                                bool dollarid, const ConfLookup& lookup);

}  // namespace vigil::collectors
