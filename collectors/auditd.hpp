// Pure parsers behind the `auditd_rules` and `auditd_conf` tables (auditd
// 3.0.9, Debian 12), so tests can feed them strings.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::collectors {

// --- audit rules (auditctl -R, augenrules) ------------------------------------

// GNU coreutils 9.1 filevercmp(), the order of `ls -v`; ties broken with
// strcmp as ls does. Negative, zero or positive.
int filevercmp(std::string_view a, std::string_view b);

// The names augenrules 3.0.9 concatenates, in its order:
// `ls -1v /etc/audit/rules.d | grep "\.rules$"`: no hidden names (ls
// without -a), names ending in ".rules", version sort.
std::vector<std::string> augenrules_order(std::vector<std::string> names);

struct AugenFile {
  std::string path;
  std::string text;
};
struct AugenLine {
  std::size_t file = 0;      // index into the files given
  int line = 0;              // 1-based line of that file where the record starts
  std::string text;          // the record as awk sees it
  bool spans_files = false;  // the file before had no final newline: cat joined two lines
  int merged_line = 0;       // line in the generated audit.rules, 0 when augenrules drops it
};
struct AugenMerge {
  std::string output;            // exactly what augenrules writes to /etc/audit/audit.rules
  std::vector<AugenLine> lines;  // every non-empty record, in input order
};
// The concatenation and awk program of augenrules 3.0.9: empty records and
// comments dropped; the last `-e` moved to the end, the last bare `-D` first,
// the last `-b` second and the last `-f` third (earlier ones are dropped);
// everything else kept in place. `gawk` says which awk runs it: gawk reads
// "\s" as white space, Debian's default mawk 1.3.4 as a literal 's', so with
// mawk only lines that start with the option itself are moved.
AugenMerge augenrules_merge(const std::vector<AugenFile>& files, bool gawk);

// One rule line parsed the way auditctl 3.0.9 fileopt()/setopt() reads it:
// words split on spaces only (a tab stays inside a word), "\ " escapes a
// space, getopt_long over "hicslDvtC:e:f:r:b:a:A:d:S:F:m:R:w:W:k:p:q:" with
// its long options (unambiguous prefixes accepted).
struct AuditRule {
  std::string kind;    // control, watch, watch_delete, syscall, rule_delete, other, comment, blank
  std::string option;  // the first option: -D -b -f -e -r --backlog_wait_time -w -a -A -d -W ...
  std::optional<std::string> value;  // argument of a control option
  std::optional<std::string> action, list;
  std::vector<std::string> syscalls;  // -S words split on ','
  std::vector<std::string> fields;    // -F and -C arguments
  std::optional<std::string> arch, path, perms;
  std::vector<std::string> keys;  // -k and -F key=
  std::string problem;            // why auditctl refuses the line; empty when it parses
};
AuditRule parse_audit_rule(std::string_view line);

// Which rules of one load order (auditctl -R over the rules in this order)
// are in force afterwards: a bare -D deletes every earlier rule, -D -k KEY
// those with that key; of -b -f -r -e --backlog_wait_time the last counts;
// once -e 2 is loaded the kernel refuses every later change; auditctl stops
// at the first line it refuses unless -i or -c came before.
struct AuditEffect {
  std::vector<bool> effective;
  std::vector<std::string> notes;  // one per rule: why it is not in force ("" when it is)
};
AuditEffect audit_load_effect(const std::vector<AuditRule>& rules);

// --- auditd.conf --------------------------------------------------------------

struct AuditdConfEntry {
  std::string key;  // lower case (keywords are case-insensitive)
  std::string value;
  std::optional<std::string> option;  // the word after the value (space_left_action = exec /path)
  int line = 0;
};
struct AuditdConf {
  std::vector<AuditdConfEntry> entries;  // lines auditd accepted, up to a fatal one
  struct Issue {
    int line = 0;
    std::string message;
  };
  std::vector<Issue> issues;
  // Set when auditd 3.0.9 refuses the file: load_config() fails, auditd
  // logs the reason and exits, so no setting is in force.
  std::optional<Issue> fatal;
};
// load_config() of auditd 3.0.9: lines read with fgets() into 160 bytes (a
// longer line, or a last line without a newline, is skipped with an
// error), words split on spaces, "name = value [option]", '#' starts a
// comment word; an unknown keyword, a missing '=', an option where none is
// allowed or a value the keyword's parser refuses stops auditd; then
// sanity_check(): space_left must exceed admin_space_left (without %), and
// incremental flushing needs a non-zero freq.
AuditdConf parse_auditd_conf(std::string_view text);

struct AuditdDefault {
  std::string_view key;
  std::string_view value;  // as auditd's clear_config() sets it, in auditd.conf's spelling
};
// clear_config() of the auditd 3.0.9 binary Debian 12 ships.
const std::vector<AuditdDefault>& auditd_defaults();

}  // namespace vigil::collectors
