// apt.conf(5) text into statements, the way apt 2.6 (Debian 12) reads it in
// ReadConfigFile() of apt-pkg/contrib/configuration.cc, and the rule of
// GetListOfFilesInDir() in apt-pkg/contrib/fileutl.cc for a parts directory.
// Followed closely, quirks included, because a reader that is kinder than apt
// would report settings apt never applies:
//  - each line has its tabs expanded to 8 spaces and is stripped;
//  - "//" and '#' start a comment outside quotes (quotes counted on the line),
//    except '#' followed by "clear", "include" or "x-apt-configure-index";
//    "/* */" comments may span lines;
//  - a statement ends at ';', '{' or '}' outside quotes and may span lines;
//    its tag and value are read by ParseQuoteWord() (quotes removed, %XX
//    decoded) and ParseCWord() (adjacent quoted strings joined by a space);
//  - a statement without a value inside a block is a list item ("A::B::");
//  - the first syntax error ends the file: what came before it is applied.
#include <algorithm>
#include <array>

#include "apt_config.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

// isspace() in the C locale.
bool c_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view strip(std::string_view s) noexcept {
  while (!s.empty() && c_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && c_space(s.back())) s.remove_suffix(1);
  return s;
}

// Vigil's bounds on one file, far above any real configuration: they keep a
// hostile file from costing quadratic time or memory (each statement copies
// the path of its enclosing blocks, as apt does).
constexpr std::size_t kMaxNesting = 1000;
constexpr std::size_t kMaxKey = 4096;
constexpr std::size_t kMaxStatementBytes = 32u * 1024u * 1024u;

// Whether an odd number of '"' precedes pos (apt's std::count from the start
// of the line), counted incrementally: positions only grow, so a line full of
// comment markers costs linear time, not quadratic.
class QuoteCount {
 public:
  explicit QuoteCount(std::string_view line) : line_(line) {}
  bool odd_before(std::size_t pos) {
    for (; done_ < pos; ++done_) {
      if (line_[done_] == '"') ++quotes_;
    }
    return quotes_ % 2 != 0;
  }

 private:
  std::string_view line_;
  std::size_t done_ = 0, quotes_ = 0;
};

// ParseQuoteWord(): one word ending at a blank outside "" and []; quotes are
// removed and %XX decoded, in the tag too ("Unattended%2dUpgrade").
bool parse_quote_word(std::string_view& s, std::string& out) {
  std::size_t c = 0;
  while (c < s.size() && s[c] == ' ') ++c;
  if (c == s.size()) return false;
  for (; c < s.size() && !c_space(s[c]); ++c) {
    if (s[c] == '"') {
      c = s.find('"', c + 1);
      if (c == std::string_view::npos) return false;
    }
    if (s[c] == '[') {
      c = s.find(']', c + 1);
      if (c == std::string_view::npos) return false;
    }
  }
  out.clear();
  for (std::size_t i = 0; i < c;) {
    if (s[i] == '%' && i + 2 < c && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 3;
      continue;
    }
    if (s[i] != '"') out.push_back(s[i]);
    ++i;
  }
  while (c < s.size() && c_space(s[c])) ++c;
  s.remove_prefix(c);
  return true;
}

// ParseCWord(): blank-separated "quoted" strings only, joined by one space.
bool parse_c_word(std::string_view& s, std::string& out) {
  std::size_t c = 0;
  while (c < s.size() && s[c] == ' ') ++c;
  if (c == s.size()) return false;
  std::string res;
  for (; c < s.size(); ++c) {
    if (s[c] == '"') {
      for (++c; c < s.size() && s[c] != '"'; ++c) res.push_back(s[c]);
      if (c == s.size()) return false;
      continue;
    }
    if (c != 0 && c_space(s[c]) && c_space(s[c - 1])) continue;
    if (!c_space(s[c])) return false;
    res.push_back(' ');
  }
  out = std::move(res);
  s.remove_prefix(c);
  return true;
}

