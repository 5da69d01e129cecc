// The apt_lists table: the repositories of apt's last update (its Release
// files), and the Release parsing apt_updates shares. Files only; apt is
// never run.
#include <algorithm>
#include <array>

#include "apt.hpp"
#include "apt_internal.hpp"
#include "collector.hpp"
#include "strings.hpp"

namespace vigil::collectors {

using namespace apt_detail;

std::optional<std::string_view> clearsigned_body(std::string_view text) noexcept {
  // Line by line: armor lines may end in CRLF.
  enum { kBefore, kHeaders, kBody, kSignature } where = kBefore;
  std::size_t body = 0, body_end = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t eol = std::min(text.find('\n', pos), text.size());
    std::string_view line = trim(text.substr(pos, eol - pos));
    if (where == kBefore && line == "-----BEGIN PGP SIGNED MESSAGE-----") {
      where = kHeaders;
    } else if (where == kHeaders && line.empty()) {
      where = kBody;
      body = eol + 1;
    } else if (where == kBody && line == "-----BEGIN PGP SIGNATURE-----") {
      where = kSignature;
      body_end = pos;
    } else if (where == kSignature && line == "-----END PGP SIGNATURE-----") {
      return text.substr(body, body_end - body);
    }
    pos = eol + 1;
  }
  return std::nullopt;
}

AptRelease parse_release(std::string_view text, std::vector<ParseIssue>* issues) {
  AptRelease r;
  bool done = false;
  std::array<std::pair<std::string_view, std::optional<std::string>*>, 6> targets{
      {{"Origin", &r.origin},
       {"Label", &r.label},
       {"Suite", &r.suite},
       {"Codename", &r.codename},
       {"Date", &r.date},
       {"Valid-Until", &r.valid_until}}};
  auto on_field = [&](const Field& f) {
    if (done) return;
    std::string_view name = f.name;
    if (name.substr(0, 2) == "- ") name.remove_prefix(2);  // dash-escaped in a clear-signed body
    for (auto& [key, target] : targets) {
      if (!iequals(name, key)) continue;
      if (*target) {
        add_issue(issues, f.line, "duplicate " + std::string(key) + " field; the first is used");
      } else {
        *target = std::string(f.value);
      }
    }
  };
  read_paragraphs(
      text, false, on_field, [&](int) { done = true; }, issues);
  return r;
}

bool release_is_security(const AptRelease& r) noexcept {
  return (r.label && *r.label == "Debian-Security") || (r.suite && ends_with(*r.suite, "-security")) ||
         (r.codename && ends_with(*r.codename, "-security"));
}

namespace {

std::optional<int> digits(std::string_view s, std::size_t min, std::size_t max) noexcept {
  if (s.size() < min || s.size() > max) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::optional<std::int64_t> parse_release_date(std::string_view s) noexcept {
  // "Day, DD Mon YYYY HH:MM:SS Zone"
  auto word = [&s]() {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    std::size_t n = 0;
    while (n < s.size() && s[n] != ' ' && s[n] != '\t') ++n;
    const std::string_view w = s.substr(0, n);
    s.remove_prefix(n);
    return w;
  };
  const std::string_view weekday = word();
  const auto day = digits(word(), 1, 2);
  const std::string_view month_name = word();
  const auto year = digits(word(), 4, 4);
  const std::string_view clock = word();
  const std::string_view zone = word();
  if (weekday.size() != 4 || weekday.back() != ',' || !word().empty() || !day || !year || clock.size() != 8 ||
      clock[2] != ':' || clock[5] != ':')
    return std::nullopt;
  if (zone != "UTC" && zone != "GMT" && zone != "+0000") return std::nullopt;
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i) {
    if (kMonths[i] == month_name) month = i + 1;
  }
  const auto hh = digits(clock.substr(0, 2), 2, 2), mm = digits(clock.substr(3, 2), 2, 2),
             ss = digits(clock.substr(6, 2), 2, 2);
  if (month == 0 || !hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 60 || *day < 1) return std::nullopt;
  static constexpr int kMonthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*day > kMonthDays[month - 1] || (month == 2 && *day == 29 && !leap)) return std::nullopt;
  return days_from_civil(*year, month, static_cast<unsigned>(*day)) * 86400 + *hh * 3600 + *mm * 60 + *ss;
}

