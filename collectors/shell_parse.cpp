// The structure of a shell script as bash's grammar sees it (see
// shell_syntax.hpp): simple commands grouped into lists, pipelines and
// compound commands, far enough to know whether a command runs
// unconditionally in the shell reading the file. if/case/loops/functions/
// subshells/pipelines/background jobs and && or || make it conditional;
// conditions are never evaluated. What a command does is the sink's business
// (shell_statements.cpp).
#include <algorithm>
#include <string>

#include "shell_syntax.hpp"

namespace vigil::collectors::shell_detail {

namespace {

using Kind = Token::Kind;

// A file of "{ { { ..." ends here, not in a stack of millions of blocks.
constexpr std::size_t kMaxDepth = 256;

class Walker {
 public:
  Walker(std::string_view text, ShellScript& out, const std::function<bool(const Command&)>& sink)
      : lex_(text), out_(out), sink_(sink) {}

  void run() {
    while (!done_) step();
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
      issue(it->line,
            "'" + it->opener + "' is never closed: bash reports a syntax error and runs none of it");
    }
    for (const auto& i : lex_.issues()) issue(i.line, i.message);
    std::stable_sort(out_.issues.begin(), out_.issues.end(),
                     [](const ShellIssue& a, const ShellIssue& b) { return a.line < b.line; });
  }

 private:
  enum class Block { if_, loop, case_, brace, subshell };
  struct Open {
    Block kind;
    bool conditional;
    int line;
    std::string opener;
    bool in_patterns = false;              // case: reading "pattern)" rather than commands
    std::size_t loop = std::string::npos;  // for: index in out_.loops
  };

  void issue(int line, std::string message) { add_issue(out_.issues, line, std::move(message)); }
  bool conditional_now() const { return cond_depth_ > 0 || and_or_ || pipeline_; }
  void end_list() { and_or_ = pipeline_ = false; }

  void push(Block kind, bool conditional, const Token& t) {
    if (stack_.size() >= kMaxDepth) {
      issue(t.line,
            "compound commands nested deeper than " + std::to_string(kMaxDepth) + ": not read further");
      done_ = true;
      return;
    }
    conditional = conditional || and_or_ || pipeline_ || function_next_;
    if (conditional) ++cond_depth_;
    stack_.push_back(Open{kind, conditional, t.line, t.raw});
    and_or_ = pipeline_ = function_next_ = false;
  }
  void pop(std::initializer_list<Block> kinds, const Token& t) {
    if (stack_.empty() || std::find(kinds.begin(), kinds.end(), stack_.back().kind) == kinds.end()) {
      issue(t.line, "unexpected '" + t.raw + "': bash reports a syntax error");
      return;
    }
    if (stack_.back().conditional) --cond_depth_;
    stack_.pop_back();
  }
  void skip_newlines() {
    while (lex_.peek().kind == Kind::newline) lex_.next();
  }

  void step() {
    if (!stack_.empty() && stack_.back().in_patterns) return case_pattern();
    const Token& t = lex_.peek();
    switch (t.kind) {
      case Kind::end:
        done_ = true;
        return;
      case Kind::newline:
        lex_.next();
        return end_list();
      case Kind::word:
        return t.quoted ? simple_command() : keyword_or_command();
      case Kind::op:
        break;
    }
    const Token op = lex_.next();
    if (op.raw == ";" || op.raw == "&") return end_list();
    if (op.raw == ";;" || op.raw == ";&" || op.raw == ";;&") {
      end_list();
      if (!stack_.empty() && stack_.back().kind == Block::case_) {
        stack_.back().in_patterns = true;
      } else {
        issue(op.line, "unexpected '" + op.raw + "' outside case: bash reports a syntax error");
      }
      return;
    }
    if (op.raw == "&&" || op.raw == "||") {
      and_or_ = true;
      pipeline_ = false;
      return;
    }
    if (op.raw == "|" || op.raw == "|&") {
      pipeline_ = true;
      return;
    }
    if (op.raw == "(") {
      if (lex_.peek().is_op("(")) return skip_until_double_paren();  // (( arithmetic ))
      return push(Block::subshell, true, op);  // assignments there never reach this shell
    }
    if (op.raw == ")") return pop({Block::subshell}, op);
    if (op.raw[0] == '<' || op.raw[0] == '>' || op.raw == "&>" || op.raw == "&>>") {
      if (lex_.peek().is_word()) lex_.next();  // a redirection before any word: its target
    }
  }

