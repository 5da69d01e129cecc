// The `log_files` table: modes and owners of everything under /var/log, for
// A.8.15's protection of log information. file_glob cannot do this: its
// globs have no recursive '**' and need one pattern per depth and another for
// dotfiles. The walk is bounded (depth, entry count), never follows a
// symlink (entries are seen with lstat; only real directories are entered),
// and ends with a walk_summary row saying whether it saw everything. Rows
// are built by the `file` table's own function, so the columns agree.
#include "collector.hpp"
#include "file.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

constexpr std::string_view kLogRoot = "/var/log";
constexpr std::size_t kMaxDepth = 8;        // directory levels below /var/log
constexpr std::size_t kMaxEntries = 20000;  // rows; a busy log host has a few thousand

struct Walk {
  CollectContext& ctx;
  FileOwnerNames& names;
  std::vector<Row>& rows;
  std::size_t count = 0;
  bool truncated = false;
  bool incomplete = false;

  void dir(const std::string& path, std::size_t depth) {
    auto entries = ctx.host().list_dir(path);
    if (!entries) {
      incomplete = true;
      ctx.warn(path, entries.error().message + "; its entries are not reported");
      return;
    }
    for (const auto& e : *entries) {
      if (truncated) return;
      if (count >= kMaxEntries) {
        truncated = true;
        ctx.warn(std::string(kLogRoot),
                 "more than " + std::to_string(kMaxEntries) + " entries: walk stopped");
        return;
      }
      const std::string child = path + "/" + e.name;
      auto row = file_row(ctx, names, child);
      if (!row) {
        incomplete = true;
        ctx.warn(child, row.error().message);
        continue;
      }
      if (std::get<std::string>((*row)[file_col::kType]) == "absent") continue;  // removed meanwhile
      row->push_back(text_value(sanitize_utf8(child.substr(kLogRoot.size() + 1))));
      row->push_back(text_value("entry"));
      rows.push_back(std::move(*row));
      ++count;
      if (e.type == FileType::directory) {
        if (depth + 1 > kMaxDepth) {
          truncated = true;
          ctx.warn(child, "deeper than " + std::to_string(kMaxDepth) + " levels below /var/log: not entered");
          continue;
        }
        dir(child, depth + 1);
      }
    }
  }
};

Status collect_log_files(CollectContext& ctx, std::vector<Row>& rows) {
  FileOwnerNames names(ctx);
  const std::string root(kLogRoot);
  auto summary = [&](std::string_view state, std::size_t n) {
    Row r(file_col::kColumnCount, null_value());
    r[file_col::kPath] = text_value(root);
    r[file_col::kType] = text_value(state);
    r[file_col::kSize] = int_value(static_cast<std::int64_t>(n));
    r.push_back(null_value());
    r.push_back(text_value("walk_summary"));
    rows.push_back(std::move(r));
  };
  auto st = ctx.host().stat(root, true);
  if (!st) {
    if (!st.is(Errc::not_found)) return make_error(st.error().code, root + ": " + st.error().message);
    ctx.warn(root, "absent: no log files to report");
    summary("absent", 0);
    return Status::success();
  }
  if (st->type != FileType::directory) {
    ctx.warn(root, "not a directory");
    summary("absent", 0);
    return Status::success();
  }
  Walk w{ctx, names, rows};
  w.dir(root, 0);
  summary(w.truncated ? "truncated" : w.incomplete ? "incomplete" : "complete", w.count);
  return Status::success();
}

TableDef log_files_table() {
  auto cols = file_columns(false);
  cols[file_col::kPath].doc =
      "absolute host path of the entry under /var/log; '/var/log' on the walk_summary row";
  cols[file_col::kType].doc =
      "entry rows: regular, directory, symlink, fifo, socket... as lstat(2) sees it (symlinks are reported, "
      "never "
      "followed). walk_summary row: 'complete', 'truncated' (a cap was hit), 'incomplete' (a directory could "
      "not "
      "be read) or 'absent' (no /var/log)";
  cols[file_col::kSize].doc = "size in bytes; on the walk_summary row the number of entry rows";
  cols.push_back(Column{"relative_path", ColumnType::text,
                        "the path below /var/log ('audit/audit.log'); NULL on "
                        "the walk_summary row"});
  cols.push_back(Column{"kind", ColumnType::text,
                        "'entry' for a file or directory, 'walk_summary' for the one row "
                        "that says how far the walk got"});
  return TableDef{
      "log_files",
      "Every entry under /var/log with the columns of `file` (mode, owner, group...), walked depth-first in "
      "name "
      "order without following symlinks, at most 8 directory levels deep and 20000 entries (a cap stops the "
      "walk "
      "with a warning and a 'truncated' summary), plus one walk_summary row. A check over it should require "
      "the "
      "summary to be 'complete', so a truncated walk cannot pass.",
      std::move(cols),
      collect_log_files,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(log_files_table());

}  // namespace vigil::collectors
