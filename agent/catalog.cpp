#include "catalog.hpp"

#include "embedded.hpp"
#include "strings.hpp"

namespace vigil::agent {

namespace {
template <typename Fn>
void for_each_row(std::string_view tsv, Fn&& fn) {
  bool header = true;
  for (auto line : split_lines(tsv)) {
    if (header) {
      header = false;
      continue;
    }
    if (trim(line).empty()) continue;
    fn(split(line, '\t'));
  }
}
}  // namespace

ControlCatalog ControlCatalog::parse(std::string_view tsv_2022, std::string_view tsv_2013,
                                     std::string_view map_tsv) {
  ControlCatalog c;
  for_each_row(tsv_2022, [&](const std::vector<std::string_view>& f) {
    if (f.size() >= 2) c.titles_2022_.emplace(std::string(trim(f[0])), std::string(trim(f[1])));
  });
  for_each_row(tsv_2013, [&](const std::vector<std::string_view>& f) {
    if (f.size() >= 2) c.titles_2013_.emplace(std::string(trim(f[0])), std::string(trim(f[1])));
  });
  for_each_row(map_tsv, [&](const std::vector<std::string_view>& f) {
    if (f.size() >= 2 && !trim(f[1]).empty())
      c.map_.emplace(std::string(trim(f[0])), std::string(trim(f[1])));
  });
  return c;
}

const ControlCatalog& ControlCatalog::builtin() {
  static const ControlCatalog catalog =
      parse(embedded::annex_a_2022, embedded::annex_a_2013, embedded::map_2013_to_2022);
  return catalog;
}

std::string ControlCatalog::title_2022(std::string_view id) const {
  auto it = titles_2022_.find(std::string(id));
  return it == titles_2022_.end() ? std::string() : it->second;
}

std::vector<std::string> ControlCatalog::map_2013(std::string_view id) const {
  std::vector<std::string> out;
  auto [lo, hi] = map_.equal_range(std::string(id));
  for (auto it = lo; it != hi; ++it) out.push_back(it->second);
  return out;
}

bool control_id_less(std::string_view a, std::string_view b) {
  auto pa = split(a, '.');
  auto pb = split(b, '.');
  for (std::size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
    auto na = parse_int(pa[i]);
    auto nb = parse_int(pb[i]);
    if (na && nb) {
      if (*na != *nb) return *na < *nb;
    } else if (pa[i] != pb[i]) {
      return pa[i] < pb[i];
    }
  }
  return pa.size() < pb.size();
}

}  // namespace vigil::agent
