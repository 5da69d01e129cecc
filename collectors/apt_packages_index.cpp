// The Packages index reader behind apt_updates: a deb822 scan that reads
// only Package, Version and Architecture, in pieces of any size. The reading
// rules are those of read_paragraphs in apt_internal.hpp (what apt_sources
// and the Release parser use), written out for one pass over ~50 MiB:
// one memchr per line, no copy and no allocation per field.
//
// A "unit" below is a paragraph with the blank line that ends it (or a lone
// blank line): units never depend on each other, so the text can be cut
// between any two and a unit cut by a piece is carried whole to the next.
#include <algorithm>
#include <cstring>
#include <limits>

#include "apt.hpp"
#include "apt_internal.hpp"
#include "strings.hpp"

namespace vigil::collectors {

using namespace apt_detail;

namespace {

bool space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

// Whitespace only (trim() would leave nothing): a blank line.
bool blank(std::string_view s) noexcept {
  for (char c : s) {
    if (!space(c)) return false;
  }
  return true;
}

std::size_t count_lines(std::string_view s) noexcept {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

// Whether the line text ends inside is blank so far; before: whether the
// part of that line ahead of text was.
bool tail_blank(std::string_view text, bool before) noexcept {
  const std::size_t nl = text.rfind('\n');
  return nl == std::string_view::npos ? before && blank(text) : blank(text.substr(nl + 1));
}

// Just past the first blank line that ends in text; before: whether the
// line text starts inside is blank so far. npos when none ends in text.
std::size_t first_blank_line_end(std::string_view text, bool before) noexcept {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return std::string_view::npos;
    if (before && blank(text.substr(pos, nl - pos))) return nl + 1;
    before = true;
    pos = nl + 1;
  }
  return std::string_view::npos;
}

int to_line(std::size_t n) noexcept {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<int>::max());
  return static_cast<int>(std::min(n, kMax));
}

enum class Wanted { none, other, package, version, architecture };

// Most names are none of the three: their length or first letter tells.
// Names are compared as Debian writes them first, then in any case.
Wanted field_kind(std::string_view name) noexcept {
  const char first = static_cast<char>(name.empty() ? 0 : name.front() | 0x20);  // ASCII lower case
  switch (name.size()) {
    case 7:
      if (name == "Package" || (first == 'p' && iequals(name, "Package"))) return Wanted::package;
      if (name == "Version" || (first == 'v' && iequals(name, "Version"))) return Wanted::version;
      return Wanted::other;
    case 12:
      return name == "Architecture" || (first == 'a' && iequals(name, "Architecture")) ? Wanted::architecture
                                                                                       : Wanted::other;
    default:
      return Wanted::other;
  }
}

}  // namespace

PackagesIndexScanner::PackagesIndexScanner(PackageIndexFn fn, std::vector<ParseIssue>* issues,
                                           std::size_t max_paragraph)
    : fn_(std::move(fn)), issues_(issues), max_paragraph_(max_paragraph) {}

void PackagesIndexScanner::flush_issues(bool keep) {
  if (keep) {
    for (auto& i : paragraph_issues_) add_issue(issues_, i.line, std::move(i.message));
  }
  paragraph_issues_.clear();
}

void PackagesIndexScanner::too_long(std::string_view dropped) {
  add_issue(issues_, next_line_,
            "paragraph of more than " + std::to_string(max_paragraph_) + " bytes; skipped");
  next_line_ = to_line(static_cast<std::size_t>(next_line_) + count_lines(dropped));
}

