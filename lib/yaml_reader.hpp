// Strict reading of YAML configuration files (the agent's vigil.yaml and the
// store's store.yaml): every key is known, a repeated key is refused, and
// each error names the file, the line and the dotted key:
//   vigil.yaml:7: schedules[0].interval_seconds: 5 is out of range 60..2592000
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <string>

#include "log.hpp"
#include "result.hpp"

namespace vigil {

class YamlReader {
 public:
  explicit YamlReader(std::string where) : where_(std::move(where)) {}
  const std::string& where() const noexcept { return where_; }

  // "WHERE:LINE: KEY: reason" (line 0 when the node has no position).
  Error fail(const YAML::Node& node, const std::string& key, const std::string& reason) const;
  Error unknown(const YAML::Node& n, const std::string& key) const { return fail(n, key, "unknown key"); }

  Result<std::string> text(const YAML::Node& n, const std::string& key) const;
  Result<std::uint64_t> integer(const YAML::Node& n, const std::string& key, std::uint64_t min,
                                std::uint64_t max) const;
  Result<bool> boolean(const YAML::Node& n, const std::string& key) const;  // true/false/yes/no
  // The `log:` section both programs have: `level` and nothing else.
  Status log_section(const YAML::Node& n, log::Level& level) const;

  // Calls fn(dotted key, value) for each entry of a mapping; refuses anything
  // that is not a mapping, non-string keys and repeated keys.
  using Entry = std::function<Status(const std::string&, const YAML::Node&)>;
  Status each(const YAML::Node& map, const std::string& key, const Entry& fn) const;
  // Calls fn("key[i]", item) for each item of a sequence.
  using Item = std::function<Status(const std::string&, const YAML::Node&)>;
  Status items(const YAML::Node& seq, const std::string& key, const Item& fn) const;

 private:
  std::string where_;
};

// Parses the text; a YAML syntax error becomes Errc::parse "WHERE:LINE: msg".
// An empty document is a null node.
Result<YAML::Node> load_yaml(const std::string& text, const std::string& where);

}  // namespace vigil
