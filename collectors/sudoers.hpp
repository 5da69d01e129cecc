// The sudo policy as sudo 1.9.13's sudoers plugin reads it: pure functions
// that parse sudoers(5) text and walk /etc/sudoers with its @include and
// @includedir directives, behind the `sudoers_rules`, `sudoers_defaults` and
// `sudoers_aliases` tables. Files are read through a loader so tests can
// feed strings. Facts only: aliases are listed, not expanded, and scoped
// Defaults are listed, not applied.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace vigil::collectors {

inline constexpr std::string_view kSudoersPath = "/etc/sudoers";
// sudo's MAX_SUDOERS_DEPTH: deeper nesting is a parse error (an include loop).
inline constexpr int kSudoersMaxIncludeDepth = 128;
// sudo bounds only the depth; a wide fan-out is bounded here so a hostile
// tree cannot stall a scan.
inline constexpr int kSudoersMaxFiles = 1000;
inline constexpr std::size_t kSudoersMaxBytes = 16u * 1024u * 1024u;

// One command of a user specification, with the Runas, options and tags in
// effect for it (they carry over to later commands of the same list).
struct SudoersRule {
  std::string users;                 // the user list as written ("%sudo", "alice, ADMINS")
  std::string hosts;                 // the host list as written
  std::optional<std::string> runas;  // text inside "( )" as written; nullopt when none was written
  std::string options;               // "CWD=/tmp TIMEOUT=5": option specs in effect, "" when none
  std::string tags;                  // "NOPASSWD,NOEXEC": tags in effect, "" when none
  std::string command;               // as written, with any '!' and digest ("!/usr/bin/su", "ALL")
  bool nopasswd = false;             // NOPASSWD in effect for this command
  std::string file;
  int line = 0;
};

struct SudoersDefault {
  std::string scope;                 // "" global, or ":users", "@hosts", ">runas", "!cmnds" as written
  std::string name;                  // e.g. "use_pty", "secure_path"
  std::optional<std::string> value;  // quotes and escapes removed; nullopt for a flag
  bool negated = false;              // an odd number of '!' before the name
  std::string op;                    // "=", "+=", "-=", or "" for a flag
  std::string file;
  int line = 0;
};

struct SudoersAlias {
  std::string kind;  // User_Alias, Runas_Alias, Host_Alias, Cmnd_Alias (Cmd_Alias reads Cmnd_Alias)
  std::string name;
  std::string members;  // as written ("/usr/bin/apt, /usr/bin/apt-get")
  std::string file;
  int line = 0;
};

// A line sudo would reject (it reports a parse error and skips it) or a file
// sudo skips; line is 0 when not about one line.
struct SudoersIssue {
  std::string file;
  int line = 0;
  std::string message;
};

struct Sudoers {
  bool main_file_found = true;
  std::vector<SudoersRule> rules;
  std::vector<SudoersDefault> defaults;
  std::vector<SudoersAlias> aliases;
  std::vector<SudoersIssue> issues;
  std::vector<std::string> files;  // every file parsed, in order

  // What the global Defaults say about `authenticate` (the last one wins, and
  // sudo applies global Defaults before matching any rule); true when unset.
  bool authenticate() const;
};

// An include directive, path already made absolute and %h expanded.
struct SudoersInclude {
  std::string path;
  bool directory = false;  // @includedir / #includedir
  std::string file;        // where the directive is
  int line = 0;
};
using SudoersIncludeFn = std::function<Status(const SudoersInclude&)>;

// Parses the text of one file into out (rows, issues), calling on_include in
// place for each include directive; its error stops the parse and is returned.
// short_host expands %h in include paths; empty means %h is not expanded
// (an issue, and the directive is skipped).
Status parse_sudoers(std::string_view file, std::string_view text, Sudoers& out,
                     const SudoersIncludeFn& on_include = {}, std::string_view short_host = "");

// read returns a file's content (Errc::not_found when absent, not_regular for
// a fifo, device or directory); list_dir returns the entry names of a
// directory (Errc::not_found when absent, Errc::invalid when not a directory).
struct SudoersLoader {
  std::function<Result<std::string>(const std::string& path)> read;
  std::function<Result<std::vector<std::string>>(const std::string& dir)> list_dir;
};

// Walks main_path and its includes. An absent main file gives no rows and
// main_file_found = false. Errors (the policy cannot be known): nesting deeper
// than 128 (a loop), more than 1000 files or 16 MiB, an included file that
// exists but cannot be read (fifo, device, too large), an unreadable main file.
Result<Sudoers> evaluate_sudoers(const SudoersLoader& loader, std::string_view main_path = kSudoersPath,
                                 std::string_view short_host = "");

}  // namespace vigil::collectors
