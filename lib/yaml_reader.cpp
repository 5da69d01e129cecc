// lib/yaml_reader.hpp: strict YAML configuration reading.
#include "yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

namespace vigil {

Error YamlReader::fail(const YAML::Node& node, const std::string& key, const std::string& reason) const {
  // yaml-cpp's marks count lines from 0.
  const int line = node.Mark().is_null() ? 0 : node.Mark().line + 1;
  return make_error(Errc::invalid, where_ + ":" + std::to_string(line) + ": " + key + ": " + reason);
}

Result<std::string> YamlReader::text(const YAML::Node& n, const std::string& key) const {
  if (!n.IsScalar()) return fail(n, key, "expected a string");
  return n.Scalar();
}

Result<std::uint64_t> YamlReader::integer(const YAML::Node& n, const std::string& key, std::uint64_t min,
                                          std::uint64_t max) const {
  if (!n.IsScalar()) return fail(n, key, "expected a number");
  const std::string& s = n.Scalar();
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size())
    return fail(n, key, "'" + s + "' is not a whole number");
  if (v < min || v > max)
    return fail(n, key, std::to_string(v) + " is out of range " + std::to_string(min) + ".." + std::to_string(max));
  return v;
}

Result<bool> YamlReader::boolean(const YAML::Node& n, const std::string& key) const {
  if (!n.IsScalar()) return fail(n, key, "expected true or false");
  const std::string& s = n.Scalar();
  if (s == "true" || s == "yes") return true;
  if (s == "false" || s == "no") return false;
  return fail(n, key, "'" + s + "' is not true or false");
}

Status YamlReader::log_section(const YAML::Node& n, log::Level& level) const {
  return each(n, "log", [&](const std::string& key, const YAML::Node& v) -> Status {
    if (key != "log.level") return unknown(v, key);
    auto s = text(v, key);
    if (!s) return s.error();
    auto lv = log::parse_level(*s);
    if (!lv) return fail(v, key, lv.error().message);
    level = *lv;
    return {};
  });
}

Status YamlReader::each(const YAML::Node& map, const std::string& key, const Entry& fn) const {
  if (!map.IsMap()) return fail(map, key.empty() ? "(top level)" : key, "expected a mapping");
  std::vector<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) return fail(kv.first, key, "keys must be strings");
    const std::string name = kv.first.Scalar();
    // yaml-cpp keeps both of a repeated key; which one wins would be a guess.
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      return fail(kv.first, key.empty() ? name : key + "." + name, "repeated key");
    seen.push_back(name);
    if (Status s = fn(key.empty() ? name : key + "." + name, kv.second); !s.ok()) return s;
  }
  return {};
}

Status YamlReader::items(const YAML::Node& seq, const std::string& key, const Item& fn) const {
  if (!seq.IsSequence()) return fail(seq, key, "expected a list");
  std::size_t i = 0;
  for (const auto& item : seq) {
    if (Status s = fn(key + "[" + std::to_string(i++) + "]", item); !s.ok()) return s;
  }
  return {};
}

Result<YAML::Node> load_yaml(const std::string& text, const std::string& where) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    return make_error(Errc::parse, where + ":" + std::to_string(line) + ": " + e.msg);
  }
}

}  // namespace vigil
