// The pure half of the sudoers tables (see sudoers.cpp for the rules sudo
// reads by): line lexing, Defaults, alias and user-spec parsing, text in and
// rows out. The include walk and the tables are in sudoers.cpp.
#include <algorithm>
#include <array>
#include <utility>

#include "host.hpp"
#include "strings.hpp"
#include "sudoers.hpp"
#include "sudoers_internal.hpp"

namespace vigil::collectors {

namespace {

using sudoers_detail::closing_quote;
using sudoers_detail::is_blank;
using sudoers_detail::one_of;
using sudoers_detail::squeeze;
using sudoers_detail::starts_comment;
using sudoers_detail::starts_with;
using sudoers_detail::unescape;

struct Logical {
  std::string text;
  int line = 0;
  bool hash_include = false;  // a "#include"/"#includedir" line, kept whole
};

// Joins continued lines and cuts comments; each logical line keeps the number
// of its first physical line, which is where sudo's messages point.
std::vector<Logical> logical_lines(std::string_view text) {
  std::vector<Logical> out;
  const auto lines = split_lines(text);
  bool continuing = false;
  bool quoted = false;
  for (std::size_t k = 0; k < lines.size(); ++k) {
    std::string_view s = lines[k];
    if (!continuing) {
      out.push_back(Logical{"", static_cast<int>(k) + 1, false});
      quoted = false;
      if ((starts_with(s, "#include ") || starts_with(s, "#include\t") || starts_with(s, "#includedir ") ||
           starts_with(s, "#includedir\t"))) {
        out.back().text = std::string(s);
        out.back().hash_include = true;
        continue;
      }
    } else if (quoted) {
      // Inside a string the continuation and the next line's indent vanish.
      while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    }
    std::size_t cut = std::string_view::npos;
    for (std::size_t i = 0; i < s.size() && cut == std::string_view::npos; ++i) {
      if (s[i] == '\\') {
        ++i;
      } else if (s[i] == '"') {
        quoted = !quoted;
      } else if (s[i] == '#' && !quoted && starts_comment(s, i)) {
        cut = i;
      }
    }
    std::string_view piece = s.substr(0, cut);
    continuing = false;
    if (cut == std::string_view::npos) {
      std::string_view body = piece;
      while (!body.empty() && is_blank(body.back())) body.remove_suffix(1);
      std::size_t slashes = 0;
      while (slashes < body.size() && body[body.size() - 1 - slashes] == '\\') ++slashes;
      if (slashes % 2 == 1) {
        continuing = true;
        piece = body.substr(0, body.size() - 1);
      }
    }
    out.back().text += piece;
    if (continuing && !quoted) out.back().text += ' ';
  }
  return out;
}

enum class Tok { word, str, cmnd, lparen, rparen, comma, equals, colon, bang, tag };
struct Token {
  Tok kind;
  std::size_t begin;
  std::size_t end;
  std::string_view text;
};

constexpr std::array<std::string_view, 8> kTagFamilies = {"PASSWD",     "EXEC", "SETENV", "LOG_INPUT",
                                                          "LOG_OUTPUT", "MAIL", "FOLLOW", "INTERCEPT"};
int tag_family(std::string_view word) {
  if (starts_with(word, "NO")) word.remove_prefix(2);
  for (std::size_t i = 0; i < kTagFamilies.size(); ++i) {
    if (kTagFamilies[i] == word) return static_cast<int>(i);
  }
  return -1;
}
bool is_digest(std::string_view w) {
  return one_of(w, {"sha224", "sha256", "sha384", "sha512"});
}
bool is_option(std::string_view w) {
  return one_of(w, {"ROLE", "TYPE", "CHROOT", "CWD", "TIMEOUT", "NOTBEFORE", "NOTAFTER", "APPARMOR_PROFILE",
                    "PRIVS", "LIMITPRIVS"});
}

// A command runs to the next unescaped ':', ',', '=' or '#' (toke.l's GOTCMND).
std::size_t command_end(std::string_view s, std::size_t j) {
  if (j < s.size() && s[j] == '^') {  // a regular expression runs to its '$' first
    while (j < s.size() && s[j] != '$') j += s[j] == '\\' ? 2u : 1u;
    if (j >= s.size()) return std::string_view::npos;
  }
  while (j < s.size() && std::string_view(":,=#").find(s[j]) == std::string_view::npos) {
    j += s[j] == '\\' && j + 1 < s.size() ? 2u : 1u;
  }
  while (j > 0 && is_blank(s[j - 1])) --j;
  return j;
}

Result<std::vector<Token>> lex(std::string_view s) {
  std::vector<Token> out;
  auto push = [&](Tok k, std::size_t b, std::size_t e) { out.push_back(Token{k, b, e, s.substr(b, e - b)}); };
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const std::size_t single = std::string_view("(),=:").find(c);
    // CWD= and CHROOT= take a path that is a word, not a command with arguments.
    const bool want_path = out.size() >= 2 && out.back().kind == Tok::equals &&
                           one_of(out[out.size() - 2].text, {"CWD", "CHROOT"});
    if (is_blank(c)) {
      ++i;
    } else if (single != std::string_view::npos) {
      constexpr Tok kinds[] = {Tok::lparen, Tok::rparen, Tok::comma, Tok::equals, Tok::colon};
      push(kinds[single], i, i + 1);
      ++i;
    } else if (c == '!') {
      std::size_t j = i;
      while (j < s.size() && s[j] == '!') ++j;
      if ((j - i) % 2 == 1) push(Tok::bang, i, j);  // "!!x" is x again
      i = j;
    } else if (c == '"') {
      const std::size_t e = closing_quote(s, i);
      if (e == std::string_view::npos) return make_error(Errc::parse, "unterminated string");
      push(Tok::str, i, e + 1);
      i = e + 1;
    } else if ((c == '/' || c == '^') && !want_path) {
      const std::size_t e = command_end(s, i);
      if (e == std::string_view::npos) return make_error(Errc::parse, "unterminated regular expression");
      push(Tok::cmnd, i, e);
      i = e;
    } else {
      std::size_t j = i;
      while (j < s.size() && !is_blank(s[j]) &&
             std::string_view("!=:,()\">").find(s[j]) == std::string_view::npos)
        j += s[j] == '\\' && j + 1 < s.size() ? 2u : 1u;
      if (j == i) return make_error(Errc::parse, std::string("unexpected '") + c + "'");
      const std::string_view word = s.substr(i, j - i);
      std::size_t k = j;
      while (k < s.size() && is_blank(s[k])) ++k;
      if (word == "sudoedit") {
        const std::size_t e = command_end(s, i);
        push(Tok::cmnd, i, e);
        j = e;
      } else if (tag_family(word) >= 0 && k < s.size() && s[k] == ':') {
        push(Tok::tag, i, j);
        j = k + 1;
      } else {
        push(Tok::word, i, j);
      }
      i = j;
    }
  }
  return out;
}

// What carries over from one command to the next within one Cmnd_Spec_List.
struct SpecState {
  std::optional<std::string> runas;
  std::vector<std::pair<std::string, std::string>> options;
  std::array<std::string, kTagFamilies.size()> tags;
};

class SpecParser {
 public:
  SpecParser(std::string_view src, const std::vector<Token>& t, std::size_t start)
      : src_(src), t_(t), p_(start) {}

