// The collector interface and registry.
//
// A collector reports facts as rows of one table and never judges them. Each
// collector source file defines its TableDef(s) and registers them with one
// line:  VIGIL_REGISTER_TABLE(my_table_def());
// The engine exposes every registered table to SQL as an eponymous virtual
// table and calls collect() lazily, at most once per scan (per argument set
// for table-valued functions).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "host.hpp"
#include "result.hpp"

namespace vigil::collectors {

enum class ColumnType { text, integer, real };
const char* column_type_name(ColumnType t) noexcept;

struct Column {
  std::string name;
  ColumnType type = ColumnType::text;
  std::string doc;
  // A hidden column is an argument of a table-valued function:
  //   SELECT * FROM file('/etc/shadow')  ==  SELECT * FROM file WHERE path = '/etc/shadow'
  // Tables with hidden columns must be queried with an equality on each of them.
  bool hidden = false;
};

// NULL, INTEGER, REAL or TEXT, as in SQLite.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;
using Row = std::vector<Value>;  // one value per Column, in declaration order (hidden ones too)

inline Value null_value() {
  return std::monostate{};
}
inline Value int_value(std::int64_t v) {
  return v;
}
inline Value bool_value(bool v) {
  return std::int64_t{v ? 1 : 0};
}
inline Value text_value(std::string_view v) {
  return std::string(v);
}

// Something worth telling the reader of a report that is not a row: a
// malformed line skipped the way the real program skips it, a file that could
// not be read while others could. Warnings are evidence too.
struct Warning {
  std::string table;
  std::string where;  // "/etc/passwd:12"
  std::string message;
};

// Adds w unless the same warning (table, where, message) is there already.
inline void add_warning_once(std::vector<Warning>& sink, Warning w) {
  for (const auto& x : sink) {
    if (x.table == w.table && x.where == w.where && x.message == w.message) return;
  }
  sink.push_back(std::move(w));
}

class CollectContext {
 public:
  CollectContext(const Host& host, std::vector<Value> args, std::vector<Warning>& sink, std::string table)
      : host_(host), args_(std::move(args)), sink_(sink), table_(std::move(table)) {}

  const Host& host() const noexcept { return host_; }
  // Values of the hidden columns, in declaration order.
  const std::vector<Value>& args() const noexcept { return args_; }
  // The same warning from the same table is kept once per scan (a collector
  // that runs per argument would otherwise repeat it for every call).
  // A host file that may be absent: nullopt when it is (a fact, said by the
  // caller if it matters) or when it cannot be read (a warning naming it).
  std::optional<std::string> read_optional(std::string_view path, std::size_t max_bytes = kDefaultReadCap) {
    auto r = host_.read_file(path, ReadOptions{.max_bytes = max_bytes});
    if (r) return std::move(r->data);
    if (!r.is(Errc::not_found)) warn(std::string(path), r.error().message);
    return std::nullopt;
  }
  void warn(std::string where, std::string message) {
    add_warning_once(sink_, Warning{table_, std::move(where), std::move(message)});
  }

 private:
  const Host& host_;
  std::vector<Value> args_;
  std::vector<Warning>& sink_;
  std::string table_;
};

// Fills rows; a returned Error makes every check that reads the table an
// `error` result with that message. Absent files are facts, not errors.
using CollectFn = std::function<Status(CollectContext&, std::vector<Row>&)>;

struct TableDef {
  std::string name;
  std::string doc;
  std::vector<Column> columns;
  CollectFn collect;
  // Reads many files or runs a program (tens of milliseconds on a real
  // host): a scan's prefetch worker starts with these (vtab.hpp).
  bool heavy = false;
};

class Registry {
 public:
  static Registry& instance();
  void add(TableDef def);
  const std::vector<TableDef>& tables() const noexcept { return tables_; }
  const TableDef* find(std::string_view name) const noexcept;

 private:
  std::vector<TableDef> tables_;
};

struct Registrar {
  explicit Registrar(TableDef def) { Registry::instance().add(std::move(def)); }
};

#define VIGIL_CONCAT_INNER(a, b) a##b
#define VIGIL_CONCAT(a, b) VIGIL_CONCAT_INNER(a, b)
#define VIGIL_REGISTER_TABLE(def)                                                        \
  static const ::vigil::collectors::Registrar VIGIL_CONCAT(vigil_registrar_, __LINE__) { \
    def                                                                                  \
  }

}  // namespace vigil::collectors