  void keyword_or_command() {
    const std::string& w = lex_.peek().raw;
    if (w == "if") return push(Block::if_, true, lex_.next());
    if (w == "while" || w == "until") return push(Block::loop, true, lex_.next());
    if (w == "then" || w == "do" || w == "else" || w == "elif") {
      lex_.next();
      return end_list();
    }
    if (w == "fi") return pop({Block::if_}, lex_.next());
    if (w == "done") return pop({Block::loop}, lex_.next());
    if (w == "esac") return pop({Block::case_}, lex_.next());
    if (w == "{") return push(Block::brace, false, lex_.next());
    if (w == "}") return pop({Block::brace}, lex_.next());
    if (w == "for" || w == "select") return for_header();
    if (w == "case") return case_header();
    if (w == "function") {
      lex_.next();
      if (lex_.peek().is_word()) lex_.next();
      if (lex_.peek().is_op("(") && lex_.peek(1).is_op(")")) {
        lex_.next();
        lex_.next();
      }
      function_next_ = true;  // the body runs only when the function is called
      return;
    }
    if (w == "!" || w == "time") {
      lex_.next();
      return;
    }
    if (w == "[[") {  // its && || < > ( ) and newlines are operands, not shell syntax
      while (lex_.peek().kind != Kind::end) {
        if (lex_.next().is_keyword("]]")) break;
      }
      return;
    }
    simple_command();
  }

  void for_header() {
    const Token kw = lex_.next();
    ShellForLoop loop{kw.line, {}, {}, false};
    if (lex_.peek().is_op("(")) {  // for ((...)): skipped to do
      while (lex_.peek().kind != Kind::end && !lex_.peek().is_keyword("do")) lex_.next();
    } else {
      if (lex_.peek().is_word()) loop.name = lex_.next().value;
      skip_newlines();
      if (lex_.peek().is_keyword("in")) {
        lex_.next();
        while (lex_.peek().is_word()) loop.words.push_back(lex_.next().value);
      }
      while (lex_.peek().kind == Kind::newline || lex_.peek().is_op(";")) lex_.next();
    }
    if (lex_.peek().is_keyword("do")) {
      lex_.next();
    } else {
      issue(kw.line, "'" + kw.raw + "' without 'do': bash reports a syntax error");
    }
    push(Block::loop, true, kw);
    if (done_) return;
    stack_.back().loop = out_.loops.size();
    out_.loops.push_back(std::move(loop));
  }

  void case_header() {
    const Token kw = lex_.next();
    if (lex_.peek().is_word()) lex_.next();  // the subject
    skip_newlines();
    if (lex_.peek().is_keyword("in")) {
      lex_.next();
    } else {
      issue(kw.line, "'case' without 'in': bash reports a syntax error");
    }
    push(Block::case_, true, kw);
    if (done_) return;
    stack_.back().in_patterns = true;
  }

  // "pattern | pattern )" before the commands of a case item, or "esac".
  void case_pattern() {
    while (lex_.peek().kind == Kind::newline || lex_.peek().is_op(";")) lex_.next();
    if (lex_.peek().kind == Kind::end) {
      done_ = true;
      return;
    }
    if (lex_.peek().is_keyword("esac")) {
      stack_.back().in_patterns = false;
      return pop({Block::case_}, lex_.next());
    }
    while (lex_.peek().kind != Kind::end && !lex_.next().is_op(")")) {
    }
    stack_.back().in_patterns = false;
    end_list();
  }

  void skip_until_double_paren() {
    int close = 0;
    while (lex_.peek().kind != Kind::end && close < 2) close = lex_.next().is_op(")") ? close + 1 : 0;
  }

  void simple_command() {
    std::vector<Token> words;
    for (;;) {
      const Token& t = lex_.peek();
      if (t.is_word()) {
        if (t.io_number) {
          lex_.next();
          continue;
        }
        words.push_back(lex_.next());
        continue;
      }
      if (t.kind != Kind::op) break;
      if (t.raw[0] == '<' || t.raw[0] == '>' || t.raw == "&>" || t.raw == "&>>") {
        lex_.next();
        if (lex_.peek().is_word()) lex_.next();
        continue;
      }
      if (t.is_op("(") && words.size() == 1 && lex_.peek(1).is_op(")")) {  // NAME() body
        lex_.next();
        lex_.next();
        function_next_ = true;
        return;
      }
      break;
    }
    const Token& end = lex_.peek();
    if (end.kind == Kind::end && lex_.stopped()) return;  // cut by a syntax error: bash runs none of it
    if (words.empty()) return;
    Command c;
    c.conditional = conditional_now() || end.is_op("|") || end.is_op("|&") || end.is_op("&");
    c.top_level = stack_.empty();
    for (const auto& o : stack_) {
      if (o.loop != std::string::npos) c.loops.push_back(o.loop);
    }
    c.words = std::move(words);
    if (!sink_(c)) done_ = true;
  }

  Lexer lex_;
  ShellScript& out_;
  const std::function<bool(const Command&)>& sink_;
  std::vector<Open> stack_;
  int cond_depth_ = 0;
  bool and_or_ = false;
  bool pipeline_ = false;
  bool function_next_ = false;
  bool done_ = false;
};

}  // namespace

void walk_script(std::string_view text, ShellScript& out, const std::function<bool(const Command&)>& sink) {
  Walker(text, out, sink).run();
}

}  // namespace vigil::collectors::shell_detail