  Status user_spec(const std::string& file, int line, std::vector<SudoersRule>& rows) {
    std::string users;
    std::string hosts;
    if (!list(users)) return fail("expected a user");
    do {
      if (!list(hosts)) return fail("expected a host");
      if (!take(Tok::equals)) return fail("expected '=' after the host list");
      SpecState st;
      do {
        SudoersRule r;
        if (Status s = cmnd_spec(st, r); !s) return s;
        r.users = users;
        r.hosts = hosts;
        r.file = file;
        r.line = line;
        rows.push_back(std::move(r));
      } while (take(Tok::comma));
    } while (take(Tok::colon));
    return p_ == t_.size() ? Status::success() : fail("unexpected '" + std::string(t_[p_].text) + "'");
  }

  Status alias_defs(std::string_view kind, const std::string& file, int line,
                    std::vector<SudoersAlias>& rows) {
    do {
      if (!at(Tok::word)) return fail("expected an alias name");
      const std::string name(t_[p_++].text);
      const bool upper = name[0] >= 'A' && name[0] <= 'Z';
      if (!upper || name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos)
        return fail("invalid alias name '" + name + "'");
      if (!take(Tok::equals)) return fail("expected '=' after alias " + name);
      const std::size_t a = p_;
      // A ':' ends the definition unless it belongs to a digest ("sha256:...").
      while (p_ < t_.size() && !(at(Tok::colon) && !(p_ > a && is_digest(t_[p_ - 1].text)))) ++p_;
      if (p_ == a) return fail("alias " + name + " has no members");
      rows.push_back(SudoersAlias{std::string(kind), name, span(a, p_), file, line});
    } while (take(Tok::colon));
    return Status::success();
  }

