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

namespace apt_detail {

std::vector<ListRelease> load_releases(CollectContext& ctx) {
  std::vector<ListRelease> out;
  auto files = glob_all(ctx, {"/var/lib/apt/lists/*_InRelease", "/var/lib/apt/lists/*_Release"});
  if (files.empty()) ctx.warn(std::string(kListsDir), "no Release files: apt has no lists (never updated?)");
  for (auto& path : files) {
    auto file = read_or_warn(ctx, path, kDefaultReadCap);
    if (!file) continue;
    std::string_view text = file->data;
    bool inrelease = ends_with(path, "_InRelease");
    if (inrelease) {
      auto body = clearsigned_body(text);
      if (!body) {
        ctx.warn(path, "not a complete clear-signed message; apt would not use it");
        continue;
      }
      text = *body;
    }
    std::vector<ParseIssue> issues;
    ListRelease r{path, "", parse_release(text, &issues), std::nullopt};
    warn_issues(ctx, path, issues);
    std::string_view name = base_name(path);
    r.prefix = std::string(name.substr(0, name.size() - (inrelease ? 9 : 7)));
    if (auto st = ctx.host().stat(path, true)) r.mtime = st->mtime;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace apt_detail

namespace {

Status collect_lists(CollectContext& ctx, std::vector<Row>& rows) {
  for (const auto& l : load_releases(ctx)) {
    const auto& r = l.release;
    rows.push_back(Row{opt_text(r.origin), opt_text(r.label), opt_text(r.suite), opt_text(r.codename),
                       opt_text(r.date), opt_text(r.valid_until), text_value(l.file),
                       l.mtime ? int_value(*l.mtime) : null_value(), bool_value(release_is_security(r))});
  }
  return Status::success();
}

using T = ColumnType;

TableDef apt_lists_table() {
  return TableDef{
      "apt_lists",
      "One row per Release or InRelease file in /var/lib/apt/lists: the repositories of the last "
      "successful 'apt update'. The signature of InRelease is not checked (apt did before storing it).",
      {
          {"origin", T::text, "Origin (Debian); NULL when absent"},
          {"label", T::text, "Label (Debian, Debian-Security)"},
          {"suite", T::text, "Suite (stable, stable-security)"},
          {"codename", T::text, "Codename (bookworm, bookworm-security)"},
          {"date", T::text, "Date as written (RFC 2822, UTC)"},
          {"valid_until", T::text, "Valid-Until as written; NULL when the repository sets none"},
          {"file", T::text, "the Release or InRelease file"},
          {"mtime", T::integer,
           "modification time of the file (seconds since the epoch): when apt last "
           "fetched it"},
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
