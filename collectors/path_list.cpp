// parse_path_list(): Boost.JSON over the table argument (see path_list.hpp).
#include "path_list.hpp"

#include <boost/json.hpp>

namespace vigil::collectors {

Result<std::vector<std::string>> parse_path_list(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return make_error(Errc::invalid, "expected a JSON array of paths");
  std::vector<std::string> out;
  for (const auto& e : v.as_array()) {
    if (!e.is_string() || e.as_string().empty() || e.as_string().front() != '/')
      return make_error(Errc::invalid, "every " + std::string(what) + " must be an absolute path string");
    out.emplace_back(e.as_string());
  }
  if (out.empty()) return make_error(Errc::invalid, "the list of " + std::string(what) + "s is empty");
  return out;
}

}  // namespace vigil::collectors
