// The `shell_timeout` table: every statement of the system-wide shell
// start-up files that sets, marks or unsets TMOUT, in the order a shell reads
// them, and the one that decides the value (effective).
//  - /etc/profile is read by login shells (bash, dash); Debian 12's copy
//    sources /etc/profile.d/*.sh from a `for i in /etc/profile.d/*.sh` loop,
//    and that loop's line is where those files are placed. They are sorted
//    bytewise (the C locale); bash sorts by the login locale's collation.
//  - /etc/bash.bashrc comes last: it is the file of interactive non-login
//    bash, a new shell that inherits an exported TMOUT but not its read-only
//    mark. (Debian's /etc/profile also sources it for interactive login bash,
//    before profile.d; read last, it gives the weaker of the two shells.)
//  - /etc/environment is not read: pam_env puts its KEY=VALUE lines in the
//    environment before any shell starts, where the profile files override
//    them and nothing can make them read-only; which PAM stacks read it is
//    a fact of the pam tables.
// Only bash (and ksh, zsh) honour TMOUT: dash, Debian's /bin/sh, does not.
#include "shell_timeout.hpp"

#include <algorithm>
#include <climits>
#include <optional>
#include <string>
#include <vector>

#include "collector.hpp"
#include "host.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

constexpr std::string_view kVariable = "TMOUT";
constexpr std::size_t kShellTotalCap = 16u * 1024u * 1024u;  // all start-up files together

std::string where(std::string_view file, int line) {
  return line > 0 ? std::string(file) + ":" + std::to_string(line) : std::string(file);
}

bool plain_number(std::string_view v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string visible(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\r') {
      out += "\\r";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

struct Entry {
  std::string file;
  ShellVarStatement st;
  int shell = 0;  // 0: the login shell (profile and profile.d), 1: interactive non-login bash
  bool rejected = false;
};

struct Reader {
  const ShellFileLoader& loader;
  ShellTimeout& out;
  std::size_t total = 0;
  bool any_file = false;

  void issue(std::string file, int line, std::string message) {
    out.issues.push_back(ShellIssue{std::move(file), line, std::move(message)});
  }

  // The statements of one file; nullopt when it was not read (an issue says why).
  Result<std::optional<ShellScript>> scan(const std::string& path, const char* absent_note) {
    auto text = loader.read(path);
    if (!text) {
      if (text.is(Errc::not_found)) {
        issue(path, 0, std::string("file absent") + absent_note);
      } else if (text.is(Errc::not_regular)) {
        issue(path, 0,
              "not a regular file (fifo, device or directory): skipped; a shell sourcing it would block or "
              "fail (" +
                  text.error().message + ")");
      } else {
        return make_error(text.error().code, path + ": " + text.error().message);
      }
      return std::optional<ShellScript>{};
    }
    any_file = true;
    total += text->size();
    if (total > kShellTotalCap) {
      return make_error(Errc::too_large, path + ": more than " + std::to_string(kShellTotalCap) +
                                             " bytes of shell start-up files in all");
    }
    ShellScript script = scan_shell_variable(*text, kVariable);
    if (script.too_many) {
      return make_error(Errc::too_large, path + ": more than " + std::to_string(kMaxShellStatements) +
                                             " statements about " + std::string(kVariable));
    }
    for (auto& i : script.issues) issue(path, i.line, std::move(i.message));
    return std::optional<ShellScript>(std::move(script));
  }
};

// Where /etc/profile sources profile.d: the line of its loop over the glob.
std::optional<int> profile_d_line(const ShellScript& profile) {
  for (const auto& loop : profile.loops) {
    const bool over_glob = std::find(loop.words.begin(), loop.words.end(), kProfileDGlob) != loop.words.end();
    if (over_glob && loop.sources_name) return loop.line;
  }
  return std::nullopt;
}

// readonly, exported and effective for the statements of one shell, given
// whether it inherits an exported value; returns whether it passes one on.
bool settle_shell(std::vector<Entry>& entries, int shell, bool inherits_export,
                  std::optional<std::size_t>& last, ShellTimeout& out) {
  bool any_readonly = false;
  for (const auto& e : entries) {
    if (e.shell == shell && !e.st.conditional && e.st.sets_readonly) any_readonly = true;
  }
  bool exported = inherits_export;
  std::string readonly_since;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    Entry& e = entries[i];
    if (e.shell != shell || e.st.conditional) continue;
    const bool changes_value = e.st.value.has_value() || e.st.command == "unset";
    if (changes_value && !readonly_since.empty()) {
      e.rejected = true;
      out.issues.push_back(ShellIssue{e.file, e.st.line,
                                      "bash refuses this " + e.st.command + ": " + std::string(kVariable) +
                                          " is read-only since " + readonly_since});
      continue;
    }
    if (changes_value) last = i;
    if (e.st.clears_export) exported = false;
    if (e.st.sets_export) exported = true;
    if (e.st.sets_readonly && readonly_since.empty()) readonly_since = where(e.file, e.st.line);
  }
  for (auto& e : entries) {
    if (e.shell != shell) continue;
    e.st.sets_readonly = e.st.sets_readonly || any_readonly;
    e.st.sets_export = e.st.sets_export || exported;
  }
  return exported && last && entries[*last].st.value.has_value();
}

}  // namespace