 private:
  bool at(Tok k) const { return p_ < t_.size() && t_[p_].kind == k; }
  bool take(Tok k) { return at(k) ? (++p_, true) : false; }
  Status fail(std::string why) const { return make_error(Errc::parse, std::move(why)); }
  std::string span(std::size_t a, std::size_t b) const {
    return squeeze(src_.substr(t_[a].begin, t_[b - 1].end - t_[a].begin));
  }

  // item {',' item}, item = ['!'] word-or-string; users and hosts are
  // separated by blanks only, so the list ends at the first item without ','.
  bool list(std::string& text) {
    const std::size_t a = p_;
    do {
      take(Tok::bang);
      if (!take(Tok::word) && !take(Tok::str)) return false;
    } while (take(Tok::comma));
    text = span(a, p_);
    return true;
  }

  Status cmnd_spec(SpecState& st, SudoersRule& r) {
    if (take(Tok::lparen)) {
      const std::size_t a = p_;
      while (p_ < t_.size() && !at(Tok::rparen) && !at(Tok::lparen)) ++p_;
      if (!at(Tok::rparen)) return fail("unterminated Runas specification");
      st.runas = p_ == a ? std::string() : span(a, p_);
      ++p_;
    }
    while (at(Tok::word) && is_option(t_[p_].text) && p_ + 1 < t_.size() && t_[p_ + 1].kind == Tok::equals) {
      const std::string name(t_[p_].text);
      p_ += 2;
      if (!at(Tok::word) && !at(Tok::str)) return fail("expected a value for " + name);
      const std::string value = squeeze(t_[p_++].text);
      auto it =
          std::find_if(st.options.begin(), st.options.end(), [&](const auto& o) { return o.first == name; });
      if (it != st.options.end()) {
        it->second = value;
      } else {
        st.options.emplace_back(name, value);
      }
    }
    while (at(Tok::tag)) {
      const std::string_view tag = t_[p_++].text;
      st.tags[static_cast<std::size_t>(tag_family(tag))] = std::string(tag);
    }
    const std::size_t a = p_;
    take(Tok::bang);
    if (at(Tok::word) && is_digest(t_[p_].text) && p_ + 1 < t_.size() && t_[p_ + 1].kind == Tok::colon) {
      p_ += 2;
      if (!take(Tok::word)) return fail("expected a digest");
      if (!take(Tok::cmnd)) return fail("expected a command after the digest");
    } else if (!take(Tok::cmnd) && !take(Tok::word)) {
      return fail("expected a command");
    }
    r.command = span(a, p_);
    r.runas = st.runas;
    std::vector<std::string> opts;
    for (const auto& [n, v] : st.options) opts.push_back(n + "=" + v);
    r.options = join(opts, " ");
    std::vector<std::string> tags;
    for (const auto& t : st.tags) {
      if (!t.empty()) tags.push_back(t);
    }
    r.tags = join(tags, ",");
    r.nopasswd = st.tags[0] == "NOPASSWD";
    return Status::success();
  }

