// The `auditd_rules` table: audit rules from both places Debian 12's auditd
// 3.0.9 keeps them. auditd.service runs `augenrules --load` after starting
// auditd: augenrules merges /etc/audit/rules.d/*.rules (ls -v order, its
// awk program moving -D/-b/-f/-e), writes the result to
// /etc/audit/audit.rules when it differs, and loads that file with
// auditctl -R. Without a rules.d directory it loads the existing
// audit.rules as it is. Both sources are reported: rules.d rows say what the
// next boot loads, audit.rules rows what the file holds now.
#include <algorithm>
#include <map>

#include "auditd.hpp"
#include "collector.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

bool c_digit(char c) {
  return c >= '0' && c <= '9';
}
bool c_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// gnulib 2022 filevercmp.c (coreutils 9.1): the length of the name without
// its suffix (\.[A-Za-z~][A-Za-z0-9~]*)*$.
std::size_t file_prefixlen(std::string_view s) {
  const std::size_t n = s.size();
  std::size_t prefixlen = 0;
  for (std::size_t i = 0;;) {
    prefixlen = i;
    while (i + 1 < n && s[i] == '.' && (c_alpha(s[i + 1]) || s[i + 1] == '~')) {
      for (i += 2; i < n && (c_alpha(s[i]) || c_digit(s[i]) || s[i] == '~'); ++i) {
      }
    }
    if (i == n) return prefixlen;
    ++i;
  }
}

int order(std::string_view s, std::size_t pos) {
  if (pos == s.size()) return -1;
  const auto c = static_cast<unsigned char>(s[pos]);
  if (c_digit(static_cast<char>(c))) return 0;
  if (c_alpha(static_cast<char>(c))) return c;
  if (c == '~') return -2;
  return c + 256;
}

int verrevcmp(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    int first_diff = 0;
    while ((i < a.size() && !c_digit(a[i])) || (j < b.size() && !c_digit(b[j]))) {
      const int ac = order(a, i), bc = order(b, j);
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    while (i < a.size() && j < b.size() && c_digit(a[i]) && c_digit(b[j])) {
      if (first_diff == 0) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < a.size() && c_digit(a[i])) return 1;
    if (j < b.size() && c_digit(b[j])) return -1;
    if (first_diff != 0) return first_diff;
  }
  return 0;
}

// The words of a rule line: audit_strsplit() splits on ' ' only, and
// preprocess()/postprocess() keep "\ " as a space inside a word.
std::vector<std::string> audit_words(std::string_view l) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  for (std::size_t i = 0; i < l.size(); ++i) {
    if (l[i] == '\\' && i + 1 < l.size() && (l[i + 1] == ' ' || l[i + 1] == '\\')) {
      cur += l[++i];
      in_word = true;
      continue;
    }
    if (l[i] == ' ') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    cur += l[i];
    in_word = true;
  }
  if (in_word) out.push_back(std::move(cur));
  return out;
}

struct LongOpt {
  std::string_view name;
  bool has_arg;
};
constexpr LongOpt kLongOpts[] = {{"loginuid-immutable", false},
                                 {"backlog_wait_time", true},
                                 {"reset-lost", false},
                                 {"reset_backlog_wait_time_actual", false},
                                 {"signal", true}};
constexpr std::string_view kShortOpts = "hicslDvtC:e:f:r:b:a:A:d:S:F:m:R:w:W:k:p:q:";

bool short_takes_arg(char c, bool& known) {
  const auto p = kShortOpts.find(c);
  known = c != ':' && p != std::string_view::npos;
  return known && p + 1 < kShortOpts.size() && kShortOpts[p + 1] == ':';
}

bool valid_number(const std::string& v) {
  return !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
}

