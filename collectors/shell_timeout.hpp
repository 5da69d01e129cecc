// The TMOUT idle timeout in the system-wide shell start-up files, behind the
// `shell_timeout` table: a reader of the statements that set or mark one
// shell variable (shell_parse.cpp) and the evaluation over /etc/profile,
// /etc/profile.d/*.sh and /etc/bash.bashrc (shell_timeout.cpp). Pure
// functions, so tests feed strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace vigil::collectors {

inline constexpr std::string_view kEtcProfile = "/etc/profile";
inline constexpr std::string_view kProfileDGlob = "/etc/profile.d/*.sh";
inline constexpr std::string_view kBashBashrc = "/etc/bash.bashrc";

struct ShellIssue {
  std::string file;  // empty from the parser: the file it was given
  int line = 0;      // 0 when not about one line
  std::string message;
};

// One statement that assigns, marks or unsets the variable, as bash would run
// it; conditions are never evaluated.
struct ShellVarStatement {
  int line = 0;
  // "assignment" (TMOUT=900), "export", "readonly", "declare", "typeset",
  // "local" or "unset": the builtin that ran it.
  std::string command;
  // After '=', quotes removed, expansions ($x, $(...)) kept as written;
  // nullopt when the statement sets no value (readonly TMOUT, unset TMOUT).
  std::optional<std::string> value;
  bool literal = true;  // the value holds no expansion, so it is what bash stores
  bool sets_readonly = false;
  bool sets_export = false;
  bool clears_export = false;  // export -n, declare +x, unset
  // Inside if/case/for/while/until, a function, a subshell, a pipeline or a
  // background job, or after && or ||: it may not run, or not in this shell.
  bool conditional = false;
};

// for NAME in WORDS; do ... done, to find where /etc/profile sources profile.d.
struct ShellForLoop {
  int line = 0;
  std::string name;
  std::vector<std::string> words;  // after quote removal
  bool sources_name = false;       // the body runs ". $NAME" or "source $NAME"
};

// More statements about the variable in one file than any real start-up file
// holds: the reader stops there (too_many) rather than hold a hostile file's worth.
inline constexpr std::size_t kMaxShellStatements = 10000;

struct ShellScript {
  std::vector<ShellVarStatement> statements;  // in file order
  std::vector<ShellForLoop> loops;
  std::vector<ShellIssue> issues;
  bool too_many = false;  // stopped after kMaxShellStatements statements
};

// Statements about variable `name` in a POSIX/bash script.
ShellScript scan_shell_variable(std::string_view text, std::string_view name);

// What bash 5.2 makes of a TMOUT value when it arms the timer (read_command()
// in eval.c: atoi(), a 32-bit int): leading blanks, a sign and the decimal
// digits up to the first other character; 0 when there are none ("abc", "").
std::int64_t bash_tmout_number(std::string_view value);

// One row of the table.
struct ShellTimeoutSetting {
  std::string file;
  int line = 0;
  std::string command;
  std::optional<std::string> value;
  std::optional<std::int64_t> value_int;
  bool readonly = false;
  bool exported = false;
  bool conditional = false;
  bool effective = false;
};

struct ShellTimeout {
  std::vector<ShellTimeoutSetting> settings;  // in reading order
  std::vector<ShellIssue> issues;
};

// read returns a host file (Errc::not_found when absent, Errc::not_regular
// for a fifo, device or directory); glob the sorted matches of a pattern.
struct ShellFileLoader {
  std::function<Result<std::string>(const std::string& path)> read;
  std::function<Result<std::vector<std::string>>(const std::string& pattern)> glob;
};

// Reading order: /etc/profile, with the /etc/profile.d/*.sh files (sorted)
// spliced in where /etc/profile's loop sources them (after /etc/profile when
// no such loop is found), then /etc/bash.bashrc, the file of interactive
// non-login bash, which is a new shell: read-only marks do not reach it, an
// exported value does.
// A file over the read cap, more than 16 MiB in all, too many statements or
// too many profile.d matches is an error: bash would read what is not seen.
// Absent, unreadable or special files (fifo, device, directory) are issues.
Result<ShellTimeout> evaluate_shell_timeout(const ShellFileLoader& loader);

}  // namespace vigil::collectors
