// The ISO/IEC 27001 Annex A control catalogues (2022 and 2013) and the
// 2013->2022 correspondence, parsed from the data compiled into the binary.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::agent {

class ControlCatalog {
 public:
  // The catalogue built into the binary (policies/iso27001/*.tsv).
  static const ControlCatalog& builtin();
  // Parses the three TSV files (header line first, tab-separated).
  static ControlCatalog parse(std::string_view tsv_2022, std::string_view tsv_2013, std::string_view map_tsv);

  bool has_2022(std::string_view id) const { return titles_2022_.count(std::string(id)) != 0; }
  bool has_2013(std::string_view id) const { return titles_2013_.count(std::string(id)) != 0; }
  // "" when unknown.
  std::string title_2022(std::string_view id) const;
  // 2022 controls a 2013 control moved into (empty when unknown).
  std::vector<std::string> map_2013(std::string_view id) const;
  std::size_t size_2022() const noexcept { return titles_2022_.size(); }
  std::size_t size_2013() const noexcept { return titles_2013_.size(); }

 private:
  std::map<std::string, std::string> titles_2022_;
  std::map<std::string, std::string> titles_2013_;
  std::multimap<std::string, std::string> map_;
};

// Orders "A.5.9" before "A.5.10" (numeric per component).
bool control_id_less(std::string_view a, std::string_view b);

}  // namespace vigil::agent
