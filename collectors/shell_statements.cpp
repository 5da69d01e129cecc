// The statements of a shell script about one variable (see
// shell_timeout.hpp): what bash's builtins do with each simple command that
// walk_script (shell_parse.cpp) hands on. Assignments (TMOUT=900), export,
// readonly, declare, typeset, local (with -r, -x, +x, -n; -f and -p touch no
// variable), unset; `. $i` in a for loop is noted so the caller can tell where
// /etc/profile sources profile.d; return or exit at the top level ends the file.
// Not interpreted: set -a, eval (a warning), declare -i arithmetic, arrays.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "shell_syntax.hpp"
#include "shell_timeout.hpp"

namespace vigil::collectors {

namespace {

using shell_detail::Command;
using shell_detail::Token;

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

// The name of an assignment word (NAME=value, unquoted name), or "" when the
// word is not one. append is set for NAME+=value.
std::string assignment_name(const Token& t, bool& append) {
  append = false;
  const std::string& r = t.raw;
  if (!t.is_word() || r.empty() || !is_name_start(r[0])) return {};
  std::size_t i = 1;
  while (i < r.size() && is_name_char(r[i])) ++i;
  if (i < r.size() && r[i] == '+' && i + 1 < r.size() && r[i + 1] == '=') {
    append = true;
    return r.substr(0, i);
  }
  return i < r.size() && r[i] == '=' ? r.substr(0, i) : std::string();
}

class Statements {
 public:
  Statements(std::string_view name, ShellScript& out) : name_(name), out_(out) {}

  // Walker's sink: false stops the reading.
  bool operator()(const Command& c) {
    command(c);
    return !stop_;
  }

 private:
  void issue(int line, std::string message) {
    shell_detail::add_issue(out_.issues, line, std::move(message));
  }

  void add(const Token& word, const std::string& command, std::optional<std::string> value, bool literal,
           bool conditional) {
    if (out_.statements.size() >= kMaxShellStatements) {
      out_.too_many = true;
      stop_ = true;
      return;
    }
    ShellVarStatement s;
    s.line = word.line;
    s.command = command;
    s.value = std::move(value);
    s.literal = literal;
    s.conditional = conditional;
    out_.statements.push_back(std::move(s));
  }

  void command(const Command& c) {
    const std::vector<Token>& words = c.words;
    const bool cond = c.conditional;
    std::size_t i = 0;
    bool append = false;
    bool prefix_mentions = false;
    while (i < words.size() && !assignment_name(words[i], append).empty()) {
      if (assignment_name(words[i], append) == name_) prefix_mentions = true;
      ++i;
    }
    if (i == words.size()) {  // only assignments: they set shell variables
      for (const auto& w : words) {
        if (assignment_name(w, append) != name_) continue;
        const std::string value = w.value.substr(name_.size() + (append ? 2 : 1));
        add(w, "assignment", value, w.literal && !append, cond);
        if (append) issue(w.line, name_ + "+= appends to the value before it: not read as a number here");
      }
      return;
    }
    while (i + 1 < words.size() && (words[i].value == "builtin" || words[i].value == "command")) {
      if (words[i].value == "command" && words[i + 1].value.rfind('-', 0) == 0) {
        if (words[i + 1].value.find_first_of("vV") != std::string::npos) return;  // command -v prints
        ++i;
      }
      ++i;
    }
    const std::string& cmd = words[i].value;
    if (prefix_mentions) {
      issue(words[0].line, name_ + "=... before '" + cmd + "' sets " + name_ + " for that command only");
    }
    if (cmd == "export" || cmd == "readonly" || cmd == "declare" || cmd == "typeset" || cmd == "local") {
      return declaration(words, i, cond);
    }
    if (cmd == "unset") return unset(words, i, cond);
    if ((cmd == "." || cmd == "source") && i + 1 < words.size()) {
      const std::string& arg = words[i + 1].raw;
      for (std::size_t index : c.loops) {
        auto& loop = out_.loops[index];
        for (const std::string form : {"$", "${", "\"$", "\"${"}) {
          const std::string close = form.back() == '{' ? "}" : "";
          const std::string q = form.front() == '"' ? "\"" : "";
          if (arg == form + loop.name + close + q) loop.sources_name = true;
        }
      }
      return;
    }
    if ((cmd == "return" || cmd == "exit") && !cond && c.top_level) {
      issue(words[i].line, "'" + cmd + "' at the top level: bash reads no further statement of this file");
      stop_ = true;
      return;
    }
    if (cmd == "eval") {
      for (const auto& w : words) {
        if (w.value.find(name_) != std::string::npos) {
          issue(w.line, "eval mentions " + name_ + ": its text is not read as statements here");
          break;
        }
      }
    }
  }

