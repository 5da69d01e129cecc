// The statement scanner of rsyslog_config (see rsyslog.hpp): enough of
// rsyslog 8.2302's grammar (grammar/lexer.l, rainerscript.c) to find every
// directive, object and action with its line, not a full RainerScript parser:
// expressions after `if` are kept as text, not evaluated.
#include <cctype>

#include "rsyslog.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

constexpr std::string_view kObjects[] = {
    "action",   "module",       "input",  "global",    "main_queue",       "template", "include", "ruleset",
    "timezone", "lookup_table", "parser", "dyn_stats", "percentile_stats", "property", "constant"};
constexpr std::string_view kControl[] = {"stop",     "call",    "call_indirect",      "set", "unset", "reset",
                                         "continue", "foreach", "reload_lookup_table"};

bool is_ident(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
}
bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

class Scanner {
 public:
  explicit Scanner(std::string_view t) : t_(t) {}

  RsyslogParsed run() {
    while (i_ < t_.size()) step();
    return std::move(out_);
  }

 private:
  char at(std::size_t k) const { return k < t_.size() ? t_[k] : '\0'; }

  bool line_start(std::size_t pos) const {
    for (std::size_t k = pos; k > 0; --k) {
      const char c = t_[k - 1];
      if (c == '\n') return true;
      if (!blank(c)) return false;
    }
    return true;
  }

  void advance() {
    if (t_[i_] == '\n') ++line_;
    ++i_;
  }

  void skip_to_eol() {
    while (i_ < t_.size() && t_[i_] != '\n') ++i_;
  }

  // Blanks, newlines and comments between tokens.
  void skip_space() {
    while (i_ < t_.size()) {
      if (blank(t_[i_]) || t_[i_] == '\n') {
        advance();
      } else if (t_[i_] == '#') {
        skip_to_eol();
      } else if (t_[i_] == '/' && at(i_ + 1) == '*') {
        skip_block_comment();
      } else {
        return;
      }
    }
  }

  void skip_block_comment() {
    const int start = line_;
    i_ += 2;
    while (i_ < t_.size() && !(t_[i_] == '*' && at(i_ + 1) == '/')) advance();
    if (i_ >= t_.size()) {
      out_.issues.push_back({start, "comment not closed before the end of the file"});
      return;
    }
    i_ += 2;
  }

  // A quoted string starting at i_ (its quote char), unescaped.
  std::string read_string() {
    const char q = t_[i_];
    std::string s;
    const int start = line_;
    ++i_;
    while (i_ < t_.size() && t_[i_] != q) {
      if (t_[i_] == '\\' && i_ + 1 < t_.size()) {
        ++i_;
        const char e = t_[i_];
        s += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        advance();
        continue;
      }
      s += t_[i_];
      advance();
    }
    if (i_ >= t_.size()) {
      out_.issues.push_back({start, "string not closed before the end of the file"});
      return s;
    }
    ++i_;
    return s;
  }

  std::string read_word() {
    const std::size_t b = i_;
    while (i_ < t_.size() && is_ident(t_[i_])) ++i_;
    return std::string(t_.substr(b, i_ - b));
  }

  // The text up to the end of the line, without a trailing " # comment".
  std::string rest_of_line() {
    const std::size_t b = i_;
    skip_to_eol();
    std::string_view l = t_.substr(b, i_ - b);
    for (std::size_t k = 1; k < l.size(); ++k) {
      if (l[k] == '#' && blank(l[k - 1])) {
        l = l.substr(0, k);
        break;
      }
    }
    return std::string(trim(l));
  }

