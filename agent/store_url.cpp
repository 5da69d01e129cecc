// agent/store_url.hpp.
#include "store_url.hpp"

#include <algorithm>
#include <cctype>

namespace vigil::agent {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_space_or_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

}  // namespace

Result<std::pair<std::string, std::string>> split_store_url(std::string_view url) {
  const std::string where = "store URL '" + std::string(url) + "'";
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return make_error(Errc::invalid, where + ": not a URL (expected https://HOST[:PORT])");
  const std::string scheme = lower(url.substr(0, scheme_end));
  if (scheme == "http")
    return make_error(Errc::invalid, where + ": plain http is refused; the store is reached over https only");
  if (scheme != "https") return make_error(Errc::invalid, where + ": scheme '" + scheme + "' is not https");
  if (has_space_or_control(url))
    return make_error(Errc::invalid, where + ": contains spaces or control characters");
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return make_error(Errc::invalid, where + ": a query or fragment is not allowed");
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.empty()) return make_error(Errc::invalid, where + ": no host");
  if (authority.find('@') != std::string_view::npos)
    return make_error(Errc::invalid, where + ": user information in the URL is not allowed");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return std::pair<std::string, std::string>{"https://" + std::string(authority), std::string(path)};
}

}  // namespace vigil::agent
