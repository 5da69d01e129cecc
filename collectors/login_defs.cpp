// The `login_defs` and `pam_config` tables: password and lockout policy
// settings read the way their own programs read them.
//  - /etc/login.defs, shadow-utils 4.13 getdef.c def_load(): trailing blanks
//    trimmed, '#' is a comment only as the first non-blank character, the
//    name ends at the first blank, the value starts after blanks and '"' and
//    ends at the next '"'; a later definition replaces an earlier one; numbers
//    go through strtol() with base 0, so "022" is octal and "0x.." hex.
//  - pwquality.conf.d/*.conf then pwquality.conf (libpwquality 1.4.5, which
//    stops reading a file at a setting it refuses) and faillock.conf
//    (pam_faillock 1.5.2, which ignores unknown options); last value wins.
// (Kept beside the PAM stacks of pam.cpp rather than in it: one file each
// would be clearer, but the build lists one source per collector here.)
#include "login_defs.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <exception>
#include <map>
#include <set>

#include "collector.hpp"
#include "host.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

// def_load() reads with fgets() into a 1024-byte buffer.
constexpr std::size_t kShadowMaxLine = 1023;

// isspace() in the C locale, which all three readers use.
bool c_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string where(std::string_view file, int line) {
  return line > 0 ? std::string(file) + ":" + std::to_string(line) : std::string(file);
}

enum class KeyKind { unknown, integer, text, flag };

// libpwquality 1.4.5's settings (names compared case-insensitively).
KeyKind pwquality_key(std::string_view lower) {
  static constexpr std::string_view kInts[] = {"difok",          "minlen",      "dcredit",    "ucredit",
                                               "lcredit",        "ocredit",     "minclass",   "maxrepeat",
                                               "maxclassrepeat", "maxsequence", "gecoscheck", "dictcheck",
                                               "usercheck",      "usersubstr",  "enforcing",  "retry"};
  for (auto k : kInts) {
    if (k == lower) return KeyKind::integer;
  }
  if (lower == "badwords" || lower == "dictpath") return KeyKind::text;
  if (lower == "enforce_for_root" || lower == "local_users_only") return KeyKind::flag;
  return KeyKind::unknown;
}

// pam_faillock 1.5.2's options (compared case-sensitively).
bool faillock_key(std::string_view key) {
  static constexpr std::string_view kKeys[] = {
      "dir",   "deny",   "fail_interval", "unlock_time",      "root_unlock_time", "admin_group",
      "audit", "silent", "no_log_info",   "local_users_only", "nodelay",          "even_deny_root"};
  for (auto k : kKeys) {
    if (k == key) return true;
  }
  return false;
}

