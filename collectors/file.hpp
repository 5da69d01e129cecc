// Pure helpers behind the `file` and `file_glob` tables (file.cpp), here so
// tests can feed them strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector.hpp"
#include "result.hpp"

namespace vigil::collectors {

// A pattern like /etc/cron.{hourly,daily,weekly,monthly} expands to this many
// patterns at most; more is Errc::too_large ({a,b}{a,b}... doubles each time).
inline constexpr std::size_t kMaxBraceExpansions = 256;
// PATH_MAX: a longer pattern can match nothing.
inline constexpr std::size_t kMaxPatternLength = 4096;

// Expands {a,b,...} alternatives the way glob(3) does with GLOB_BRACE: groups
// may nest, '\' escapes a brace or comma, a group without a comma ({x}) is its
// one alternative, and a '{' without its '}' leaves the whole pattern as it
// is (glibc then globs it literally). The result keeps the order of the
// alternatives, duplicates included. Longer than kMaxPatternLength is
// Errc::invalid.
Result<std::vector<std::string>> expand_braces(std::string_view pattern,
                                               std::size_t max_patterns = kMaxBraceExpansions);

// --- the row of the `file` columns, shared by file, file_glob and log_files ---

namespace file_col {
// Positions of the `file` columns in a row built by file_row().
enum : std::size_t {
  kPath,
  kType,
  kMode,
  kModeInt,
  kUid,
  kGid,
  kOwner,
  kGroupName,
  kSize,
  kMtime,
  kLinkTarget,
  kNlink,
  kColumnCount
};
}  // namespace file_col

// Owner and group names from the host's own /etc/passwd and /etc/group, each
// read at most once and only when a row needs it.
class FileOwnerNames {
 public:
  explicit FileOwnerNames(CollectContext& ctx);
  Value user(std::uint32_t uid);
  Value group(std::uint32_t gid);

 private:
  std::optional<std::string> read_db(const char* path);
  static Value name_of(const std::map<std::uint32_t, std::string>& names, std::uint32_t id);

  CollectContext& ctx_;
  std::optional<std::map<std::uint32_t, std::string>> users_;
  std::optional<std::map<std::uint32_t, std::string>> groups_;
};

// The one row of the `file` columns about path as lstat(2) sees it (never
// opened); a missing path is a row of type 'absent', other failures errors.
Result<Row> file_row(CollectContext& ctx, FileOwnerNames& names, const std::string& path);

// The `file` columns; path_is_argument makes path the hidden argument.
std::vector<Column> file_columns(bool path_is_argument);

}  // namespace vigil::collectors
