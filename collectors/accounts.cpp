// The `users` and `groups` tables and the passwd/shadow/group parsers behind
// them. The parsers follow what glibc 2.36's files backend (the one behind
// getpwnam for "passwd: files") accepts, checked against fgetpwent/fgetgrent:
// a line glibc resolves to an account becomes an entry, because an account
// that logins accept but this table omitted would escape every policy.
#include "accounts.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <limits>
#include <map>

#include "collector.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

// glibc has no line limit; a line this long is corruption or an attack on
// parsers, and the warning shows it.
constexpr std::size_t kMaxLineBytes = 64u * 1024u;
constexpr std::size_t kMaxQuotedName = 64;

// Walks the lines of a text in place: no copy of the lines, CR of CRLF dropped.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : text_(text) {}
  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    std::size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    line = text_.substr(pos_, end - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ = end + 1;
    ++number_;
    return true;
  }
  int number() const noexcept { return number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  int number_ = 0;
};

void add_issue(std::vector<ParseIssue>* issues, int line, std::string message) {
  if (issues != nullptr) issues->push_back(ParseIssue{line, std::move(message)});
}

// Names go into messages; bytes that are not UTF-8 or a huge name must not.
std::string quoted(std::string_view name) {
  std::string out = "'" + sanitize_utf8(name.substr(0, kMaxQuotedName));
  if (name.size() > kMaxQuotedName) out += "...";
  return out + "'";
}

// Splits on ':' into at most max_fields; the last field keeps any further
// colons, as glibc's parser does for the passwd shell and the group members.
std::vector<std::string_view> split_fields(std::string_view line, std::size_t max_fields) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < max_fields) {
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) break;
    out.push_back(line.substr(0, colon));
    line.remove_prefix(colon + 1);
  }
  out.push_back(line);
  return out;
}

struct Number {
  std::uint64_t value = 0;
  bool canonical = true;  // plain digits without leading zeros
};

// A number as glibc's INT_FIELD reads it with strtoul: leading white space
// and a sign are accepted, so " 0" and "+0" are uid 0; trailing junk, a
// negative value (other than "-0") or more than max are refused.
std::optional<Number> parse_number(std::string_view s, std::uint64_t max) {
  Number n;
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\v' || s[i] == '\f')) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  const std::size_t digits = i;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(s[i] - '0');
    if (n.value > (max - d) / 10u) return std::nullopt;
    n.value = n.value * 10u + d;
  }
  if (i == digits || (negative && n.value != 0)) return std::nullopt;
  n.canonical = digits == 0 && (s.size() == 1 || s[0] != '0');
  return n;
}

// Lines every parser drops before looking at fields. Returns false to skip.
bool usable_line(std::string_view& line, int number, std::vector<ParseIssue>* issues) {
  if (trim(line).empty() || line.front() == '#') return false;
  if (line.size() > kMaxLineBytes) {
    add_issue(issues, number, "line longer than " + std::to_string(kMaxLineBytes) + " bytes skipped");
    return false;
  }
  // glibc reads lines as C strings, so a NUL ends the line for it too.
  if (std::size_t nul = line.find('\0'); nul != std::string_view::npos) {
    line = line.substr(0, nul);
    add_issue(issues, number, "NUL byte: the rest of the line is ignored, as glibc does");
    if (trim(line).empty()) return false;
  }
  if (line.front() == '+' || line.front() == '-') {
    add_issue(
        issues, number,
        "NIS compat entry " + quoted(line.substr(0, line.find(':'))) + " is not a local account; skipped");
    return false;
  }
  return true;
}

// "entry 'bob' has 6 fields instead of 7; ..." (names only, never values).
std::string fields_message(const char* what, std::string_view name, std::size_t n, const char* rest) {
  return std::string(what) + " " + quoted(name) + " has " + std::to_string(n) + " fields" + rest;
}