// libpwquality's check: strtol(value, &end, 10) over the whole value, inside int.
bool is_c_int(const std::optional<std::string>& value) {
  if (!value || value->empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(value->c_str(), &end, 10);
  return errno == 0 && *end == '\0' && v < INT_MAX && v > INT_MIN;
}

void read_conf(const PamConfigLoader& loader, const std::string& source, const std::string& path,
               PamConfig& out) {
  auto text = loader.read(path);
  if (!text) {
    out.issues.push_back(SettingsIssue{path, 0,
                                       text.is(Errc::not_found) ? "file absent: the built-in defaults apply"
                                                                : "cannot be read: " + text.error().message});
    return;
  }
  bool stopped = false;
  for (auto& l : parse_security_conf(*text)) {
    PamConfigSetting s{source, std::move(l.key), std::move(l.value), !stopped, path, l.line};
    if (source == "pwquality") {
      s.key = to_lower(s.key);
      const KeyKind kind = pwquality_key(s.key);
      if (!stopped && (kind == KeyKind::unknown || (kind == KeyKind::integer && !is_c_int(s.value)))) {
        // read_config_file() returns at the first setting it refuses.
        out.issues.push_back(SettingsIssue{path, s.line,
                                           (kind == KeyKind::unknown ? "unknown setting '" + s.key + "'"
                                                                     : "'" + s.key + "' needs an integer") +
                                               "; libpwquality stops reading this file here"});
        stopped = true;
        s.effective = false;
      }
    } else if (!faillock_key(s.key)) {
      out.issues.push_back(
          SettingsIssue{path, s.line, "unknown option '" + s.key + "'; pam_faillock ignores it"});
      s.effective = false;
    }
    out.settings.push_back(std::move(s));
  }
}

Status collect_login_defs(CollectContext& ctx, std::vector<Row>& rows) {
  const std::string path(kLoginDefsPath);
  auto content = ctx.host().read_file(path);
  if (content.is(Errc::not_found)) {
    ctx.warn(path, "file absent: every shadow-utils tool uses its compiled-in defaults");
    return Status::success();
  }
  if (!content) return make_error(content.error().code, path + ": " + content.error().message);
  const LoginDefs defs = parse_login_defs(content->data);
  for (const auto& i : defs.issues) ctx.warn(where(path, i.line), i.message);
  for (const auto& e : defs.entries) {
    rows.push_back(Row{text_value(sanitize_utf8(e.name)), text_value(sanitize_utf8(e.value)),
                       e.value_int ? int_value(*e.value_int) : null_value(), bool_value(e.effective),
                       text_value(path), int_value(e.line)});
  }
  return Status::success();
}

Status collect_pam_config(CollectContext& ctx, std::vector<Row>& rows) {
  const Host& host = ctx.host();
  PamConfigLoader l;
  l.read = [&host](const std::string& path) -> Result<std::string> {
    auto content = host.read_file(path);
    if (!content) return std::move(content).error();
    return std::move(content->data);
  };
  l.glob = [&host](const std::string& pattern) { return host.glob(pattern); };
  const PamConfig config = evaluate_pam_config(l);
  for (const auto& i : config.issues) ctx.warn(where(i.file, i.line), i.message);
  for (const auto& s : config.settings) {
    rows.push_back(Row{text_value(s.source), text_value(sanitize_utf8(s.key)),
                       s.value ? text_value(sanitize_utf8(*s.value)) : null_value(), bool_value(s.effective),
                       text_value(sanitize_utf8(s.file)), int_value(s.line)});
  }
  return Status::success();
}

using T = ColumnType;

TableDef login_defs_table() {
  return TableDef{
      "login_defs",
      "Definitions in /etc/login.defs as shadow-utils 4.13 reads them, every occurrence in file order; the "
      "last "
      "one of a name is effective. A '#' after a value is part of the value (shadow then cannot read it as a "
      "number: a warning). A name without a value is skipped with a warning. No file: no rows and a warning.",
      {
          {"name", T::text,
           "the name as written (shadow compares names case-sensitively): PASS_MAX_DAYS, UMASK"},
          {"value", T::text, "the value as shadow reads it: after blanks and '\"', up to the next '\"'"},
          {"value_int", T::integer,
           "the value as strtol(value, 0) reads it when the whole value is a number: '022' is octal (18), "
           "'0x1F' hexadecimal (31), '99999' decimal; NULL otherwise"},
          {"effective", T::integer, "1 for the last occurrence of the name (the one shadow uses)"},
          {"file", T::text, "/etc/login.defs"},
          {"line", T::integer, "1-based line"},
      },
      collect_login_defs,
  };
}

TableDef pam_config_table() {
  return TableDef{
      "pam_config",
      "Settings of /etc/security/pwquality.conf.d/*.conf (sorted), then /etc/security/pwquality.conf (read "
      "last, so it wins, as pwquality.conf(5) says), and /etc/security/faillock.conf, every occurrence in "
      "reading order; the last applied value of a key is effective. Arguments on the module's PAM line "
      "(pam_args) override these files. Absent files are warnings.",
      {
          {"source", T::text, "'pwquality' or 'faillock'"},
          {"key", T::text, "the setting (pwquality keys in lower case: libpwquality ignores case)"},
          {"value", T::text, "the value as written; NULL for a bare flag (enforce_for_root, even_deny_root)"},
          {"effective", T::integer,
           "1 for the occurrence in force; 0 when overridden, unknown to the reader, or at or after a line "
           "that made libpwquality stop reading the file"},
          {"file", T::text, "host path of the file"},
          {"line", T::integer, "1-based line"},
      },
      collect_pam_config,
  };
}

}  // namespace

std::optional<std::int64_t> login_defs_number(std::string_view value) {
  if (value.empty()) return std::nullopt;
  const std::string copy(value);  // strtoll needs the terminating NUL
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(copy.c_str(), &end, 0);
  if (errno == ERANGE || end == copy.c_str() || *end != '\0') return std::nullopt;
  return static_cast<std::int64_t>(v);
}