Result<ShellTimeout> evaluate_shell_timeout(const ShellFileLoader& loader) {
  ShellTimeout out;
  Reader reader{loader, out};
  std::vector<Entry> entries;
  auto append = [&entries](const std::string& file, const ShellScript& s, int shell, int from, int to) {
    for (const auto& st : s.statements) {
      if (st.line >= from && st.line < to) entries.push_back(Entry{file, st, shell});
    }
  };

  const std::string profile_path(kEtcProfile);
  auto profile = reader.scan(profile_path, ": login shells read no system-wide profile");
  if (!profile) return std::move(profile).error();
  auto matches = loader.glob(std::string(kProfileDGlob));
  if (!matches)
    return make_error(matches.error().code, std::string(kProfileDGlob) + ": " + matches.error().message);

  std::optional<int> splice;
  if (*profile) splice = profile_d_line(**profile);
  if (*profile && !splice && !matches->empty()) {
    reader.issue(
        profile_path, 0,
        "no loop sourcing /etc/profile.d/*.sh found: those files are taken as read after /etc/profile");
  }
  const int at = splice.value_or(INT_MAX);
  if (*profile) append(profile_path, **profile, 0, 0, at);
  for (const auto& path : *matches) {
    auto script = reader.scan(path, "");
    if (!script) return std::move(script).error();
    if (*script) append(path, **script, 0, 0, INT_MAX);
  }
  if (*profile) append(profile_path, **profile, 0, at, INT_MAX);
  const std::string bashrc_path(kBashBashrc);
  auto bashrc = reader.scan(bashrc_path, ": interactive non-login bash reads no system-wide file");
  if (!bashrc) return std::move(bashrc).error();
  if (*bashrc) append(bashrc_path, **bashrc, 1, 0, INT_MAX);

  if (!reader.any_file) {
    reader.issue(std::string(kEtcProfile) + ", " + std::string(kProfileDGlob) + ", " + bashrc_path, 0,
                 "no shell start-up file exists: nothing sets " + std::string(kVariable));
  }

  std::optional<std::size_t> login_last;
  std::optional<std::size_t> interactive_last;
  const bool passes_on = settle_shell(entries, 0, false, login_last, out);
  settle_shell(entries, 1, passes_on, interactive_last, out);
  const auto effective = interactive_last ? interactive_last : login_last;

  bool warned_conditional = false;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    const auto& st = e.st;
    ShellTimeoutSetting s{e.file,         st.line,        st.command,
                          st.value,       std::nullopt,   st.sets_readonly,
                          st.sets_export, st.conditional, effective && *effective == i};
    if (st.value && st.literal) {
      s.value_int = bash_tmout_number(*st.value);
      if (!plain_number(*st.value)) {
        out.issues.push_back(ShellIssue{e.file, st.line,
                                        "value '" + visible(*st.value) +
                                            "' is not a plain number: bash reads " +
                                            std::to_string(*s.value_int) + " (atoi)"});
      }
    }
    const bool may_change = st.conditional && (st.value || st.command == "unset");
    if (may_change && !warned_conditional && (!effective || i > *effective)) {
      warned_conditional = true;
      out.issues.push_back(ShellIssue{
          e.file, st.line,
          effective ? "a conditional " + st.command + " after the effective one may change " +
                          std::string(kVariable) + " (conditions are not evaluated)"
                    : std::string(kVariable) + " is set only conditionally: whether it applies depends on "
                                               "conditions that are not evaluated"});
    }
    out.settings.push_back(std::move(s));
  }
  return out;
}

