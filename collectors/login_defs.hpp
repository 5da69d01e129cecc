// Password and lockout policy files read as key/value settings, behind the
// `login_defs` and `pam_config` tables: /etc/login.defs as shadow-utils 4.13
// (Debian 12) reads it (getdef.c), and the files of pam_pwquality
// (libpwquality 1.4.5) and pam_faillock (Linux-PAM 1.5.2). Pure parsers, so
// tests feed strings; the PAM stacks themselves are in pam.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace vigil::collectors {

inline constexpr std::string_view kLoginDefsPath = "/etc/login.defs";
inline constexpr std::string_view kPwqualityDropins = "/etc/security/pwquality.conf.d/*.conf";
inline constexpr std::string_view kPwqualityConf = "/etc/security/pwquality.conf";
inline constexpr std::string_view kFaillockConf = "/etc/security/faillock.conf";

struct SettingsIssue {
  std::string file;
  int line = 0;  // 0 when not about one line
  std::string message;
};

// --- /etc/login.defs ---------------------------------------------------------

struct LoginDefsEntry {
  std::string name;  // as written (shadow compares names case-sensitively)
  std::string value;
  std::optional<std::int64_t> value_int;
  bool effective = false;  // the last occurrence of the name: shadow keeps overwriting
  int line = 0;
};

struct LoginDefs {
  std::vector<LoginDefsEntry> entries;  // every occurrence, in file order
  std::vector<SettingsIssue> issues;    // file left empty: always /etc/login.defs
};

// "NAME value" lines; '#' starts a comment only as a line's first non-blank
// character; the value starts after blanks and '"' and ends at the next '"'.
LoginDefs parse_login_defs(std::string_view text);

// A value as shadow's getlong() reads it: strtol() with base 0 over the whole
// value ("022" is octal 18, "0x1F" is 31, "-1" is -1); nullopt otherwise.
std::optional<std::int64_t> login_defs_number(std::string_view value);

// --- pwquality.conf and faillock.conf ----------------------------------------

// One `key = value` or bare `flag` line.
struct SecurityConfLine {
  std::string key;
  std::optional<std::string> value;  // nullopt for a bare flag
  int line = 0;
};
// The reader libpwquality and pam_faillock share: '#' to end of line is a
// comment, the key ends at a blank or '=', one '=' and blanks around it are
// skipped, the value is the rest.
std::vector<SecurityConfLine> parse_security_conf(std::string_view text);

struct PamConfigSetting {
  std::string source;  // "pwquality" or "faillock"
  std::string key;
  std::optional<std::string> value;
  bool effective = false;
  std::string file;
  int line = 0;
};
struct PamConfig {
  std::vector<PamConfigSetting> settings;
  std::vector<SettingsIssue> issues;
};
// read returns a host file (Errc::not_found when absent); glob the sorted
// existing matches of an absolute pattern.
struct PamConfigLoader {
  std::function<Result<std::string>(const std::string& path)> read;
  std::function<Result<std::vector<std::string>>(const std::string& pattern)> glob;
};
// pwquality.conf.d/*.conf in sorted order, then pwquality.conf (libpwquality's
// order, pwquality.conf(5): the main file is read last and wins), then
// faillock.conf. Unreadable or absent files are issues, never errors.
PamConfig evaluate_pam_config(const PamConfigLoader& loader);

}  // namespace vigil::collectors
