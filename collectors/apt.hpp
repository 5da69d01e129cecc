// APT's configuration and downloaded state, read from files only (apt is
// never run): the sources, the Release files of the last update, and the
// candidate versions of installed packages. Pure parsers of the text forms;
// the tables apt_sources, apt_lists and apt_updates wrap them.
#pragma once

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

// One binary package paragraph of a Packages index; views into its text.
struct PackageIndexEntry {
  std::string_view name;
  std::string_view version;
  std::string_view architecture;  // empty when the paragraph has none
  int line = 0;
};

// Calls fn for each paragraph with a Package and a Version; no copy of the
// text is made, so a 50 MiB index costs no more than its own buffer.
void scan_packages_index(std::string_view text, const std::function<void(const PackageIndexEntry&)>& fn,
                         std::vector<ParseIssue>* issues = nullptr);

// "..._binary-amd64_Packages" -> "amd64"; nullopt for a flat repository.
std::optional<std::string_view> packages_list_architecture(std::string_view file_name) noexcept;

}  // namespace vigil::collectors