  // export/readonly/declare/typeset/local [options] NAME[=value]...
  void declaration(const std::vector<Token>& words, std::size_t i, bool cond) {
    const std::string cmd = words[i].value;
    bool readonly = cmd == "readonly";
    bool exported = cmd == "export";
    bool unexport = false;
    bool skip = false;  // -f (functions) or -p (print only)
    bool integer = false;
    std::size_t j = i + 1;
    for (; j < words.size(); ++j) {
      const std::string& o = words[j].value;
      if (o == "--") {
        ++j;
        break;
      }
      if (o.size() < 2 || (o[0] != '-' && o[0] != '+')) break;
      const bool on = o[0] == '-';
      for (char c : o.substr(1)) {
        if (c == 'f' || c == 'F' || c == 'p') skip = true;
        if (cmd == "export" && c == 'n') unexport = on;
        if (cmd == "export" || cmd == "readonly") continue;
        if (c == 'r' && on) readonly = true;
        if (c == 'x') (on ? exported : unexport) = true;
        if (c == 'i' && on) integer = true;
      }
    }
    if (skip) return;
    for (; j < words.size(); ++j) {
      bool append = false;
      std::string assigned = assignment_name(words[j], append);
      const bool has_value = !assigned.empty();
      if ((has_value ? assigned : words[j].value) != name_) continue;
      std::optional<std::string> value;
      if (has_value) value = words[j].value.substr(name_.size() + (append ? 2 : 1));
      add(words[j], cmd, value, words[j].literal && !append && !integer, cond || cmd == "local");
      if (stop_) return;
      auto& s = out_.statements.back();
      s.sets_readonly = readonly;
      s.sets_export = exported && !unexport;
      s.clears_export = unexport;
      if (integer && has_value) {
        issue(words[j].line, cmd + " -i: bash evaluates the value as arithmetic; not computed here");
      }
    }
  }

  void unset(const std::vector<Token>& words, std::size_t i, bool cond) {
    bool functions = false;
    for (std::size_t j = i + 1; j < words.size(); ++j) {
      const std::string& w = words[j].value;
      if (w.size() > 1 && w[0] == '-') {
        functions = functions || w.find('f') != std::string::npos;
        continue;
      }
      if (functions || w != name_) continue;
      add(words[j], "unset", std::nullopt, true, cond);
      if (stop_) return;
      out_.statements.back().clears_export = true;
    }
  }

  std::string name_;
  ShellScript& out_;
  bool stop_ = false;
};

}  // namespace

ShellScript scan_shell_variable(std::string_view text, std::string_view name) {
  ShellScript out;
  std::string without_nul;
  if (text.find('\0') != std::string_view::npos) {
    // bash drops NUL bytes from the lines it reads.
    without_nul.reserve(text.size());
    for (char c : text) {
      if (c != '\0') without_nul.push_back(c);
    }
    text = without_nul;
    out.issues.push_back(
        ShellIssue{"", 0, "NUL bytes in the file: bash drops them, and so does this reader"});
  }
  if (const auto crlf = text.find("\r\n"); crlf != std::string_view::npos) {
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + crlf, '\n'));
    out.issues.push_back(
        ShellIssue{"", line,
                   "CRLF line ends: bash keeps the '\\r' in the last word of a line, so 'readonly " +
                       std::string(name) + "\\r' names no variable and 'fi\\r' is no keyword"});
  }
  Statements statements(name, out);
  shell_detail::walk_script(text, out, [&statements](const Command& c) { return statements(c); });
  return out;
}

std::int64_t bash_tmout_number(std::string_view value) {
  std::size_t i = 0;
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
  };
  while (i < value.size() && space(value[i])) ++i;
  bool negative = false;
  if (i < value.size() && (value[i] == '+' || value[i] == '-')) negative = value[i++] == '-';
  // strtol() saturates at LONG_MAX/LONG_MIN; atoi() then keeps the low 32 bits.
  std::uint64_t magnitude = 0;
  bool saturated = false;
  for (; i < value.size() && value[i] >= '0' && value[i] <= '9'; ++i) {
    const auto digit = static_cast<std::uint64_t>(value[i] - '0');
    if (magnitude > (static_cast<std::uint64_t>(INT64_MAX) - digit) / 10) {
      saturated = true;
      break;
    }
    magnitude = magnitude * 10 + digit;
  }
  const std::int64_t as_long =
      saturated ? (negative ? INT64_MIN : INT64_MAX)
                : (negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude));
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(as_long)));
}

}  // namespace vigil::collectors
