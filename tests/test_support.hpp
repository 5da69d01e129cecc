// Helpers for tests: fixture paths, throw-away host trees made at test time,
// and a registered table collected on a host root with cells read by name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collector.hpp"
#include "result.hpp"

namespace vigil::test {

// Absolute path of tests/fixtures/hosts/<name>.
std::string fixture_host(std::string_view name);

// A fresh directory under $TMPDIR, removed (recursively) when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const noexcept { return path_; }
  // Writes a file under the directory, creating parent directories.
  void write(std::string_view rel, std::string_view content, unsigned mode = 0644) const;
  void mkdir(std::string_view rel) const;
  void symlink(std::string_view rel, std::string_view target) const;

 private:
  std::string path_;
};

// What one run of a registered collector produced. Cells are read by column
// name; an unknown column, or a cell of another type than asked for, fails
// the test.
struct CollectedTable {
  std::vector<std::string> columns;  // every column, hidden ones too, in declaration order
  std::vector<collectors::Row> rows;
  std::vector<collectors::Warning> warnings;
  vigil::Status status;

  const collectors::Value& at(std::size_t row, std::string_view column) const;
  std::string text(std::size_t row, std::string_view column) const;
  std::int64_t integer(std::size_t row, std::string_view column) const;
  bool is_null(std::size_t row, std::string_view column) const;

  // Indexes of the rows whose (text) cell in column equals value, in order
  // (NULL cells never match).
  std::vector<std::size_t> rows_where(std::string_view column, std::string_view value) const;
  // Whether a warning about where has a message containing part.
  bool warned(std::string_view where, std::string_view part) const;
};

// Runs the registered table (with args, for table-valued functions) on the
// host rooted at root. Requires the table to exist, the root to open and every
// row to hold one value per column; the collector's status is returned, not
// checked, so failing collectors can be tested too.
CollectedTable collect_table(const std::string& root, std::string_view table,
                             std::vector<collectors::Value> args = {});

// collect_table, also requiring the collector to succeed.
CollectedTable collect_ok(const std::string& root, std::string_view table,
                          std::vector<collectors::Value> args = {});

}  // namespace vigil::test
