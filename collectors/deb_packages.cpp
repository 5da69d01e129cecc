// The `deb_packages` table: one row per stanza of dpkg's status file, the
// database dpkg and apt themselves read, so no program needs to run.
#include "deb_packages.hpp"

#include <array>
#include <exception>

#include "collector.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

constexpr std::string_view kStatusFile = "/var/lib/dpkg/status";
// A full desktop's status file is ~10 MiB; the cap is far above that but
// still keeps a hostile file from taking the agent's memory.
constexpr std::size_t kStatusCap = 64u * 1024u * 1024u;

// The fields this table reads, in the order of Stanza::values.
enum Field : std::size_t { kPackage, kVersion, kArchitecture, kSource, kStatus, kMultiArch, kFieldCount };
constexpr std::array<std::string_view, kFieldCount> kFieldNames{"Package", "Version", "Architecture",
                                                                "Source",  "Status",  "Multi-Arch"};

struct Stanza {
  std::array<std::optional<std::string_view>, kFieldCount> values;
  int line = 0;
  bool has_field = false;  // a continuation line is only valid after a field
};

void add_issue(std::vector<ParseIssue>* issues, int line, std::string message) {
  if (issues != nullptr) issues->push_back(ParseIssue{line, std::move(message)});
}

std::optional<std::string> owned(const std::optional<std::string_view>& v) {
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

void finish(const Stanza& s, std::vector<DebPackage>& out, std::vector<ParseIssue>* issues) {
  const auto& v = s.values;
  if (!v[kPackage] || v[kPackage]->empty()) {
    add_issue(issues, s.line, "stanza without a Package field skipped");
    return;
  }
  DebPackage p;
  p.name = *v[kPackage];
  p.version = owned(v[kVersion]);
  p.architecture = owned(v[kArchitecture]);
  p.multi_arch = owned(v[kMultiArch]);
  p.line = s.line;

  // "Source: openssl (3.0.11-1~deb12u2)" when the binary version differs.
  p.source = p.name;
  p.source_version = p.version;
  if (v[kSource] && !v[kSource]->empty()) {
    std::string_view src = *v[kSource];
    std::size_t paren = src.find('(');
    p.source = trim(src.substr(0, paren));
    if (paren != std::string_view::npos) {
      std::size_t close = src.find(')', paren);
      if (close == std::string_view::npos) {
        add_issue(issues, s.line, "package '" + sanitize_utf8(p.name) + "': Source version has no ')'");
      } else {
        p.source_version = std::string(trim(src.substr(paren + 1, close - paren - 1)));
      }
    }
    if (p.source.empty()) p.source = p.name;
  }

  if (v[kStatus]) {
    p.status = std::string(*v[kStatus]);
    auto words = split_ws(*v[kStatus]);
    if (words.size() == 3) {
      p.want = std::string(words[0]);
      p.flag = std::string(words[1]);
      p.state = std::string(words[2]);
    } else {
      add_issue(issues, s.line, "package '" + sanitize_utf8(p.name) + "': Status is not 'want flag state'");
    }
  } else {
    add_issue(issues, s.line, "package '" + sanitize_utf8(p.name) + "' has no Status field");
  }
  out.push_back(std::move(p));
}

void read_field(std::string_view line, int number, Stanza& s, std::vector<ParseIssue>* issues) {
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    add_issue(issues, number, "line is neither a field nor a continuation; ignored");
    return;
  }
  s.has_field = true;
  std::string_view name = line.substr(0, colon);
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (!iequals(name, kFieldNames[i])) continue;
    if (s.values[i]) {
      add_issue(issues, number, "duplicate " + std::string(kFieldNames[i]) + " field; the first is used");
    } else {
      s.values[i] = trim(line.substr(colon + 1));
    }
    return;
  }
}

}  // namespace