// Parses the units of text, which starts a line (line next_line_). Unless
// at_end, a unit that does not end in text is left: the return value is
// where it starts (text.size() when none is left).
std::size_t PackagesIndexScanner::parse(std::string_view text, bool at_end) {
  const char* const data = text.data();
  const std::size_t n = text.size();
  PackageIndexEntry e;
  bool has_package = false, has_version = false, in_paragraph = false, any_line = false;
  int paragraph_line = 0;
  Wanted pending = Wanted::none;  // the field being read
  std::size_t value_begin = 0, value_end = 0;
  std::size_t unit_start = 0;
  int line = next_line_, unit_line = next_line_;

  auto flush = [&] {
    if (pending != Wanted::none && pending != Wanted::other) {
      const std::string_view value = trim(text.substr(value_begin, value_end - value_begin));
      if (pending == Wanted::package) {
        e.name = value;
        has_package = true;
      } else if (pending == Wanted::version) {
        e.version = value;
        has_version = true;
      } else {
        e.architecture = value;
      }
    }
    pending = Wanted::none;
  };
  auto issue = [&](int at, const char* message) { add_issue(&paragraph_issues_, at, message); };
  auto end_unit = [&](std::size_t end) {
    flush();
    if (end - unit_start > max_paragraph_) {
      flush_issues(false);
      add_issue(issues_, unit_line,
                "paragraph of more than " + std::to_string(max_paragraph_) + " bytes; skipped");
    } else {
      bool complete = false;
      if (in_paragraph) {
        e.line = paragraph_line;
        complete = has_package && !e.name.empty() && has_version && !e.version.empty();
        if (!complete) issue(paragraph_line, "paragraph without Package or Version; skipped");
      }
      flush_issues(true);
      if (complete) fn_(e);
    }
    e = PackageIndexEntry{};
    has_package = has_version = in_paragraph = any_line = false;
  };

  std::size_t pos = 0;
  while (pos < n) {
    const char* p = data + pos;
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', n - pos));
    if (nl == nullptr && !at_end) break;  // a cut line: its unit is carried
    const std::size_t eol = nl != nullptr ? static_cast<std::size_t>(nl - data) : n;
    const std::size_t next = nl != nullptr ? eol + 1 : n;
    const std::size_t len = eol - pos;
    const int number = line++;
    pos = next;
    const char c = len > 0 ? *p : ' ';
    if (space(c) && blank(std::string_view(p, len))) {
      end_unit(next);
      unit_start = next;
      unit_line = line;
      continue;
    }
    any_line = true;
    if (c == ' ' || c == '\t') {
      if (pending != Wanted::none) {
        value_end = eol;
      } else {
        issue(number, "continuation line before any field; ignored");
      }
      continue;
    }
    flush();
    if (!in_paragraph) paragraph_line = number;
    in_paragraph = true;
    // The colon is a few bytes in: a plain loop beats a call to memchr.
    const char* colon = p;
    while (colon < p + len && *colon != ':') ++colon;
    std::string_view name;
    if (colon < p + len) {
      name = std::string_view(p, static_cast<std::size_t>(colon - p));
      if (space(c) || (colon > p && space(colon[-1]))) name = trim(name);
    }
    if (name.empty()) {
      issue(number, "line is neither a field nor a continuation; ignored");
      continue;
    }
    pending = field_kind(name);
    value_begin = static_cast<std::size_t>(colon - data) + 1;
    value_end = eol;
  }
  if (at_end) {
    if (any_line) end_unit(n);
    next_line_ = line;
    return n;
  }
  // The unit in progress is read again, whole, from the carry.
  paragraph_issues_.clear();
  next_line_ = unit_line;
  return unit_start;
}

// Inside a paragraph over the limit: drops text up to its blank line.
void PackagesIndexScanner::skip(std::string_view text) {
  const std::size_t end = first_blank_line_end(text, skip_blank_);
  if (end == std::string_view::npos) {
    next_line_ = to_line(static_cast<std::size_t>(next_line_) + count_lines(text));
    skip_blank_ = tail_blank(text, skip_blank_);
    return;
  }
  next_line_ = to_line(static_cast<std::size_t>(next_line_) + count_lines(text.substr(0, end)));
  skipping_ = false;
  feed(text.substr(end));
}

void PackagesIndexScanner::feed(std::string_view text) {
  if (skipping_) return skip(text);
  if (!carry_.empty()) {
    // The carried unit ends at the first blank line that ends in text.
    const std::size_t end = first_blank_line_end(text, tail_blank(carry_, true));
    const std::size_t take = end == std::string_view::npos ? text.size() : end;
    if (carry_.size() + take > max_paragraph_) {
      too_long(carry_);
      skipping_ = true;
      skip_blank_ = tail_blank(carry_, true);  // the line carry_ cut goes on in text
      carry_.clear();
      return skip(text);
    }
    carry_.append(text.substr(0, take));
    if (end == std::string_view::npos) return;
    parse(carry_, false);  // one whole unit: nothing is left
    carry_.clear();
    text.remove_prefix(take);
  }
  const std::size_t left = parse(text, false);
  const std::string_view tail = text.substr(left);
  if (tail.size() > max_paragraph_) {
    too_long(tail);
    skipping_ = true;
    skip_blank_ = tail_blank(tail, true);
    return;
  }
  carry_.assign(tail);
}

void PackagesIndexScanner::finish() {
  if (!skipping_ && !carry_.empty()) parse(carry_, true);
  carry_.clear();
  skipping_ = false;
  skip_blank_ = true;
}

void scan_packages_index(std::string_view text, const PackageIndexFn& fn, std::vector<ParseIssue>* issues) {
  PackagesIndexScanner scanner(fn, issues);
  scanner.feed(text);
  scanner.finish();
}

std::optional<std::string_view> packages_list_architecture(std::string_view file_name) noexcept {
  constexpr std::string_view kSuffix = "_Packages";
  constexpr std::string_view kBinary = "_binary-";
  if (!ends_with(file_name, kSuffix)) return std::nullopt;
  file_name.remove_suffix(kSuffix.size());
  std::size_t at = file_name.rfind(kBinary);
  if (at == std::string_view::npos || at + kBinary.size() == file_name.size()) return std::nullopt;
  return file_name.substr(at + kBinary.size());
}

}  // namespace vigil::collectors
