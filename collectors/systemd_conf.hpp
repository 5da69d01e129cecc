// systemd's own configuration files (journald.conf, timesyncd.conf) read the
// way systemd 252 (Debian 12) reads them, shared by `journald_config` and
// `time_sync`:
//  - config_parse_many_nulstr(): the main file /etc/systemd/NAME only (252
//    looks nowhere else for it; /run and /usr/lib main files came later), then
//    the drop-ins NAME.d/*.conf from /etc/systemd, /run/systemd,
//    /usr/local/lib/systemd, /usr/lib/systemd and /lib/systemd (Debian's
//    split-usr list, as in the binaries' own strings), sorted by file name
//    whatever their directory; a name found in an earlier directory hides
//    the same name later (conf-files.c files_add(), flags 0); hidden files
//    are skipped (FOREACH_DIRENT); later files override earlier keys.
//  - config_parse() / parse_line(): '#' and ';' comment lines, a trailing
//    '\' joins the next line (replaced by a space), [Section] headers, only
//    the requested section is read, "Key=Value" with blanks stripped, keys
//    compared case-sensitively.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "host.hpp"
#include "result.hpp"

namespace vigil::collectors {

struct SystemdAssignment {
  std::string key;    // as written, case-sensitive
  std::string value;  // blanks stripped; continuation lines joined
  int line = 0;       // line of the key (the first of a continued line)
};

struct SystemdIssue {
  int line = 0;
  std::string message;
};

struct SystemdParsed {
  std::vector<SystemdAssignment> assignments;  // of the wanted section, in file order
  std::vector<SystemdIssue> issues;            // what systemd logs and ignores
};

// One file's text; `section` is the one section systemd reads ("Journal").
SystemdParsed parse_systemd_conf(std::string_view text, std::string_view section);

// One directory's entries, as listed (names only; types do not matter to 252).
struct DropinListing {
  std::string dir;  // "/etc/systemd/journald.conf.d"
  std::vector<std::string> names;
};
struct DropinFile {
  std::string path;
  std::vector<std::string> hidden;  // same-named files of later directories it overrides
};
// conf_files_list(): names ending in ".conf", not starting with '.', first
// directory wins per name, the result sorted by name (strcmp).
std::vector<DropinFile> resolve_dropins(const std::vector<DropinListing>& dirs);

// The drop-in directories systemd 252 (Debian 12) searches for NAME.d.
std::vector<std::string> systemd_dropin_dirs(std::string_view conf_name);

// A file read for the evaluation: path and text, or why it was not read.
struct SystemdConfSource {
  std::string path;
  bool main = false;
  std::vector<SystemdAssignment> assignments;
};
struct SystemdConfFiles {
  std::vector<SystemdConfSource> files;  // in systemd's reading order
  bool main_found = false;
};
// Reads /etc/systemd/<conf_name> and its drop-ins through host; every
// problem (an unreadable or special file, a drop-in hiding another, a line
// systemd ignores) is passed to warn(where, message). A fifo or a device is
// skipped with a warning (systemd would block on or misread it).
SystemdConfFiles read_systemd_conf(const Host& host, std::string_view conf_name, std::string_view section,
                                   const std::function<void(std::string, std::string)>& warn);

// systemd's parse_boolean(): 1/yes/y/true/t/on and 0/no/n/false/f/off,
// case-insensitive; -1 otherwise.
int systemd_boolean(std::string_view v) noexcept;

}  // namespace vigil::collectors
