// The `file` and `file_glob` table-valued functions: type, mode, ownership,
// size and link target of one host path, or of every path matching a glob
// pattern, as lstat(2) sees the last component. Both build rows with one
// function (file_row), so the two tables cannot drift apart.
// Owner and group names come from the host's own /etc/passwd and /etc/group,
// never from the scanning machine's NSS, because the root may be an image.
#include "file.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "accounts.hpp"
#include "collector.hpp"
#include "strings.hpp"

namespace vigil::collectors {

using namespace file_col;

FileOwnerNames::FileOwnerNames(CollectContext& ctx) : ctx_(ctx) {}

Value FileOwnerNames::user(std::uint32_t uid) {
  if (!users_) {
    users_.emplace();
    // glibc's files backend answers getpwuid/getgrgid with the first matching
    // line, so emplace (which keeps the first) mirrors what the host would say.
    if (auto text = read_db("/etc/passwd")) {
      for (const auto& e : parse_passwd(*text)) users_->emplace(e.uid, e.name);
    }
  }
  return name_of(*users_, uid);
}

Value FileOwnerNames::group(std::uint32_t gid) {
  if (!groups_) {
    groups_.emplace();
    if (auto text = read_db("/etc/group")) {
      for (const auto& e : parse_group(*text)) groups_->emplace(e.gid, e.name);
    }
  }
  return name_of(*groups_, gid);
}

// Without the database a name is unknown (NULL); only a real failure is worth a warning.
std::optional<std::string> FileOwnerNames::read_db(const char* path) {
  return ctx_.read_optional(path);
}

Value FileOwnerNames::name_of(const std::map<std::uint32_t, std::string>& names, std::uint32_t id) {
  auto it = names.find(id);
  return it == names.end() ? null_value() : text_value(sanitize_utf8(it->second));
}

// The one row of the `file` columns about path, as lstat(2) sees its last
// component: never opened, so a fifo or a device is described, not read.
// A missing path is a row of type 'absent'; other failures are errors.
Result<Row> file_row(CollectContext& ctx, FileOwnerNames& names, const std::string& path) {
  Row row(kColumnCount, null_value());
  row[kPath] = text_value(sanitize_utf8(path));

  auto st = ctx.host().stat(path, false);
  if (!st) {
    if (!st.is(Errc::not_found)) return std::move(st).error();
    row[kType] = text_value("absent");
    return row;
  }

  row[kType] = text_value(file_type_name(st->type));
  row[kMode] = text_value(mode_octal(st->mode));
  row[kModeInt] = int_value(static_cast<std::int64_t>(st->mode));
  row[kUid] = int_value(static_cast<std::int64_t>(st->uid));
  row[kGid] = int_value(static_cast<std::int64_t>(st->gid));
  row[kSize] = int_value(st->size);
  row[kMtime] = int_value(st->mtime);
  row[kNlink] = int_value(static_cast<std::int64_t>(st->nlink));
  row[kOwner] = names.user(st->uid);
  row[kGroupName] = names.group(st->gid);

  if (st->type == FileType::symlink) {
    auto target = ctx.host().read_link(path);
    if (target) {
      row[kLinkTarget] = text_value(sanitize_utf8(*target));
    } else {
      // Replaced between lstat and readlink: the rest of the row still holds.
      ctx.warn(path, target.error().message);
    }
  }
  return row;
}

// The columns both tables share, in the same order, so SELECT * of either
// reads alike; file() takes path as its argument, file_glob() reports it.
std::vector<Column> file_columns(bool path_is_argument) {
  using T = ColumnType;
  std::vector<Column> cols(kColumnCount);
  cols[kPath] =
      path_is_argument
          ? Column{"path", T::text, "absolute path on the host (the argument: file('/etc/shadow'))", true}
          : Column{"path", T::text, "absolute path on the host of one match of the pattern"};
  cols[kType] = {"type", T::text,
                 path_is_argument ? "regular, directory, symlink, char_device, block_device, fifo, socket, "
                                    "unknown, or absent when nothing exists at the path"
                                  : "regular, directory, symlink, char_device, block_device, fifo, socket or "
                                    "unknown (never absent: a pattern that matches nothing gives no rows)"};
  cols[kMode] = {"mode", T::text, "permission and special bits in octal, e.g. '0640'; NULL if absent"};
  cols[kModeInt] = {"mode_int", T::integer, "the same bits as an integer, for bitwise tests (mode_int & 2)"};
  cols[kUid] = {"uid", T::integer, "owner user id"};
  cols[kGid] = {"gid", T::integer, "owner group id"};
  cols[kOwner] = {"owner", T::text, "user name of uid in the host's /etc/passwd; NULL when no such user"};
  cols[kGroupName] = {"group_name", T::text,
                      "group name of gid in the host's /etc/group; NULL when no such group"};
  cols[kSize] = {"size", T::integer, "size in bytes (of the link itself for a symlink)"};
  cols[kMtime] = {"mtime", T::integer, "last modification, seconds since the epoch"};
  cols[kLinkTarget] = {"link_target", T::text, "target of a symlink as written in it; NULL otherwise"};
  cols[kNlink] = {"nlink", T::integer, "number of hard links"};
  return cols;
}

namespace {

// The text argument of a table-valued function, or nullptr.
const std::string* text_arg(const CollectContext& ctx) {
  const auto& args = ctx.args();
  return args.empty() ? nullptr : std::get_if<std::string>(&args.front());
}

Status collect_file(CollectContext& ctx, std::vector<Row>& rows) {
  const std::string* arg = text_arg(ctx);
  if (arg == nullptr) {
    return make_error(Errc::invalid, "file: the path argument must be text, e.g. file('/etc/shadow')");
  }
  const std::string& path = *arg;
  if (path.empty() || path.front() != '/') {
    return make_error(Errc::invalid, "file: path must be absolute: '" + path + "'");
  }
  FileOwnerNames names(ctx);
  auto row = file_row(ctx, names, path);
  if (!row) return std::move(row).error();
  rows.push_back(std::move(*row));
  return Status::success();
}

Status collect_file_glob(CollectContext& ctx, std::vector<Row>& rows) {
  const std::string* arg = text_arg(ctx);
  if (arg == nullptr) {
    return make_error(Errc::invalid,
                      "file_glob: the pattern argument must be text, e.g. file_glob('/etc/sudoers.d/*')");
  }
  const std::string& pattern = *arg;
  if (pattern.empty() || pattern.front() != '/') {
    return make_error(Errc::invalid, "file_glob: pattern must be absolute: '" + pattern + "'");
  }
  auto patterns = expand_braces(pattern);
  if (!patterns) return make_error(patterns.error().code, "file_glob: " + patterns.error().message);
  std::set<std::string> matches;  // sorted, and one row per path when alternatives overlap
  for (const auto& p : *patterns) {
    auto found = ctx.host().glob(p, GlobOptions{.keep_dangling_symlinks = true});
    if (!found) return make_error(found.error().code, "file_glob " + pattern + ": " + found.error().message);
    matches.insert(found->begin(), found->end());
    if (matches.size() > kMaxGlobMatches) {
      return make_error(Errc::too_large, "file_glob " + pattern + ": more than " +
                                             std::to_string(kMaxGlobMatches) + " matches");
    }
  }
  FileOwnerNames names(ctx);
  for (const auto& path : matches) {
    auto row = file_row(ctx, names, path);
    if (!row) return make_error(row.error().code, "file_glob " + pattern + ": " + row.error().message);
    if (std::get<std::string>((*row)[kType]) == "absent") {
      ctx.warn(path, "removed between glob and lstat; not reported");
      continue;
    }
    row->push_back(text_value(sanitize_utf8(pattern)));
    rows.push_back(std::move(*row));
  }
  return Status::success();
}

TableDef file_table() {
  return TableDef{
      "file",
      "One row per path: what exists there, seen like lstat(2) (a symlink is reported as a symlink; "
      "symlinks on the way are followed inside the host root). A missing path is a row of type 'absent'.",
      file_columns(true),
      collect_file,
  };
}

TableDef file_glob_table() {
  auto cols = file_columns(false);
  cols.push_back(Column{"pattern", ColumnType::text,
                        "an absolute glob(3) pattern, e.g. file_glob('/etc/sudoers.d/*')", true});
  return TableDef{
      "file_glob",
      "One row per path matching a glob(3) pattern, sorted, with the columns of `file`: "
      "file_glob('/etc/ssh/ssh_host_*_key'). '*', '?' and '[...]' never match a leading '.' (glob's rule), "
      "so "
      "dotfiles need their own pattern: file_glob('/etc/sudoers.d/.*') (which never matches '.' or '..'). "
      "{a,b} alternatives are expanded as "
      "GLOB_BRACE does: file_glob('/etc/cron.{hourly,daily,weekly,monthly}'). Each match is seen like "
      "lstat(2) and never opened: a symlink is reported as a symlink (dangling or pointing out of the root "
      "too: it is not followed), a fifo as a fifo. No match gives no rows; more than 10000 matches is an "
      "error.",
      std::move(cols),
      collect_file_glob,
  };
}

// After a '{' (or a ',' of its group): the ',' or '}' that ends this
// alternative at the group's own depth, or npos without one. glibc's
// next_brace_sub().
std::size_t next_brace_sub(std::string_view p, std::size_t i) {
  std::size_t depth = 0;
  while (i < p.size()) {
    if (p[i] == '\\') {
      i += 2;
      continue;
    }
    if (p[i] == '}' && depth == 0) return i;
    if (p[i] == ',' && depth == 0) return i;
    if (p[i] == '}') --depth;
    if (p[i] == '{') ++depth;
    ++i;
  }
  return std::string_view::npos;
}

// glob()'s GLOB_BRACE step: the first group is replaced by each of its
// alternatives and the result expanded again, which takes care of nested
// groups and of later ones.
Status expand_into(std::string_view p, std::size_t max, std::vector<std::string>& out) {
  std::size_t open = 0;
  while (open < p.size() && p[open] != '{') open += p[open] == '\\' ? std::size_t{2} : std::size_t{1};
  if (open >= p.size()) {
    if (out.size() >= max) {
      return make_error(Errc::too_large, "pattern expands to more than " + std::to_string(max) + " patterns");
    }
    out.emplace_back(p);
    return Status::success();
  }
  std::vector<std::string_view> alternatives;
  std::size_t begin = open + 1;
  std::size_t close = std::string_view::npos;
  for (;;) {
    const std::size_t end = next_brace_sub(p, begin);
    if (end == std::string_view::npos) break;
    alternatives.push_back(p.substr(begin, end - begin));
    if (p[end] == '}') {
      close = end;
      break;
    }
    begin = end + 1;
  }
  if (close == std::string_view::npos) {
    // glibc drops GLOB_BRACE for an unbalanced group and globs the pattern as written.
    out.emplace_back(p);
    return Status::success();
  }
  const std::string_view prefix = p.substr(0, open);
  const std::string_view rest = p.substr(close + 1);
  for (auto alt : alternatives) {
    std::string one;
    one.reserve(prefix.size() + alt.size() + rest.size());
    one.append(prefix).append(alt).append(rest);
    if (Status s = expand_into(one, max, out); !s.ok()) return s;
  }
  return Status::success();
}

}  // namespace

Result<std::vector<std::string>> expand_braces(std::string_view pattern, std::size_t max_patterns) {
  // PATH_MAX bounds any path a pattern can match, and the recursion's depth.
  if (pattern.size() > kMaxPatternLength) {
    return make_error(Errc::invalid, "pattern longer than " + std::to_string(kMaxPatternLength) + " bytes");
  }
  std::vector<std::string> out;
  if (Status s = expand_into(pattern, max_patterns, out); !s.ok()) return s.error();
  return out;
}

VIGIL_REGISTER_TABLE(file_table());
VIGIL_REGISTER_TABLE(file_glob_table());

}  // namespace vigil::collectors
