// The PAM stacks as Debian 12's libpam 1.5.2 builds them from /etc/pam.d:
// pure functions that split lines into words, join continued lines and
// expand Debian's @include and the include/substack controls, behind the
// `pam` and `pam_args` tables. Files are read through a loader so tests feed
// strings. (pwquality.conf and faillock.conf, the `pam_config` table, are in
// login_defs.hpp: the same family of key/value policy files.)
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace vigil::collectors {

inline constexpr std::string_view kPamDir = "/etc/pam.d";
// PAM_SUBSTACK_MAX_LEVEL: libpam refuses deeper substacks; the same bound
// applies here to every kind of include so a loop ends as an error.
inline constexpr int kPamMaxDepth = 16;
// A wide fan-out (each file including several others, 16 levels deep) is
// bounded so a hostile tree cannot stall a scan.
inline constexpr int kPamMaxExpansions = 10000;
inline constexpr std::size_t kPamMaxRules = 100000;
// libpam assembles a logical line in a 1024-byte buffer.
inline constexpr std::size_t kPamMaxLine = 1023;

// One word of a pam.d line as _pam_StrTokEx returns it: "[a b]" is one word,
// delivered without its brackets and with "\]" read as "]".
struct PamWord {
  std::string value;  // what libpam hands on (the module's argv entry)
  std::string raw;    // as written, brackets included
};
std::vector<PamWord> split_pam_words(std::string_view line);

// A logical line: '#' ends it, a trailing '\' joins the next non-blank,
// non-comment line (the backslash read as a space).
struct PamLine {
  std::string text;
  int line = 0;  // first physical line
};
struct PamIssue {
  std::string file;
  int line = 0;  // 0 when not about one line
  std::string message;
};
std::vector<PamLine> assemble_pam_lines(std::string_view text, const std::string& file,
                                        std::vector<PamIssue>& issues);

struct PamArg {
  std::string raw;    // as written
  std::string value;  // as the module receives it
};

struct PamRule {
  std::string service;         // the /etc/pam.d file the stack was built for
  std::string type;            // auth, account, password, session (lower case)
  bool optional_load = false;  // "-type": a module that fails to load is skipped silently
  std::string control;         // as written; the plain keywords in lower case
  std::string module;          // basename of module_path
  std::string module_path;     // as written
  std::vector<PamArg> args;
  std::string file;  // host path of the file holding the line
  int line = 0;
  std::vector<std::string> via;  // service file first, file holding the line last
  bool in_substack = false;      // done/die end the substack, not the whole stack
  int position = 0;              // 1-based order within (service, type)
};

struct PamStacks {
  bool dir_found = true;
  std::vector<PamRule> rules;
  std::vector<PamIssue> issues;
};

// read returns a host file (Errc::not_found when absent); list returns the
// sorted names of the service files in a directory (not_found when absent).
struct PamLoader {
  std::function<Result<std::string>(const std::string& path)> read;
  std::function<Result<std::vector<std::string>>(const std::string& dir)> list;
};

// Every service file's stacks. Errors (the stacks cannot be known): include
// nesting deeper than kPamMaxDepth (a loop), more than kPamMaxExpansions
// file expansions or kPamMaxRules rules, a failing directory listing.
Result<PamStacks> evaluate_pam(const PamLoader& loader, std::string_view dir = kPamDir);

}  // namespace vigil::collectors
