#include "test_support.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <utility>
#include <variant>
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

namespace {

// The cell's value as a T; fails the test when the cell holds another type.
template <class T>
T cell_as(const collectors::Value& cell, std::size_t row, std::string_view column, const char* kind) {
  if (const auto* v = std::get_if<T>(&cell)) return *v;
  FAIL("row " << row << " column " << column << " holds no " << kind << " (variant index " << cell.index()
              << ")");
  return T{};
}

}  // namespace

const collectors::Value& CollectedTable::at(std::size_t row, std::string_view column) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == column) return rows.at(row).at(i);
  }
  FAIL("no column " << column);
  return rows.at(row).at(0);
}

std::string CollectedTable::text(std::size_t row, std::string_view column) const {
  return cell_as<std::string>(at(row, column), row, column, "text");
}

std::int64_t CollectedTable::integer(std::size_t row, std::string_view column) const {
  return cell_as<std::int64_t>(at(row, column), row, column, "integer");
}

bool CollectedTable::is_null(std::size_t row, std::string_view column) const {
  return std::holds_alternative<std::monostate>(at(row, column));
}

std::vector<std::size_t> CollectedTable::rows_where(std::string_view column, std::string_view value) const {
  std::vector<std::size_t> out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (!is_null(r, column) && text(r, column) == value) out.push_back(r);
  }
  return out;
}

bool CollectedTable::warned(std::string_view where, std::string_view part) const {
  for (const auto& w : warnings) {
    if (w.where == where && w.message.find(part) != std::string::npos) return true;
  }
  return false;
}

CollectedTable collect_table(const std::string& root, std::string_view table,
                             std::vector<collectors::Value> args) {
  const collectors::TableDef* def = collectors::Registry::instance().find(table);
  INFO("table " << table);
  REQUIRE(def != nullptr);
  auto host = collectors::Host::open(root);
  REQUIRE(host.ok());
  CollectedTable t;
  for (const auto& c : def->columns) t.columns.push_back(c.name);
  collectors::CollectContext ctx(*host, std::move(args), t.warnings, std::string(table));
  t.status = def->collect(ctx, t.rows);
  for (const auto& r : t.rows) REQUIRE(r.size() == t.columns.size());
  return t;
}

CollectedTable collect_ok(const std::string& root, std::string_view table,
                          std::vector<collectors::Value> args) {
  auto t = collect_table(root, table, std::move(args));
  INFO("table " << table << ": " << (t.status.ok() ? std::string() : t.status.error().message));
  REQUIRE(t.status.ok());
  return t;
}

}  // namespace vigil::test