// Reads a uid/gid field; nullopt (with an issue) when glibc refuses the line.
std::optional<std::uint32_t> parse_id(std::string_view field, const char* what, std::string_view name,
                                      int number, std::vector<ParseIssue>* issues) {
  auto n = parse_number(field, std::numeric_limits<std::uint32_t>::max());
  if (!n) {
    add_issue(issues, number,
              std::string(what) + " of " + quoted(name) + " is not a number from 0 to 4294967295; skipped");
    return std::nullopt;
  }
  if (!n->canonical) {
    add_issue(issues, number,
              std::string(what) + " of " + quoted(name) + " written as " + quoted(field) + ", read as " +
                  std::to_string(n->value) + " as glibc does");
  }
  return static_cast<std::uint32_t>(n->value);
}

bool all_crypt_chars(std::string_view s) {
  for (char c : s) {
    if (!(c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
          (c >= 'a' && c <= 'z'))) {
      return false;
    }
  }
  return true;
}

// The crypt(3) scheme of a hash, "unknown" for a well-formed "$id$" prefix
// libxcrypt may not know, or "" when the text cannot be a hash at all.
std::string scheme_of(std::string_view h) {
  struct Prefix {
    std::string_view prefix;
    const char* name;
  };
  static constexpr std::array<Prefix, 13> kPrefixes{{{"$y$", "yescrypt"},
                                                     {"$gy$", "gost-yescrypt"},
                                                     {"$7$", "scrypt"},
                                                     {"$2a$", "bcrypt"},
                                                     {"$2b$", "bcrypt"},
                                                     {"$2x$", "bcrypt"},
                                                     {"$2y$", "bcrypt"},
                                                     {"$6$", "sha512"},
                                                     {"$5$", "sha256"},
                                                     {"$1$", "md5"},
                                                     {"$sha1$", "sha1"},
                                                     {"$md5", "sunmd5"},
                                                     {"$3$", "nt"}}};
  if (!h.empty() && h.front() == '$') {
    for (const auto& p : kPrefixes) {
      if (h.size() > p.prefix.size() && h.substr(0, p.prefix.size()) == p.prefix) return p.name;
    }
    // "$id$rest" with an id of letters, digits and '-' is a hash of some
    // scheme; reporting it as such lets policies flag the scheme as unknown.
    std::size_t end = h.find('$', 1);
    if (end == std::string_view::npos || end == 1 || end + 1 >= h.size()) return "";
    for (char c : h.substr(1, end - 1)) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return "";
    }
    return "unknown";
  }
  if (h.size() == 20 && h.front() == '_' && all_crypt_chars(h.substr(1))) return "bsdicrypt";
  if (h.size() == 13 && all_crypt_chars(h)) return "des";
  return "";
}

std::string_view strip_lock(std::string_view field) {
  while (!field.empty() && field.front() == '!') field.remove_prefix(1);
  return field;
}

}  // namespace