constexpr std::string_view kControlOpts[] = {"-D",
                                             "-b",
                                             "-f",
                                             "-e",
                                             "-r",
                                             "-i",
                                             "-c",
                                             "-t",
                                             "-q",
                                             "--backlog_wait_time",
                                             "--loginuid-immutable",
                                             "--reset-lost",
                                             "--reset_backlog_wait_time_actual"};

bool is_control(std::string_view o) {
  for (auto c : kControlOpts) {
    if (c == o) return true;
  }
  return false;
}

// -a/-A/-d "list,action" or "action,list" (audit_rule_setup()).
void parse_list_action(const std::string& v, AuditRule& r) {
  static constexpr std::string_view kLists[] = {"task",    "entry",      "exit",    "user",
                                                "exclude", "filesystem", "io_uring"};
  const auto comma = v.find(',');
  if (comma == std::string::npos || v.find(',', comma + 1) != std::string::npos) {
    r.problem = "'" + v + "' is not list,action";
    return;
  }
  const std::string a = v.substr(0, comma), b = v.substr(comma + 1);
  auto is_list = [](const std::string& s) {
    for (auto l : kLists) {
      if (l == s) return true;
    }
    return false;
  };
  auto is_action = [](const std::string& s) { return s == "always" || s == "never"; };
  if (is_action(a) && is_list(b)) {
    r.action = a;
    r.list = b;
  } else if (is_list(a) && is_action(b)) {
    r.list = a;
    r.action = b;
  } else {
    r.problem = "'" + v + "' is not a valid list and action";
  }
  if (r.list == "entry") r.problem = "the entry list is deprecated and refused";
}

void add_field(const std::string& f, AuditRule& r) {
  r.fields.push_back(f);
  const auto op = f.find_first_of("=!<>&");
  if (op == std::string::npos || op == 0) {
    if (r.problem.empty()) r.problem = "-F " + f + ": no operator";
    return;
  }
  const std::string name = f.substr(0, op);
  std::size_t vstart = op + 1;
  while (vstart < f.size() && (f[vstart] == '=' || f[vstart] == '<' || f[vstart] == '>')) ++vstart;
  const std::string val = f.substr(vstart);
  if (name == "arch") r.arch = val;
  if (name == "path" || name == "dir") r.path = val;
  if (name == "perm") r.perms = val;
  if (name == "key") r.keys.push_back(val);
}

}  // namespace

int filevercmp(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  auto tie = [&] { return a < b ? -1 : 1; };  // ls: filevercmp(), then strcmp()
  if (a.empty()) return -1;
  if (b.empty()) return 1;
  if (a[0] == '.' && b[0] != '.') return -1;
  if (b[0] == '.' && a[0] != '.') return 1;
  if (a == "." || b == ".") return a == "." ? -1 : 1;
  if (a == ".." || b == "..") return a == ".." ? -1 : 1;
  const std::size_t ap = file_prefixlen(a), bp = file_prefixlen(b);
  const bool one_pass = ap == a.size() && bp == b.size();
  int r = verrevcmp(a.substr(0, ap), b.substr(0, bp));
  if (r == 0 && !one_pass) r = verrevcmp(a, b);
  return r != 0 ? r : tie();
}

std::vector<std::string> augenrules_order(std::vector<std::string> names) {
  std::vector<std::string> out;
  for (auto& n : names) {
    if (n.empty() || n[0] == '.') continue;
    if (n.size() < 6 || n.compare(n.size() - 6, 6, ".rules") != 0) continue;
    out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return filevercmp(a, b) < 0; });
  return out;
}