LoginDefs parse_login_defs(std::string_view text) {
  LoginDefs out;
  int number = 0;
  for (std::string_view l : split_lines(text)) {
    ++number;
    if (l.size() > kShadowMaxLine) {
      out.issues.push_back(SettingsIssue{"", number,
                                         "line longer than " + std::to_string(kShadowMaxLine) +
                                             " bytes; shadow reads it in pieces (read whole here)"});
    }
    l = l.substr(0, l.find('\0'));  // fgets() text ends at a NUL for shadow too
    while (!l.empty() && c_space(l.back())) l.remove_suffix(1);
    const auto start = l.find_first_not_of(" \t");
    if (start == std::string_view::npos || l[start] == '#') continue;
    const auto name_end = l.find_first_of(" \t", start);
    if (name_end == std::string_view::npos) {
      out.issues.push_back(SettingsIssue{
          "", number, "'" + std::string(l.substr(start)) + "' has no value; shadow ignores the line"});
      continue;
    }
    std::string_view value = l.substr(name_end + 1);
    const auto value_start = value.find_first_not_of(" \"\t");
    value = value_start == std::string_view::npos ? std::string_view() : value.substr(value_start);
    value = value.substr(0, value.find('"'));
    LoginDefsEntry e{std::string(l.substr(start, name_end - start)), std::string(value),
                     login_defs_number(value), false, number};
    const auto hash = value.find('#');
    if (hash != std::string_view::npos && hash > 0 && c_space(value[hash - 1])) {
      out.issues.push_back(SettingsIssue{
          "", number,
          e.name + ": a '#' after a value is not a comment in login.defs; shadow reads the value '" +
              e.value + "'"});
    }
    out.entries.push_back(std::move(e));
  }
  // The last occurrence of a name is the one in force.
  std::map<std::string, std::size_t> last;
  for (std::size_t i = 0; i < out.entries.size(); ++i) last[out.entries[i].name] = i;
  for (const auto& [name, index] : last) out.entries[index].effective = true;
  return out;
}

std::vector<SecurityConfLine> parse_security_conf(std::string_view text) {
  std::vector<SecurityConfLine> out;
  int number = 0;
  for (std::string_view l : split_lines(text)) {
    ++number;
    l = l.substr(0, l.find('#'));
    l = l.substr(0, l.find('\0'));
    l = trim(l);  // isspace() blanks around, the '\r' of a CRLF file too
    if (l.empty()) continue;
    std::size_t k = 0;
    while (k < l.size() && !c_space(l[k]) && l[k] != '=') ++k;
    // One '=' may separate key and value, with blanks on either side.
    bool eq = k < l.size() && l[k] == '=';
    std::size_t v = k < l.size() ? k + 1 : k;
    for (; v < l.size(); ++v) {
      if (l[v] == '=' && !eq) {
        eq = true;
      } else if (!c_space(l[v])) {
        break;
      }
    }
    SecurityConfLine line{std::string(l.substr(0, k)), std::nullopt, number};
    if (v < l.size()) line.value = std::string(l.substr(v));
    out.push_back(std::move(line));
  }
  return out;
}

PamConfig evaluate_pam_config(const PamConfigLoader& loader) {
  PamConfig out;
  auto dropins = loader.glob(std::string(kPwqualityDropins));
  if (dropins) {
    for (const auto& f : *dropins) read_conf(loader, "pwquality", f, out);
  } else {
    out.issues.push_back(
        SettingsIssue{std::string(kPwqualityDropins), 0, "cannot be listed: " + dropins.error().message});
  }
  read_conf(loader, "pwquality", std::string(kPwqualityConf), out);
  read_conf(loader, "faillock", std::string(kFaillockConf), out);
  // The last applied occurrence of a key is the one in force.
  std::set<std::pair<std::string, std::string>> seen;
  for (auto it = out.settings.rbegin(); it != out.settings.rend(); ++it) {
    if (it->effective) it->effective = seen.insert({it->source, it->key}).second;
  }
  return out;
}

VIGIL_REGISTER_TABLE(login_defs_table());
VIGIL_REGISTER_TABLE(pam_config_table());

}  // namespace vigil::collectors
