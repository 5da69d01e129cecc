// An in-memory host for the tests of the pure parsers: the files, unreadable
// files and special files of a made-up machine, served through the std::function
// loaders the evaluators take (SshdLoader, SudoersLoader, PamLoader, ...).
#pragma once

#include <cstddef>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "host.hpp"
#include "result.hpp"

namespace vigil::test {

// Paths are absolute host paths. A directory exists when some path is under
// it; it has no entry of its own.
struct MemFs {
  std::map<std::string, std::string> files;             // regular files, readable
  std::map<std::string, Errc> broken;                   // regular files whose read fails with that code
  std::map<std::string, collectors::FileType> special;  // fifos, devices...: listed, never readable
  mutable std::size_t reads = 0;                        // calls of read()

  // The content of a file; not_found for an absent path (a directory too),
  // the path's code for a broken one, not_regular for a special one,
  // too_large for a file of more than cap bytes.
  Result<std::string> read(const std::string& path,
                           std::size_t cap = std::numeric_limits<std::size_t>::max()) const;
  // Every path (files, broken and special) that fnmatch(3) matches with
  // FNM_PATHNAME | FNM_PERIOD, sorted; no match is an empty list.
  Result<std::vector<std::string>> glob(const std::string& pattern) const;
  // The names directly in dir, subdirectories included, sorted; not_found
  // when nothing is under dir.
  Result<std::vector<std::string>> list_dir(const std::string& dir) const;
  // regular (files and broken), the type of a special file, directory, or not_found.
  Result<collectors::FileType> type(const std::string& path) const;

  // A loader of type L whose members call this MemFs, which must outlive it.
  // Fills the members L has: read (with or without a cap), glob, list_dir or
  // list (PamLoader's name for it), type.
  template <class L>
  L loader() const {
    L l;
    if constexpr (requires { l.read(std::string(), std::size_t{}); }) {
      l.read = [this](const std::string& path, std::size_t cap) { return read(path, cap); };
    } else {
      l.read = [this](const std::string& path) { return read(path); };
    }
    if constexpr (requires { l.glob; }) {
      l.glob = [this](const std::string& pattern) { return glob(pattern); };
    }
    if constexpr (requires { l.list_dir; }) {
      l.list_dir = [this](const std::string& dir) { return list_dir(dir); };
    }
    if constexpr (requires { l.list; }) {
      l.list = [this](const std::string& dir) { return list_dir(dir); };
    }
    if constexpr (requires { l.type; }) {
      l.type = [this](const std::string& path) { return type(path); };
    }
    return l;
  }
};

}  // namespace vigil::test