// Removes the comments of one stripped line; in_comment carries "/*" over lines.
std::string strip_comments(std::string_view line, bool& in_comment) {
  if (in_comment) {
    const auto end = line.find("*/");
    if (end == std::string_view::npos) return {};
    line.remove_prefix(end + 2);
    in_comment = false;
  }
  QuoteCount slashes(line);
  for (std::size_t start = 0; (start = line.find("//", start)) != std::string_view::npos; ++start) {
    if (slashes.odd_before(start)) continue;
    line = line.substr(0, start);
    break;
  }
  static constexpr std::array<std::string_view, 3> kMagic{"clear", "include", "x-apt-configure-index"};
  QuoteCount hashes(line);
  for (std::size_t start = 0; (start = line.find('#', start)) != std::string_view::npos; ++start) {
    const bool magic = std::any_of(kMagic.begin(), kMagic.end(), [&](std::string_view m) {
      return line.compare(start + 1, m.size(), m) == 0;
    });
    if (hashes.odd_before(start) || magic) continue;
    line = line.substr(0, start);
    break;
  }
  std::string fragment;
  std::size_t start = 0;
  QuoteCount blocks(line);
  while ((start = line.find("/*", start)) != std::string_view::npos) {
    if (blocks.odd_before(start)) {
      start += 2;
      continue;
    }
    fragment.append(line.substr(0, start));
    const auto end = line.find("*/", start + 2);
    if (end == std::string_view::npos) {
      line = {};
      in_comment = true;
      break;
    }
    line.remove_prefix(end + 2);
    start = 0;
    blocks = QuoteCount(line);  // apt counts again from the new start of the line
  }
  fragment.append(line);
  return fragment;
}

class Parser {
 public:
  AptConfParse run(std::string_view text) {
    for (std::string_view raw : split_lines(text)) {
      ++line_;
      std::string input(raw);
      if (const auto nul = input.find('\0'); nul != std::string::npos) {
        out_.issues.push_back(ParseIssue{line_, "NUL byte: the rest of the line is not read"});
        input.resize(nul);
      }
      std::string expanded;
      for (char c : input) {
        if (c == '\t') {
          expanded.append(8, ' ');
        } else {
          expanded.push_back(c);
        }
      }
      const std::string fragment = strip_comments(strip(expanded), in_comment_);
      if (!fragment.empty() && !line_of(fragment)) return std::move(out_);
    }
    if (!buffer_.empty()) fail("extra junk at end of file");
    return std::move(out_);
  }

 private:
  bool fail(std::string message) {
    out_.error = ParseIssue{line_, "syntax error: " + std::move(message)};
    return false;
  }
  bool limit(std::string message) {
    out_.over_limit = "line " + std::to_string(line_) + ": " + std::move(message) + "; vigil stops reading";
    return false;
  }
  bool add(AptConfStatement s) {
    bytes_ += s.name.size() + s.value.size() + sizeof s;
    if (s.name.size() > kMaxKey) return limit("a key longer than " + std::to_string(kMaxKey) + " bytes");
    if (bytes_ > kMaxStatementBytes)
      return limit("more than " + std::to_string(kMaxStatementBytes >> 20) + " MiB of statements");
    out_.statements.push_back(std::move(s));
    return true;
  }

  void append(std::string_view piece) {
    if (piece.empty()) return;
    if (buffer_.empty()) {
      buffer_line_ = line_;
    } else {
      buffer_ += ' ';
    }
    buffer_ += piece;
  }

  void leave_scope() {
    if (stack_.empty()) {
      parent_.clear();
    } else {
      parent_ = std::move(stack_.back());
      stack_.pop_back();
    }
  }

