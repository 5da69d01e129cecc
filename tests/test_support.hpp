// Helpers for tests: fixture paths and throw-away host trees made at test time.
#pragma once

#include <string>
#include <string_view>

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

}  // namespace vigil::test
