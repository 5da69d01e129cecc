// Pure parsers and the lookup behind the `dconf_settings` table (see
// dconf.hpp). Verified against dconf 0.40 on Debian 12: `dconf update DIR`
// and `DCONF_PROFILE=... dconf read` over test trees (file order, dotfiles,
// a lock in a later database, refused keyfiles).
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>

#include "dconf.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

bool c_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim_c(std::string_view s) {
  while (!s.empty() && c_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && c_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

DconfProfile parse_dconf_profile(std::string_view text) {
  DconfProfile out;
  int number = 0;
  for (std::string_view l : split(text, '\n')) {
    ++number;
    l = l.substr(0, l.find('#'));
    l = trim_c(l);
    if (l.empty()) continue;
    const auto colon = l.find(':');
    const std::string_view kind = l.substr(0, colon);
    if (colon == std::string_view::npos || colon + 1 == l.size() ||
        (kind != "user-db" && kind != "system-db" && kind != "service-db" && kind != "file-db")) {
      out.issues.push_back(ParseIssue{
          number, "unknown dconf database description '" + sanitize_utf8(l) + "'; dconf ignores the line"});
      continue;
    }
    out.sources.push_back(DconfSource{std::string(kind), std::string(l.substr(colon + 1)), number});
  }
  return out;
}

DconfKeyfile parse_dconf_keyfile(std::string_view text) {
  DconfKeyfile out;
  std::string group;
  bool have_group = false;
  int number = 0;
  auto fail = [&out](int line, std::string message) {
    out.error = ParseIssue{line, std::move(message)};
    return out;
  };
  for (std::string_view l : split_lines(text)) {
    ++number;
    std::string_view s = l;
    while (!s.empty() && c_space(s.front())) s.remove_prefix(1);
    if (s.empty() || s[0] == '#') continue;
    if (s[0] == '[') {
      const std::string_view rest = trim_c(s);
      if (rest.back() != ']' || rest.size() < 3) {
        return fail(number, "'" + sanitize_utf8(rest) + "' is not a group line");
      }
      group = std::string(rest.substr(1, rest.size() - 2));
      if (group.find_first_of("[]") != std::string::npos)
        return fail(number, "invalid group name '" + group + "'");
      // dconf update: a group is a path without its leading and trailing '/'.
      if (group.front() == '/' || group.back() == '/' || group.find("//") != std::string::npos) {
        return fail(number, "invalid group name '" + sanitize_utf8(group) +
                                "' (dconf: no leading, trailing or "
                                "double '/')");
      }
      have_group = true;
      continue;
    }
    const auto eq = s.find('=');
    if (eq == std::string_view::npos) {
      return fail(number, "'" + sanitize_utf8(trim_c(s)) + "' is not a key-value pair, group, or comment");
    }
    const std::string_view key = trim_c(s.substr(0, eq));
    if (key.empty()) return fail(number, "an empty key");
    if (!have_group)
      return fail(number, "a key before the first group (the key file does not start with a group)");
    if (key.find('/') != std::string_view::npos) {
      return fail(number, "invalid key name '" + sanitize_utf8(key) + "'");
    }
    std::string_view value = s.substr(eq + 1);
    while (!value.empty() && c_space(value.front())) value.remove_prefix(1);
    value = trim_c(value);
    const GVariantText parsed = parse_gvariant_text(value);
    if (!parsed.valid) {
      return fail(number, "[" + sanitize_utf8(group) + "] " + sanitize_utf8(key) + ": invalid value '" +
                              sanitize_utf8(value) + "': " + parsed.error);
    }
    out.entries.push_back(
        DconfKeyfileEntry{"/" + group + "/" + std::string(key), std::string(value), number});
  }
  return out;
}

std::vector<DconfLock> parse_dconf_locks(std::string_view text) {
  std::vector<DconfLock> out;
  int number = 0;
  for (std::string_view l : split(text, '\n')) {
    ++number;
    if (!l.empty() && l[0] == '/') out.push_back(DconfLock{std::string(l), number});
  }
  return out;
}

namespace {

struct IntRange {
  char type;
  long double min;
  long double max;
};

bool integer_type(char t) {
  return t == 'y' || t == 'n' || t == 'q' || t == 'i' || t == 'u' || t == 'x' || t == 't' || t == 'h';
}

void parse_number(std::string_view s, char type, GVariantText& out) {
  // strtold-free integer parse: sign, then strtoull with base 0 over the digits.
  const std::string copy(s);
  const bool negative = !copy.empty() && copy[0] == '-';
  const char* digits = copy.c_str() + ((negative || (!copy.empty() && copy[0] == '+')) ? 1 : 0);
  if (*digits < '0' || *digits > '9') {
    out.valid = false;
    out.error = "expected a number";
    return;
  }
  if (copy.find_first_of(".eE") != std::string::npos && copy.find("0x") == std::string::npos) {
    if (integer_type(type)) {
      out.valid = false;
      out.error = "a floating point number where an integer is expected";
      return;
    }
    out.type = "d";
    return;
  }
  errno = 0;
  char* end = nullptr;
  const unsigned long long magnitude = std::strtoull(digits, &end, 0);
  if (errno == ERANGE || *end != '\0') {
    out.valid = false;
    out.error = errno == ERANGE ? "number out of range" : "not a number";
    return;
  }
  if (type == 'd') {
    out.type = "d";
    return;
  }
  if (type == 0) type = 'i';  // g_variant_parse: an untyped integer is an int32
  static const IntRange ranges[] = {
      {'y', 0, 255},
      {'n', -32768, 32767},
      {'q', 0, 65535},
      {'i', -2147483648.0L, 2147483647.0L},
      {'h', -2147483648.0L, 2147483647.0L},
      {'u', 0, 4294967295.0L},
      {'x', -9223372036854775808.0L, 9223372036854775807.0L},
      {'t', 0, 18446744073709551615.0L},
  };
  const long double v = negative ? -static_cast<long double>(magnitude) : static_cast<long double>(magnitude);
  for (const auto& r : ranges) {
    if (r.type != type) continue;
    if (v < r.min || v > r.max) {
      out.valid = false;
      out.error = "number out of range for type '" + std::string(1, type) + "'";
      return;
    }
  }
  out.type = std::string(1, type);
  if (v >= -9223372036854775808.0L && v <= 9223372036854775807.0L) {
    out.integer = negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
  }
}

void parse_bare(std::string_view s, char type, GVariantText& out) {
  if (s.empty()) {
    out.valid = false;
    out.error = "a value is missing";
    return;
  }
  if (s == "true" || s == "false") {
    if (type != 0 && type != 'b') {
      out.valid = false;
      out.error = "a boolean where type '" + std::string(1, type) + "' is expected";
      return;
    }
    out.type = "b";
    out.integer = s == "true" ? 1 : 0;
    return;
  }
  if (s[0] == '\'' || s[0] == '"') {
    if (s.size() < 2 || s.back() != s[0]) {
      out.valid = false;
      out.error = "unterminated string";
      return;
    }
    if (type != 0 && type != 's' && type != 'o' && type != 'g') {
      out.valid = false;
      out.error = "a string where type '" + std::string(1, type) + "' is expected";
      return;
    }
    out.type = type == 0 ? "s" : std::string(1, type);
    return;
  }
  if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+') {
    parse_number(s, type, out);
    return;
  }
  if (s == "inf" || s == "nan") {
    out.type = "d";
    return;
  }
  if (s[0] == '[' || s[0] == '(' || s[0] == '{' || s[0] == '<' || s.rfind("nothing", 0) == 0 ||
      s.rfind("just ", 0) == 0 || s.rfind("b'", 0) == 0 || s.rfind("b\"", 0) == 0) {
    out.type.clear();  // a container or maybe: not checked here
    return;
  }
  out.valid = false;
  out.error = "unknown keyword";
}

}  // namespace

GVariantText parse_gvariant_text(std::string_view text) {
  GVariantText out;
  std::string_view s = trim_c(text);
  static const std::pair<std::string_view, char> keywords[] = {
      {"boolean", 'b'}, {"byte", 'y'},       {"int16", 'n'},     {"uint16", 'q'}, {"int32", 'i'},
      {"uint32", 'u'},  {"int64", 'x'},      {"uint64", 't'},    {"handle", 'h'}, {"double", 'd'},
      {"string", 's'},  {"objectpath", 'o'}, {"signature", 'g'},
  };
  char type = 0;
  if (!s.empty() && s[0] == '@') {
    const auto blank = s.find_first_of(" \t");
    const std::string_view t =
        s.substr(1, blank == std::string_view::npos ? std::string_view::npos : blank - 1);
    if (t.size() != 1 || std::string_view("bynqiuxthdsog").find(t[0]) == std::string_view::npos) {
      return out;  // a container type annotation: not checked here
    }
    type = t[0];
    s = blank == std::string_view::npos ? std::string_view() : trim_c(s.substr(blank));
  } else {
    for (const auto& [word, t] : keywords) {
      if (s.size() > word.size() && s.substr(0, word.size()) == word && c_space(s[word.size()])) {
        type = t;
        s = trim_c(s.substr(word.size()));
        break;
      }
    }
  }
  parse_bare(s, type, out);
  return out;
}

const std::vector<DconfDefault>& dconf_schema_defaults() {
  static const std::vector<DconfDefault> defaults{
      {"/org/gnome/desktop/session/idle-delay", "uint32 300", "u",
       "/usr/share/glib-2.0/schemas/org.gnome.desktop.session.gschema.xml"},
      {"/org/gnome/desktop/screensaver/lock-enabled", "true", "b",
       "/usr/share/glib-2.0/schemas/org.gnome.desktop.screensaver.gschema.xml"},
      {"/org/gnome/desktop/screensaver/lock-delay", "uint32 0", "u",
       "/usr/share/glib-2.0/schemas/org.gnome.desktop.screensaver.gschema.xml"},
      {"/org/gnome/desktop/screensaver/idle-activation-enabled", "true", "b",
       "/usr/share/glib-2.0/schemas/org.gnome.desktop.screensaver.gschema.xml"},
  };
  return defaults;
}

DconfEvaluation evaluate_dconf(const std::vector<DconfSource>& profile,
                               const std::vector<DconfDbInput>& dbs) {
  DconfEvaluation out;
  struct Db {
    const DconfDbInput* input = nullptr;
    std::vector<std::size_t> rows;              // indexes into out.settings
    std::map<std::string, std::size_t> winner;  // path -> row: the last occurrence
    std::set<std::string> locks;
    bool error = false;
  };
  std::map<std::string, Db> by_name;
  std::set<std::string> in_profile;
  for (const auto& s : profile) {
    if (s.kind == "system-db") in_profile.insert(s.name);
  }

  for (const auto& input : dbs) {
    Db& db = by_name[input.name];
    db.input = &input;
    for (const auto& f : input.keyfiles) {
      const DconfKeyfile kf = parse_dconf_keyfile(f.text);
      if (kf.error) {
        db.error = true;
        out.issues.emplace_back(f.path + ":" + std::to_string(kf.error->line),
                                kf.error->message +
                                    "; `dconf update` refuses this file, so the compiled database '" +
                                    input.name + "' keeps its previous contents");
      }
      for (const auto& e : kf.entries) {
        DconfSetting s;
        s.db = input.name;
        s.path = e.path;
        s.value = e.value;
        s.parsed = parse_gvariant_text(e.value);
        s.in_profile = in_profile.count(input.name) != 0;
        s.file = f.path;
        s.line = e.line;
        db.winner[e.path] = out.settings.size();
        db.rows.push_back(out.settings.size());
        out.settings.push_back(std::move(s));
      }
    }
    for (const auto& f : input.lockfiles) {
      for (const auto& l : parse_dconf_locks(f.text)) {
        if (l.path.find_first_of(" \t\r") != std::string::npos) {
          out.issues.emplace_back(
              f.path + ":" + std::to_string(l.line),
              "the lock has trailing blanks or a carriage return, which dconf keeps as part "
              "of the key: it locks nothing");
        }
        db.locks.insert(l.path);
      }
    }
  }
  for (const auto& s : profile) {
    if (s.kind == "system-db" && by_name.count(s.name) == 0) {
      out.issues.emplace_back(std::string(kDconfDbDir) + "/" + s.name + ".d",
                              "the profile names system-db:" + s.name + " but it has no keyfile directory");
    }
  }
  for (auto& [name, db] : by_name) {
    for (auto r : db.rows) out.settings[r].stale = db.input->stale || db.error;
  }

  // Schema types, to say whether GSettings would accept a value.
  std::map<std::string, const DconfDefault*> schema;
  for (const auto& d : dconf_schema_defaults()) schema[d.path] = &d;
  for (auto& s : out.settings) {
    if (auto it = schema.find(s.path); it != schema.end())
      s.type_ok = s.parsed.valid && s.parsed.type == it->second->type;
  }
  const std::size_t default_start = out.settings.size();
  for (const auto& d : dconf_schema_defaults()) {
    DconfSetting s;
    s.path = d.path;
    s.value = d.value;
    s.parsed = parse_gvariant_text(d.value);
    s.type_ok = true;
    s.is_default = true;
    s.file = d.file;
    out.settings.push_back(std::move(s));
  }

  // dconf_engine_read(): a lock in source i > 0 (the last such source)
  // makes the value come from the first source at or after i that has one;
  // without a lock the writable source 0 (the user's own db) comes first,
  // then the others in order.
  const bool writable = !profile.empty() && (profile[0].kind == "user-db" || profile[0].kind == "service-db");
  std::set<std::string> paths;
  for (const auto& s : out.settings) paths.insert(s.path);
  for (const auto& path : paths) {
    std::size_t lock_level = 0;
    for (std::size_t i = profile.size(); i-- > 1;) {
      if (profile[i].kind != "system-db") continue;
      auto it = by_name.find(profile[i].name);
      if (it != by_name.end() && it->second.locks.count(path) != 0) {
        lock_level = i;
        break;
      }
    }
    const std::size_t start = lock_level > 0 ? lock_level : (writable ? 1 : 0);
    std::optional<std::size_t> chosen;
    for (std::size_t i = start; i < profile.size() && !chosen; ++i) {
      if (profile[i].kind != "system-db") continue;
      auto it = by_name.find(profile[i].name);
      if (it == by_name.end()) continue;
      if (auto w = it->second.winner.find(path); w != it->second.winner.end()) chosen = w->second;
    }
    // GSettings ignores a value of another type than the schema's and uses the default.
    if (chosen && out.settings[*chosen].type_ok == false) chosen.reset();
    for (std::size_t r = 0; r < out.settings.size(); ++r) {
      DconfSetting& s = out.settings[r];
      if (s.path != path) continue;
      s.locked = lock_level > 0;
      if (s.locked) s.locked_by = profile[lock_level].name;
      s.user_writable = !s.locked && writable;
      s.effective = chosen ? *chosen == r : (r >= default_start);
    }
  }
  return out;
}

}  // namespace vigil::collectors
