// The apt_lists and apt_updates tables: the repositories of apt's last
// update (its Release files) and, for each installed package, the newest
// version its downloaded lists offer. Files only; apt is never run.
#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <map>

#include "apt.hpp"
#include "apt_internal.hpp"
#include "collector.hpp"
#include "deb_packages.hpp"
#include "debversion.hpp"
#include "decompress.hpp"
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

constexpr std::string_view kStatusFile = "/var/lib/dpkg/status";
constexpr std::size_t kStatusCap = 64u * 1024u * 1024u;  // as deb_packages
// Debian's main amd64 Packages is ~50 MiB uncompressed; one is held at a time.
constexpr std::size_t kPackagesCap = 256u * 1024u * 1024u;
// lz4, the weakest of the formats read, shrinks a Packages list about 2.7
// times (bookworm main: 51 MiB to 18 MiB), so a list within kPackagesCap
// is well under this compressed; a larger file is refused before decoding.
constexpr std::size_t kCompressedCap = 128u * 1024u * 1024u;
// Unreadable lists named in the error; the rest are counted.
constexpr std::size_t kMaxNamedFailures = 10;

// The extensions apt gives a *_Packages list, in the order one is chosen when
// several copies of the same list exist (as after switching GzipIndexes):
// uncompressed first, then the cheapest to decode. Only one copy is read, so
// no candidate is scanned twice.
struct ListFormat {
  std::string_view extension;
  const char* name;                        // for messages
  std::optional<Compression> compression;  // nullopt: Vigil cannot read it
};
constexpr std::array<ListFormat, 7> kListFormats{{
    {"", "uncompressed", Compression::none},
    {".lz4", "lz4", Compression::lz4},
    {".gz", "gzip", Compression::gzip},
    {".xz", "xz", Compression::xz},
    {".bz2", "bzip2", std::nullopt},
    {".zst", "zstd", std::nullopt},
    {".lzma", "lzma", std::nullopt},
}};

struct ListRelease {
  std::string file;
  std::string prefix;  // file name up to "InRelease"/"Release": the repository's lists share it
  AptRelease release;
  std::optional<std::int64_t> mtime;
};

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

Status collect_lists(CollectContext& ctx, std::vector<Row>& rows) {
  for (const auto& l : load_releases(ctx)) {
    const auto& r = l.release;
    rows.push_back(Row{opt_text(r.origin), opt_text(r.label), opt_text(r.suite), opt_text(r.codename),
                       opt_text(r.date), opt_text(r.valid_until), text_value(l.file),
                       l.mtime ? int_value(*l.mtime) : null_value(), bool_value(release_is_security(r))});
  }
  return Status::success();
}

struct Candidate {
  const DebPackage* installed = nullptr;
  std::string version;  // newest offered by any list; empty until a list offers the package
  std::string list;     // the list it comes from
  bool from_security = false;
  std::string security_version;  // newest offered by a security list; empty when none does
};

// Whether a list paragraph of architecture arch can upgrade an installed
// package: same architecture, or 'all' (packages move between any and all).
bool arch_matches(std::string_view installed, std::string_view arch, std::string_view native) noexcept {
  return arch == installed || arch == "all" || (installed == "all" && !native.empty() && arch == native);
}

// The text of a Packages list, decompressed as its extension says; errors
// name the file, as the Host's own do.
Result<std::string> read_packages_list(const Host& host, const std::string& path, Compression c) {
  auto file =
      host.read_file(path, ReadOptions{.max_bytes = c == Compression::none ? kPackagesCap : kCompressedCap});
  if (!file) return std::move(file).error();
  if (c == Compression::none) return std::move(file->data);
  auto text = decompress(file->data, c, kPackagesCap);
  if (!text) return make_error(text.error().code, host.display_path(path) + ": " + text.error().message);
  return text;
}