  std::string current_condition() {
    if (!pending_.empty()) return pending_;
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (!it->condition.empty()) return it->condition;
    }
    return "";
  }
  std::string current_ruleset() const {
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (!it->ruleset.empty()) return it->ruleset;
    }
    return "";
  }

  void emit(RsyslogStatement s) {
    if (s.selector.empty()) s.selector = current_condition();
    s.ruleset = current_ruleset();
    pending_.clear();
    after_then_ = false;
    out_.statements.push_back(std::move(s));
  }

  // name( params ) with i_ at '('.
  RsyslogStatement object(std::string name, int line) {
    RsyslogStatement s{"object", std::move(name), "", {}, "", "", line};
    ++i_;
    for (;;) {
      skip_space();
      if (i_ >= t_.size()) {
        out_.issues.push_back({line, s.name + "(...) not closed before the end of the file"});
        break;
      }
      if (t_[i_] == ')') {
        ++i_;
        break;
      }
      std::string pname = to_lower(read_word());
      if (pname.empty()) {
        out_.issues.push_back({line_, std::string("unexpected '") + t_[i_] + "' in " + s.name + "(...)"});
        ++i_;
        continue;
      }
      skip_space();
      if (at(i_) != '=') {
        out_.issues.push_back({line_, "parameter '" + pname + "' without '=' in " + s.name + "(...)"});
        continue;
      }
      ++i_;
      skip_space();
      std::string value;
      if (at(i_) == '"' || at(i_) == '\'') {
        value = read_string();
      } else if (at(i_) == '[') {
        ++i_;
        std::vector<std::string> items;
        for (;;) {
          skip_space();
          if (i_ >= t_.size() || t_[i_] == ']') break;
          if (t_[i_] == ',') {
            ++i_;
            continue;
          }
          if (t_[i_] == '"' || t_[i_] == '\'') {
            items.push_back(read_string());
          } else {
            const std::string w = read_word();
            if (w.empty())
              ++i_;
            else
              items.push_back(w);
          }
        }
        if (i_ < t_.size()) ++i_;
        value = join(items, ",");
      } else {
        const std::size_t b = i_;
        while (i_ < t_.size() && !blank(t_[i_]) && t_[i_] != '\n' && t_[i_] != ')') ++i_;
        value = std::string(t_.substr(b, i_ - b));
      }
      s.params.push_back({std::move(pname), std::move(value)});
    }
    return s;
  }

  void skip_braced_block() {
    int depth = 0;
    while (i_ < t_.size()) {
      const char c = t_[i_];
      if (c == '"' || c == '\'') {
        read_string();
        continue;
      }
      if (c == '{') ++depth;
      if (c == '}' && --depth == 0) {
        ++i_;
        return;
      }
      advance();
    }
  }

  // A legacy action after its selector: action(...) or the line's text.
  void legacy_action(std::string selector, int line) {
    while (i_ < t_.size() && blank(t_[i_])) ++i_;
    if (selector != "&") last_selector_ = selector;
    const std::string shown = selector == "&" ? last_selector_ : selector;
    const std::size_t save = i_;
    const std::string w = to_lower(read_word());
    std::size_t k = i_;
    while (k < t_.size() && blank(t_[k])) ++k;
    if (w == "action" && at(k) == '(') {
      i_ = k;
      RsyslogStatement s = object("action", line);
      s.selector = shown;
      emit(std::move(s));
      return;
    }
    i_ = save;
    std::string action = rest_of_line();
    if (action.empty()) {
      out_.issues.push_back({line, "selector '" + selector + "' without an action"});
      return;
    }
    emit(RsyslogStatement{"legacy_action", "", std::move(action), {}, shown, "", line});
  }

  // ":property, op, \"value\"" at i_: the filter up to the value's end.
  std::string property_filter() {
    const std::size_t b = i_;
    int commas = 0;
    while (i_ < t_.size() && t_[i_] != '\n') {
      if (t_[i_] == ',') ++commas;
      if (commas == 2 && t_[i_] == '"') {
        read_string();
        break;
      }
      ++i_;
    }
    return std::string(t_.substr(b, i_ - b));
  }

  void step() {
    const char c = t_[i_];
    if (c == '\n' || blank(c) || c == ';') {
      advance();
      return;
    }
    if (c == '#') {
      skip_to_eol();
      return;
    }
    if (c == '/' && at(i_ + 1) == '*') {
      skip_block_comment();
      return;
    }
    const int line = line_;
    const bool starts_line = line_start(i_);
    if (c == '{') {
      blocks_.push_back(Block{pending_, pending_ruleset_});
      pending_.clear();
      after_then_ = false;
      pending_ruleset_.clear();
      ++i_;
      return;
    }
    if (c == '}') {
      if (blocks_.empty())
        out_.issues.push_back({line, "'}' without '{'"});
      else
        blocks_.pop_back();
      ++i_;
      return;
    }
    if (c == '$' && starts_line) {
      ++i_;
      const std::string name = to_lower(read_word());
      emit(RsyslogStatement{"directive", name, rest_of_line(), {}, "", "", line});
      return;
    }
    if (c == '&' && starts_line) {
      ++i_;
      legacy_action("&", line);
      return;
    }
    if (c == ':' && starts_line) {
      legacy_action(property_filter(), line);
      return;
    }
    if (is_ident(c) || c == '*') {
      const std::size_t b = i_;
      const std::string word = to_lower(read_word());
      std::size_t k = i_;
      while (k < t_.size() && blank(t_[k])) ++k;
      for (auto o : kObjects) {
        if (o == word && at(k) == '(') {
          i_ = k;
          RsyslogStatement s = object(word, line);
          if (word == "ruleset") pending_ruleset_ = rsyslog_param(s, "name").value_or("");
          if (word == "template") {
            skip_space();
            if (at(i_) == '{') skip_braced_block();
          }
          emit(std::move(s));
          return;
        }
      }
      if (word == "if" || word == "else") {
        if (word == "else") {
          pending_ = "else";
          return;
        }
        // The condition up to `then`, strings respected.
        std::string cond;
        for (;;) {
          if (i_ >= t_.size()) break;
          if (t_[i_] == '"' || t_[i_] == '\'') {
            cond += '"' + read_string() + '"';
            continue;
          }
          if ((t_.substr(i_, 4) == "then") && !is_ident(at(i_ + 4)) && (i_ == 0 || !is_ident(t_[i_ - 1]))) {
            i_ += 4;
            break;
          }
          cond += t_[i_] == '\n' ? ' ' : t_[i_];
          advance();
        }
        pending_ = "if " + std::string(trim(cond));
        after_then_ = true;
        return;
      }
      for (auto w : kControl) {
        if (w == word) {
          std::string args;
          if (word == "set" || word == "unset" || word == "reset") {
            const std::size_t a = i_;
            while (i_ < t_.size() && t_[i_] != ';') advance();
            args = std::string(trim(t_.substr(a, i_ - a)));
          } else if (word == "call" || word == "call_indirect") {
            while (i_ < t_.size() && blank(t_[i_])) ++i_;
            args = read_word();
          }
          emit(RsyslogStatement{"control", word, std::move(args), {}, "", "", line});
          after_then_ = false;
          return;
        }
      }
      i_ = b;
      if (starts_line || after_then_) {
        if (after_then_) {
          after_then_ = false;
          emit(RsyslogStatement{"legacy_action", "", rest_of_line(), {}, "", "", line});
          return;
        }
        // A legacy selector: up to the first blank.
        while (i_ < t_.size() && !blank(t_[i_]) && t_[i_] != '\n') ++i_;
        legacy_action(std::string(t_.substr(b, i_ - b)), line);
        return;
      }
    }
    if (after_then_) {
      after_then_ = false;
      emit(RsyslogStatement{"legacy_action", "", rest_of_line(), {}, "", "", line});
      return;
    }
    out_.issues.push_back(
        {line, "cannot read '" + rest_of_line() + "'; rsyslog would report a syntax error"});
  }

  struct Block {
    std::string condition;
    std::string ruleset;
  };

  std::string_view t_;
  std::size_t i_ = 0;
  int line_ = 1;
  RsyslogParsed out_;
  std::vector<Block> blocks_;
  std::string pending_;          // condition for the next statement or block
  std::string pending_ruleset_;  // ruleset(...) whose block comes next
  std::string last_selector_;    // for "&" lines
  bool after_then_ = false;
};

}  // namespace

