// Pure readers of modprobe.d files, /proc/cmdline and module lists, as kmod
// 30 reads them (see kernel_modules.hpp). Verified against Debian 12's
// modprobe 30 (`modprobe -c`, and /proc/cmdline bind-mounted over in a mount
// namespace) where the source left a doubt.
#include <algorithm>

#include "kernel_modules.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

bool word_sep(char c) noexcept {
  return c == ' ' || c == '\t';
}

// strtok_r(s, "\t ") over a line held as a view: the next word and the rest
// after the one separator that ended it (strtok_r(NULL, "\0") hands that rest
// out whole, or NULL when it is empty).
struct Words {
  std::string_view rest;
  std::optional<std::string_view> next() {
    std::size_t i = 0;
    while (i < rest.size() && word_sep(rest[i])) ++i;
    if (i == rest.size()) return std::nullopt;
    std::size_t j = i;
    while (j < rest.size() && !word_sep(rest[j])) ++j;
    const std::string_view w = rest.substr(i, j - i);
    rest = j < rest.size() ? rest.substr(j + 1) : std::string_view();
    return w;
  }
  std::optional<std::string_view> remainder() const {
    if (rest.empty()) return std::nullopt;
    return rest;
  }
};

// Spaces and tabs only: a CR stays, as it does for sh.
std::string_view trim_blanks(std::string_view s) noexcept {
  while (!s.empty() && word_sep(s.front())) s.remove_prefix(1);
  while (!s.empty() && word_sep(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view trim_install_command(std::string_view command) noexcept {
  return trim_blanks(command);
}

std::optional<std::string> kmod_underscores(std::string_view name) {
  std::string out(name);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '-') {
      out[i] = '_';
    } else if (out[i] == ']') {
      return std::nullopt;
    } else if (out[i] == '[') {
      const auto close = out.find(']', i);
      if (close == std::string::npos) return std::nullopt;
      i = close;
    }
  }
  return out;
}

ModprobeConf parse_modprobe_conf(std::string_view text) {
  ModprobeConf out;
  int physical = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    // getline_wrapped(): join lines whose newline follows a backslash.
    std::string line;
    const int first = physical + 1;
    for (;;) {
      const auto nl = text.find('\n', pos);
      const std::string_view part = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
      ++physical;
      pos = nl == std::string_view::npos ? text.size() : nl + 1;
      line.append(part);
      if (nl == std::string_view::npos || line.empty() || line.back() != '\\') break;
      line.pop_back();
    }
    line.resize(std::min(line.size(), line.find('\0')));
    if (line.empty() || line[0] == '#') continue;
    Words w{line};
    const auto cmd = w.next();
    if (!cmd) continue;
    const auto bad = [&](const std::string& why) {
      out.issues.push_back(ModprobeIssue{first, "ignoring bad line starting with '" + std::string(*cmd) +
                                                    "'" + (why.empty() ? "" : " (" + why + ")") +
                                                    ", as kmod does"});
    };
    const std::string command(*cmd);
    if (command == "alias") {
      const auto alias = w.next();
      const auto target = w.next();
      auto a = alias ? kmod_underscores(*alias) : std::nullopt;
      auto t = target ? kmod_underscores(*target) : std::nullopt;
      if (!a || !t) {
        bad(!alias || !target ? "needs an alias and a module" : "unbalanced '[' or ']'");
        continue;
      }
      out.directives.push_back(ModprobeDirective{command, std::move(*a), std::move(*t), first});
    } else if (command == "blacklist") {
      const auto name = w.next();
      auto n = name ? kmod_underscores(*name) : std::nullopt;
      if (!n) {
        bad(!name ? "needs a module" : "unbalanced '[' or ']'");
        continue;
      }
      out.directives.push_back(ModprobeDirective{command, std::move(*n), std::nullopt, first});
    } else if (command == "options" || command == "install" || command == "remove" || command == "softdep") {
      const auto name = w.next();
      const auto rest = name ? w.remainder() : std::nullopt;
      auto n = name ? kmod_underscores(*name) : std::nullopt;
      if (!n || !rest) {
        bad(!name || !rest
                ? "needs a module and " + std::string(command == "options" ? "options" : "a command")
                : "unbalanced '[' or ']'");
        continue;
      }
      std::string value(*rest);
      if (command == "options") std::replace(value.begin(), value.end(), '\t', ' ');
      out.directives.push_back(ModprobeDirective{command, std::move(*n), std::move(value), first});
    } else if (command == "include" || command == "config") {
      out.issues.push_back(
          ModprobeIssue{first, "command " + command + " is deprecated and not parsed anymore by kmod"});
    } else {
      bad("");
    }
  }
  return out;
}

