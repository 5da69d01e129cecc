#include <cstdio>
#include <cstdlib>

#include "collector.hpp"

namespace vigil::collectors {

const char* column_type_name(ColumnType t) noexcept {
  switch (t) {
    case ColumnType::text:
      return "TEXT";
    case ColumnType::integer:
      return "INTEGER";
    case ColumnType::real:
      return "REAL";
  }
  return "TEXT";
}

Registry& Registry::instance() {
  static Registry registry;
  return registry;
}

void Registry::add(TableDef def) {
  // Two collectors with one table name is a programming error that tests must
  // catch at start-up, not a runtime condition to recover from.
  if (find(def.name) != nullptr) {
    std::fprintf(stderr, "vigil: duplicate collector table '%s'\n", def.name.c_str());
    std::abort();
  }
  tables_.push_back(std::move(def));
}

const TableDef* Registry::find(std::string_view name) const noexcept {
  for (const auto& t : tables_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace vigil::collectors
