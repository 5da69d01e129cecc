// The sysctl.d reader of systemd-sysctl 252 as pure functions (see
// sysctl.hpp). Followed from systemd v252: parse_file() and
// apply_glob_option_with_prefix() in src/sysctl/sysctl.c, sysctl_normalize()
// in src/basic/sysctl-util.c, read_line_full() in src/basic/fileio.c and
// files_add() in src/basic/conf-files.c.
#include <fnmatch.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "file.hpp"
#include "strings.hpp"
#include "sysctl.hpp"

namespace vigil::collectors {

namespace {

enum Eol : unsigned { kNone = 0, kZero = 1, kTen = 2, kThirteen = 4 };

unsigned eol_of(char c) noexcept {
  if (c == '\n') return kTen;
  if (c == '\r') return kThirteen;
  if (c == '\0') return kZero;
  return kNone;
}

// strstrip(): WHITESPACE is " \t\n\r".
std::string_view strstrip(std::string_view s) noexcept {
  constexpr std::string_view kWhitespace = " \t\n\r";
  const auto b = s.find_first_not_of(kWhitespace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kWhitespace) - b + 1);
}

// A number as proc_get_long() reads written text: an optional '-', then
// strtoul(base 0). Decimal only when base10 (the kernel prints decimal).
std::optional<long double> kernel_number(std::string_view s, bool base10) {
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (!base10 && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (!base10 && s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  unsigned long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  const auto d = static_cast<long double>(v);
  return negative ? -d : d;
}

std::vector<std::string_view> blank_fields(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (i < s.size()) {
    while (i < s.size() && blank(s[i])) ++i;
    const std::size_t start = i;
    while (i < s.size() && !blank(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

}  // namespace

SysctlLines split_systemd_lines(std::string_view text, std::size_t max) {
  SysctlLines out;
  std::size_t i = 0;
  int number = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size() && eol_of(text[i]) == kNone) ++i;
    ++number;
    if (i - start >= max) {
      out.too_long_line = number;
      return out;
    }
    out.lines.push_back(SysctlLine{text.substr(start, i - start), number});
    unsigned seen = kNone;
    while (i < text.size()) {
      const unsigned e = eol_of(text[i]);
      if ((seen & kZero) != 0 || e == kNone || (e & seen) != 0) break;
      seen |= e;
      ++i;
    }
  }
  return out;
}

std::string sysctl_normalize(std::string_view key) {
  std::string s(key);
  const auto first = s.find_first_of("/.");
  if (first != std::string::npos && s[first] == '.') {
    for (std::size_t i = first; i < s.size(); ++i) {
      if (s[i] == '.')
        s[i] = '/';
      else if (s[i] == '/')
        s[i] = '.';
    }
  }
  // path_simplify(): drop empty and "." components and trailing slashes; keep "..".
  const bool absolute = !s.empty() && s.front() == '/';
  std::string out;
  for (auto part : split(s, '/')) {
    if (part.empty() || part == ".") continue;
    if (!out.empty()) out.push_back('/');
    out.append(part);
  }
  // The leading slash is then removed, unless the key is "/" itself.
  if (out.empty() && absolute) return "/";
  return out;
}

std::string sysctl_dotted(std::string_view path_key) {
  std::string s(path_key);
  for (char& c : s) {
    if (c == '/')
      c = '.';
    else if (c == '.')
      c = '/';
  }
  return s;
}

bool sysctl_is_glob(std::string_view key) noexcept {
  return key.find_first_of("*?[") != std::string_view::npos;
}

bool sysctl_key_is_safe(std::string_view path_key) noexcept {
  if (path_key.empty() || path_key.front() == '/' || path_key.find('\0') != std::string_view::npos)
    return false;
  for (auto part : split(path_key, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

SysctlFile parse_sysctl_file(std::string_view text) {
  SysctlFile out;
  const SysctlLines lines = split_systemd_lines(text);
  for (const auto& l : lines.lines) {
    std::string_view p = strstrip(l.text);
    if (p.empty() || p.front() == '#' || p.front() == ';') continue;
    SysctlAssignment a;
    a.line = l.number;
    const auto eq = p.find('=');
    std::string_view key;
    if (eq != std::string_view::npos) {
      key = p.substr(0, eq);
      if (!key.empty() && key.front() == '-') {
        a.ignore_failure = true;
        key.remove_prefix(1);
      }
      a.value = std::string(strstrip(p.substr(eq + 1)));
    } else if (p.front() == '-') {
      key = p.substr(1);  // a "negative match": keeps globs away from the key
    } else {
      out.issues.push_back(
          SysctlIssue{l.number, "not an assignment; systemd-sysctl ignores the line: " + std::string(p)});
      continue;
    }
    a.key = sysctl_normalize(strstrip(key));
    out.assignments.push_back(std::move(a));
  }
  if (lines.too_long_line != 0) {
    out.issues.push_back(
        SysctlIssue{lines.too_long_line, "line longer than " + std::to_string(kSysctlMaxLine) +
                                             " bytes: systemd-sysctl stops reading the file here"});
  }
  return out;
}

std::vector<SysctlConfFile> sysctl_conf_files(const std::vector<SysctlDirListing>& dirs) {
  std::map<std::string, SysctlConfFile> by_name;
  for (const auto& d : dirs) {
    for (const auto& name : d.names) {
      if (name.empty() || name.front() == '.') continue;  // FOREACH_DIRENT skips hidden entries
      if (name.size() < 5 || name.compare(name.size() - 5, 5, ".conf") != 0) continue;
      const std::string path = d.dir + "/" + name;
      auto [it, inserted] = by_name.try_emplace(name, SysctlConfFile{path, {}});
      if (!inserted) it->second.overridden.push_back(path);
    }
  }
  std::vector<SysctlConfFile> out;
  out.reserve(by_name.size());
  for (auto& [name, f] : by_name) out.push_back(std::move(f));  // std::map: bytewise name order
  return out;
}

void SysctlOptions::add(const std::string& file, const SysctlAssignment& a) {
  auto it = std::lower_bound(index_.begin(), index_.end(), a.key,
                             [](const auto& e, const std::string& k) { return e.first < k; });
  if (it != index_.end() && it->first == a.key) {
    SysctlOption& existing = entries_[it->second];
    if (existing.value == a.value) {
      existing.ignore_failure = existing.ignore_failure || a.ignore_failure;
      return;
    }
    alive_[it->second] = false;
    it->second = entries_.size();
  } else {
    index_.insert(it, {a.key, entries_.size()});
  }
  entries_.push_back(SysctlOption{a.key, a.value, a.ignore_failure, file, a.line});
  alive_.push_back(true);
}

std::vector<SysctlOption> SysctlOptions::ordered() const {
  std::vector<SysctlOption> out;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (alive_[i]) out.push_back(entries_[i]);
  }
  return out;
}

bool sysctl_glob_matches(std::string_view pattern, std::string_view key) {
  auto patterns = expand_braces(pattern);
  if (!patterns) return false;
  const std::string k(key);
  for (const auto& p : *patterns) {
    if (::fnmatch(p.c_str(), k.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0) return true;
  }
  return false;
}

SysctlDecision sysctl_decide(const std::vector<SysctlOption>& ordered, std::string_view key) {
  for (const auto& o : ordered) {
    if (o.key == key) return SysctlDecision{&o, false};
  }
  SysctlDecision out;
  for (const auto& o : ordered) {
    if (o.value && sysctl_is_glob(o.key) && sysctl_glob_matches(o.key, key)) out = SysctlDecision{&o, true};
  }
  return out;
}

bool sysctl_values_equal(std::string_view live, std::string_view persisted) {
  const auto a = blank_fields(live);
  const auto b = blank_fields(persisted);
  if (a == b) return true;
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    const auto x = kernel_number(a[i], true);
    const auto y = kernel_number(b[i], false);
    if (!x || !y || *x != *y) return false;
  }
  return true;
}

}  // namespace vigil::collectors