KernelCmdline parse_kernel_cmdline(std::string_view text) {
  KernelCmdline out;
  text = text.substr(0, text.find('\n'));
  std::vector<std::string_view> words;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == '"') quoted = !quoted;
    if (i == text.size() || (!quoted && (text[i] == ' ' || text[i] == '\t'))) {
      if (i > start) words.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  for (std::string_view w : words) {
    if (w.substr(0, 17) == "module_blacklist=") {
      for (auto n : split(w.substr(17), ',')) {
        if (!n.empty()) out.module_blacklist.emplace_back(n);
      }
      continue;
    }
    const bool lead_quote = !w.empty() && w.front() == '"';
    if (lead_quote) w.remove_prefix(1);
    const auto dot = w.find('.');
    const auto eq = w.find('=');
    if (dot == std::string_view::npos || dot == 0 || (eq != std::string_view::npos && eq < dot)) continue;
    const std::string_view rest = w.substr(dot + 1);
    const auto peq = rest.find('=');
    const std::string_view pname = rest.substr(0, peq);
    if (pname.empty() || pname.find_first_of(".\"") != std::string_view::npos) continue;
    std::string param(pname);
    if (peq != std::string_view::npos)
      param += "=" + std::string(lead_quote ? "\"" : "") + std::string(rest.substr(peq + 1));
    out.settings.push_back(CmdlineSetting{std::string(w.substr(0, dot)), std::move(param)});
  }
  return out;
}

ConfOrder order_modprobe_files(const std::vector<ConfDir>& dirs) {
  ConfOrder out;
  const auto insert = [&out](const std::string& path, const std::string& name) {
    auto it = std::lower_bound(out.files.begin(), out.files.end(), name,
                               [](const ConfFile& f, const std::string& n) { return f.name < n; });
    if (it != out.files.end() && it->name == name) {
      out.masked.emplace_back(path, it->path);
      return;
    }
    out.files.insert(it, ConfFile{path, name});
  };
  for (const auto& d : dirs) {
    if (!d.exists) continue;
    if (d.is_file) {
      insert(d.path, d.path.substr(d.path.rfind('/') + 1));
      continue;
    }
    for (const auto& e : d.entries) {
      const std::string& n = e.name;
      const auto ends = [&n](std::string_view s) {
        return n.size() >= s.size() && std::string_view(n).substr(n.size() - s.size()) == s;
      };
      if (n.empty() || n[0] == '.') continue;
      if (n.size() < 6 || (!ends(".conf") && !ends(".alias"))) continue;
      if (e.is_dir) {
        out.notes.emplace_back(
            d.path + "/" + n,
            "a directory; kmod refuses it (directories inside directories are not supported)");
        continue;
      }
      insert(d.path + "/" + n, n);
    }
  }
  return out;
}

bool install_disables(std::string_view command) {
  command = trim_blanks(command);
  const auto hash = command.find('#');
  // A '#' starts a comment in sh only at the start of a word.
  if (hash != std::string_view::npos && (hash == 0 || word_sep(command[hash - 1])))
    command = trim_blanks(command.substr(0, hash));
  const auto end = command.find_first_of(" \t");
  const std::string_view program = command.substr(0, end);
  const std::string_view args = end == std::string_view::npos ? std::string_view() : command.substr(end);
  static constexpr std::string_view kNoop[] = {"/bin/false",    "/bin/true", "/usr/bin/false",
                                               "/usr/bin/true", "false",     "true"};
  if (std::find(std::begin(kNoop), std::end(kNoop), program) == std::end(kNoop)) return false;
  // Arguments are ignored by true and false; anything that could run a
  // second command is not.
  return args.find_first_of(";&|`$()<>{}\r\n\\") == std::string_view::npos;
}

std::vector<std::string> module_names_in_list(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view l : split_lines(text)) {
    std::string_view path = l.substr(0, l.find(':'));
    path = trim(path);
    if (path.empty()) continue;
    std::string_view base = path.substr(path.rfind('/') + 1);
    for (std::string_view suffix : {".xz", ".gz", ".zst"}) {
      if (base.size() > suffix.size() && base.substr(base.size() - suffix.size()) == suffix)
        base.remove_suffix(suffix.size());
    }
    if (base.size() > 3 && base.substr(base.size() - 3) == ".ko") base.remove_suffix(3);
    std::string name(base);
    std::replace(name.begin(), name.end(), '-', '_');
    out.push_back(std::move(name));
  }
  return out;
}

}  // namespace vigil::collectors