std::vector<DebPackage> parse_dpkg_status(std::string_view text, std::vector<ParseIssue>* issues) {
  std::vector<DebPackage> out;
  Stanza stanza;
  bool in_stanza = false;
  int number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    // Debian policy lets parsers take a blank-looking line as a separator.
    if (trim(line).empty()) {
      if (in_stanza) finish(stanza, out, issues);
      in_stanza = false;
      continue;
    }
    if (!in_stanza) {
      stanza = Stanza{};
      stanza.line = number;
      in_stanza = true;
    }
    // Continuation lines only extend multi-line fields (Description,
    // Conffiles), none of which this table reports.
    if (line.front() == ' ' || line.front() == '\t') {
      if (!stanza.has_field) add_issue(issues, number, "continuation line before any field; ignored");
      continue;
    }
    read_field(line, number, stanza, issues);
  }
  if (in_stanza) finish(stanza, out, issues);
  return out;
}

bool dpkg_state_installed(std::string_view state) noexcept {
  return state == "installed";
}

namespace {

Value opt_text(const std::optional<std::string>& v) {
  return v ? text_value(*v) : null_value();
}

Status collect(CollectContext& ctx, std::vector<Row>& rows) {
  auto file = ctx.host().read_file(kStatusFile, ReadOptions{.max_bytes = kStatusCap});
  if (file.is(Errc::not_found)) {
    ctx.warn(std::string(kStatusFile), "file absent: no dpkg database");
    return Status::success();
  }
  if (!file) return make_error(file.error().code, std::string(kStatusFile) + ": " + file.error().message);
  std::vector<ParseIssue> issues;
  auto packages = parse_dpkg_status(file->data, &issues);
  // A corrupt file must not flood the report: the first issues locate it.
  constexpr std::size_t kMaxWarnings = 100;
  for (std::size_t i = 0; i < issues.size() && i < kMaxWarnings; ++i) {
    ctx.warn(std::string(kStatusFile) + ":" + std::to_string(issues[i].line), issues[i].message);
  }
  if (issues.size() > kMaxWarnings) {
    ctx.warn(std::string(kStatusFile),
             std::to_string(issues.size() - kMaxWarnings) + " more issues not shown");
  }
  rows.reserve(packages.size());
  for (const auto& p : packages) {
    rows.push_back(Row{text_value(p.name), opt_text(p.version), opt_text(p.architecture),
                       text_value(p.source), opt_text(p.source_version), opt_text(p.status), opt_text(p.want),
                       opt_text(p.flag), opt_text(p.state),
                       bool_value(p.state && dpkg_state_installed(*p.state)), opt_text(p.multi_arch),
                       text_value(kStatusFile), int_value(p.line)});
  }
  return Status::success();
}

TableDef deb_packages_table() {
  using T = ColumnType;
  return TableDef{
      "deb_packages",
      "One row per stanza of /var/lib/dpkg/status, the database dpkg and apt read (so one row per "
      "package and architecture: libc6 amd64 and i386 are two rows). Stanzas without Package are "
      "warnings only. An absent file gives no rows and a warning (not a Debian-based host).",
      {
          {"name", T::text, "Package"},
          {"version", T::text, "Version; NULL when the stanza has none"},
          {"architecture", T::text, "Architecture (amd64, i386, all...); NULL when absent"},
          {"source", T::text, "source package: Source without its '(version)', else the package name"},
          {"source_version", T::text, "the '(version)' of Source, else the package version"},
          {"status", T::text, "Status as written: 'want flag state'"},
          {"want", T::text, "selection: install, hold, deinstall, purge, unknown"},
          {"flag", T::text, "ok or reinstreq"},
          {"state", T::text,
           "not-installed, config-files, half-installed, unpacked, half-configured, triggers-awaited, "
           "triggers-pending, installed"},
          {"installed", T::integer,
           "1 only when state is 'installed' (a held package, 'hold ok installed', is installed). "
           "config-files, not-installed and half-installed are 0; so are unpacked, half-configured and "
           "triggers-* although their files are on disk: policies about vulnerable files should test "
           "state NOT IN ('not-installed', 'config-files')"},
          {"multi_arch", T::text, "Multi-Arch (same, foreign, allowed); NULL when absent, which means 'no'"},
          {"file", T::text, "/var/lib/dpkg/status"},
          {"line", T::integer, "1-based line where the stanza starts"},
      },
      collect,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(deb_packages_table());

}  // namespace vigil::collectors
