// The shell tokenizer behind the start-up file readers (see shell_lex.hpp).
// It follows bash 5.2's reading of words and operators closely enough that a
// statement is found where bash would run it, and nowhere else: not in a
// comment, a quoted string, a command substitution or a here-document.
#include <algorithm>
#include <array>

#include "shell_syntax.hpp"

namespace vigil::collectors::shell_detail {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
// Characters that end an unquoted word (besides blanks and newline).
bool is_meta(char c) {
  return c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '<' || c == '>';
}
bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}
// After '$': what makes it an expansion ($x, $1, $@, $?...) rather than a '$'.
bool starts_parameter(char c) {
  return is_name_char(c) || c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!';
}
// "NAME=" or "NAME+=" so far: a '(' now opens a compound (array) assignment.
bool is_array_assignment_start(std::string_view raw) {
  if (raw.empty() || raw.back() != '=' || !is_name_start(raw.front())) return false;
  raw.remove_suffix(1);
  if (!raw.empty() && raw.back() == '+') raw.remove_suffix(1);
  return std::all_of(raw.begin(), raw.end(), is_name_char);
}

constexpr std::array<std::string_view, 18> kOperators{";;&", "<<-", "<<<", "&>>", "&&", "||",
                                                      ";;",  ";&",  "|&",  "<<",  ">>", "<&",
                                                      ">&",  "<>",  ">|",  "&>",  ";",  "&"};

}  // namespace

const Token& Lexer::peek(std::size_t ahead) {
  while (ahead_.size() <= ahead) ahead_.push_back(lex());
  return ahead_[ahead];
}

Token Lexer::next() {
  peek();
  Token t = std::move(ahead_.front());
  ahead_.pop_front();
  return t;
}

