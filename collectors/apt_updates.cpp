// The apt_updates table: for each installed package, the newest version the
// downloaded lists offer and the newest a security list offers. Each list is
// streamed (read in chunks, decompressed in chunks, scanned in chunks), so a
// 50 MiB list costs a few buffers, not its size. Files only; apt is never run.
#include <algorithm>
#include <array>
#include <map>
#include <unordered_map>

#include "apt.hpp"
#include "apt_internal.hpp"
#include "collector.hpp"
#include "deb_packages.hpp"
#include "debversion.hpp"
#include "decompress.hpp"

namespace vigil::collectors {

using namespace apt_detail;

namespace {

constexpr std::string_view kStatusFile = "/var/lib/dpkg/status";
constexpr std::size_t kStatusCap = 64u * 1024u * 1024u;  // as deb_packages
// Debian's main amd64 Packages is ~50 MiB uncompressed; it is streamed, so
// the cap bounds the time a hostile list can take, not memory.
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

struct Candidate {
  const DebPackage* installed = nullptr;
  std::string version;  // newest offered by any list; empty until a list offers the package
  std::string list;     // the list it comes from
  bool from_security = false;
  std::string security_version;  // newest offered by a security list; empty when none does
};

// Looked up once per paragraph of every list (~60 000 for Debian's main):
// hashed, and by the paragraph's string_view without a copy.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using Candidates = std::unordered_map<std::string, std::vector<Candidate>, NameHash, std::equal_to<>>;

// Whether a list paragraph of architecture arch can upgrade an installed
// package: same architecture, or 'all' (packages move between any and all).
bool arch_matches(std::string_view installed, std::string_view arch, std::string_view native) noexcept {
  return arch == installed || arch == "all" || (installed == "all" && !native.empty() && arch == native);
}

// One list, streamed from the file through the decompressor into the
// scanner. Errors name the file, as the Host's own do.
Status stream_list(const Host& host, const std::string& path, Compression c, PackagesIndexScanner& scanner) {
  const std::string shown = host.display_path(path);
  auto named = [&](const Error& e) { return make_error(e.code, shown + ": " + e.message); };
  auto decoder = Decompressor::create(c, kPackagesCap);
  if (!decoder) return named(decoder.error());
  const ChunkSink to_scanner = [&](std::string_view text) {
    scanner.feed(text);
    return Status::success();
  };
  const ReadOptions cap{.max_bytes = c == Compression::none ? kPackagesCap : kCompressedCap};
  auto read = host.read_chunks(path, cap, [&](std::string_view chunk) -> Status {
    if (auto st = decoder->feed(chunk, to_scanner); !st) return named(st.error());
    return Status::success();
  });
  if (!read) return read;
  if (auto st = decoder->finish(to_scanner); !st) return named(st.error());
  scanner.finish();
  return Status::success();
}

// stem: the list's name without its compression extension.
Status scan_list(CollectContext& ctx, const std::string& path, std::string_view stem, Compression compression,
                 bool security, std::string_view native, Candidates& by_name) {
  const auto list_arch = packages_list_architecture(base_name(stem));
  std::vector<ParseIssue> issues;
  PackagesIndexScanner scanner(
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
  auto st = stream_list(ctx.host(), path, compression, scanner);
  if (st) warn_issues(ctx, path, issues);
  return st;
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
  std::string message =
      failures.size() == 1
          ? "a package list cannot be read or classified, so pending updates are unknown: "
          : std::to_string(failures.size()) +
                " package lists cannot be read or classified, so pending updates are unknown: ";
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
  Candidates by_name;
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
    if (owner != nullptr && owner->problem) {
      // Whether it is a security list is unknowable: a pending security fix must not hide.
      failures.push_back(make_error(Errc::parse, path + ": its Release file " + owner->file + " " +
                                                     *owner->problem +
                                                     "; whether it is a security list is unknown"));
      continue;
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

TableDef apt_updates_table() {
  TableDef def{
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
  def.heavy = true;
  return def;
}

}  // namespace

VIGIL_REGISTER_TABLE(apt_updates_table());

}  // namespace vigil::collectors