// stem: the list's name without its compression extension.
Status scan_list(CollectContext& ctx, const std::string& path, std::string_view stem, Compression compression,
                 bool security, std::string_view native,
                 std::map<std::string, std::vector<Candidate>, std::less<>>& by_name) {
  auto text = read_packages_list(ctx.host(), path, compression);
  if (!text) return std::move(text).error();
  auto list_arch = packages_list_architecture(base_name(stem));
  std::vector<ParseIssue> issues;
  scan_packages_index(
      *text,
      [&](const PackageIndexEntry& e) {
        auto it = by_name.find(e.name);
        if (it == by_name.end()) return;
        std::string_view arch = e.architecture.empty() ? list_arch.value_or("") : e.architecture;
        for (auto& c : it->second) {
          if (!arch_matches(*c.installed->architecture, arch, native)) continue;
          int order = c.version.empty() ? 1 : deb_version_compare(e.version, c.version);
          // The same version from a security list names that list.
          if (order > 0 || (order == 0 && security && !c.from_security)) {
            c.version = std::string(e.version);
            c.list = path;
            c.from_security = security;
          }
          if (security &&
              (c.security_version.empty() || deb_version_compare(e.version, c.security_version) > 0)) {
            c.security_version = std::string(e.version);
          }
        }
      },
      &issues);
  warn_issues(ctx, path, issues);
  return Status::success();
}

struct ChosenList {
  std::string stem;  // the path without its compression extension
  const ListFormat* format = nullptr;
};

// The lists to read: for each list, its best readable copy. A list whose
// copies are all of formats Vigil cannot read is added to failures.
std::vector<ChosenList> choose_lists(CollectContext& ctx, std::vector<Error>& failures) {
  std::map<std::string, std::vector<std::size_t>> copies;  // indexes in kListFormats
  for (const auto& path : glob_all(ctx, {"/var/lib/apt/lists/*_Packages*"})) {
    for (std::size_t i = 0; i < kListFormats.size(); ++i) {
      const std::string suffix = "_Packages" + std::string(kListFormats[i].extension);
      if (!ends_with(path, suffix)) continue;  // "_Packages.diff_Index" and the like are not lists
      copies[path.substr(0, path.size() - kListFormats[i].extension.size())].push_back(i);
      break;
    }
  }
  std::vector<ChosenList> out;
  for (auto& [stem, formats] : copies) {
    std::sort(formats.begin(), formats.end());
    if (kListFormats[formats.front()].compression) {
      out.push_back(ChosenList{stem, &kListFormats[formats.front()]});
      continue;
    }
    for (std::size_t i : formats) {
      failures.push_back(make_error(
          Errc::invalid, ctx.host().display_path(stem + std::string(kListFormats[i].extension)) + ": " +
                             kListFormats[i].name +
                             "-compressed list, which Vigil does not read (it reads uncompressed, lz4, "
                             "gzip and xz lists), and no readable copy of it"));
    }
  }
  return out;
}

// One error for every list that could not be read: a pending (security)
// update in any of them would otherwise go unseen.
Error unreadable_lists(const std::vector<Error>& failures) {
  std::string message = failures.size() == 1
                            ? "a package list cannot be read, so pending updates are unknown: "
                            : std::to_string(failures.size()) +
                                  " package lists cannot be read, so pending updates are unknown: ";
  for (std::size_t i = 0; i < failures.size() && i < kMaxNamedFailures; ++i) {
    if (i > 0) message += "; ";
    message += failures[i].message;
  }
  if (failures.size() > kMaxNamedFailures)
    message += "; and " + std::to_string(failures.size() - kMaxNamedFailures) + " more";
  return make_error(failures.front().code, std::move(message));
}