std::vector<PasswdEntry> parse_passwd(std::string_view text, std::vector<ParseIssue>* issues) {
  std::vector<PasswdEntry> out;
  LineCursor cursor(text);
  std::string_view line;
  while (cursor.next(line)) {
    const int number = cursor.number();
    if (!usable_line(line, number, issues)) continue;
    auto f = split_fields(line, 7);
    // glibc needs name, password, uid and gid; missing later fields read as
    // empty (so a missing shell is /bin/sh), a longer line goes to the shell.
    if (f.size() < 4) {
      add_issue(issues, number,
                fields_message("entry", f[0], f.size(), ", glibc needs at least 4 of 7; skipped"));
      continue;
    }
    auto uid = parse_id(f[2], "uid", f[0], number, issues);
    auto gid = uid ? parse_id(f[3], "gid", f[0], number, issues) : std::nullopt;
    if (!uid || !gid) continue;
    if (f.size() < 7) {
      add_issue(issues, number,
                fields_message("entry", f[0], f.size(),
                               " instead of 7; kept as glibc reads it, missing fields empty"));
    } else if (f[6].find(':') != std::string_view::npos) {
      const auto n = static_cast<std::size_t>(std::count(line.begin(), line.end(), ':')) + 1;
      add_issue(
          issues, number,
          fields_message("entry", f[0], n, " instead of 7; kept as glibc reads it, the rest is the shell"));
    }
    PasswdEntry e;
    e.name = f[0];
    e.password = f[1];
    e.uid = *uid;
    e.gid = *gid;
    if (f.size() > 4) e.gecos = f[4];
    if (f.size() > 5) e.home = f[5];
    if (f.size() > 6) e.shell = f[6];
    e.line = number;
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<ShadowEntry> parse_shadow(std::string_view text, std::vector<ParseIssue>* issues) {
  std::vector<ShadowEntry> out;
  LineCursor cursor(text);
  std::string_view line;
  while (cursor.next(line)) {
    const int number = cursor.number();
    if (!usable_line(line, number, issues)) continue;
    auto f = split(line, ':');
    // Messages name the account only: a shadow line is never quoted.
    if (f.size() != 9) {
      add_issue(issues, number, fields_message("entry", f[0], f.size(), " instead of 9; skipped"));
      continue;
    }
    ShadowEntry e;
    e.name = f[0];
    e.hash = f[1];
    e.line = number;
    std::array<std::optional<std::int64_t>*, 6> aging{&e.last_change, &e.min_days,      &e.max_days,
                                                      &e.warn_days,   &e.inactive_days, &e.expire_date};
    bool ok = true;
    // The 9th (reserved) field must be empty or a number too, as for glibc.
    for (std::size_t i = 0; i < 7 && ok; ++i) {
      if (f[i + 2].empty()) continue;
      auto n = parse_number(f[i + 2], static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
      if (!n) {
        add_issue(issues, number,
                  "entry " + quoted(f[0]) + ": field " + std::to_string(i + 3) + " is not a number; skipped");
        ok = false;
      } else if (i < aging.size()) {
        *aging[i] = static_cast<std::int64_t>(n->value);
      }
    }
    if (ok) out.push_back(std::move(e));
  }
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text, std::vector<ParseIssue>* issues) {
  std::vector<GroupEntry> out;
  LineCursor cursor(text);
  std::string_view line;
  while (cursor.next(line)) {
    const int number = cursor.number();
    if (!usable_line(line, number, issues)) continue;
    auto f = split_fields(line, 4);
    if (f.size() < 3) {
      add_issue(issues, number,
                fields_message("group", f[0], f.size(), ", glibc needs at least 3 of 4; skipped"));
      continue;
    }
    auto gid = parse_id(f[2], "gid", f[0], number, issues);
    if (!gid) continue;
    if (f.size() < 4) {
      add_issue(issues, number, fields_message("group", f[0], 3, " instead of 4; kept with no members"));
    }
    GroupEntry e;
    e.name = f[0];
    e.password = f[1];
    e.gid = *gid;
    e.line = number;
    // glibc trims blanks around member names and drops empty ones.
    if (f.size() == 4) {
      for (auto m : split(f[3], ',')) {
        m = trim(m);
        if (!m.empty()) e.members.emplace_back(m);
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string password_state(std::string_view field) {
  if (field.empty()) return "empty";
  if (!scheme_of(field).empty()) return "hashed";
  if (field.front() == '!' && !scheme_of(strip_lock(field)).empty()) return "locked";
  return "none";
}

std::string hash_algorithm(std::string_view field) {
  return scheme_of(strip_lock(field));
}

bool is_login_shell(std::string_view shell) {
  static constexpr std::array<std::string_view, 12> kNonLogin{
      "/usr/sbin/nologin", "/sbin/nologin",      "/bin/false", "/usr/bin/false",
      "/bin/true",         "/usr/bin/true",      "/bin/sync",  "/usr/bin/sync",
      "/sbin/shutdown",    "/usr/sbin/shutdown", "/sbin/halt", "/usr/sbin/halt"};
  for (auto s : kNonLogin) {
    if (shell == s) return false;
  }
  return true;
}

namespace {

constexpr std::string_view kPasswd = "/etc/passwd";
constexpr std::string_view kShadow = "/etc/shadow";
constexpr std::string_view kGroup = "/etc/group";

// A corrupt or hostile file must not flood the report: the first issues
// locate the problem, a count tells its size.
constexpr std::size_t kMaxWarningsPerFile = 100;

void report(CollectContext& ctx, std::string_view file, const std::vector<ParseIssue>& issues) {
  for (std::size_t i = 0; i < issues.size() && i < kMaxWarningsPerFile; ++i) {
    ctx.warn(std::string(file) + ":" + std::to_string(issues[i].line), issues[i].message);
  }
  if (issues.size() > kMaxWarningsPerFile) {
    ctx.warn(std::string(file),
             std::to_string(issues.size() - kMaxWarningsPerFile) + " more issues not shown");
  }
}

Value opt_int(const std::optional<std::int64_t>& v) {
  return v ? int_value(*v) : null_value();
}

Status collect_users(CollectContext& ctx, std::vector<Row>& rows) {
  auto passwd = ctx.host().read_file(kPasswd);
  if (passwd.is(Errc::not_found)) {
    ctx.warn(std::string(kPasswd), "file absent: no local accounts");
    return Status::success();
  }
  if (!passwd) return make_error(passwd.error().code, std::string(kPasswd) + ": " + passwd.error().message);

  // Without shadow the password state is unknown, not absent: a read error
  // fails the table rather than report "missing" for every account.
  std::vector<ShadowEntry> shadow;
  auto shadow_file = ctx.host().read_file(kShadow);
  std::vector<ParseIssue> issues;
  if (shadow_file.is(Errc::not_found)) {
    ctx.warn(std::string(kShadow), "file absent: accounts with password 'x' have no password entry");
  } else if (!shadow_file) {
    return make_error(shadow_file.error().code, std::string(kShadow) + ": " + shadow_file.error().message);
  } else {
    shadow = parse_shadow(shadow_file->data, &issues);
    report(ctx, kShadow, issues);
  }
  // getspnam returns the first entry of a name.
  std::map<std::string_view, const ShadowEntry*> by_name;
  for (const auto& s : shadow) {
    auto [it, inserted] = by_name.emplace(s.name, &s);
    if (!inserted) {
      ctx.warn(
          std::string(kShadow) + ":" + std::to_string(s.line),
          "duplicate entry " + quoted(s.name) + "; line " + std::to_string(it->second->line) + " is used");
    }
  }

  issues.clear();
  auto users = parse_passwd(passwd->data, &issues);
  report(ctx, kPasswd, issues);
  for (const auto& u : users) {
    auto found = by_name.find(u.name);
    const ShadowEntry* sp = found == by_name.end() ? nullptr : found->second;
    // pam_unix consults shadow only when the passwd field is "x".
    std::string_view field = u.password;
    std::string_view source = "passwd";
    if (u.password == "x") {
      source = sp != nullptr ? "shadow" : "missing";
      field = sp != nullptr ? std::string_view(sp->hash) : std::string_view();
    }
    const bool missing = source == "missing";
    static const ShadowEntry kNoShadow;  // every aging field NULL
    const ShadowEntry& sh = sp != nullptr ? *sp : kNoShadow;
    rows.push_back(Row{text_value(u.name), int_value(u.uid), int_value(u.gid), text_value(u.gecos),
                       text_value(u.home), text_value(u.shell), bool_value(is_login_shell(u.shell)),
                       text_value(missing ? "none" : password_state(field)), text_value(source),
                       text_value(missing ? "" : hash_algorithm(field)), opt_int(sh.last_change),
                       opt_int(sh.min_days), opt_int(sh.max_days), opt_int(sh.warn_days),
                       opt_int(sh.inactive_days), opt_int(sh.expire_date), text_value(kPasswd),
                       int_value(u.line), sp != nullptr ? int_value(sp->line) : null_value()});
  }
  return Status::success();
}

Status collect_groups(CollectContext& ctx, std::vector<Row>& rows) {
  auto group = ctx.host().read_file(kGroup);
  if (group.is(Errc::not_found)) {
    ctx.warn(std::string(kGroup), "file absent: no local groups");
    return Status::success();
  }
  if (!group) return make_error(group.error().code, std::string(kGroup) + ": " + group.error().message);
  std::vector<ParseIssue> issues;
  auto groups = parse_group(group->data, &issues);
  report(ctx, kGroup, issues);
  for (const auto& g : groups) {
    rows.push_back(Row{text_value(g.name), int_value(g.gid), text_value(join(g.members, ",")),
                       int_value(static_cast<std::int64_t>(g.members.size())), text_value(kGroup),
                       int_value(g.line)});
  }
  return Status::success();
}

TableDef users_table() {
  using T = ColumnType;
  return TableDef{
      "users",
      "One row per entry of /etc/passwd as glibc's files backend reads it, with its /etc/shadow entry "
      "(the first of that name). Lines glibc would also accept but that are not well formed (fewer than "
      "7 fields, a uid written ' 0') are rows and warnings; lines glibc refuses and NIS '+'/'-' entries "
      "are warnings only. An absent /etc/passwd gives no rows and a warning.",
      {
          {"name", T::text, "login name, raw bytes"},
          {"uid", T::integer, "user id"},
          {"gid", T::integer, "primary group id"},
          {"gecos", T::text, "comment field"},
          {"home", T::text, "home directory"},
          {"shell", T::text, "shell as written; empty means /bin/sh"},
          {"login_shell", T::integer,
           "0 for /usr/sbin/nologin, /sbin/nologin, /bin/false, /usr/bin/false, /bin/true, /usr/bin/true, "
           "/bin/sync, /usr/bin/sync, /sbin/shutdown, /usr/sbin/shutdown, /sbin/halt, /usr/sbin/halt "
           "(they run one program, not a command interpreter); 1 for any other shell, including empty"},
          {"password_state", T::text,
           "empty (no password asked), none (no password can match: '*', '!', '!!', or no shadow entry), "
           "locked ('!' before a hash), hashed (a crypt(3) hash)"},
          {"password_source", T::text,
           "shadow (passwd field 'x' and a shadow entry), missing ('x' without one), passwd (anything "
           "else: the passwd field itself is the password, as pam_unix reads it)"},
          {"hash_algorithm", T::text,
           "yescrypt, gost-yescrypt, scrypt, bcrypt, sha512, sha256, md5, sha1, sunmd5, nt, bsdicrypt, des, "
           "unknown (a '$id$' scheme not listed), or '' when there is no hash; a lock '!' is ignored"},
          {"last_change", T::integer,
           "days since 1970-01-01 of the last change, 0 = must change; NULL if empty"},
          {"min_days", T::integer, "minimum password age in days; NULL if empty"},
          {"max_days", T::integer, "maximum password age in days; NULL if empty"},
          {"warn_days", T::integer, "warning period in days; NULL if empty"},
          {"inactive_days", T::integer, "days after expiry before the account is disabled; NULL if empty"},
          {"expire_date", T::integer, "account expiry, days since 1970-01-01; NULL if empty"},
          {"file", T::text, "/etc/passwd"},
          {"line", T::integer, "1-based line in /etc/passwd"},
          {"shadow_line", T::integer, "1-based line in /etc/shadow, NULL without an entry"},
      },
      collect_users,
  };
}

TableDef groups_table() {
  using T = ColumnType;
  return TableDef{
      "groups",
      "One row per entry of /etc/group as glibc's files backend reads it. An absent file gives no rows "
      "and a warning.",
      {
          {"name", T::text, "group name, raw bytes"},
          {"gid", T::integer, "group id"},
          {"members", T::text,
           "member names joined by ',' as glibc reads them (blanks around names and "
           "empty names dropped)"},
          {"member_count", T::integer, "number of member names"},
          {"file", T::text, "/etc/group"},
          {"line", T::integer, "1-based line in /etc/group"},
      },
      collect_groups,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(users_table());
VIGIL_REGISTER_TABLE(groups_table());

}  // namespace vigil::collectors
