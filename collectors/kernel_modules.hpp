// modprobe's configuration as kmod 30 (Debian 12) reads it, behind the
// `modprobe_config` and `kernel_modules` tables. Pure functions, so tests
// feed strings; kernel_modules.cpp reads the files through Host.
//
// kmod 30 (libkmod-config.c): the directories /etc/modprobe.d,
// /run/modprobe.d, /usr/local/lib/modprobe.d and /lib/modprobe.d, in that
// order; in each, entries ending in .conf or .alias and not starting with '.'
// (a directory among them is refused); all of them read in one lexical order
// of their names (strcmp), and a name already taken by an earlier directory
// masks the later file. Then /proc/cmdline: modprobe.blacklist=a,b and
// module.param=value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::collectors {

inline constexpr std::string_view kModprobeDirs[] = {"/etc/modprobe.d", "/run/modprobe.d",
                                                     "/usr/local/lib/modprobe.d", "/lib/modprobe.d"};
inline constexpr std::string_view kProcCmdline = "/proc/cmdline";
inline constexpr std::string_view kProcModules = "/proc/modules";

// '-' and '_' are the same in module names: kmod stores names with '_'
// (underscores(): a '[...]' wildcard class is copied as is). nullopt when a
// bracket is unbalanced, which kmod refuses as a bad line.
std::optional<std::string> kmod_underscores(std::string_view name);

struct ModprobeDirective {
  std::string command;  // alias, blacklist, install, remove, options, softdep
  std::string module;   // normalised: the module (a pattern for install, options, softdep), or the alias
  std::optional<std::string> value;  // alias target, command text, options (tabs read as spaces), softdep
  int line = 0;                      // first physical line of the (continued) line
};

struct ModprobeIssue {
  int line = 0;
  std::string message;
};

struct ModprobeConf {
  std::vector<ModprobeDirective> directives;
  std::vector<ModprobeIssue> issues;
};

// One file as kmod_config_parse() reads it: a '\' before a newline joins the
// next line; a line starting with '#' (in column one only: an indented '#'
// is a bad line, ignored) or blank is skipped; words are split at spaces and
// tabs only (a CR of a CRLF file stays in the last word: "blacklist x\r"
// names the module "x\r"); a NUL ends the line.
ModprobeConf parse_modprobe_conf(std::string_view text);

// A /proc/cmdline word kmod takes: modname.param[=value].
struct CmdlineSetting {
  std::string module;  // as written before the first '.'
  std::string param;   // "param" or "param=value" as written
};
// kmod 30's reading of /proc/cmdline: words split at blanks outside double
// quotes; a word is taken when a '.' comes before any '=' and the parameter
// name holds no second '.' or quote. Also returns the kernel's own
// module_blacklist= lists (kernel/module/main.c refuses to load those names,
// whatever loads them).
struct KernelCmdline {
  std::vector<CmdlineSetting> settings;
  std::vector<std::string> module_blacklist;  // names as written
};
KernelCmdline parse_kernel_cmdline(std::string_view text);

// An entry of a configuration directory as listed (name and whether it is
// a directory, symlinks followed).
struct ConfEntry {
  std::string name;
  bool is_dir = false;
};
struct ConfDir {
  std::string path;
  bool exists = false;
  bool is_file = false;  // the path itself is a regular file: read as one file named by its basename
  std::vector<ConfEntry> entries;
};
struct ConfFile {
  std::string path;
  std::string name;
};
struct ConfOrder {
  std::vector<ConfFile> files;                              // in the order kmod reads them
  std::vector<std::pair<std::string, std::string>> notes;   // (file, why kmod does not read it)
  std::vector<std::pair<std::string, std::string>> masked;  // (file, the file of the same name read instead)
};
// conf_files_list() + conf_files_insert_sorted() over the directories in order.
ConfOrder order_modprobe_files(const std::vector<ConfDir>& dirs);

// The install command runs instead of loading the module; these are the
// commands that load nothing: /bin/false, /bin/true, /usr/bin/false,
// /usr/bin/true, false and true, with nothing after them but blanks or a
// shell comment.
bool install_disables(std::string_view command);
// The command without the blanks around it (a CR is kept: sh would run it).
std::string_view trim_install_command(std::string_view command) noexcept;

// Module names in modules.builtin or modules.dep lines: the file's basename
// without .ko and a compression suffix, normalised.
std::vector<std::string> module_names_in_list(std::string_view text);

}  // namespace vigil::collectors
