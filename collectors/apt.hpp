// APT's configuration and downloaded state, read from files only (apt is
// never run): the sources, the Release files of the last update, and the
// candidate versions of installed packages. Pure parsers of the text forms;
// the tables apt_sources, apt_lists and apt_updates wrap them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts.hpp"  // ParseIssue

namespace vigil::collectors {

// One (type, uri, suite) combination of a sources entry.
struct AptSource {
  std::string type;  // "deb" or "deb-src"
  std::string uri;
  std::string suite;                         // "bookworm", or an exact path ending in '/'
  std::string components;                    // space-separated; empty for an exact path
  bool trusted = false;                      // trusted=yes / Trusted: yes (no signature check at all)
  std::optional<std::string> signed_by;      // as written; "(embedded key)" for an inline key
  std::optional<std::string> architectures;  // arch= / Architectures:, space-separated
  bool enabled = true;                       // Enabled: no in deb822
  int line = 0;                              // line of the entry (one-line) or stanza (deb822)
};

// sources.list(5) one-line form: "deb [ opt=val ... ] uri suite [component...]".
std::vector<AptSource> parse_sources_list(std::string_view text, std::vector<ParseIssue>* issues = nullptr);
// sources.list(5) deb822 form (*.sources): Types, URIs, Suites, Components...
std::vector<AptSource> parse_sources_deb822(std::string_view text, std::vector<ParseIssue>* issues = nullptr);

// The first paragraph of a Release file.
struct AptRelease {
  std::optional<std::string> origin;
  std::optional<std::string> label;
  std::optional<std::string> suite;
  std::optional<std::string> codename;
  std::optional<std::string> date;
  std::optional<std::string> valid_until;
};

// The signed text of a clear-signed (InRelease) file, without the armor;
// nullopt when the text is not a complete clear-signed message. The
// signature is not checked: apt did so before it stored the file.
std::optional<std::string_view> clearsigned_body(std::string_view text) noexcept;
// Dash-escaped lines ("- -----") of a clear-signed body are read unescaped.
AptRelease parse_release(std::string_view text, std::vector<ParseIssue>* issues = nullptr);
// Label Debian-Security, or Suite or Codename ending in "-security".
bool release_is_security(const AptRelease& r) noexcept;
// A Release Date or Valid-Until ("Sat, 10 Feb 2024 10:47:43 UTC") in seconds
// since the epoch, as apt's RFC1123StrToTime reads it (UTC/GMT/+0000 only);
// nullopt for anything else.
std::optional<std::int64_t> parse_release_date(std::string_view text) noexcept;

// One binary package paragraph of a Packages index; views into its text.
struct PackageIndexEntry {
  std::string_view name;
  std::string_view version;
  std::string_view architecture;  // empty when the paragraph has none
  int line = 0;
};

using PackageIndexFn = std::function<void(const PackageIndexEntry&)>;

// A paragraph larger than this (counted from its first line through the
// blank line that ends it) is skipped with an issue: an index is read in
// pieces, and what is held of a paragraph split between pieces is bounded.
inline constexpr std::size_t kMaxPackagesParagraph = 1024u * 1024u;

// The text of a Packages index in pieces of any size, as they are read or
// decompressed: fn is called for each paragraph with a Package and a Version
// (its views valid during the call), exactly as scan_packages_index over the
// whole text would, whatever the pieces. Only the part of a paragraph split
// between pieces is copied; a paragraph inside one piece is read in place.
// Package, Version and Architecture are read (field names in any case,
// values trimmed, continuation lines kept in the value); other fields are
// skipped. Issues: a continuation line before any field, a line that is
// neither field nor continuation, a paragraph without Package or Version,
// and a paragraph over max_paragraph bytes (only that issue for it).
class PackagesIndexScanner {
 public:
  explicit PackagesIndexScanner(PackageIndexFn fn, std::vector<ParseIssue>* issues = nullptr,
                                std::size_t max_paragraph = kMaxPackagesParagraph);
  void feed(std::string_view text);
  // The text has ended: the last paragraph needs no blank line after it.
  void finish();
  // Bytes held from one piece to the next: never more than max_paragraph.
  std::size_t carried() const noexcept { return carry_.size(); }

 private:
  std::size_t parse(std::string_view text, bool at_end);
  void skip(std::string_view text);
  void too_long(std::string_view dropped);
  void flush_issues(bool keep);

  PackageIndexFn fn_;
  std::vector<ParseIssue>* issues_;
  std::size_t max_paragraph_;
  std::string carry_;                         // the start of a paragraph that the last piece cut
  int next_line_ = 1;                         // line number of carry_'s first line, or of the next piece
  bool skipping_ = false;                     // inside a paragraph over the limit, until its blank line
  bool skip_blank_ = true;                    // skipping: the line read so far is blank
  std::vector<ParseIssue> paragraph_issues_;  // kept until the paragraph's size is known
};

// The whole text at once: one piece. No copy of the text is made, so a
// 50 MiB index costs no more than its own buffer.
void scan_packages_index(std::string_view text, const PackageIndexFn& fn,
                         std::vector<ParseIssue>* issues = nullptr);

// "..._binary-amd64_Packages" -> "amd64"; nullopt for a flat repository.
std::optional<std::string_view> packages_list_architecture(std::string_view file_name) noexcept;

}  // namespace vigil::collectors