AugenMerge augenrules_merge(const std::vector<AugenFile>& files, bool gawk) {
  AugenMerge m;
  // cat: the files' bytes one after the other; a record starts where a line does.
  std::string current;
  bool have = false;
  std::size_t cur_file = 0;
  int cur_line = 0;
  bool spans = false;
  auto flush = [&] {
    if (have && !current.empty()) m.lines.push_back(AugenLine{cur_file, cur_line, current, spans, 0});
    current.clear();
    have = false;
    spans = false;
  };
  for (std::size_t f = 0; f < files.size(); ++f) {
    int line = 1;
    for (char c : files[f].text) {
      if (!have) {
        have = true;
        cur_file = f;
        cur_line = line;
      } else if (cur_file != f) {
        spans = true;
      }
      if (c == '\n') {
        flush();
        ++line;
        continue;
      }
      current += c;
    }
    // A file that ends without a newline leaves its last record open for the next one.
  }
  flush();
  // Empty records are dropped by awk too (length($0) < 1): flush() never keeps them.

  auto skip_lead = [gawk](std::string_view s) {
    std::size_t i = 0;
    while (
        i < s.size() &&
        (gawk ? (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v') : s[i] == 's'))
      ++i;
    return s.substr(i);
  };
  auto all_blank = [gawk](std::string_view s) {
    for (char c : s) {
      if (gawk ? !(c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') : c != 's') return false;
    }
    return true;
  };
  std::optional<std::size_t> minus_e, minus_d, minus_f, minus_b;
  std::vector<std::size_t> rest;
  for (std::size_t i = 0; i < m.lines.size(); ++i) {
    const std::string_view t = skip_lead(m.lines[i].text);
    if (t.substr(0, 1) == "#") continue;
    if (t.substr(0, 2) == "-e") {
      minus_e = i;
    } else if (t.substr(0, 2) == "-D" && all_blank(t.substr(2))) {
      minus_d = i;
    } else if (t.substr(0, 2) == "-f") {
      minus_f = i;
    } else if (t.substr(0, 2) == "-b") {
      minus_b = i;
    } else {
      rest.push_back(i);
    }
  }
  m.output = "## This file is automatically generated from /etc/audit/rules.d\n";
  int out_line = 1;
  auto emit = [&](std::optional<std::size_t> i) {
    ++out_line;
    if (i) {
      m.lines[*i].merged_line = out_line;
      m.output += m.lines[*i].text;
    }
    m.output += '\n';
  };
  emit(minus_d);
  emit(minus_b);
  emit(minus_f);
  for (auto i : rest) emit(i);
  emit(minus_e);
  return m;
}

AuditRule parse_audit_rule(std::string_view line) {
  AuditRule r;
  std::size_t idx = 0;
  while (idx < line.size() && line[idx] == ' ') ++idx;
  if (idx == line.size()) {
    r.kind = "blank";
    return r;
  }
  const auto words = audit_words(line);
  if (words.empty()) {
    r.kind = "blank";
    return r;
  }
  if (words[0][0] == '#') {
    r.kind = "comment";
    return r;
  }
  auto fail = [&r](std::string why) {
    if (r.problem.empty()) r.problem = std::move(why);
  };
  struct Opt {
    std::string name;
    std::optional<std::string> arg;
  };
  std::vector<Opt> opts;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.size() > 2 && w[0] == '-' && w[1] == '-') {
      std::string name = w.substr(2), arg;
      bool has_inline = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        arg = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_inline = true;
      }
      const LongOpt* match = nullptr;
      int matches = 0;
      for (const auto& lo : kLongOpts) {
        if (lo.name == name) {
          match = &lo;
          matches = 1;
          break;
        }
        if (lo.name.substr(0, name.size()) == name) {
          match = &lo;
          ++matches;
        }
      }
      if (matches != 1) {
        fail("unknown option '" + w + "'");
        continue;
      }
      Opt o{"--" + std::string(match->name), std::nullopt};
      if (match->has_arg) {
        if (has_inline) {
          o.arg = arg;
        } else if (i + 1 < words.size()) {
          o.arg = words[++i];
        } else {
          fail("--" + std::string(match->name) + " needs an argument");
        }
      }
      opts.push_back(std::move(o));
      continue;
    }
    if (w.size() < 2 || w[0] != '-') {
      fail("'" + w + "' is not an option (auditctl: parameter passed without an option)");
      continue;
    }
    for (std::size_t k = 1; k < w.size(); ++k) {
      bool known = false;
      const bool takes = short_takes_arg(w[k], known);
      if (!known) {
        fail(std::string("unknown option '-") + w[k] + "'");
        break;
      }
      Opt o{std::string("-") + w[k], std::nullopt};
      if (takes) {
        if (k + 1 < w.size()) {
          o.arg = w.substr(k + 1);
        } else if (i + 1 < words.size()) {
          o.arg = words[++i];
        } else {
          fail(o.name + " needs an argument");
        }
        opts.push_back(std::move(o));
        break;
      }
      opts.push_back(std::move(o));
    }
  }
  if (opts.empty()) {
    r.kind = "other";
    fail("no option");
    return r;
  }
  r.option = opts[0].name;
  bool has_syscall_opt = false;
  for (const auto& o : opts) {
    const std::string arg = o.arg.value_or("");
    if (o.name == "-a" || o.name == "-A" || o.name == "-d") {
      if (r.kind == "syscall" || r.kind == "rule_delete") fail("more than one rule insert/delete");
      r.kind = o.name == "-d" ? "rule_delete" : "syscall";
      r.option = o.name;
      parse_list_action(arg, r);
    } else if (o.name == "-w" || o.name == "-W") {
      if (r.kind.empty() || r.kind == "control") r.kind = o.name == "-w" ? "watch" : "watch_delete";
      if (r.kind == "watch" || r.kind == "watch_delete") r.option = o.name;
      if (arg.empty() || arg[0] != '/') fail("the path must start with '/'");
      r.path = arg;
    } else if (o.name == "-p") {
      r.perms = arg;
      if (arg.size() > 4 || arg.find_first_not_of("rwxaRWXA") != std::string::npos)
        fail("permission '" + arg + "' is not made of r, w, x, a");
    } else if (o.name == "-k") {
      r.keys.push_back(arg);
      if (arg.size() > 256) fail("key longer than 256 characters");
    } else if (o.name == "-S") {
      has_syscall_opt = true;
      for (auto s : split(arg, ',')) {
        if (!s.empty()) r.syscalls.emplace_back(s);
      }
    } else if (o.name == "-F" || o.name == "-C") {
      add_field(arg, r);
    } else if (is_control(o.name)) {
      if (r.kind.empty()) {
        r.kind = "control";
        r.option = o.name;
        r.value = o.arg;
      }
      if ((o.name == "-e" || o.name == "-f") && !(arg == "0" || arg == "1" || arg == "2"))
        fail(o.name + " takes 0, 1 or 2");
      if ((o.name == "-b" || o.name == "-r" || o.name == "--backlog_wait_time") && !valid_number(arg))
        fail(o.name + " takes a number");
    } else {
      if (r.kind.empty()) {
        r.kind = "other";
        r.option = o.name;
        r.value = o.arg;
      }
    }
  }
  if (r.kind.empty()) r.kind = "other";
  if (has_syscall_opt && r.kind != "syscall" && r.kind != "rule_delete") fail("-S without -a, -A or -d");
  if (r.kind == "watch" && r.perms && r.perms->empty()) fail("empty permission");
  return r;
}

namespace {

// The fields the kernel compares when it deletes a rule (-W, -d).
bool same_rule(const AuditRule& a, const AuditRule& b) {
  auto norm = [](const std::optional<std::string>& p) {
    std::string s = p.value_or("");
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
  };
  if (a.kind == "watch") {
    return norm(a.path) == norm(b.path) && a.perms.value_or("rwxa") == b.perms.value_or("rwxa") &&
           a.keys == b.keys;
  }
  return a.action == b.action && a.list == b.list && a.syscalls == b.syscalls && a.fields == b.fields &&
         a.keys == b.keys;
}

}  // namespace

AuditEffect audit_load_effect(const std::vector<AuditRule>& rules) {
  AuditEffect e{std::vector<bool>(rules.size(), false), std::vector<std::string>(rules.size())};
  bool ignore_errors = false;
  bool stopped = false;
  bool immutable = false;
  std::map<std::string, std::size_t> last_control;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const AuditRule& r = rules[i];
    if (r.kind == "blank" || r.kind == "comment") continue;
    if (stopped) {
      e.notes[i] = "not loaded: auditctl -R stopped at an earlier line it refused";
      continue;
    }
    if (!r.problem.empty()) {
      e.notes[i] = "auditctl refuses this line: " + r.problem;
      if (!ignore_errors) stopped = true;
      continue;
    }
    if (immutable) {
      e.notes[i] = "not loaded: -e 2 made the configuration immutable earlier";
      if (!ignore_errors) stopped = true;
      continue;
    }
    e.effective[i] = true;
    if (r.kind == "watch_delete" || r.kind == "rule_delete") {
      // The kernel deletes the rule that matches this one whole (audit_del_rule:
      // path, permissions, key; or list, action, syscalls and fields); the
      // delete itself is not a rule that stays.
      e.effective[i] = false;
      const char* target = r.kind == "watch_delete" ? "watch" : "syscall";
      bool deleted = false;
      for (std::size_t j = i; j-- > 0;) {
        const AuditRule& p = rules[j];
        if (!e.effective[j] || p.kind != target || !same_rule(p, r)) continue;
        e.effective[j] = false;
        e.notes[j] = "deleted by the " + r.option + " at a later line";
        deleted = true;
        break;
      }
      e.notes[i] =
          deleted ? "a delete: not a rule in force" : "deletes nothing: no earlier rule matches it whole";
      continue;
    }
    if (r.kind == "control") {
      if (r.option == "-i" || r.option == "-c") ignore_errors = true;
      if (r.option == "-D") {
        for (std::size_t j = 0; j < i; ++j) {
          const AuditRule& p = rules[j];
          if (!e.effective[j] || (p.kind != "watch" && p.kind != "syscall")) continue;
          bool hit = r.keys.empty();
          for (const auto& k : r.keys) {
            for (const auto& pk : p.keys) hit = hit || pk == k;
          }
          if (hit) {
            e.effective[j] = false;
            e.notes[j] = "deleted by the -D at a later line";
          }
        }
      } else if (r.option != "-i" && r.option != "-c") {
        if (auto it = last_control.find(r.option); it != last_control.end()) {
          e.effective[it->second] = false;
          e.notes[it->second] = "overridden by a later " + r.option;
        }
        last_control[r.option] = i;
      }
      if (r.option == "-e" && r.value == "2") immutable = true;
    }
  }
  return e;
}

namespace {

enum Col : std::size_t {
  kSource,
  kFile,
  kLine,
  kMergedLine,
  kInMerge,
  kRule,
  kKind,
  kOption,
  kValue,
  kAction,
  kList,
  kSyscalls,
  kFields,
  kArch,
  kPath,
  kPerms,
  kKey,
  kEffective,
  kLoadedAtBoot,
  kInSync,
  kProblem,
  kColumnCount
};

Value opt_text(const std::optional<std::string>& v) {
  return v ? text_value(sanitize_utf8(*v)) : null_value();
}
Value list_text(const std::vector<std::string>& v, std::string_view sep) {
  return v.empty() ? null_value() : text_value(sanitize_utf8(join(v, sep)));
}

Row rule_row(const AuditRule& r, std::string_view text) {
  Row row(kColumnCount, null_value());
  row[kRule] = text_value(sanitize_utf8(text));
  row[kKind] = text_value(r.kind);
  row[kOption] = r.option.empty() ? null_value() : text_value(sanitize_utf8(r.option));
  row[kValue] = opt_text(r.value);
  row[kAction] = opt_text(r.action);
  row[kList] = opt_text(r.list);
  row[kSyscalls] = list_text(r.syscalls, ",");
  row[kFields] = list_text(r.fields, " ");
  row[kArch] = opt_text(r.arch);
  row[kPath] = opt_text(r.path);
  row[kPerms] = opt_text(r.perms);
  row[kKey] = list_text(r.keys, ",");
  row[kProblem] = r.problem.empty() ? null_value() : text_value(sanitize_utf8(r.problem));
  return row;
}

// Which awk augenrules' `awk` is on this host: Debian's alternatives link.
bool host_awk_is_gawk(const Host& host) {
  auto link = host.read_link("/etc/alternatives/awk");
  return link && link->find("gawk") != std::string::npos;
}

Status collect_auditd_rules(CollectContext& ctx, std::vector<Row>& rows) {
  const Host& host = ctx.host();
  const std::string dir = "/etc/audit/rules.d", rules_file = "/etc/audit/audit.rules";
  auto entries = host.list_dir(dir);
  const bool have_dir = entries.ok();
  if (!entries && !entries.is(Errc::not_found) && !entries.is(Errc::invalid)) {
    return make_error(entries.error().code, dir + ": " + entries.error().message);
  }
  auto audit_rules = host.read_file(rules_file);
  if (!audit_rules && !audit_rules.is(Errc::not_found)) {
    return make_error(audit_rules.error().code, rules_file + ": " + audit_rules.error().message);
  }
  if (host.stat("/etc/systemd/system/auditd.service", false).ok()) {
    ctx.warn("/etc/systemd/system/auditd.service",
             "a local unit replaces Debian's auditd.service, which loads rules with augenrules --load; "
             "whether this "
             "one does is not read here");
  }
  Value in_sync = null_value();
  if (have_dir) {
    std::vector<std::string> names;
    for (const auto& e : *entries) names.push_back(e.name);
    std::vector<AugenFile> files;
    for (const auto& n : augenrules_order(names)) {
      const std::string path = dir + "/" + n;
      if (n.find_first_of(" \t\n*?[") != std::string::npos) {
        ctx.warn(path,
                 "augenrules splits $(ls) output on blanks and globs it: this file is not read as one file");
        continue;
      }
      auto content = host.read_file(path);
      if (!content) {
        ctx.warn(path, content.error().message + "; cat skips it (a fifo would hang augenrules)");
        continue;
      }
      files.push_back(AugenFile{path, std::move(content->data)});
    }
    const bool gawk = host_awk_is_gawk(host);
    const AugenMerge merge = augenrules_merge(files, gawk);
    if (merge.output != augenrules_merge(files, !gawk).output) {
      ctx.warn(dir, std::string("lines with leading blanks are moved by gawk but not by mawk; read with ") +
                        (gawk ? "gawk" : "mawk") + ", the host's awk (/etc/alternatives/awk)");
    }
    in_sync = bool_value(audit_rules.ok() && audit_rules->data == merge.output);
    if (audit_rules.ok() && audit_rules->data != merge.output) {
      ctx.warn(rules_file,
               "differs from what augenrules would write from rules.d now (augenrules --check: rules "
               "have changed); the next auditd start rewrites it");
    }
    // Load order: the generated file's order.
    std::vector<const AugenLine*> by_output;
    for (const auto& l : merge.lines) {
      if (l.merged_line > 0) by_output.push_back(&l);
    }
    std::sort(by_output.begin(), by_output.end(),
              [](const AugenLine* a, const AugenLine* b) { return a->merged_line < b->merged_line; });
    std::vector<AuditRule> parsed;
    for (const auto* l : by_output) parsed.push_back(parse_audit_rule(l->text));
    const AuditEffect effect = audit_load_effect(parsed);
    std::map<const AugenLine*, std::size_t> position;
    for (std::size_t i = 0; i < by_output.size(); ++i) position[by_output[i]] = i;
    for (const auto& l : merge.lines) {
      const std::string where = files[l.file].path + ":" + std::to_string(l.line);
      if (l.spans_files)
        ctx.warn(where, "the file has no final newline: cat joined this line with the next file's first");
      if (l.text.find('\r') != std::string::npos)
        ctx.warn(where,
                 "carriage return in the line (CRLF file): auditctl reads it as part of the last word");
      const AuditRule r = parse_audit_rule(l.text);
      if (r.kind == "blank" || r.kind == "comment") continue;
      Row row = rule_row(r, l.text);
      row[kSource] = text_value("rules.d");
      row[kFile] = text_value(sanitize_utf8(files[l.file].path));
      row[kLine] = int_value(l.line);
      row[kMergedLine] = l.merged_line > 0 ? int_value(l.merged_line) : null_value();
      row[kInMerge] = bool_value(l.merged_line > 0);
      bool eff = false;
      if (auto it = position.find(&l); it != position.end()) {
        eff = effect.effective[it->second];
        if (!effect.notes[it->second].empty()) ctx.warn(where, effect.notes[it->second]);
      } else {
        ctx.warn(where, "dropped by augenrules: a later " + r.option + " line replaces it");
      }
      row[kEffective] = bool_value(eff);
      row[kLoadedAtBoot] = bool_value(true);
      row[kInSync] = in_sync;
      rows.push_back(std::move(row));
    }
  } else {
    ctx.warn(dir, "no rules.d directory: augenrules --load loads /etc/audit/audit.rules as it is");
  }
  if (!audit_rules) {
    ctx.warn(rules_file, "file absent: auditctl -R has no rules to load");
    return Status::success();
  }
  std::vector<AuditRule> parsed;
  std::vector<std::string_view> texts;
  for (std::string_view l : split(audit_rules->data, '\n')) {
    texts.push_back(l);
    parsed.push_back(parse_audit_rule(l));
  }
  if (!texts.empty() && texts.back().empty()) {
    texts.pop_back();
    parsed.pop_back();
  }
  const AuditEffect effect = audit_load_effect(parsed);
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const AuditRule& r = parsed[i];
    if (r.kind == "blank" || r.kind == "comment") continue;
    const std::string where = rules_file + ":" + std::to_string(i + 1);
    if (!have_dir && !effect.notes[i].empty()) ctx.warn(where, effect.notes[i]);
    Row row = rule_row(r, texts[i]);
    row[kSource] = text_value("audit.rules");
    row[kFile] = text_value(rules_file);
    row[kLine] = int_value(static_cast<std::int64_t>(i + 1));
    row[kMergedLine] = int_value(static_cast<std::int64_t>(i + 1));
    row[kInMerge] = bool_value(true);
    row[kEffective] = bool_value(effect.effective[i]);
    row[kLoadedAtBoot] = bool_value(!have_dir);
    row[kInSync] = in_sync;
    rows.push_back(std::move(row));
  }
  return Status::success();
}

TableDef auditd_rules_table() {
  using T = ColumnType;
  std::vector<Column> cols(kColumnCount);
  cols[kSource] = {
      "source", T::text,
      "'rules.d': a line of /etc/audit/rules.d/*.rules as augenrules 3.0.9 merges them; 'audit.rules': a "
      "line of /etc/audit/audit.rules, the file auditctl -R loads"};
  cols[kFile] = {"file", T::text, "host path of the file holding the line"};
  cols[kLine] = {"line", T::integer, "1-based line in that file"};
  cols[kMergedLine] = {
      "merged_line", T::integer,
      "the line's number in the audit.rules augenrules generates (line 1 is its header, 2-4 the "
      "moved -D/-b/-f, the last the moved -e); NULL when augenrules drops it; for audit.rules rows "
      "the line itself"};
  cols[kInMerge] = {
      "in_merge", T::integer,
      "1 when augenrules keeps the line; 0 for an -e/-D/-b/-f replaced by a later one (it keeps only "
      "the last of each); always 1 for audit.rules rows"};
  cols[kRule] = {"rule", T::text, "the line as written"};
  cols[kKind] = {
      "kind", T::text,
      "control (-D -b -f -e -r --backlog_wait_time --loginuid-immutable -i -c ...), watch (-w), "
      "watch_delete (-W), syscall (-a/-A: any list, exit, user, exclude, filesystem), rule_delete (-d), "
      "other (-l -s -m ...)"};
  cols[kOption] = {"option", T::text,
                   "the option that makes the kind: '-e', '-w', '-a', '--backlog_wait_time'..."};
  cols[kValue] = {
      "value", T::text,
      "a control option's argument: '2' for -e 2 (immutable), '8192' for -b 8192; NULL otherwise"};
  cols[kAction] = {"action", T::text, "'always' or 'never' of -a/-A/-d; NULL otherwise"};
  cols[kList] = {"list", T::text,
                 "'exit', 'task', 'user', 'exclude', 'filesystem' of -a/-A/-d; NULL otherwise"};
  cols[kSyscalls] = {"syscalls", T::text,
                     "the -S names, comma-joined in order ('adjtimex,settimeofday'); NULL when none "
                     "(auditctl then adds all for exit rules)"};
  cols[kFields] = {
      "fields", T::text,
      "the -F and -C arguments, space-joined ('arch=b64 auid>=1000 auid!=unset'); NULL when none"};
  cols[kArch] = {"arch", T::text, "the value of -F arch= ('b64', 'b32'); NULL when not given"};
  cols[kPath] = {"path", T::text, "the watched path: -w/-W argument, or -F path= / -F dir="};
  cols[kPerms] = {"perms", T::text,
                  "-p or -F perm= as written ('wa'); NULL when not given (a watch then means rwxa)"};
  cols[kKey] = {"key", T::text, "the -k keys (and -F key=), comma-joined; NULL when none"};
  cols[kEffective] = {
      "effective", T::integer,
      "1 when the rule is in force after loading its source in order: 0 when augenrules drops it, a "
      "later bare -D (or -D -k with its key) deletes it, a later -W or -d matching it whole (path, "
      "permissions and key; or list, action, syscalls and fields) deletes it, a later same control "
      "option overrides it, for the -W/-d lines themselves, "
      "it comes after -e 2, auditctl refuses it (problem), or auditctl stopped at an earlier refused "
      "line (no -i/-c before)"};
  cols[kLoadedAtBoot] = {
      "loaded_at_boot", T::integer,
      "1 for the source Debian 12's auditd.service loads at boot (augenrules --load): rules.d "
      "when that directory exists, else audit.rules; 0 for the other source"};
  cols[kInSync] = {
      "in_sync", T::integer,
      "1 when audit.rules is byte-identical to what augenrules writes from rules.d now, 0 when it "
      "differs or is absent; NULL without a rules.d directory. The same on every row"};
  cols[kProblem] = {"problem", T::text,
                    "why auditctl 3.0.9 refuses the line (syntax only; kernel checks are not "
                    "made); NULL when it parses"};
  return TableDef{
      "auditd_rules",
      "Audit rules of auditd 3.0.9 (Debian 12), from both sources: /etc/audit/rules.d/*.rules merged as "
      "augenrules does (ls -v order, hidden files skipped, last -D/-b/-f moved to the top and last -e to the "
      "end, with the host's awk: mawk reads '\\s' as 's', so indented lines stay in place) and "
      "/etc/audit/audit.rules as auditctl -R reads it. -e 2 (immutable) is a control row with value '2'. One "
      "row per rule line; comments and blank lines are not rows.",
      std::move(cols),
      collect_auditd_rules,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(auditd_rules_table());

}  // namespace vigil::collectors
