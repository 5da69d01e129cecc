// The apt_sources table (what apt is configured to fetch and trust) and the
// parsing shared by the apt tables; apt_lists.cpp has apt_lists,
// apt_updates.cpp apt_updates and apt_packages_index.cpp the Packages index
// reader. Files only; apt is never run.
#include "apt.hpp"

#include <algorithm>
#include <array>
#include <exception>

#include "apt_internal.hpp"
#include "collector.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace apt_detail {

void add_issue(std::vector<ParseIssue>* issues, int line, std::string message) {
  // A hostile 256 MiB list could otherwise hold millions of issues.
  if (issues != nullptr && issues->size() < kMaxIssues)
    issues->push_back(ParseIssue{line, std::move(message)});
}

bool ends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::vector<std::string_view> words(std::string_view value) {
  std::vector<std::string_view> out;
  for (std::string_view line : split_lines(value)) {
    if (!line.empty() && line.front() == '#') continue;
    std::size_t i = 0;
    while (i < line.size()) {
      i = line.find_first_not_of(" \t\r", i);
      if (i == std::string_view::npos) break;
      std::size_t j = std::min(line.find_first_of(" \t\r", i), line.size());
      out.push_back(line.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

std::string joined(const std::vector<std::string_view>& parts, std::string_view sep) {
  std::string out;
  for (std::string_view p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string_view base_name(std::string_view path) noexcept {
  return path.substr(path.rfind('/') + 1);
}

void warn_issues(CollectContext& ctx, std::string_view file, const std::vector<ParseIssue>& issues) {
  for (std::size_t i = 0; i < issues.size() && i < kMaxWarnings; ++i) {
    ctx.warn(std::string(file) + ":" + std::to_string(issues[i].line), issues[i].message);
  }
  if (issues.size() > kMaxWarnings) {
    ctx.warn(std::string(file), (issues.size() >= kMaxIssues ? "more than " : "") +
                                    std::to_string(issues.size() - kMaxWarnings) + " more issues not shown");
  }
}

std::vector<std::string> glob_all(CollectContext& ctx, std::initializer_list<std::string_view> patterns) {
  std::vector<std::string> out;
  for (std::string_view p : patterns) {
    auto found = ctx.host().glob(p);
    if (!found) {
      ctx.warn(std::string(p), found.error().message);
      continue;
    }
    out.insert(out.end(), found->begin(), found->end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Value opt_text(const std::optional<std::string>& v) {
  return v ? text_value(*v) : null_value();
}

}  // namespace apt_detail

using namespace apt_detail;

namespace {

// apt's StringToBool words.
std::optional<bool> apt_bool(std::string_view v) {
  for (std::string_view t : {"yes", "true", "with", "enable", "on", "1"}) {
    if (iequals(v, t)) return true;
  }
  for (std::string_view f : {"no", "false", "without", "disable", "off", "0"}) {
    if (iequals(v, f)) return false;
  }
  return std::nullopt;
}

// Exact paths ("stable/", "./") take no components; any other suite needs some.
bool suite_components_ok(std::string_view suite, bool has_components, int line,
                         std::vector<ParseIssue>* issues) {
  bool exact = ends_with(suite, "/");
  if (exact && has_components) {
    add_issue(issues, line,
              "suite '" + sanitize_utf8(suite) + "' is an exact path but has components; skipped");
    return false;
  }
  if (!exact && !has_components) {
    add_issue(issues, line, "suite '" + sanitize_utf8(suite) + "' has no components; skipped");
    return false;
  }
  return true;
}

bool known_type(std::string_view type, int line, std::vector<ParseIssue>* issues) {
  if (type == "deb" || type == "deb-src") return true;
  add_issue(issues, line, "type '" + sanitize_utf8(type) + "' is not known; skipped");
  return false;
}

// The "[ key=value ... ]" of a one-line entry; false when malformed.
bool parse_options(std::string_view text, AptSource& s, int line, std::vector<ParseIssue>* issues) {
  for (std::string_view opt : split_ws(text)) {
    std::size_t eq = opt.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      add_issue(issues, line, "option '" + sanitize_utf8(opt) + "' is not key=value; entry skipped");
      return false;
    }
    std::string_view key = opt.substr(0, eq);
    std::string_view value = opt.substr(eq + 1);
    if (key.back() == '-') continue;              // arch-=i386 narrows apt's default set: no list to state
    if (key.back() == '+') key.remove_suffix(1);  // arch+=i386
    std::string list(value);
    std::replace(list.begin(), list.end(), ',', ' ');
    if (key == "trusted") {
      auto b = apt_bool(value);
      if (!b) add_issue(issues, line, "trusted='" + sanitize_utf8(value) + "' is not a boolean; taken as no");
      s.trusted = b.value_or(false);
    } else if (key == "signed-by") {
      s.signed_by = std::string(value);
    } else if (key == "arch") {
      s.architectures = list;
    }
  }
  return true;
}

}  // namespace

std::vector<AptSource> parse_sources_list(std::string_view text, std::vector<ParseIssue>* issues) {
  std::vector<AptSource> out;
  int number = 0;
  for (std::string_view line : split_lines(text)) {
    ++number;
    line = trim(line.substr(0, line.find('#')));  // apt cuts comments anywhere on the line
    if (line.empty()) continue;
    AptSource s;
    s.line = number;
    std::size_t type_end = std::min(line.find_first_of(" \t["), line.size());
    s.type = std::string(line.substr(0, type_end));
    std::string_view rest = trim(line.substr(type_end));
    if (!rest.empty() && rest.front() == '[') {
      std::size_t close = rest.find(']');
      if (close == std::string_view::npos) {
        add_issue(issues, number, "options have no closing ']'; entry skipped");
        continue;
      }
      if (!parse_options(rest.substr(1, close - 1), s, number, issues)) continue;
      rest = rest.substr(close + 1);
    }
    auto fields = split_ws(rest);
    if (!known_type(s.type, number, issues)) continue;
    if (fields.size() < 2) {
      add_issue(issues, number, "entry has no URI or no suite; skipped");
      continue;
    }
    s.uri = std::string(fields[0]);
    s.suite = std::string(fields[1]);
    if (!suite_components_ok(s.suite, fields.size() > 2, number, issues)) continue;
    s.components = joined(std::vector<std::string_view>(fields.begin() + 2, fields.end()));
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<AptSource> parse_sources_deb822(std::string_view text, std::vector<ParseIssue>* issues) {
  enum Key : std::size_t { kTypes, kUris, kSuites, kComponents, kEnabled, kTrusted, kSignedBy, kArch, kKeys };
  constexpr std::array<std::string_view, kKeys> kNames{"Types",   "URIs",    "Suites",    "Components",
                                                       "Enabled", "Trusted", "Signed-By", "Architectures"};
  std::array<std::optional<std::string_view>, kKeys> v;
  std::vector<AptSource> out;
  auto on_field = [&](const Field& f) {
    for (std::size_t i = 0; i < kKeys; ++i) {
      if (!iequals(f.name, kNames[i])) continue;
      if (v[i]) {
        add_issue(issues, f.line, "duplicate " + std::string(kNames[i]) + " field; the first is used");
      } else {
        v[i] = f.value;
      }
    }
  };
  auto boolean = [&](const std::optional<std::string_view>& value, std::size_t key, bool fallback, int line) {
    if (!value) return fallback;
    auto b = apt_bool(*value);
    if (!b)
      add_issue(issues, line,
                std::string(kNames[key]) + " is not a boolean; taken as " + (fallback ? "yes" : "no"));
    return b.value_or(fallback);
  };
  auto on_end = [&](int line) {
    auto fields = v;
    v = {};
    if (!fields[kTypes] || !fields[kUris] || !fields[kSuites]) {
      add_issue(issues, line, "stanza without Types, URIs or Suites; skipped");
      return;
    }
    AptSource base;
    base.line = line;
    base.enabled = boolean(fields[kEnabled], kEnabled, true, line);
    base.trusted = boolean(fields[kTrusted], kTrusted, false, line);
    auto components = fields[kComponents] ? words(*fields[kComponents]) : std::vector<std::string_view>{};
    base.components = joined(components);
    if (fields[kArch]) base.architectures = joined(words(*fields[kArch]));
    if (fields[kSignedBy]) {
      bool embedded = fields[kSignedBy]->find("BEGIN PGP PUBLIC KEY BLOCK") != std::string_view::npos;
      base.signed_by = embedded ? std::string("(embedded key)") : joined(words(*fields[kSignedBy]));
    }
    for (std::string_view type : words(*fields[kTypes])) {
      if (!known_type(type, line, issues)) continue;
      for (std::string_view uri : words(*fields[kUris])) {
        for (std::string_view suite : words(*fields[kSuites])) {
          if (!suite_components_ok(suite, !components.empty(), line, issues)) continue;
          AptSource s = base;
          s.type = std::string(type);
          s.uri = std::string(uri);
          s.suite = std::string(suite);
          out.push_back(std::move(s));
        }
      }
    }
  };
  read_paragraphs(text, true, on_field, on_end, issues);
  return out;
}

namespace {

Status collect_sources(CollectContext& ctx, std::vector<Row>& rows) {
  std::vector<std::string> files{"/etc/apt/sources.list"};
  for (auto& f : glob_all(ctx, {"/etc/apt/sources.list.d/*.list", "/etc/apt/sources.list.d/*.sources"})) {
    // apt ignores parts whose names have other characters (backups, editor files).
    if (base_name(f).find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
        std::string_view::npos) {
      ctx.warn(f, "file name has characters apt does not accept; ignored, as apt ignores it");
      continue;
    }
    files.push_back(std::move(f));
  }
  bool any = false;
  for (const auto& path : files) {
    auto text = ctx.read_optional(path);
    if (!text) continue;
    any = true;
    std::vector<ParseIssue> issues;
    auto sources = ends_with(path, ".sources") ? parse_sources_deb822(*text, &issues)
                                               : parse_sources_list(*text, &issues);
    warn_issues(ctx, path, issues);
    for (const auto& s : sources) {
      rows.push_back(Row{text_value(s.type), text_value(s.uri), text_value(s.suite), text_value(s.components),
                         bool_value(s.trusted), opt_text(s.signed_by), opt_text(s.architectures),
                         bool_value(s.enabled), text_value(path), int_value(s.line)});
    }
  }
  if (!any) ctx.warn("/etc/apt", "no sources.list and no sources.list.d files: apt has no sources");
  return Status::success();
}

using T = ColumnType;

TableDef apt_sources_table() {
  return TableDef{
      "apt_sources",
      "One row per (type, URI, suite) of the APT sources: /etc/apt/sources.list and sources.list.d/*.list "
      "(one-line form) and sources.list.d/*.sources (deb822). Entries apt would refuse are skipped with a "
      "warning (apt refuses the whole file). No files at all gives no rows and a warning.",
      {
          {"type", T::text, "deb or deb-src"},
          {"uri", T::text, "repository URI as written"},
          {"suite", T::text, "suite or codename (bookworm-security), or an exact path ending in '/'"},
          {"components", T::text, "space-separated components; empty for an exact path"},
          {"trusted", T::integer, "1 for trusted=yes / Trusted: yes: apt accepts the repository unsigned"},
          {"signed_by", T::text,
           "signed-by / Signed-By as written (keyring paths or fingerprints); "
           "'(embedded key)' for an inline key; NULL when absent (any trusted key)"},
          {"architectures", T::text, "arch= / Architectures:, space-separated; NULL when not restricted"},
          {"enabled", T::integer, "0 for Enabled: no (deb822); apt ignores the entry"},
          {"file", T::text, "the sources file"},
          {"line", T::integer, "line of the entry (one-line) or of its stanza (deb822)"},
      },
      collect_sources,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(apt_sources_table());

}  // namespace vigil::collectors