  bool line_of(std::string_view fragment) {
    bool in_quote = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < fragment.size(); ++i) {
      const char c = fragment[i];
      if (c == '"') in_quote = !in_quote;
      if (in_quote || (c != '{' && c != ';' && c != '}')) continue;
      append(strip(fragment.substr(start, i - start)));
      start = i + 1;
      if (c == '{' && buffer_.empty()) return fail("block starts with no name");
      if (buffer_.empty()) {
        if (c == '}') leave_scope();
        continue;
      }
      if (!statement(c)) return false;
      buffer_.clear();
      if (c == '}') leave_scope();
    }
    append(strip(fragment.substr(start)));
    return true;
  }

  bool statement(char term) {
    std::string_view pos = buffer_;
    std::string tag, word;
    if (!parse_quote_word(pos, tag)) return fail("malformed tag");
    bool no_word = false;
    if (!parse_c_word(pos, word) && !parse_quote_word(pos, word)) {
      if (term != '{') {
        word = std::move(tag);
        tag.clear();
      } else {
        no_word = true;
      }
    }
    if (!pos.empty()) return fail("extra junk after value");
    if (term == '{') {
      if (stack_.size() >= kMaxNesting)
        return limit("blocks nested deeper than " + std::to_string(kMaxNesting));
      if (parent_.size() + tag.size() > kMaxKey)
        return limit("a block path longer than " + std::to_string(kMaxKey) + " bytes");
      stack_.push_back(parent_);
      parent_ = parent_.empty() ? tag : parent_ + "::" + tag;
      tag.clear();
    }
    std::string item;
    if (parent_.empty()) {
      item = tag;
    } else {
      item = (term != '{' || !tag.empty()) ? parent_ + "::" + tag : parent_;
    }
    using Kind = AptConfStatement::Kind;
    if (!tag.empty() && tag.front() == '#') {
      if (!parent_.empty()) return fail("directives can only be done at the top level");
      const std::string directive = tag.substr(1);
      Kind kind = Kind::clear;
      if (directive == "include") {
        kind = Kind::include;
      } else if (directive == "x-apt-configure-index") {
        kind = Kind::configure_index;
      } else if (directive != "clear") {
        return fail("unsupported directive '" + directive + "'");
      }
      return add(AptConfStatement{kind, std::move(word), {}, buffer_line_});
    } else if (tag.empty() && !no_word && word == "#clear") {
      return fail("clear directive requires an option tree as argument");
    } else if (!no_word) {
      return add(AptConfStatement{Kind::set, std::move(item), std::move(word), buffer_line_});
    }
    return true;
  }

  AptConfParse out_;
  std::string buffer_;  // apt's LineBuffer: the statement read so far
  int buffer_line_ = 0;
  std::size_t bytes_ = 0;
  std::vector<std::string> stack_;
  std::string parent_;
  int line_ = 0;
  bool in_comment_ = false;
};

// Dir::Ignore-Files-Silently as pkgInitConfig() sets it, matched like apt
// (REG_ICASE): names apt skips without a notice.
bool ignored_silently(std::string_view name) {
  const std::string lower = to_lower(name);
  const std::string_view n = lower;
  for (std::string_view suffix : {"~", ".disabled", ".bak", ".save", ".orig", ".distupgrade"}) {
    if (n.size() >= suffix.size() && n.substr(n.size() - suffix.size()) == suffix) return true;
  }
  for (std::string_view infix : {".dpkg-", ".ucf-"}) {  // \.dpkg-[a-z]+$ and \.ucf-[a-z]+$
    const auto at = n.rfind(infix);
    if (at == std::string_view::npos || at + infix.size() == n.size()) continue;
    const auto rest = n.substr(at + infix.size());
    if (std::all_of(rest.begin(), rest.end(), [](char c) { return c >= 'a' && c <= 'z'; })) return true;
  }
  return false;
}

bool part_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == ':' || c == '.';
}

}  // namespace

AptConfParse parse_apt_conf(std::string_view text) {
  return Parser().run(text);
}

AptPartDecision apt_conf_part(std::string_view name, FileType type) {
  using V = AptPartVerdict;
  if (name.empty() || name.front() == '.') return {V::ignored_quietly, "hidden file"};
  if (type == FileType::directory) return {V::ignored_quietly, "a directory"};
  const V noticed = ignored_silently(name) ? V::ignored_quietly : V::ignored_notice;
  if (type != FileType::regular) return {noticed, "not a regular file"};
  // flExtension(): after the last '.'; "conf" or no extension at all.
  const auto dot = name.rfind('.');
  if (dot != std::string_view::npos && dot + 1 != name.size() && name.substr(dot + 1) != "conf") {
    return {noticed, "invalid filename extension (only .conf or none)"};
  }
  if (!std::all_of(name.begin(), name.end(), part_char)) {
    return {V::ignored_quietly, "a character other than A-Z a-z 0-9 _ - : ."};
  }
  if (name.back() == '.') return {V::ignored_quietly, "ends with a period"};
  return {V::read, {}};
}

}  // namespace vigil::collectors
