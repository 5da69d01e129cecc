#include "mem_fs.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <set>

namespace vigil::test {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Calls f(path) for every path of fs under prefix ("" for all of them),
// one map after the other.
template <class F>
void for_each_path(const MemFs& fs, const std::string& prefix, F f) {
  auto walk = [&](const auto& map) {
    for (auto it = map.lower_bound(prefix); it != map.end() && starts_with(it->first, prefix); ++it)
      f(it->first);
  };
  walk(fs.files);
  walk(fs.broken);
  walk(fs.special);
}

}  // namespace

Result<std::string> MemFs::read(const std::string& path, std::size_t cap) const {
  ++reads;
  if (auto b = broken.find(path); b != broken.end()) return make_error(b->second, "cannot read");
  if (special.count(path) != 0) return make_error(Errc::not_regular, "not a regular file");
  auto f = files.find(path);
  if (f == files.end()) return make_error(Errc::not_found, "no such file");
  if (f->second.size() > cap) return make_error(Errc::too_large, "over the cap");
  return f->second;
}

Result<std::vector<std::string>> MemFs::glob(const std::string& pattern) const {
  std::vector<std::string> out;
  for_each_path(*this, "", [&](const std::string& p) {
    if (::fnmatch(pattern.c_str(), p.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0) out.push_back(p);
  });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<std::string>> MemFs::list_dir(const std::string& dir) const {
  std::set<std::string> names;
  const std::string prefix = dir + "/";
  for_each_path(*this, prefix, [&](const std::string& p) {
    const std::string rest = p.substr(prefix.size());
    names.insert(rest.substr(0, rest.find('/')));
  });
  if (names.empty()) return make_error(Errc::not_found, "no such directory");
  return std::vector<std::string>(names.begin(), names.end());
}

Result<collectors::FileType> MemFs::type(const std::string& path) const {
  if (files.count(path) != 0 || broken.count(path) != 0) return collectors::FileType::regular;
  if (auto s = special.find(path); s != special.end()) return s->second;
  bool under = false;
  for_each_path(*this, path + "/", [&](const std::string&) { under = true; });
  if (under) return collectors::FileType::directory;
  return make_error(Errc::not_found, "no such file");
}

}  // namespace vigil::test
