// Reading shell scripts the way bash does, for the start-up file readers:
//  - Lexer (shell_lex.cpp): tokens. Quotes are removed, expansions ($x,
//    $(...), `...`, ${...}) are kept as written and flag the word as not
//    literal, '#' at a word start is a comment, here-document bodies are
//    skipped, and '\r' is an ordinary character (bash keeps it in the word).
//    Tokens are made on demand, so a large file never becomes a large list.
//  - walk_script (shell_parse.cpp): the grammar's structure, far enough to
//    hand each simple command on with whether it runs unconditionally in the
//    shell reading the file.
// Not a shell: nothing is expanded or run. Not for other collectors.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shell_timeout.hpp"

namespace vigil::collectors::shell_detail {

struct Token {
  enum class Kind { word, op, newline, end };
  Kind kind = Kind::end;
  std::string raw;         // words: as written; ops: the operator
  std::string value;       // words: after quote removal, expansions kept as written
  bool quoted = false;     // some part of the word was quoted or escaped
  bool literal = true;     // no parameter, command or arithmetic expansion in it
  bool io_number = false;  // digits written right before a redirection (2>file)
  int line = 0;            // 1-based line where the token starts

  bool is_op(std::string_view o) const { return kind == Kind::op && raw == o; }
  bool is_word() const { return kind == Kind::word; }
  // A reserved word (if, fi, {, ...) counts only unquoted.
  bool is_keyword(std::string_view k) const { return kind == Kind::word && !quoted && raw == k; }
};

struct LexIssue {
  int line = 0;
  std::string message;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : s_(text) {}
  // The token ahead tokens from here (0: the next one).
  const Token& peek(std::size_t ahead = 0);
  Token next();
  const std::vector<LexIssue>& issues() const noexcept { return issues_; }
  // An unterminated quote or here-document: bash runs nothing from there on.
  bool stopped() const noexcept { return stopped_; }

 private:
  Token lex();
  void lex_word(Token& t);
  void skip_expansion(Token& t);
  void skip_here_documents();
  bool at(std::size_t k, char c) const { return i_ + k < s_.size() && s_[i_ + k] == c; }

  std::string_view s_;
  std::size_t i_ = 0;
  int line_ = 1;
  bool stopped_ = false;  // an unterminated quote: bash reads no further command
  std::deque<Token> ahead_;
  std::vector<std::pair<std::string, bool>> here_docs_;  // delimiter, strip leading tabs (<<-)
  int here_doc_word_ = 0;                                // 1: next word is a delimiter, 2: with <<-
  std::vector<LexIssue> issues_;
};

// Issues kept per file: a file of stray "fi" lines must not become a million warnings.
inline constexpr std::size_t kMaxIssues = 100;
inline void add_issue(std::vector<ShellIssue>& issues, int line, std::string message) {
  if (issues.size() < kMaxIssues) {
    issues.push_back(ShellIssue{"", line, std::move(message)});
  } else if (issues.size() == kMaxIssues) {
    issues.push_back(ShellIssue{"", line, "more issues in this file not shown"});
  }
}

// A simple command as the grammar found it: its words (redirections and their
// targets left out), whether it may not run or not in this shell (inside
// if/case/loops/functions/subshells/pipelines/background, after && or ||),
// whether it is outside every compound command, and the for-loops around it
// (indexes into ShellScript::loops).
struct Command {
  std::vector<Token> words;
  bool conditional = false;
  bool top_level = false;
  std::vector<std::size_t> loops;
};

// Walks text, recording for-loops and syntax issues in out, and hands each
// simple command to sink, which returns false to stop reading (bash reads no
// further: return or exit at the top level).
void walk_script(std::string_view text, ShellScript& out, const std::function<bool(const Command&)>& sink);

}  // namespace vigil::collectors::shell_detail