RsyslogParsed parse_rsyslog_conf(std::string_view text) {
  return Scanner(text).run();
}

std::optional<std::string> rsyslog_param(const RsyslogStatement& s, std::string_view name) {
  for (const auto& p : s.params) {
    if (iequals(p.name, name)) return p.value;
  }
  return std::nullopt;
}

std::optional<LegacyForward> parse_legacy_forward(std::string_view a) {
  if (a.empty() || a[0] != '@') return std::nullopt;
  LegacyForward f;
  std::size_t i = 1;
  f.protocol = "udp";
  if (a.size() > 1 && a[1] == '@') {
    f.protocol = "tcp";
    i = 2;
  }
  if (i < a.size() && a[i] == '(') {  // options: (o), (z9)
    const auto close = a.find(')', i);
    i = close == std::string_view::npos ? a.size() : close + 1;
  }
  std::string_view rest = a.substr(i);
  rest = rest.substr(0, rest.find(';'));  // ;Template
  rest = trim(rest);
  if (!rest.empty() && rest[0] == '[') {
    const auto close = rest.find(']');
    f.target =
        std::string(rest.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
    rest = close == std::string_view::npos ? std::string_view() : rest.substr(close + 1);
  } else {
    const auto colon = rest.find(':');
    f.target = std::string(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
  }
  if (!rest.empty() && rest[0] == ':') {
    std::string_view port = rest.substr(1);
    port = port.substr(0, port.find_first_of(" \t"));
    if (!port.empty()) f.port = std::string(port);
  }
  return f;
}

}  // namespace vigil::collectors