  std::string_view src_;
  const std::vector<Token>& t_;
  std::size_t p_;
};

// "name", "!name", "name=value", "name += \"a b\"" (one entry of a Defaults line).
Result<SudoersDefault> default_entry(std::string_view e) {
  SudoersDefault d;
  int bangs = 0;
  for (e = trim(e); !e.empty() && e.front() == '!'; e = trim(e.substr(1))) ++bangs;
  d.negated = bangs % 2 == 1;
  std::size_t n = 0;
  while (n < e.size() && ((e[n] >= 'a' && e[n] <= 'z') || e[n] == '_')) ++n;
  d.name = std::string(e.substr(0, n));
  if (d.name.empty()) return make_error(Errc::parse, "expected a Defaults name");
  std::string_view rest = trim(e.substr(n));
  if (rest.empty()) return d;
  for (std::string_view op : {"+=", "-=", "="}) {
    if (starts_with(rest, op)) d.op = std::string(op);
  }
  if (d.op.empty()) return make_error(Errc::parse, "unexpected text after " + d.name);
  if (bangs > 0) return make_error(Errc::parse, "a negated Defaults entry takes no value: " + d.name);
  rest = trim(rest.substr(d.op.size()));
  if (!rest.empty() && rest.front() == '"') {
    const std::size_t q = closing_quote(rest, 0);
    if (q == std::string_view::npos || !trim(rest.substr(q + 1)).empty() || q == 1)
      return make_error(Errc::parse, "bad quoted value for " + d.name);
    std::string v;
    for (std::size_t i = 1; i < q; ++i) {
      if (rest[i] == '\\' && rest[i + 1] == '"') ++i;  // only \" is an escape inside quotes
      v += rest[i];
    }
    d.value = std::move(v);
  } else {
    if (rest.empty() || squeeze(rest).find(' ') != std::string::npos)
      return make_error(Errc::parse, "bad value for " + d.name);
    d.value = unescape(rest);
  }
  return d;
}

// Splits on ',' outside quotes and escapes.
std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == ',') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    } else if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      const std::size_t q = closing_quote(s, i);
      i = q == std::string_view::npos ? s.size() - 1 : q;
    }
  }
  return out;
}

// s follows "Defaults": an optional scope ([:@>!] then a list whose commas may
// have blanks around them), blanks, then comma-separated entries.
Result<std::vector<SudoersDefault>> defaults_line(std::string_view s) {
  std::string scope;
  if (!s.empty() && std::string_view(":@>!").find(s.front()) != std::string_view::npos) {
    std::size_t j = 1;
    std::vector<std::string> items;
    for (;;) {
      while (j < s.size() && is_blank(s[j])) ++j;
      const std::size_t a = j;
      while (j < s.size() && !is_blank(s[j]) && s[j] != ',') {
        const std::size_t q = s[j] == '"' ? closing_quote(s, j) : j;
        j = (q == std::string_view::npos ? s.size() : q) + (s[j] == '\\' ? 2u : 1u);
      }
      j = std::min(j, s.size());
      if (j == a) return make_error(Errc::parse, "empty Defaults scope");
      items.emplace_back(s.substr(a, j - a));
      std::size_t k = j;
      while (k < s.size() && is_blank(s[k])) ++k;
      if (k >= s.size() || s[k] != ',') break;
      j = k + 1;
    }
    scope = std::string(1, s.front()) + join(items, ",");
    s = s.substr(j);
  }
  if (trim(s).empty()) return make_error(Errc::parse, "Defaults without a setting");
  std::vector<SudoersDefault> out;
  for (std::string_view e : split_commas(s)) {
    auto d = default_entry(e);
    if (!d) return std::move(d).error();
    d->scope = scope;
    out.push_back(std::move(*d));
  }
  return out;
}

