// APT's own configuration (apt.conf(5)) read the way libapt-pkg reads it,
// behind the `apt_config` and `apt_config_files` tables: a pure parser of one
// file's text into statements, the rule that picks the files of a parts
// directory, and an evaluator that applies them to apt's configuration tree.
// The evaluator reads through a loader, so tests feed it strings.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts.hpp"  // ParseIssue
#include "host.hpp"      // FileType
#include "result.hpp"

namespace vigil::collectors {

inline constexpr std::string_view kAptConfParts = "/etc/apt/apt.conf.d/";
inline constexpr std::string_view kAptConfMain = "/etc/apt/apt.conf";

// --- one file ----------------------------------------------------------------

struct AptConfStatement {
  enum class Kind { set, clear, include, configure_index };
  Kind kind = Kind::set;
  // set: the item name as apt builds it ("APT::Periodic::Enable"; a list item
  // ends in "::"); clear: the tree to empty; include: the path as written.
  std::string name;
  std::string value;  // set only
  int line = 0;       // line where the statement starts
};

struct AptConfParse {
  std::vector<AptConfStatement> statements;  // in order; only those before an error
  std::optional<ParseIssue> error;           // apt's "Syntax error": it stops reading the file here
  std::vector<ParseIssue> issues;            // things apt does not refuse but a reader should know
  // One of vigil's own bounds (nesting, key length, size of the statements)
  // stopped the reading: unlike error, it says nothing about apt.
  std::optional<std::string> over_limit;
};

// ReadConfigFile() of apt 2.6 (apt-pkg/contrib/configuration.cc) over text.
AptConfParse parse_apt_conf(std::string_view text);

// Whether apt reads a parts-directory entry (GetListOfFilesInDir(dir,
// "conf", sorted, no extension allowed) in apt-pkg/contrib/fileutl.cc).
// type is what the name resolves to, symbolic links followed.
enum class AptPartVerdict {
  read,
  ignored_quietly,  // hidden, a directory, a bad character, or an editor/dpkg leftover
                    // (Ignore-Files-Silently)
  ignored_notice,   // apt prints "N: Ignoring file ..." and skips it
};
struct AptPartDecision {
  AptPartVerdict verdict = AptPartVerdict::read;
  std::string reason;  // empty when read
};
AptPartDecision apt_conf_part(std::string_view name, FileType type);

// --- the whole configuration -------------------------------------------------

struct AptConfIssue {
  std::string where;  // "/etc/apt/apt.conf.d/50unattended-upgrades:12", or a path
  std::string message;
};

struct AptConfValue {
  std::string key;                // full path as written; a list item names its list
  std::string key_lower;          // apt compares keys case-insensitively
  std::string value;              // as apt stores it (quotes removed)
  std::optional<int> list_index;  // nullopt for a scalar
  bool effective = false;         // in force when apt starts (see AptConfig::loads)
  std::string file;
  int line = 0;
};

struct AptConfFile {
  std::string path;
  std::string status;                        // read | error | ignored | absent
  std::string message;                       // empty when read
  std::optional<int> line;                   // line of the error
  std::optional<std::string> included_from;  // "file:line" of the #include
  int depth = 0;                             // 0 for the parts and the main file
  std::optional<int> read_order;             // 1, 2... in the order apt reads; nullopt when not read
};

struct AptConfig {
  std::vector<AptConfValue> values;  // every assignment, in reading order
  std::vector<AptConfFile> files;
  // false when any file had an error: pkgInitConfig() then fails and apt,
  // apt-get, apt-config (so apt.systemd.daily) and python-apt (so
  // unattended-upgrade) refuse to start. Then no value is effective.
  bool loads = true;
  std::vector<AptConfIssue> issues;  // warnings

  std::optional<Error> fatal;  // one of vigil's own caps was hit: nothing can be said
};

struct AptConfLoader {
  std::function<Result<std::string>(const std::string& path, std::size_t cap)> read;
  std::function<Result<std::vector<std::string>>(const std::string& dir)> list_dir;  // names, sorted
  std::function<Result<FileType>(const std::string& path)> type;                     // symlinks followed
};

// pkgInitConfig() of apt 2.6: the parts directory first, then the main file.
AptConfig evaluate_apt_config(const AptConfLoader& loader);

}  // namespace vigil::collectors
