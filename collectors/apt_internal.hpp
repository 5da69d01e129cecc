// Shared by the apt tables (apt.cpp, apt_lists.cpp, apt_updates.cpp,
// apt_packages_index.cpp): a deb822 reader that works on views of the text,
// and the collectors' common file handling. Not for other collectors: the
// deb822 reading may move to lib/ later.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts.hpp"  // ParseIssue
#include "apt.hpp"       // AptRelease
#include "collector.hpp"
#include "strings.hpp"

namespace vigil::collectors::apt_detail {

inline constexpr std::string_view kListsDir = "/var/lib/apt/lists/";
inline constexpr std::size_t kMaxWarnings = 100;  // per file: a corrupt file must not flood the report
inline constexpr std::size_t kMaxIssues = 10000;  // kept by a parser; the rest are dropped

void add_issue(std::vector<ParseIssue>* issues, int line, std::string message);
bool ends_with(std::string_view s, std::string_view suffix) noexcept;
std::string_view base_name(std::string_view path) noexcept;
// Words of a (possibly multi-line) value; comment lines inside it are skipped.
std::vector<std::string_view> words(std::string_view value);
std::string joined(const std::vector<std::string_view>& parts, std::string_view sep = " ");

struct Field {
  std::string_view name;
  std::string_view value;  // trimmed; a multi-line value keeps its inner newlines
  int line = 0;
};

// One pass over deb822 text: on_field for every field (continuation lines
// folded into its value, still a view of the text), on_end(first line) at
// the end of each paragraph. comments: lines starting with '#' are skipped,
// as apt does for .sources files only.
template <typename OnField, typename OnEnd>
void read_paragraphs(std::string_view text, bool comments, OnField&& on_field, OnEnd&& on_end,
                     std::vector<ParseIssue>* issues) {
  struct Pending {
    std::string_view name;
    std::size_t begin = 0, end = 0;
    int line = 0;
  };
  Pending pending;  // the field being read; empty name when none
  auto flush = [&] {
    if (!pending.name.empty()) {
      on_field(
          Field{pending.name, trim(text.substr(pending.begin, pending.end - pending.begin)), pending.line});
    }
    pending = Pending{};
  };
  bool in_paragraph = false;
  int start = 0, number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, eol - pos);
    std::size_t begin = pos;
    pos = eol + 1;
    ++number;
    if (trim(line).empty()) {
      flush();
      if (in_paragraph) on_end(start);
      in_paragraph = false;
      continue;
    }
    if (comments && line.front() == '#') continue;
    if (line.front() == ' ' || line.front() == '\t') {
      if (!pending.name.empty()) {
        pending.end = begin + line.size();
      } else {
        add_issue(issues, number, "continuation line before any field; ignored");
      }
      continue;
    }
    flush();
    if (!in_paragraph) start = number;
    in_paragraph = true;
    std::size_t colon = line.find(':');
    std::string_view name =
        colon == std::string_view::npos ? std::string_view() : trim(line.substr(0, colon));
    if (name.empty()) {
      add_issue(issues, number, "line is neither a field nor a continuation; ignored");
      continue;
    }
    pending = Pending{name, begin + colon + 1, begin + line.size(), number};
  }
  flush();
  if (in_paragraph) on_end(start);
}

void warn_issues(CollectContext& ctx, std::string_view file, const std::vector<ParseIssue>& issues);
// Matches of several patterns, merged in name order; a failed glob is a warning.
std::vector<std::string> glob_all(CollectContext& ctx, std::initializer_list<std::string_view> patterns);
Value opt_text(const std::optional<std::string>& v);

// A Release or InRelease file of the lists directory, parsed.
struct ListRelease {
  std::string file;
  std::string prefix;  // file name up to "InRelease"/"Release": the repository's lists share it
  AptRelease release;
  std::optional<std::int64_t> mtime;
  // Why apt could not use the file (unreadable, not a complete clear-signed
  // message); the lists that share its prefix then cannot be classified.
  std::optional<std::string> problem;
};
// Every Release file of the lists directory; an unusable one is a warning and
// is returned with its problem set (apt_lists leaves it out).
std::vector<ListRelease> load_releases(CollectContext& ctx);

}  // namespace vigil::collectors::apt_detail