// The path of an include line after the directive word: a double-quoted
// string, or a word in which "\ " stands for a blank.
Result<std::string> include_path(std::string_view rest) {
  rest = trim(rest);
  std::size_t end = 0;
  std::string path;
  if (!rest.empty() && rest.front() == '"') {
    end = closing_quote(rest, 0);
    if (end == std::string_view::npos) return make_error(Errc::parse, "unterminated include path");
    path = unescape(rest.substr(1, end - 1));
    ++end;
  } else {
    while (end < rest.size() && !is_blank(rest[end]))
      end += rest[end] == '\\' && end + 1 < rest.size() ? 2u : 1u;
    path = unescape(rest.substr(0, std::min(end, rest.size())));
  }
  const std::string_view after = trim(rest.substr(std::min(end, rest.size())));
  if (!after.empty() && !(after.front() == '#' && starts_comment(after, 0)))
    return make_error(Errc::parse, "unexpected text after the include path");
  if (path.empty()) return make_error(Errc::parse, "include without a path");
  return path;
}

// The length of "@include"/"@includedir" (or '#' ones) starting t, if a blank follows; else 0.
std::size_t include_word(std::string_view t, char lead) {
  for (std::string_view w : {"includedir", "include"}) {
    if (t.size() > w.size() + 1 && t[0] == lead && t.substr(1, w.size()) == w && is_blank(t[w.size() + 1]))
      return w.size() + 1;
  }
  return 0;
}

std::string dir_of(std::string_view file) {
  const std::size_t slash = file.rfind('/');
  return slash == std::string_view::npos || slash == 0 ? "/" : std::string(file.substr(0, slash));
}

}  // namespace

Status parse_sudoers(std::string_view file, std::string_view text, Sudoers& out,
                     const SudoersIncludeFn& on_include, std::string_view short_host) {
  const std::string f(file);
  auto issue = [&](int line, std::string msg) {
    out.issues.push_back(SudoersIssue{f, line, std::move(msg)});
  };
  constexpr const char* kSkipped = "; sudo reports a parse error and skips the line";
  for (const auto& l : logical_lines(text)) {
    const std::string_view t = trim(l.text);
    if (t.empty()) continue;
    if (const std::size_t w = include_word(t, l.hash_include ? '#' : '@'); w > 0) {
      auto path = include_path(t.substr(w));
      if (!path) {
        issue(l.line, path.error().message + kSkipped);
        continue;
      }
      if (path->find("%h") != std::string::npos) {
        if (short_host.empty()) {
          issue(l.line, "include " + *path + ": the host name for %h is unknown; the directive is skipped");
          continue;
        }
        for (auto p = path->find("%h"); p != std::string::npos; p = path->find("%h", p + short_host.size()))
          path->replace(p, 2, short_host);
      }
      const SudoersInclude inc{resolve_relative(dir_of(file), *path), t[8] == 'd', f, l.line};
      if (on_include) {
        if (Status s = on_include(inc); !s) return s;
      }
      continue;
    }
    if (starts_with(t, "Defaults") &&
        (t.size() == 8 || std::string_view(" \t:@>!").find(t[8]) != std::string_view::npos)) {
      auto d = defaults_line(t.substr(8));
      if (!d) {
        issue(l.line, d.error().message + kSkipped);
        continue;
      }
      for (auto& row : *d) {
        row.file = f;
        row.line = l.line;
        out.defaults.push_back(std::move(row));
      }
      continue;
    }
    auto tokens = lex(t);
    if (!tokens) {
      issue(l.line, tokens.error().message + kSkipped);
      continue;
    }
    const std::string_view head = tokens->front().kind == Tok::word ? tokens->front().text : "";
    Status st;
    if (one_of(head, {"User_Alias", "Runas_Alias", "Host_Alias", "Cmnd_Alias", "Cmd_Alias"})) {
      std::vector<SudoersAlias> rows;
      st = SpecParser(t, *tokens, 1).alias_defs(head == "Cmd_Alias" ? "Cmnd_Alias" : head, f, l.line, rows);
      if (st) out.aliases.insert(out.aliases.end(), rows.begin(), rows.end());
    } else {
      std::vector<SudoersRule> rows;
      st = SpecParser(t, *tokens, 0).user_spec(f, l.line, rows);
      if (st) out.rules.insert(out.rules.end(), rows.begin(), rows.end());
    }
    if (!st) issue(l.line, st.error().message + kSkipped);
  }
  return Status::success();
}

}  // namespace vigil::collectors
