// systemd 252's configuration reader (conf-parser.c, conf-files.c), shared by
// journald_config and time_sync. See systemd_conf.hpp for the rules.
#include "systemd_conf.hpp"

#include <algorithm>
#include <map>

#include "strings.hpp"

namespace vigil::collectors {

namespace {

constexpr std::string_view kWhitespace = " \t\n\r";

std::string_view strip(std::string_view s) {
  const auto b = s.find_first_not_of(kWhitespace);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(kWhitespace);
  return s.substr(b, e - b + 1);
}

// Whether a line ends in an unescaped backslash (config_parse()'s scan).
bool ends_escaped(std::string_view l) {
  bool escaped = false;
  for (char c : l) escaped = escaped ? false : c == '\\';
  return escaped;
}

}  // namespace

int systemd_boolean(std::string_view v) noexcept {
  static constexpr std::string_view kTrue[] = {"1", "yes", "y", "true", "t", "on"};
  static constexpr std::string_view kFalse[] = {"0", "no", "n", "false", "f", "off"};
  for (auto t : kTrue) {
    if (iequals(v, t)) return 1;
  }
  for (auto f : kFalse) {
    if (iequals(v, f)) return 0;
  }
  return -1;
}

SystemdParsed parse_systemd_conf(std::string_view text, std::string_view section) {
  SystemdParsed out;
  // A UTF-8 byte order mark is dropped from the first line.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::string continuation;
  int continuation_line = 0;
  bool in_section = false;   // inside [section]
  bool any_section = false;  // a header was seen
  int number = 0;
  for (std::string_view raw : split_lines(text)) {
    ++number;
    raw = raw.substr(0, raw.find('\0'));  // read_line() stops a line at a NUL for C string handling
    const std::string_view lead = strip(raw);
    // Comment lines are dropped even inside a continuation (config_parse() checks first).
    if (!lead.empty() && (lead.front() == '#' || lead.front() == ';')) continue;
    std::string joined = continuation.empty() ? std::string(raw) : continuation + std::string(raw);
    const int line_no = continuation.empty() ? number : continuation_line;
    if (ends_escaped(joined)) {
      joined.back() = ' ';
      if (continuation.empty()) continuation_line = number;
      continuation = std::move(joined);
      continue;
    }
    continuation.clear();
    const std::string_view l = strip(joined);
    if (l.empty()) continue;
    if (l.front() == '[') {
      if (l.back() != ']') {
        out.issues.push_back(
            {line_no, "invalid section header '" + std::string(l) + "'; systemd ignores it"});
        continue;
      }
      const std::string_view name = l.substr(1, l.size() - 2);
      any_section = true;
      in_section = name == section;
      if (!in_section && name.substr(0, 2) != "X-") {
        out.issues.push_back({line_no, "section [" + std::string(name) +
                                           "] is not read by this program; its lines are ignored"});
      }
      continue;
    }
    if (!in_section) {
      if (!any_section)
        out.issues.push_back({line_no, "assignment outside of any section; systemd ignores it"});
      continue;
    }
    const auto eq = l.find('=');
    if (eq == std::string_view::npos) {
      out.issues.push_back({line_no, "missing '='; systemd ignores the line"});
      continue;
    }
    const std::string_view key = strip(l.substr(0, eq));
    if (key.empty()) {
      out.issues.push_back({line_no, "missing key name before '='; systemd ignores the line"});
      continue;
    }
    out.assignments.push_back({std::string(key), std::string(strip(l.substr(eq + 1))), line_no});
  }
  if (!continuation.empty()) {
    out.issues.push_back({continuation_line, "file ends inside a continued line; systemd drops it"});
  }
  return out;
}

std::vector<std::string> systemd_dropin_dirs(std::string_view conf_name) {
  const std::string d = std::string(conf_name) + ".d";
  return {"/etc/systemd/" + d, "/run/systemd/" + d, "/usr/local/lib/systemd/" + d, "/usr/lib/systemd/" + d,
          "/lib/systemd/" + d};
}

std::vector<DropinFile> resolve_dropins(const std::vector<DropinListing>& dirs) {
  std::map<std::string, DropinFile> by_name;  // std::map: sorted by name with strcmp order
  constexpr std::string_view kSuffix = ".conf";
  for (const auto& d : dirs) {
    for (const auto& name : d.names) {
      if (name.empty() || name.front() == '.') continue;
      if (name.size() < kSuffix.size() ||
          name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
        continue;
      const std::string path = d.dir + "/" + name;
      auto it = by_name.find(name);
      if (it != by_name.end()) {
        it->second.hidden.push_back(path);
        continue;
      }
      by_name.emplace(name, DropinFile{path, {}});
    }
  }
  std::vector<DropinFile> out;
  out.reserve(by_name.size());
  for (auto& [name, f] : by_name) out.push_back(std::move(f));
  return out;
}

SystemdConfFiles read_systemd_conf(const Host& host, std::string_view conf_name, std::string_view section,
                                   const std::function<void(std::string, std::string)>& warn) {
  SystemdConfFiles out;
  auto read_one = [&](const std::string& path, bool main) {
    auto content = host.read_file(path);
    if (!content) {
      if (content.is(Errc::not_found)) return false;
      warn(path, content.error().message + "; not read (systemd would fail on or block at this file)");
      return false;
    }
    SystemdParsed parsed = parse_systemd_conf(content->data, section);
    for (const auto& i : parsed.issues) warn(path + ":" + std::to_string(i.line), i.message);
    out.files.push_back(SystemdConfSource{path, main, std::move(parsed.assignments)});
    return true;
  };
  out.main_found = read_one("/etc/systemd/" + std::string(conf_name), true);

  std::vector<DropinListing> listings;
  for (const auto& dir : systemd_dropin_dirs(conf_name)) {
    auto entries = host.list_dir(dir);
    if (!entries) {
      if (!entries.is(Errc::not_found) && !entries.is(Errc::invalid)) warn(dir, entries.error().message);
      continue;
    }
    DropinListing l{dir, {}};
    for (const auto& e : *entries) l.names.push_back(e.name);
    listings.push_back(std::move(l));
  }
  for (const auto& f : resolve_dropins(listings)) {
    for (const auto& h : f.hidden) {
      // /lib is /usr/lib on a merged-/usr host: the same file seen twice hides nothing.
      auto a = host.stat(f.path, true);
      auto b = host.stat(h, true);
      if (a && b && a->device == b->device && a->inode == b->inode) continue;
      warn(h, "overridden by " + f.path + " (same name, earlier directory): not read");
    }
    read_one(f.path, false);
  }
  return out;
}

}  // namespace vigil::collectors
