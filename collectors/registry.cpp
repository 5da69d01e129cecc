#include <cstdio>
#include <cstdlib>
#include <exception>

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
  // The one firewall for every collector: whatever a collector throws (out
  // of memory, a bug) becomes that table's error, so no exception leaves the
  // collectors module and each collector file needs no try/catch of its own.
  def.collect = [fn = std::move(def.collect)](CollectContext& ctx, std::vector<Row>& rows) -> Status {
    try {
      return fn(ctx, rows);
    } catch (const std::exception& e) {
      return make_error(Errc::internal, std::string("collector threw: ") + e.what());
    } catch (...) {
      return make_error(Errc::internal, "collector threw an unknown exception");
    }
  };
  tables_.push_back(std::move(def));
}

const TableDef* Registry::find(std::string_view name) const noexcept {
  for (const auto& t : tables_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace vigil::collectors