Token Lexer::lex() {
  Token t;
  for (;;) {
    while (i_ < s_.size() && is_blank(s_[i_])) ++i_;
    if (at(0, '\\') && at(1, '\n')) {  // a line continuation between words
      i_ += 2;
      ++line_;
      continue;
    }
    if (at(0, '#')) {
      while (i_ < s_.size() && s_[i_] != '\n') ++i_;
    }
    break;
  }
  t.line = line_;
  if (stopped_ || i_ >= s_.size()) return t;  // Kind::end
  if (s_[i_] == '\n') {
    t.kind = Token::Kind::newline;
    ++i_;
    ++line_;
    if (!here_docs_.empty()) skip_here_documents();
    return t;
  }
  for (std::string_view op : kOperators) {
    if (s_.substr(i_, op.size()) == op) {
      t.kind = Token::Kind::op;
      t.raw = op;
      i_ += op.size();
      if (op == "<<") here_doc_word_ = 1;
      if (op == "<<-") here_doc_word_ = 2;
      return t;
    }
  }
  if (is_meta(s_[i_])) {
    t.kind = Token::Kind::op;
    t.raw = std::string(1, s_[i_]);
    ++i_;
    return t;
  }
  lex_word(t);
  if (t.kind == Token::Kind::word && here_doc_word_ != 0) {
    here_docs_.emplace_back(t.value, here_doc_word_ == 2);
    here_doc_word_ = 0;
  }
  if (t.kind == Token::Kind::word && !t.quoted && !t.raw.empty() &&
      std::all_of(t.raw.begin(), t.raw.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      (at(0, '<') || at(0, '>'))) {
    t.io_number = true;
  }
  return t;
}

void Lexer::lex_word(Token& t) {
  t.kind = Token::Kind::word;
  const std::size_t start = i_;
  const int start_line = line_;
  auto unterminated = [&](const char* what) {
    issues_.push_back(LexIssue{
        start_line,
        std::string("unterminated ") + what + ": bash reports a syntax error and runs nothing from here on"});
    stopped_ = true;
    t = Token{};
    t.line = start_line;
  };
  while (i_ < s_.size()) {
    const char c = s_[i_];
    if (is_blank(c) || c == '\n') break;
    if (is_meta(c)) {
      if (c == '(' && is_array_assignment_start(s_.substr(start, i_ - start))) {
        skip_expansion(t);  // TMOUT=(900): kept as written, not a literal
        if (stopped_) return unterminated("array assignment");
        continue;
      }
      break;
    }
    if (c == '\\') {
      t.quoted = true;
      if (at(1, '\n')) {
        ++line_;
      } else if (i_ + 1 < s_.size()) {
        t.value.push_back(s_[i_ + 1]);
      }
      i_ = std::min(i_ + 2, s_.size());
      continue;
    }
    if (c == '\'') {
      t.quoted = true;
      const std::size_t close = s_.find('\'', i_ + 1);
      if (close == std::string_view::npos) return unterminated("single quote");
      const std::string_view body = s_.substr(i_ + 1, close - i_ - 1);
      line_ += static_cast<int>(std::count(body.begin(), body.end(), '\n'));
      t.value.append(body);
      i_ = close + 1;
      continue;
    }
    if (c == '$' && at(1, '\'')) {  // $'...': ANSI-C quoting, the common escapes decoded
      t.quoted = true;
      i_ += 2;
      while (i_ < s_.size() && s_[i_] != '\'') {
        char ch = s_[i_];
        if (ch == '\n') ++line_;
        if (ch == '\\' && i_ + 1 < s_.size()) {
          const char e = s_[++i_];
          ch = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        }
        t.value.push_back(ch);
        ++i_;
      }
      if (i_ >= s_.size()) return unterminated("$' quote");
      ++i_;
      continue;
    }
    if (c == '"' || (c == '$' && at(1, '"'))) {  // "..." and the locale form $"..."
      t.quoted = true;
      i_ += c == '"' ? 1 : 2;
      while (i_ < s_.size() && s_[i_] != '"') {
        const char d = s_[i_];
        if (d == '\\' && i_ + 1 < s_.size()) {
          const char e = s_[i_ + 1];
          if (e == '\n') {
            ++line_;
          } else if (e == '$' || e == '`' || e == '"' || e == '\\') {
            t.value.push_back(e);
          } else {
            t.value.push_back('\\');
            t.value.push_back(e);
          }
          i_ += 2;
        } else if ((d == '$' && (at(1, '(') || at(1, '{'))) || d == '`') {
          skip_expansion(t);
          if (stopped_) return unterminated("substitution");
        } else {
          if (d == '$' && i_ + 1 < s_.size() && starts_parameter(s_[i_ + 1])) t.literal = false;
          if (d == '\n') ++line_;
          t.value.push_back(d);
          ++i_;
        }
      }
      if (i_ >= s_.size()) return unterminated("double quote");
      ++i_;
      continue;
    }
    if ((c == '$' && (at(1, '(') || at(1, '{'))) || c == '`') {
      skip_expansion(t);
      if (stopped_) return unterminated("substitution");
      continue;
    }
    if (c == '$' && i_ + 1 < s_.size() && starts_parameter(s_[i_ + 1])) t.literal = false;
    t.value.push_back(c);
    ++i_;
  }
  t.raw = std::string(s_.substr(start, i_ - start));
}

// At "$(", "${", "`" or "(": moves past the matching closer, keeping quotes
// and nested substitutions inside balanced, without recursion (a file of
// "$($($(..." cannot exhaust the stack). The text is kept in the value as written.
void Lexer::skip_expansion(Token& t) {
  const std::size_t start = i_;
  std::string closers;
  if (s_[i_] == '`') {
    closers.push_back('`');
    i_ += 1;
  } else if (s_[i_] == '(') {
    closers.push_back(')');
    i_ += 1;
  } else {
    closers.push_back(s_[i_ + 1] == '(' ? ')' : '}');
    i_ += 2;
  }
  while (i_ < s_.size() && !closers.empty()) {
    const char top = closers.back();
    const char c = s_[i_];
    if (c == '\n') ++line_;
    if (top == '\'') {
      if (c == '\'') closers.pop_back();
      ++i_;
      continue;
    }
    if (c == '\\') {
      if (at(1, '\n')) ++line_;
      i_ = std::min(i_ + 2, s_.size());
      continue;
    }
    if (top == '`') {
      if (c == '`') closers.pop_back();
      ++i_;
      continue;
    }
    const bool opens_substitution = c == '$' && (at(1, '(') || at(1, '{'));
    if (top == ')' && c == '#' &&
        (i_ == 0 || std::string_view(" \t\n;(|&").find(s_[i_ - 1]) != std::string_view::npos)) {
      // A comment inside $(...): an apostrophe in "# don't" is no quote.
      while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      continue;
    }
    if (top == '"') {
      if (c == '"') closers.pop_back();
      if (c == '`') closers.push_back('`');
    } else if (c == top) {
      closers.pop_back();
    } else if (c == '\'' || c == '"' || c == '`') {
      closers.push_back(c);
    } else if (c == '(' && top == ')') {
      closers.push_back(')');
    }
    if (opens_substitution) {
      closers.push_back(s_[i_ + 1] == '(' ? ')' : '}');
      i_ += 2;
      continue;
    }
    ++i_;
  }
  if (!closers.empty()) {
    stopped_ = true;
    return;
  }
  t.value.append(s_.substr(start, i_ - start));
  t.literal = false;
}

// After the newline that ends a line with here-document operators: each body
// runs to a line that is exactly its delimiter (leading tabs dropped for <<-).
void Lexer::skip_here_documents() {
  for (const auto& [delimiter, strip_tabs] : here_docs_) {
    const int opened = line_ - 1;
    bool found = false;
    while (i_ < s_.size()) {
      std::size_t eol = s_.find('\n', i_);
      if (eol == std::string_view::npos) eol = s_.size();
      std::string_view body_line = s_.substr(i_, eol - i_);
      if (strip_tabs) {
        while (!body_line.empty() && body_line.front() == '\t') body_line.remove_prefix(1);
      }
      i_ = std::min(eol + 1, s_.size());
      ++line_;
      if (body_line == delimiter) {
        found = true;
        break;
      }
    }
    if (!found) {
      issues_.push_back(LexIssue{
          opened,
          "here-document '" + delimiter + "' runs to the end of the file: bash reads no command after it"});
      stopped_ = true;
    }
  }
  here_docs_.clear();
}

}  // namespace vigil::collectors::shell_detail