Status collect_updates(CollectContext& ctx, std::vector<Row>& rows) {
  auto status = ctx.host().read_file(kStatusFile, ReadOptions{.max_bytes = kStatusCap});
  if (status.is(Errc::not_found)) {
    ctx.warn(std::string(kStatusFile), "file absent: no dpkg database");
    return Status::success();
  }
  if (!status)
    return make_error(status.error().code, std::string(kStatusFile) + ": " + status.error().message);
  // Its parse issues are reported by deb_packages.
  const auto packages = parse_dpkg_status(status->data);
  status->data = std::string();  // one file's text at a time
  std::string native;
  std::map<std::string, std::vector<Candidate>, std::less<>> by_name;
  for (const auto& p : packages) {
    if (p.name == "dpkg" && p.architecture) native = *p.architecture;
    if (!p.state || !dpkg_state_installed(*p.state) || !p.version || !p.architecture) continue;
    by_name[p.name].push_back(Candidate{&p, "", "", false, ""});
  }
  const auto releases = load_releases(ctx);
  std::vector<Error> failures;
  for (const auto& list : choose_lists(ctx, failures)) {
    const std::string path = list.stem + std::string(list.format->extension);
    std::string_view name = base_name(list.stem);
    // The list's own Release: the longest file-name prefix it shares.
    const ListRelease* owner = nullptr;
    for (const auto& r : releases) {
      if (name.substr(0, r.prefix.size()) == r.prefix && (!owner || r.prefix.size() > owner->prefix.size())) {
        owner = &r;
      }
    }
    const bool security = owner != nullptr && release_is_security(owner->release);
    if (auto st = scan_list(ctx, path, list.stem, *list.format->compression, security, native, by_name); !st)
      failures.push_back(st.error());
  }
  if (!failures.empty()) return unreadable_lists(failures);
  for (const auto& p : packages) {
    auto it = by_name.find(p.name);
    if (it == by_name.end()) continue;
    for (const auto& c : it->second) {
      if (c.installed != &p || c.version.empty()) continue;
      const bool security_pending =
          !c.security_version.empty() && deb_version_compare(c.security_version, *p.version) > 0;
      rows.push_back(
          Row{text_value(p.name), text_value(*p.architecture), text_value(*p.version), text_value(c.version),
              text_value(c.list), c.security_version.empty() ? null_value() : text_value(c.security_version),
              bool_value(security_pending), bool_value(deb_version_compare(c.version, *p.version) > 0)});
    }
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

TableDef apt_updates_table() {
  return TableDef{
      "apt_updates",
      "One row per installed package (dpkg state installed) that some *_Packages list in "
      "/var/lib/apt/lists offers for its architecture (or 'all'). Versions are compared in dpkg's order; "
      "pins and priorities are not applied. A security list is one whose Release file is a security "
      "repository's (apt_lists.is_security). Lists kept compressed (Acquire::GzipIndexes) are read when "
      ".lz4, .gz or .xz; one copy of each list is read, the uncompressed one if present. A list that "
      "cannot be read (an I/O error, not a regular file, over 128 MiB compressed or 256 MiB of text, "
      "corrupt or truncated compressed data, or only .bz2, .zst or .lzma copies) makes the table an "
      "error naming it, since it could hold a pending security update; a paragraph inside a readable "
      "list that has no Package or Version, or is over 1 MiB, is skipped with a warning.",
      {
          {"name", T::text, "package name"},
          {"architecture", T::text, "architecture of the installed package"},
          {"installed_version", T::text, "version in /var/lib/dpkg/status"},
          {"candidate_version", T::text, "newest version any list offers"},
          {"candidate_list", T::text,
           "the Packages file, with its compression extension, that offers candidate_version; a security "
           "list when a security list and another offer that same version"},
          {"security_version", T::text,
           "newest version any security list offers, whether or not it is candidate_version; NULL when no "
           "security list offers the package"},
          {"security", T::integer,
           "1 when security_version is newer than installed_version: a security update is pending, "
           "whichever list candidate_version comes from (a newer point release included); else 0"},
          {"pending", T::integer, "1 when candidate_version is newer than installed_version"},
      },
      collect_updates,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(apt_lists_table());
VIGIL_REGISTER_TABLE(apt_updates_table());

}  // namespace vigil::collectors
