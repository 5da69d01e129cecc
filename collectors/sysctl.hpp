// Kernel parameters as systemd-sysctl 252 (Debian 12) persists them, and the
// pure pieces behind the `sysctl` and `sysctl_known` tables: systemd's line
// reader, key normalisation, the sysctl.d file order, the assignment merge
// and glob precedence (src/sysctl/sysctl.c, src/basic/sysctl-util.c,
// src/basic/conf-files.c of systemd v252).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::collectors {

// CONF_PATHS("sysctl.d") as Debian 12's systemd-sysctl is built (no split-usr
// /lib/sysctl.d): same-named files in an earlier directory override later ones.
inline constexpr std::array<std::string_view, 4> kSysctlDirs{"/etc/sysctl.d", "/run/sysctl.d",
                                                             "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d"};
// LONG_LINE_MAX: read_line() fails on a longer line, and parse_file() stops.
inline constexpr std::size_t kSysctlMaxLine = 1u << 20;

// systemd's read_line(): a line ends at EOF or at a run of "\n", "\r", "\0"
// in which no kind repeats and nothing follows a NUL ("\r\n", "\n\r",
// "\r\n\0" are one end, "\n\n" two). A line over max bytes stops the reading.
struct SysctlLine {
  std::string_view text;
  int number = 0;
};
struct SysctlLines {
  std::vector<SysctlLine> lines;
  int too_long_line = 0;  // number of a line over max (the reading stopped there); 0 if none
};
SysctlLines split_systemd_lines(std::string_view text, std::size_t max = kSysctlMaxLine);

// sysctl_normalize(): the key as a path under /proc/sys. When the first
// separator is '.', dots and slashes swap (net.ipv4.conf.eth0/1.rp_filter ->
// net/ipv4/conf/eth0.1/rp_filter); when it is '/', both stay. Then "//", "."
// components and trailing slashes go (path_simplify), and a leading slash.
std::string sysctl_normalize(std::string_view key);
// The sysctl(8) name of a normalised key: '/' -> '.', '.' -> '/'.
std::string sysctl_dotted(std::string_view path_key);
// string_is_glob(): any of "*?[".
bool sysctl_is_glob(std::string_view key) noexcept;
// A normalised key that stays inside /proc/sys: not empty, no ".." component, no NUL.
bool sysctl_key_is_safe(std::string_view path_key) noexcept;

// One line of a sysctl.d file that parse_file() keeps.
struct SysctlAssignment {
  std::string key;                   // normalised (path form)
  std::optional<std::string> value;  // nullopt: a "-key" line without '=' (keeps globs off the key)
  bool ignore_failure = false;       // "-key = value": a failed write is not an error
  int line = 0;
};
struct SysctlIssue {
  int line = 0;  // 0 when about the whole file
  std::string message;
};
struct SysctlFile {
  std::vector<SysctlAssignment> assignments;
  std::vector<SysctlIssue> issues;
};
// Blank lines and lines whose first non-blank is '#' or ';' are skipped;
// "key = value" with blanks (" \t\n\r") stripped around both; a line with
// no '=' is ignored with a warning unless it starts with '-'.
SysctlFile parse_sysctl_file(std::string_view text);

// conf_files_list_strv(".conf", CONF_PATHS("sysctl.d")): the names of each
// directory's entries that end in ".conf" and are not hidden, the first
// directory holding a name winning; sorted by name across directories.
struct SysctlDirListing {
  std::string dir;
  std::vector<std::string> names;  // directory entries
};
struct SysctlConfFile {
  std::string path;                     // the file read
  std::vector<std::string> overridden;  // same-named files in later directories, not read
};
std::vector<SysctlConfFile> sysctl_conf_files(const std::vector<SysctlDirListing>& dirs);

// The ordered hashmap parse_file() builds over all files in order: a key set
// again to a different value moves to the end with the new value; to the
// same value it stays where it was (only '-' is merged in).
struct SysctlOption {
  std::string key;  // normalised; may be a glob
  std::optional<std::string> value;
  bool ignore_failure = false;
  std::string file;
  int line = 0;
};
class SysctlOptions {
 public:
  void add(const std::string& file, const SysctlAssignment& a);
  // The options in the order systemd-sysctl applies them.
  std::vector<SysctlOption> ordered() const;

 private:
  std::vector<SysctlOption> entries_;
  std::vector<bool> alive_;
  std::vector<std::pair<std::string, std::size_t>> index_;  // sorted by key
};

// What systemd-sysctl does to one existing key (path form, not a glob):
// an explicit option for the key decides (its value, or none for "-key");
// otherwise globs are written in order, so the last matching glob with a
// value wins. nullptr when no option touches the key.
struct SysctlDecision {
  const SysctlOption* option = nullptr;
  bool via_glob = false;
};
SysctlDecision sysctl_decide(const std::vector<SysctlOption>& ordered, std::string_view key);

// glob(3) with GLOB_BRACE, as glob_extend() calls it, on path-form keys:
// '*' and '?' do not cross '/', and {a,b} alternatives are expanded.
bool sysctl_glob_matches(std::string_view pattern, std::string_view key);

// Whether a live value (as /proc/sys prints it) is what a persisted value
// sets: equal after blanks are collapsed, or equal as integers field by
// field the way proc_dointvec parses the written text (base 0: "0x10" is 16).
bool sysctl_values_equal(std::string_view live, std::string_view persisted);

}  // namespace vigil::collectors