namespace apt_detail {

std::vector<ListRelease> load_releases(CollectContext& ctx) {
  std::vector<ListRelease> out;
  auto files = glob_all(ctx, {"/var/lib/apt/lists/*_InRelease", "/var/lib/apt/lists/*_Release"});
  if (files.empty()) ctx.warn(std::string(kListsDir), "no Release files: apt has no lists (never updated?)");
  for (auto& path : files) {
    const bool inrelease = ends_with(path, "_InRelease");
    const std::string_view name = base_name(path);
    ListRelease r{
        path, std::string(name.substr(0, name.size() - (inrelease ? 9 : 7))), {}, std::nullopt, std::nullopt};
    auto file = ctx.host().read_file(path);
    if (!file) {
      r.problem = "cannot be read: " + file.error().message;
      ctx.warn(path, *r.problem);
      out.push_back(std::move(r));
      continue;
    }
    std::string_view text = file->data;
    if (inrelease) {
      auto body = clearsigned_body(text);
      if (!body) {
        r.problem = "not a complete clear-signed message; apt would not use it";
        ctx.warn(path, *r.problem);
        out.push_back(std::move(r));
        continue;
      }
      text = *body;
    }
    std::vector<ParseIssue> issues;
    r.release = parse_release(text, &issues);
    warn_issues(ctx, path, issues);
    if (auto st = ctx.host().stat(path, true)) r.mtime = st->mtime;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace apt_detail

namespace {

Status collect_lists(CollectContext& ctx, std::vector<Row>& rows) {
  const auto epoch = [](const std::optional<std::string>& v) {
    const auto t = v ? parse_release_date(*v) : std::nullopt;
    return t ? int_value(*t) : null_value();
  };
  for (const auto& l : load_releases(ctx)) {
    if (l.problem) continue;  // warned; apt does not use it
    const auto& r = l.release;
    rows.push_back(Row{opt_text(r.origin), opt_text(r.label), opt_text(r.suite), opt_text(r.codename),
                       opt_text(r.date), epoch(r.date), opt_text(r.valid_until), epoch(r.valid_until),
                       text_value(l.file), l.mtime ? int_value(*l.mtime) : null_value(),
                       bool_value(release_is_security(r))});
  }
  return Status::success();
}

using T = ColumnType;

TableDef apt_lists_table() {
  return TableDef{
      "apt_lists",
      "One row per usable Release or InRelease file in /var/lib/apt/lists: the repositories of the last "
      "successful 'apt update'. The signature of InRelease is not checked (apt did before storing it). A "
      "file that cannot be read or is not a complete clear-signed message is a warning, not a row.",
      {
          {"origin", T::text, "Origin (Debian); NULL when absent"},
          {"label", T::text, "Label (Debian, Debian-Security)"},
          {"suite", T::text, "Suite (stable, stable-security)"},
          {"codename", T::text, "Codename (bookworm, bookworm-security)"},
          {"date", T::text, "Date as written (RFC 2822, UTC)"},
          {"date_epoch", T::integer,
           "Date in seconds since the epoch (when the repository signed this state); NULL when absent or "
           "not a date apt reads"},
          {"valid_until", T::text, "Valid-Until as written; NULL when the repository sets none"},
          {"valid_until_epoch", T::integer,
           "Valid-Until in seconds since the epoch; apt refuses the file after it (unless "
           "Acquire::Check-Valid-Until is false)"},
          {"file", T::text, "the Release or InRelease file"},
          {"mtime", T::integer,
           "modification time of the file (seconds since the epoch): apt sets it to the server's "
           "Last-Modified, so it is at or before the fetch, and an unchanged file keeps it (see "
           "apt_last_update for when the lists were last updated)"},
          {"is_security", T::integer,
           "1 when Label is Debian-Security or Suite or Codename ends in "
           "'-security' (never from the host name)"},
      },
      collect_lists,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(apt_lists_table());

}  // namespace vigil::collectors
