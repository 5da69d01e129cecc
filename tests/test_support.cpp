#include "test_support.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace vigil::test {

namespace fs = std::filesystem;

std::string fixture_host(std::string_view name) {
  return std::string(VIGIL_FIXTURES_DIR) + "/" + std::string(name);
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/vigil-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void TempDir::write(std::string_view rel, std::string_view content, unsigned mode) const {
  fs::path p = fs::path(path_) / fs::path(rel).relative_path();
  fs::create_directories(p.parent_path());
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  ::chmod(p.c_str(), static_cast<mode_t>(mode));
}

void TempDir::mkdir(std::string_view rel) const {
  fs::create_directories(fs::path(path_) / fs::path(rel).relative_path());
}

void TempDir::symlink(std::string_view rel, std::string_view target) const {
  fs::path p = fs::path(path_) / fs::path(rel).relative_path();
  fs::create_directories(p.parent_path());
  fs::create_symlink(fs::path(target), p);
}

}  // namespace vigil::test