namespace {

Status collect_shell_timeout(CollectContext& ctx, std::vector<Row>& rows) {
  const Host& host = ctx.host();
  ShellFileLoader l;
  l.read = [&host](const std::string& path) -> Result<std::string> {
    auto content = host.read_file(path);
    if (!content) return std::move(content).error();
    return std::move(content->data);
  };
  l.glob = [&host](const std::string& pattern) { return host.glob(pattern); };
  auto result = evaluate_shell_timeout(l);
  if (!result) return make_error(result.error().code, "shell_timeout: " + result.error().message);
  for (const auto& i : result->issues) ctx.warn(where(i.file, i.line), i.message);
  std::int64_t seq = 0;
  for (const auto& s : result->settings) {
    rows.push_back(Row{int_value(++seq), text_value(sanitize_utf8(s.file)), int_value(s.line),
                       text_value(s.command), s.value ? text_value(sanitize_utf8(*s.value)) : null_value(),
                       s.value_int ? int_value(*s.value_int) : null_value(), bool_value(s.readonly),
                       bool_value(s.exported), bool_value(s.conditional), bool_value(s.effective)});
  }
  return Status::success();
}

TableDef shell_timeout_table() {
  using T = ColumnType;
  return TableDef{
      "shell_timeout",
      "Statements that set, mark or unset TMOUT (bash's idle timeout, in seconds; 0, negative or unset is "
      "no timeout) in /etc/profile, /etc/profile.d/*.sh and /etc/bash.bashrc, in reading order: /etc/profile "
      "with the profile.d files (sorted) where its `for i in /etc/profile.d/*.sh` loop sources them, then "
      "/etc/bash.bashrc (interactive non-login bash, a new shell: read-only does not carry over, an exported "
      "value does). Conditions are not evaluated: statements inside if/case/loops/functions/subshells or "
      "after && or || are conditional and never effective. /etc/environment (pam_env) is not read. Not "
      "followed: other files these source, set -a, eval, declare -i arithmetic. A fifo, device or directory "
      "among the files is skipped with a warning; a file too large to read is an error. No file, no rows "
      "and a warning.",
      {
          {"seq", T::integer, "position in reading order, from 1"},
          {"file", T::text, "host path of the file"},
          {"line", T::integer, "1-based line of the variable's word"},
          {"statement", T::text,
           "how: 'assignment' (TMOUT=900), 'export', 'readonly', 'declare', 'typeset', 'local' or 'unset'"},
          {"value", T::text,
           "the value assigned, quotes removed, expansions as written ('$(cat /etc/tmout)'); NULL when the "
           "statement sets no value (readonly TMOUT, export TMOUT, unset TMOUT)"},
          {"value_int", T::integer,
           "the number bash arms its timer with, atoi() of the value: 900 for '900', \"900\" or '0900'; 0 "
           "for "
           "'' or 'abc'; NULL when value is NULL or holds an expansion ($VAR, $(...)) or arithmetic (declare "
           "-i)"},
          {"readonly", T::integer,
           "1 if this statement makes TMOUT read-only, or an unconditional statement of the same shell does "
           "(before or after it: read-only cannot be undone)"},
          {"exported", T::integer,
           "1 if this statement exports TMOUT, or TMOUT is exported when the same shell's files end (an "
           "unconditional export not undone by export -n, declare +x or unset; for /etc/bash.bashrc also an "
           "exported value inherited from the login shell)"},
          {"conditional", T::integer,
           "1 inside if/case/for/while/until, a function, a subshell, a pipeline or a background job, or "
           "after && or ||: it may not run, or not in this shell"},
          {"effective", T::integer,
           "1 for the statement that decides TMOUT: the last unconditional assignment or unset in reading "
           "order that bash accepts (an assignment after an unconditional readonly in the same shell is "
           "refused, with a warning); at most one row"},
      },
      collect_shell_timeout,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(shell_timeout_table());

}  // namespace vigil::collectors
